"""Mediation (kind `mediation`): stepwise Baron-Kenny / Wen & Ye (2014) with Sobel and cluster bootstrap.

Three linear FE regressions on ONE common estimation sample and ONE timing, each fitted by `fit_panel`
so FE, vcov, collinearity and singleton conventions are those of the `panel` kind:

    total     Y(t)     = c  X(t-l_X)                + controls + FE
    mediator  M(t-l_M) = a  X(t-l_X)                + controls + FE
    outcome   Y(t)     = c' X(t-l_X) + b M(t-l_M)   + controls + FE

The lags l_X >= l_M (and the controls' lags) are the model's `timing` (`mediation_timing`): every variable
is shifted once, on the full panel, and the three equations use the same shifted columns. The common
sample is the rows complete for all of them and the cluster columns, then iteratively singleton-free: with
the same rows, regressors and effects, c = c' + a b is an algebraic identity (Frisch-Waugh-Lovell).

The indirect effect a b is reported with the first-order Sobel SE and with firm-cluster bootstrap CIs
(percentile and bias-corrected) from `bootstrap.WeightedFE` (draws as frequency weights, no refitting;
`bootstrap_refit` is the slow reference it is tested against). Jiang (2022) two-step rows repeat the
total effect and the X -> M coefficient, for authors who argue M -> Y from theory instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from srdi.blas_threads import limit_blas
from srdi.models import dist
from srdi.models.bootstrap import Z_CRIT, WeightedFE, bc_ci, draw_counts, duplicate_clusters, percentile_ci
from srdi.models.draws import resample
from srdi.models.mediation_timing import Timing, lag_label, parse_timing, shifted_columns
from srdi.models.panel import PanelResult, fit_panel
from srdi.models.rows import SAMPLE_FLAG, sample_mask
from srdi.models.spec import ModelSpec, check_entry, column_name, column_names, parse_spec
from srdi.models.tidy import TIDY_COLUMNS, tidy
from srdi.models.unobserved import no_rows_error
from srdi.models.within import codes_of, is_nested, singleton_mask
from srdi.sample_query import check_sample

ALLOWED_KEYS = frozenset(
    {"kind", "treatment", "mediator", "outcome", "controls", "fe", "vcov", "timing", "lag", "lag_years", "sample",
     "bootstrap"}
)
DEFAULT_REPS = 1000
PROPORTION_ALPHA = 0.05  # the proportion mediated is reported only if the total effect is significant at this level
DRAW_CHUNK = 250  # bootstrap draws processed together
EXTRA_COLUMNS = ("equation", "method", "note", "reps", "outcome_lag")
EQUATIONS = ("total", "mediator", "outcome")
TWO_STEP_NOTES = {
    "total": "Jiang (2022) step 1: total effect of X on Y (the baseline)",
    "mediator": "Jiang (2022) step 2: effect of X on M; the M -> Y link is argued from theory and "
    "literature, not estimated",
}


@dataclass(frozen=True)
class MediationSpec:
    """One mediation model with defaults filled in; `equations` are the three `panel` specs."""

    name: str
    treatment: str
    mediator: str
    outcome: str
    controls: tuple[str, ...]
    timing: Timing
    sample: str | None
    reps: int
    cluster: str  # panel column whose levels are resampled
    equations: dict[str, ModelSpec] = field(repr=False)  # fitted on the shifted columns: their own lag is ()

    @property
    def fe(self) -> tuple[str, ...]:
        return self.equations["total"].fe

    @property
    def path(self) -> str:
        """The chain with its timing, e.g. 'L2.coinnov -> L.digital -> srdi_index'."""
        lx, lm = self.timing.of(self.treatment), self.timing.of(self.mediator)
        return f"{lag_label(self.treatment, lx)} -> {lag_label(self.mediator, lm)} -> {self.outcome}"


def _bootstrap_opts(raw: Any, name: str, entity: str, time: str) -> tuple[int, str]:
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise ValueError(f"model {name!r}: bootstrap must be a mapping with reps and cluster, got {raw!r}")
    extra = sorted(set(raw) - {"reps", "cluster"})
    if extra:
        raise ValueError(f"model {name!r}: unknown bootstrap key(s) {extra}; allowed: ['cluster', 'reps']")
    reps = raw.get("reps", DEFAULT_REPS)
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 2:
        raise ValueError(f"model {name!r}: bootstrap.reps must be an integer >= 2, got {reps!r}")
    cluster = column_name(raw.get("cluster", "entity"), "bootstrap.cluster", name)
    return reps, {"entity": entity, "time": time}.get(cluster, cluster)


def parse_mediation_spec(raw: Mapping[str, Any], name: str, entity: str, time: str) -> MediationSpec:
    """Validate one `kind: mediation` entry and build the three equation specs (errors name the model)."""
    check_entry(raw, ALLOWED_KEYS, "mediation", name)
    x = column_name(raw.get("treatment"), "treatment", name)
    m = column_name(raw.get("mediator"), "mediator", name)
    y = column_name(raw.get("outcome"), "outcome", name)
    if len({x, m, y}) != 3:
        raise ValueError(f"model {name!r}: treatment, mediator and outcome must differ, got {x!r}, {m!r}, {y!r}")
    controls = column_names(raw.get("controls", ()), "controls", name)
    clash = sorted({x, m, y} & set(controls))
    if clash:
        raise ValueError(f"model {name!r}: {clash} listed both as a control and as treatment/mediator/outcome")
    timing = parse_timing(raw, name, x, m, controls)
    reps, cluster = _bootstrap_opts(raw.get("bootstrap"), name, entity, time)
    common = {"kind": "panel", "controls": list(controls), "fe": raw.get("fe", ["entity", "time"]),
              "vcov": raw.get("vcov"), "lag": []}
    raws = {
        "total": {**common, "outcome": y, "regressors": [x]},
        "mediator": {**common, "outcome": m, "regressors": [x]},
        "outcome": {**common, "outcome": y, "regressors": [x, m]},
    }
    equations = {eq: parse_spec(r, name, entity, time) for eq, r in raws.items()}
    sample = check_sample(raw.get("sample"), name)  # parsed now: a refused query stops before any fit
    return MediationSpec(name, x, m, y, controls, timing, sample, reps, cluster, equations)


# ---------------------------------------------------------------------------------------------
# the common estimation sample


@dataclass(frozen=True)
class MediationData:
    """The common estimation sample as the three equations see it: every variable already shifted by its
    lag under its own name, so the mediator equation's dependent variable IS the outcome equation's M."""

    frame: pd.DataFrame  # entity, time, cluster columns and the variables below, one row per firm-year used
    entity: str
    time: str
    cluster: str
    fe: tuple[str, ...]
    y: str
    m: str
    x: str
    controls: dict[str, tuple[str, ...]]  # controls kept by each equation (collinear ones dropped)
    n_singletons: int
    n_missing: int

    @property
    def variables(self) -> list[str]:
        """Columns of Z in the bootstrap: y, m, x, then every control kept anywhere."""
        kept = [c for eq in EQUATIONS for c in self.controls[eq]]
        return list(dict.fromkeys([self.y, self.m, self.x, *kept]))

    def codes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return codes_of(self.frame[self.entity]), codes_of(self.frame[self.time]), codes_of(self.frame[self.cluster])

    def regression(self, eq: str) -> tuple[str, list[str]]:
        """(dependent variable, regressors) of one equation, in Z's column names."""
        dep = self.m if eq == "mediator" else self.y
        first = [self.x, self.m] if eq == "outcome" else [self.x]
        return dep, [*first, *self.controls[eq]]


