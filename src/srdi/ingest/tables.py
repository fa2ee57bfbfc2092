"""Clean typed raw tables into interim tables: annual consolidated statements, years, derived flags.

Each cleaner returns the interim frame and the count of dropped rows by reason; a key that repeats after
cleaning is an IngestError naming the file rows involved.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .convert import ROW
from .errors import IngestError, make_problem
from .mapping import TableSpec
from .partners import normalize_name, split_applicants

CONSOLIDATED = "A"  # Typrep of the consolidated statement; B is the parent company alone
ANNUAL_MONTH_DAY = (12, 31)

Dropped = dict[str, int]
Cleaner = Callable[[pd.DataFrame, TableSpec, str], tuple[pd.DataFrame, Dropped]]


def require_unique(frame: pd.DataFrame, keys: list[str], file: str, table: str) -> None:
    """Raise IngestError naming the file rows (and key values) of every repeated key."""
    dup = frame.duplicated(subset=keys, keep=False)
    if not dup.any():
        return
    bad = frame.loc[dup].sort_values(ROW)
    values = [tuple(_plain(r[k]) for k in keys) for _, r in bad.iterrows()]
    raise IngestError([make_problem(
        file, table, f"duplicate {'/'.join(keys)} after cleaning (each may appear once)",
        column=", ".join(keys), rows=bad[ROW].tolist(), values=values)])


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return value.item() if hasattr(value, "item") else value


def _year(dates: pd.Series) -> pd.Series:
    return dates.dt.year.astype("Int64")


def _finish(frame: pd.DataFrame, drop: list[str], order: list[str]) -> pd.DataFrame:
    """Drop consumed columns and the row tracker, sort deterministically, fix string dtypes."""
    out = frame.drop(columns=[c for c in [*drop, ROW] if c in frame.columns])
    out = out.sort_values(order, kind="mergesort").reset_index(drop=True)
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].astype("str")
    return out


def clean_statement(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """Keep the annual consolidated statement (Typrep A at YYYY-12-31); count what is dropped and why."""
    parent = frame["statement_type"] != CONSOLIDATED
    month, day = ANNUAL_MONTH_DAY
    annual = (frame["period_end"].dt.month == month) & (frame["period_end"].dt.day == day)
    dropped = {
        "parent_company_statement": int(parent.sum()),
        "non_annual_period": int((~parent & ~annual).sum()),
    }
    out = frame.loc[~parent & annual].copy()
    out.insert(1, "year", _year(out["period_end"]))
    require_unique(out, ["stkcd", "year"], file, spec.key)
    return _finish(out, ["period_end", "statement_type", "short_name"], ["stkcd", "year"]), dropped


def clean_firms(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    require_unique(frame, ["stkcd"], file, spec.key)
    return _finish(frame, [], ["stkcd"]), {}


def clean_ownership(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """year from EndDate; soe = 1 if the nature is in `soe_values` (国企), else 0; missing if blank."""
    out = frame.copy()
    out.insert(1, "year", _year(out["end_date"]))
    soe = out["ownership"].isin(list(spec.soe_values)).astype("Int64")
    out["soe"] = soe.where(out["ownership"].notna(), pd.NA)
    require_unique(out, ["stkcd", "year"], file, spec.key)
    return _finish(out, ["end_date"], ["stkcd", "year"]), {}


def clean_governance(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """year from Reptdt; duality = 1 if chair and CEO are one person (Y1001b == 1), else 0."""
    out = frame.copy()
    out.insert(1, "year", _year(out["report_date"]))
    code = out["duality_code"]
    out["duality"] = (code == 1).astype("Int64").where(code.notna(), pd.NA)
    require_unique(out, ["stkcd", "year"], file, spec.key)
    return _finish(out, ["report_date", "duality_code"], ["stkcd", "year"]), {}


def clean_partners(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """Top-5 customers or suppliers: one row per firm-year-rank, year from Accper."""
    out = frame.copy()
    out.insert(1, "year", _year(out["period_end"]))
    require_unique(out, ["stkcd", "year", "rank"], file, spec.key)
    return _finish(out, ["period_end"], ["stkcd", "year", "rank"]), {}


def clean_patents(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """app_year from the application date; applicants as one normalized ';'-joined string."""
    out = frame.copy()
    out.insert(out.columns.get_loc("app_date") + 1, "app_year", _year(out["app_date"]))
    out["applicants"] = out["applicants"].map(lambda t: ";".join(split_applicants(t)) or None)
    require_unique(out, ["stkcd", "app_no"], file, spec.key)
    return _finish(out, [], ["stkcd", "app_no"]), {}


def clean_large_firms(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """Adds name_norm, the key matched against partner names; spelling variants of one name kept once."""
    out = frame.copy()
    out["name_norm"] = out["name"].map(normalize_name)
    out = out.sort_values(ROW, kind="mergesort")
    repeat = out.duplicated(subset=["name_norm"], keep="first")
    return _finish(out.loc[~repeat], [], ["name_norm"]), {"repeated_normalized_name": int(repeat.sum())}


def _keyed(keys: list[str]) -> Cleaner:
    def clean(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
        require_unique(frame, keys, file, spec.key)
        return _finish(frame, [], keys), {}

    return clean


CLEANERS: dict[str, Cleaner] = {
    "firms": clean_firms,
    "ownership": clean_ownership,
    "st_status": _keyed(["stkcd", "year"]),
    "balance": clean_statement,
    "income": clean_statement,
    "cashflow": clean_statement,
    "main_business": clean_statement,
    "governance": clean_governance,
    "customers": clean_partners,
    "suppliers": clean_partners,
    "patents": clean_patents,
    "designation": _keyed(["stkcd"]),
    "innovation_env": _keyed(["province", "year"]),
    "large_firms": clean_large_firms,
}


def clean_table(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """Dispatch to the table's cleaner (statements share one)."""
    cleaner = clean_statement if spec.statement else CLEANERS[spec.key]
    return cleaner(frame, spec, file)
