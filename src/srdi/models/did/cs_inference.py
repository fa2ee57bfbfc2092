"""Inference from influence functions, as R `did` does it: analytic clustered SE, Wald test, multiplier bootstrap.

`psi` is the (n units x K estimates) matrix of influence functions scaled so that estimate - truth ≈ mean(psi).
With S the (G x K) cluster sums of psi (S = psi when clustering by the unit), the conventions are R `did`'s:

* analytic SE: sqrt(sum_g S_g^2) / n, no small-sample factor (R: V = psi'psi / n, se = sqrt(diag(V) / n);
  with a cluster variable, the cluster-sum version, as R `did` >= 2.5 reports with bstrap = FALSE);
* Wald test of a set of estimates being zero: W = a' (S'S / n^2)^-1 a ~ chi2(len(a));
* multiplier bootstrap: draw b is U_b S / n with U_b i.i.d. Rademacher (+1/-1 with probability 1/2) per cluster,
  as BMisc::multiplier_bootstrap called by R `did`'s `mboot`; the bootstrap SE is the interquartile range of the
  draws divided by qnorm(0.75) - qnorm(0.25), and the uniform (simultaneous) critical value is the 1 - alpha
  quantile of max_k |draw_k| / se_k over the estimates of one family; quantiles are R's type 1 (inverted CDF).
  All estimates share the same draws (R redraws for each call; the distribution is the same). Draw b takes its
  multipliers from its own stream, `srdi.models.draws.draw_rng(seed, b)`, and the draws are asked of
  `srdi.models.draws.resample` (step "cs_bootstrap"), so they can run in shard jobs with the same result.
Estimates whose influence function is identically zero (the reference cells of a universal base period) are
degenerate: SE NaN, left out of Wald tests and of the uniform band (R: SE NA, dropped by `mboot`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from srdi.blas_threads import limit_blas
from srdi.models import dist
from srdi.models.draws import draw_rng, resample

IQR_NORMAL = float(dist.norm_ppf(0.75) - dist.norm_ppf(0.25))  # 1.34898: IQR of a standard normal


@dataclass(frozen=True)
class WaldTest:
    """Wald test that `terms` are jointly zero (NaN statistic when there is nothing to test or V is singular)."""

    statistic: float
    df: int
    p_value: float
    terms: tuple[str, ...]


def cluster_sums(psi: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """(G x K) sums of the rows of psi within clusters (codes 0..G-1); psi itself when cluster is None."""
    if cluster is None:
        return psi
    n = cluster.size
    indicator = sparse.csr_array((np.ones(n), (cluster, np.arange(n))), shape=(int(cluster.max()) + 1, n))
    return np.asarray(indicator @ psi)


def degenerate(psi: np.ndarray) -> np.ndarray:
    """Columns whose influence function is identically zero."""
    return ~np.any(psi != 0, axis=0)


def analytic_se(sums: np.ndarray, n: int) -> np.ndarray:
    """sqrt(sum_g S_g^2) / n per column (NaN for degenerate columns)."""
    se = np.sqrt(np.einsum("gk,gk->k", sums, sums)) / n
    se[degenerate(sums)] = np.nan
    return se


def wald_test(est: np.ndarray, sums: np.ndarray, n: int, terms: list[str]) -> WaldTest:
    """W = a' V^-1 a with V = S'S / n^2 over the non-degenerate columns; NaN if none or V is singular."""
    keep = ~degenerate(sums)
    a, s = est[keep], sums[:, keep]
    names = tuple(t for t, k in zip(terms, keep, strict=True) if k)
    if a.size == 0:
        return WaldTest(np.nan, 0, np.nan, ())
    v = s.T @ s / n**2
    if np.linalg.cond(v) > 1 / np.finfo(float).eps:
        return WaldTest(np.nan, int(a.size), np.nan, names)
    w = float(a @ np.linalg.solve(v, a))
    return WaldTest(w, int(a.size), float(dist.chi2_sf(w, a.size)), names)


def rademacher(n_clusters: int, reps: int, seed: int, indices: np.ndarray | None = None) -> np.ndarray:
    """(draws x n_clusters) Rademacher multipliers: row b is draw b of `reps`, from its own stream
    `draw_rng(seed, b)` (`integers(0, 2, n_clusters)` mapped to -1/+1), so any subset of draws (`indices`,
    default all) can be computed alone."""
    if reps < 1:
        raise ValueError(f"bootstrap needs reps >= 1, got {reps}")
    indices = np.arange(reps) if indices is None else np.asarray(indices, dtype=np.int64)
    bits = np.empty((indices.size, n_clusters), dtype=np.int8)
    for row, b in zip(bits, indices, strict=True):
        row[:] = draw_rng(seed, int(b)).integers(0, 2, size=n_clusters, dtype=np.int8)
    return 2.0 * bits - 1.0


@dataclass(frozen=True)
class Bootstrap:
    draws: np.ndarray  # (reps x K) U S / n
    se: np.ndarray  # IQR-based bootstrap SE per column (NaN for degenerate columns)


@limit_blas()
def multiplier_bootstrap(sums: np.ndarray, n: int, reps: int, seed: int) -> Bootstrap:
    """Multiplier bootstrap draws of all K estimates at once and their IQR-based SEs."""
    draws = resample("cs_bootstrap", reps, lambda idx: rademacher(sums.shape[0], reps, seed, idx) @ sums / n)
    q25, q75 = np.quantile(draws, [0.25, 0.75], axis=0, method="inverted_cdf")
    se = (q75 - q25) / IQR_NORMAL
    se[degenerate(sums) | ~(se > 0)] = np.nan
    return Bootstrap(draws, se)


def uniform_critical_value(boot: Bootstrap, columns: np.ndarray, alpha: float) -> float:
    """1 - alpha quantile of max_k |draw_k| / se_k over `columns` (non-degenerate only); NaN if none."""
    cols = np.asarray(columns)[np.isfinite(boot.se[columns])]
    if cols.size == 0:
        return float("nan")
    t_max = np.max(np.abs(boot.draws[:, cols]) / boot.se[cols], axis=1)
    return float(np.quantile(t_max, 1 - alpha, method="inverted_cdf"))
