"""What the regression-based staggered-DID engines share: input checks, the result type, tidy rows, Wald tests.

Kept in one place so that the TWFE event study, Sun-Abraham, the imputation estimator and the Bacon
decomposition read the same long firm-year frame the same way and refuse the same bad inputs with the same
messages (the shared interface of issue 9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from srdi.models import dist

TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")


@dataclass(frozen=True)
class PretrendTest:
    """Joint test that every pre-period coefficient is zero.

    `statistic` is the F form W/q of the cluster-robust Wald statistic W (reghdfe's `test`), `df` = q,
    `df_denom` = G - 1 for F (None when `kind` is "chi2", then `statistic` = W); `wald` is W in both cases.
    """

    kind: str  # "F" or "chi2"
    statistic: float
    df: int
    df_denom: int | None
    p_value: float
    wald: float
    terms: tuple[str, ...]


@dataclass(frozen=True)
class DidResult:
    """Tidy estimates (one row per term) and the facts a table needs."""

    estimator: str
    estimates: pd.DataFrame  # TIDY_COLUMNS, in display order
    nobs: int  # observations used by the estimator
    n_clusters: int
    pretrend: PretrendTest | None
    cov: pd.DataFrame  # covariance of the reported estimates (same order as `estimates`)
    info: dict[str, Any] = field(default_factory=dict)  # estimator-specific facts (weights, dropped rows, ...)

    @property
    def table(self) -> pd.DataFrame:
        """The tidy rows under the name the Callaway-Sant'Anna result uses."""
        return self.estimates

    def estimate(self, term: str) -> float:
        return float(self.estimates.set_index("term").loc[term, "estimate"])


@dataclass(frozen=True)
class StaggeredPanel:
    """A checked long panel: complete rows only, columns renamed to the canonical names below."""

    frame: pd.DataFrame  # columns: unit, t, y, g, cl, x0..x{p-1}; index 0..N-1
    controls: tuple[str, ...]  # the user's names of x0..x{p-1}
    years: np.ndarray  # sorted distinct years of the panel (before listwise deletion)
    n_missing: int  # rows dropped for a missing outcome, control or cluster value

    @property
    def control_cols(self) -> list[str]:
        return [f"x{j}" for j in range(len(self.controls))]


def prepare(
    df: pd.DataFrame,
    entity: str,
    time: str,
    outcome: str,
    first_treat: str,
    controls: Sequence[str] = (),
    cluster: str | None = None,
) -> StaggeredPanel:
    """Check the shared-interface input and return it in canonical form.

    Raises ValueError for: a missing column, non-integer years, duplicate (entity, time) keys, a missing or
    non-integer `first_treat`, a `first_treat` not constant within entity, a first-treated year outside the
    panel's range of years, and a panel with no comparison (no never-treated and no not-yet-treated observation
    in any period with a treated one).
    """
    controls = tuple(controls)
    cluster = entity if cluster is None else cluster
    needed = list(dict.fromkeys([entity, time, outcome, first_treat, *controls, cluster]))
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the panel")
    if not pd.api.types.is_integer_dtype(df[time]):
        raise ValueError(f"time column {time!r} must hold integer years, got dtype {df[time].dtype}")
    if df[entity].isna().any():
        raise ValueError(f"entity column {entity!r} has missing values")
    if df.duplicated([entity, time]).any():
        raise ValueError(f"({entity}, {time}) does not identify rows uniquely")
    g_raw = df[first_treat]
    if g_raw.isna().any() or not pd.api.types.is_numeric_dtype(g_raw):
        raise ValueError(f"first-treated column {first_treat!r} must be numeric and non-missing (0 = never treated)")
    g = g_raw.to_numpy(dtype=float)
    if not np.all(g == np.round(g)):
        raise ValueError(f"first-treated column {first_treat!r} must hold integer years (0 = never treated)")
    unit_codes, _ = pd.factorize(df[entity])
    g_min = np.full(unit_codes.max() + 1, np.inf)
    g_max = np.full(unit_codes.max() + 1, -np.inf)
    np.minimum.at(g_min, unit_codes, g)
    np.maximum.at(g_max, unit_codes, g)
    varying = int((g_min != g_max).sum())
    if varying:
        raise ValueError(
            f"treatment timing {first_treat!r} is not constant within entity for {varying} entit"
            f"{'y' if varying == 1 else 'ies'}; derive one first-treated year per entity first"
        )
    t_all = df[time].to_numpy(dtype=np.int64)
    years = np.unique(t_all)
    treated = g != 0
    outside = treated & ((g < years[0]) | (g > years[-1]))
    if outside.any():
        bad = sorted({int(v) for v in g[outside]})
        raise ValueError(
            f"first-treated year(s) {bad[:5]} outside the panel's years {years[0]}-{years[-1]}; "
            "code units first treated after the panel as never treated (0) or drop them"
        )

    frame = pd.DataFrame({"unit": df[entity].to_numpy(), "t": t_all, "y": df[outcome].to_numpy(),
                          "g": g.astype(np.int64), "cl": df[cluster].to_numpy()})
    for j, c in enumerate(controls):
        frame[f"x{j}"] = df[c].to_numpy()
    for c, canon in [(outcome, "y"), *zip(controls, [f"x{j}" for j in range(len(controls))], strict=True)]:
        if not pd.api.types.is_numeric_dtype(frame[canon]):
            raise ValueError(f"column {c!r} is not numeric (dtype {df[c].dtype})")
    complete = frame.notna().all(axis=1).to_numpy()
    n_missing = int((~complete).sum())
    frame = frame.loc[complete].reset_index(drop=True)
    if frame.empty:
        raise ValueError("no complete observations")
    num = ["y", *[f"x{j}" for j in range(len(controls))]]
    if not np.isfinite(frame[num].to_numpy(dtype=float)).all():
        raise ValueError("outcome or controls have infinite values")
    check_comparisons(frame["t"].to_numpy(), frame["g"].to_numpy())
    return StaggeredPanel(frame=frame, controls=controls, years=years, n_missing=n_missing)


def check_comparisons(t: np.ndarray, g: np.ndarray) -> None:
    """Refuse a panel in which no period has both a treated and an untreated (never or not-yet treated) row."""
    treated = (g > 0) & (t >= g)
    untreated = ~treated
    if not treated.any():
        raise ValueError("no treated observation: every first-treated year is 0 (never treated)")
    both = np.intersect1d(np.unique(t[treated]), np.unique(t[untreated]))
    if both.size == 0:
        raise ValueError(
            "no comparison units: no never-treated and no not-yet-treated observation in any treated period"
        )


def tidy_frame(terms: Sequence[str], est: np.ndarray, se: np.ndarray, df: int | None) -> pd.DataFrame:
    """Rows with t (df given: t distribution with df degrees of freedom) or z (df None) inference, 95% CI."""
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    crit = dist.norm_ppf(0.975) if df is None else dist.t_ppf(0.975, df)
    p_value = 2 * (dist.norm_sf(np.abs(stat)) if df is None else dist.t_sf(np.abs(stat), df))
    return pd.DataFrame({"term": list(terms), "estimate": est, "std_error": se, "statistic": stat,
                         "p_value": p_value, "conf_low": est - crit * se,
                         "conf_high": est + crit * se}, columns=list(TIDY_COLUMNS))


def wald_test(beta: np.ndarray, cov: np.ndarray, terms: Sequence[str], df_denom: int | None) -> PretrendTest | None:
    """W = b' V⁻¹ b for H0: b = 0; F = W/q with F(q, df_denom) when df_denom is given, else chi2(q). None if q = 0."""
    q = len(terms)
    if q == 0:
        return None
    beta = np.asarray(beta, dtype=float)
    wald = float(beta @ np.linalg.pinv(np.asarray(cov, dtype=float)) @ beta)
    if df_denom is None:
        return PretrendTest("chi2", wald, q, None, float(dist.chi2_sf(wald, q)), wald, tuple(terms))
    f = wald / q
    return PretrendTest("F", f, q, int(df_denom), float(dist.f_sf(f, q, df_denom)), wald, tuple(terms))


def event_term(e: int) -> str:
    return f"e={int(e)}"