def _check_columns(df: pd.DataFrame, ms: MediationSpec, entity: str, time: str) -> None:
    spec = ms.equations["outcome"]
    needed = [entity, time, ms.outcome, ms.mediator, ms.treatment, *ms.controls, *spec.cluster_by, ms.cluster]
    for col in dict.fromkeys(needed):
        if col not in df.columns:
            raise ValueError(f"model {ms.name!r}: column {col!r} is not in the panel")


def shifted_panel(df: pd.DataFrame, ms: MediationSpec, entity: str, time: str) -> pd.DataFrame:
    """Keys, cluster columns and the model's variables, each variable replaced by its value at its lag
    (on the full panel, so the first sample year can use a pre-sample year, as L.x does); same rows as `df`."""
    df = df.reset_index(drop=True)
    cols = list(dict.fromkeys([ms.outcome, ms.mediator, ms.treatment, *ms.controls]))
    keys = [c for c in dict.fromkeys([entity, time, ms.cluster, *ms.equations["outcome"].cluster_by]) if c not in cols]
    work = df[keys].copy()
    work[cols] = shifted_columns(df, ms.timing, cols, entity, time)
    return work


def common_sample(df: pd.DataFrame, ms: MediationSpec, entity: str, time: str) -> tuple[np.ndarray, pd.DataFrame, int]:
    """Rows of `df` (after reset_index) used by all three equations, the shifted working frame of those
    rows, and the singletons dropped. Steps 1-4 of fit_panel, over the union of the equations' columns."""
    df = df.reset_index(drop=True)
    work = shifted_panel(df, ms, entity, time)
    in_sample = sample_mask(df, ms.name, ms.sample)  # the query sees the unlagged columns, as in fit_panel
    keep = in_sample & work.notna().all(axis=1).to_numpy()
    n_missing = int(in_sample.sum() - keep.sum())
    if set(ms.fe) - {"entity", "time"}:
        raise ValueError(f"model {ms.name!r}: this kind absorbs only entity and time effects, got {list(ms.fe)}")
    fe_cols = [entity if f == "entity" else time for f in ms.fe]
    n_singletons = 0
    if fe_cols and keep.any():
        idx = np.flatnonzero(keep)
        ok = singleton_mask([codes_of(work[c].to_numpy()[idx]) for c in fe_cols])
        n_singletons = int((~ok).sum())
        keep[idx[~ok]] = False
    if not keep.any():
        if n_singletons:
            raise ValueError(f"model {ms.name!r}: no observations common to the three equations are left after "
                             f"dropping {n_singletons} singletons")
        labels = {_label(ms, c): work[c] for c in work.columns}
        raise no_rows_error(ms.name, in_sample, labels, df[[entity, time]], ms.sample)
    out = work[keep].reset_index(drop=True)
    out.attrs["n_missing"] = n_missing
    return keep, out, n_singletons


