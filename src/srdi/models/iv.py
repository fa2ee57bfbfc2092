"""Two-stage least squares with any absorbed effects, ivreghdfe-style inference and diagnostics.

Stata equivalent: `ivreghdfe y controls (L.x = z), absorb(firm year) cluster(firm) first endog(L.x)` (any
`absorb()`, e.g. firm and industry#year).

Steps of `fit_iv` (the same conventions as `panel.fit_panel`, in the same order):

1. lag the `lag` terms by one calendar year on the full panel (`lag_by_time`);
2. keep rows flagged `in_sample`; build the leave-one-out instruments on those rows, from the (lagged)
   endogenous variables (`instruments.leave_one_out_mean`); then apply the `sample` query;
3. listwise deletion over outcome, endogenous, instruments, controls, cluster variables, the columns of the
   absorbed effects and keys;
4. drop singletons iteratively over the absorbed effects (any terms: `entity`, `time`, a column, `a^b`);
5. within-transform everything with one `hdfe.Absorber` (as `panel`). With the effects absorbed, 2SLS on the demeaned
   y, X, Z is exactly 2SLS with the dummies included as exogenous regressors (Frisch-Waugh-Lovell: the
   dummies are in both X and Z, so they partial out of both stages);
6. collinearity: controls collinear with each other are dropped with a `CollinearityWarning`; an
   endogenous variable or an excluded instrument that is collinear (with the controls, the other
   instruments, or absorbed by the effects) is an error naming the model and the column;
7. first stages (OLS of each endogenous variable on excluded instruments and controls), 2SLS second
   stage, and the covariance of each with reghdfe/ivreghdfe's small-sample factor (`vcov.compute_vcov`):
   for the second stage the sandwich uses the fitted regressors X̂ and the structural residuals
   y - Xb, and K counts the second-stage regressors (endogenous + kept controls) plus df_a;
8. the reduced form (outcome on excluded instruments and controls, `panel` conventions);
9. diagnostics (`iv_diagnostics`): Kleibergen-Paap rk LM and rk Wald F, Cragg-Donald F with Stock-Yogo
   critical values (`stock_yogo`), Sargan and Hansen J when over-identified, the Anderson-Rubin test and,
   for one endogenous regressor, the AR confidence set; and a control-function (Durbin-Wu-Hausman) test,
   with the conventions documented in docs/estimation.md ("Instrumental variables").
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from srdi.models import dist
from srdi.models.hdfe import Absorber, interact
from srdi.models.instruments import leave_one_out_mean, loo_name
from srdi.models.iv_diagnostics import ARSet, IVData, Test, anderson_rubin, ar_confidence_set, hansen_j, identification
from srdi.models.iv_diagnostics import sargan as sargan_test
from srdi.models.lags import lag_by_time
from srdi.models.panel import COLLINEAR_TOL, CollinearityWarning
from srdi.models.rows import numeric_matrix, sample_mask, t_inference
from srdi.models.spec import ModelSpec, check_entry, column_name, column_names, parse_spec
from srdi.models.stock_yogo import critical_values
from srdi.models.tidy import TIDY_COLUMNS, term_lag
from srdi.models.vcov import compute_vcov
from srdi.models.within import absorbed_dof, codes_of, singleton_mask

IV_KEYS = frozenset(
    {"kind", "outcome", "endogenous", "instruments", "loo_instrument", "controls", "fe", "vcov", "lag", "sample"}
)
IV_COLUMNS = (*TIDY_COLUMNS, "equation", "df1", "df2", "note")
AR_LEVEL = 0.95


# ---------------------------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class IVSpec:
    """One IV model; `base` holds fe / vcov / lag / sample as parsed by the panel parser."""

    name: str
    outcome: str
    endogenous: tuple[str, ...]
    instruments: tuple[str, ...]  # explicit panel columns
    loo_by: tuple[str, ...]  # cell columns of the leave-one-out instrument; () = none
    controls: tuple[str, ...]
    base: ModelSpec

    @property
    def loo_terms(self) -> tuple[str, ...]:
        return tuple(loo_name(e) for e in self.endogenous) if self.loo_by else ()

    @property
    def excluded(self) -> tuple[str, ...]:
        """Excluded instruments in report order: explicit ones, then LOO means."""
        return self.instruments + self.loo_terms

    def panel_columns(self, entity: str, time: str) -> tuple[str, ...]:
        """Columns the panel must have (the LOO terms are built, not read)."""
        cols = [entity, time, self.outcome, *self.endogenous, *self.instruments, *self.controls]
        return tuple(dict.fromkeys([*cols, *self.base.cluster_by, *self.loo_by, *self.fe_columns(entity, time)]))

    def fe_columns(self, entity: str, time: str) -> tuple[str, ...]:
        """Panel columns of the absorbed effects, aliases resolved."""
        return tuple(dict.fromkeys(c for parts in self.base.fe_columns(entity, time) for c in parts))


def _loo_by(raw: Any, name: str, entity: str, time: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping) or set(raw) != {"by"}:
        raise ValueError(f"model {name!r}: loo_instrument must be a mapping with one key 'by', got {raw!r}")
    aliases = {"entity": entity, "time": time}
    by = tuple(aliases.get(b, b) for b in column_names(raw["by"], "loo_instrument.by", name))
    if not by:
        raise ValueError(f"model {name!r}: loo_instrument.by must name at least one column")
    if entity in by:
        raise ValueError(f"model {name!r}: loo_instrument.by must not contain the entity column {entity!r}")
    return by


def parse_iv_spec(raw: Mapping[str, Any], name: str, entity: str, time: str) -> IVSpec:
    """Validate one `kind: iv` entry and fill in the defaults (fe [entity, time], cluster by entity,
    lag = the endogenous variables)."""
    if isinstance(raw, IVSpec):
        return raw
    check_entry(raw, IV_KEYS, "iv", name)
    outcome = column_name(raw.get("outcome"), "outcome", name)
    endogenous = column_names(raw.get("endogenous", ()), "endogenous", name)
    if not endogenous:
        raise ValueError(f"model {name!r}: endogenous must name at least one column")
    instruments = column_names(raw.get("instruments", ()) or (), "instruments", name)
    controls = column_names(raw.get("controls", ()) or (), "controls", name)
    loo_by = _loo_by(raw.get("loo_instrument"), name, entity, time)
    if not instruments and not loo_by:
        raise ValueError(f"model {name!r}: give instruments, loo_instrument, or both")

    roles = {"outcome": (outcome,), "endogenous": endogenous, "instruments": instruments, "controls": controls}
    seen: dict[str, str] = {}
    for role, cols in roles.items():
        for col in cols:
            if col in seen:
                raise ValueError(f"model {name!r}: column {col!r} is listed as both {seen[col]} and {role}")
            seen[col] = role
    if loo_by:
        for col in (loo_name(e) for e in endogenous):
            if col in seen:
                raise ValueError(f"model {name!r}: {col!r} is the built LOO instrument's name; rename the column")

    lag = raw.get("lag")
    if lag is not None:
        bad = [c for c in column_names(lag, "lag", name) if c not in seen or c == outcome]
        if bad:
            raise ValueError(f"model {name!r}: lag names {bad}, which are not endogenous, instruments or controls")
    panel_like: dict[str, Any] = {
        "kind": "panel",
        "outcome": outcome,
        "regressors": list(endogenous),
        "controls": [*controls, *instruments],
    }
    panel_like.update({k: raw[k] for k in ("fe", "vcov", "lag", "sample") if k in raw})
    base = parse_spec(panel_like, name, entity, time)
    return IVSpec(name, outcome, endogenous, instruments, loo_by, controls, base)


# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Equation:
    """Coefficients and inference of one estimated equation."""

    outcome: str
    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    conf_low: pd.Series
    conf_high: pd.Series
    cov: pd.DataFrame
    r2_within: float
    df_resid: int
    k_total: int
    vcov_scale: float


@dataclass(frozen=True)
class Diagnostic:
    """One `diagnostic` row: a test statistic (or a critical value) with its p-value and degrees of freedom."""

    term: str
    test: Test
    note: str = ""


@dataclass(frozen=True)
class IVResult:
    spec: IVSpec
    second_stage: Equation
    first_stages: tuple[Equation, ...]
    reduced_form: Equation
    diagnostics: tuple[Diagnostic, ...]  # in report order; see docs/estimation.md
    ar_set: ARSet | None  # one endogenous regressor only
    kp_rk_wald_f: float
    dwh_stat: float  # F = Wald / K1 of the first-stage residuals in the augmented regression
    dwh_pvalue: float
    dwh_df: tuple[int, int]
    nobs: int
    n_clusters: int | None
    n_singletons: int
    n_missing: int
    dropped_terms: tuple[str, ...]
    df_a: int


# ---------------------------------------------------------------------------------------------- helpers


def _residual(col: np.ndarray, basis: np.ndarray) -> np.ndarray:
    r = col.copy()
    for _ in range(2):  # re-orthogonalise once: classical Gram-Schmidt loses orthogonality
        r -= basis @ (basis.T @ r)
    return r


def _in_span(col_d: np.ndarray, col_raw: np.ndarray, basis: np.ndarray) -> tuple[bool, np.ndarray]:
    """Is the demeaned column in the span of `basis` (orthonormal)? Returns the basis extended if not."""
    scale = np.linalg.norm(col_raw)
    r = _residual(col_d, basis)
    norm = np.linalg.norm(r)
    if scale == 0 or norm <= COLLINEAR_TOL * scale:
        return True, basis
    return False, np.column_stack([basis, r / norm])


def _equation(
    outcome: str, names: list[str], beta: np.ndarray, cov: np.ndarray, vc_df: int, r2: float, vc: Any
) -> Equation:
    return Equation(
        outcome=outcome,
        **t_inference(beta, cov, vc_df, names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        r2_within=r2,
        df_resid=vc_df,
        k_total=vc.k_total,
        vcov_scale=vc.scale,
    )


def _wald(beta: np.ndarray, cov: np.ndarray) -> float:
    return float(beta @ np.linalg.solve(cov, beta))


# ---------------------------------------------------------------------------------------------- fit


def _prepare(df: pd.DataFrame, spec: IVSpec, entity: str, time: str) -> tuple[pd.DataFrame, int]:
    """Steps 1-3: lags, in_sample rows, LOO instruments, sample query, listwise deletion."""
    base = spec.base
    df = df.reset_index(drop=True)
    data = df.copy()
    if base.lag:
        data[list(base.lag)] = lag_by_time(df, base.lag, entity, time)
    flag = sample_mask(df, spec.name, None)
    for endog, term in zip(spec.endogenous, spec.loo_terms, strict=False):  # no LOO terms: no loop
        # Cells are the in-sample firm-years (before the model's own `sample` query), from the lagged values.
        data[term] = leave_one_out_mean(data[flag], endog, spec.loo_by).reindex(data.index)
    data = data[sample_mask(df, spec.name, base.sample)]
    needed = [entity, time, spec.outcome, *spec.endogenous, *spec.excluded, *spec.controls, *base.cluster_by,
              *spec.fe_columns(entity, time)]
    complete = data[list(dict.fromkeys(needed))].notna().all(axis=1)
    data = data[complete]
    if data.empty:
        raise ValueError(f"model {spec.name!r}: no complete observations in the sample")
    return data, int((~complete).sum())


def fit_iv(
    df: pd.DataFrame, spec: IVSpec | Mapping[str, Any], entity: str, time: str, name: str = "model"
) -> IVResult:
    """Estimate one IV model; see the module docstring for the steps and conventions."""
    spec = spec if isinstance(spec, IVSpec) else parse_iv_spec(spec, name, entity, time)
    for col in spec.panel_columns(entity, time):
        if col not in df.columns:
            raise ValueError(f"model {spec.name!r}: column {col!r} is not in the panel")
    base = spec.base
    data, n_missing = _prepare(df, spec, entity, time)

    fe_terms = base.fe_columns(entity, time)
    n_singletons = 0
    if fe_terms:
        keep = singleton_mask(_fe_codes(data, fe_terms))
        n_singletons = int((~keep).sum())
        data = data[keep]
        if data.empty:
            raise ValueError(f"model {spec.name!r}: no observations left after dropping singletons")
    fe_codes = _fe_codes(data, fe_terms)
    absorber = Absorber(fe_codes)  # built once (the exact two-way solve is factorised here), applied to every column

    def absorb(raw: np.ndarray) -> np.ndarray:
        return absorber.demean(np.array(raw, dtype=np.float64, order="F", copy=True))

    y_raw = numeric_matrix(data, [spec.outcome], spec.name)[:, 0]
    yd = absorb(y_raw)
    if np.linalg.norm(yd) <= 1e-12 * max(np.linalg.norm(y_raw), np.finfo(float).tiny):
        raise ValueError(
            f"model {spec.name!r}: outcome {spec.outcome!r} has no variation after absorbing "
            f"fixed effects ({base.fe_label})"
        )
    controls, wd, dropped = _kept_controls(data, spec, absorb)
    xd = _checked(data, spec, absorb, wd, spec.endogenous, "endogenous variable")
    zd = _checked(data, spec, absorb, wd, spec.excluded, "instrument")
    k1, l1 = xd.shape[1], zd.shape[1]
    if l1 < k1:
        raise ValueError(
            f"model {spec.name!r}: {l1} excluded instrument(s) {list(spec.excluded)} for {k1} endogenous "
            f"variable(s) {list(spec.endogenous)}: the model is not identified"
        )

    clusters = [codes_of(data[c]) for c in base.cluster_by] if base.vcov_type == "cluster" else []
    dof = absorbed_dof(fe_codes, clusters, len(data))

    # First stages: each endogenous variable on [excluded instruments, controls].
    z_all = np.column_stack([zd, wd])
    fs_names = [*spec.excluded, *controls]
    pi, *_ = np.linalg.lstsq(z_all, xd, rcond=None)
    v = xd - z_all @ pi
    first: list[Equation] = []
    for j, endog in enumerate(spec.endogenous):
        vc = compute_vcov(z_all, v[:, j], base.vcov_type, dof.df_a, clusters)
        r2 = float(1 - (v[:, j] @ v[:, j]) / (xd[:, j] @ xd[:, j]))
        first.append(_equation(endog, fs_names, pi[:, j], vc.cov, vc.df_resid, r2, vc))

    # Reduced form: the outcome on [excluded instruments, controls], same conventions as a first stage.
    rho, *_ = np.linalg.lstsq(z_all, yd, rcond=None)
    u = yd - z_all @ rho
    vc_rf = compute_vcov(z_all, u, base.vcov_type, dof.df_a, clusters)
    reduced = _equation(spec.outcome, fs_names, rho, vc_rf.cov, vc_rf.df_resid, float(1 - (u @ u) / (yd @ yd)), vc_rf)

    # Second stage: 2SLS = OLS of y on the fitted regressors; residuals use the actual regressors.
    x_all = np.column_stack([xd, wd])
    x_hat = np.column_stack([z_all @ pi, wd])
    beta, *_ = np.linalg.lstsq(x_hat, yd, rcond=None)
    e = yd - x_all @ beta
    vc2 = compute_vcov(x_hat, e, base.vcov_type, dof.df_a, clusters)
    ss_names = [*spec.endogenous, *controls]
    second = _equation(spec.outcome, ss_names, beta, vc2.cov, vc2.df_resid, float(1 - (e @ e) / (yd @ yd)), vc2)

    ivd = IVData(yd, xd, zd, wd, base.vcov_type, tuple(clusters), dof.df_a)
    diagnostics, ar_set = _diagnostics(ivd, e, float(beta[0]), float(second.std_errors.iloc[0]))
    kp_f = next(d.test.statistic for d in diagnostics if d.term == "kp_rk_wald_f")
    dwh, dwh_p, dwh_df = _control_function_test(yd, x_all, v, base.vcov_type, dof.df_a, clusters)
    return IVResult(
        spec=spec,
        second_stage=second,
        first_stages=tuple(first),
        reduced_form=reduced,
        diagnostics=diagnostics,
        ar_set=ar_set,
        kp_rk_wald_f=float(kp_f),
        dwh_stat=dwh,
        dwh_pvalue=dwh_p,
        dwh_df=dwh_df,
        nobs=len(data),
        n_clusters=vc2.n_clusters,
        n_singletons=n_singletons,
        n_missing=n_missing,
        dropped_terms=tuple(dropped),
        df_a=dof.df_a,
    )


def _fe_codes(data: pd.DataFrame, terms: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """Codes of each absorbed effect (a column, or the interaction of `a^b`'s columns) on the rows of `data`."""
    return [interact([codes_of(data[c]) for c in parts]) for parts in terms]


def _diagnostics(d: IVData, e: np.ndarray, beta: float, se: float) -> tuple[tuple[Diagnostic, ...], ARSet | None]:
    """The diagnostic rows in report order (docs/estimation.md) and, with one endogenous regressor, the AR set."""
    k1, l1 = d.x.shape[1], d.z.shape[1]
    ident = identification(d)
    f_df = (float(l1), float(d.f_df2()))
    rows = [
        Diagnostic("kp_rk_lm", ident.kp_rk_lm),
        Diagnostic("cd_wald_f", Test(ident.cd_wald_f, df1=l1, df2=d.n - d.n_instruments - d.sdof)),
        Diagnostic("kp_rk_wald_f", Test(ident.kp_rk_wald_f, df1=f_df[0], df2=f_df[1])),
    ]
    note = f"Stock-Yogo (2005) critical value for cd_wald_f, K1={k1}, L1={l1}"
    rows += [Diagnostic(term, Test(value), note) for term, value in critical_values(k1, l1).items()]
    if l1 > k1:
        rows.append(Diagnostic("sargan", sargan_test(d, e)))
        if d.vtype != "unadjusted":
            rows.append(Diagnostic("hansen_j", hansen_j(d, e)))
    ar_f, ar_chi2 = anderson_rubin(d)
    rows += [Diagnostic("ar_wald_f", ar_f, "H0: endogenous coefficients = 0"),
             Diagnostic("ar_wald_chi2", ar_chi2, "H0: endogenous coefficients = 0")]
    ar_set = ar_confidence_set(d, beta, se, AR_LEVEL) if k1 == 1 else None
    return tuple(rows), ar_set


def _kept_controls(
    data: pd.DataFrame, spec: IVSpec, absorb: Callable[[np.ndarray], np.ndarray]
) -> tuple[list[str], np.ndarray, list[str]]:
    """Demeaned controls minus the collinear ones, which are dropped with a warning (as in `panel`)."""
    raw = numeric_matrix(data, spec.controls, spec.name)
    dm = absorb(raw) if spec.controls else np.zeros((len(data), 0))
    basis = np.zeros((len(data), 0))
    kept: list[int] = []
    for j in range(raw.shape[1]):
        collinear, basis = _in_span(dm[:, j], raw[:, j], basis)
        if not collinear:
            kept.append(j)
    dropped = [c for j, c in enumerate(spec.controls) if j not in kept]
    if dropped:
        warnings.warn(
            f"model {spec.name!r}: dropped collinear control(s) {dropped} "
            "(collinear with other controls or absorbed by the fixed effects)",
            CollinearityWarning,
            stacklevel=3,
        )
    return [spec.controls[j] for j in kept], dm[:, kept], dropped


def _checked(
    data: pd.DataFrame,
    spec: IVSpec,
    absorb: Callable[[np.ndarray], np.ndarray],
    wd: np.ndarray,
    cols: Sequence[str],
    role: str,
) -> np.ndarray:
    """Demeaned columns, each required to add a dimension beyond the controls and the earlier ones."""
    raw = numeric_matrix(data, cols, spec.name)
    dm = absorb(raw)
    q, _ = np.linalg.qr(wd) if wd.shape[1] else (np.zeros((len(data), 0)), None)
    basis = q
    for j, col in enumerate(cols):
        collinear, basis = _in_span(dm[:, j], raw[:, j], basis)
        if collinear:
            raise ValueError(
                f"model {spec.name!r}: {role} {col!r} is perfectly collinear with the controls or the other "
                f"{role}s, or absorbed by the fixed effects ({spec.base.fe_label}); it cannot be used"
            )
    return dm


def _control_function_test(
    yd: np.ndarray, x_all: np.ndarray, v: np.ndarray, vtype: str, df_a: int, clusters: list[np.ndarray]
) -> tuple[float, float, tuple[int, int]]:
    """Regression-based endogeneity test: y on X and the first-stage residuals, Wald that theirs are zero.

    F = W / K1 with the same small-sample factor as everything else (K = k + K1 + df_a), p from F(K1, df),
    df = G - 1 when clustered (Stata `estat endogenous`' robust regression-based F after ivregress).
    """
    aug = np.column_stack([x_all, v])
    coef, *_ = np.linalg.lstsq(aug, yd, rcond=None)
    vc = compute_vcov(aug, yd - aug @ coef, vtype, df_a, clusters)
    k1 = v.shape[1]
    gamma = coef[-k1:]
    stat = _wald(gamma, vc.cov[-k1:, -k1:]) / k1
    return stat, float(dist.f_sf(stat, k1, vc.df_resid)), (k1, vc.df_resid)


# ---------------------------------------------------------------------------------------------- tidy


def _rows(eq: Equation, equation: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "outcome": eq.outcome,
            "term": list(eq.params.index),
            "estimate": eq.params.to_numpy(),
            "std_error": eq.std_errors.to_numpy(),
            "statistic": eq.tstats.to_numpy(),
            "p_value": eq.pvalues.to_numpy(),
            "conf_low": eq.conf_low.to_numpy(),
            "conf_high": eq.conf_high.to_numpy(),
            "r2_within": eq.r2_within,
            "equation": equation,
        }
    )


