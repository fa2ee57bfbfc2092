"""The 2x2 DID estimators behind each ATT(g,t) of Callaway & Sant'Anna (2021), with their influence functions.

Each function takes one cell's units (treated cohort and comparison units only), the outcome change
dy = Y_t - Y_base and the covariates x (first column the intercept), and returns the ATT and the influence
function `inf` normalised as in R's DRDID package (ATT_hat - ATT ≈ mean(inf) over the cell's n1 units), so
that R `did`'s rescaling by n / n1 gives each unit's influence on the panel-level estimator.

* `did_unconditional`: difference of mean changes; inf = D (dy - m1) / p1 - (1 - D)(dy - m0) / p0, which is
  what DRDID's `reg_did_panel` and `drdid_panel` return with an intercept-only x.
* `did_reg`: outcome regression (Heckman, Ichimura & Todd 1997), DRDID `reg_did_panel`: OLS of dy on x among
  the comparison units, predicted for the treated.
* `did_dr`: the locally efficient doubly robust estimator of Sant'Anna & Zhao (2020), DRDID `drdid_panel`, the
  estimator R `did`'s default `est_method = "dr"` calls (logit propensity score by maximum likelihood, OLS outcome
  regression on the comparison units, Hajek-normalised weights; comparison units with a propensity score of
  0.995 or more get weight 0 and scores are capped at 1 - 1e-6, as DRDID does). It is not DRDID's "improved"
  `drdid_imp_panel` (inverse probability tilting), which R `did` does not use.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.special import expit

PS_TRIM = 0.995  # DRDID trim.level: comparison units with a propensity score at or above get weight 0
PS_CAP = 1 - 1e-6  # DRDID caps fitted propensity scores here
LOGIT_TOL = 1e-12
LOGIT_MAXITER = 100


class CellError(ValueError):
    """A 2x2 cell cannot be estimated (singular design, no overlap)."""


def did_unconditional(dy: np.ndarray, treated: np.ndarray) -> tuple[float, np.ndarray]:
    """Difference in mean changes and its influence function (see module docstring)."""
    d = treated.astype(float)
    p1 = d.mean()
    m1 = dy[treated].mean()
    m0 = dy[~treated].mean()
    inf = d * (dy - m1) / p1 - (1 - d) * (dy - m0) / (1 - p1)
    return float(m1 - m0), inf


def _ols_control(dy: np.ndarray, x: np.ndarray, control: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS of dy on x among the comparison units; returns the coefficients and (X_c'X_c / n1)^-1."""
    n1 = dy.size
    xc = x[control]
    xpx = xc.T @ xc / n1
    if np.linalg.cond(xpx) > 1 / np.finfo(float).eps:
        raise CellError("the comparison units' covariate matrix is singular (collinear or constant covariates)")
    xpx_inv = linalg.inv(xpx)
    beta = xpx_inv @ (xc.T @ dy[control]) / n1
    return beta, xpx_inv


def logit_mle(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Logit coefficients by Newton-Raphson (the MLE R's glm/fastglm converge to)."""
    beta = np.zeros(x.shape[1])
    for _ in range(LOGIT_MAXITER):
        p = expit(x @ beta)
        w = p * (1 - p)
        hess = (x * w[:, None]).T @ x
        try:
            step = linalg.solve(hess, x.T @ (d - p), assume_a="pos")
        except (linalg.LinAlgError, ValueError) as exc:
            raise CellError(f"propensity score: singular information matrix ({exc})") from exc
        beta = beta + step
        if np.max(np.abs(step)) <= LOGIT_TOL * (1 + np.max(np.abs(beta))):
            return beta
    raise CellError(f"propensity score logit did not converge in {LOGIT_MAXITER} iterations (separation?)")


def did_reg(dy: np.ndarray, x: np.ndarray, treated: np.ndarray) -> tuple[float, np.ndarray]:
    """Outcome-regression DID (DRDID `reg_did_panel`) and its influence function."""
    control = ~treated
    d = treated.astype(float)
    beta, xpx_inv = _ols_control(dy, x, control)
    out = x @ beta
    mean_d = d.mean()
    eta_t = np.mean(d * dy) / mean_d
    eta_c = np.mean(d * out) / mean_d
    asy_ols = ((1 - d) * (dy - out))[:, None] * x @ xpx_inv
    inf_treat = d * (dy - eta_t) / mean_d
    inf_cont = (d * (out - eta_c) + asy_ols @ (d[:, None] * x).mean(axis=0)) / mean_d
    return float(eta_t - eta_c), inf_treat - inf_cont


def did_dr(dy: np.ndarray, x: np.ndarray, treated: np.ndarray) -> tuple[float, np.ndarray]:
    """Doubly robust DID (Sant'Anna & Zhao 2020; DRDID `drdid_panel`) and its influence function."""
    control = ~treated
    d = treated.astype(float)
    n1 = dy.size
    gamma = logit_mle(x, d)
    ps = np.minimum(expit(x @ gamma), PS_CAP)
    keep = np.where(treated, True, ps < PS_TRIM).astype(float)
    beta, xpx_inv = _ols_control(dy, x, control)
    resid = dy - x @ beta
    w_t = keep * d
    w_c = keep * ps * (1 - d) / (1 - ps)
    mean_wt, mean_wc = w_t.mean(), w_c.mean()
    if mean_wc <= 0:
        raise CellError("no comparison unit left after trimming propensity scores at 0.995 (no overlap)")
    eta_t = np.mean(w_t * resid) / mean_wt
    eta_c = np.mean(w_c * resid) / mean_wc
    asy_ols = ((1 - d) * resid)[:, None] * x @ xpx_inv
    info = (x * (ps * (1 - ps))[:, None]).T @ x
    asy_ps = ((d - ps)[:, None] * x) @ (linalg.inv(info) * n1)
    inf_treat = (w_t * (resid - eta_t) - asy_ols @ (w_t[:, None] * x).mean(axis=0)) / mean_wt
    m2 = ((w_c * (resid - eta_c))[:, None] * x).mean(axis=0)
    m3 = (w_c[:, None] * x).mean(axis=0)
    inf_cont = (w_c * (resid - eta_c) + asy_ps @ m2 - asy_ols @ m3) / mean_wc
    return float(eta_t - eta_c), inf_treat - inf_cont
