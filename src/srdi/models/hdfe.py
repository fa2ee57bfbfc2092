"""Absorbing any set of fixed effects (firm, year, industry^year, province^year, ...) without dummies.

`fit_panel` needs the residuals of the outcome and every regressor on the absorbed dummies (the
Frisch-Waugh-Lovell within transformation). Building those dummies densely costs N x levels memory
(4 M firm-years x 400 k firms is out of the question), so this module works with integer codes only:

* no effect: centre the columns (pooled OLS intercept);
* analytic weights w (`Absorber(..., weights=w)`): every group mean, count and cell count below is
  weighted (sums of w), so the result is the residual of the *weighted* least-squares projection on the
  dummies, exact and iterative paths alike (Stata aweights, pyfixest `feols(weights=)`);
* one effect: subtract group means (exact, one pass);
* two effects where the smaller one has at most `EXACT_MAX_LEVELS` levels (firm + year,
  firm + industry^year, ...): exact. With b the big effect (F levels) and s the small one (m levels),
  the residual is a - α[b] - θ[s], where θ solves the m x m system
  (diag(n_s) - C' diag(1/n_b) C) θ = S_s'a - C' (S_b'a / n_b), C the F x m cell counts, and
  α = (S_b'a - C θ) / n_b. The system is singular once per connected component of the bipartite
  (b, s) graph, so one level of s per component is fixed at 0 and the rest solved by Cholesky;
  the residual does not depend on that choice. Cost: two group sums and two gathers per column.
* an effect whose dummies are spanned by another effect's (it is nested: year next to industry^year, where every
  industry-year cell lies in one year) is left out first: the projection, so every residual, is the same
  (`Absorber.redundant`). firm + year + industry^year is then the exact two-way firm + industry^year. Degrees of
  freedom are counted elsewhere (`within.absorbed_dof`) on the effects as written, so they do not change;
* anything else: the method of alternating projections (block Gauss-Seidel: subtract the group means
  of each effect in turn, the first two effects taken together by the exact step above when it
  applies), accelerated by Irons-Tuck extrapolation every third sweep as fixest does, until the
  largest change of any element, relative to the column's largest absolute value, is below `tol`
  (default 1e-12; reghdfe's default is 1e-8, fixest's 1e-6).

Group sums go through a sparse (levels x N) indicator when the codes are sorted (a panel sorted by firm),
`np.bincount` otherwise; nothing of size N x levels is ever formed. The exact two-way step is batched over the
columns: the (big x small) cell table is read once and the small system solved once for all of them, and the
gathers write into one reused N-sized buffer. The cell table is dense when it is nearly full (firm x year) and
sparse otherwise (firm x industry^year), where C' diag(1/n_b) C is computed per connected component.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd
from scipy import linalg, sparse
from scipy.sparse.csgraph import connected_components

DEFAULT_TOL = 1e-12  # relative change at which alternating projections stop
DEFAULT_MAXITER = 10_000  # sweeps (reghdfe's default maximum)
EXACT_MAX_LEVELS = 2_000  # two effects: exact solve if the smaller has at most this many levels
INTERACTION = "^"  # fixest's operator for interacted effects: industry^year


class ConvergenceWarning(UserWarning):
    """Alternating projections stopped at the iteration limit before reaching the tolerance."""


# ---------------------------------------------------------------------------------------------
# codes


def dense_codes(values: pd.Series | np.ndarray) -> np.ndarray:
    """Integer codes 0..L-1 in sorted order of the values (as `pd.factorize(sort=True)`), missing forbidden.

    Integer columns with a modest range (years, firm ids, stock codes) take an O(N) path with no hashing.
    """
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        span = hi - lo + 1
        if span <= max(4 * arr.size, 1 << 16):
            shifted = (arr - lo).astype(np.int64, copy=False)
            present = np.zeros(span, dtype=bool)
            present[shifted] = True
            remap = np.cumsum(present, dtype=np.int64) - 1
            return remap[shifted]
    codes, _ = pd.factorize(pd.Series(arr), sort=True)
    if (codes < 0).any():
        raise ValueError("group identifiers must not be missing")
    return codes.astype(np.int64, copy=False)


def fe_parts(term: str) -> tuple[str, ...]:
    """Column names of one effect term: "firm" -> ("firm",), "industry^year" -> ("industry", "year")."""
    parts = tuple(p.strip() for p in term.split(INTERACTION))
    if not all(parts):
        raise ValueError(f"fixed effect {term!r}: empty name around {INTERACTION!r}")
    return parts


def interact(codes: Sequence[np.ndarray]) -> np.ndarray:
    """Dense codes of the interaction of several code vectors (levels = observed combinations only)."""
    out = np.asarray(codes[0], dtype=np.int64)
    for nxt in codes[1:]:
        nxt = np.asarray(nxt, dtype=np.int64)
        width = int(nxt.max()) + 1 if nxt.size else 1
        out = dense_codes(out * width + nxt)
    return out


def fe_codes(columns: Callable[[str], pd.Series | np.ndarray], term: str) -> np.ndarray:
    """Codes of one effect term; `columns(name)` returns the (already subset) column `name`."""
    return interact([dense_codes(columns(name)) for name in fe_parts(term)])


# ---------------------------------------------------------------------------------------------
# demeaning


class _Factor:
    """One absorbed effect: codes, level counts, and fast group sums.

    Sums go column by column (contiguous in the Fortran-ordered matrix `fit_panel` builds): through a
    sparse (levels x N) indicator when the codes are sorted (a panel sorted by firm, where building it
    is free and it beats `np.bincount`), through `np.bincount` otherwise. With analytic `weights` w the
    sums are of w * column and the counts are the sums of w (weighted group means).
    """

    def __init__(self, codes: np.ndarray, weights: np.ndarray | None = None, index: int = 0) -> None:
        self.codes = np.asarray(codes, dtype=np.int64)
        self.weights = weights
        self.index = index  # position in the list of effects the caller gave
        n = self.codes.shape[0]
        self.levels = int(self.codes.max()) + 1 if n else 0
        counts = np.bincount(self.codes, minlength=self.levels)
        if weights is None:
            self.counts = counts.astype(float)
        else:
            self.counts = np.bincount(self.codes, weights=weights, minlength=self.levels)
        self.indicator: sparse.csr_array | None = None
        if n and n < 2**31 - 1 and bool(np.all(self.codes[1:] >= self.codes[:-1])):
            indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
            data = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
            self.indicator = sparse.csr_array((data, np.arange(n, dtype=np.int32), indptr), shape=(self.levels, n))

    def sums(self, col: np.ndarray) -> np.ndarray:
        if self.indicator is not None:
            return self.indicator @ col
        col = col if self.weights is None else col * self.weights
        return np.bincount(self.codes, weights=col, minlength=self.levels)

    def block_sums(self, a: np.ndarray) -> np.ndarray:
        """Group sums of every column of the (N x p) block `a`: (levels x p)."""
        return np.column_stack([self.sums(a[:, j]) for j in range(a.shape[1])]) if a.shape[1] else np.zeros(
            (self.levels, 0)
        )

    def demean_block(self, a: np.ndarray, buf: np.ndarray) -> None:
        means = self.block_sums(a) / self.counts[:, None]
        for j in range(a.shape[1]):
            subtract_gathered(a[:, j], means[:, j], self.codes, buf)


def subtract_gathered(col: np.ndarray, values: np.ndarray, codes: np.ndarray, buf: np.ndarray) -> None:
    """col -= values[codes], through a reused buffer (no fresh N-sized temporary; codes are valid, so no checks)."""
    np.take(values, codes, out=buf, mode="clip")
    col -= buf


class _CellBlocks:
    """The (big x small) cell table C as dense blocks, one per connected component of the (big, small) graph.

    Big and small levels of different components share no cell, so C is block diagonal once both are ordered by
    component: firm x year (one component) is one dense F x T table; firm x industry^year with firms that keep
    their industry is one F_k x T block per industry (a dense F x m table would be mostly zeros). Built in one
    `np.bincount` over the rows; C'x, C x and C' diag(1/n_b) C are a loop of dense products over the blocks.
    """

    MAX_BLOCKS = 1_000  # beyond this many components the Python loop over blocks costs more than sparse products

    def __init__(self, big: _Factor, small: _Factor, labels: np.ndarray, width: int) -> None:
        sizes = np.bincount(labels)
        self.order_small = np.argsort(labels, kind="stable")  # component k's levels: order_small[starts[k]:...]
        self.small_bounds = np.concatenate([[0], np.cumsum(sizes)])
        local = np.empty(small.levels, dtype=np.int64)
        local[self.order_small] = np.arange(small.levels) - np.repeat(self.small_bounds[:-1], sizes)
        self.identity = sizes.size == 1  # one component: both orders are the identity
        if self.identity:
            self.order_big = np.arange(big.levels)
            self.big_bounds = np.array([0, big.levels])
            flat = big.codes * width + small.codes
        else:
            comp_of_big = np.empty(big.levels, dtype=np.int64)
            if big.indicator is not None:  # sorted codes: the first row of each big level is enough
                comp_of_big[:] = labels[small.codes[big.indicator.indptr[:-1]]]
            else:
                comp_of_big[big.codes] = labels[small.codes]
            self.order_big = np.argsort(comp_of_big, kind="stable")
            self.big_bounds = np.concatenate([[0], np.cumsum(np.bincount(comp_of_big, minlength=sizes.size))])
            offset = np.empty(big.levels, dtype=np.int64)  # start of each big level's row in the block-ordered table
            offset[self.order_big] = np.arange(big.levels) * width
            flat = offset[big.codes]
            flat += local[small.codes]
        self.table = np.bincount(flat, weights=big.weights, minlength=big.levels * width).reshape(big.levels, width)
        self.counts = big.counts if self.identity else big.counts[self.order_big]  # n_b in block order
        self.levels = small.levels

    def _blocks(self) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        for k in range(self.small_bounds.size - 1):
            lo, hi = self.small_bounds[k], self.small_bounds[k + 1]
            rows = slice(self.big_bounds[k], self.big_bounds[k + 1])
            yield rows, self.order_small[lo:hi], self.table[rows, : hi - lo]

    def cross(self) -> np.ndarray:
        """C' diag(1/n_b) C (small x small)."""
        out = np.zeros((self.levels, self.levels))
        for rows, members, block in self._blocks():
            out[np.ix_(members, members)] = block.T @ (block / self.counts[rows, None])
        return out

    def t_dot(self, x: np.ndarray) -> np.ndarray:
        """C' x for x (big levels x p)."""
        x = x if self.identity else x[self.order_big]
        out = np.zeros((self.levels, x.shape[1]))
        for rows, members, block in self._blocks():
            out[members] = block.T @ x[rows]
        return out

    def dot(self, theta: np.ndarray) -> np.ndarray:
        """C theta for theta (small levels x p), rows in big-level order."""
        sorted_out = np.empty((self.table.shape[0], theta.shape[1]))
        for rows, members, block in self._blocks():
            sorted_out[rows] = block @ theta[members]
        if self.identity:
            return sorted_out
        out = np.empty_like(sorted_out)
        out[self.order_big] = sorted_out
        return out


