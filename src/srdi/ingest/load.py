"""Read, validate and clean one raw table; problems come back as IngestErrors, nothing is written.

A table's `file` may be a pattern (FS_Comins*.csv): every matching file is read, validated on its own and
stacked in name order. A row that repeats, cell for cell, a row of an earlier file is an overlap of two
downloads (2011-2017 and 2017-2023) and is dropped and counted; any other repeated key follows the
table's `on_duplicate` rule (dedupe.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .convert import FILE, to_typed
from .dedupe import drop_overlaps, repeated_keys
from .errors import IngestError, Problem, make_problem
from .mapping import TableSpec
from .readers import RawTable, read_table
from .schemas import validate_raw
from .tables import clean_table

# Counts a cleaner reports that are not dropped rows: what a rule of the mapping did.
# Files read by more than one table -> each as read, by how (header rows, encoding, dtypes, allowed, headers).
ReadCache = dict[Path, dict[tuple[object, ...], RawTable]]
RULE_COUNTS = frozenset({"events_read", "combined_values_decoded", "province_not_recognised", "aggregate_rows"})


@dataclass
class LoadedTable:
    """An interim table ready to write, with the counts that go into ingest_report.json."""

    key: str
    frame: pd.DataFrame
    file: str
    fmt: str | None
    encoding: str | None
    header_rows: int | None
    rows_read: int
    dropped: dict[str, int] = field(default_factory=dict)
    found: bool = True
    files: list[str] = field(default_factory=list)
    renamed_headers: dict[str, str] = field(default_factory=dict)
    overlap_rows: int = 0
    duplicate_rule: str = "error"
    duplicate_rows: int = 0
    rules: dict[str, int] = field(default_factory=dict)
    split: dict[str, object] = field(default_factory=dict)  # `where`: which rows of a combined file

    def report(self) -> dict[str, object]:
        return {
            "file": self.file,
            "files": self.files,
            "found": self.found,
            "format": self.fmt,
            "encoding": self.encoding,
            "header_rows": self.header_rows,
            "renamed_headers": dict(sorted(self.renamed_headers.items())),
            "rows_read": self.rows_read,
            "overlap_rows_dropped": self.overlap_rows,
            "duplicate_keys": {"rule": self.duplicate_rule, "rows_dropped": self.duplicate_rows},
            "rules": dict(sorted(self.rules.items())),
            **({"where": self.split} if self.split else {}),
            "dropped": dict(sorted(self.dropped.items())),
            "rows_kept": len(self.frame),
        }


def _empty_raw(spec: TableSpec) -> pd.DataFrame:
    return pd.DataFrame({c.code: pd.Series([], dtype=object) for c in spec.columns})


def table_files(raw_dir: Path, spec: TableSpec) -> list[Path]:
    """The files of a table: `file` itself, or every file its pattern matches, sorted by name."""
    if spec.is_glob:
        return sorted(p for p in raw_dir.glob(spec.file) if p.is_file())
    path = raw_dir / spec.file
    return [path] if path.is_file() else []


def shared_files(raw_dir: Path, specs: Iterable[TableSpec]) -> ReadCache:
    """An empty read cache with a slot for each file that more than one table reads."""
    counts = Counter(p for spec in specs for p in table_files(raw_dir, spec))
    return {p: {} for p, n in counts.items() if n > 1}


def _read_all(paths: list[Path], spec: TableSpec, cache: ReadCache | None = None
              ) -> tuple[list[RawTable], list[Problem]]:
    dtypes = {c.code: c.dtype for c in spec.columns}
    allowed = {c.code: [str(a) for a in c.allowed] for c in spec.columns if c.allowed is not None}
    header_map = spec.header_map()
    how = (spec.header_rows, spec.encoding, tuple(dtypes.items()), tuple((k, tuple(v)) for k, v in allowed.items()),
           tuple(header_map.items()))
    raws: list[RawTable] = []
    problems: list[Problem] = []
    for path in paths:
        slot = cache.get(path) if cache is not None else None
        raw = slot.get(how) if slot is not None else None
        if raw is None:
            try:
                raw = read_table(path, spec.header_rows, spec.encoding, dtypes, table=spec.key, allowed=allowed,
                                 header_map=header_map)
            except IngestError as exc:  # not cached: the next table reading this file names itself
                problems += exc.problems
                continue
            if slot is not None:
                slot[how] = raw
        problems += validate_raw(raw.frame, spec, raw.file, check_unique=False)
        raws.append(raw)
    return raws, problems


def _stack(raws: list[RawTable], spec: TableSpec) -> pd.DataFrame:
    codes = [c.code for c in spec.columns]
    parts = []
    for raw in raws:
        part = raw.frame.reindex(columns=[c for c in codes if c in raw.frame.columns]).copy()
        part[FILE] = raw.file
        parts.append(part)
    return pd.concat(parts) if parts else _empty_raw(spec).assign(**{FILE: pd.Series([], dtype=object)})


def load_table(raw_dir: str | Path, spec: TableSpec, cache: ReadCache | None = None) -> LoadedTable:
    """Read the file(s) of `spec`, validate them against the mapping, stack and clean; raise IngestError.

    `cache` (shared_files, one per run) keeps the files it lists as read, so tables that share one combined file
    (top-5 customers and suppliers, split by `where`) read it once; the frames are not modified after reading."""
    raw_dir = Path(raw_dir)
    file = spec.file
    paths = table_files(raw_dir, spec)
    if not paths:
        if spec.required:
            what = "no file matches this pattern" if spec.is_glob else "file not found"
            raise IngestError([make_problem(file, spec.key, f"{what} in {raw_dir} (required by the mapping; set "
                                            "required: false to run without it)")])
        frame, _ = clean_table(to_typed(_empty_raw(spec), spec), spec, file)
        return LoadedTable(spec.key, frame, file, None, None, None, 0, found=False,
                           duplicate_rule=spec.on_duplicate)
    raws, problems = _read_all(paths, spec, cache)
    stacked = _stack(raws, spec)
    rows_read = len(stacked)
    if stacked.empty and spec.required and raws:  # else every table downstream is empty, unnamed
        header_only = raws and raws[0].fmt != "parquet"
        what = "has header rows but no data rows" if header_only else "has no data rows"
        problems.insert(0, make_problem(", ".join(r.file for r in raws), spec.key, what))
    stacked, overlaps = drop_overlaps(stacked, [c.code for c in spec.columns])
    n_dup = 0
    if spec.unique:
        stacked, problems_dup, n_dup = repeated_keys(stacked, spec, [spec.by_name(n).code for n in spec.unique])
        problems += problems_dup
    if problems:
        raise IngestError(problems)
    typed, split = _select(to_typed(stacked, spec), spec)
    if split and not split["rows_selected"] and spec.required and rows_read:
        raise IngestError([make_problem(", ".join(r.file for r in raws), spec.key,
                                        f"has no rows with {split['column']} = {split['value']}",
                                        column=str(split["column"]))])
    frame, counts = clean_table(typed, spec, file)
    n_dup += counts.pop("duplicate_key", 0)
    rules = {k: counts.pop(k) for k in list(counts) if k in RULE_COUNTS}
    renamed = {h: c for r in raws for h, c in r.renamed.items()}
    first = raws[0]
    return LoadedTable(spec.key, frame, file, first.fmt, first.encoding, first.header_rows, rows_read, counts,
                       files=[r.file for r in raws], renamed_headers=renamed, overlap_rows=overlaps,
                       duplicate_rule=spec.on_duplicate, duplicate_rows=n_dup, rules=rules, split=split)


def _select(typed: pd.DataFrame, spec: TableSpec) -> tuple[pd.DataFrame, dict[str, object]]:
    """The rows of a combined file that belong to this table (`where`), and what was selected; unknown values
    never get here (the column's `allowed` check names them)."""
    if spec.where is None:
        return typed, {}
    name, value = spec.where
    keep = (typed[name] == value).to_numpy()
    split = {"column": spec.by_name(name).code, "value": value, "rows_selected": int(keep.sum()),
             "rows_other_values": int((~keep).sum())}
    return typed.loc[keep].reset_index(drop=True), split
