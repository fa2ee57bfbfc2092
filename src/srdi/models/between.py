"""Between estimator, as Stata `xtreg y x, be [wls]`: OLS on the entity means.

Why: it is the cross-sectional half of the RE estimator and the comparison some referees ask for. The rows are
the `panel` kind's (`xt_design`); time in `fe` adds the means of the year dummies (collinear with the constant in
a balanced panel, then dropped with a `CollinearityWarning`). Conventions (checked against Stata 13 output):
ȳ_i on [1, x̄_i], one row per entity, unweighted (`wls=True`: weights T_i, Stata's aweights, normalised to sum
to n); V = s²(X'WX)⁻¹, s² = Σ w_i e_i² / (n - K); t with n - K degrees of freedom (xtreg, be allows only the
conventional VCE: the spec's `vcov` is ignored). R²: between = the regression's (corr² of the fitted means with
ȳ_i, T_i-weighted under `wls`), within and overall as xtreg prints them (`random_effects`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from srdi.models.panel import CollinearityWarning
from srdi.models.random_effects import CONSTANT, _r_squared, kept_columns
from srdi.models.rows import t_inference
from srdi.models.spec import ModelSpec
from srdi.models.xt_design import build_design, group_means, xt_spec


@dataclass(frozen=True)
class BetweenResult:
    spec: ModelSpec
    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    conf_low: pd.Series
    conf_high: pd.Series
    cov: pd.DataFrame
    nobs: int  # firm-years behind the means
    n_entities: int
    df_resid: int  # n - K
    rmse: float
    r2_within: float
    r2_between: float
    r2_overall: float
    dropped_terms: tuple[str, ...]
    n_missing: int


def fit_between(
    df: pd.DataFrame, spec: ModelSpec | Mapping[str, Any], entity: str, time: str, name: str = "model",
    *, wls: bool = False,
) -> BetweenResult:
    """`xtreg y x [i.year], be [wls]` on the spec's rows."""
    spec = xt_spec(spec, entity, time, name, "the between estimator")
    d = build_design(df, replace(spec, vcov_type="unadjusted", cluster_by=()), entity, time)
    counts = np.bincount(d.entity).astype(float)
    n = counts.size
    ybar, xbar = group_means(d.y, d.entity, counts), group_means(d.x, d.entity, counts)
    x = np.column_stack([np.ones(n), xbar])
    names = [CONSTANT, *d.names]
    kept = kept_columns(x, x)
    dropped = tuple(names[j] for j in range(len(names)) if j not in kept)
    if dropped:
        warnings.warn(f"model {spec.name!r}: dropped collinear term(s) {list(dropped)}", CollinearityWarning,
                      stacklevel=2)
    kept = [*kept[1:], kept[0]] if kept and kept[0] == 0 else kept
    xk, names = x[:, kept], [names[j] for j in kept]
    w = counts * n / counts.sum() if wls else np.ones(n)
    sw = np.sqrt(w)
    beta = np.linalg.lstsq(xk * sw[:, None], ybar * sw, rcond=None)[0]
    resid = ybar - xk @ beta
    k = xk.shape[1]
    if n - k <= 0:
        raise ValueError(f"model {spec.name!r}: the between regression has no residual degrees of freedom")
    s2 = float(w @ resid**2) / (n - k)
    cov = s2 * np.linalg.inv(xk.T @ (xk * w[:, None]))
    b = np.zeros(d.x.shape[1])
    col_of = {nm: j for j, nm in enumerate(d.names)}
    for j, nm in enumerate(names):
        if nm != CONSTANT:
            b[col_of[nm]] = beta[j]
    r2w, r2b, r2o = _r_squared(d, b, counts, ybar, xbar)
    if wls:  # Stata: the weighted regression's R², i.e. the T_i-weighted squared correlation
        f, yc = xbar @ b, ybar
        f, yc = f - (w @ f) / n, yc - (w @ yc) / n
        r2b = float((w @ (f * yc)) ** 2 / ((w @ f**2) * (w @ yc**2)))
    return BetweenResult(
        spec=spec, **t_inference(beta, cov, n - k, names), cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=int(d.y.size), n_entities=n, df_resid=n - k, rmse=float(np.sqrt(s2)), r2_within=r2w, r2_between=r2b,
        r2_overall=r2o, dropped_terms=dropped, n_missing=d.n_missing,
    )
