"""Linear panel regression with absorbed firm/year effects, reghdfe-style inference.

Pipeline of `fit_panel`, in the order Stata users expect from `reghdfe y L.x controls if ...`:

1. lag the named terms by one *calendar* year within entity (on the full panel, so the first
   sample year can use a pre-sample year, as `L.x` does);
2. keep the rows the panel stage flagged `in_sample` (if the column exists), then apply the `sample` query
   (evaluated on the unlagged columns);
3. listwise deletion over outcome, regressors, controls, cluster variables (and the panel keys);
4. drop singletons iteratively over the absorbed effects, and count them;
5. within-transform outcome and regressors (`within.demean`); refuse an outcome with no variation;
6. drop exactly collinear terms, judged on the demeaned design, with a warning naming them
   (regressors of interest are kept in preference to controls);
7. point estimates from linearmodels `PanelOLS` (entity_effects / time_effects; pooled OLS with a
   constant when no effect is absorbed);
8. covariance with reghdfe's small-sample convention (`vcov.compute_vcov`; documented there and in
   docs/estimation.md), t-based p-values and 95% CIs with G-1 (clustered) or N-K degrees of freedom.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from linearmodels import PanelOLS
from linearmodels.panel.utility import AbsorbingEffectWarning
from scipy import stats

from srdi.models.lags import lag_by_time
from srdi.models.spec import ModelSpec, check_columns, parse_spec
from srdi.models.vcov import compute_vcov
from srdi.models.within import absorbed_dof, codes_of, demean, singleton_mask

SAMPLE_FLAG = "in_sample"  # written by the panel stage (srdi.sample); rows flagged False are never used
COLLINEAR_TOL = 1e-9  # residual norm of a term, relative to its raw norm, below which it is dropped


class CollinearityWarning(UserWarning):
    """A regressor or control was dropped because it is collinear (or absorbed by the effects)."""


@dataclass(frozen=True)
class PanelResult:
    """Estimates and the model-level facts a results table reports."""

    spec: ModelSpec
    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    conf_low: pd.Series
    conf_high: pd.Series
    cov: pd.DataFrame
    nobs: int
    df_resid: int  # degrees of freedom of the t distribution used for inference
    r2_within: float  # 1 - RSS / TSS of the within-transformed outcome (centred R² for pooled OLS)
    n_clusters: int | None
    cluster_counts: tuple[int, ...]
    n_singletons: int
    n_missing: int  # rows of the sample removed by listwise deletion
    dropped_terms: tuple[str, ...]
    df_a: int  # absorbed FE parameters counted in K
    k_total: int  # K = kept regressors + df_a
    vcov_scale: float  # small-sample factor applied

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(self.params.index)


def _numeric(frame: pd.DataFrame, cols: list[str], name: str) -> np.ndarray:
    out = np.empty((len(frame), len(cols)))
    for j, col in enumerate(cols):
        series = frame[col]
        if pd.api.types.is_bool_dtype(series):
            series = series.astype(float)
        if not pd.api.types.is_numeric_dtype(series):
            raise ValueError(f"model {name!r}: column {col!r} is not numeric (dtype {series.dtype})")
        values = series.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise ValueError(f"model {name!r}: column {col!r} has infinite values")
        out[:, j] = values
    return out


def _independent_columns(xd: np.ndarray, x_raw: np.ndarray) -> list[int]:
    """Indices of columns kept, in order, each not in the span of the earlier kept ones."""
    basis = np.zeros((xd.shape[0], 0))
    kept: list[int] = []
    for j in range(xd.shape[1]):
        scale = np.linalg.norm(x_raw[:, j])
        r = xd[:, j].copy()
        for _ in range(2):  # re-orthogonalise once: classical Gram-Schmidt loses orthogonality
            r -= basis @ (basis.T @ r)
        norm = np.linalg.norm(r)
        if scale > 0 and norm > COLLINEAR_TOL * scale:
            kept.append(j)
            basis = np.column_stack([basis, r / norm])
    return kept


def fit_panel(
    df: pd.DataFrame, spec: ModelSpec | Mapping[str, Any], entity: str, time: str, name: str = "model"
) -> PanelResult:
    """Estimate one linear panel model; see the module docstring for the steps and conventions."""
    spec = parse_spec(spec, name, entity, time) if not isinstance(spec, ModelSpec) else spec
    check_columns(spec, df.columns, entity, time)
    df = df.reset_index(drop=True)
    data = df.copy()
    if spec.lag:
        data[list(spec.lag)] = lag_by_time(df, spec.lag, entity, time)
    keep = np.ones(len(df), dtype=bool)
    if SAMPLE_FLAG in df.columns:
        # The panel stage flags rather than deletes filtered firm-years, so the lags above could use them.
        keep &= df[SAMPLE_FLAG].fillna(False).to_numpy(dtype=bool)
    if spec.sample:
        try:
            mask = df.eval(spec.sample)
        except Exception as exc:  # pandas raises many types for a bad query
            raise ValueError(f"model {spec.name!r}: sample query {spec.sample!r} failed: {exc}") from exc
        if not isinstance(mask, pd.Series) or not pd.api.types.is_bool_dtype(mask):
            raise ValueError(f"model {spec.name!r}: sample query {spec.sample!r} is not a true/false filter")
        keep &= mask.fillna(False).to_numpy(dtype=bool)
    data = data[keep]

    needed = list(spec.required_columns(entity, time))
    complete = data[needed].notna().all(axis=1)
    n_missing = int((~complete).sum())
    data = data[complete]
    if data.empty:
        raise ValueError(f"model {spec.name!r}: no complete observations in the sample")

    fe_cols = [entity if f == "entity" else time for f in spec.fe]
    n_singletons = 0
    if fe_cols:
        keep = singleton_mask([codes_of(data[c]) for c in fe_cols])
        n_singletons = int((~keep).sum())
        data = data[keep]
        if data.empty:
            raise ValueError(f"model {spec.name!r}: no observations left after dropping singletons")
    fe_codes = [codes_of(data[c]) for c in fe_cols]

    terms = list(spec.terms)
    y = _numeric(data, [spec.outcome], spec.name)[:, 0]
    x_raw = _numeric(data, terms, spec.name)
    yd = demean(y, fe_codes)[:, 0]
    if np.linalg.norm(yd) <= 1e-12 * max(np.linalg.norm(y), np.finfo(float).tiny):
        raise ValueError(
            f"model {spec.name!r}: outcome {spec.outcome!r} has no variation after absorbing "
            f"fixed effects ({spec.fe_label})"
        )
    xd_all = demean(x_raw, fe_codes)
    kept = _independent_columns(xd_all, x_raw)
    dropped = [terms[j] for j in range(len(terms)) if j not in kept]
    kept_terms = [terms[j] for j in kept]
    if not kept_terms:
        raise ValueError(f"model {spec.name!r}: every regressor is collinear or absorbed: {terms}")

    params = _panelols_params(data, spec, entity, time, kept_terms)
    extra = [t for t in kept_terms if t not in params.index]
    if extra:  # linearmodels judged a nearly collinear term absorbed: drop it too, loudly
        kept_terms = [t for t in kept_terms if t in params.index]
        dropped += extra
        kept = [terms.index(t) for t in kept_terms]
    if dropped:
        warnings.warn(
            f"model {spec.name!r}: dropped collinear term(s) {dropped} "
            "(collinear with other regressors or absorbed by the fixed effects)",
            CollinearityWarning,
            stacklevel=2,
        )
    dropped = [t for t in terms if t in dropped]  # contract order

    xd = xd_all[:, kept]
    beta = params[kept_terms].to_numpy()
    resid = yd - xd @ beta
    clusters = [codes_of(data[c]) for c in spec.cluster_by] if spec.vcov_type == "cluster" else []
    dof = absorbed_dof(fe_codes, clusters, len(data))
    vc = compute_vcov(xd, resid, spec.vcov_type, dof.df_a, clusters)

    se = np.sqrt(np.diag(vc.cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = beta / se
    pval = 2 * stats.t.sf(np.abs(tstat), vc.df_resid)
    crit = stats.t.ppf(0.975, vc.df_resid)

    def series(values: np.ndarray) -> pd.Series:
        return pd.Series(values, index=kept_terms, dtype=float)

    return PanelResult(
        spec=spec,
        params=series(beta),
        std_errors=series(se),
        tstats=series(tstat),
        pvalues=series(pval),
        conf_low=series(beta - crit * se),
        conf_high=series(beta + crit * se),
        cov=pd.DataFrame(vc.cov, index=kept_terms, columns=kept_terms),
        nobs=len(data),
        df_resid=vc.df_resid,
        r2_within=float(1 - (resid @ resid) / (yd @ yd)),
        n_clusters=vc.n_clusters,
        cluster_counts=vc.cluster_counts,
        n_singletons=n_singletons,
        n_missing=n_missing,
        dropped_terms=tuple(dropped),
        df_a=dof.df_a,
        k_total=vc.k_total,
        vcov_scale=vc.scale,
    )


def _panelols_params(
    data: pd.DataFrame, spec: ModelSpec, entity: str, time: str, terms: list[str]
) -> pd.Series:
    """Point estimates from linearmodels PanelOLS on the estimation sample."""
    frame = data[[entity, time, spec.outcome, *terms]].astype({spec.outcome: float, **dict.fromkeys(terms, float)})
    frame = frame.set_index([entity, time])
    exog = frame[terms]
    if not spec.fe:
        exog = exog.assign(_const=1.0)
    model = PanelOLS(
        frame[spec.outcome],
        exog,
        entity_effects="entity" in spec.fe,
        time_effects="time" in spec.fe,
        drop_absorbed=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AbsorbingEffectWarning)
        res = model.fit(cov_type="unadjusted")
    return res.params.drop("_const", errors="ignore")
