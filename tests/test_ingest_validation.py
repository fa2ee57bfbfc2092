"""Validation: each kind of bad input stops ingestion with an IngestError naming file, column and rows,
all problems of all tables are reported together, and nothing is written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixtures.ingest.rawdir import tables, write_raw_dir

from srdi.ingest import IngestError, ingest_raw

MAPPING = Path(__file__).resolve().parents[1] / "data" / "mappings" / "csmar_fields.yaml"


def _fail(tmp_path: Path, changed: dict) -> str:
    write_raw_dir(tmp_path / "raw", changed)
    out = tmp_path / "interim"
    with pytest.raises(IngestError) as err:
        ingest_raw(tmp_path / "raw", MAPPING, out)
    assert not out.exists() or not any(out.iterdir()), "nothing may be written when validation fails"
    return str(err.value)


def _problem_lines(message: str, file: str) -> list[str]:
    return [line for line in message.splitlines() if file in line and line.startswith("  - ")]


def test_missing_column(tmp_path):
    income = tables()["income"]
    i = income.codes.index("B001101000")
    income.codes.pop(i)
    income.labels.pop(i)
    income.units.pop(i)
    for row in income.rows:
        row.pop(i)
    msg = _fail(tmp_path, {"income": income})
    (line,) = _problem_lines(msg, "FS_Comins.csv")
    assert "'B001101000' (revenue)" in line and "missing" in line


def test_text_in_numeric_column(tmp_path):
    balance = tables()["balance"]
    balance.rows[1][4] = "abc"  # 2nd data row -> line 5 (three header rows)
    balance.rows[6][5] = "1,000"  # 7th data row -> line 10
    msg = _fail(tmp_path, {"balance": balance})
    lines = _problem_lines(msg, "FS_Combas.csv")
    assert len(lines) == 2
    assert "'A001000000' (total_assets): not a number in 1 row; row 5: 'abc'" in lines[0]
    assert "'A002000000' (total_liabilities): not a number in 1 row; row 10: '1,000'" in lines[1]


def test_bad_stock_code_and_date(tmp_path):
    pats = tables()["patents"]
    pats.rows[0][0] = "ABC123"
    pats.rows[2][2] = "2020/13/45"
    msg = _fail(tmp_path, {"patents": pats})
    assert "'Stkcd' (stkcd): not a 6-digit stock code in 1 row; row 2: 'ABC123'" in msg
    assert "'AppDate' (app_date): not a date (YYYY-MM-DD) in 1 row; row 4: '2020/13/45'" in msg


def test_duplicate_key(tmp_path):
    top5 = tables()["top5"]
    top5.rows.append(list(top5.rows[0]))  # same firm, period, type, rank as line 2, now at line 9
    msg = _fail(tmp_path, {"top5": top5})
    (line,) = _problem_lines(msg, "FN_TopCusSup.csv")
    assert "duplicate key" in line and "'Stkcd, Accper, CusSupType, Rank'" in line
    assert "row 2: ('000001', '2020-12-31', '客户', '1')" in line and "row 9: ('000001'" in line


def test_duplicate_firm_year_after_cleaning(tmp_path):
    own = tables()["ownership"]
    own.rows.append(["000001", "2020-06-30", "民营"])  # a 2nd EndDate in 2020 -> line 9 of the sheet
    msg = _fail(tmp_path, {"ownership": own})
    (line,) = _problem_lines(msg, "EN_EquityNatureAll.xlsx")
    assert "duplicate stkcd/year" in line and "row 3: ('000001', '2020')" in line and "row 9" in line


def test_share_out_of_range_and_many_rows(tmp_path):
    top5 = tables()["top5"]
    for k in range(7):  # 7 bad rows (lines 9-15): 5 shown, the rest counted
        top5.rows.append(["000001", f"{2010 + k}-12-31", "供应商", 1, "某公司", 10, 150 + k])
    msg = _fail(tmp_path, {"top5": top5})
    (line,) = _problem_lines(msg, "FN_TopCusSup.csv")
    assert "'Ratio' (share): outside the allowed range [0, 100] in 7 rows" in line
    assert re.findall(r"row (\d+):", line) == ["9", "10", "11", "12", "13"]
    assert "'150'" in line and "(and 2 more)" in line


def test_category_value_not_allowed(tmp_path):
    pats = tables()["patents"]
    pats.rows[3][3] = "发明专利"
    msg = _fail(tmp_path, {"patents": pats})
    assert "'PatentType' (patent_type): not one of the allowed values" in msg and "row 5: '发明专利'" in msg


def test_undecodable_file(tmp_path):
    write_raw_dir(tmp_path / "raw")
    (tmp_path / "raw" / "FN_TopCusSup.csv").write_bytes("Stkcd,Name\n000001,Café\n".encode("latin-1"))
    with pytest.raises(IngestError, match=r"FN_TopCusSup\.csv \[customers, suppliers\]: cannot be decoded as "
                       "UTF-8 or GB18030"):
        ingest_raw(tmp_path / "raw", MAPPING, tmp_path / "interim")
    assert not (tmp_path / "interim").exists()


def test_missing_file(tmp_path):
    write_raw_dir(tmp_path / "raw")
    (tmp_path / "raw" / "SRDI_LittleGiants.csv").unlink()
    with pytest.raises(IngestError, match=r"SRDI_LittleGiants\.csv \[designation\]: file not found"):
        ingest_raw(tmp_path / "raw", MAPPING, tmp_path / "interim")


def test_errors_of_all_tables_reported_together(tmp_path):
    t = tables()
    t["balance"].rows[0][4] = "abc"
    t["governance"].rows[2][6] = "101"  # Shrcr1 in percent: > 100
    write_raw_dir(tmp_path / "raw", t)
    out = tmp_path / "interim"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(IngestError) as err:
        ingest_raw(tmp_path / "raw", MAPPING, out)
    msg = str(err.value)
    assert msg.startswith("Raw-table ingestion failed: 2 problem(s) in 2 file(s)")
    assert "FS_Combas.csv" in msg and "CG_Ybasic.csv" in msg
    assert "'Shrcr1' (top1): outside the allowed range [0, 100] in 1 row; row 6: '101'" in msg
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert {p.file for p in err.value.problems} == {"FS_Combas.csv", "CG_Ybasic.csv"}