def _label(ms: MediationSpec, col: str) -> str:
    k = ms.timing.of(col)
    return col if k == 0 else f"{col} (lagged {k} year{'s' if k > 1 else ''})"


# ---------------------------------------------------------------------------------------------
# fitting


@dataclass(frozen=True)
class MediationResult:
    spec: MediationSpec
    results: dict[str, PanelResult]  # total, mediator, outcome
    data: MediationData
    draws: np.ndarray  # (reps, 4): a, b, c, c' per bootstrap draw
    seed: int

    @property
    def a(self) -> float:
        return float(self.results["mediator"].params[self.spec.treatment])

    @property
    def b(self) -> float:
        return float(self.results["outcome"].params[self.spec.mediator])

    @property
    def c(self) -> float:
        return float(self.results["total"].params[self.spec.treatment])

    @property
    def c_prime(self) -> float:
        return float(self.results["outcome"].params[self.spec.treatment])


def _fit_equations(df: pd.DataFrame, ms: MediationSpec, keep: np.ndarray, entity: str, time: str) -> dict:
    """fit_panel on the shifted panel (every variable at its lag, computed on the full panel) restricted to
    the common rows; the equation specs lag nothing themselves."""
    panel = shifted_panel(df, ms, entity, time)
    panel[SAMPLE_FLAG] = keep
    out = {}
    for eq, spec in ms.equations.items():
        res = fit_panel(panel, spec, entity, time)
        required = [ms.treatment, ms.mediator] if eq == "outcome" else [ms.treatment]
        lost = [t for t in required if t not in res.params.index]
        if lost:
            raise ValueError(f"model {ms.name!r}: {lost} dropped as collinear in the {eq} equation")
        out[eq] = res
    return out


