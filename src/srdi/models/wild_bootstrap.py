r"""Wild cluster bootstrap (WCR: null imposed) of one coefficient of a linear model with absorbed effects.

What Stata `boottest` (Roodman, MacKinnon, Nielsen & Webb 2019, "Fast and wild"), R `fwildclusterboot` and
pyfixest's `wildboottest()` compute for `H0: beta_j = b0` with one cluster variable:

1. restricted fit: ü(b0) = residuals of ỹ - b0 x̃_j on the other demeaned regressors (the null imposed);
2. draw b: y*_b = X̃ β̃ + ü ⊙ v_b, with v_b one weight per cluster (Rademacher ±1, or Webb's six points
   ±sqrt(1/2), ±1, ±sqrt(3/2)); with Rademacher weights and 2^G <= reps every sign vector is used once
   (full enumeration, boottest's rule), so the result is deterministic. Otherwise draw b's weights depend
   only on the seed and b (`draws.draw_words`), and the per-draw sums below are computed through
   `draws.resample`, so the draws can run in shards (`resampling.shards`) with identical results;
3. refit with the same absorbed effects and compute t*_b = (β̂*_j - b0) / se*_j with the CRV1 sandwich;
4. two-sided symmetric p = share of draws with |t*_b| > |t| (ties are not "more extreme", as boottest);
5. confidence interval by test inversion: the b0 where p(b0) crosses 1 - level.

Effects that are not nested in the clusters (year effects with industry clusters) matter in step 3: the
bootstrap errors ü ⊙ v are no longer orthogonal to the dummies D, so the refit's residuals are
M_[X D](ü ⊙ v), not (ü ⊙ v) - X̃δ. Given `fe_codes`, this module re-absorbs them exactly as a
dummy-variable (LSDV) bootstrap would (what boottest and pyfixest do); effects nested in the clusters
(firm effects with firm or industry clusters) need no correction and are skipped.

Algebra (nothing of size N x B is formed). With A = (X̃'X̃)^-1, a = A[j], S_g the rows of cluster g,
W the N x G matrix with column g = ü on S_g and 0 elsewhere, Ẅ = M_D W:

    numerator_b   = Σ_g v_bg c_g,             c_g = a'X̃_g'ü_g
    score_bh      = Σ_g H_hg v_bg,            H = F - Q A U,   F_hg = a'X̃_h'Ẅ_{h,g},
                                               Q_h = (X̃_h'X̃_h a)',  U_g = X̃_g'ü_g
    t*_b          = numerator_b / sqrt(q Σ_h score_bh²)

ü(b0) = ü0 - b0 m (m = residual of x̃_j on the other regressors) is affine in b0, so c and H are too, and
t*_b(b0) for every b0 follows from six B-vectors: the test inversion costs O(B) per candidate b0.

Small-sample factor q: the caller's (default CRV1, G/(G-1) · (N-1)/(N-k), k = columns of X̃, as
wildboottest's default on that design); `wild_bootstrap_panel` passes `fit_panel`'s reghdfe factor, so its
t equals fit_panel's t (boottest after reghdfe does the same). q multiplies t and every t* alike, so the
p-value and the interval do not depend on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import linalg

from srdi.blas_threads import limit_blas
from srdi.models.draws import draw_words, partial_draws, resample
from srdi.models.hdfe import Absorber
from srdi.models.within import is_nested, n_levels

WEIGHT_TYPES = ("rademacher", "webb")
WEBB_POINTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
RANK_TOL = 1e-12  # smallest eigenvalue of the columns' correlation-scaled Gram matrix
MAX_BLOCK = 20_000_000  # elements of N x (cluster columns) re-absorbed at a time (bounds memory)
DUMMY_MAX_LEVELS = 200  # non-nested effects with at most this many levels in all: explicit (partialled) dummies
PINV_RTOL = 1e-10  # eigenvalues of the partialled dummies' Gram matrix below this share of the largest are zero


@dataclass(frozen=True)
class WildBootstrapResult:
    """The test of H0: coefficient = null, and the test-inversion interval (NaN when not asked for)."""

    estimate: float
    null: float
    t_stat: float  # (estimate - null) / analytic CRV1 SE with factor `scale`
    p_value: float  # two-sided symmetric bootstrap p
    conf_low: float
    conf_high: float
    level: float
    reps: int  # draws used: 2^G under full enumeration
    weights: str
    enumerated: bool
    n_clusters: int
    nobs: int
    seed: int | None
    scale: float  # small-sample factor q in t and t*
    term: str | None = None
    t_boot: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)


def wild_draw_count(n_clusters: int, reps: int, weights: str = "rademacher") -> tuple[int, bool]:
    """Number of draws and whether they are the full Rademacher enumeration (2^G draws, used when 2^G <= reps)."""
    if weights not in WEIGHT_TYPES:
        raise ValueError(f"weights must be one of {list(WEIGHT_TYPES)}, got {weights!r}")
    if reps < 1 or n_clusters < 2:
        raise ValueError(f"need reps >= 1 and at least 2 clusters, got reps={reps}, clusters={n_clusters}")
    if weights == "rademacher" and n_clusters * np.log(2) <= np.log(reps) + 1e-9:
        return 2**n_clusters, True
    return reps, False


def wild_weight_rows(
    n_clusters: int, indices: np.ndarray, weights: str, seed: int, enumerated: bool = False
) -> np.ndarray:
    """Rows `indices` of the (B x G) weight matrix. Under full enumeration row b is the sign vector of b's bits.
    Otherwise row b comes from draw b's G random words (`draws.draw_words(seed, b, G)`: words [bG, (b+1)G) of
    the seed's PCG64 stream): Rademacher -1 / +1 by the top bit, Webb point `word mod 6` (bias below 2^-61).
    A row never depends on which other rows are drawn."""
    indices = np.asarray(indices, dtype=np.int64)
    if enumerated:
        return 2.0 * ((indices[:, None] >> np.arange(n_clusters)) & 1) - 1.0
    words = draw_words(seed, indices, n_clusters)
    if weights == "rademacher":
        return 2.0 * (words >> np.uint64(63)).astype(float) - 1.0
    return WEBB_POINTS[(words % np.uint64(6)).astype(np.intp)]


def wild_weights(
    n_clusters: int, reps: int, weights: str = "rademacher", seed: int | None = None
) -> tuple[np.ndarray, bool]:
    """The whole (B x G) weight matrix the bootstrap uses for this seed, and whether it is the full enumeration."""
    n, enumerated = wild_draw_count(n_clusters, reps, weights)
    return wild_weight_rows(n_clusters, np.arange(n), weights, _seed_or_fresh(seed), enumerated), enumerated


def _seed_or_fresh(seed: int | None) -> int:
    """`seed`, or fresh entropy from the OS for `seed=None` (unreproducible, as numpy's default_rng(None))."""
    return int(np.random.SeedSequence().entropy) if seed is None else int(seed)


def bootstrap_parts(
    core: Any, reps: int, weights: str, seed: int | None, draws: np.ndarray | None, key: str
) -> tuple[np.ndarray, int, bool]:
    """(per-draw sums `core.parts(v)`, number of draws, enumerated?) of a WCR or WRE core.

    Given `draws` (a B x G weight matrix, for comparisons with other software) they are used as they are.
    Otherwise the sums go through `draws.resample(key, ...)` in blocks of draw indices, each block's
    weights from `wild_weight_rows`: in a shard job only the shard's draws are computed, in a combine job
    the shards' sums are used, and every layout gives the same numbers."""
    if draws is not None:
        v = np.asarray(draws, dtype=float)
        if v.ndim != 2 or v.shape[1] != core.g:
            raise ValueError(f"draws must be a (B x {core.g}) matrix, got shape {v.shape}")
        return core.parts(v), v.shape[0], False
    n, enumerated = wild_draw_count(core.g, reps, weights)
    core.check_size(n)
    seed = _seed_or_fresh(seed) if not enumerated else 0
    sums = resample(key, n, lambda idx: core.parts(wild_weight_rows(core.g, idx, weights, seed, enumerated)))
    return sums, n, enumerated


class _WildCore:
    """Per-cluster quantities of the WCR bootstrap for one coefficient, affine in the null b0.

    Rows are put in cluster order once, so every per-cluster sum is a `np.add.reduceat` over contiguous
    blocks (no sparse indicator, no bincount per column)."""

    def __init__(
        self,
        xd: np.ndarray,
        yd: np.ndarray,
        clusters: np.ndarray,
        j: int,
        fe_codes: Sequence[np.ndarray],
        scale: float | None,
    ) -> None:
        xd = np.asarray(xd, dtype=float)
        yd = np.asarray(yd, dtype=float).ravel()
        if xd.ndim != 2 or xd.shape[0] != yd.shape[0] or clusters.shape[0] != yd.shape[0]:
            raise ValueError("X, y and the cluster codes must have the same number of rows")
        n, k = xd.shape
        if not 0 <= j < k:
            raise ValueError(f"term index {j} out of range for {k} regressors")
        g = n_levels(clusters)
        if g < 2:
            raise ValueError(f"the wild cluster bootstrap needs at least two clusters, got {g}")
        order = np.argsort(clusters, kind="stable")
        xd, yd, clusters = xd[order], yd[order], clusters[order]
        fe_codes = [np.asarray(fe)[order] for fe in fe_codes]
        counts = np.bincount(clusters, minlength=g)
        if (counts == 0).any():
            raise ValueError("cluster codes must be 0..G-1 with every code present")
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        gram = xd.T @ xd
        norms = np.sqrt(np.diag(gram))
        if not (norms > 0).all() or np.linalg.eigvalsh(gram / np.outer(norms, norms))[0] < RANK_TOL:
            raise ValueError("the design is rank deficient: drop collinear columns first")
        chol = linalg.cho_factor(gram)
        bread = linalg.cho_solve(chol, np.eye(k))
        self.beta = linalg.cho_solve(chol, xd.T @ yd)
        a = bread[j]
        xa = xd @ a  # N: row i's weight in beta_j
        resid = yd - xd @ self.beta
        self.n, self.k, self.g = n, k, g
        self.scale = float(scale) if scale is not None else g / (g - 1) * (n - 1) / (n - k)
        se2 = self.scale * float(np.sum(self._sums(xa * resid) ** 2))
        if not se2 > 0:
            raise ValueError("the cluster-robust variance of the tested coefficient is zero")
        self.se = np.sqrt(se2)
        # restricted residuals ü(b0) = u0 - b0 m: residuals of y and of x_j on the other regressors
        others = np.delete(np.arange(k), j)
        xo, um = xd[:, others], np.column_stack([yd, xd[:, j]])
        if others.size:
            um = um - xo @ linalg.cho_solve(linalg.cho_factor(gram[np.ix_(others, others)]), xo.T @ um)
        q_rows = self._sums(xd * xa[:, None])  # (G x k): X_h'X_h a
        nested = all(is_nested(fe, clusters) for fe in fe_codes)
        cross = None if nested else self._absorbed_cross(um, xa, fe_codes)
        self.c: list[np.ndarray] = []
        self.h: list[np.ndarray] = []
        for col in range(2):  # 0: u0 (the part free of b0), 1: m (the coefficient of -b0)
            u = um[:, col]
            c = self._sums(xa * u)  # c_g = a'X_g'u_g
            big_u = self._sums(xd * u[:, None]).T  # (k x G): X_g'u_g
            f = np.diag(c) if cross is None else cross[col]
            self.c.append(c)
            self.h.append(f - q_rows @ bread @ big_u)

    def _sums(self, values: np.ndarray) -> np.ndarray:
        """Per-cluster sums of the rows of `values` (N or N x p, rows in cluster order): (G,) or (G x p)."""
        return np.add.reduceat(values, self.starts, axis=0)

    def _absorbed_cross(self, um: np.ndarray, xa: np.ndarray, fe_codes: Sequence[np.ndarray]) -> list[np.ndarray]:
        """F_hg = a'X_h' (M_D W)_{h,g} for W built from u0 and from m, as G x G matrices.

        xa and u lie in the span of M_D, so effects nested in the clusters leave (xa on S_h) and (u on S_g)
        unchanged; only the others (dummies O) matter. With few of their levels (year effects: T), by
        Frisch-Waugh-Lovell M_D = M_N - P_Õ with Õ = M_N O (N = the nested effects) and
        F = diag(c) - E Π⁺ R', E_h = Õ_h'xa_h, R_g = Õ_g'u_g, Π = Õ'Õ (pseudo-inverse: Õ is rank deficient).
        Otherwise each column (xa on S_h) is absorbed in full (M_D is symmetric, so F_hg =
        (M_D (xa on S_h))' (u on S_g)), in blocks of at most MAX_BLOCK elements."""
        clusters = np.repeat(np.arange(self.g), np.diff(np.append(self.starts, self.n)))
        nested = [fe for fe in fe_codes if is_nested(fe, clusters)]
        other = [fe for fe in fe_codes if not is_nested(fe, clusters)]
        levels = [n_levels(fe) for fe in other]
        if sum(levels) <= DUMMY_MAX_LEVELS:
            dummies = np.zeros((self.n, sum(levels)), order="F")
            offset = 0
            for fe, count in zip(other, levels, strict=True):
                dummies[np.arange(self.n), offset + fe] = 1.0
                offset += count
            if nested:
                Absorber(nested).demean(dummies)
            vals, vecs = np.linalg.eigh(dummies.T @ dummies)
            keep = vals > PINV_RTOL * vals[-1]
            root = vecs[:, keep] / np.sqrt(vals[keep])  # Π⁺ = root root'
            e = self._sums(dummies * xa[:, None]) @ root
            out = []
            for col in range(2):
                r = self._sums(dummies * um[:, col : col + 1]) @ root
                out.append(np.diag(self._sums(xa * um[:, col])) - e @ r.T)
            return out
        absorber = Absorber(list(fe_codes))
        out = [np.empty((self.g, self.g)), np.empty((self.g, self.g))]
        ends = np.append(self.starts[1:], self.n)
        block = max(1, MAX_BLOCK // max(self.n, 1))
        for first in range(0, self.g, block):
            cols = range(first, min(first + block, self.g))
            w = np.zeros((self.n, len(cols)), order="F")
            for pos, h in enumerate(cols):
                w[self.starts[h] : ends[h], pos] = xa[self.starts[h] : ends[h]]
            absorber.demean(w)
            for col in range(2):
                out[col][first : first + len(cols), :] = self._sums(w * um[:, col : col + 1]).T
        return out

    def check_size(self, reps: int) -> None:
        """Nothing to check: the per-draw sums are 5 numbers a draw."""

    def parts(self, v: np.ndarray) -> np.ndarray:
        """(B x 5) per-draw sums [n0, n1, d00, d01, d11]: t*(b0) = (n0 - b0 n1) / sqrt(q (d00 - 2 b0 d01 + b0² d11))."""
        g = self.g
        z = v @ np.vstack([self.h[0], self.h[1], self.c[0], self.c[1]]).T  # (B x (2G + 2)), one product
        z0, z1 = z[:, :g], z[:, g : 2 * g]
        return np.column_stack([z[:, 2 * g], z[:, 2 * g + 1], np.einsum("bg,bg->b", z0, z0),
                                np.einsum("bg,bg->b", z0, z1), np.einsum("bg,bg->b", z1, z1)])

    def t_star(self, parts: np.ndarray, b0: float) -> np.ndarray:
        n0, n1, d00, d01, d11 = parts.T
        den = self.scale * (d00 - 2 * b0 * d01 + b0 * b0 * d11)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (n0 - b0 * n1) / np.sqrt(np.maximum(den, 0.0))

    def t_stat(self, j: int, b0: float) -> float:
        return float((self.beta[j] - b0) / self.se)

    def p_value(self, parts: np.ndarray, j: int, b0: float) -> float:
        """Share of draws with |t*| > |t|, t* = NaN (zero bootstrap variance) counted as not exceeding."""
        t = abs(self.t_stat(j, b0))
        tb = np.abs(self.t_star(parts, b0))
        return float(np.mean(tb > t * (1 + 1e-10) + 1e-300))


def _inverted_bound(core: _WildCore, parts: np.ndarray, j: int, alpha: float, side: int) -> float:
    """The b0 beyond the estimate on `side` (-1/+1) where p(b0) falls to alpha: a grid of steps of half the
    analytic SE outward from the estimate, then bisection of the first bracket to 1e-10 of the SE."""
    est, step = float(core.beta[j]), 0.5 * core.se
    inner, outer = est, None
    for i in range(1, 400):
        cand = est + side * step * (i if i <= 100 else 100 * 2 ** (i - 100))
        if core.p_value(parts, j, cand) <= alpha:
            outer = cand
            break
        inner = cand
    if outer is None:  # never rejected: the set is unbounded on this side
        return side * np.inf
    while abs(outer - inner) > 1e-10 * core.se:
        mid = 0.5 * (inner + outer)
        if core.p_value(parts, j, mid) > alpha:
            inner = mid
        else:
            outer = mid
    return 0.5 * (inner + outer)


@limit_blas()
def wild_cluster_bootstrap(
    x_demeaned: np.ndarray,
    y_demeaned: np.ndarray,
    cluster_codes: np.ndarray,
    term_index: int,
    reps: int = 9999,
    weights: str = "rademacher",
    seed: int | None = None,
    null: float = 0.0,
    ci: bool = True,
    level: float = 0.95,
    fe_codes: Sequence[np.ndarray] = (),
    scale: float | None = None,
    draws: np.ndarray | None = None,
    term: str | None = None,
) -> WildBootstrapResult:
    """WCR wild cluster bootstrap test of `beta[term_index] = null` on within-transformed data.

    `x_demeaned` (N x k, full column rank) and `y_demeaned` are already residualised on the absorbed
    effects; `fe_codes` are those effects' integer codes (one array per effect), needed only for effects not
    nested in the clusters (see the module docstring). `cluster_codes`: integers 0..G-1. `scale`: the
    small-sample factor q of the CRV1 variance (default G/(G-1)·(N-1)/(N-k)). `draws`: a (B x G) weight
    matrix to use instead of drawing (for comparisons with other software); otherwise draw b's weights are
    `wild_weight_rows`' (seed None: fresh entropy) and the draws are those of the resampling step
    `wild_bootstrap:<term>` (`draws.resample`). In a draw-shard job (`srdi estimate --shard`) the interval is
    not computed: that job's estimates are discarded.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    clusters = np.asarray(cluster_codes, dtype=np.int64)
    core = _WildCore(x_demeaned, y_demeaned, clusters, term_index, fe_codes, scale)
    parts, n_draws, enumerated = bootstrap_parts(core, reps, weights, seed, draws, f"wild_bootstrap:{term}")
    lo = hi = np.nan
    if ci and not partial_draws():
        alpha = 1 - level
        lo = _inverted_bound(core, parts, term_index, alpha, -1)
        hi = _inverted_bound(core, parts, term_index, alpha, +1)
    return WildBootstrapResult(
        estimate=float(core.beta[term_index]),
        null=float(null),
        t_stat=core.t_stat(term_index, null),
        p_value=core.p_value(parts, term_index, null),
        conf_low=float(lo),
        conf_high=float(hi),
        level=level,
        reps=n_draws,
        weights=weights if draws is None else "given",
        enumerated=enumerated,
        n_clusters=core.g,
        nobs=core.n,
        seed=seed,
        scale=core.scale,
        term=term,
        t_boot=core.t_star(parts, null),
    )


def wild_bootstrap_panel(
    df: Any,
    spec: Any,
    entity: str,
    time: str,
    term: str,
    reps: int = 9999,
    weights: str = "rademacher",
    seed: int | None = None,
    null: float = 0.0,
    ci: bool = True,
    level: float = 0.95,
    name: str = "model",
) -> WildBootstrapResult:
    """The bootstrap for `term` of a `panel` model spec, on exactly `fit_panel`'s sample and demeaned data.

    The spec's `vcov` must be `{type: cluster, by: [one column]}`: those are the bootstrap clusters.
    The t statistic uses fit_panel's reghdfe factor, so it equals fit_panel's t for `null = 0`.
    """
    from srdi.models.wild_design import panel_design  # local: keeps this module free of pandas plumbing

    design = panel_design(df, spec, entity, time, name)
    if term not in design.terms:
        raise ValueError(f"model {design.name!r}: {term!r} is not a kept regressor (terms: {list(design.terms)})")
    return wild_cluster_bootstrap(
        design.xd, design.yd, design.clusters, design.terms.index(term), reps=reps, weights=weights, seed=seed,
        null=null, ci=ci, level=level, fe_codes=design.fe_codes, scale=design.scale, term=term,
    )