class _SparseCells:
    """The (big x small) cell table C as a sparse matrix: when it is neither nearly full nor in small blocks."""

    def __init__(self, big: _Factor, small: _Factor) -> None:
        ones = np.ones(big.codes.shape[0]) if big.weights is None else big.weights
        self.cells = sparse.csr_array((ones, (big.codes, small.codes)), shape=(big.levels, small.levels))
        self.cells.sum_duplicates()
        self.counts = big.counts

    def cross(self) -> np.ndarray:
        scaled = sparse.diags_array(1.0 / np.sqrt(self.counts)) @ self.cells
        return np.asarray((scaled.T @ scaled).todense())

    def t_dot(self, x: np.ndarray) -> np.ndarray:
        return self.cells.T @ x

    def dot(self, theta: np.ndarray) -> np.ndarray:
        return self.cells @ theta


class _TwoWay:
    """Exact projection off two effects via the small effect's normal equations (see module docstring).

    `demean_block` handles all columns of a block at once: the group sums column by column, then one
    pass of the (big x small) cell table and one triangular solve for the whole block.
    """

    DENSE_CELLS = 30_000_000  # cell blocks kept dense up to this many cells (240 MB) ...
    DENSE_FILL = 4  # ... and at most this many times the rows (else they are mostly zeros: sparse)

    def __init__(self, big: _Factor, small: _Factor) -> None:
        self.big, self.small = big, small
        m, n = small.levels, big.codes.shape[0]
        # one level of the small effect per connected component is grounded (its coefficient is 0)
        labels = small_components(big.codes, small.codes, big.levels, m)
        self.n_components = int(labels.max()) + 1 if labels.size else 0
        width = int(np.bincount(labels).max()) if m else 0
        dense = big.levels * width <= min(self.DENSE_CELLS, self.DENSE_FILL * max(n, 1))
        if dense and self.n_components <= _CellBlocks.MAX_BLOCKS:
            self.cells: _CellBlocks | _SparseCells = _CellBlocks(big, small, labels, width)
        else:
            self.cells = _SparseCells(big, small)
        gram = np.diag(small.counts) - self.cells.cross()
        _, first = np.unique(labels, return_index=True)
        self.free = np.setdiff1d(np.arange(m), first)
        self.chol = linalg.cho_factor(gram[np.ix_(self.free, self.free)]) if self.free.size else None

    def demean_block(self, a: np.ndarray, buf: np.ndarray) -> None:
        big, small = self.big, self.small
        mean_b = big.block_sums(a) / big.counts[:, None]
        rhs = small.block_sums(a) - self.cells.t_dot(mean_b)
        theta = np.zeros_like(rhs)
        if self.chol is not None:
            theta[self.free] = linalg.cho_solve(self.chol, rhs[self.free])
        alpha = mean_b - self.cells.dot(theta) / big.counts[:, None]
        for j in range(a.shape[1]):
            subtract_gathered(a[:, j], alpha[:, j], big.codes, buf)
            subtract_gathered(a[:, j], theta[:, j], small.codes, buf)


