r"""Random effects by feasible GLS, as Stata `xtreg y x, re` (default, not `sa`), on the `panel` kind's rows.

Why a separate estimator: referees ask for RE next to FE (and for the Hausman test between them), and
`xtreg, re` is the reference they compare with. Conventions, each checked against Stata 13 output
(tests/test_random_effects.py):

* Variance components, Stata's default consistent estimator ([XT] xtreg, Methods and formulas), balanced and
  unbalanced alike:
  σ²_e = SSR_w / (N - n - k_w), with SSR_w, k_w the residual sum of squares and the rank of the within
  (entity-demeaned) regression: regressors constant within every entity, or collinear with others after
  demeaning (experience given year dummies), do not count (Stata's `xtreg, fe` omits them);
  σ²_u = max(0, SSR_b / (n - K_b) - σ²_e / T̄), with SSR_b, K_b from the unweighted between regression of
  the entity means ȳ_i on [1, x̄_i] (K_b its rank, constant included) and T̄ = n / Σ 1/T_i the harmonic mean.
  Stata's `sa` option (Baltagi-Chang 1994 small-sample components for unbalanced panels) is not implemented.
* θ_i = 1 - sqrt(σ²_e / (T_i σ²_u + σ²_e)), one per entity; OLS of y_it - θ_i ȳ_i on (1 - θ_i) and
  x_it - θ_i x̄_i gives the coefficients (`_cons` included).
* Covariance: `unadjusted` is that regression's s² (X*'X*)⁻¹ with s² = e*'e*/(N - K) (K counts the constant;
  Stata's e(rmse)); `robust` is `cluster` on the entity (xtreg's vce(robust)); `cluster` is
  G/(G-1) · (N-1)/(N-K) · (X*'X*)⁻¹ Σ_g s_g s_g' (X*'X*)⁻¹. Inference is normal (z), as xtreg, re; Wald χ²(k)
  of all slopes (not the constant).
* R² as xtreg prints them (squared correlations, using the slopes b without the constant):
  within corr²(x̃b, ỹ) on entity-demeaned data, between corr²(x̄_i b, ȳ_i) over entities, overall corr²(xb, y).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from srdi.models import dist
from srdi.models.panel import CollinearityWarning, _independent_by_scale
from srdi.models.spec import ModelSpec
from srdi.models.tidy import TIDY_COLUMNS, term_lag
from srdi.models.xt_design import XtDesign, build_design, cluster_meat, group_means, xt_spec

CONSTANT = "_cons"
Z975 = dist.norm_ppf(0.975)
RE_EXTRA_COLUMNS = ("equation", "r2_between", "r2_overall", "sigma_u", "sigma_e", "rho", "theta_min", "theta_max")


@dataclass(frozen=True)
class VarianceComponents:
    sigma2_e: float
    sigma2_u: float
    df_within: int  # N - n - k_w
    df_between: int  # n - K_b
    t_bar: float  # harmonic mean of T_i

    @property
    def rho(self) -> float:
        return self.sigma2_u / (self.sigma2_u + self.sigma2_e)


@dataclass(frozen=True)
class RandomEffectsResult:
    """Estimates of `xtreg, re` and what its header prints."""

    spec: ModelSpec
    params: pd.Series  # terms, year dummies, then _cons
    std_errors: pd.Series
    zstats: pd.Series
    pvalues: pd.Series
    conf_low: pd.Series
    conf_high: pd.Series
    cov: pd.DataFrame
    nobs: int
    n_entities: int
    components: VarianceComponents
    theta: pd.Series  # θ_i per entity code
    r2_within: float
    r2_between: float
    r2_overall: float
    wald_chi2: float  # all slopes jointly (not the constant)
    wald_df: int
    wald_p: float
    rmse: float  # sqrt(e*'e* / (N - K)), the GLS regression's s
    n_clusters: int | None
    vcov_scale: float
    dropped_terms: tuple[str, ...]
    n_missing: int
    n_singletons: int

    @property
    def sigma_u(self) -> float:
        return float(np.sqrt(self.components.sigma2_u))

    @property
    def sigma_e(self) -> float:
        return float(np.sqrt(self.components.sigma2_e))


def ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares by QR-based lstsq (the designs here are small and may be badly scaled)."""
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    return beta, y - x @ beta