def _data(ms: MediationSpec, frame: pd.DataFrame, results: dict, entity: str, time: str, singles: int) -> MediationData:
    kept = {eq: tuple(c for c in ms.controls if c in results[eq].params.index) for eq in EQUATIONS}
    frame = frame.copy()
    for col in dict.fromkeys([ms.outcome, ms.mediator, ms.treatment, *ms.controls]):
        frame[col] = frame[col].astype(float)
    return MediationData(frame, entity, time, ms.cluster, ms.fe, ms.outcome, ms.mediator, ms.treatment,
                         kept, singles, int(frame.attrs.get("n_missing", 0)))


def bootstrap_fast(data: MediationData, counts: np.ndarray) -> np.ndarray:
    """(B, 4) draws of a, b, c, c' from the (B x G) count matrix, as weighted FE regressions."""
    counts = np.atleast_2d(counts)
    entity, time, cluster = data.codes()
    if "entity" in data.fe and not is_nested(entity, cluster):
        raise ValueError(f"bootstrap clusters {data.cluster!r} must contain whole firms when firm effects are absorbed")
    names = data.variables
    z = data.frame[names].to_numpy(dtype=float)
    wfe = WeightedFE.build(z, entity, time, cluster, data.fe)
    col = {n: j for j, n in enumerate(names)}
    chunks = []
    for start in range(0, len(counts), DRAW_CHUNK):  # bounds memory for large B x G
        s = wfe.cross_products(counts[start : start + DRAW_CHUNK])

        def coefs(eq: str, s: np.ndarray = s) -> np.ndarray:
            dep, regs = data.regression(eq)
            return wfe.coefficients(s, col[dep], [col[r] for r in regs])

        total, med, out = coefs("total"), coefs("mediator"), coefs("outcome")
        chunks.append(np.column_stack([med[:, 0], out[:, 1], total[:, 0], out[:, 0]]))
    return np.vstack(chunks)


def _panelols_coefs(frame: pd.DataFrame, data: MediationData, dep: str, regs: list[str]) -> np.ndarray:
    from linearmodels import PanelOLS  # the reference engine only: linearmodels costs ~2 s of start-up
    from linearmodels.panel.utility import AbsorbingEffectWarning

    sub = frame.set_index([data.entity, data.time])
    exog = sub[regs]
    if not data.fe:
        exog = exog.assign(_const=1.0)
    model = PanelOLS(sub[dep], exog, entity_effects="entity" in data.fe, time_effects="time" in data.fe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AbsorbingEffectWarning)
        return model.fit(cov_type="unadjusted").params[regs].to_numpy()


def bootstrap_refit(data: MediationData, counts: np.ndarray, engine: str = "fit_panel") -> np.ndarray:
    """The slow reference: duplicate the drawn clusters (copies relabelled as new firms) and refit the
    three equations per draw with `fit_panel` or linearmodels `PanelOLS`. Same layout as bootstrap_fast."""
    entity, _, cluster = data.codes()
    out = np.empty((len(counts), 4))
    for i, row in enumerate(np.atleast_2d(counts)):
        dup = duplicate_clusters(data.frame, row, data.entity, cluster, entity)
        coefs = {}
        for eq in EQUATIONS:
            dep, regs = data.regression(eq)
            if engine == "fit_panel":
                spec = {"kind": "panel", "outcome": dep, "regressors": regs[:1 + (eq == "outcome")],
                        "controls": regs[1 + (eq == "outcome"):], "fe": list(data.fe), "lag": [],
                        "vcov": {"type": "unadjusted"}}
                coefs[eq] = fit_panel(dup, spec, data.entity, data.time, "bootstrap").params[regs].to_numpy()
            elif engine == "panelols":
                coefs[eq] = _panelols_coefs(dup, data, dep, regs)
            else:
                raise ValueError(f"unknown refit engine {engine!r}")
        out[i] = coefs["mediator"][0], coefs["outcome"][1], coefs["total"][0], coefs["outcome"][0]
    return out


