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
    ev = pd.DataFrame({"stkcd": ev["stkcd"].astype(str).to_numpy(), "year": ev["event_date"].dt.year.to_numpy(),
                       "sev": ev["st_status"].map(SEVERITY).to_numpy(dtype=np.int64)})
    by_year = ev.groupby(["stkcd", "year"], sort=True)["sev"]
    last, worst = by_year.last(), by_year.max()  # the status in force on 31 December; the worst of the year
    # Every firm-year from the firm's first event year to the horizon.
    first = last.reset_index().groupby("stkcd", sort=True)["year"].min()
    span = (horizon - first.to_numpy() + 1).astype(np.int64)
    firm = np.repeat(first.index.to_numpy(dtype=object), span)
    starts = np.repeat(np.cumsum(span) - span, span)
    year = np.repeat(first.to_numpy(), span) + (np.arange(span.sum()) - starts)
    grid = pd.MultiIndex.from_arrays([firm, year], names=["stkcd", "year"])
    at_end = last.reindex(grid).groupby(level="stkcd", sort=False).ffill().to_numpy(dtype=np.int64)
    if rule == "any":  # the status carried in from the year before, or any worse one during the year
        carried = np.where(year == np.repeat(first.to_numpy(), span), SEVERITY[NORMAL], np.roll(at_end, 1))
        during = worst.reindex(grid).fillna(SEVERITY[NORMAL]).to_numpy(dtype=np.int64)
        at_end = np.maximum(carried, during)
    status = np.array(list(SEVERITY), dtype=object)[at_end]  # SEVERITY's values are 0, 1, 2 in order
    keep = at_end != SEVERITY[NORMAL]
    out = pd.DataFrame({"stkcd": firm[keep], "year": year[keep], "st_type": status[keep]})
    return out.astype({"year": "Int64"})
