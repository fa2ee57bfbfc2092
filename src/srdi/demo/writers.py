"""Byte-stable writers: CSMAR three-header-row CSV, plain CSV, XLSX with fixed timestamps, manifest hashes."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

FIXED_TIME = dt.datetime(2025, 4, 3, 0, 0, 0)
_ZIP_TIME = (2025, 4, 3, 0, 0, 0)

# field code -> (Chinese label, unit) for the CSMAR-style header rows.
LABELS: dict[str, tuple[str, str]] = {
    "Stkcd": ("证券代码", "没有单位"),
    "Stknme": ("证券简称", "没有单位"),
    "ShortName": ("证券简称", "没有单位"),
    "Conme": ("公司全称", "没有单位"),
    "Nnindcd": ("行业代码C", "没有单位"),
    "Nnindnme": ("行业名称C", "没有单位"),
    "PROVINCE": ("所属省份", "没有单位"),
    "Estbdt": ("公司成立日期", "没有单位"),
    "Listdt": ("上市日期", "没有单位"),
    "Delistdt": ("退市日期", "没有单位"),
    "Accper": ("统计截止日期", "没有单位"),
    "Reptdt": ("统计截止日期", "没有单位"),
    "Typrep": ("报表类型", "没有单位"),
    "A001000000": ("资产总计", "元"),
    "A002000000": ("负债合计", "元"),
    "A001212000": ("固定资产净额", "元"),
    "A001218000": ("无形资产净额", "元"),
    "B001101000": ("营业收入", "元"),
    "B001201000": ("营业成本", "元"),
    "B001209000": ("销售费用", "元"),
    "B001210000": ("管理费用", "元"),
    "B001216000": ("研发费用", "元"),
    "B002000000": ("净利润", "元"),
    "C001000000": ("经营活动产生的现金流量净额", "元"),
    "Fn05401": ("主营业务收入", "元"),
    "Y0601b": ("员工人数", "人"),
    "Y1001b": ("董事长与总经理兼任情况", "没有单位"),
    "Y1101a": ("董事人数", "人"),
    "Y1101b": ("独立董事人数", "人"),
    "Shrcr1": ("第一大股东持股比例", "%"),
}


_CENTS = np.array([f"{i:02d}" for i in range(100)], dtype=object)


def format_cents(x: np.ndarray) -> np.ndarray:
    """Vectorised '%.2f' for amounts already rounded to cents (pandas' float_format is per-value Python)."""
    x = np.asarray(x, dtype=float)
    nan = np.isnan(x)
    cents = np.rint(np.where(nan, 0.0, x) * 100.0).astype(np.int64)
    mag = np.abs(cents)
    sign = np.where(cents < 0, "-", "")
    whole = pd.Series(mag // 100).astype(str).to_numpy(dtype=object)
    out = sign.astype(object) + whole + "." + _CENTS[mag % 100]
    out[nan] = ""
    return out


def _csv_cells(column: pd.Series) -> np.ndarray | None:
    """A column's cells as pandas' to_csv hands them to the csv module (missing values ""), or None for a dtype
    whose text pandas formats itself (dates, categories)."""
    if pd.api.types.is_float_dtype(column):
        return format_cents(column.to_numpy())
    if not (pd.api.types.is_string_dtype(column) or pd.api.types.is_integer_dtype(column)
            or pd.api.types.is_bool_dtype(column)):
        return None
    cells = column.to_numpy(dtype=object)
    cells[pd.isna(cells)] = ""
    return cells


def _csv_body(frame: pd.DataFrame) -> str:
    """The rows as `to_csv(index=False, header=False)` writes them, amounts with two decimals. The cells go to the
    csv module (which pandas writes with too) column-wise, without pandas' per-chunk conversions."""
    columns = [_csv_cells(frame[c]) for c in frame.columns]
    if any(c is None for c in columns):
        frame = frame.copy()
        for c in frame.columns:
            if pd.api.types.is_float_dtype(frame[c]):
                frame[c] = format_cents(frame[c].to_numpy())
        return frame.to_csv(index=False, header=False, lineterminator="\n")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(zip(*columns, strict=True))
    return buf.getvalue()


def write_csmar_csv(path: Path, frame: pd.DataFrame, encoding: str, lower: bool = False) -> None:
    """Three header rows (field code; Chinese label; unit) then data, as CSMAR exports them; `lower` writes the
    codes lower-cased, as some export tools and re-saved files do."""
    cols = list(frame.columns)
    codes = [c.lower() for c in cols] if lower else cols
    head = [",".join(codes), ",".join(LABELS[c][0] for c in cols), ",".join(LABELS[c][1] for c in cols)]
    text = "\n".join(head) + "\n" + _csv_body(frame)
    path.write_bytes(text.encode(encoding))


def write_plain_csv(path: Path, frame: pd.DataFrame) -> None:
    text = ",".join(frame.columns) + "\n" + _csv_body(frame)
    path.write_bytes(text.encode("utf-8"))


class _FixedTimeZip(zipfile.ZipFile):
    """ZipFile whose members all carry one fixed timestamp, so the archive bytes are reproducible. With
    `sheet_data`, those rows go into the (empty) first worksheet openpyxl writes."""

    sheet_data: bytes | None = None

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # type: ignore[override]
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # type: ignore[override]
        """openpyxl's write-only sheets arrive as temp files: store their bytes with the fixed timestamp."""
        data = Path(filename).read_bytes()
        if self.sheet_data is not None and arcname == _SHEET:
            data = data.replace(b"<sheetData></sheetData>", b"<sheetData>" + self.sheet_data + b"</sheetData>", 1)
        self.writestr(arcname or Path(filename).name, data, compress_type, compresslevel)


_SHEET = "xl/worksheets/sheet1.xml"


def _plain_text(value: object) -> bool:
    """A string openpyxl writes as a bare inline string: not empty, no padding (xml:space) nor control
    characters (escaped or refused)."""
    return isinstance(value, str) and value != "" and value == value.strip() and value.isprintable()


def _inline_rows(rows: list[list[object]]) -> bytes | None:
    """The <row> elements openpyxl's write-only sheet gives these rows of plain strings, built as text (it
    builds an lxml element per cell: 5 s for the demo's 28,000 x 3 table); None if any cell is not plain."""
    if not all(_plain_text(v) for row in rows for v in row):
        return None
    letters = [get_column_letter(j + 1) for j in range(max((len(r) for r in rows), default=0))]
    out = []
    for i, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{letters[j]}{i}" t="inlineStr"><is><t>'
            f'{v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}</t></is></c>'  # type: ignore[union-attr]
            for j, v in enumerate(row))
        out.append(f'<row r="{i}">{cells}</row>')
    # lxml writes the sheet in ASCII: every other character as a decimal character reference
    return "".join(out).encode("ascii", "xmlcharrefreplace")


def write_xlsx(path: Path, frame: pd.DataFrame) -> None:
    """One header row, all cells as written (codes stay text); fixed document and zip timestamps."""
    wb = Workbook(write_only=True)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "srdi-pipeline demo"
    ws = wb.create_sheet("Sheet1")
    rows = [list(frame.columns), *map(list, frame.itertuples(index=False, name=None))]
    buf = io.BytesIO()
    archive = _FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.sheet_data = _inline_rows(rows)
    if archive.sheet_data is None:
        for row in rows:
            ws.append(row)
    ExcelWriter(wb, archive).save()
    path.write_bytes(buf.getvalue())


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