def _diagnostic_rows(result: IVResult) -> pd.DataFrame:
    """Tests (statistic, p_value, df1, df2, note), the AR set (one row per piece in conf_low / conf_high), DWH."""
    rows = [{"term": d.term, "statistic": d.test.statistic, "p_value": d.test.p_value, "df1": d.test.df1,
             "df2": d.test.df2, "note": d.note} for d in result.diagnostics]
    ar = result.ar_set
    if ar is not None:
        note = f"{ar.shape}; {ar.level:.0%} Anderson-Rubin confidence set of {result.spec.endogenous[0]}"
        pieces = ar.pieces or ((np.nan, np.nan),)
        rows += [{"term": "ar_set", "conf_low": lo, "conf_high": hi, "note": note} for lo, hi in pieces]
    rows.append({"term": "endogeneity_dwh", "statistic": result.dwh_stat, "p_value": result.dwh_pvalue,
                 "df1": result.dwh_df[0], "df2": result.dwh_df[1]})
    return pd.DataFrame(rows).assign(outcome=result.spec.outcome, equation="diagnostic")


def tidy_iv(result: IVResult, model_name: str) -> pd.DataFrame:
    """First-stage rows (per endogenous variable), reduced-form rows, second-stage rows, then diagnostic rows."""
    spec = result.spec
    diag = _diagnostic_rows(result)
    parts = [_rows(eq, "first_stage") for eq in result.first_stages]
    parts.append(_rows(result.reduced_form, "reduced_form"))
    frame = pd.concat([*parts, _rows(result.second_stage, "second_stage"), diag], ignore_index=True)
    frame["model"] = model_name
    frame["nobs"] = result.nobs
    frame["n_clusters"] = pd.array([result.n_clusters] * len(frame), dtype="Int64")
    frame["fe"] = spec.base.fe_label
    frame["vcov"] = spec.base.vcov_label
    frame["n_singletons"] = result.n_singletons
    frame["dropped_terms"] = ";".join(result.dropped_terms)
    lags = {**{t: term_lag(spec.base, t) for t in spec.base.terms}, **{loo_name(e): term_lag(spec.base, e)
                                                                       for e in spec.endogenous if spec.loo_by}}
    frame["lag"] = pd.array(frame["term"].map(lags).where(frame["equation"] != "diagnostic"), dtype="Int64")
    frame = frame.reindex(columns=list(IV_COLUMNS))
    frame["note"] = frame["note"].fillna("").astype(object)
    float_cols = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high", "r2_within", "df1", "df2"]
    return frame.astype({"nobs": "int64", "n_singletons": "int64", **dict.fromkeys(float_cols, "float64")})
