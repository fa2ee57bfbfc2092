r"""Wild restricted efficient (WRE) cluster bootstrap for 2SLS with one endogenous regressor and absorbed effects.

Davidson & MacKinnon (2010, JBES), with cluster-level weights as Stata `boottest` after `ivreg2` / `ivreghdfe`
(Roodman, MacKinnon, Nielsen & Webb 2019, "Fast and wild", the WRE section). Model (everything within-transformed
by `fit_iv`'s own steps, so the rows, the demeaned columns and the small-sample factor are fit_iv's):

    y = x β + W γ + D α + u,    x = Z π + W δ + D μ + v     (D: absorbed effects, W: controls, Z: excluded)

Test of H0: β = b0, for each draw b = 1..B with one weight v_bg per cluster g:

1. restricted structural fit: ü = residuals of y - b0 x on [W, D] (the null imposed);
2. efficient restricted reduced form: OLS of x on [Z, W, D, ü]; π̃ (and the W, D coefficients) kept and
   v̈ = x - Zπ̃ - Wδ̃ - Dμ̃ (the ü term is *not* removed: v̈ keeps the part correlated with ü);
3. y*_b = b0 x*_b + Wγ̃ + Dα̃ + ü ⊙ v_b,  x*_b = Zπ̃ + Wδ̃ + Dμ̃ + v̈ ⊙ v_b  (the same weight in both equations);
4. 2SLS of y*_b on x*_b with [W, D] in both stages; t*_b = (β̂*_b - b0) / se*_b, se* the CRV1 sandwich on
   X̂* = P_Z X* and the structural residuals, with fit_iv's factor q (it cancels in p and the interval);
5. p = share of draws with |t*_b| > |t| (ties not counted, as `wild_bootstrap`); the interval by test
   inversion (`wild_bootstrap._inverted_bound`: the b0 where p(b0) crosses 1 - level).

The weights are `wild_bootstrap`'s (full Rademacher enumeration when 2^G <= reps, otherwise draw b's weights
depend only on the seed and b: `wild_weight_rows`), and the per-draw sums Y_b below go through `draws.resample` (step
`wild_bootstrap:<endogenous>`), so the draws can run in shards with identical results; the test inversion
(O(B G L1²) per candidate b0) stays in the combine job.

Algebra. Let M annihilate [D, W] and ÿ = My, ẍ = Mx, z̈ = MZ (N x L1), A = z̈'z̈. By Frisch-Waugh-Lovell (the
controls and dummies are instruments and regressors at once) the 2SLS coefficient of x and its structural
residuals are those of the partialled model: β̂ = p'A⁻¹z̈'ÿ / p'A⁻¹p with p = z̈'ẍ, e = ÿ - ẍβ̂, and the score of
cluster h is p'A⁻¹ z̈_h'e_h / p'A⁻¹p. ü = ÿ - b0 ẍ and v̈ = ẍ - z̈π̃ lie in M's range, so in draw b
M x* = z̈π̃ + M(v̈ ⊙ v_b) and M(y* - b0 x*) = M(ü ⊙ v_b). The bootstrap therefore needs, for every column w of
[ÿ, ẍ, z̈], the G x G x L1 array T_w[h, g] = z̈_h' (M w^(g))_h (w^(g) = w on cluster g's rows, 0 elsewhere):

    z̈_h'(M(w ⊙ v_b))_h = Σ_g v_bg T_w[h, g]

When every absorbed effect is nested in the clusters (firm effects, firm or industry clusters), M_D w^(g) = w^(g)
and T_w[h, g] = δ_hg z̈_h'w_h - (Q_h'z̈_h)'(Q_g'w_g), Q an orthonormal basis of the demeaned controls. Otherwise
(year effects with firm or industry clusters; the intercept of pooled 2SLS) z̈ restricted to each cluster is
re-absorbed by `hdfe.Absorber` (G·L1 columns of N, in blocks), so the result is the dummy-variable bootstrap's.
u = ü(b0) and v̈(b0) are linear combinations of [ÿ, ẍ, z̈] with coefficients depending on b0, so Y_w = v T_w is
formed once (B x G x L1 per column) and every p(b0) costs O(B G L1²). Memory: B·G·L1·(2 + L1) floats (a
`ValueError` above MAX_ELEMENTS), and G²·L1·(2 + L1) for T: meant for the few-cluster case the bootstrap is for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from srdi.blas_threads import limit_blas
from srdi.models.draws import partial_draws
from srdi.models.hdfe import Absorber
from srdi.models.iv import IVSpec, _checked, _fe_codes, _kept_controls, _prepare, parse_iv_spec
from srdi.models.rows import numeric_matrix
from srdi.models.vcov import compute_vcov
from srdi.models.wild_bootstrap import _inverted_bound, bootstrap_parts
from srdi.models.within import absorbed_dof, codes_of, is_nested, n_levels, singleton_mask

MAX_BLOCK = 20_000_000  # elements of N x (absorbed cluster columns) at a time
MAX_ELEMENTS = 400_000_000  # B·G·L1·(2 + L1): the precomputed bootstrap sums (3.2 GB of float64)
TIE_MARGIN = 1e-10  # |t*| must exceed |t| by this relative margin to count (as wild_bootstrap)


# ---------------------------------------------------------------------------------------------- design


@dataclass(frozen=True)
class IVDesign:
    """fit_iv's within-transformed columns of a model with one endogenous regressor, clustered by one column."""

    name: str
    endogenous: str
    excluded: tuple[str, ...]
    controls: tuple[str, ...]  # kept controls
    yd: np.ndarray  # (N,)
    xd: np.ndarray  # (N,) the endogenous regressor
    zd: np.ndarray  # (N x L1) excluded instruments
    wd: np.ndarray  # (N x kW) kept controls
    fe_codes: tuple[np.ndarray, ...]  # codes of each absorbed effect (pooled: one constant level)
    clusters: np.ndarray  # codes 0..G-1
    scale: float  # fit_iv's second-stage factor G/(G-1)·(N-1)/(N-K-a), K = 1 + kW + df_a


