r"""FE-vs-RE specification tests: the classic Hausman statistic and the cluster-robust Mundlak test.

Why both: the classic test (Stata `hausman fe re`) is what referees recognise, but it assumes the RE model is
efficient (homoskedastic, serially uncorrelated idiosyncratic errors) and can even be negative; the Mundlak /
Wooldridge (2010, §10.7.3) auxiliary regression is valid with cluster-robust inference and is the one to trust
when they disagree.

**Classic** (`hausman_fe_re`): b_c, V_c from `xtreg, fe` (within estimator, V = σ²_e (X̃'X̃)⁻¹ with
σ²_e = SSR/(N - n - k)) and b_e, V_e from `xtreg, re` (`random_effects`, conventional VCE), on the same rows.
H = (b_c - b_e)' (V_c - V_e)⁻ (b_c - b_e), χ² with df = rank(V_c - V_e) (Stata's default `df`). Compared:
every slope the two fits share (regressors, controls and, with time in `fe`, the year dummies, as Stata's
`hausman` compares all common coefficients; not the constant), or the `terms` given. `sigma`:

* `"default"`: each model's own covariance (Stata's default);
* `"more"`: both based on the efficient model's disturbance variance, V_c scaled by rmse²_RE / σ²_e,FE
  (Stata's `sigmamore`: "xtreg, re stores e(rmse), xtreg, fe stores e(sigma_e)");
* `"less"`: both on the consistent model's, V_e scaled by σ²_e,FE / rmse²_RE (`sigmaless`).

When V_c - V_e is not positive definite the Moore-Penrose inverse is used, df is its numerical rank
(eigenvalues above 1e-10 of the largest), `positive_definite` is False and the note says so, as Stata's
"(V_b-V_B is not positive definite)"; a negative statistic is reported as it is, with an empty p-value and
Stata's remark (χ² < 0: the data fail the asymptotic assumptions of the test). Stata inverts with `invsym`;
for a nonsingular difference both are the ordinary inverse; for a singular one they may differ (not checked).

**Mundlak** (`mundlak_test`): the entity means x̄_i of the time-varying regressors and controls (over the
estimation rows) are added to the RE regression (`method="re"`, Stata `xtreg y x xbar, re vce(cluster id)`
then `test xbar`) or to pooled OLS (`method="pooled"`, `regress y x xbar, vce(cluster id)` then `test`).
With time in `fe` the year dummies' means are added as well when they vary across entities (unbalanced
panel; in a balanced one they are constant), but not tested. Statistic: the Wald statistic W of the means'
coefficients with the model's covariance (xtreg / regress conventions: cluster factor G/(G-1)(N-1)/(N-K));
RE reports χ²(q) = W, pooled OLS F = W/q with F(q, G-1) (F(q, N-K) when not clustered), as Stata's `test`.
The coefficients on the time-varying regressors equal the FE (within) estimates exactly whenever every
time-varying column's mean is included (any panel for pooled OLS and RE alike; tested at 1e-10).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from srdi.models import dist
from srdi.models.random_effects import (
    CONSTANT,
    RandomEffectsResult,
    fit_random_effects_design,
    kept_columns,
    ols,
)
from srdi.models.spec import ModelSpec
from srdi.models.tidy import TIDY_COLUMNS
from srdi.models.xt_design import XtDesign, build_design, cluster_meat, group_means, xt_spec

SIGMA_CHOICES = ("default", "more", "less")
NEGATIVE_NOTE = "chi2 < 0: the model fitted on these data fails to meet the asymptotic assumptions of the Hausman test"
NOT_PD_NOTE = "V_b-V_B is not positive definite"
TEST_COLUMNS = ("equation", "method", "note", "df", "df_denom")


@dataclass(frozen=True)
class WithinFit:
    """`xtreg, fe` with the conventional VCE."""

    params: pd.Series
    cov: pd.DataFrame
    sigma2_e: float
    df_resid: int


@dataclass(frozen=True)
class HausmanResult:
    statistic: float
    df: int
    p_value: float  # NaN when the statistic is negative
    sigma: str
    positive_definite: bool
    note: str
    table: pd.DataFrame  # term, b_consistent (FE), b_efficient (RE), difference, std_error (sqrt diag of V_c - V_e)
    nobs: int
    n_entities: int
    fe: WithinFit
    re: RandomEffectsResult


def within_fit(d: XtDesign) -> WithinFit:
    """Within (FE) estimator on the design's rows; terms constant within entities or collinear are omitted."""
    counts = np.bincount(d.entity).astype(float)
    yw = d.y - group_means(d.y, d.entity, counts)[d.entity]
    xw = d.x - group_means(d.x, d.entity, counts)[d.entity]
    kept = kept_columns(xw, d.x)
    if not kept:
        raise ValueError(f"model {d.spec.name!r}: no regressor varies within entities")
    beta, resid = ols(yw, xw[:, kept])
    df_resid = d.y.size - counts.size - len(kept)
    if df_resid <= 0:
        raise ValueError(f"model {d.spec.name!r}: the within regression has no residual degrees of freedom")
    sigma2 = float(resid @ resid) / df_resid
    names = [d.names[j] for j in kept]
    cov = sigma2 * np.linalg.inv(xw[:, kept].T @ xw[:, kept])
    return WithinFit(pd.Series(beta, index=names), pd.DataFrame(cov, index=names, columns=names), sigma2, df_resid)


