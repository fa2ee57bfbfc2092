"""Read, validate and clean one raw table; problems come back as IngestErrors, nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .convert import to_typed
from .errors import IngestError, make_problem
from .mapping import TableSpec
from .readers import read_table
from .schemas import validate_raw
from .tables import clean_table


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

    def report(self) -> dict[str, object]:
        return {
            "file": self.file,
            "found": self.found,
            "format": self.fmt,
            "encoding": self.encoding,
            "header_rows": self.header_rows,
            "rows_read": self.rows_read,
            "dropped": dict(sorted(self.dropped.items())),
            "rows_kept": len(self.frame),
        }


def _empty_raw(spec: TableSpec) -> pd.DataFrame:
    return pd.DataFrame({c.code: pd.Series([], dtype=object) for c in spec.columns})


def load_table(raw_dir: str | Path, spec: TableSpec) -> LoadedTable:
    """Read `raw_dir/<spec.file>`, validate it against the mapping, and clean it; raise IngestError."""
    path = Path(raw_dir) / spec.file
    file = spec.file
    if not path.is_file():
        if spec.required:
            raise IngestError([make_problem(file, spec.key, f"file not found in {Path(raw_dir)} (required "
                                            "by the mapping; set required: false to run without it)")])
        frame, _ = clean_table(to_typed(_empty_raw(spec), spec), spec, file)
        return LoadedTable(spec.key, frame, file, None, None, None, 0, found=False)
    dtypes = {c.code: c.dtype for c in spec.columns}
    allowed = {c.code: [str(a) for a in c.allowed] for c in spec.columns if c.allowed is not None}
    raw = read_table(path, spec.header_rows, spec.encoding, dtypes, table=spec.key, allowed=allowed)
    problems = validate_raw(raw.frame, spec, file)
    if raw.frame.empty and spec.required:  # else every table downstream is empty and a model fails, unnamed
        what = "has no data rows" if raw.fmt == "parquet" else "has header rows but no data rows"
        problems.insert(0, make_problem(file, spec.key, what))
    if problems:
        raise IngestError(problems)
    frame, dropped = clean_table(to_typed(raw.frame, spec), spec, file)
    return LoadedTable(spec.key, frame, file, raw.fmt, raw.encoding, raw.header_rows, len(raw.frame), dropped)
