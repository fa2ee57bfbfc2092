"""Import a user's ready firm-year panel (data.source: panel) so any model runs on their own variables.

Files are read so that every row keeps its number in the file (CSV line, spreadsheet row, parquet / dta record):
an error then points the user at the cell. Value checks and typing of the non-key columns are in cells.py.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd
from pandas.api.extensions import ExtensionArray

from srdi.atomic import write_csv, write_parquet
from srdi.ingest.errors import IngestError, make_problem
from srdi.ingest.readers import xlsx_rows
from srdi.panel.cells import TABLE, TEXT_NA, check_values
from srdi.panel.codebook import codebook
from srdi.panel.model_columns import check_model_columns

ROW_NOTE = {
    ".csv": "Row numbers are lines of the file (the header is line 1).",
    ".xlsx": "Row numbers are spreadsheet rows of the first sheet.",
    ".parquet": "Row numbers are 1-based records of the file (parquet has no header line).",
    ".dta": "Row numbers are Stata observation numbers (_n: 1-based; a .dta file has no header line).",
}


def _unnamed(header: list[str]) -> list[str]:
    """Blank header cells get pandas' names ('Unnamed: 0' for a written index)."""
    return [h if h.strip() else f"Unnamed: {i}" for i, h in enumerate(header)]


def _frame(header: list[str], columns: list[ExtensionArray], rows: list[int], path: Path) -> pd.DataFrame:
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise ValueError(f"{path}: the header repeats column name(s) {dup}")
    index = pd.Index(rows, dtype="int64")
    return pd.DataFrame({h: pd.Series(c, index=index) for h, c in zip(header, columns, strict=True)}, index=index)


def _read_csv(path: Path) -> pd.DataFrame:
    """All cells as text; index = the line each record starts on (header = line 1; blank lines skipped)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path}: is empty (no header line)")
        header = _unnamed(header)
        width = len(header)
        records, lines = [], []
        start = reader.line_num + 1
        for rec in reader:
            if "".join(rec).strip():
                if len(rec) != width:
                    if len(rec) > width:
                        raise ValueError(f"{path}: line {start} has {len(rec)} fields but the header has {width}")
                    rec += [""] * (width - len(rec))
                records.append(rec)
                lines.append(start)
            start = reader.line_num + 1
    columns = [pd.array(c, dtype="str") for c in zip(*records, strict=True)] if records else \
        [pd.array([], dtype="str") for _ in header]
    return _frame(header, columns, lines, path)


def _read_xlsx(path: Path) -> pd.DataFrame:
    """First sheet; the first non-blank row is the header; index = spreadsheet row numbers."""
    numbered = [(i, list(r)) for i, r in enumerate(xlsx_rows(path), start=1) if any(v is not None for v in r)]
    if not numbered:
        raise ValueError(f"{path}: the first sheet is empty (no header row)")
    width = max(len(r) for _, r in numbered)
    numbered = [(i, r + [None] * (width - len(r))) for i, r in numbered]
    _, head = numbered[0]
    header = _unnamed(["" if v is None else str(v) for v in head])
    body = [r for _, r in numbered[1:]]
    columns = [pd.array(list(c), dtype=object) for c in zip(*body, strict=True)] if body else \
        [pd.array([], dtype=object) for _ in header]
    return _frame(header, columns, [i for i, _ in numbered[1:]], path)


def _read_native(path: Path, reader: Callable[[Path], pd.DataFrame]) -> pd.DataFrame:
    frame = reader(path).reset_index(drop=True)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


READERS = {
    ".csv": _read_csv,
    ".parquet": lambda p: _read_native(p, pd.read_parquet),
    ".dta": lambda p: _read_native(p, pd.read_stata),
    ".xlsx": _read_xlsx,
}


def _entity_text(value: object) -> object:
    """Identifiers as text: leading zeros of text cells kept; an integral number cell 1 or 1.0 -> '1'."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return None if value in TEXT_NA else value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_panel_file(path: str | Path, entity: str) -> pd.DataFrame:
    """The file as a frame indexed by row number in the file (see ROW_NOTE); `entity` read as text in CSV /
    XLSX (leading zeros kept). Other columns are typed by `check_values`."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ValueError(f"{path}: unsupported panel format {path.suffix!r}; use one of {sorted(READERS)}")
    if not path.exists():
        raise FileNotFoundError(f"{path}: panel file not found (data.panel_file in config.yaml)")
    try:
        frame = reader(path)
    except ValueError as err:
        if str(err).startswith(str(path)):
            raise
        raise ValueError(f"{path}: could not be read as {path.suffix}: {err}") from err
    except Exception as err:  # any reader failure is reported with the file named
        raise ValueError(f"{path}: could not be read as {path.suffix}: {err}") from err
    if path.suffix.lower() in (".csv", ".xlsx") and entity in frame.columns:
        frame[entity] = frame[entity].map(_entity_text).astype("str")
    return frame


def check_panel_key(frame: pd.DataFrame, entity: str, time: str, source: str, note: str = "") -> pd.DataFrame:
    """The panel key must exist, be complete, have integer years and be unique (rows: the frame's index, which
    `note` explains)."""
    note = f". {note}" if note else ""
    missing = [c for c in (entity, time) if c not in frame.columns]
    if missing:
        raise ValueError(f"{source}: key column(s) {missing} not found; columns are {list(frame.columns)}")
    for col in (entity, time):
        bad = frame.index[frame[col].isna()]
        if len(bad):
            raise ValueError(f"{source}: column {col!r} is empty in rows {_rows(bad)}{note}")
    years = pd.to_numeric(frame[time], errors="coerce")
    bad = frame.index[years.isna() | (years % 1 != 0)]
    if len(bad):
        raise ValueError(f"{source}: column {time!r} must hold integer years; rows {_rows(bad)}{note}")
    frame = frame.assign(**{time: years.astype("int64")})
    dup = frame.index[frame.duplicated([entity, time], keep=False)]
    if len(dup):
        raise ValueError(f"{source}: key ({entity}, {time}) is not unique; duplicated rows {_rows(dup)}{note}")
    return frame


def _rows(index: pd.Index, limit: int = 5) -> str:
    """Row numbers as the index holds them (file row numbers, see ROW_NOTE)."""
    shown = [str(int(i)) for i in index[:limit]]
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    return ", ".join(shown) + more


def import_panel(path: str | Path, entity: str, time: str) -> pd.DataFrame:
    """Read, check the key, then check and type every other column; raise naming file, column and rows."""
    path = Path(path)
    note = ROW_NOTE.get(path.suffix.lower(), "")
    frame = read_panel_file(path, entity)
    if frame.empty:
        raise IngestError([make_problem(str(path), TABLE, "has a header but no data rows")], stage="Panel import")
    frame = check_panel_key(frame, entity, time, str(path), note)
    fmt = path.suffix.lower().lstrip(".")
    frame, problems = check_values(frame, {entity, time}, str(path), fmt)
    if problems:
        raise IngestError(problems, stage="Panel import", note=note)
    if fmt in ("csv", "xlsx"):  # text cells that are all of one kind (str, dates) get that dtype, as pandas does
        frame = frame.infer_objects()
    return frame.sort_values([entity, time], kind="mergesort").reset_index(drop=True)


def write_imported_panel(
    path: str | Path, entity: str, time: str, out: str | Path, out_codebook: str | Path,
    model_columns: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Import, check the columns the models name (`model_columns`: column -> models), then write."""
    frame = import_panel(path, entity, time)
    check_model_columns(frame, model_columns or {}, str(path))
    write_csv(out_codebook, codebook(frame.columns))
    write_parquet(out, frame)
    return frame