def hausman_statistic(
    b_c: np.ndarray, v_c: np.ndarray, b_e: np.ndarray, v_e: np.ndarray
) -> tuple[float, int, bool]:
    """(H, df, positive definite?) for H = d'(V_c - V_e)⁻d, d = b_c - b_e, df = rank(V_c - V_e)."""
    diff = np.asarray(v_c) - np.asarray(v_e)
    diff = (diff + diff.T) / 2
    d = np.asarray(b_c) - np.asarray(b_e)
    eig = np.linalg.eigvalsh(diff)
    tol = 1e-10 * max(float(np.abs(eig).max()), np.finfo(float).tiny)
    rank = int((np.abs(eig) > tol).sum())
    positive_definite = bool(eig.min() > tol)
    inv = np.linalg.inv(diff) if rank == diff.shape[0] else np.linalg.pinv(diff, rcond=1e-10, hermitian=True)
    return float(d @ inv @ d), rank, positive_definite


def hausman_fe_re(
    df: pd.DataFrame,
    spec: ModelSpec | Mapping[str, Any],
    entity: str,
    time: str,
    name: str = "model",
    *,
    sigma: str = "default",
    terms: Sequence[str] | None = None,
    drop_singletons: bool = False,
) -> HausmanResult:
    """Stata `xtreg y x, fe` / `xtreg y x, re` / `hausman fe re [, sigmamore|sigmaless]` on the spec's rows.

    The spec's `vcov` is ignored: the classic test needs the conventional covariances.
    """
    if sigma not in SIGMA_CHOICES:
        raise ValueError(f"sigma must be one of {list(SIGMA_CHOICES)}, got {sigma!r}")
    spec = xt_spec(spec, entity, time, name, "the Hausman test")
    spec = replace(spec, vcov_type="unadjusted", cluster_by=())
    d = build_design(df, spec, entity, time, drop_singletons=drop_singletons)
    fe = within_fit(d)
    re = fit_random_effects_design(d)
    common = [t for t in fe.params.index if t in re.params.index and t != CONSTANT]
    if terms is not None:
        missing = [t for t in terms if t not in common]
        if missing:
            raise ValueError(f"model {spec.name!r}: cannot compare {missing}: not estimated by both FE and RE")
        common = list(terms)
    if not common:
        raise ValueError(f"model {spec.name!r}: FE and RE have no coefficient in common")
    v_c = fe.cov.loc[common, common].to_numpy()
    v_e = re.cov.loc[common, common].to_numpy()
    s2_re = re.rmse**2
    if sigma == "more":
        v_c = v_c * s2_re / fe.sigma2_e
    elif sigma == "less":
        v_e = v_e * fe.sigma2_e / s2_re
    b_c, b_e = fe.params[common].to_numpy(), re.params[common].to_numpy()
    stat, rank, pd_ok = hausman_statistic(b_c, v_c, b_e, v_e)
    notes = [] if pd_ok else [NOT_PD_NOTE]
    if stat < 0:
        notes.append(NEGATIVE_NOTE)
    p = float(dist.chi2_sf(stat, rank)) if stat >= 0 and rank > 0 else float("nan")
    diag = np.diag(v_c - v_e)
    table = pd.DataFrame({"term": common, "b_consistent": b_c, "b_efficient": b_e, "difference": b_c - b_e,
                          "std_error": np.sqrt(np.where(diag > 0, diag, np.nan))})
    return HausmanResult(stat, rank, p, sigma, pd_ok, "; ".join(notes), table, int(d.y.size), d.n_entities, fe, re)


# ---------------------------------------------------------------------------------------------
# Mundlak / Wooldridge auxiliary regression


@dataclass(frozen=True)
class MundlakResult:
    statistic: float  # χ² = W (method "re") or F = W/q (method "pooled")
    df: int  # q, the number of tested means
    df_denom: int | None  # F denominator (pooled), None for χ²
    p_value: float
    wald: float  # W
    method: str
    tested: tuple[str, ...]  # names of the tested mean columns, "mean(x)"
    params: pd.Series  # the augmented regression's coefficients
    cov: pd.DataFrame
    nobs: int
    n_entities: int
    n_clusters: int | None


def mean_name(term: str) -> str:
    return f"mean({term})"


