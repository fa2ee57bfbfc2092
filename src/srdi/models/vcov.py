r"""Covariance of the slope coefficients with Stata `reghdfe`'s small-sample corrections.

Everything is computed from the within-transformed (demeaned) regressors X̃ and the residuals e of
the full model (by Frisch-Waugh-Lovell these are the residuals of ỹ on X̃). With
N observations, k = rank of X̃ (regressors kept after collinearity checks), df_a = absorbed FE
parameters counted as in `within.absorbed_dof`, and K = k + df_a:

* unadjusted: V = e'e / (N - K) · (X̃'X̃)⁻¹;  t with N - K degrees of freedom.
* robust (HC1): V = N / (N - K) · (X̃'X̃)⁻¹ (Σ e_i² x̃_i x̃_i') (X̃'X̃)⁻¹;  t with N - K.
* cluster (one or two variables):
    V = q · (X̃'X̃)⁻¹ M (X̃'X̃)⁻¹,  q = (G / (G - 1)) · (N - 1) / (N - K - a)
  where M = Σ_g s_g s_g', s_g = Σ_{i∈g} x̃_i e_i for one-way clustering, and for two-way
  clustering M = M_1 + M_2 - M_12 (Cameron, Gelbach & Miller 2011; M_12 clusters on the
  intersection). G is the smallest number of clusters, a = 1 if df_a == 0 (reghdfe's adjustment so
  that a model whose effects are all nested in the clusters matches `xtreg, fe`, which counts the
  intercept) and 0 otherwise. FE nested in a cluster variable are not in df_a. t with
  min(G - 1, N - K) degrees of freedom. A two-way V that is not positive semi-definite has its
  negative eigenvalues set to zero, as in reghdfe.

linearmodels' PanelOLS (debiased=True, group_debias=True) differs: with one nested effect its
factor is G/(G-1)(N-1)/(N-k) (no `a`); with two effects it always counts both,
G/(G-1)(N-1)/(N-k-N_e-T+1), even when entity effects are nested in entity clusters; and with two-way
clustering it applies G_j/(G_j-1)(N-1)/N to each of the three terms separately. Hence this module
(the difference is pinned down in tests/test_models_panel.py).

Analytic weights (`fit_panel` with `weights`): X̃ and e are the weighted-demeaned columns and residuals times
sqrt(w), so every formula above is the WLS one (bread (X̃'WX̃)⁻¹, scores w_i x̃_i e_i, e'We), and N stays the number
of observations, not the sum of weights (reghdfe with aweights; pyfixest `weights_type="aweights"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from srdi.models.within import n_levels


@dataclass(frozen=True)
class VcovResult:
    cov: np.ndarray
    df_resid: int  # degrees of freedom of the t distribution for inference
    n_clusters: int | None  # G (the minimum over cluster variables), None if not clustered
    cluster_counts: tuple[int, ...]
    scale: float  # the small-sample factor q applied to the sandwich (or to s² for unadjusted)
    k_total: int  # K = k + df_a


def cluster_score_sums(cols: Sequence[np.ndarray], resid: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(G x q) within-cluster sums of cols[j] * resid, without forming the (N x q) scores.

    Codes in sorted order (a panel sorted by firm, clustered by firm): one sparse (G x N) matrix holding the
    residuals, applied to each column; otherwise `np.bincount` per column through one reused buffer.
    """
    n, levels = resid.shape[0], n_levels(codes)
    if n and n < 2**31 - 1 and bool(np.all(codes[1:] >= codes[:-1])):
        indptr = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=levels))]).astype(np.int32)
        by_cluster = sparse.csr_array((resid, np.arange(n, dtype=np.int32), indptr), shape=(levels, n))
        return np.column_stack([by_cluster @ c for c in cols])
    buf = np.empty(n)
    return np.column_stack([np.bincount(codes, weights=np.multiply(c, resid, out=buf), minlength=levels) for c in cols])


def score_meat(
    cols: Sequence[np.ndarray],
    resid: np.ndarray,
    kind: str,
    clusters: Sequence[np.ndarray] = (),
    leverage: np.ndarray | None = None,
) -> np.ndarray | None:
    """The meat Σ s s' of the scores s_i = (cols_i) e_i for `kind` (None for "unadjusted", which has none).

    `cols` are the columns of the design (e.g. the intercept column, then X̃): one call serves both the slopes'
    covariance (its lower-right block) and `cov_with_constant`. Two-way clusters: M_1 + M_2 - M_12.
    """
    if kind == "unadjusted":
        return None
    if kind in ("robust", "hc3"):
        e = resid if kind == "robust" else resid / (1.0 - leverage)
        scores = np.column_stack([c * e for c in cols])
        return scores.T @ scores
    if kind != "cluster":
        raise ValueError(f"unknown vcov type {kind!r}")
    if not 1 <= len(clusters) <= 2:
        raise ValueError("clustered covariance needs one or two cluster variables")
    parts = [cluster_score_sums(cols, resid, c) for c in clusters]
    meat = parts[0].T @ parts[0]
    if len(clusters) == 2:
        both = cluster_score_sums(cols, resid, _intersection(*clusters))
        meat = meat + parts[1].T @ parts[1] - both.T @ both
    return meat


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _, inv = np.unique(a * n_levels(b) + b, return_inverse=True)
    return inv.reshape(-1).astype(np.int64)