def kept_columns(x: np.ndarray, raw: np.ndarray) -> list[int]:
    """Columns of `x` not in the span of earlier ones, judged relative to the raw columns' norms (panel.py)."""
    return _independent_by_scale(x, np.linalg.norm(raw, axis=0))


def variance_components(d: XtDesign) -> VarianceComponents:
    """Stata's default (consistent) Swamy-Arora components; see the module docstring."""
    counts = np.bincount(d.entity).astype(float)
    n, big_n = counts.size, d.y.size
    ybar, xbar = group_means(d.y, d.entity, counts), group_means(d.x, d.entity, counts)
    yw, xw = d.y - ybar[d.entity], d.x - xbar[d.entity]
    kw = kept_columns(xw, d.x)
    resid_w = ols(yw, xw[:, kw])[1] if kw else yw
    ssr_w = float(resid_w @ resid_w)
    df_w = big_n - n - len(kw)
    xb = np.column_stack([np.ones(n), xbar])
    kb = kept_columns(xb, xb)
    resid_b = ols(ybar, xb[:, kb])[1]
    df_b = n - len(kb)
    if df_w <= 0 or df_b <= 0:
        raise ValueError(
            f"model {d.spec.name!r}: variance components need residual degrees of freedom "
            f"(within N-n-k_w = {df_w}, between n-K_b = {df_b})"
        )
    sigma2_e = ssr_w / df_w
    t_bar = n / float(np.sum(1.0 / counts))
    sigma2_u = max(0.0, float(resid_b @ resid_b) / df_b - sigma2_e / t_bar)
    return VarianceComponents(sigma2_e, sigma2_u, df_w, df_b, t_bar)


def fit_random_effects(
    df: pd.DataFrame,
    spec: ModelSpec | Mapping[str, Any],
    entity: str,
    time: str,
    name: str = "model",
    *,
    drop_singletons: bool = False,
) -> RandomEffectsResult:
    """`xtreg y x [i.year], re [vce(...)]` on the rows `fit_panel` would use (before singletons, unless dropped)."""
    spec = xt_spec(spec, entity, time, name, "random effects")
    d = build_design(df, spec, entity, time, drop_singletons=drop_singletons)
    return fit_random_effects_design(d)


def fit_random_effects_design(d: XtDesign, components: VarianceComponents | None = None) -> RandomEffectsResult:
    """The GLS step on a built design; `components` overrides the estimated variance components."""
    vc = components or variance_components(d)
    counts = np.bincount(d.entity).astype(float)
    theta = 1.0 - np.sqrt(vc.sigma2_e / (counts * vc.sigma2_u + vc.sigma2_e))
    th = theta[d.entity]
    ybar, xbar = group_means(d.y, d.entity, counts), group_means(d.x, d.entity, counts)
    ystar = d.y - th * ybar[d.entity]
    # the constant first, so that a regressor collinear with it is dropped rather than the constant (as Stata)
    raw = np.column_stack([np.ones_like(d.y), d.x])
    xstar = np.column_stack([1.0 - th, d.x - th[:, None] * xbar[d.entity]])
    names = [CONSTANT, *d.names]
    kept = kept_columns(xstar, raw)
    dropped = tuple(names[j] for j in range(len(names)) if j not in kept)
    kept = [*kept[1:], kept[0]] if kept and kept[0] == 0 else kept  # report the constant last
    if dropped:
        warnings.warn(f"model {d.spec.name!r}: dropped collinear term(s) {list(dropped)}", CollinearityWarning,
                      stacklevel=3)
    xk, names = xstar[:, kept], [names[j] for j in kept]
    beta, resid = ols(ystar, xk)
    big_n, k = xk.shape
    if big_n - k <= 0:
        raise ValueError(f"model {d.spec.name!r}: no residual degrees of freedom (N={big_n}, K={k})")
    bread = np.linalg.inv(xk.T @ xk)
    s2 = float(resid @ resid) / (big_n - k)
    n_clusters = None
    if d.cluster is None:
        scale, cov = s2, s2 * bread
    else:
        n_clusters = int(d.cluster.max()) + 1
        scale = n_clusters / (n_clusters - 1) * (big_n - 1) / (big_n - k)
        cov = scale * bread @ cluster_meat(xk * resid[:, None], d.cluster) @ bread
    cov = (cov + cov.T) / 2
    se = np.sqrt(np.diag(cov))
    z = beta / se
    slopes = [j for j, nm in enumerate(names) if nm != CONSTANT]
    b = np.zeros(d.x.shape[1])
    col_of = {nm: j for j, nm in enumerate(d.names)}
    for j in slopes:
        b[col_of[names[j]]] = beta[j]
    r2w, r2b, r2o = _r_squared(d, b, counts, ybar, xbar)
    bs, vs = beta[slopes], cov[np.ix_(slopes, slopes)]
    wald = float(bs @ np.linalg.solve(vs, bs)) if slopes else float("nan")
    series = {"params": beta, "std_errors": se, "zstats": z, "pvalues": 2 * dist.norm_sf(np.abs(z)),
              "conf_low": beta - Z975 * se, "conf_high": beta + Z975 * se}
    return RandomEffectsResult(
        spec=d.spec,
        **{key: pd.Series(v, index=names, dtype=float) for key, v in series.items()},
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=big_n,
        n_entities=counts.size,
        components=vc,
        theta=pd.Series(theta, name="theta"),
        r2_within=r2w,
        r2_between=r2b,
        r2_overall=r2o,
        wald_chi2=wald,
        wald_df=len(slopes),
        wald_p=float(dist.chi2_sf(wald, len(slopes))) if slopes else float("nan"),
        rmse=float(np.sqrt(s2)),
        n_clusters=n_clusters,
        vcov_scale=float(scale),
        dropped_terms=dropped,
        n_missing=d.n_missing,
        n_singletons=d.n_singletons,
    )