def mundlak_design(d: XtDesign) -> tuple[XtDesign, list[str]]:
    """The design with the entity means of the time-varying columns appended; names of the tested means."""
    counts = np.bincount(d.entity).astype(float)
    means = group_means(d.x, d.entity, counts)
    n_terms = len(d.spec.terms)
    varies = np.abs(d.x - means[d.entity]).max(axis=0) > 1e-12 * np.maximum(np.abs(d.x).max(axis=0), 1e-300)
    tested = [j for j in range(n_terms) if varies[j]]
    if not tested:
        raise ValueError(f"model {d.spec.name!r}: no regressor or control varies within entities")
    dummy_means = [j for j in range(n_terms, d.x.shape[1]) if np.ptp(means[:, j]) > 1e-12]
    cols = tested + dummy_means
    x = np.column_stack([d.x, means[d.entity][:, cols]])
    names = (*d.names, *(mean_name(d.names[j]) for j in cols))
    return replace(d, x=x, names=names), [mean_name(d.names[j]) for j in tested]


def _pooled(d: XtDesign) -> tuple[pd.Series, pd.DataFrame, int, int | None]:
    """`regress y x, vce(...)`: OLS with a constant; Stata regress small-sample factors."""
    x = np.column_stack([np.ones_like(d.y), d.x])
    names = [CONSTANT, *d.names]
    kept = kept_columns(x, x)
    xk = x[:, kept]
    beta, resid = ols(d.y, xk)
    n, k = xk.shape
    bread = np.linalg.inv(xk.T @ xk)
    if d.cluster is None:
        cov = float(resid @ resid) / (n - k) * bread
        g = None
    else:
        g = int(d.cluster.max()) + 1
        cov = g / (g - 1) * (n - 1) / (n - k) * bread @ cluster_meat(xk * resid[:, None], d.cluster) @ bread
    names = [names[j] for j in kept]
    return pd.Series(beta, index=names), pd.DataFrame(cov, index=names, columns=names), n - k, g


def mundlak_test(
    df: pd.DataFrame,
    spec: ModelSpec | Mapping[str, Any],
    entity: str,
    time: str,
    name: str = "model",
    *,
    method: str = "re",
    drop_singletons: bool = False,
) -> MundlakResult:
    """Wald test that the coefficients of the entity means are zero (module docstring), with the spec's vcov."""
    if method not in ("re", "pooled"):
        raise ValueError(f"method must be 're' or 'pooled', got {method!r}")
    spec = xt_spec(spec, entity, time, name, "the Mundlak test")
    d0 = build_design(df, spec, entity, time, drop_singletons=drop_singletons)
    d, tested = mundlak_design(d0)
    if method == "re":
        fit = fit_random_effects_design(d)
        params, cov, n_clusters, df_denom = fit.params, fit.cov, fit.n_clusters, None
    else:
        params, cov, df_resid, n_clusters = _pooled(d)
        df_denom = (n_clusters - 1) if n_clusters is not None else df_resid
    lost = [t for t in tested if t not in params.index]
    if lost:
        raise ValueError(f"model {spec.name!r}: entity mean(s) {lost} are collinear with the other regressors")
    b = params[tested].to_numpy()
    wald = float(b @ np.linalg.solve(cov.loc[tested, tested].to_numpy(), b))
    q = len(tested)
    if df_denom is None:
        statistic, p = wald, float(dist.chi2_sf(wald, q))
    else:
        statistic = wald / q
        p = float(dist.f_sf(statistic, q, df_denom))
    return MundlakResult(statistic, q, df_denom, p, wald, method, tuple(tested), params, cov, int(d.y.size),
                         d.n_entities, n_clusters)


# ---------------------------------------------------------------------------------------------
# estimates-file rows


def tidy_tests(
    model_name: str,
    spec: ModelSpec,
    hausman: HausmanResult | None = None,
    mundlak: MundlakResult | None = None,
) -> pd.DataFrame:
    """Diagnostic rows (`equation = diagnostic`): `term = hausman_fe_re` (method `sigma_<choice>`) and
    `term = mundlak` (method `re` or `pooled`); estimate, SE and CI empty; df (and df_denom for F) given."""
    rows = []
    base = {c: None for c in TIDY_COLUMNS}
    base.update(model=model_name, outcome=spec.outcome, fe="+".join(spec.fe), n_singletons=0, dropped_terms="")
    if hausman is not None:
        rows.append({**base, "term": "hausman_fe_re", "statistic": hausman.statistic, "p_value": hausman.p_value,
                     "nobs": hausman.nobs, "vcov": "unadjusted", "equation": "diagnostic",
                     "method": f"sigma_{hausman.sigma}", "note": hausman.note, "df": hausman.df, "df_denom": None})
    if mundlak is not None:
        vcov = "cluster:" + "+".join(spec.cluster_by) if spec.vcov_type == "cluster" else spec.vcov_type
        rows.append({**base, "term": "mundlak", "statistic": mundlak.statistic, "p_value": mundlak.p_value,
                     "nobs": mundlak.nobs, "n_clusters": mundlak.n_clusters, "vcov": vcov, "equation": "diagnostic",
                     "method": mundlak.method, "note": "means tested: " + ", ".join(mundlak.tested),
                     "df": mundlak.df, "df_denom": mundlak.df_denom})
    frame = pd.DataFrame(rows, columns=[*TIDY_COLUMNS, *TEST_COLUMNS])
    return frame.astype({"n_clusters": "Int64", "df": "Int64", "df_denom": "Int64", "nobs": "int64",
                         "n_singletons": "int64"})
