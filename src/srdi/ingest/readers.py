"""Read one raw export (CSV, XLSX or parquet) into a frame of text cells indexed by file row number.

Everything is read as text so that stock codes keep their leading zeros and a bad cell can be reported
with its original value; types are checked (schemas.py) and converted (convert.py) afterwards.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import math
import os
import re
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from python_calamine import CalamineWorkbook

from .errors import IngestError, make_problem
from .parsing import EXCEL_ERRORS, MISSING_TOKENS, NUMERIC_MISSING_TOKENS, clean_text, pad_code, pad_codes

_TYPED = ("code", "date", "int", "float")
# Control characters other than tab / CR / LF, and the replacement character: a binary or corrupt file.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")
UNIT_WORDS = frozenset({"没有单位", "无单位", "元", "万元", "%", "人", "个", "股", "年", "日", "次", "件", "家"})


@dataclass
class RawTable:
    """Text cells (columns = field codes, index = row number in the file) plus how the file was read."""

    frame: pd.DataFrame
    file: str
    fmt: str
    encoding: str | None
    header_rows: int
    labels: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)  # header in the file -> field code it was read as


def decode(data: bytes, encoding: str, file: str, table: str) -> tuple[str, str]:
    """Decode with the requested codec, or UTF-8 (BOM ok) then GB18030 for 'auto'; fail naming the spot."""
    codecs = {"auto": ["utf-8-sig", "gb18030"], "utf-8": ["utf-8-sig"], "gb18030": ["gb18030"]}[encoding]
    first_error: UnicodeDecodeError | None = None
    for codec in codecs:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        if _NOT_TEXT.search(text, 0, 100_000):
            raise IngestError(
                [make_problem(file, table, f"contains control or replacement characters after decoding as "
                              f"{codec}: not a text table (binary or corrupt file?)")]
            )
        return text, "utf-8" if codec == "utf-8-sig" else codec
    assert first_error is not None
    line = data[: first_error.start].count(b"\n") + 1
    tried = " or ".join("UTF-8" if c == "utf-8-sig" else "GB18030" for c in codecs)
    raise IngestError(
        [make_problem(file, table, f"cannot be decoded as {tried} (first bad byte at offset "
                      f"{first_error.start}, line {line}); save it as UTF-8 or GB18030")]
    )


def _cell_text(value: object) -> str | None:
    """XLSX/parquet cell -> text as it would appear in a CSV export."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        if pd.isna(value):
            return None
        return value.strftime("%Y-%m-%d") if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    return str(value)


def _grid_arrow(text: str, utf8: bytes | None = None) -> pd.DataFrame | None:
    """The grid pandas' parser gives, read by Arrow (several times faster), for the usual export: no quote
    characters, no blank line, every row as wide as the first. None for any other file, which pandas reads (and
    whose problems it reports in its own words). `utf8`: text's UTF-8 bytes, when the file holds them."""
    if '"' in text:
        return None
    width = text[: text.find("\n")].count(",") + 1 if "\n" in text else text.count(",") + 1
    names = [str(i) for i in range(width)]
    try:
        got = pa_csv.read_csv(
            io.BytesIO(text.encode("utf-8") if utf8 is None else utf8),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pa_csv.ParseOptions(delimiter=",", quote_char=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), null_values=[],
                                                  strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    grid = pd.DataFrame({i: pd.Series(got.column(i), dtype="str") for i in range(width)})
    grid.columns = pd.Index(range(width))
    return grid


def _grid_csv(path: Path, encoding: str, file: str, table: str) -> tuple[pd.DataFrame, str]:
    data = path.read_bytes()
    text, used = decode(data, encoding, file, table)
    if not text.strip():
        return pd.DataFrame(), used
    # A UTF-8 file's bytes are the text's (strict decoding round-trips), less a BOM: not encoded again.
    grid = _grid_arrow(text, data.removeprefix(codecs.BOM_UTF8) if used == "utf-8" else None)
    if grid is not None:
        return grid, used
    try:
        grid = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                           skip_blank_lines=False, sep=",")
    except (pd.errors.ParserError, ValueError) as exc:
        raise IngestError([make_problem(file, table, f"is not a readable CSV table: {exc}")]) from exc
    return grid, used


