"""FE point estimates on many row subsets at once, without refitting: the permutation test's inner loop.

A permutation draw splits the pooled rows into two groups and fits the same FE regression in each. A
group is the pooled rows with 0/1 weights w, and the fit on it depends on w only through a few sums
that are linear in w (the algebra of srdi.models.bootstrap, with weights per row instead of per cluster).
With a "large" effect A (firms) and an optional "small" one B (years), v the centred columns [y, x]:

    n_a = sum_w 1 per level of A,   s_a = sum_w v per level of A,   c_ab = sum_w 1 per (A, B) cell
    V'WV after A:  sum_w v v' - sum_a s_a s_a' / n_a
    D'WV after A:  sum_w v per level of B - sum_a c_ab s_a / n_a          (D: B's dummies)
    D'WD after A:  diag(sum_w 1 per level of B) - sum_a c_ab c_ab' / n_a
    S(w) = V'WV - (D'WV)' (D'WD)^+ (D'WV)                                   (Frisch-Waugh-Lovell)

and the coefficients solve S_xx b = S_xy. Rows alone in a level contribute nothing to S (they are fitted
exactly by their effect), so dropping singletons, as the refit does, never changes b. Without absorbed
effects A is a one-level constant (the intercept); with one effect B is absent.

With row weights the three A-terms are blocks of one Gram matrix, sum_a u_a u_a' / n_a with u_a = [s_a, c_ab]:
one sparse product gives every u_a of a few draws, one syrk per draw their Gram. Each step costs a draw time
linear in the rows (firm-years).

`SubsetFE.coefficients` returns NaN for a draw it cannot decide safely (too few rows, or a regressor near
the collinearity threshold of `fit_panel`), and the caller refits exactly those draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from srdi.models.within import n_levels

EIG_RTOL = 1e-10  # eigenvalues of D'WD below this share of the largest are structural zeros
MAX_SMALL_LEVELS = 100  # a second effect with more levels than this is left to the exact refit
# Margins 10x stricter than fit_panel's collinearity test (residual > 1e-6 of the raw norm and 1e-4 of the
# demeaned norm): a draw this close to the threshold is refitted, so the decision is always fit_panel's.
RAW_RTOL, DEMEANED_RTOL = 1e-5, 1e-3
SCRATCH = 4_000_000  # floats of per-draw row products held at once (32 MB)


def _indicator(codes: np.ndarray, levels: int) -> sparse.csr_matrix:
    """(levels x N) 0/1 matrix: row l marks the rows in level l."""
    n = codes.shape[0]
    return sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(levels, n))


def _level_columns(a: np.ndarray, la: int, v: np.ndarray, b: np.ndarray | None, lb: int) -> sparse.csr_matrix:
    """(la * c x N), c = m + max(lb, 1): so that (it @ w.T).T reshaped (draws, la, c) holds per level of A the
    weighted sums of v and the weighted count per level of B (or in all, without B): u_a = [s_a, c_ab]."""
    n, m = v.shape
    c = m + max(lb, 1)
    count_col = (m + b) if b is not None else np.full(n, m)
    rows = np.column_stack([a[:, None] * c + np.arange(m), a * c + count_col]).ravel()
    vals = np.column_stack([v, np.ones(n)]).ravel()
    return sparse.csr_matrix((vals, (rows, np.repeat(np.arange(n), m + 1))), shape=(la * c, n))


def _upper_products(v: np.ndarray) -> np.ndarray:
    """(N, m (m + 1) / 2): the products v_i v_j, i <= j, of each row (a weighted sum of them is half the work)."""
    i, j = np.triu_indices(v.shape[1])
    return v[:, i] * v[:, j]


def _full(upper: np.ndarray, m: int) -> np.ndarray:
    """(B, m, m) symmetric matrices from their (B, m (m + 1) / 2) upper triangles."""
    i, j = np.triu_indices(m)
    out = np.empty((upper.shape[0], m, m))
    out[:, i, j] = upper
    out[:, j, i] = upper
    return out


def _spread(codes: np.ndarray, levels: int, v: np.ndarray) -> sparse.csr_matrix:
    """(levels * m x N): entry (l * m + j, i) = v_ij when row i is in level l, so (it @ w.T).T sums v per level."""
    n, m = v.shape
    rows = (codes[:, None] * m + np.arange(m)).ravel()
    cols = np.repeat(np.arange(n), m)
    return sparse.csr_matrix((v.ravel(), (rows, cols)), shape=(levels * m, n))


@dataclass(frozen=True)
class _Sums:
    """The sums of one weighting that S(w) needs, each linear in w (so a complement is a subtraction)."""

    vv: np.ndarray  # (B, m, m) sum_w v v'
    u: np.ndarray | None  # (B, La, c) [sum_w v, sum_w 1 per level of B] per level of A (None: units)
    s_b: np.ndarray | None  # (B, Lb, m) sum_w v per level of B (with units: already net of A's part)
    n_b: np.ndarray | None  # (B, Lb)
    cc: np.ndarray | None  # (B, Lb, Lb) with units: sum_a c_ab c_ab' / n_a
    raw2: np.ndarray  # (B, k) sum_w x^2 of the raw regressors
    count: np.ndarray  # (B,) sum_w 1
    u_total: np.ndarray | None = None  # (La, c): set, the u of draw i is u_total - u[i] (a complement)

    def __sub__(self, other: _Sums) -> _Sums:
        """The complement's sums (self: the totals); its u is left as u_total - u, formed draw by draw."""
        def minus(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a - b

        return _Sums(self.vv - other.vv, other.u, minus(self.s_b, other.s_b), minus(self.n_b, other.n_b),
                     minus(self.cc, other.cc), self.raw2 - other.raw2, self.count - other.count,
                     u_total=None if self.u is None else self.u[0])


@dataclass
class SubsetFE:
    """Pooled rows of one regression (y, x, effects), ready for many 0/1 weightings of its rows or units.

    Weights are per row, or per unit (a firm: `units` maps rows to units) when each unit lies within one
    level of the large effect A; then the A-terms are linear in w as well and every sum is one product of
    the (B x units) weights with per-unit statistics computed once (the cluster bootstrap's algebra).
    """

    v: np.ndarray  # (N, m) centred, scaled [y, x]
    scale: np.ndarray  # (m,) column scales
    raw2: np.ndarray  # (N, k) squared raw x (for fit_panel's raw-norm collinearity threshold)
    a_ind: sparse.csr_matrix  # (La x N)
    b_ind: sparse.csr_matrix | None  # (Lb x N)
    ab_ind: sparse.csr_matrix | None  # (La * Lb x N)
    lb: int
    vv: np.ndarray  # (N, m (m + 1) / 2) row products v_i v_j, i <= j (`_upper_products`)
    u_t: sparse.csr_matrix  # (La * c x N): w @ it.T gives the u_a of weighting w (`_level_columns`)
    vb_t: sparse.csr_matrix | None  # (Lb * m x N) the same per level of B
    unit_stats: np.ndarray | None = None  # (G, ...) per-unit linear statistics when weights are per unit
    unit_of_level: np.ndarray | None = None  # the unit of each level of A (weights are given per unit)
    total: _Sums | None = None  # sums with every weight 1 (a weighting's complement = total - its sums)

    @classmethod
    def build(
        cls, y: np.ndarray, x: np.ndarray, effects: Sequence[np.ndarray], units: np.ndarray | None = None
    ) -> SubsetFE | None:
        """None when the effects are not (at most) one large and one small effect, or the units do not
        lie within levels of the large one: the caller refits instead."""
        if len(effects) > 2:
            return None
        n = y.shape[0]
        codes = sorted(effects, key=n_levels, reverse=True)
        a = codes[0] if codes else np.zeros(n, dtype=np.int64)
        b = codes[1] if len(codes) == 2 else None
        if b is not None and n_levels(b) > MAX_SMALL_LEVELS:
            return None
        if units is not None:
            pairs = np.unique(np.column_stack([units, a]), axis=0)
            if not len(pairs) == n_levels(units) == n_levels(a) == np.unique(pairs[:, 1]).size:
                return None  # only units that are the levels of A keep the A-terms linear
        v = np.column_stack([y, x]).astype(float)
        v -= v.mean(axis=0)  # absorbed by any effect (or the intercept); avoids cancellation in the sums
        scale = np.sqrt((v**2).mean(axis=0))
        scale[scale == 0] = 1.0
        v /= scale
        la = n_levels(a)
        lb = n_levels(b) if b is not None else 0
        fe = cls(
            v=v,
            scale=scale,
            raw2=np.asarray(x, dtype=float) ** 2,
            a_ind=_indicator(a, la),
            b_ind=_indicator(b, lb) if b is not None else None,
            ab_ind=_indicator(a * lb + b, la * lb) if b is not None else None,
            lb=lb,
            vv=_upper_products(v),
            u_t=_level_columns(a, la, v, b, lb),
            vb_t=_spread(b, lb, v) if b is not None else None,
        )
        if units is not None:
            fe.unit_stats = fe._unit_stats()
            fe.unit_of_level = np.empty(la, dtype=np.int64)
            fe.unit_of_level[pairs[:, 1]] = pairs[:, 0]
        fe.total = fe._sums(np.ones((1, n_levels(units) if units is not None else n)))
        return fe

    def _unit_stats(self) -> np.ndarray:
        """Per unit (= level of A): [sum v v' - s s'/n, s_b - c s'/n, c, c c'/n, sum x^2, n] flattened."""
        m, lb = self.v.shape[1], self.lb
        u = self._row_sums(np.ones((1, self.v.shape[0]))).u[0]
        n_u = u[:, m:].sum(axis=1)
        inv = np.where(n_u > 0, 1.0 / np.where(n_u > 0, n_u, 1.0), 0.0)
        s_u = u[:, :m]  # (G, m)
        vv_u = _full(self.a_ind @ self.vv, m).reshape(-1, m * m)
        parts = [vv_u - (inv[:, None, None] * s_u[:, :, None] * s_u[:, None, :]).reshape(-1, m * m)]
        if self.b_ind is not None:
            c_u = u[:, m:]  # (G, Lb)
            sb_u = (self.ab_ind @ self.v).reshape(-1, lb, m)  # (G, Lb, m) per unit and level of B
            parts += [(sb_u - inv[:, None, None] * c_u[:, :, None] * s_u[:, None, :]).reshape(-1, lb * m), c_u,
                      (inv[:, None, None] * c_u[:, :, None] * c_u[:, None, :]).reshape(-1, lb * lb)]
        parts += [self.a_ind @ self.raw2, n_u[:, None]]
        return np.hstack(parts)

    def _sums(self, w: np.ndarray) -> _Sums:
        if self.unit_stats is None:
            return self._row_sums(w)
        m, lb, k = self.v.shape[1], self.lb, self.raw2.shape[1]
        t = w[:, self.unit_of_level] @ self.unit_stats
        nb, pos = w.shape[0], m * m
        vv = t[:, :pos].reshape(nb, m, m)
        s_b = n_b = cc = None
        if self.b_ind is not None:
            s_b = t[:, pos : pos + lb * m].reshape(nb, lb, m)
            n_b = t[:, pos + lb * m : pos + lb * m + lb]
            cc = t[:, pos + lb * m + lb : pos + lb * m + lb + lb * lb].reshape(nb, lb, lb)
        return _Sums(vv, None, s_b, n_b, cc, t[:, -k - 1 : -1], t[:, -1])

    def _row_sums(self, w: np.ndarray) -> _Sums:
        """The linear sums of row weightings. The row products (N x m (m + 1) / 2) are read once for all the draws
        (once per pass made the cost grow with rows x levels); the per-level sums go a few draws per pass (bounds
        the sparse product's (La * c, draws) scratch) straight into their (draws, La, c) place."""
        nb, m = w.shape[0], self.v.shape[1]
        la_c = self.u_t.shape[0]
        step = max(1, min(nb, SCRATCH // la_c))
        u = np.empty((nb, la_c))
        for i in range(0, nb, step):
            u[i : i + step] = (self.u_t @ np.ascontiguousarray(w[i : i + step].T)).T
        s_b = n_b = None
        if self.b_ind is not None:
            s_b = (w @ self.vb_t.T).reshape(nb, self.lb, m)  # (B, Lb, m)
            n_b = w @ self.b_ind.T  # (B, Lb)
        vv = _full(w @ self.vv, m)
        return _Sums(vv, u.reshape(nb, self.a_ind.shape[0], -1), s_b, n_b, None, w @ self.raw2, w.sum(axis=1))

    def cross_products(self, sums: _Sums) -> np.ndarray:
        """(B, m, m) residualised cross-products S(w) of the scaled [y, x] from a weighting's sums."""
        s, dv, dd = sums.vv, sums.s_b, None
        if sums.u is not None:  # row weights: take out A here (per unit, it is in the unit statistics)
            m = s.shape[1]
            gram = np.empty((s.shape[0], sums.u.shape[2], sums.u.shape[2]))
            for i, u in enumerate(sums.u):
                if sums.u_total is not None:
                    u = sums.u_total - u
                n_a = u[:, m:].sum(axis=1)
                scaled = u * np.sqrt(np.where(n_a > 0, 1.0 / np.where(n_a > 0, n_a, 1.0), 0.0))[:, None]
                gram[i] = scaled.T @ scaled  # sum_a u_a u_a' / n_a (a syrk)
            s = s - gram[:, :m, :m]
            if self.b_ind is not None:
                dv = sums.s_b - gram[:, m:, :m]
                dd = sums.n_b[:, :, None] * np.eye(self.lb) - gram[:, m:, m:]
        elif self.b_ind is not None:
            dd = sums.n_b[:, :, None] * np.eye(self.lb) - sums.cc
        if self.b_ind is None:
            return s
        vals, vecs = np.linalg.eigh((dd + dd.transpose(0, 2, 1)) / 2)
        top = np.maximum(vals[:, -1:], 0.0)
        keep = vals > EIG_RTOL * top
        inv_vals = np.where(keep, 1.0 / np.where(keep, vals, 1.0), 0.0)
        proj = vecs.transpose(0, 2, 1) @ dv  # (B, Lb, m)
        return s - proj.transpose(0, 2, 1) @ (inv_vals[:, :, None] * proj)

    def coefficients(self, w: np.ndarray, n_interest: int) -> tuple[np.ndarray, np.ndarray]:
        """FE estimates of the first `n_interest` regressors on each 0/1 weighting (rows of w, B x rows or
        B x units) and on its complement: two (B, n_interest) arrays, NaN where the caller must refit."""
        w = np.atleast_2d(np.asarray(w, dtype=float))
        sums = self._sums(w)
        return self._decide(sums, n_interest), self._decide(self.total - sums, n_interest)

    def _decide(self, sums: _Sums, n_interest: int) -> np.ndarray:
        nb = sums.count.shape[0]
        out = np.full((nb, n_interest), np.nan)
        s = self.cross_products(sums)
        sxx, sxy = s[:, 1:, 1:], s[:, 1:, 0]
        k = sxx.shape[1]
        raw_norm = np.sqrt(np.maximum(sums.raw2, 0.0)) / self.scale[1:]  # in the scaled units of S
        # Sequential residual norms of the columns = the Cholesky diagonal (fit_panel's collinearity test).
        ok = sums.count >= 1.5
        safe = np.where(ok[:, None, None], sxx, np.eye(k))
        try:
            chol = np.linalg.cholesky(safe)
        except np.linalg.LinAlgError:
            return out  # some draw is not positive definite: the caller refits every draw of this block
        resid = np.abs(np.diagonal(chol, axis1=1, axis2=2))
        diag = np.sqrt(np.maximum(np.diagonal(sxx, axis1=1, axis2=2), 0.0))
        ok &= ((resid > RAW_RTOL * raw_norm) & (resid > DEMEANED_RTOL * diag)).all(axis=1)
        if not ok.any():
            return out
        beta = np.linalg.solve(sxx[ok], sxy[ok][:, :, None])[:, :, 0]
        out[ok] = beta[:, :n_interest] * self.scale[0] / self.scale[1 : 1 + n_interest]
        return out
