"""Cluster bootstrap of linear FE regressions without refitting: draws as frequency weights.

A cluster bootstrap draw resamples clusters with replacement; a cluster drawn k times enters k times,
its firms relabelled as distinct entities. With firm fixed effects the k copies of a firm get identical
firm effects, so the draw's point estimates equal a frequency-weighted regression in which every row
of cluster g has weight w_g = its draw count (tests check this against the explicit duplication).

Because w is constant within a firm (firms are nested in the resampling clusters), the weighted firm
demeaning is the ordinary one and does not depend on the draw. What does depend on it is the year
effects: by Frisch-Waugh-Lovell, with Z1 the firm-demeaned variables and D1 the firm-demeaned year
dummies, the weighted cross-products of the fully residualised variables are

    S(w) = Z1'W Z1 - (Z1'W D1) (D1'W D1)^+ (D1'W Z1).

Each block is linear in w, so it is one matrix product of the (B x G) draw-count matrix with the
per-cluster sums of the row outer products [Z1 D1]'[Z1 D1], computed once. Per draw only a
(T x T) pseudo-inverse and tiny solves remain, vectorised across draws. Without firm effects Z1 and
D1 are the raw columns (year dummies, or a column of ones for pooled OLS' intercept).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from srdi.models import dist
from srdi.models.draws import draw_rng
from srdi.models.within import n_levels

Z_CRIT = float(dist.norm_ppf(0.975))  # 1.959964: two-sided 95% normal critical value
EIG_RTOL = 1e-10  # eigenvalues of D1'WD1 below this share of the largest are structural zeros
ROW_CHUNK = 50_000  # rows per block when summing outer products (bounds memory on large panels)


def draw_counts(n_clusters: int, reps: int, seed: int, indices: np.ndarray | None = None) -> np.ndarray:
    """(draws x n_clusters) draw counts: row b holds how often each cluster was drawn in draw b.

    Draw i resamples with its own stream, `draw_rng(seed, i)`, so any subset of draws (`indices`, default
    all `reps`) can be computed alone (srdi.models.draws: shards) and the fast path and any refitting loop
    given this matrix use identical draws."""
    if reps < 1 or n_clusters < 1:
        raise ValueError(f"need reps >= 1 and clusters >= 1, got reps={reps}, clusters={n_clusters}")
    indices = np.arange(reps) if indices is None else np.asarray(indices)
    return np.stack([np.bincount(draw_rng(seed, int(i)).integers(0, n_clusters, size=n_clusters),
                                 minlength=n_clusters) for i in indices]).reshape(len(indices), n_clusters)


def _firm_demean(a: np.ndarray, entity: np.ndarray) -> np.ndarray:
    levels = n_levels(entity)
    counts = np.bincount(entity, minlength=levels).astype(float)
    sums = np.stack([np.bincount(entity, weights=a[:, j], minlength=levels) for j in range(a.shape[1])], 1)
    return a - (sums / counts[:, None])[entity]


@dataclass(frozen=True)
class WeightedFE:
    """Per-cluster sufficient statistics of the FE regressions among the columns of Z."""

    gram: np.ndarray  # (G, (p+q)^2) per-cluster sums of v v', v = [z1 / scale, d1]
    scale: np.ndarray  # (p,) column scales of Z1 (equilibrates the normal equations)
    p: int  # columns of Z
    q: int  # columns of D1 (years, 1 for pooled OLS' intercept, 0 with firm effects only)

    @classmethod
    def build(
        cls, z: np.ndarray, entity: np.ndarray, time: np.ndarray, cluster: np.ndarray, fe: Sequence[str]
    ) -> WeightedFE:
        """Precompute from the estimation sample; `fe` is a subset of ("entity", "time")."""
        z = np.asarray(z, dtype=float)
        n, p = z.shape
        if "time" in fe:
            d = np.zeros((n, n_levels(time)))
            d[np.arange(n), time] = 1.0
        elif "entity" in fe:
            d = np.zeros((n, 0))
        else:
            d = np.ones((n, 1))
        if "entity" in fe:
            z = _firm_demean(z, entity)
            d = _firm_demean(d, entity) if d.shape[1] else d
        scale = np.sqrt((z**2).mean(axis=0))
        scale[scale == 0] = 1.0
        v = np.hstack([z / scale, d])
        m = v.shape[1]
        g = n_levels(cluster)
        gram = np.zeros((g, m * m))
        for start in range(0, n, ROW_CHUNK):
            block = v[start : start + ROW_CHUNK]
            ind = sparse.csr_matrix(
                (np.ones(block.shape[0]), (cluster[start : start + ROW_CHUNK], np.arange(block.shape[0]))),
                shape=(g, block.shape[0]),
            )
            gram += ind @ (block[:, :, None] * block[:, None, :]).reshape(block.shape[0], m * m)
        return cls(gram=gram, scale=scale, p=p, q=d.shape[1])

    def cross_products(self, weights: np.ndarray) -> np.ndarray:
        """(B, p, p) residualised weighted cross-products S(w) of the scaled Z columns, one per row of
        `weights` (B x G cluster weights)."""
        w = np.atleast_2d(np.asarray(weights, dtype=float))
        m = self.p + self.q
        full = (w @ self.gram).reshape(-1, m, m)
        s = full[:, : self.p, : self.p]
        if self.q == 0:
            return s
        b = full[:, self.p :, : self.p]
        h = full[:, self.p :, self.p :]
        vals, vecs = np.linalg.eigh((h + h.transpose(0, 2, 1)) / 2)
        keep = vals > EIG_RTOL * vals[:, -1:]
        inv_vals = np.where(keep, 1.0 / np.where(keep, vals, 1.0), 0.0)
        proj = vecs.transpose(0, 2, 1) @ b  # (B, q, p)
        return s - proj.transpose(0, 2, 1) @ (inv_vals[:, :, None] * proj)

    def coefficients(self, s: np.ndarray, target: int, regressors: Sequence[int]) -> np.ndarray:
        """(B, k) weighted FE estimates of Z[:, target] on Z[:, regressors], from S(w)."""
        r = list(regressors)
        lhs = s[:, r][:, :, r]
        rhs = s[:, r, target]
        try:
            beta = np.linalg.solve(lhs, rhs[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # a degenerate draw: solve draw by draw, minimum-norm
            beta = np.stack([np.linalg.lstsq(lhs[i], rhs[i], rcond=None)[0] for i in range(len(s))])
        return beta * self.scale[target] / self.scale[r]


def percentile_ci(draws: np.ndarray) -> tuple[float, float]:
    """2.5% and 97.5% quantiles of the draws (numpy's default linear interpolation)."""
    lo, hi = np.quantile(np.asarray(draws, dtype=float), [0.025, 0.975])
    return float(lo), float(hi)


def bc_ci(draws: np.ndarray, estimate: float) -> tuple[float, float]:
    """Bias-corrected percentile CI (Efron 1981): z0 = Phi^-1(share of draws < estimate), bounds at the
    quantiles Phi(2 z0 -/+ 1.96). NaN when every draw lies on one side of the estimate (z0 infinite)."""
    draws = np.asarray(draws, dtype=float)
    share = float(np.mean(draws < estimate))
    if share <= 0.0 or share >= 1.0:
        return float("nan"), float("nan")
    z0 = float(dist.norm_ppf(share))
    probs = dist.norm_cdf([2 * z0 - Z_CRIT, 2 * z0 + Z_CRIT])
    lo, hi = np.quantile(draws, probs)
    return float(lo), float(hi)


def duplicate_clusters(
    frame: pd.DataFrame, counts: np.ndarray, entity: str, cluster_codes: np.ndarray, entity_codes: np.ndarray
) -> pd.DataFrame:
    """The explicit bootstrap sample of one draw: cluster g's rows repeated counts[g] times, each copy's
    firms relabelled as new entities (integer ids), so copies are distinct firms. The reference the
    weighted shortcut is tested against."""
    w = np.asarray(counts)[cluster_codes]
    rows = np.repeat(np.arange(len(frame)), w)
    copy = np.arange(rows.size) - np.repeat(np.cumsum(w) - w, w)
    out = frame.iloc[rows].reset_index(drop=True)
    out[entity] = entity_codes[rows] + (n_levels(entity_codes) * copy)
    return out