@limit_blas()
def fit_mediation(
    df: pd.DataFrame, spec: MediationSpec | Mapping[str, Any], entity: str, time: str, name: str = "model",
    seed: int = 0,
) -> MediationResult:
    """Fit the three equations on their common sample and bootstrap a, b, c, c' (see module docstring)."""
    ms = spec if isinstance(spec, MediationSpec) else parse_mediation_spec(spec, name, entity, time)
    _check_columns(df, ms, entity, time)
    keep, frame, singles = common_sample(df, ms, entity, time)
    results = _fit_equations(df, ms, keep, entity, time)
    data = _data(ms, frame, results, entity, time, singles)
    n_clusters = int(codes_of(frame[ms.cluster]).max()) + 1
    try:
        draws = resample("bootstrap", ms.reps,
                         lambda idx: bootstrap_fast(data, draw_counts(n_clusters, ms.reps, seed, idx)))
    except ValueError as exc:
        raise ValueError(f"model {ms.name!r}: {exc}") from exc
    return MediationResult(ms, results, data, draws, seed)


# ---------------------------------------------------------------------------------------------
# tidy output


def _derived_row(res: MediationResult, base: dict, term: str, estimate: float, **kw: Any) -> dict:
    row = {**base, "term": term, "lag": pd.NA, "estimate": estimate, "std_error": np.nan, "statistic": np.nan,
           "p_value": np.nan, "conf_low": np.nan, "conf_high": np.nan, "r2_within": np.nan,
           "equation": "indirect", "method": "", "note": "", "reps": pd.NA, "outcome_lag": 0}
    row.update(kw)
    return row


def proportion_mediated(ab: float, c: float, p_c: float) -> tuple[float, str]:
    """a*b / c where it is a share of a total effect, else NaN; the note says which and why.

    Rule: reported only if a*b and c are non-zero with the same sign (otherwise the ratio is no share:
    inconsistent mediation / suppression) and the total effect is significant at 5% in the total equation
    (p_c < 0.05, i.e. |c| / SE(c) above the t(G-1) critical value): with c near zero relative to its SE
    the ratio is dominated by noise in its denominator and can take any size (MacKinnon, Warsi & Dwyer 1995
    find it unstable unless samples and effects are large)."""
    ratio = ab / c if c != 0 else np.nan
    if not (np.isfinite(ratio) and ab != 0 and np.sign(ab) == np.sign(c)):
        return np.nan, (f"not reported: a*b and c differ in sign or are zero (ratio {ratio:.3g}; inconsistent "
                        "mediation / suppression), so a*b / c is not a share")
    if not p_c < PROPORTION_ALPHA:
        return np.nan, (f"not reported: the total effect c is not significant at 5% (p = {p_c:.3g}), so a*b / c "
                        f"(= {ratio:.3g}) is dominated by noise in c")
    if ratio > 1:
        return ratio, "a*b / c; above 1 because the direct effect c' has the opposite sign of c"
    return ratio, "a*b / c (same sign, total effect significant at 5%)"


