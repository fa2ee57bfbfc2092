"""Special treatment from dated events: which firm-years were ST / *ST.

Exchanges announce ST, *ST, their removal (撤销) and changes between them (*ST变ST) as dated events, and CSMAR
exports them so. A status holds from its event's implementation date until the next event of the firm.
Rule `year_end` (default; this literature's usual reading): the firm-year is under the status in force on
31 December. Rule `any`: under special treatment if it was on any day of the year (the worse of ST / *ST).
Years run up to the latest event year in the table, so a status still in force then is carried to that year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NORMAL = "正常"
SEVERITY = {NORMAL: 0, "ST": 1, "*ST": 2}


def st_years(events: pd.DataFrame, rule: str) -> pd.DataFrame:
    """events: stkcd, event_date, st_status (ST / *ST / 正常 after the event) -> stkcd, year, st_type rows of
    the firm-years under special treatment."""
    ev = events.dropna(subset=["event_date", "st_status"]).sort_values(["stkcd", "event_date"], kind="mergesort")
    if ev.empty:
        return pd.DataFrame({"stkcd": pd.Series([], dtype=object), "year": pd.Series([], dtype="Int64"),
                             "st_type": pd.Series([], dtype=object)})
    horizon = int(ev["event_date"].dt.year.max())
    rows: list[tuple[str, int, str]] = []
    for stkcd, g in ev.groupby("stkcd", sort=True):
        years = g["event_date"].dt.year.to_numpy()
        status = g["st_status"].to_numpy()
        for y in range(int(years.min()), horizon + 1):
            before = np.flatnonzero(years <= y)
            at_end = status[before[-1]] if before.size else NORMAL
            if rule == "any":
                start = status[np.flatnonzero(years < y)[-1]] if (years < y).any() else NORMAL
                during = [start, *status[years == y]]
                worst = max(during, key=lambda s: SEVERITY[s])
                at_end = worst
            if at_end != NORMAL:
                rows.append((str(stkcd), y, str(at_end)))
    out = pd.DataFrame(rows, columns=["stkcd", "year", "st_type"])
    return out.astype({"year": "Int64"})
