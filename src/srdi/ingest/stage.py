"""The ingest stage: all raw tables validated first, then every interim table written, or nothing."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from ..atomic import write_json, write_parquet
from .errors import IngestError, Problem
from .links import fill_rd, match_designations
from .load import LoadedTable, load_table, shared_files
from .mapping import load_mapping

REPORT_NAME = "ingest_report.json"


def merge_shared(problems: list[Problem]) -> list[Problem]:
    """One problem per bad cell: tables that read one combined file (customers and suppliers, split by `where`)
    find the same problem each; it is reported once, naming both tables."""
    merged: dict[tuple[object, ...], Problem] = {}
    for p in problems:
        key = (p.file, p.what, p.column, p.name, p.rows, p.values, p.n_rows)
        seen = merged.get(key)
        merged[key] = p if seen is None else dataclasses.replace(seen, table=f"{seen.table}, {p.table}")
    return list(merged.values())


def ingest_raw(
    raw_dir: str | os.PathLike[str], mapping_path: str | os.PathLike[str], out_dir: str | os.PathLike[str]
) -> dict[str, Any]:
    """Validate all raw tables (collecting every problem), then write `out_dir/<key>.parquet` for each
    table and `out_dir/ingest_report.json`. Raw files are only read. Returns the report."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    specs = load_mapping(mapping_path)
    loaded: dict[str, LoadedTable] = {}
    problems: list[Problem] = []
    cache = shared_files(raw_dir, specs.values())
    for key, spec in specs.items():
        try:
            loaded[key] = load_table(raw_dir, spec, cache)
        except IngestError as exc:
            problems.extend(exc.problems)
    if problems:
        raise IngestError(merge_shared(problems))
    links: dict[str, dict[str, int]] = {}
    income, links["rd"] = fill_rd(loaded["income"].frame, loaded["rd_spending"].frame)
    loaded["income"].frame = income
    designation, links["designation"] = match_designations(
        loaded["designation"].frame, loaded["firms"].frame, loaded["subsidiaries"].frame)
    loaded["designation"].frame = designation
    # No count of the report texts (mdna/): the workflow's demo writes them while ingestion runs.
    report: dict[str, Any] = {"tables": {key: table.report() for key, table in loaded.items()}, "links": links}
    for key, table in loaded.items():
        write_parquet(out_dir / f"{key}.parquet", table.frame)
    write_json(out_dir / REPORT_NAME, report)
    return report