def has_error_cells(path: Path) -> bool:
    """True if any worksheet of the workbook holds an Excel error cell (<c t="e">). Calamine reads those
    as blanks, so such a workbook is read with openpyxl, which keeps their codes."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with zf.open(name) as fh:
                    tail = b""
                    for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                        if b't="e"' in tail + chunk:
                            return True
                        tail = chunk[-8:]
    return False


def xlsx_rows(path: Path) -> list[tuple[object, ...]]:
    """Cell values of the first sheet, one tuple per sheet row from row 1 (blank rows included, so list
    position + 1 is the spreadsheet row). Error cells come back as their code ('#DIV/0!'), not as missing
    (pandas.read_excel would hide them), so a numeric column can report them.

    Calamine (Rust) reads about ten times faster than openpyxl; a workbook with error cells, which calamine
    would turn into blanks, is read with openpyxl."""
    if not has_error_cells(path):
        wb_fast = CalamineWorkbook.from_path(str(path))
        try:
            sheet = wb_fast.get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False)
        finally:
            wb_fast.close()
        return [tuple(None if v == "" else v for v in r) for r in rows]
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        return list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()


def _grid_xlsx(path: Path, file: str, table: str) -> pd.DataFrame:
    try:
        rows = xlsx_rows(path)
    except Exception as exc:  # openpyxl raises many kinds on corrupt files
        raise IngestError([make_problem(file, table, f"is not a readable XLSX workbook: {exc}")]) from exc
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    rows = [tuple(r) + (None,) * (width - len(r)) for r in rows]
    return pd.DataFrame(rows, dtype=object).map(_cell_text) if rows else pd.DataFrame()


def _read_parquet(path: Path, file: str, table: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many kinds on corrupt files
        raise IngestError([make_problem(file, table, f"is not a readable parquet file: {exc}")]) from exc
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({str(c): frame[c].astype(object).map(_cell_text) for c in frame.columns})
    out.index = pd.RangeIndex(1, len(out) + 1)  # parquet has no header lines: row 1 = first data row
    return out


def _cell_parses(value: str, dtype: str, allowed: Collection[str] | None) -> bool:
    """Scalar twin of parsing.parses_as, for the few cells that decide the header layout."""
    if dtype == "category":
        return allowed is not None and value in allowed
    if dtype == "code":
        code = pad_code(value)
        return isinstance(code, str) and len(code) == 6 and code.isdigit()
    if dtype == "date":
        try:
            dt.datetime.strptime(value[:10], "%Y-%m-%d")
        except ValueError:
            return False
        return True
    try:
        number = float(value)
    except ValueError:
        return False
    return dtype == "float" or (math.isfinite(number) and number.is_integer())


def _is_data_row(row: pd.Series, dtypes: Mapping[str, str],
                 allowed: Mapping[str, Collection[str]]) -> bool | None:
    """True if most typed cells parse as their types, False if not, None if the row has no typed cells."""
    ok = [
        _cell_parses(row[c].strip(), dtypes[c], allowed.get(c))
        for c in dtypes
        if c in row.index and isinstance(row[c], str) and row[c].strip()
        and (dtypes[c] in _TYPED or (dtypes[c] == "category" and c in allowed))
    ]
    if not ok:
        return None
    return sum(ok) * 2 >= len(ok)


def _looks_like_units(row: pd.Series) -> bool:
    """A CSMAR unit row: blank cells or short unit words (没有单位, 元, %, 人...), no digits."""
    cells = [str(v).strip() for v in row.tolist() if isinstance(v, str) and v.strip()]
    return all(c in UNIT_WORDS or (len(c) <= 4 and not any(ch.isdigit() for ch in c)) for c in cells)


def detect_header_rows(grid: pd.DataFrame, dtypes: Mapping[str, str],
                       allowed: Mapping[str, Collection[str]] | None = None) -> int | None:
    """1 if row 2 holds data, 3 if rows 2-3 hold labels and units (CSMAR layout), 0 if row 2 looks like
    labels but row 3 like data, None if the typed columns cannot tell (e.g. a table of names only)."""
    allowed = allowed or {}
    header = [str(c).strip().lstrip("\ufeff") for c in grid.iloc[0].tolist()]
    body = grid.iloc[1:3].copy()
    body.columns = header
    rows = [_is_data_row(body.iloc[i], dtypes, allowed) for i in range(len(body))]
    if not rows or rows[0] is True:
        return 1
    if rows[0] is None:
        if len(rows) == 2 and rows[1] is not True and _looks_like_units(body.iloc[1]):
            return None
        return 1 if len(rows) == 1 or rows[1] is True else None
    if len(rows) == 1 or rows[1] is not True:
        return 3
    return 0


def read_table(
    path: str | os.PathLike[str],
    header_rows: int | str = "auto",
    encoding: str = "auto",
    dtypes: Mapping[str, str] | None = None,
    table: str = "?",
    allowed: Mapping[str, Collection[str]] | None = None,
    header_map: Mapping[str, str] | None = None,
) -> RawTable:
    """Read a raw export as text cells indexed by file row number (1-based, header rows counted).

    `dtypes` (field code -> mapping dtype) and `allowed` (category codes -> values) let the reader tell a
    data row from a label row; `header_rows` 1 or 3 is checked against the file, 'auto' takes what it finds.
    `header_map` (case-folded header or alias -> field code) renames headers such as 'stkcd' or '证券代码'.
    """
    path = Path(path)
    file = path.name
    dtypes = dict(dtypes or {})
    suffix = path.suffix.lower()
    labels: dict[str, str] = {}
    renamed: dict[str, str] = {}
    used: str | None = None
    if suffix == ".parquet":
        frame = _read_parquet(path, file, table)
        names, renamed = rename_headers([str(c) for c in frame.columns], header_map or {})
        frame.columns = names
        n_header = 0
        fmt = "parquet"
    else:
        if suffix in (".xlsx", ".xlsm"):
            grid, fmt = _grid_xlsx(path, file, table), "xlsx"
        elif suffix in (".csv", ".txt"):
            grid, used = _grid_csv(path, encoding, file, table)
            fmt = "csv"
        else:
            raise IngestError([make_problem(file, table, f"unsupported file type {suffix!r} "
                                            "(use .csv, .xlsx or .parquet)")])
        if grid.empty:
            raise IngestError([make_problem(file, table, "is empty (no header row)")])
        header = [_cell_text(c) or "" for c in grid.iloc[0].tolist()]
        header, renamed = rename_headers([h.strip().lstrip("\ufeff") for h in header], header_map or {})
        top = grid.iloc[:3].copy()  # the layout is read from the first rows: only they get the renamed header
        top.iloc[0] = header
        n_header = _header_rows(top, header_rows, dtypes, allowed or {}, file, table)
        dup = sorted({h for h in header if h and header.count(h) > 1})
        if dup:
            raise IngestError([make_problem(file, table, f"header row repeats field code(s) {dup}")])
        if n_header == 3:
            labels = {h: (_cell_text(v) or "") for h, v in zip(header, grid.iloc[1].tolist(), strict=False)}
        frame = grid.iloc[n_header:].copy()
        frame.columns = header
        frame = frame.loc[:, [h for h in header if h]]
        frame.index = pd.RangeIndex(n_header + 1, n_header + 1 + len(frame))  # 1-based file row numbers
    frame = pd.DataFrame({c: clean_text(frame[c], _missing_tokens(dtypes.get(c), fmt)) for c in frame.columns},
                         index=frame.index)
    frame = frame.loc[frame.notna().any(axis=1)] if len(frame.columns) else frame
    for code, dtype in dtypes.items():
        if dtype == "code" and code in frame.columns:
            frame[code] = pad_codes(frame[code]).astype("str")
    return RawTable(frame=frame, file=file, fmt=fmt, encoding=used, header_rows=n_header, labels=labels,
                    renamed=renamed)


def rename_headers(header: list[str], header_map: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """Headers that are not field codes as written but match one case-insensitively or as an alias
    ('stkcd', '证券代码') are renamed to the code; returns the headers and what was renamed."""
    codes = set(header_map.values())
    out, renamed = [], {}
    for h in header:
        code = h if h in codes else header_map.get(h.casefold(), h)
        if code != h:
            renamed[h] = code
        out.append(code)
    return out, renamed


def _missing_tokens(dtype: str | None, fmt: str) -> frozenset[str]:
    """Cells read as missing: 'nan' and Excel error cells are errors in numeric columns, blanks elsewhere."""
    if dtype in ("int", "float"):
        return NUMERIC_MISSING_TOKENS
    return MISSING_TOKENS | EXCEL_ERRORS if fmt == "xlsx" else MISSING_TOKENS


def _header_rows(grid: pd.DataFrame, expected: int | str, dtypes: Mapping[str, str],
                 allowed: Mapping[str, Collection[str]], file: str, table: str) -> int:
    detected = detect_header_rows(grid, dtypes, allowed)
    if detected is None:  # the cells cannot tell: trust the mapping, else guess from the unit row
        if expected != "auto":
            return int(expected)
        rows = grid.iloc[1:3]
        detected = 3 if len(rows) == 2 and _looks_like_units(rows.iloc[1]) else 1
    if detected == 0:
        raise IngestError([make_problem(
            file, table, "has an unexpected header layout: row 2 looks like a label row but row 3 like "
            "data; expected 1 header row (field codes) or 3 (field code; label; unit)")])
    if expected != "auto" and detected != expected:
        seen = "row 2 looks like data" if detected == 1 else "rows 2-3 look like label and unit rows"
        raise IngestError([make_problem(
            file, table, f"the mapping expects {expected} header row(s) but the file has {detected} "
            f"({seen}); set header_rows: {detected} (or auto) in the mapping file")])
    return detected
