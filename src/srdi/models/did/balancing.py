"""Entropy balancing (Hainmueller 2012) and the covariate balance table of a matched or weighted sample.

Entropy balancing (`entropy_balance`): control weights w_i that reproduce the treated units' covariate means
(`moments=1`; `moments=2` also their variances, through the constraints on (x - mean_T)^2) while staying as close
as possible to the base weights q_i (default uniform) in the Kullback-Leibler sense: minimise Σ w_i log(w_i / q_i)
subject to Σ w_i c(x_i) = c̄_T and Σ w_i = n_T. The solution is w_i ∝ q_i exp(λ'c(x_i)); λ minimises the convex
dual L(λ) = log Σ q_i exp(λ'(c(x_i) - c̄_T)), solved here by Newton's method with backtracking on L (constraint
columns standardised by their control SD for conditioning) until the largest constraint error is below 1e-12 in
standardised units. Weights are normalised to sum to the number of treated units, as R `ebal` (Hainmueller's
package) returns them; the Python `ebal` 1.0.0 package returns the same weights divided by n_T.
`entropy_balance_panel` applies it to the PSM matching rows (`matching.matching_rows`): `by="year"` balances each
calendar year's never-treated rows on that year's treated rows (the cohort measured in g - 1); `by="pooled"`
balances all control rows on all treated rows, with indicators of the calendar years among the constraints so the
weighted controls also have the treated rows' year composition.

Balance table (`balance_table`), one row per covariate and stage ("before": every row unweighted; "after": rows
with positive weight, weighted): means of treated and controls; standardized difference (Rosenbaum & Rubin 1985)
d = (mean_T - mean_C) / sqrt((s²_T + s²_C) / 2) with s² the *before* (unweighted, ddof 1) variances in both
stages, so that the after row moves only through the means (cobalt's default); the bias reduction
100·(1 - |d_after| / |d_before|); and Welch's t-test of equal means. With weights, the means are weighted, the
variances are reliability-weighted (Σw(x - m)² / (Σw - Σw²/Σw)) and the group sizes are Kish's effective
sizes (Σw)² / Σw², with the Welch-Satterthwaite df; with unit weights this is exactly scipy's
`ttest_ind(equal_var=False)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from srdi.models import dist
from srdi.models.did.matching import BY, matching_rows, weighted_rows

EB_TOL = 1e-12  # largest constraint error, in control-SD units, at which Newton stops
EB_STALL_TOL = 1e-8  # ... and the largest accepted when the line search stalls before EB_TOL
EB_MAXITER = 200
BALANCE_COLUMNS = ("covariate", "stage", "mean_treated", "mean_control", "std_diff", "bias_reduction_pct",
                   "t_stat", "df", "p_value", "n_treated", "n_control")


@dataclass(frozen=True)
class EntropyBalance:
    """Control weights (sum n_T), the dual solution and how well the constraints hold."""

    weights: np.ndarray  # one per control row, in input order
    lambdas: np.ndarray  # dual coefficients on the standardised constraint columns
    targets: np.ndarray  # treated means of the constraint columns
    max_abs_diff: float  # largest |weighted control mean - treated mean| over the constraints, original units
    iterations: int
    converged: bool


def _constraints(x_t: np.ndarray, x_c: np.ndarray, moments: int) -> tuple[np.ndarray, np.ndarray]:
    """Constraint columns for the controls and their treated targets: x (and (x - mean_T)^2 with moments=2)."""
    if moments not in (1, 2):
        raise ValueError(f"moments must be 1 (means) or 2 (means and variances), got {moments!r}")
    m = x_t.mean(axis=0)
    if moments == 1:
        return x_c, m
    return np.hstack([x_c, (x_c - m) ** 2]), np.concatenate([m, ((x_t - m) ** 2).mean(axis=0)])


def entropy_balance(
    x_treated: np.ndarray,
    x_control: np.ndarray,
    moments: int = 1,
    base_weights: np.ndarray | None = None,
) -> EntropyBalance:
    """Entropy-balancing weights of the control rows on the treated rows' moments (module docstring).

    Raises ValueError when a target lies outside what the controls can reach (the dual has no minimum: Newton
    does not converge) or when the constraint columns are collinear among the controls.
    """
    x_t = np.asarray(x_treated, dtype=float)
    x_c = np.asarray(x_control, dtype=float)
    if x_t.ndim == 1:
        x_t, x_c = x_t[:, None], x_c[:, None]
    if x_t.shape[0] == 0 or x_c.shape[0] == 0:
        raise ValueError("entropy balancing needs treated and control rows")
    c, target = _constraints(x_t, x_c, moments)
    return solve_entropy(c, target, x_t.shape[0], base_weights)


def solve_entropy(
    c: np.ndarray, target: np.ndarray, total: float, base_weights: np.ndarray | None = None
) -> EntropyBalance:
    """Weights w (sum `total`) of the rows of `c` with Σ w c / Σ w = target and maximum entropy relative to q."""
    q = np.ones(c.shape[0]) if base_weights is None else np.asarray(base_weights, dtype=float)
    if q.shape != (c.shape[0],) or (q <= 0).any():
        raise ValueError("base_weights must be positive, one per control row")
    scale = c.std(axis=0)
    if (scale == 0).any():
        raise ValueError("a balancing covariate is constant among the controls")
    z = (c - target) / scale  # constraint: Σ w z = 0
    if np.linalg.matrix_rank(np.column_stack([np.ones(len(z)), z])) < z.shape[1] + 1:
        raise ValueError("balancing covariates are collinear among the controls")
    log_q = np.log(q / q.sum())
    lam = np.zeros(z.shape[1])

    def dual(lam_: np.ndarray) -> float:
        return float(logsumexp(log_q + z @ lam_))

    def probs(lam_: np.ndarray) -> np.ndarray:
        a = log_q + z @ lam_
        return np.exp(a - logsumexp(a))

    value, converged, n_iter = dual(lam), False, 0
    for _ in range(EB_MAXITER):
        p = probs(lam)
        grad = z.T @ p
        if np.max(np.abs(grad)) <= EB_TOL:
            converged = True
            break
        n_iter += 1
        hess = z.T @ (z * p[:, None]) - np.outer(grad, grad)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:  # weights collapsed on too few rows: the target is out of reach
            break
        size = 1.0
        while size > 1e-12:
            cand = lam - size * step
            new = dual(cand)
            if new <= value - 1e-4 * size * float(grad @ step):  # Armijo
                break
            size /= 2
        if size <= 1e-12:
            break
        lam, value = cand, new
    p = probs(lam)
    diff = float(np.max(np.abs(c.T @ p - target)))
    # Near the optimum the line search can stall on rounding (the dual no longer decreases measurably) a little
    # above EB_TOL; a constraint error that small is balance, not failure.
    converged = converged or float(np.max(np.abs(z.T @ p))) <= EB_STALL_TOL
    if not converged:
        raise ValueError(f"entropy balancing did not converge (largest constraint error {diff:.3g}): the treated "
                         "moments may lie outside the controls' range")
    return EntropyBalance(p * total, lam, target, diff, n_iter, converged)


@dataclass(frozen=True)
class EntropyPanelResult:
    """Entropy-balancing weights on the PSM matching rows, by calendar year or pooled."""

    rows: pd.DataFrame  # matching rows + weight (treated 1, controls their balancing weight)
    weights: pd.DataFrame  # entity, treated, weight: row weights summed over years
    fits: dict[Any, EntropyBalance]
    unmatchable: tuple  # treated entities without a complete row in g - 1
    info: dict[str, Any] = field(default_factory=dict)

    def sample(self, df: pd.DataFrame, entity: str, weight: str = "ebal_weight") -> pd.DataFrame:
        """Rows of `df` whose entity has a positive weight, with that weight in column `weight`."""
        return weighted_rows(self.weights, df, entity, weight)


def entropy_balance_panel(
    df: pd.DataFrame,
    entity: str,
    time: str,
    first_treat: str,
    covariates: Sequence[str],
    by: str = "year",
    moments: int = 1,
) -> EntropyPanelResult:
    """Entropy balancing of never-treated on treated entities in the year before treatment (module docstring)."""
    if by not in BY:
        raise ValueError(f"by must be one of {BY}, got {by!r}")
    mr = matching_rows(df, entity, time, first_treat, covariates, model="ebal")
    rows = mr.frame
    x = rows[list(covariates)].to_numpy()
    d = rows["treated"].to_numpy()
    weight = np.where(d, 1.0, 0.0)
    fits: dict[Any, EntropyBalance] = {}
    if by == "year":
        for year, idx in rows.groupby("time").indices.items():
            ti, ci = idx[d[idx]], idx[~d[idx]]
            if ti.size == 0:
                continue
            if ci.size == 0:
                raise ValueError(f"entropy balancing: no control rows in year {year}")
            try:
                fit = entropy_balance(x[ti], x[ci], moments)
            except ValueError as err:
                raise ValueError(f"entropy balancing, year {year}: {err}") from err
            fits[int(year)] = fit
            weight[ci] = fit.weights
    else:
        years = rows["time"].to_numpy()
        dummies = (years[:, None] == np.unique(years)[None, 1:]).astype(float)
        fit = _pooled(x, dummies, d, moments)
        fits["pooled"] = fit
        weight[~d] = fit.weights
    rows = rows.assign(weight=weight)
    used = rows[rows["weight"] > 0]
    weights = (used.groupby("entity", sort=True).agg(treated=("treated", "first"), weight=("weight", "sum"))
               .reset_index())
    info = {"by": by, "moments": moments, "n_control_missing": mr.n_control_missing,
            "dropped_no_pre": mr.dropped_no_pre}
    return EntropyPanelResult(rows, weights, fits, mr.unmatchable, info)


def _pooled(x: np.ndarray, dummies: np.ndarray, d: np.ndarray, moments: int) -> EntropyBalance:
    """Pooled balancing: the covariates' constraints plus the year indicators' shares (first moments)."""
    c, target = _constraints(x[d], x[~d], moments)
    c = np.hstack([c, dummies[~d]])
    target = np.concatenate([target, dummies[d].mean(axis=0)])
    return solve_entropy(c, target, int(d.sum()))


# ---------------------------------------------------------------------------------------------
# balance table


def _weighted_stats(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean, reliability-weighted variance and Kish effective size."""
    sw = w.sum()
    m = float(w @ x / sw)
    n_eff = float(sw**2 / (w @ w))
    denom = sw - (w @ w) / sw
    var = float(w @ (x - m) ** 2 / denom) if denom > 0 else float("nan")
    return m, var, n_eff


