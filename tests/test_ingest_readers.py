"""Readers: CSMAR three-header CSV, one-header CSV, XLSX, parquet; encodings; layout detection."""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.ingest.rawdir import Table, csv_bytes, write_xlsx

from srdi.ingest import IngestError, read_table

CODES = ["Stkcd", "Accper", "A001000000"]
DTYPES = {"Stkcd": "code", "Accper": "date", "A001000000": "float"}
ROWS = [["000001", "2020-12-31", "1200.5"], ["600519", "2020-12-31", "3000"]]


def _csmar(encoding: str = "gb18030") -> Table:
    return Table("t.csv", CODES, [list(r) for r in ROWS], labels=["证券代码", "统计截止日期", "资产总计"],
                 units=["没有单位", "没有单位", "元"], encoding=encoding)


def test_three_header_gb18030_csv(tmp_path):
    path = tmp_path / "FS_Combas.csv"
    path.write_bytes(csv_bytes(_csmar()))
    raw = read_table(path, header_rows=3, encoding="auto", dtypes=DTYPES)
    assert raw.encoding == "gb18030" and raw.header_rows == 3
    assert list(raw.frame.columns) == CODES
    assert raw.frame["Stkcd"].tolist() == ["000001", "600519"]  # leading zeros kept
    assert raw.frame.index.tolist() == [4, 5]  # file lines: 3 header rows, then data
    assert raw.labels["A001000000"] == "资产总计"  # label row skipped as data, kept as metadata
    assert pd.to_numeric(raw.frame["A001000000"]).tolist() == [1200.5, 3000.0]


def test_auto_detects_three_header_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes(_csmar("utf-8")))
    raw = read_table(path, header_rows="auto", dtypes=DTYPES)
    assert raw.header_rows == 3 and raw.encoding == "utf-8"
    assert len(raw.frame) == 2


def test_one_header_utf8_bom_and_unpadded_codes(tmp_path):
    table = Table("t.csv", CODES, [["1", "2020-12-31", "5"], ["600519", "2021-12-31", ""]])
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes(table, bom=True))
    raw = read_table(path, header_rows=1, dtypes=DTYPES)
    assert list(raw.frame.columns) == CODES  # BOM not glued to the first field code
    assert raw.frame["Stkcd"].tolist() == ["000001", "600519"]
    assert raw.frame.index.tolist() == [2, 3]
    assert pd.isna(raw.frame.loc[3, "A001000000"])  # blank cell is missing


@pytest.mark.parametrize("n_header", [1, 3])
def test_xlsx_first_sheet(tmp_path, n_header):
    table = _csmar() if n_header == 3 else Table("t.xlsx", CODES, [])
    table.rows = [[1, pd.Timestamp("2020-12-31").to_pydatetime(), 1200.5], ["600519", "2020-12-31", 3000]]
    path = tmp_path / "t.xlsx"
    write_xlsx(path, table)
    raw = read_table(path, header_rows="auto", dtypes=DTYPES)
    assert raw.header_rows == n_header
    assert raw.frame["Stkcd"].tolist() == ["000001", "600519"]
    assert raw.frame["Accper"].tolist() == ["2020-12-31", "2020-12-31"]
    assert raw.frame["A001000000"].tolist() == ["1200.5", "3000"]
    assert raw.frame.index.tolist() == [n_header + 1, n_header + 2]


def test_parquet_with_integer_codes(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"Stkcd": [1, 600519], "Accper": pd.to_datetime(["2020-12-31", "2021-12-31"]),
                  "A001000000": [1200.5, None]}).to_parquet(path)
    raw = read_table(path, dtypes=DTYPES)
    assert raw.frame["Stkcd"].tolist() == ["000001", "600519"]
    assert raw.frame["Accper"].tolist() == ["2020-12-31", "2021-12-31"]
    assert raw.frame.loc[1, "A001000000"] == "1200.5" and pd.isna(raw.frame.loc[2, "A001000000"])
    assert raw.frame.index.tolist() == [1, 2]


def test_mapping_says_three_headers_but_file_has_one(tmp_path):
    path = tmp_path / "FS_Combas.csv"
    path.write_bytes(csv_bytes(Table("t.csv", CODES, ROWS)))
    with pytest.raises(IngestError) as err:
        read_table(path, header_rows=3, dtypes=DTYPES)
    assert "FS_Combas.csv" in str(err.value) and "header" in str(err.value)


def test_mapping_says_one_header_but_file_has_three(tmp_path):
    path = tmp_path / "FS_Combas.csv"
    path.write_bytes(csv_bytes(_csmar()))
    with pytest.raises(IngestError, match=r"FS_Combas\.csv.*expects 1 header row"):
        read_table(path, header_rows=1, dtypes=DTYPES)


@pytest.mark.parametrize(
    "payload",
    [
        bytes(range(256)) * 4,  # random-looking binary
        "Stkcd,Name\n000001,Café Müller\n".encode("latin-1"),  # Latin-1 text: é then ',' is not GB18030
    ],
    ids=["binary", "latin1"],
)
def test_undecodable_file(tmp_path, payload):
    path = tmp_path / "TRD_Co.csv"
    path.write_bytes(payload)
    with pytest.raises(IngestError) as err:
        read_table(path, dtypes={"Stkcd": "code"})
    assert "TRD_Co.csv" in str(err.value)
    assert "decode" in str(err.value) or "not a text table" in str(err.value)


def test_forced_encoding_mismatch(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes(_csmar("gb18030")))
    with pytest.raises(IngestError, match=r"t\.csv.*cannot be decoded as UTF-8.*line 2"):
        read_table(path, encoding="utf-8", dtypes=DTYPES)


def test_corrupt_xlsx_and_parquet(tmp_path):
    for name in ("t.xlsx", "t.parquet"):
        (tmp_path / name).write_bytes(b"not really a workbook")
        with pytest.raises(IngestError, match=name.replace(".", r"\.")):
            read_table(tmp_path / name, dtypes=DTYPES)