def iv_design(
    df: pd.DataFrame, spec: IVSpec | Mapping[str, Any], entity: str, time: str, name: str = "model"
) -> IVDesign:
    """fit_iv's steps 1-6 (its own helpers: lags, LOO instruments, `in_sample` + `sample`, listwise deletion,
    iterative singletons, one `Absorber`, the collinearity rules) and its second-stage small-sample factor."""
    spec = spec if isinstance(spec, IVSpec) else parse_iv_spec(spec, name, entity, time)
    base = spec.base
    if len(spec.endogenous) != 1:
        raise ValueError(
            f"model {spec.name!r}: the WRE bootstrap tests one endogenous regressor, got {list(spec.endogenous)}"
        )
    if base.vcov_type != "cluster" or len(base.cluster_by) != 1:
        raise ValueError(
            f"model {spec.name!r}: the WRE bootstrap needs vcov {{type: cluster}} with one cluster column, "
            f"got {base.vcov_label}"
        )
    for col in spec.panel_columns(entity, time):
        if col not in df.columns:
            raise ValueError(f"model {spec.name!r}: column {col!r} is not in the panel")
    data, _ = _prepare(df, spec, entity, time)
    fe_terms = base.fe_columns(entity, time)
    if fe_terms:
        data = data[singleton_mask(_fe_codes(data, fe_terms))]
        if data.empty:
            raise ValueError(f"model {spec.name!r}: no observations left after dropping singletons")
    fe_codes = _fe_codes(data, fe_terms)
    absorber = Absorber(fe_codes)

    def absorb(raw: np.ndarray) -> np.ndarray:
        return absorber.demean(np.array(raw, dtype=np.float64, order="F", copy=True))

    yd = absorb(numeric_matrix(data, [spec.outcome], spec.name)[:, 0])
    controls, wd, _ = _kept_controls(data, spec, absorb)
    xd = _checked(data, spec, absorb, wd, spec.endogenous, "endogenous variable")
    zd = _checked(data, spec, absorb, wd, spec.excluded, "instrument")
    clusters = codes_of(data[base.cluster_by[0]])
    dof = absorbed_dof(fe_codes, [clusters], len(data))
    x_all = np.column_stack([xd, wd])
    scale = compute_vcov(x_all, np.zeros(len(data)), "cluster", dof.df_a, [clusters]).scale  # depends on sizes only
    if not fe_codes:  # pooled: the centring is a one-level effect (not nested in the clusters)
        fe_codes = [np.zeros(len(data), dtype=np.int64)]
    return IVDesign(
        name=spec.name, endogenous=spec.endogenous[0], excluded=spec.excluded, controls=tuple(controls),
        yd=yd, xd=xd[:, 0].copy(), zd=np.ascontiguousarray(zd), wd=np.ascontiguousarray(wd),
        fe_codes=tuple(fe_codes), clusters=np.asarray(clusters, dtype=np.int64), scale=float(scale),
    )


