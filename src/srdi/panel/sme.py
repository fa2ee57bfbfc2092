"""SME flag by the MIIT 2011 size classes (工信部联企业〔2011〕300号; thresholds in data/sme/, read at run time).

A firm-year is an SME (中小微型企业) when its employees, operating revenue or total assets are below any
threshold the standard sets for its industry; the CSRC-2012 industry code of the year picks the industry.
Missing when the industry is not covered (finance) or a criterion the industry uses is missing and the others
do not already make it an SME.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

THRESHOLDS = Path(__file__).resolve().parents[3] / "data" / "sme" / "miit_2011_thresholds.csv"
WAN = 1e4  # 万元 -> yuan


def load_thresholds(path: str | Path = THRESHOLDS) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"csrc_2012": str}, keep_default_na=True, encoding="utf-8")


def _divisions(spec: object) -> list[str]:
    """'B06-B12;C13-C43' -> ['B06', ..., 'B12', 'C13', ..., 'C43']."""
    out: list[str] = []
    if not isinstance(spec, str):
        return out
    for part in spec.split(";"):
        lo, _, hi = part.strip().partition("-")
        hi = hi or lo
        out += [f"{lo[0]}{d:02d}" for d in range(int(lo[1:]), int(hi[1:]) + 1)]
    return out


def miit_industry(codes: pd.Series, table: pd.DataFrame) -> pd.Series:
    """MIIT industry of each CSRC-2012 code (its letter and first two digits); 'other' if not listed, missing
    for finance (J) and blank codes."""
    by_div = {d: row.miit_industry for row in table.itertuples() for d in _divisions(row.csrc_2012)}
    div = codes.astype("str").str.strip().str.upper().str[:3]
    out = div.map(by_div).astype(object)
    out = out.where(out.notna() | div.isna(), "other")
    return out.where(~div.str.startswith("J", na=False) & div.notna(), None)


def sme_flag(panel: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """`sme_industry` (MIIT industry) and `sme` (1 SME, 0 large, missing if undecidable) from industry_code,
    employees, revenue and total_assets (yuan)."""
    table = load_thresholds() if table is None else table
    out = panel.copy()
    out["sme_industry"] = miit_industry(out["industry_code"], table)
    lim = table.set_index("miit_industry")
    below = np.zeros(len(out), dtype=bool)
    unknown = np.zeros(len(out), dtype=bool)
    for col, value in (("employees_below", out["employees"]), ("revenue_below_wan", out["revenue"] / WAN),
                       ("assets_below_wan", out["total_assets"] / WAN)):
        bound = out["sme_industry"].map(lim[col]).astype("float64").to_numpy()
        x = value.astype("float64").to_numpy()
        used = ~np.isnan(bound)
        below |= used & (x < bound)
        unknown |= used & np.isnan(x)
    flag = np.where(below, 1.0, np.where(unknown, np.nan, 0.0))
    out["sme"] = np.where(out["sme_industry"].isna(), np.nan, flag)
    return out
