r"""Identification, weak-instrument and over-identification diagnostics of 2SLS, as ivreg2 / ivreghdfe report them.

Inputs are the within-transformed (absorbed effects partialled out, `hdfe.Absorber`) outcome ỹ, endogenous X
(N x K1), excluded instruments Z (N x L1) and kept controls W (N x kw), plus the cluster codes. Notation:
L = L1 + kw (every instrument), sdof = max(df_a, 1) (ivreghdfe's `sdofminus`: the absorbed parameters, or the
intercept when every effect is nested in the clusters or the model is pooled), G the (smallest) number of clusters.

Two forms, exactly as in ivreg2.ado / ivreghdfe.ado and `ranktest`:

* chi2 forms (`kp_rk_lm`, `ar_wald_chi2`, `hansen_j`, `sargan`) use the covariance of the moment conditions
  S = (1/N) Σ_g u_g u_g' (robust: each observation its own cluster; unadjusted: σ² Z'Z/N with σ² = e'e/N)
  **without** a small-sample factor;
* F forms (`cd_wald_f`, `kp_rk_wald_f`, `ar_wald_f`) divide the chi2 form by L1 and by the small-sample factor
  of `vcov` for a regression on all L instruments: q = N/(N-L-sdof), or G/(G-1)·(N-1)/(N-L-sdof) clustered,
  i.e. ivreg2's `r(chi2)/N·(N-L-sdof)/L1` and `r(chi2)/(N-1)·(N-L-sdof)·(G-1)/G/L1`. The AR F has
  (L1, N-L-sdof) or (L1, G-1) degrees of freedom.

Statistics:

* Kleibergen & Paap (2006) rk statistic of H0: rank(Π) = K1-1 for the L1 x K1 first-stage matrix Π (W
  partialled out): Θ = G Π F' with G = (Z'Z/N)^{1/2}, F'F = (X'X/N)^{-1} (symmetric roots: the statistic does not
  depend on the normalisation), SVD Θ = USV', A⊥ = U₂ U₂₂⁻¹ (U₂₂U₂₂')^{1/2}, B⊥ = (V₂₂V₂₂')^{1/2} V₂₂'⁻¹ V₂',
  λ = (B⊥ ⊗ A⊥') vec Θ, rk = N λ' [(B⊥ ⊗ A⊥') V_Θ (B⊥ ⊗ A⊥')']⁻¹ λ, chi2(L1-K1+1). V_Θ comes from the scores
  v_i ⊗ z_i: `ranktest`'s LM version takes v = X (the variables themselves), the Wald version v = the first-stage
  residuals. With `vcov: unadjusted` the rk LM is Anderson's canonical-correlation LM N·r²_min and the rk Wald F
  is the Cragg-Donald F, as ivreg2 reports then;
* Cragg-Donald Wald F: d_min · (N-L-sdof)/L1, d_min the smallest eigenvalue of (X'M_Z X)⁻¹ X'P_Z X (W partialled);
* Hansen J (robust / cluster): N ḡ'S⁻¹ḡ at the two-step efficient GMM estimate whose weight S⁻¹ comes from the
  2SLS residuals (ivreg2's `s_iegmm`), moments Z_all = [Z, W]; Sargan: N e'P e / e'e with the 2SLS residuals;
* Anderson-Rubin: Wald test that the excluded instruments' coefficients are zero in the regression of
  ỹ - X̃β0 on [Z, W] (β0 = 0 as ivreg2); for one endogenous regressor, the 95% AR confidence set
  {β0: AR F(β0) ≤ F_{0.95}(L1, df2)} by a grid in θ = arctan((β0 - b)/s) over the whole line and root refinement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

from srdi.models import dist
from srdi.models.within import n_levels

GRID_POINTS = 4001  # points of the AR-set grid on (-pi/2, pi/2)


# ---------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class IVData:
    """Within-transformed data of one IV model and how its covariance is estimated."""

    y: np.ndarray  # (N,)
    x: np.ndarray  # (N, K1) endogenous
    z: np.ndarray  # (N, L1) excluded instruments
    w: np.ndarray  # (N, kw) kept controls
    vtype: str  # "unadjusted" | "robust" | "cluster"
    clusters: tuple[np.ndarray, ...]
    df_a: int

    @property
    def n(self) -> int:
        return self.y.shape[0]

    @property
    def n_instruments(self) -> int:
        return self.z.shape[1] + self.w.shape[1]

    @property
    def sdof(self) -> int:
        return max(self.df_a, 1)

    @property
    def n_clusters(self) -> int | None:
        return min(n_levels(c) for c in self.clusters) if self.vtype == "cluster" else None

    def f_scale(self) -> float:
        """1/q: multiplies a chi2 form (no small-sample factor) into ivreg2's F numerator."""
        n, rest = self.n, self.n - self.n_instruments - self.sdof
        if self.vtype == "cluster":
            g = self.n_clusters
            return rest / (n - 1) * (g - 1) / g
        return rest / n

    def f_df2(self) -> int:
        return self.n_clusters - 1 if self.vtype == "cluster" else self.n - self.n_instruments - self.sdof


