"""Clean typed raw tables into interim tables: annual consolidated statements, years, derived flags.

Each cleaner returns the interim frame and the count of dropped rows by reason; a key that repeats after
cleaning is an IngestError naming the file rows involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .convert import FILE, ROW
from .dedupe import duplicate_problems, keep_rule
from .errors import IngestError, make_problem
from .mapping import TableSpec
from .partners import is_total_name, normalize_name, split_applicants
from .provinces import canonical_provinces
from .st_events import SEVERITY, st_years

_NATURE_SPLIT = re.compile(r"[,，、;；/]")
CONSOLIDATED = "A"  # Typrep of the consolidated statement; B is the parent company alone
ANNUAL_MONTH_DAY = (12, 31)

Dropped = dict[str, int]
Cleaner = Callable[[pd.DataFrame, TableSpec, str], tuple[pd.DataFrame, Dropped]]


def require_unique(frame: pd.DataFrame, keys: list[str], file: str, spec: TableSpec,
                   dropped: Dropped | None = None) -> pd.DataFrame:
    """Apply the table's duplicate rule to a key that repeats after cleaning (two EndDates in one year):
    `error` raises an IngestError naming the file rows and key values; `first` / `last` keep one row per key
    in stacking order and add the others to dropped['duplicate_key']."""
    kept, dup = keep_rule(frame, keys, spec.on_duplicate)
    if not dup.any():
        return frame
    if spec.on_duplicate == "error":
        shown = frame.assign(**{k: frame[k].map(_plain) for k in keys})
        what = (f"duplicate {'/'.join(keys)} after cleaning (each may appear once; set on_duplicate: first or "
                "last in the mapping to keep one row per key)")
        raise IngestError(duplicate_problems(shown, dup, frame[ROW], keys, spec, what, ", ".join(keys), None))
    if dropped is not None:
        dropped["duplicate_key"] = dropped.get("duplicate_key", 0) + len(frame) - len(kept)
    return kept


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return value.item() if hasattr(value, "item") else value


def map_distinct(series: pd.Series, fn: Callable[[object], object]) -> np.ndarray:
    """fn of every cell, called once per distinct value (missing cells: fn(None)); an object array aligned with
    `series`. Names repeat a lot (a partner over years, a firm on its patents): 5-20x fewer Python calls."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = [fn(v) for v in uniques]
    table[-1] = fn(None)  # code -1: a missing cell
    return table[codes]


def _year(dates: pd.Series) -> pd.Series:
    return dates.dt.year.astype("Int64")