def indirect_rows(res: MediationResult, model_name: str) -> list[dict]:
    """Sobel, bootstrap percentile and BC rows of a*b, and the proportion mediated."""
    ms = res.spec
    a, b, c = res.a, res.b, res.c
    se_a = float(res.results["mediator"].std_errors[ms.treatment])
    se_b = float(res.results["outcome"].std_errors[ms.mediator])
    ab = a * b
    se = float(np.sqrt(a**2 * se_b**2 + b**2 * se_a**2))
    z = ab / se if se > 0 else np.nan
    path = ms.path
    out_res = res.results["outcome"]
    base = {"model": model_name, "outcome": ms.outcome, "nobs": out_res.nobs, "n_clusters": out_res.n_clusters,
            "fe": out_res.spec.fe_label, "vcov": out_res.spec.vcov_label, "n_singletons": res.data.n_singletons,
            "dropped_terms": ""}
    ab_draws = res.draws[:, 0] * res.draws[:, 1]
    boot_sd = float(np.std(ab_draws, ddof=1))
    reps = len(ab_draws)
    p_lo, p_hi = percentile_ci(ab_draws)
    bc_lo, bc_hi = bc_ci(ab_draws, ab)
    bc_note = "" if np.isfinite(bc_lo) else "undefined: every draw lies on one side of the estimate"
    share, prop_note = proportion_mediated(ab, c, float(res.results["total"].pvalues[ms.treatment]))
    return [
        _derived_row(res, base, "indirect", ab, std_error=se, statistic=z, p_value=2 * dist.norm_sf(abs(z)),
                     conf_low=ab - Z_CRIT * se, conf_high=ab + Z_CRIT * se, method="sobel",
                     note=f"{path}; first-order Sobel SE, normal p"),
        _derived_row(res, base, "indirect", ab, std_error=boot_sd, conf_low=p_lo, conf_high=p_hi,
                     method="bootstrap_percentile", note=f"{path}; SE = SD of bootstrap draws", reps=reps),
        _derived_row(res, base, "indirect", ab, std_error=boot_sd, conf_low=bc_lo, conf_high=bc_hi,
                     method="bootstrap_bc", note=bc_note or path, reps=reps),
        _derived_row(res, base, "proportion_mediated", share, note=f"{path}; {prop_note}"),
    ]


def tidy_mediation(res: MediationResult, model_name: str) -> pd.DataFrame:
    """Rows of docs/estimates_format.md (`mediation`): equations, indirect effect, Jiang two-step."""
    timing = res.spec.timing
    parts = []
    for eq in EQUATIONS:
        part = tidy(res.results[eq], model_name).assign(equation=eq, method="", note="")
        part["n_singletons"] = res.data.n_singletons  # singletons of the common sample, dropped before fit_panel
        part["lag"] = part["term"].map(timing.of).astype("Int64")  # fit_panel saw pre-shifted columns
        part["outcome_lag"] = timing.of(res.spec.mediator) if eq == "mediator" else 0
        parts.append(part)
    rows = pd.DataFrame(indirect_rows(res, model_name))
    two_step = []
    for eq in ("total", "mediator"):
        eq_rows = parts[EQUATIONS.index(eq)]
        two_step.append(eq_rows[eq_rows["term"] == res.spec.treatment].assign(
            equation="jiang_two_step", method="two_step", note=TWO_STEP_NOTES[eq]))
    frame = pd.concat([*parts, rows, *two_step], ignore_index=True)
    frame["reps"] = pd.array(frame.get("reps", pd.Series(pd.NA, index=frame.index)), dtype="Int64")
    frame["n_clusters"] = pd.array(frame["n_clusters"], dtype="Int64")
    frame["lag"] = pd.array(frame["lag"], dtype="Int64")
    frame = frame.astype({"nobs": "int64", "n_singletons": "int64", "outcome_lag": "int64"})
    return frame[[*TIDY_COLUMNS, *EXTRA_COLUMNS]]


def fit_mediation_frame(
    panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int
) -> pd.DataFrame:
    """The `mediation` entry of the kinds registry."""
    return tidy_mediation(fit_mediation(panel, spec, entity, time, name, seed), name)