def is_nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True if every level of `inner` lies within one level of `outer` (O(N), no sort).

    A prefix of the rows is checked first, so a pair that is plainly not nested costs little.
    """
    if inner is outer or inner.size == 0:
        return True
    seen = np.empty(int(inner.max()) + 1, dtype=np.int64)
    for stop in (min(inner.size, 1 << 16), inner.size):
        seen[inner[:stop]] = outer[:stop]  # some outer level of each inner level; nested iff every row agrees
        if not np.array_equal(seen[inner[:stop]], outer[:stop]):
            return False
    return True


def small_components(big: np.ndarray, small: np.ndarray, n_big: int, n_small: int) -> np.ndarray:
    """Component label of each level of `small` in the bipartite graph of the observed (big, small) pairs.

    Every big level touches some small level, so the components are those of the small levels linked
    through a shared big level; linking each small level to the smallest one of each of its big
    levels (a star per big level) keeps that connectivity with at most n_small^2 distinct edges.
    When both sides are small (year x industry^year) the graph of the observed pairs is used directly.
    """
    if n_small == 0:
        return np.zeros(0, dtype=np.int64)
    if n_big * n_small <= 1 << 22:  # both small: one count of the pairs, no per-row minimum
        seen = np.flatnonzero(np.bincount(big * n_small + small, minlength=n_big * n_small))
        nodes = n_big + n_small  # big levels, then small levels; one edge per observed pair
        graph = sparse.coo_array((np.ones(seen.size), (seen // n_small, n_big + seen % n_small)), shape=(nodes, nodes))
        _, labels = connected_components(graph, directed=False)
        return dense_codes(labels[n_big:])  # components numbered in order of the small levels, as below
    starts = None
    if n_big and bool(np.all(big[1:] >= big[:-1])):  # sorted (a panel sorted by firm): minimum per run of rows
        starts = np.flatnonzero(np.concatenate([[True], big[1:] != big[:-1]]))
    if starts is not None and starts.size == n_big and big[0] == 0:  # every level present, in order
        hub = np.minimum.reduceat(small, starts)
    else:
        hub = np.full(n_big, n_small, dtype=np.int64)
        np.minimum.at(hub, big, small)
    if n_small <= 4096:
        edges = np.bincount(small * n_small + hub[big], minlength=n_small * n_small).reshape(n_small, n_small)
        graph = sparse.coo_array(edges > 0)
    else:
        pairs = np.unique(small * n_small + hub[big])
        graph = sparse.coo_array(
            (np.ones(pairs.size), (pairs // n_small, pairs % n_small)), shape=(n_small, n_small)
        )
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


class Absorber:
    """Residualise columns on a fixed set of absorbed effects; build once, apply to many columns.

    `demean(a)` overwrites `a` (float64, N or N x p) with its residuals and returns it; the number
    of sweeps the last call took is `iterations` (0 for the exact paths).

    An effect whose dummies are spanned by another effect's (year when industry^year is also absorbed: every
    industry^year level lies within one year) changes no residual, so it is left out of the demeaning
    (`redundant` lists the positions of the effects left out). The degrees of freedom are counted on all the
    effects as given (`within.absorbed_dof`), so they do not change.
    """

    def __init__(
        self,
        codes: Sequence[np.ndarray],
        tol: float = DEFAULT_TOL,
        maxiter: int = DEFAULT_MAXITER,
        exact_max_levels: int = EXACT_MAX_LEVELS,
        weights: np.ndarray | None = None,
    ) -> None:
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        ranked = sorted(range(len(codes)), key=lambda g: -_levels(codes[g]))  # stable: ties keep the given order
        kept: list[int] = []
        for g in ranked:  # only an effect with at least as many levels can be nested in this one
            if not any(is_nested(np.asarray(codes[h]), np.asarray(codes[g])) for h in kept):
                kept.append(g)
        self.redundant = tuple(sorted(set(range(len(codes))) - set(kept)))
        self.factors = [_Factor(codes[g], self.weights, index=g) for g in kept]
        self.tol, self.maxiter = tol, maxiter
        self.iterations = 0
        self.pair: _TwoWay | None = None
        self.rest: list[_Factor] = list(self.factors)
        if len(self.factors) >= 2:
            # the largest effect paired exactly with the largest other effect small enough to solve
            small = [f for f in self.factors[1:] if f.levels <= exact_max_levels]
            if small:
                self.pair = _TwoWay(self.factors[0], small[0])
                self.rest = [f for f in self.factors[1:] if f is not small[0]]

    @property
    def exact(self) -> bool:
        return len(self.factors) <= 1 or (self.pair is not None and not self.rest)

    @property
    def pair_components(self) -> dict[tuple[int, int], int]:
        """Connected components of the exactly solved pair, keyed by the pair's positions in `codes` (sorted):
        what `within.absorbed_dof` needs for the same pair, so it is not computed twice."""
        if self.pair is None:
            return {}
        key = tuple(sorted((self.pair.big.index, self.pair.small.index)))
        return {key: self.pair.n_components}

    def _sweep(self, a: np.ndarray, buf: np.ndarray) -> None:
        if self.pair is not None:
            self.pair.demean_block(a, buf)
        for f in self.rest:
            f.demean_block(a, buf)

    def demean(self, a: np.ndarray) -> np.ndarray:
        if a.dtype != np.float64:
            raise TypeError("Absorber.demean works in place on float64 arrays")
        self.iterations = 0
        block = a[:, None] if a.ndim == 1 else a
        if not self.factors:
            for j in range(block.shape[1]):
                col = block[:, j]
                col -= col.mean() if self.weights is None else np.average(col, weights=self.weights)
            return a
        buf = np.empty(block.shape[0])
        if self.exact:
            self._sweep(block, buf)
            return a
        for j in range(block.shape[1]):
            self._iterate(block[:, j : j + 1], buf)  # each column converges at its own pace
        return a

    def _iterate(self, x: np.ndarray, buf: np.ndarray) -> None:
        """Alternating projections on one column (N x 1) with Irons-Tuck acceleration (fixest's scheme)."""
        scale = max(float(np.abs(x).max()), np.finfo(float).tiny)
        limit = self.tol * scale
        it = 0
        while it < self.maxiter:
            gx = x.copy(order="F")
            self._sweep(gx, buf)
            it += 1
            if np.abs(gx - x).max() <= limit:
                x[:] = gx
                break
            ggx = gx.copy(order="F")
            self._sweep(ggx, buf)
            it += 1
            delta_g = ggx - gx
            if np.abs(delta_g).max() <= limit:
                x[:] = ggx
                break
            delta2 = delta_g - (gx - x)
            denom = float(np.vdot(delta2, delta2))
            coef = float(np.vdot(delta_g, delta2)) / denom if denom > 0 else 0.0
            # (1 - coef) * ggx + coef * gx stays in x + span(dummies): an affine step of the iteration
            x[:] = ggx - coef * delta_g
        else:
            warnings.warn(
                f"alternating projections stopped after {it} sweeps above tolerance {self.tol:g}",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.iterations = max(self.iterations, it)


def _levels(codes: np.ndarray) -> int:
    return int(np.max(codes)) + 1 if len(codes) else 0


def demean(
    a: np.ndarray,
    codes: Sequence[np.ndarray],
    tol: float = DEFAULT_TOL,
    maxiter: int = DEFAULT_MAXITER,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Residuals of each column of `a` on the absorbed dummies of `codes` (a new float64 array).

    With analytic `weights` (positive): the weighted least-squares residuals (weighted group means in every step).
    """
    out = np.array(a, dtype=np.float64, order="F", copy=True)
    if out.ndim == 1:
        out = out[:, None]
    return Absorber(codes, tol=tol, maxiter=maxiter, weights=weights).demean(out)
