"""Firm-level and firm-year reference tables: company list, ownership, governance, ST, designation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from srdi.demo import names as nm
from srdi.demo.dgp import Sim


def ownership_natures(rng: np.random.Generator, sim: Sim) -> np.ndarray:
    """(N, K) ownership nature: firm-level draw, about 3% of firms switch once (e.g. a takeover)."""
    firms = sim.firms
    n, k_all = sim.a["active"].shape
    p_soe = np.where(firms["list_year"].to_numpy() < 2005, 0.38, 0.12)
    u = rng.random(n)
    base = np.where(u < p_soe, "国企", np.where(u < p_soe + 0.04, "外资", np.where(u < p_soe + 0.09, "其他", "民营")))
    nature = np.repeat(base[:, None].astype(object), k_all, axis=1)
    switch = rng.random(n) < 0.03
    at = rng.integers(1, k_all, n)
    for i in np.nonzero(switch)[0]:
        nature[i, at[i]:] = "民营" if base[i] == "国企" else "国企"
    return nature


def ownership_table(sim: Sim) -> pd.DataFrame:
    ii, kk = np.nonzero(sim.written)
    return pd.DataFrame(
        {
            "Symbol": sim.firms["Stkcd"].to_numpy()[ii],
            "EndDate": [f"{y}-12-31" for y in sim.years[kk]],
            "EquityNature": sim.a["nature"][ii, kk],
        }
    )


def governance_table(rng: np.random.Generator, sim: Sim) -> pd.DataFrame:
    """Board size, independent directors, CEO duality, top-1 holding, employees (CG_Ybasic)."""
    a = sim.a
    n, k_all = a["active"].shape
    soe = a["nature"] == "国企"
    board0 = rng.choice([5, 6, 7, 7, 8, 9, 9, 9, 9, 9, 11, 11, 12, 13, 15], size=n)
    steps = np.where(rng.random((n, k_all)) < 0.1, rng.choice([-2, -1, 1, 2], size=(n, k_all)), 0)
    board = np.clip(board0[:, None] + np.cumsum(steps, axis=1) + soe, 5, 18)
    indep = np.ceil(board / 3.0).astype(int) + (rng.random((n, k_all)) < 0.1)
    p_dual = np.where(soe[:, 0], 0.1, 0.35)
    dual0 = rng.random(n) < p_dual
    redraw = rng.random((n, k_all)) < 0.08
    dual = np.where(redraw, rng.random((n, k_all)) < p_dual[:, None], dual0[:, None])
    top1 = np.clip(rng.normal(33.0, 14.0, n)[:, None] + np.cumsum(rng.normal(0, 1.2, (n, k_all)), axis=1),
                   5.0, 85.0)
    ii, kk = np.nonzero(sim.written)
    return pd.DataFrame(
        {
            "Stkcd": sim.firms["Stkcd"].to_numpy()[ii],
            "Reptdt": [f"{y}-12-31" for y in sim.years[kk]],
            "Y0601b": a["employees"][ii, kk].astype(np.int64),
            "Y1001b": np.where(dual[ii, kk], 1, 2),
            "Y1101a": board[ii, kk].astype(np.int64),
            "Y1101b": indep[ii, kk].astype(np.int64),
            "Shrcr1": np.round(top1[ii, kk], 2) + 0.0,
        }
    )


def large_firm_table() -> pd.DataFrame:
    return pd.DataFrame(list(nm.LARGE_ENTERPRISES), columns=["Name", "Category"])
