"""Borusyak, Jaravel & Spiess (2024) imputation estimator, with their conservative clustered standard errors.

1. Fit y_it = a_i + l_t + x_it'b on the untreated observations Ω0 (never treated, and not yet treated: t < g).
2. Impute Y(0) for each treated observation, tau_it = y_it - (a_i + l_t + x_it'b).
3. Average: "ATT" over all treated observations, "e=h" over those at horizon h = t - g (equal weights).

Every estimate is linear in y: tau_w = Σ_Ω1 w_it y_it + Σ_Ω0 v_it y_it with v = -Z0 (Z0'Z0)⁻¹ Z1'w (BJS's
imputation weights, Z the unit/year dummies and controls). The normal equations are solved exactly once for
the point estimates and for all the weights at the same time: the unit block is diagonal, so only a small
(years + controls) Schur complement is factorised; one year per connected component of the Ω0 unit-year graph
is the reference. (The project's `hdfe.Absorber` returns residuals only, while this estimator needs the effects
themselves and the projection weights, hence this direct solve.)

Conservative variance (BJS Theorem 3, as Stata `did_imputation` computes it): V = Σ_clusters (Σ_it v_it ε̃_it)²
with v = w on treated rows, ε̃ = the Ω0 regression residual on untreated rows and ε̃ = tau_it - tau_bar on
treated rows, where tau_bar is the average of tau over the row's `avgeffectsby` cell (default: cohort x year),
weighted by w_it times the cluster's total weight in that cell (did_imputation's "smart" weights). No
small-sample factor; z inference (normal p-values and 95% intervals). The leave-one-out variant and
did_imputation's `minn` suppression of estimands with few effective observations are not implemented.

Treated observations that cannot be imputed (their unit has no untreated observation, e.g. always treated, or
their year has none, e.g. after the last cohort is treated when there are no never-treated units) are dropped
from every estimand with a warning, as did_imputation's autosample does; their count is info["n_not_imputed"].

Pre-trend test (did_imputation's `pretrends(k)`): on Ω0 only, regress y on 1[t - g = -h] for h = 1..k
(eventually treated units) with the same effects and controls, reghdfe clustered SEs (`fit_panel`); rows
"e=-k".."e=-1" and the F test W/k with F(k, G-1) that they are all zero.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import linalg, sparse

from srdi.models.did._regdid import DidResult, event_term, prepare, tidy_frame, wald_test
from srdi.models.hdfe import small_components
from srdi.models.panel import fit_panel
from srdi.models.within import codes_of


class _TwoWayNormal:
    """Normal equations Z0'Z0 θ = b of unit dummies, year dummies (references grounded) and controls on Ω0."""

    def __init__(self, unit: np.ndarray, year: np.ndarray, x: np.ndarray, n_units: int, n_years: int) -> None:
        self.unit, self.year, self.x = unit, year, x
        self.n_units = n_units
        self.n_u = np.bincount(unit, minlength=n_units).astype(float)
        self.n_t = np.bincount(year, minlength=n_years).astype(float)
        labels = small_components(unit, year, n_units, n_years)  # component of each year (observed ones)
        present = self.n_t > 0
        first = {}
        for j in np.flatnonzero(present):
            first.setdefault(labels[j], j)
        self.year_label = np.where(present, labels, -1)
        self.free = np.array([j for j in np.flatnonzero(present) if first[labels[j]] != j], dtype=np.int64)
        unit_year = sparse.csr_array((np.ones(unit.size), (unit, year)), shape=(n_units, n_years))
        unit_year.sum_duplicates()
        self.cells = unit_year[:, self.free].toarray() if self.free.size else np.zeros((n_units, 0))
        self.sx = np.column_stack([np.bincount(unit, weights=x[:, j], minlength=n_units) for j in range(x.shape[1])]) \
            if x.shape[1] else np.zeros((n_units, 0))
        b_mat = np.hstack([self.cells, self.sx])  # units x (free years + controls)
        tx = np.column_stack([np.bincount(year, weights=x[:, j], minlength=n_years) for j in range(x.shape[1])])[
            self.free] if x.shape[1] else np.zeros((self.free.size, 0))
        e_mat = np.block([[np.diag(self.n_t[self.free]), tx], [tx.T, x.T @ x]])
        inv_nu = np.divide(1.0, self.n_u, out=np.zeros_like(self.n_u), where=self.n_u > 0)
        self.b_mat, self.inv_nu = b_mat, inv_nu
        schur = e_mat - b_mat.T @ (b_mat * inv_nu[:, None])
        scale = np.sqrt(np.clip(np.diag(schur), np.finfo(float).tiny, None))
        scaled = schur / np.outer(scale, scale)
        if scaled.size and np.linalg.eigvalsh(scaled).min() < 1e-10:
            raise ValueError("controls are collinear with each other or with the unit and year effects on the "
                             "untreated observations")
        self.scale = scale
        self.chol = linalg.cho_factor(scaled) if scaled.size else None

    def rhs(self, unit: np.ndarray, year: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Z'w for rows (unit, year, x) and columns of w: the unit block and the (free years, controls) block."""
        b_u = np.column_stack([np.bincount(unit, weights=w[:, j], minlength=self.n_units) for j in range(w.shape[1])])
        n_years = self.n_t.size
        b_t = np.column_stack([np.bincount(year, weights=w[:, j], minlength=n_years) for j in range(w.shape[1])])
        return b_u, np.vstack([b_t[self.free], x.T @ w])

    def solve(self, b_u: np.ndarray, b_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """θ = (Z0'Z0)⁻¹ b by the Schur complement of the diagonal unit block."""
        rhs = b_w - self.b_mat.T @ (b_u * self.inv_nu[:, None])
        theta_w = linalg.cho_solve(self.chol, rhs / self.scale[:, None]) / self.scale[:, None] \
            if self.chol is not None else np.zeros((0, b_u.shape[1]))
        theta_u = (b_u - self.b_mat @ theta_w) * self.inv_nu[:, None]
        return theta_u, theta_w

    def fitted(self, theta_u: np.ndarray, theta_w: np.ndarray, unit: np.ndarray, year: np.ndarray,
               x: np.ndarray) -> np.ndarray:
        """Z θ for rows (unit, year, x)."""
        lam = np.zeros((self.n_t.size, theta_u.shape[1]))
        lam[self.free] = theta_w[: self.free.size]
        return theta_u[unit] + lam[year] + x @ theta_w[self.free.size:]

    def identified(self, unit: np.ndarray, year: np.ndarray) -> np.ndarray:
        """Rows whose unit and year both have untreated observations in one connected component."""
        unit_label = np.full(self.n_units, -2)
        unit_label[self.unit] = self.year_label[self.year]
        return (self.n_u[unit] > 0) & (self.n_t[year] > 0) & (unit_label[unit] == self.year_label[year])


def imputation(
    df: pd.DataFrame,
    entity: str,
    time: str,
    outcome: str,
    first_treat: str,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    horizons: Sequence[int] | None = None,
    pretrends: int = 0,
    avgeffectsby: Sequence[str] = ("g", "t"),
) -> DidResult:
    """BJS imputation estimates: "ATT", "e=h" for each horizon (default: every observed h >= 0), "e=-h" pre-trends.

    `avgeffectsby`: cells for tau_bar in the variance, among "g" (cohort), "t" (year), "e" (horizon).
    """
    panel = prepare(df, entity, time, outcome, first_treat, controls, cluster)
    frame = panel.frame
    unit = codes_of(frame["unit"].to_numpy())
    year = codes_of(frame["t"].to_numpy())
    g, t = frame["g"].to_numpy(), frame["t"].to_numpy()
    y = frame["y"].to_numpy(dtype=float)
    x = frame[panel.control_cols].to_numpy(dtype=float) if panel.controls else np.zeros((len(frame), 0))
    treated = (g > 0) & (t >= g)
    untr = ~treated
    n_units, n_years = int(unit.max()) + 1, int(year.max()) + 1
    ne = _TwoWayNormal(unit[untr], year[untr], x[untr], n_units, n_years)

    ok = ne.identified(unit, year) & treated
    n_not = int(treated.sum() - ok.sum())
    if n_not:
        warnings.warn(f"imputation: {n_not} treated observation(s) cannot be imputed (no untreated observation of "
                      "their unit or year) and are left out of every estimate", UserWarning, stacklevel=2)
    if not ok.any():
        raise ValueError("no comparison units: no treated observation can be imputed from untreated ones")
    r1 = np.flatnonzero(ok)
    r0 = np.flatnonzero(untr)

    # point estimates: one solve, plus one step of iterative refinement on the residuals
    b_u, b_w = ne.rhs(unit[r0], year[r0], x[r0], y[r0, None])
    th_u, th_w = ne.solve(b_u, b_w)
    resid0 = y[r0] - ne.fitted(th_u, th_w, unit[r0], year[r0], x[r0])[:, 0]
    c_u, c_w = ne.solve(*ne.rhs(unit[r0], year[r0], x[r0], resid0[:, None]))
    th_u, th_w = th_u + c_u, th_w + c_w
    resid0 = y[r0] - ne.fitted(th_u, th_w, unit[r0], year[r0], x[r0])[:, 0]
    tau = y[r1] - ne.fitted(th_u, th_w, unit[r1], year[r1], x[r1])[:, 0]

    e1 = t[r1] - g[r1]
    hs = sorted({int(h) for h in e1 if h >= 0}) if horizons is None else [int(h) for h in horizons]
    if any(h < 0 for h in hs):
        raise ValueError(f"horizons must be >= 0 (treated periods), got {hs}; use pretrends=k for leads")
    terms, cols = ["ATT"], [np.full(r1.size, 1.0 / r1.size)]
    for h in hs:
        sel = e1 == h
        if not sel.any():
            warnings.warn(f"imputation: no imputable treated observation at horizon {h}", UserWarning, stacklevel=2)
            continue
        terms.append(event_term(h))
        cols.append(sel / sel.sum())
    w1 = np.column_stack(cols)  # treated rows x estimands
    est = w1.T @ tau

    # imputation weights of the untreated rows: v0 = -Z0 (Z0'Z0)⁻¹ Z1'w1
    v0 = -ne.fitted(*ne.solve(*ne.rhs(unit[r1], year[r1], x[r1], w1)), unit[r0], year[r0], x[r0])
    cl = codes_of(frame["cl"].to_numpy())
    n_cl = int(cl.max()) + 1
    cells = _cells(frame.iloc[r1], list(avgeffectsby))
    eps1 = tau[:, None] - _tau_bar(tau, w1, cl[r1], cells)
    scores = np.zeros((n_cl, len(terms)))
    for j in range(len(terms)):
        scores[:, j] = np.bincount(cl[r1], weights=w1[:, j] * eps1[:, j], minlength=n_cl) + np.bincount(
            cl[r0], weights=v0[:, j] * resid0, minlength=n_cl)
    cov = scores.T @ scores
    table = tidy_frame(terms, est, np.sqrt(np.diag(cov)), None)

    pretrend = None
    if pretrends > 0:
        pre_table, pretrend = _pretrends(frame.iloc[r0], panel.control_cols, pretrends)
        table = pd.concat([pre_table, table], ignore_index=True)
    return DidResult("imputation", table, int(r0.size + r1.size), n_cl, pretrend,
                     pd.DataFrame(cov, index=terms, columns=terms),
                     {"n_treated": int(r1.size), "n_untreated": int(r0.size), "n_not_imputed": n_not,
                      "n_missing": panel.n_missing, "avgeffectsby": tuple(avgeffectsby),
                      "controls": dict(zip(panel.controls, th_w[ne.free.size:, 0], strict=True)),
                      "tau": pd.DataFrame({"row": r1, "g": g[r1], "t": t[r1], "tau": tau})})


def _cells(frame1: pd.DataFrame, by: list[str]) -> np.ndarray:
    """Codes of the avgeffectsby cells of the treated rows ("g", "t", "e" = t - g)."""
    bad = [b for b in by if b not in ("g", "t", "e")]
    if bad or not by:
        raise ValueError(f"avgeffectsby must name some of 'g', 't', 'e', got {by}")
    cols = {"g": frame1["g"].to_numpy(), "t": frame1["t"].to_numpy(), "e": (frame1["t"] - frame1["g"]).to_numpy()}
    key = pd.MultiIndex.from_arrays([cols[b] for b in by])
    return pd.factorize(key)[0]


def _tau_bar(tau: np.ndarray, w1: np.ndarray, cl1: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Per estimand: the cell average of tau with weights w · (the cluster's total w in the cell), per row."""
    n_cells = int(cells.max()) + 1
    pair = pd.factorize(pd.MultiIndex.from_arrays([cl1, cells]))[0]
    out = np.zeros_like(w1)
    for j in range(w1.shape[1]):
        w = w1[:, j]
        cluster_w = np.bincount(pair, weights=w)[pair]
        sw = cluster_w * w
        den = np.bincount(cells, weights=sw, minlength=n_cells)
        num = np.bincount(cells, weights=sw * tau, minlength=n_cells)
        out[:, j] = np.divide(num, den, out=np.zeros(n_cells), where=den != 0)[cells]
    return out


def _pretrends(frame0: pd.DataFrame, control_cols: list[str], k: int) -> tuple[pd.DataFrame, object]:
    """Leads 1[t - g = -h], h = 1..k, on the untreated rows with unit/year FE and clustered SE (fit_panel)."""
    e = np.where(frame0["g"] > 0, frame0["t"] - frame0["g"], 0)
    names = [event_term(-h) for h in range(k, 0, -1)]
    leads = {event_term(-h): (e == -h).astype(float) for h in range(k, 0, -1)}
    spec = {"outcome": "y", "regressors": names, "controls": control_cols, "fe": ["entity", "time"],
            "vcov": {"type": "cluster", "by": ["cl"]}, "lag": []}
    res = fit_panel(frame0.assign(**leads), spec, entity="unit", time="t", name="did_pretrends")
    kept = [n for n in names if n in res.params.index]
    table = tidy_frame(kept, res.params[kept].to_numpy(), res.std_errors[kept].to_numpy(), res.df_resid)
    cov = res.cov.loc[kept, kept].to_numpy()
    return table, wald_test(res.params[kept].to_numpy(), cov, kept, res.df_resid)