# ---------------------------------------------------------------------------------------------- core


@dataclass(frozen=True)
class WildIVResult:
    """The WRE test of H0: β = null for the endogenous regressor and the test-inversion interval."""

    estimate: float  # 2SLS coefficient
    std_error: float  # analytic CRV1 SE with factor `scale` (fit_iv's second-stage SE)
    null: float
    t_stat: float  # (estimate - null) / std_error
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
    scale: float
    term: str | None = None
    t_boot: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)


class _WRECore:
    """Per-cluster arrays of the WRE bootstrap on partialled data; rows put in cluster order once."""

    def __init__(
        self,
        yd: np.ndarray,
        xd: np.ndarray,
        zd: np.ndarray,
        wd: np.ndarray,
        clusters: np.ndarray,
        fe_codes: Sequence[np.ndarray],
        scale: float | None,
    ) -> None:
        yd = np.asarray(yd, dtype=float).ravel()
        xd = np.asarray(xd, dtype=float).ravel()
        n = yd.size
        zd = np.asarray(zd, dtype=float).reshape(n, -1)
        wd = np.asarray(wd, dtype=float).reshape(n, -1)
        clusters = np.asarray(clusters, dtype=np.int64)
        if xd.size != n or clusters.size != n:
            raise ValueError("y, x, Z, W and the cluster codes must have the same number of rows")
        g = n_levels(clusters)
        if g < 2:
            raise ValueError(f"the wild cluster bootstrap needs at least two clusters, got {g}")
        counts = np.bincount(clusters, minlength=g)
        if (counts == 0).any():
            raise ValueError("cluster codes must be 0..G-1 with every code present")
        order = np.argsort(clusters, kind="stable")
        yd, xd, zd, wd, clusters = yd[order], xd[order], zd[order], wd[order], clusters[order]
        fe_codes = [np.asarray(fe)[order] for fe in fe_codes]
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.n, self.g, self.l1 = n, g, zd.shape[1]
        if self.l1 < 1:
            raise ValueError("need at least one excluded instrument")
        # partial the controls out (orthonormal basis Q of the demeaned controls)
        q = np.linalg.qr(wd)[0] if wd.shape[1] else np.zeros((n, 0))
        cols = np.column_stack([yd, xd, zd])
        cols = cols - q @ (q.T @ cols)
        cols = cols - q @ (q.T @ cols)  # re-orthogonalise once
        self.cols = cols  # [ÿ, ẍ, z̈]
        self.gram = cols.T @ cols
        z = cols[:, 2:]
        self.a = self.gram[2:, 2:]
        if np.linalg.matrix_rank(self.a) < self.l1:
            raise ValueError("the excluded instruments are collinear after partialling out the controls")
        self.a_inv = np.linalg.inv(self.a)
        p = self.gram[2:, 1]
        d = float(p @ self.a_inv @ p)
        if not d > 0:
            raise ValueError("the instruments do not explain the endogenous regressor")
        self.beta = np.array([float(p @ self.a_inv @ self.gram[2:, 0]) / d])
        e = cols[:, 0] - cols[:, 1] * self.beta[0]
        k = 1 + wd.shape[1]
        self.scale = float(scale) if scale is not None else g / (g - 1) * (n - 1) / (n - k)
        infl = z @ (self.a_inv @ p) / d
        se2 = self.scale * float(np.sum(self._sums(infl * e) ** 2))
        if not se2 > 0:
            raise ValueError("the cluster-robust variance of the 2SLS coefficient is zero")
        self.se = float(np.sqrt(se2))
        self.zz_h = self._cluster_gram(z)
        nested = all(is_nested(fe, clusters) for fe in fe_codes)
        self.t = self._cross(z, q, None if nested else fe_codes)  # (G x G x L1 x (2 + L1))

    def _sums(self, values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, self.starts, axis=0)

    def _cluster_gram(self, z: np.ndarray) -> np.ndarray:
        """z̈_h'z̈_h for every cluster: (G x L1 x L1)."""
        return self._sums(z[:, :, None] * z[:, None, :])

    def _cross(self, z: np.ndarray, q: np.ndarray, fe_codes: Sequence[np.ndarray] | None) -> np.ndarray:
        """T[h, g, l, m] = Σ_{i in g} (M_[D,W] z_l^(h))_i cols_im (see the module docstring)."""
        g, l1, m = self.g, self.l1, self.cols.shape[1]
        qz = self._sums(q[:, :, None] * z[:, None, :]) if q.shape[1] else np.zeros((g, 0, l1))  # (G x kW x L1)
        qw = self._sums(q[:, :, None] * self.cols[:, None, :]) if q.shape[1] else np.zeros((g, 0, m))
        out = -np.einsum("hkl,gkm->hglm", qz, qw)
        if fe_codes is None:
            diag = self._sums(z[:, :, None] * self.cols[:, None, :])  # (G x L1 x m)
            out[np.arange(g), np.arange(g)] += diag
            return out
        absorber = Absorber(list(fe_codes))
        ends = np.append(self.starts[1:], self.n)
        pairs = [(h, col) for h in range(g) for col in range(l1)]
        block = max(1, MAX_BLOCK // max(self.n * m, 1))
        for first in range(0, len(pairs), block):
            chunk = pairs[first : first + block]
            w = np.zeros((self.n, len(chunk)), order="F")
            for pos, (h, col) in enumerate(chunk):
                w[self.starts[h] : ends[h], pos] = z[self.starts[h] : ends[h], col]
            absorber.demean(w)
            sums = self._sums(w[:, :, None] * self.cols[:, None, :])  # (G x chunk x m)
            for pos, (h, col) in enumerate(chunk):
                out[h, :, col, :] += sums[:, pos, :]
        return out

    def check_size(self, reps: int) -> None:
        """Refuse sums that would not fit in memory (B x G x L1 x (2 + L1) numbers)."""
        size = reps * self.g * self.l1 * self.cols.shape[1]
        if size > MAX_ELEMENTS:
            raise ValueError(
                f"the WRE bootstrap would hold {size:,} numbers (B x G x L1 x (2 + L1)); use fewer reps or clusters"
            )

    def parts(self, v: np.ndarray) -> np.ndarray:
        """Y[b, h, l, m] = Σ_g v_bg T[h, g, l, m]."""
        b, g = v.shape
        self.check_size(b)
        tg = np.moveaxis(self.t, 1, 0).reshape(g, -1)  # (G_g x (G_h L1 m))
        return (v @ tg).reshape(b, g, self.l1, self.cols.shape[1])

    def pi_tilde(self, b0: float) -> np.ndarray:
        """π̃(b0): coefficients of z̈ in the OLS of ẍ on [z̈, ü(b0)] (from the Gram matrix of [ÿ, ẍ, z̈])."""
        c = np.zeros((self.cols.shape[1], self.l1 + 1))
        c[2:, : self.l1] = np.eye(self.l1)
        c[0, -1], c[1, -1] = 1.0, -b0
        rr = c.T @ self.gram @ c
        rx = c.T @ self.gram[:, 1]
        coef = np.linalg.lstsq(rr, rx, rcond=None)[0]
        return coef[: self.l1]

    def t_star(self, y: np.ndarray, b0: float) -> np.ndarray:
        pi = self.pi_tilde(b0)
        m = self.cols.shape[1]
        cu = np.zeros(m)
        cu[0], cu[1] = 1.0, -b0
        cv = np.zeros(m)
        cv[1], cv[2:] = 1.0, -pi
        yu = y @ cu  # (B x G x L1): z̈_h'(M(ü ⊙ v))_h
        yv = y @ cv  # z̈_h'(M(v̈ ⊙ v))_h
        ch = self.zz_h @ pi  # (G x L1): z̈_h'z̈_h π̃
        zx = ch[None] + yv  # z̈_h'(M x*)_h
        p = zx.sum(axis=1)  # (B x L1)
        r = yu.sum(axis=1)
        qv = p @ self.a_inv
        d = np.einsum("bl,bl->b", qv, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = np.einsum("bl,bl->b", qv, r) / d
            scores = np.einsum("bl,bhl->bh", qv, yu - zx * delta[:, None, None]) / d[:, None]
            return delta / np.sqrt(self.scale * np.einsum("bh,bh->b", scores, scores))

    def t_stat(self, j: int, b0: float) -> float:
        return float((self.beta[j] - b0) / self.se)

    def p_value(self, y: np.ndarray, j: int, b0: float) -> float:
        t = abs(self.t_stat(j, b0))
        tb = np.abs(self.t_star(y, b0))
        return float(np.mean(tb > t * (1 + TIE_MARGIN) + 1e-300))


# ---------------------------------------------------------------------------------------------- API


def wild_iv_arrays(
    yd: np.ndarray,
    xd: np.ndarray,
    zd: np.ndarray,
    wd: np.ndarray,
    cluster_codes: np.ndarray,
    reps: int = 9999,
    weights: str = "webb",
    seed: int | None = None,
    null: float = 0.0,
    ci: bool = True,
    level: float = 0.95,
    fe_codes: Sequence[np.ndarray] = (),
    scale: float | None = None,
    draws: np.ndarray | None = None,
    term: str | None = None,
) -> WildIVResult:
    """WRE bootstrap on within-transformed arrays: outcome `yd`, endogenous `xd` (N,), excluded instruments `zd`
    (N x L1), controls `wd` (N x kW, may have 0 columns). `fe_codes`: codes of the absorbed effects (needed for
    effects not nested in the clusters; pooled data: one constant level). `scale`: the CRV1 factor q (default
    G/(G-1)·(N-1)/(N-1-kW)). `draws`: a (B x G) weight matrix instead of drawing; otherwise the weights of
    `wild_bootstrap.wild_weight_rows` (draw b's depend only on the seed and b), computed through `draws.resample`. In a
    draw-shard job the interval is not computed (that job's estimates are discarded)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    core = _WRECore(yd, xd, zd, wd, cluster_codes, fe_codes, scale)
    y, n_draws, enumerated = bootstrap_parts(core, reps, weights, seed, draws, f"wild_bootstrap:{term}")
    lo = hi = np.nan
    if ci and not partial_draws():
        lo = _inverted_bound(core, y, 0, 1 - level, -1)  # type: ignore[arg-type]  # duck-typed core
        hi = _inverted_bound(core, y, 0, 1 - level, +1)  # type: ignore[arg-type]
    return WildIVResult(
        estimate=float(core.beta[0]), std_error=core.se, null=float(null), t_stat=core.t_stat(0, null),
        p_value=core.p_value(y, 0, null), conf_low=float(lo), conf_high=float(hi), level=level,
        reps=n_draws, weights=weights if draws is None else "given", enumerated=enumerated,
        n_clusters=core.g, nobs=core.n, seed=seed, scale=core.scale, term=term, t_boot=core.t_star(y, null),
    )


@limit_blas()
def wild_iv_bootstrap(
    df: pd.DataFrame,
    spec: IVSpec | Mapping[str, Any],
    entity: str,
    time: str,
    reps: int = 9999,
    weights: str = "webb",
    seed: int | None = None,
    null: float = 0.0,
    ci: bool = True,
    level: float = 0.95,
    name: str = "model",
    draws: np.ndarray | None = None,
) -> WildIVResult:
    """WRE bootstrap of the endogenous coefficient of a `kind: iv` spec, on exactly fit_iv's sample and demeaned
    data, with fit_iv's second-stage factor (so t equals fit_iv's second-stage t at null 0). The spec needs one
    endogenous variable and `vcov: {type: cluster, by: [one column]}` (the bootstrap clusters)."""
    design = iv_design(df, spec, entity, time, name)
    return wild_iv_arrays(
        design.yd, design.xd, design.zd, design.wd, design.clusters, reps=reps, weights=weights, seed=seed,
        null=null, ci=ci, level=level, fe_codes=design.fe_codes, scale=design.scale, draws=draws,
        term=design.endogenous,
    )
