"""Check and type the value columns of a user's panel file, so no model sees text, inf or 1e300 as data.

A column other than the panel key is *numeric* when more than half of its filled cells are numbers (number
cells, or text that reads as one; `inf` / `nan` words count as numbers). In a numeric column:

- any other filled cell ('n.a.', '-', '--', '#N/A', 'null', 'NA', an Excel error cell) is an error: such markers
  are ambiguous ('-' means zero in many statements, #N/A is a failed lookup), so the user decides by writing the
  number or leaving the cell empty;
- `inf`, `-inf`, `nan` written as values, and numbers that overflow, are errors (they come from a computation);
- a finite number whose absolute value is 1e15 or more is an error (the raw-table rule of docs/raw_tables.md).

Native numeric columns of parquet / dta files get the last two checks (their NaN is the format's missing value).
Other columns are text and are left as read, except that, in CSV and XLSX, pandas' usual missing-value markers
(`NA`, `null`, `#N/A` ...) stay missing there, as they were before these checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from srdi.ingest.errors import Problem, make_problem
from srdi.ingest.parsing import MAGNITUDE_LIMIT

TABLE = "data.panel_file"
# pandas.read_csv's default missing-value markers: what text columns of CSV / XLSX files treat as missing.
TEXT_NA = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                     "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})
_NONFINITE_RE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_BOOL = {"True": True, "TRUE": True, "true": True, "False": False, "FALSE": False, "false": False}
NONFINITE = "not a finite number (inf / nan come from a computation; leave missing cells empty)"
HUGE = (f"absolute value of {MAGNITUDE_LIMIT:.0e} or more (more than any listed firm's balance sheet in yuan: "
        "a unit or export error)").replace("e+", "e")


@dataclass(frozen=True)
class _Cells:
    """What each cell of a column is; masks aligned with the column."""

    filled: pd.Series  # not empty (None / NaN / blank text are empty)
    number: pd.Series  # bool: a number cell, or text that reads as a number (inf / nan words included)
    real: pd.Series  # bool: a number cell (not text)
    nonfinite: pd.Series  # bool: inf, -inf or nan, as a cell or as text
    value: pd.Series  # float value where it is a number (NaN for nan words and non-numbers)
    clean: pd.Series  # the cell with text stripped: what pd.to_numeric converts


def _is_real(v: object) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)


def _text_cells(col: pd.Series) -> _Cells:
    """A column of text (CSV; string columns of parquet / dta): vectorised, NaN is missing."""
    text = col.astype("str").str.strip()
    filled = (text.notna() & (text != "")).astype(bool)
    parsed = pd.to_numeric(text.where(filled), errors="coerce").astype("float64")
    named = text.str.fullmatch(_NONFINITE_RE.pattern, case=False).fillna(False).astype(bool)
    number = filled & (parsed.notna() | named)
    nonfinite = number & (named | np.isinf(parsed))
    no = pd.Series(False, index=col.index)
    return _Cells(filled, number, no, nonfinite, parsed, text)


def _mixed_cells(col: pd.Series) -> _Cells:
    """An object column of text and number cells (XLSX), cell by cell."""
    obj = col.astype(object)
    is_str = obj.map(lambda v: isinstance(v, str)).astype(bool)
    real = obj.map(_is_real).astype(bool) & obj.notna()
    text = obj.where(is_str).map(str.strip, na_action="ignore")
    filled = obj.notna() & ~(is_str & (text == ""))
    parsed = pd.to_numeric(text.where(is_str & filled), errors="coerce").astype("float64")
    named = text.map(lambda v: isinstance(v, str) and _NONFINITE_RE.fullmatch(v) is not None).astype(bool)
    value = parsed.where(is_str, pd.to_numeric(obj.where(real), errors="coerce").astype("float64"))
    number = real | (is_str & filled & (parsed.notna() | named))
    nonfinite = number & (named | np.isinf(value))
    clean = obj.where(~is_str, text)
    return _Cells(filled, number, real, nonfinite, value, clean)


def _is_text(col: pd.Series) -> bool:
    """A pandas string column (every value text or missing), as opposed to an object column of anything."""
    return col.dtype != object and pd.api.types.is_string_dtype(col.dtype)


def _read_cells(col: pd.Series) -> _Cells:
    if _is_text(col):
        return _text_cells(col)
    return _mixed_cells(col)


def _problem(file: str, name: str, what: str, mask: pd.Series, shown: pd.Series) -> Problem:
    rows = [int(r) for r in mask.index[mask.to_numpy()]]
    return make_problem(file, TABLE, what, column=name, rows=rows, values=list(shown[mask]))


def _number_problems(file: str, name: str, nonfinite: pd.Series, value: pd.Series, shown: pd.Series) -> list[Problem]:
    huge = pd.Series(np.isfinite(value) & (value.abs() >= MAGNITUDE_LIMIT), index=value.index)
    out = []
    if nonfinite.any():
        out.append(_problem(file, name, NONFINITE, nonfinite, shown))
    if huge.any():
        out.append(_problem(file, name, HUGE, huge, shown))
    return out


def _text_column(col: pd.Series, markers: bool) -> pd.Series:
    """Text columns of CSV / XLSX: markers -> missing; only True / False words -> bool; empty -> float NaN."""
    if not markers:
        return col
    obj = col.astype(object)
    out = obj.where(~obj.map(lambda v: isinstance(v, str) and v in TEXT_NA).astype(bool), None)
    words = out.dropna()
    if words.empty:  # an empty column: all-missing numbers, as pandas reads it
        return pd.Series(np.nan, index=col.index, dtype="float64")
    if len(words) == len(out) and words.map(lambda v: v in _BOOL).all():
        return out.map(_BOOL).astype(bool)
    return out


def _numbers(cells: _Cells) -> pd.Series:
    """The converted column: int64 where pandas would make one (integer text, no gaps), else float64."""
    if _is_text(cells.clean):
        if cells.filled.all() and cells.clean.str.fullmatch(r"[+-]?\d{1,18}").all():
            return pd.to_numeric(cells.clean).astype("int64")
        return cells.value
    return pd.to_numeric(cells.clean.where(cells.filled))


def check_values(frame: pd.DataFrame, skip: set[str], file: str, fmt: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Type the columns not in `skip` and list their problems. `fmt` is csv (every cell text), xlsx (text and
    number cells), parquet or dta (typed columns); the frame's index holds the file's row numbers.

    A numeric column is converted to numbers when it has no problem; in xlsx, parquet and dta only if it holds
    number cells, so a column the user stored as text ('000123' codes) stays text, as pandas reads it.
    """
    problems: list[Problem] = []
    out = frame.copy()
    for name in frame.columns:
        col = frame[name]
        if name in skip or pd.api.types.is_bool_dtype(col) or pd.api.types.is_datetime64_any_dtype(col) or \
                isinstance(col.dtype, pd.CategoricalDtype):
            continue
        if pd.api.types.is_numeric_dtype(col):  # native numbers (parquet, dta): NaN is missing
            value = col.astype("float64")
            problems += _number_problems(file, str(name), pd.Series(np.isinf(value), index=col.index), value, col)
            continue
        cells = _read_cells(col)
        n_filled, n_number = int(cells.filled.sum()), int(cells.number.sum())
        if 2 * n_number <= n_filled:  # a text column (or an empty one)
            out[name] = _text_column(col, markers=fmt in ("csv", "xlsx"))
            continue
        bad = cells.filled & ~cells.number
        found = _number_problems(file, str(name), cells.nonfinite, cells.value, col)
        if bad.any():
            what = (f"text in a numeric column ({n_number} of {n_filled} filled cells are numbers); write the "
                    "number or leave the cell empty")
            found.insert(0, _problem(file, str(name), what, bad, col))
        problems += found
        if not found and (fmt == "csv" or cells.real.any()):
            out[name] = _numbers(cells)
    return out, problems