def sort_rows(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """frame.sort_values(keys, kind="mergesort") (stable, missing last), index reset, by Arrow's stable sort:
    pandas factorises and sorts text keys as Python objects (3 s for the large demo's 3 M patents). Text
    compares by code point in both (UTF-8 bytes in Arrow). Keys Arrow cannot hold go to pandas."""
    try:
        table = pa.table({k: pa.array(frame[k], from_pandas=True) for k in keys})
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return frame.sort_values(keys, kind="mergesort").reset_index(drop=True)
    idx = pc.sort_indices(table, sort_keys=[(k, "ascending", "at_end") for k in keys])
    return frame.take(idx.to_numpy()).reset_index(drop=True)


def _finish(frame: pd.DataFrame, drop: list[str], order: list[str]) -> pd.DataFrame:
    """Drop consumed columns and the row tracker, sort deterministically, fix string dtypes."""
    out = frame.drop(columns=[c for c in [*drop, ROW, FILE] if c in frame.columns])
    out = sort_rows(out, order)
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
    out = require_unique(out, ["stkcd", "year"], file, spec, dropped)
    return _finish(out, ["period_end", "statement_type", "short_name"], ["stkcd", "year"]), dropped


def clean_firms(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """One row per firm; province in its full official spelling (provinces.py)."""
    dropped: Dropped = {}
    out = require_unique(frame, ["stkcd"], file, spec, dropped)
    out = out.assign(province=canonical_provinces(out["province"])[0])
    return _finish(out, [], ["stkcd"]), dropped


def decode_natures(values: pd.Series, spec: TableSpec, file: str, rows: pd.Series
                   ) -> tuple[pd.Series, pd.Series, int]:
    """Ownership nature and soe from values that may combine several natures ('国家,央企', '民营、外资').

    Each part is decoded by `nature_codes` (a part not listed is an error naming the rows); soe = 1 if any part
    decodes to one of `soe_values`, and the nature is then the first of `soe_values`; otherwise the nature of
    the first part. Returns ownership, soe (missing where the value is blank) and how many values combined
    several parts."""
    codes = spec.nature_codes
    uniq = pd.unique(values.dropna())
    parts = {v: [q.strip() for q in _NATURE_SPLIT.split(str(v)) if q.strip()] for v in uniq}
    unknown = sorted({q for ps in parts.values() for q in ps if codes and q not in codes})
    if unknown:
        bad = values.isin([v for v, ps in parts.items() if any(q in unknown for q in ps)]).to_numpy()
        raise IngestError([make_problem(
            file, spec.key, f"ownership value(s) with parts not in nature_codes: {unknown} (add them to the "
            "mapping's nature_codes)", column="ownership", rows=rows[bad].tolist(), values=values[bad].tolist())])
    soe_values = list(spec.soe_values)
    decoded = {v: [codes.get(q, q) for q in ps] for v, ps in parts.items()}
    is_soe = {v: any(d in soe_values for d in ds) for v, ds in decoded.items()}
    nature = {v: (soe_values[0] if is_soe[v] else ds[0]) if ds else None for v, ds in decoded.items()}
    ownership = values.map(nature).astype(object).where(values.notna(), None)
    soe = values.map(is_soe).astype("boolean").astype("Int64").where(values.notna(), pd.NA)
    combined = int(values.map({v: len(ps) > 1 for v, ps in parts.items()}).fillna(False).astype(bool).sum())
    return ownership, soe, combined


def clean_ownership(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """year from EndDate; ownership and soe decoded from possibly combined values (decode_natures)."""
    out = frame.copy()
    out.insert(1, "year", _year(out["end_date"]))
    out["ownership"], out["soe"], combined = decode_natures(out["ownership"], spec, file, out[ROW])
    dropped: Dropped = {"combined_values_decoded": combined}
    out = require_unique(out, ["stkcd", "year"], file, spec, dropped)
    return _finish(out, ["end_date"], ["stkcd", "year"]), dropped


def clean_governance(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """year from Reptdt; duality = 1 if chair and CEO are one person (Y1001b == 1), else 0."""
    out = frame.copy()
    out.insert(1, "year", _year(out["report_date"]))
    code = out["duality_code"]
    out["duality"] = (code == 1).astype("Int64").where(code.notna(), pd.NA)
    dropped: Dropped = {}
    out = require_unique(out, ["stkcd", "year"], file, spec, dropped)
    return _finish(out, ["report_date", "duality_code"], ["stkcd", "year"]), dropped


def clean_partners(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """Top-5 customers or suppliers: one row per firm-year-rank, year from Accper, plus at most one total row
    (前五名客户合计) per firm-year, which has no rank. A row without rank that names a partner is an error."""
    out = frame.copy()
    out.insert(1, "year", _year(out["period_end"]))
    total = out["rank"].isna()
    named = total.copy()
    named[total] = ~map_distinct(out.loc[total, "partner_name"], is_total_name).astype(bool)
    if named.any():
        code = spec.by_name("rank").code
        where = ", ".join(pd.unique(out.loc[named, FILE])) if FILE in out.columns else file
        raise IngestError([make_problem(
            where, spec.key, "rank missing on a row that names a partner (only the total row, named 合计 or "
            "前五名...合计 or left blank, has no rank)", column=code, name="rank",
            rows=out.loc[named, ROW].tolist(), values=out.loc[named, "partner_name"].tolist())])
    dropped: Dropped = {"aggregate_rows": int(total.sum())}
    out = require_unique(out, ["stkcd", "year", "rank"], file, spec, dropped)
    split_col = [spec.where[0]] if spec.where else []  # constant after the split: not kept
    return _finish(out, ["period_end", *split_col], ["stkcd", "year", "rank"]), dropped


def clean_patents(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """app_year from the application date; applicants as one normalized ';'-joined string."""
    out = frame.copy()
    out.insert(out.columns.get_loc("app_date") + 1, "app_year", _year(out["app_date"]))
    joined = map_distinct(out["applicants"], lambda t: ";".join(split_applicants(t)) or None)
    out["applicants"] = pd.Series(joined, index=out.index, dtype=object)
    dropped: Dropped = {}
    out = require_unique(out, ["stkcd", "app_no"], file, spec, dropped)
    return _finish(out, [], ["stkcd", "app_no"]), dropped


def clean_large_firms(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """Adds name_norm, the key matched against partner names; spelling variants of one name kept once."""
    out = frame.copy()
    out["name_norm"] = map_distinct(out["name"], normalize_name)
    out = out.sort_values(ROW, kind="mergesort")
    repeat = out.duplicated(subset=["name_norm"], keep="first")
    return _finish(out.loc[~repeat], [], ["name_norm"]), {"repeated_normalized_name": int(repeat.sum())}


def _keyed(keys: list[str]) -> Cleaner:
    def clean(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
        dropped: Dropped = {}
        out = require_unique(frame, keys, file, spec, dropped)
        return _finish(out, [], keys), dropped

    return clean


def _by_year(date_col: str, provinces: bool = False) -> Cleaner:
    """A firm-year table keyed by the calendar year of `date_col` (R&D table, annual basic information)."""
    def clean(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
        out = frame.copy()
        out.insert(1, "year", _year(out[date_col]))
        dropped: Dropped = {}
        if provinces:
            out["province"], dropped["province_not_recognised"] = canonical_provinces(out["province"])
        out = require_unique(out.dropna(subset=["year"]), ["stkcd", "year"], file, spec, dropped)
        return _finish(out, [date_col], ["stkcd", "year"]), dropped

    return clean


def clean_st_events(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """Dated ST events -> firm-years under special treatment by the table's `st_rule` (st_events.py)."""
    unknown = ~frame["st_status"].isin(list(SEVERITY)) & frame["st_status"].notna()
    if unknown.any():
        raise IngestError([make_problem(
            file, spec.key, f"event types that the mapping's recode does not turn into one of {list(SEVERITY)}",
            column="st_status", rows=frame.loc[unknown, ROW].tolist(),
            values=frame.loc[unknown, "st_status"].tolist())])
    dropped: Dropped = {}
    events = require_unique(frame, ["stkcd", "event_date"], file, spec, dropped)
    out = st_years(events, spec.st_rule)
    dropped["events_read"] = len(events)
    return _finish(out, [], ["stkcd", "year"]), dropped


def clean_innovation_env(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """Province names in one spelling (江苏 and 江苏省 are one province); `year` is the data year (the mapping's
    `offset` turns a report year into the year the index describes)."""
    out = frame.copy()
    dropped: Dropped = {}
    out["province"], dropped["province_not_recognised"] = canonical_provinces(out["province"])
    out = require_unique(out, ["province", "year"], file, spec, dropped)
    return _finish(out, [], ["province", "year"]), dropped


def clean_names(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """Little-giant list or subsidiaries: `name_norm` is the key names are matched on (designation.py)."""
    out = frame.copy()
    col = "name" if "name" in out.columns else "subsidiary_name"
    out["name_norm"] = map_distinct(out[col], normalize_name)
    order = [c for c in ("name_norm", "batch_year", "stkcd") if c in out.columns]
    return _finish(out, [], order), {}


CLEANERS: dict[str, Cleaner] = {
    "firms": clean_firms,
    "ownership": clean_ownership,
    "st_status": clean_st_events,
    "balance": clean_statement,
    "income": clean_statement,
    "cashflow": clean_statement,
    "main_business": clean_statement,
    "governance": clean_governance,
    "customers": clean_partners,
    "suppliers": clean_partners,
    "patents": clean_patents,
    "designation": clean_names,
    "innovation_env": clean_innovation_env,
    "large_firms": clean_large_firms,
    "rd_spending": _by_year("end_date"),
    "firm_info": _by_year("end_date", provinces=True),
    "subsidiaries": clean_names,
}


def clean_table(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, Dropped]:
    """Dispatch to the table's cleaner (statements share one)."""
    cleaner = clean_statement if spec.statement else CLEANERS[spec.key]
    return cleaner(frame, spec, file)