def _welch(mt: float, vt: float, nt: float, mc: float, vc: float, nc: float) -> tuple[float, float, float]:
    a, b = vt / nt, vc / nc
    se = np.sqrt(a + b)
    t = (mt - mc) / se if se > 0 else float("nan")
    df = (a + b) ** 2 / (a**2 / (nt - 1) + b**2 / (nc - 1)) if nt > 1 and nc > 1 else float("nan")
    p = float(2 * dist.t_sf(abs(t), df)) if np.isfinite(t) and np.isfinite(df) else float("nan")
    return float(t), float(df), p


def balance_table(
    frame: pd.DataFrame, treated: str, covariates: Sequence[str], weight: str | None = None
) -> pd.DataFrame:
    """Tidy balance rows (BALANCE_COLUMNS) per covariate: "before", and "after" when a weight column is given."""
    d = frame[treated].to_numpy(dtype=bool)
    if not d.any() or d.all():
        raise ValueError(f"balance table: {treated!r} must mark both treated and control rows")
    w_after = None if weight is None else frame[weight].to_numpy(dtype=float)
    if w_after is not None and ((w_after < 0).any() or not (w_after[d] > 0).any() or not (w_after[~d] > 0).any()):
        raise ValueError(f"balance table: weights {weight!r} must be >= 0 and positive for some treated and controls")
    records = []
    for cov in covariates:
        x = frame[cov].to_numpy(dtype=float)
        xt, xc = x[d], x[~d]
        ones_t, ones_c = np.ones(xt.size), np.ones(xc.size)
        mt, vt, nt = _weighted_stats(xt, ones_t)
        mc, vc, nc = _weighted_stats(xc, ones_c)
        pooled_sd = np.sqrt((vt + vc) / 2)
        std_before = (mt - mc) / pooled_sd if pooled_sd > 0 else float("nan")
        t, df, p = _welch(mt, vt, nt, mc, vc, nc)
        records.append((cov, "before", mt, mc, std_before, np.nan, t, df, p, nt, nc))
        if w_after is None:
            continue
        wt, wc = w_after[d], w_after[~d]
        mt_a, vt_a, nt_a = _weighted_stats(xt[wt > 0], wt[wt > 0])
        mc_a, vc_a, nc_a = _weighted_stats(xc[wc > 0], wc[wc > 0])
        std_after = (mt_a - mc_a) / pooled_sd if pooled_sd > 0 else float("nan")
        reduction = 100 * (1 - abs(std_after) / abs(std_before)) if np.isfinite(std_before) and std_before else np.nan
        t, df, p = _welch(mt_a, vt_a, nt_a, mc_a, vc_a, nc_a)
        records.append((cov, "after", mt_a, mc_a, std_after, reduction, t, df, p, nt_a, nc_a))
    return pd.DataFrame.from_records(records, columns=list(BALANCE_COLUMNS))
