"""Goodman-Bacon (2021) decomposition of the static TWFE DID coefficient (balanced panel, no controls).

The TWFE coefficient of y_it = a_i + l_t + b·D_it is a weighted average of every 2x2 DID between timing
groups (Goodman-Bacon 2021, Theorem 1). With n_k the share of units in timing group k (first treated year k,
or U = never treated), D̄_k the share of the panel's years in which k is treated, and V̂ᴰ the variance of the
two-way-demeaned D (Σ D̃²/NT):

* treated k vs never treated U (periods t < k vs t >= k):
  s_kU = (n_k + n_U)² n_kU (1 - n_kU) D̄_k (1 - D̄_k) / V̂ᴰ, n_kU = n_k / (n_k + n_U);
* earlier k vs later l as control (k < l; years before l):
  s_kl^k = ((n_k + n_l)(1 - D̄_l))² n_kl (1 - n_kl) (D̄_k - D̄_l)/(1 - D̄_l) · (1 - D̄_k)/(1 - D̄_l) / V̂ᴰ;
* later l vs earlier k as control (years from k on; the "forbidden" comparison):
  s_kl^l = ((n_k + n_l) D̄_k)² n_kl (1 - n_kl) D̄_l/D̄_k · (D̄_k - D̄_l)/D̄_k / V̂ᴰ,  n_kl = n_k / (n_k + n_l).

Units treated in the panel's first year (always treated, D̄ = 1) form a timing group too: they only serve as
controls ("later vs always treated"). The weights sum to one and Σ s·β̂²ˣ² equals the TWFE coefficient exactly
(tests: 1e-10 against pyfixest's feols). Controls (the "within" term of Goodman-Bacon's section 5) are not
supported: the decomposition is for the unconditional TWFE only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from srdi.models.did._regdid import prepare

TYPES = ("treated_vs_never", "earlier_vs_later", "later_vs_earlier", "later_vs_always")


@dataclass(frozen=True)
class BaconDecomposition:
    """Every 2x2 comparison (`components`), the sums by comparison type (`by_type`), and their weighted sum."""

    twfe: float  # Σ weight · estimate over components = the TWFE coefficient
    components: pd.DataFrame  # type, treated, control (0 = never treated), estimate, weight
    by_type: pd.DataFrame  # type, weight (sum), estimate (weight-averaged), n_comparisons
    nobs: int


def bacon_decomposition(
    df: pd.DataFrame, entity: str, time: str, outcome: str, first_treat: str, controls: Sequence[str] = ()
) -> BaconDecomposition:
    """Decompose the static TWFE coefficient; ValueError for an unbalanced panel or controls."""
    if controls:
        raise ValueError("the Bacon decomposition here covers the TWFE model without controls")
    panel = prepare(df, entity, time, outcome, first_treat)
    frame = panel.frame
    years = panel.years
    n_units = frame["unit"].nunique()
    if panel.n_missing or len(frame) != n_units * years.size:
        raise ValueError(
            f"the Bacon decomposition needs a balanced panel: {len(frame)} complete rows for {n_units} units x "
            f"{years.size} years (balance it, or use the event-study estimators)"
        )
    groups, g_idx = np.unique(frame["g"].to_numpy(), return_inverse=True)
    t_idx = np.searchsorted(years, frame["t"].to_numpy())
    n_t = years.size
    cells = g_idx * n_t + t_idx
    counts = np.bincount(cells, minlength=groups.size * n_t).reshape(groups.size, n_t)
    ybar = np.bincount(cells, weights=frame["y"].to_numpy(dtype=float),
                       minlength=groups.size * n_t).reshape(groups.size, n_t) / counts
    share = counts[:, 0] / n_units  # balanced: every unit in every year
    treat_start = np.where(groups > 0, np.searchsorted(years, groups), n_t)  # index of first treated year
    dbar = (n_t - treat_start) / n_t
    d = (frame["g"].to_numpy() > 0) & (frame["t"].to_numpy() >= frame["g"].to_numpy())
    d_tilde = _two_way_demeaned(d.astype(float), g_idx, t_idx, share, groups.size, n_t)
    v_d = float(d_tilde @ d_tilde) / len(frame)

    rows: list[tuple[str, int, int, float, float]] = []
    never = np.flatnonzero(groups == 0)
    timing = [j for j in range(groups.size) if groups[j] > 0]
    for k in timing:
        if never.size and treat_start[k] > 0:
            u = int(never[0])
            pre, post = slice(0, treat_start[k]), slice(treat_start[k], n_t)
            est = _did(ybar, k, u, pre, post)
            nku = share[k] / (share[k] + share[u])
            w = (share[k] + share[u]) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k]) / v_d
            rows.append(("treated_vs_never", int(groups[k]), 0, est, w))
    for a, k in enumerate(timing):
        for l_ in timing[a + 1:]:  # k treated earlier than l_
            nkl = share[k] / (share[k] + share[l_])
            scale = (share[k] + share[l_]) ** 2 * nkl * (1 - nkl) / v_d
            if treat_start[k] > 0:  # k has a pre-period: earlier k vs later l_ (years before l_)
                est = _did(ybar, k, l_, slice(0, treat_start[k]), slice(treat_start[k], treat_start[l_]))
                w = scale * (1 - dbar[l_]) ** 2 * (dbar[k] - dbar[l_]) / (1 - dbar[l_]) * (1 - dbar[k]) / (1 - dbar[l_])
                rows.append(("earlier_vs_later", int(groups[k]), int(groups[l_]), est, w))
            est = _did(ybar, l_, k, slice(treat_start[k], treat_start[l_]), slice(treat_start[l_], n_t))
            w = scale * dbar[k] ** 2 * dbar[l_] / dbar[k] * (dbar[k] - dbar[l_]) / dbar[k]
            kind = "later_vs_earlier" if treat_start[k] > 0 else "later_vs_always"
            rows.append((kind, int(groups[l_]), int(groups[k]), est, w))
    components = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    if components.empty:
        raise ValueError("no 2x2 comparison: the panel has a single timing group and no never-treated units")
    weighted = components.assign(we=components["weight"] * components["estimate"])
    by_type = weighted.groupby("type", sort=False).agg(weight=("weight", "sum"), we=("we", "sum"),
                                                       n_comparisons=("weight", "size")).reset_index()
    by_type["estimate"] = by_type["we"] / by_type["weight"]
    by_type = by_type[["type", "weight", "estimate", "n_comparisons"]]
    return BaconDecomposition(float(weighted["we"].sum()), components, by_type, len(frame))


def _did(ybar: np.ndarray, treated: int, control: int, pre: slice, post: slice) -> float:
    """2x2 DID of group means: (post - pre mean of `treated`) - (post - pre mean of `control`), equal year weights."""
    gap = ybar[treated] - ybar[control]
    return float(gap[post].mean() - gap[pre].mean())


def _two_way_demeaned(
    d: np.ndarray, g_idx: np.ndarray, t_idx: np.ndarray, share: np.ndarray, n_g: int, n_t: int
) -> np.ndarray:
    """D - D̄_i - D̄_t + D̄ in a balanced panel (exact: unit and year means of a balanced design)."""
    unit_mean = np.bincount(g_idx, weights=d, minlength=n_g) / np.bincount(g_idx, minlength=n_g)
    year_mean = np.bincount(t_idx, weights=d, minlength=n_t) / np.bincount(t_idx, minlength=n_t)
    # D̄_i depends only on the unit's timing group in a balanced panel
    return d - unit_mean[g_idx] - year_mean[t_idx] + d.mean()
