"""Aggregations of ATT(g,t) into overall, event-time, cohort and calendar effects, as R `did`'s `aggte`.

Cells are weighted by their cohort's share of all units, pg = P(G = g) (R `did`'s weights; the never-treated
count in the denominator, which cancels in each normalised average). A pg-weighted average of a set of cells K,
theta = sum_k pg_k att_k / sum_k pg_k, has influence function

    psi_theta = sum_k (pg_k / S) psi_k + sum_k (att_k - theta) (1{G = g_k} - pg_k) / S,    S = sum_k pg_k,

the second term accounting for the estimated weights (R's `wif`, written in closed form). The aggregations:

* simple ("ATT"): pg-weighted average of the post-treatment cells (t >= g, and t <= g + max_e);
* dynamic ("e=k"): for each event time e = t - g, the pg-weighted average of the cells with t - g = e;
  min_e/max_e restrict e; balance_e keeps only cohorts observed for at least balance_e periods after treatment
  and event times in [balance_e - (T_last - T_first), balance_e]; overall "ATT(event)" = mean of the e >= 0
  effects (no weight term, as R);
* group ("g=2019"): each cohort's plain mean over its post-treatment cells (t <= g + max_e); overall
  "ATT(group)" = pg-weighted average of the cohort effects (with the weight term);
* calendar ("t=2021"): for each year with a post-treatment cell, the pg-weighted average of the cells treated
  by then; overall "ATT(calendar)" = mean of the yearly effects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Aggregates:
    """Aggregated estimates: one row of `meta` per estimate, with its influence function in `psi`'s column."""

    meta: list[dict] = field(default_factory=list)
    est: list[float] = field(default_factory=list)
    psi: list[np.ndarray] = field(default_factory=list)

    def add(self, est: float, psi: np.ndarray, **meta: object) -> None:
        self.meta.append(meta)
        self.est.append(float(est))
        self.psi.append(psi)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.meta)


class CellWeights:
    """pg-weighted averages of cells with the influence function of the estimated weights."""

    def __init__(self, att: np.ndarray, psi: np.ndarray, cell_g: np.ndarray, unit_g: np.ndarray) -> None:
        self.att, self.psi, self.cell_g = att, psi, cell_g
        self.cohorts = np.unique(unit_g[unit_g > 0])
        self.unit_cohort = np.searchsorted(self.cohorts, unit_g)  # valid only where unit_g > 0
        self.treated = unit_g > 0
        n = unit_g.size
        self.pg_cohort = np.bincount(self.unit_cohort[self.treated], minlength=self.cohorts.size) / n
        self.cell_cohort = np.searchsorted(self.cohorts, cell_g)
        self.pg_cell = self.pg_cohort[self.cell_cohort]

    def weight_term(self, cohort_idx: np.ndarray, values: np.ndarray, pg: np.ndarray, theta: float) -> np.ndarray:
        """sum_k (value_k - theta)(1{G = g_k} - pg_k) / S over items k with cohort index cohort_idx."""
        coef = (values - theta) / pg.sum()
        per_cohort = np.bincount(cohort_idx, weights=coef, minlength=self.cohorts.size)
        out = np.where(self.treated, per_cohort[np.where(self.treated, self.unit_cohort, 0)], 0.0)
        return out - float(coef @ pg)

    def average(self, cells: np.ndarray) -> tuple[float, np.ndarray]:
        """pg-weighted average of `cells` (indices) and its influence function, weight term included."""
        pg = self.pg_cell[cells]
        theta = float(pg @ self.att[cells] / pg.sum())
        psi = self.psi[:, cells] @ (pg / pg.sum())
        return theta, psi + self.weight_term(self.cell_cohort[cells], self.att[cells], pg, theta)


def aggregate(
    att: np.ndarray,
    psi: np.ndarray,
    cell_g: np.ndarray,
    cell_t: np.ndarray,
    unit_g: np.ndarray,
    t_first: int,
    t_last: int,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
) -> Aggregates:
    """All four aggregations of the cells (see module docstring); rows tagged by `aggregation`."""
    w = CellWeights(att, psi, cell_g, unit_g)
    out = Aggregates()
    post = (cell_g <= cell_t) & (cell_t <= cell_g + max_e)

    theta, p = w.average(np.flatnonzero(post))
    out.add(theta, p, term="ATT", aggregation="simple")

    # dynamic
    e_cell = cell_t - cell_g
    include = np.ones(att.size, dtype=bool) if balance_e is None else (t_last - cell_g >= balance_e)
    eseq = np.unique(e_cell[include])
    if balance_e is not None:
        eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - (t_last - t_first))]
    eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
    if eseq.size == 0:
        raise ValueError("no event time falls within min_e/max_e (and balance_e)")
    dyn_est, dyn_psi = [], []
    for e in eseq:
        theta, p = w.average(np.flatnonzero((e_cell == e) & include))
        dyn_est.append(theta)
        dyn_psi.append(p)
        out.add(theta, p, term=f"e={int(e)}", aggregation="dynamic", event_time=int(e))
    epos = eseq >= 0
    if epos.any():
        out.add(float(np.mean(np.asarray(dyn_est)[epos])), np.column_stack(dyn_psi)[:, epos].mean(axis=1),
                term="ATT(event)", aggregation="dynamic")

    # group
    g_est, g_psi, g_idx = [], [], []
    for gi, g in enumerate(w.cohorts):
        cells = np.flatnonzero((cell_g == g) & post)
        if cells.size == 0:
            continue
        theta = float(att[cells].mean())
        p = psi[:, cells].mean(axis=1)
        g_est.append(theta)
        g_psi.append(p)
        g_idx.append(gi)
        out.add(theta, p, term=f"g={int(g)}", aggregation="group", group=int(g))
    if g_est:
        pgg = w.pg_cohort[g_idx]
        values = np.asarray(g_est)
        theta = float(pgg @ values / pgg.sum())
        p = np.column_stack(g_psi) @ (pgg / pgg.sum()) + w.weight_term(np.asarray(g_idx), values, pgg, theta)
        out.add(theta, p, term="ATT(group)", aggregation="group")

    # calendar
    c_est, c_psi = [], []
    for t in np.unique(cell_t[cell_g <= cell_t]):
        theta, p = w.average(np.flatnonzero((cell_t == t) & (cell_g <= cell_t)))
        c_est.append(theta)
        c_psi.append(p)
        out.add(theta, p, term=f"t={int(t)}", aggregation="calendar", time=int(t))
    if c_est:
        out.add(float(np.mean(c_est)), np.column_stack(c_psi).mean(axis=1), term="ATT(calendar)",
                aggregation="calendar")
    return out
