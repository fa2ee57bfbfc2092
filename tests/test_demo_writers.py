"""The demo's xlsx writer: its own sheet XML (no per-cell openpyxl objects) gives openpyxl's bytes exactly."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from srdi.demo import writers


def _openpyxl_bytes(frame: pd.DataFrame) -> bytes:
    """The workbook as openpyxl writes it cell by cell (what write_xlsx wrote before its sheet XML of its own)."""
    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = writers.FIXED_TIME
    wb.properties.creator = "srdi-pipeline demo"
    ws = wb.create_sheet("Sheet1")
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        ws.append(list(row))
    buf = io.BytesIO()
    ExcelWriter(wb, writers._FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return buf.getvalue()


FRAMES = {
    "demo-like": pd.DataFrame({"Symbol": ["000001", "600000", "688981"], "EndDate": ["2011-12-31"] * 3,
                               "EquityNature": ["国企", "国家,央企", "民营,外资"]}),
    "markup": pd.DataFrame({"a": ["x&y", "<b>", "\"q\" 'r'"], "b": ["é", "𝔘", "a > b"]}),
    # what the fast path hands back to openpyxl: blanks, padding, numbers, control characters, empty strings
    "none": pd.DataFrame({"a": ["1", None, "3"], "b": ["x", "y", None]}),
    "padded": pd.DataFrame({"a": [" lead", "trail ", "mid dle"]}),
    "numbers": pd.DataFrame({"a": [1, 2, 3], "b": [1.5, float("nan"), 2.0]}),
    "empty-string": pd.DataFrame({"a": ["", "x"]}),
    "tab": pd.DataFrame({"a": ["x\ty", "z"]}),
    "no-rows": pd.DataFrame({"a": pd.Series([], dtype=object)}),
}


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_xlsx_bytes_equal_openpyxl_cell_by_cell(name: str, tmp_path: Path) -> None:
    frame = FRAMES[name]
    writers.write_xlsx(tmp_path / "t.xlsx", frame)
    assert (tmp_path / "t.xlsx").read_bytes() == _openpyxl_bytes(frame)


def _pandas_csv_body(frame: pd.DataFrame) -> str:
    """The rows as pandas writes them, amounts with two decimals (what _csv_body wrote before its fast path)."""
    frame = frame.copy()
    for c in frame.columns:
        if pd.api.types.is_float_dtype(frame[c]):
            frame[c] = writers.format_cents(frame[c].to_numpy())
    return frame.to_csv(index=False, header=False, lineterminator="\n")


CSV_FRAMES = {
    "demo-like": pd.DataFrame({"Stkcd": ["000001", "600000"], "Amount": [1234.5, float("nan")], "Rank": [1, 2],
                               "Count": pd.array([3, None], dtype="Int64"), "flag": [True, False]}),
    "quoting": pd.DataFrame({"a": ["x,y", 'say "hi"', "two\nlines", " pad ", "", None],
                             "b": ["北京", "a;b", "\r", "'", "-", "ok"]}),
    "object-mix": pd.DataFrame({"a": pd.Series(["x", 1, 2.5, None, float("nan")], dtype=object)}),
    "dates": pd.DataFrame({"d": pd.to_datetime(["2020-01-01", "2021-06-30"]), "n": [1.0, 2.25]}),
    "single-empty": pd.DataFrame({"a": ["", "x"]}),
    "no-rows": pd.DataFrame({"a": pd.Series([], dtype=str), "b": pd.Series([], dtype=float)}),
}


@pytest.mark.parametrize("name", sorted(CSV_FRAMES))
def test_csv_body_equals_pandas_to_csv(name: str) -> None:
    frame = CSV_FRAMES[name]
    assert writers._csv_body(frame) == _pandas_csv_body(frame)