def _psd_fix(v: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((v + v.T) / 2)
    if vals.min() >= 0:
        return v
    return (vecs * np.clip(vals, 0, None)) @ vecs.T


def compute_vcov(
    xd: np.ndarray,
    resid: np.ndarray,
    kind: str,
    df_a: int,
    clusters: Sequence[np.ndarray] = (),
    leverage: np.ndarray | None = None,
    *,
    xtx: np.ndarray | None = None,
    meat: np.ndarray | None = None,
) -> VcovResult:
    """Covariance of the coefficients of `resid`'s regression on `xd` (see module docstring).

    kind "hc3" (MacKinnon-White): (X̃'X̃)⁻¹ Σ e_i²/(1-h_i)² x̃_i x̃_i' (X̃'X̃)⁻¹, no further factor (statsmodels'
    HC3), t with N - K; `leverage` h_i is the diagonal of the *full* hat matrix (absorbed dummies included).
    `xtx` (X̃'X̃) and `meat` (`score_meat` of the columns of X̃) may be passed when the caller has them already.
    """
    n, k = xd.shape
    k_total = k + df_a
    if n - k_total <= 0:
        raise ValueError(f"no residual degrees of freedom: N={n}, K={k_total} (k={k} + df_a={df_a})")
    bread = np.linalg.inv(xd.T @ xd if xtx is None else xtx)
    if kind == "unadjusted":
        scale = 1.0 / (n - k_total)
        cov = float(resid @ resid) * scale * bread
        return VcovResult((cov + cov.T) / 2, n - k_total, None, (), scale, k_total)
    if kind == "cluster":
        if not 1 <= len(clusters) <= 2:
            raise ValueError("clustered covariance needs one or two cluster variables")
        counts = tuple(n_levels(c) for c in clusters)
        g = min(counts)
        if g < 2:
            raise ValueError(f"clustered covariance needs at least two clusters, got {g}")
    if meat is None:
        meat = score_meat([xd[:, j] for j in range(k)], resid, kind, clusters, leverage)
    if kind == "robust":
        scale = n / (n - k_total)
        cov = scale * bread @ meat @ bread
        return VcovResult((cov + cov.T) / 2, n - k_total, None, (), scale, k_total)
    if kind == "hc3":
        cov = bread @ meat @ bread
        return VcovResult((cov + cov.T) / 2, n - k_total, None, (), 1.0, k_total)
    nested_adj = 1 if df_a == 0 else 0
    if n - nested_adj - k_total <= 0:
        raise ValueError(f"no residual degrees of freedom for clustered covariance: N={n}, K={k_total}")
    scale = (g / (g - 1)) * (n - 1) / (n - nested_adj - k_total)
    cov = scale * bread @ meat @ bread
    cov = (cov + cov.T) / 2
    if len(clusters) == 2:
        cov = _psd_fix(cov)
    return VcovResult(cov, min(g - 1, n - k_total), g, counts, scale, k_total)


def cov_with_constant(
    xd: np.ndarray,
    resid: np.ndarray,
    kind: str,
    xbar: np.ndarray,
    vc: VcovResult,
    clusters: Sequence[np.ndarray] = (),
    leverage: np.ndarray | None = None,
    intercept: np.ndarray | None = None,
    *,
    gram: np.ndarray | None = None,
    meat: np.ndarray | None = None,
) -> np.ndarray:
    """Covariance of (_cons, slopes) as reghdfe/areg report it, with the slopes' small-sample factor `vc.scale`.

    The constant is ybar - xbar'b; its covariance is that of the regression of (ỹ + ȳ) on Z = [1, X̃ + x̄]
    (same residuals). Z = W A with W = [1, X̃] and A = [[1, x̄'], [0, I]], so V_Z = A⁻¹ V_W A⁻ᵀ, and since
    X̃ is orthogonal to 1 the slopes' block of V_Z is (X̃'X̃)⁻¹ X̃'ΩX̃ (X̃'X̃)⁻¹ · scale: the slopes' covariance
    of `compute_vcov`, up to rounding. Two-way clustering: no eigenvalue fix here (the slopes keep theirs from
    `compute_vcov`; a fix of this larger matrix would change the slopes' block whenever it binds). reghdfe 6
    fixes its full matrix, _cons included, so where the fix binds its _cons SE can differ from this one.
    `leverage` (HC3 only): the diagonal of the full hat matrix. Weighted least squares: `xd` and `resid` are
    already multiplied by sqrt(w) and `intercept` is sqrt(w) (the transformed constant column; X̃ is w-orthogonal
    to 1, so the argument above holds unchanged); None means a column of ones. `gram` (W'W with W = [intercept, X̃])
    and `meat` (`score_meat` of W's columns) may be passed when the caller has them already.
    """
    n, k = xd.shape
    cols = [np.ones(n) if intercept is None else intercept, *(xd[:, j] for j in range(k))]
    if gram is None:
        w = np.column_stack(cols)
        gram = w.T @ w
    bread = np.linalg.inv(gram)
    if kind == "unadjusted":
        cov_w = float(resid @ resid) * vc.scale * bread
    else:
        if meat is None:
            meat = score_meat(cols, resid, kind, clusters, leverage)
        cov_w = vc.scale * bread @ meat @ bread
    cov_w = (cov_w + cov_w.T) / 2
    a_inv = np.eye(k + 1)
    a_inv[0, 1:] = -np.asarray(xbar, dtype=float)
    cov = a_inv @ cov_w @ a_inv.T
    return (cov + cov.T) / 2