def _corr2(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a @ a) * (b @ b)))
    return float((a @ b) / den) ** 2 if den > 0 else float("nan")


def _r_squared(
    d: XtDesign, b: np.ndarray, counts: np.ndarray, ybar: np.ndarray, xbar: np.ndarray
) -> tuple[float, float, float]:
    """xtreg's within, between and overall R² (squared correlations of fitted x·b with y)."""
    xb = d.x @ b
    xbar_b = xbar @ b
    within = _corr2(xb - xbar_b[d.entity], d.y - ybar[d.entity])
    return within, _corr2(xbar_b, ybar), _corr2(xb, d.y)


def fe_label(spec: ModelSpec) -> str:
    """`random(entity)` plus `+time` when year dummies enter: the effects are modelled, not absorbed."""
    return "+".join(f"random({f})" if f == "entity" else f for f in spec.fe) or "none"


def tidy_random_effects(result: RandomEffectsResult, model_name: str) -> pd.DataFrame:
    """Rows of the spec's terms (year dummies and `_cons` are not reported), estimates-file contract plus extras.

    `statistic` is z (normal inference); `r2_within` is xtreg's within R²; `n_singletons` counts rows dropped
    only when `drop_singletons` was asked for.
    """
    spec = result.spec
    terms = [t for t in spec.terms if t in result.params.index]
    n = len(terms)
    frame = pd.DataFrame(
        {
            "model": [model_name] * n,
            "outcome": [spec.outcome] * n,
            "term": terms,
            "lag": pd.array([term_lag(spec, t) for t in terms], dtype="Int64"),
            "estimate": result.params[terms].to_numpy(),
            "std_error": result.std_errors[terms].to_numpy(),
            "statistic": result.zstats[terms].to_numpy(),
            "p_value": result.pvalues[terms].to_numpy(),
            "conf_low": result.conf_low[terms].to_numpy(),
            "conf_high": result.conf_high[terms].to_numpy(),
            "nobs": [result.nobs] * n,
            "r2_within": [result.r2_within] * n,
            "n_clusters": pd.array([result.n_clusters] * n, dtype="Int64"),
            "fe": [fe_label(spec)] * n,
            "vcov": ["cluster:" + spec.cluster_by[0] if spec.vcov_type == "cluster" else spec.vcov_type] * n,
            "n_singletons": [result.n_singletons] * n,
            "dropped_terms": [";".join(result.dropped_terms)] * n,
            "equation": ["random_effects"] * n,
            "r2_between": [result.r2_between] * n,
            "r2_overall": [result.r2_overall] * n,
            "sigma_u": [result.sigma_u] * n,
            "sigma_e": [result.sigma_e] * n,
            "rho": [result.components.rho] * n,
            "theta_min": [float(result.theta.min())] * n,
            "theta_max": [float(result.theta.max())] * n,
        },
        columns=[*TIDY_COLUMNS, *RE_EXTRA_COLUMNS],
    )
    return frame.astype({"nobs": "int64", "n_singletons": "int64"})