@dataclass(frozen=True)
class Test:
    """One test statistic as a diagnostic row: statistic, p-value (NaN if none) and degrees of freedom."""

    statistic: float
    p_value: float = np.nan
    df1: float = np.nan
    df2: float = np.nan


@dataclass(frozen=True)
class ARSet:
    """The AR confidence set: a union of closed intervals (±inf for rays), and its shape in words."""

    pieces: tuple[tuple[float, float], ...]
    shape: str  # "bounded interval" | "union of rays" | "whole line" | "empty" | "union of N intervals" | ...
    level: float


# ---------------------------------------------------------------------------------------------- helpers


def partial_out(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Residuals of the columns of `a` on `w` (the included exogenous regressors)."""
    if w.shape[1] == 0:
        return a.copy()
    q, _ = np.linalg.qr(w)
    r = a - q @ (q.T @ a)
    return r - q @ (q.T @ r)  # re-orthogonalise once


def meat(scores: np.ndarray, vtype: str, clusters: Sequence[np.ndarray]) -> np.ndarray:
    """Σ_g s_g s_g' of the (N x p) scores, no small-sample factor; two-way: M1 + M2 - M12 (CGM 2011)."""
    if vtype != "cluster":
        return scores.T @ scores
    out = _cluster_meat(scores, clusters[0])
    if len(clusters) == 2:
        both = np.unique(clusters[0] * n_levels(clusters[1]) + clusters[1], return_inverse=True)[1].reshape(-1)
        out = out + _cluster_meat(scores, clusters[1]) - _cluster_meat(scores, both)
    return out


def _cluster_meat(scores: np.ndarray, codes: np.ndarray) -> np.ndarray:
    levels = n_levels(codes)  # np.bincount per column: far faster than np.add.at on millions of rows
    sums = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=levels) for j in range(scores.shape[1])])
    return sums.T @ sums


def _sym_power(a: np.ndarray, power: float) -> np.ndarray:
    vals, vecs = np.linalg.eigh((a + a.T) / 2)
    return (vecs * vals**power) @ vecs.T


def _chi2(stat: float, df: int) -> Test:
    return Test(stat, float(dist.chi2_sf(stat, df)), df)


# ---------------------------------------------------------------------------------------------- identification


def canonical_eigenvalues(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Eigenvalues d of (X'M_Z X)⁻¹ X'P_Z X, ascending (d = r²/(1-r²) for the canonical correlations r)."""
    coef, *_ = np.linalg.lstsq(z, x, rcond=None)
    fitted = z @ coef
    resid = x - fitted
    return np.sort(linalg.eigvals(fitted.T @ fitted, resid.T @ resid).real)


def rk_statistic(x: np.ndarray, z: np.ndarray, v: np.ndarray, vtype: str, clusters: Sequence[np.ndarray]) -> float:
    """Kleibergen-Paap rk statistic of H0: rank(Π) = K1 - 1 with V_Θ from the scores v ⊗ z (module docstring)."""
    n, k1 = x.shape
    l1 = z.shape[1]
    qzz, qxx, qzx = z.T @ z / n, x.T @ x / n, z.T @ x / n
    g_half = _sym_power(qzz, 0.5)
    f_half = _sym_power(qxx, -0.5)
    pi = np.linalg.solve(qzz, qzx)
    theta = g_half @ pi @ f_half
    scores = (v[:, :, None] * z[:, None, :]).reshape(n, k1 * l1)  # column j*l1 + k: endogenous j, instrument k
    s = meat(scores, vtype, clusters) / n
    to_theta = np.kron(f_half, g_half @ np.linalg.inv(qzz))  # vec(GΠF') = (F ⊗ G) vec Π, Π's scores Qzz⁻¹ z v
    v_theta = to_theta @ s @ to_theta.T
    u, _, vt = np.linalg.svd(theta)
    vv = vt.T
    q = k1 - 1
    u22, v22 = u[q:, q:], vv[q:, q:]
    a_perp = u[:, q:] @ np.linalg.solve(u22, _sym_power(u22 @ u22.T, 0.5))
    b_perp = _sym_power(v22 @ v22.T, 0.5) @ np.linalg.solve(v22.T, vv[:, q:].T)
    select = np.kron(b_perp, a_perp.T)
    lam = select @ theta.ravel(order="F")
    omega = select @ v_theta @ select.T
    return float(n * lam @ np.linalg.solve((omega + omega.T) / 2, lam))


@dataclass(frozen=True)
class Identification:
    kp_rk_lm: Test
    cd_wald_f: float
    kp_rk_wald_f: float


def identification(d: IVData) -> Identification:
    """Under-identification (rk LM) and weak-identification (Cragg-Donald and rk Wald F) statistics."""
    x, z = partial_out(d.x, d.w), partial_out(d.z, d.w)
    l1, k1 = z.shape[1], x.shape[1]
    dmin = float(canonical_eigenvalues(x, z)[0])
    cd_f = dmin * (d.n - d.n_instruments - d.sdof) / l1
    df = l1 - k1 + 1
    if d.vtype == "unadjusted":
        return Identification(_chi2(d.n * dmin / (1 + dmin), df), cd_f, cd_f)
    lm = rk_statistic(x, z, x, d.vtype, d.clusters)
    resid = x - z @ np.linalg.lstsq(z, x, rcond=None)[0]
    wald = rk_statistic(x, z, resid, d.vtype, d.clusters)
    return Identification(_chi2(lm, df), cd_f, wald * d.f_scale() / l1)


# ---------------------------------------------------------------------------------------------- over-identification


def sargan(d: IVData, e: np.ndarray) -> Test:
    """Sargan's N·e'P_Z e / e'e with the 2SLS residuals e and all instruments [Z, W]."""
    zall = np.column_stack([d.z, d.w])
    fitted = zall @ np.linalg.lstsq(zall, e, rcond=None)[0]
    return _chi2(float(d.n * (fitted @ fitted) / (e @ e)), d.z.shape[1] - d.x.shape[1])


def hansen_j(d: IVData, e: np.ndarray) -> Test:
    """Hansen's J at the two-step GMM estimate, weight from the 2SLS residuals e (ivreg2 after 2SLS, robust)."""
    zall, xall = np.column_stack([d.z, d.w]), np.column_stack([d.x, d.w])
    m = meat(zall * e[:, None], d.vtype, d.clusters)  # N·S; J = g'(N S)⁻¹g with g = Z'e2 is N ḡ'S⁻¹ḡ
    zx, zy = zall.T @ xall, zall.T @ d.y
    m_zx = np.linalg.solve(m, zx)
    b2 = np.linalg.solve(zx.T @ m_zx, m_zx.T @ zy)
    g = zall.T @ (d.y - xall @ b2)
    return _chi2(float(g @ np.linalg.solve(m, g)), d.z.shape[1] - d.x.shape[1])


# ---------------------------------------------------------------------------------------------- Anderson-Rubin


@dataclass(frozen=True)
class _ARParts:
    """Everything AR(β0) needs, as quadratics in β0 (K1 = 1) or at β0 = 0."""

    pi_y: np.ndarray  # (L1,) reduced-form coefficients of the excluded instruments
    pi_x: np.ndarray  # (L1, K1) first-stage coefficients
    bread: np.ndarray  # (Z'Z)⁻¹ with W partialled out
    zz: np.ndarray
    m_yy: np.ndarray  # meat blocks of the scores z·e_y, z·e_x
    m_yx: np.ndarray
    m_xx: np.ndarray
    ss: np.ndarray  # (1 + K1) x (1 + K1) cross-products of the residuals [e_y, e_x]


def _ar_parts(d: IVData) -> _ARParts:
    y, x, z = partial_out(d.y[:, None], d.w)[:, 0], partial_out(d.x, d.w), partial_out(d.z, d.w)
    zz = z.T @ z
    bread = np.linalg.inv(zz)
    pi_y, pi_x = bread @ (z.T @ y), bread @ (z.T @ x)
    e = np.column_stack([y - z @ pi_y, x - z @ pi_x])
    k1, l1 = x.shape[1], z.shape[1]
    m = meat((e[:, :, None] * z[:, None, :]).reshape(len(y), -1), d.vtype, d.clusters) if d.vtype != "unadjusted" \
        else np.zeros(((1 + k1) * l1, (1 + k1) * l1))
    m_yy, m_yx, m_xx = m[:l1, :l1], m[:l1, l1:], m[l1:, l1:]
    return _ARParts(pi_y, pi_x, bread, zz, m_yy, m_yx, m_xx, e.T @ e)


def _ar_chi2(d: IVData, p: _ARParts, beta0: np.ndarray) -> np.ndarray:
    """AR Wald statistic (no small-sample factor) at each β0 in `beta0` (shape (m, K1))."""
    l1 = p.pi_y.shape[0]
    k1 = p.pi_x.shape[1]
    gamma = p.pi_y[None, :] - beta0 @ p.pi_x.T  # (m, L1)
    coef = np.column_stack([np.ones(len(beta0)), -beta0])  # residual e_y - e_x β0 = e·coef
    if d.vtype == "unadjusted":
        sigma2 = np.einsum("mi,ij,mj->m", coef, p.ss, coef) / d.n
        return np.einsum("mi,ij,mj->m", gamma, p.zz, gamma) / sigma2
    # meat of z·(e_y - e_x β0): M_yy - Σ_j β_j (M_yxj + M_yxj') + Σ_jk β_j β_k M_xjxk
    mx = p.m_yx.reshape(l1, k1, l1)  # blocks M_{y, x_j}
    mxx = p.m_xx.reshape(k1, l1, k1, l1)
    meat_b = (p.m_yy[None] - np.einsum("mj,ajb->mab", beta0, mx) - np.einsum("mj,ajb->mba", beta0, mx)
              + np.einsum("mj,mk,jakb->mab", beta0, beta0, mxx))
    cov = p.bread[None] @ meat_b @ p.bread[None]
    return np.einsum("ma,ma->m", gamma, np.linalg.solve(cov, gamma[:, :, None])[:, :, 0])


def anderson_rubin(d: IVData, beta0: np.ndarray | None = None) -> tuple[Test, Test]:
    """AR test of β = β0 (default 0), ivreg2's F and chi2 forms: (F(L1, df2), chi2(L1))."""
    k1, l1 = d.x.shape[1], d.z.shape[1]
    b0 = np.zeros((1, k1)) if beta0 is None else np.asarray(beta0, dtype=float).reshape(1, k1)
    chi2 = float(_ar_chi2(d, _ar_parts(d), b0)[0])
    f = chi2 * d.f_scale() / l1
    df2 = d.f_df2()
    return Test(f, float(dist.f_sf(f, l1, df2)), l1, df2), _chi2(chi2, l1)


def ar_confidence_set(d: IVData, center: float, scale: float, level: float = 0.95) -> ARSet:
    """{β0: AR F(β0) ≤ F_level(L1, df2)} for one endogenous regressor, over the whole real line.

    β0 = center + scale·tan(θ) maps θ ∈ (-π/2, π/2) onto the line, so a grid in θ sees every crossing of the
    critical value at any scale; each crossing is refined by Brent's method in θ. The limit at ±∞ is the AR
    statistic of the first stage (γ(β0)/β0 → -π_x): the set is unbounded iff that is below the critical value.
    """
    if d.x.shape[1] != 1:
        raise ValueError("the AR confidence set is computed for one endogenous regressor only")
    l1 = d.z.shape[1]
    crit = float(dist.f_ppf(level, l1, d.f_df2()) * l1 / d.f_scale())  # in chi2 units
    p = _ar_parts(d)
    scale = scale if np.isfinite(scale) and scale > 0 else max(abs(center), 1.0)

    def excess(theta: np.ndarray) -> np.ndarray:
        b = center + scale * np.tan(theta)
        return _ar_chi2(d, p, b[:, None]) - crit

    half = np.pi / 2
    theta = np.linspace(-half, half, GRID_POINTS)[1:-1]
    values = excess(theta)
    tail = _ar_limit(d, p) - crit  # the same at both ends
    ends = np.concatenate([[tail], values, [tail]])
    thetas = np.concatenate([[-half], theta, [half]])
    inside = ends <= 0
    edge = half - 1e-12  # tan is finite here; the grid ends stand for ±∞ (the limit above)

    def f(t: float) -> float:
        return float(excess(np.array([t]))[0])

    roots = []
    for i in np.flatnonzero(inside[:-1] != inside[1:]):
        lo, hi = max(thetas[i], -edge), min(thetas[i + 1], edge)
        f_lo, f_hi = f(lo), f(hi)
        if f_lo * f_hi < 0:
            root = optimize.brentq(f, lo, hi, xtol=1e-15, rtol=1e-15)
        else:  # the crossing lies between the last finite point and ±∞: as far out as doubles reach
            root = lo if abs(thetas[i]) >= half else hi
        roots.append(center + scale * np.tan(root))
    return _assemble(inside, roots, level)


def _ar_limit(d: IVData, p: _ARParts) -> float:
    """lim AR(β0) as |β0| → ∞: the AR statistic with γ = -π_x and meat M_xx (the first stage's Wald statistic)."""
    if d.vtype == "unadjusted":
        return float(p.pi_x[:, 0] @ p.zz @ p.pi_x[:, 0] / (p.ss[1, 1] / d.n))
    cov = p.bread @ p.m_xx @ p.bread
    return float(p.pi_x[:, 0] @ np.linalg.solve(cov, p.pi_x[:, 0]))


def _assemble(inside: np.ndarray, roots: list[float], level: float) -> ARSet:
    """Intervals from the in/out pattern along θ (first and last entries are -∞ and +∞) and the crossings."""
    edges = [-np.inf, *roots, np.inf]
    states = [bool(inside[0])]
    for i in range(len(inside) - 1):
        if inside[i] != inside[i + 1]:
            states.append(bool(inside[i + 1]))
    pieces = tuple((edges[i], edges[i + 1]) for i, s in enumerate(states) if s)
    if not pieces:
        shape = "empty"
    elif pieces == ((-np.inf, np.inf),):
        shape = "whole line"
    elif len(pieces) == 1 and np.isfinite(pieces[0]).all():
        shape = "bounded interval"
    elif len(pieces) == 2 and pieces[0][0] == -np.inf and pieces[1][1] == np.inf:
        shape = "union of rays"
    else:
        shape = f"union of {len(pieces)} intervals"
    return ARSet(pieces, shape, level)
