"""Hostile cells in raw exports: non-finite numbers, absurd magnitudes and header-only tables are ingest
errors naming file, column and rows; every problem of every table is reported at once, nothing is written."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from fixtures.ingest.rawdir import Table, csv_bytes, tables, write_raw_dir, write_xlsx

from srdi.ingest import IngestError, ingest_raw, load_mapping, read_table
from srdi.ingest.load import load_table

MAPPING = Path(__file__).resolve().parents[1] / "data" / "mappings" / "csmar_fields.yaml"

# Fixture layout: balance / income / governance have 3 header rows, so data row i (0-based) is file line 4 + i.
TA, REV, NP, EMP = 4, 4, 9, 2  # positions of A001000000, B001101000, B002000000, Y0601b in their rows


def _fail(tmp_path: Path, changed: dict[str, Table], mapping: Path = MAPPING) -> str:
    write_raw_dir(tmp_path / "raw", changed)
    out = tmp_path / "interim"
    with pytest.raises(IngestError) as err:
        ingest_raw(tmp_path / "raw", mapping, out)
    assert not out.exists() or not any(out.iterdir()), "nothing may be written when ingestion fails"
    return str(err.value)


def _lines(message: str, file: str) -> list[str]:
    return [line for line in message.splitlines() if line.startswith("  - ") and file in line]


def _edited_mapping(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    edit(doc)
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- 1. non-finite numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["inf", "-inf", "Infinity", "-Infinity", "+inf", "INF", "nan", "NaN", "-nan",
                                   "1e400"])
def test_non_finite_text_in_float_column_is_an_error(tmp_path, token):
    bal = tables()["balance"]
    bal.rows[1][TA] = token  # line 5
    (line,) = _lines(_fail(tmp_path, {"balance": bal}), "FS_Combas.csv")
    assert line.startswith("  - FS_Combas.csv [balance], column 'A001000000' (total_assets): not a finite number")
    assert line.endswith(f"in 1 row; row 5: '{token}'")


def test_non_finite_in_int_column_and_unbounded_column_rows_counted(tmp_path):
    gov = tables()["governance"]
    gov.rows[0][EMP] = "inf"  # line 4
    inc = tables()["income"]
    for i in (0, 2, 3, 4, 5, 6, 7):  # 7 rows: lines 4, 6, 7, 8, 9, 10, 11; 5 shown
        inc.rows[i][REV] = "NaN"
    msg = _fail(tmp_path, {"governance": gov, "income": inc})
    (g,) = _lines(msg, "CG_Ybasic.csv")
    assert "column 'Y0601b' (employees): not a finite number" in g and "not an integer" not in g
    assert g.endswith("in 1 row; row 4: 'inf'")
    (r,) = _lines(msg, "FS_Comins.csv")
    assert "column 'B001101000' (revenue): not a finite number" in r
    assert "in 7 rows; row 4: 'NaN'; row 6: 'NaN'; row 7: 'NaN'; row 8: 'NaN'; row 9: 'NaN' (and 2 more)" in r


def test_non_finite_is_not_also_reported_as_out_of_range(tmp_path):
    gov = tables()["governance"]
    gov.rows[2][6] = "-inf"  # Shrcr1 has min 0, max 100: one problem only, the non-finite one
    (line,) = _lines(_fail(tmp_path, {"governance": gov}), "CG_Ybasic.csv")
    assert "'Shrcr1' (top1): not a finite number" in line and "row 6: '-inf'" in line


def test_nan_text_is_missing_in_a_text_column_but_kept_for_the_check_in_a_numeric_one(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes(Table("t.csv", ["Stkcd", "Name", "Amount"], [["000001", "NaN", "nan"]])))
    raw = read_table(path, header_rows=1, dtypes={"Stkcd": "code", "Name": "str", "Amount": "float"})
    assert pd.isna(raw.frame.loc[2, "Name"]) and raw.frame.loc[2, "Amount"] == "nan"


def _governance_xlsx(tmp_path: Path, cells: dict[tuple[int, int], object]) -> tuple[Path, object]:
    """The governance fixture as a one-header XLSX, with `cells[(data row, col)]` replaced."""
    gov = tables()["governance"]
    path = tmp_path / "raw" / "CG_Ybasic.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(gov.codes)
    for i, row in enumerate(gov.rows):
        ws.append([cells.get((i, j), v) for j, v in enumerate(row)])
    wb.save(path)
    spec = dataclasses.replace(load_mapping(MAPPING)["governance"], file=path.name, header_rows=1)
    return path, spec


def test_xlsx_text_inf_nan_and_error_cells_are_errors(tmp_path):
    # Excel writes x/0 as an error cell (#DIV/0!); read as missing it would vanish silently.
    path, spec = _governance_xlsx(tmp_path, {(0, EMP): "inf", (1, 6): "NaN", (2, 6): "#DIV/0!", (3, 6): "#NUM!"})
    assert openpyxl.load_workbook(path)["Sheet"]["G4"].data_type == "e"  # a true error cell, not text
    with pytest.raises(IngestError) as err:
        load_table(path.parent, spec)
    msg = str(err.value)
    (emp,) = _lines(msg, "column 'Y0601b'")
    assert "CG_Ybasic.xlsx [governance]" in emp and "not a finite number" in emp
    assert emp.endswith("in 1 row; row 2: 'inf'")
    shr = _lines(msg, "column 'Shrcr1'")
    assert any("not a finite number" in s and s.endswith("in 1 row; row 3: 'NaN'") for s in shr)
    assert any("not a number in 2 rows; row 4: '#DIV/0!'; row 5: '#NUM!'" in s for s in shr)


def test_xlsx_error_cell_in_a_text_column_stays_missing(tmp_path):
    path = tmp_path / "t.xlsx"
    write_xlsx(path, Table("t.xlsx", ["Stkcd", "Name", "Amount"], [["000001", "#N/A", 5], ["000002", "x", 6]]))
    raw = read_table(path, header_rows=1, dtypes={"Stkcd": "code", "Name": "str", "Amount": "float"})
    assert pd.isna(raw.frame.loc[2, "Name"]) and raw.frame.loc[3, "Name"] == "x"  # as pandas.read_excel did
    assert raw.frame["Amount"].tolist() == ["5", "6"]


def test_parquet_inf_and_huge_floats_name_data_rows(tmp_path):
    path = tmp_path / "raw" / "inc.parquet"
    path.parent.mkdir(parents=True)
    inc = tables()["income"]
    frame = pd.DataFrame(inc.rows, columns=inc.codes)
    frame["B001101000"] = frame["B001101000"].astype("float64")
    frame.loc[1, "B001101000"] = float("inf")  # record 2
    frame.loc[2, "B001101000"] = float("nan")  # parquet's own missing value: fine
    frame.loc[3, "B001101000"] = 1e300  # record 4
    frame.to_parquet(path)
    spec = dataclasses.replace(load_mapping(MAPPING)["income"], file=path.name)
    with pytest.raises(IngestError) as err:
        load_table(path.parent, spec)
    nonfinite, huge = _lines(str(err.value), "inc.parquet")
    assert "'B001101000' (revenue): not a finite number" in nonfinite and nonfinite.endswith("row 2: 'inf'")
    assert "absolute value of 1e15 or more" in huge and huge.endswith("in 1 row; row 4: '1e+300'")


# --- 2. absurd magnitudes --------------------------------------------------------------------------------


@pytest.mark.parametrize(("col", "value"), [(TA, "1e300"), (TA, "1E+15"), (NP, "-1e300"), (NP, "1000000000000000")])
def test_absurd_magnitude_is_an_error(tmp_path, col, value):
    table = tables()["balance" if col == TA else "income"]
    table.rows[3][col] = value  # line 7
    code = "A001000000 (total_assets)" if col == TA else "B002000000 (net_profit)"
    msg = _fail(tmp_path, {"balance" if col == TA else "income": table})
    (line,) = _lines(msg, table.file)
    c, n = code.split()
    assert f"column '{c}' {n}: absolute value of 1e15 or more" in line
    assert line.endswith(f"in 1 row; row 7: '{value}'")


def test_just_below_the_limit_passes(tmp_path):
    inc = tables()["income"]
    inc.rows[0][NP] = "-999999999999999"  # |x| < 1e15
    inc.rows[0][REV] = "999999999999999.9"
    write_raw_dir(tmp_path / "raw", {"income": inc})
    ingest_raw(tmp_path / "raw", MAPPING, tmp_path / "interim")
    got = pd.read_parquet(tmp_path / "interim" / "income.parquet").set_index(["stkcd", "year"])
    assert got.loc[("000001", 2019), "net_profit"] == -999999999999999.0


def test_a_mapping_bound_replaces_the_default_limit_on_its_side(tmp_path):
    def edit(doc):
        doc["tables"]["income"]["columns"]["B001101000"]["max"] = 1e20  # upper side: 1e20 instead of 1e15
    mapping = _edited_mapping(tmp_path, edit)
    inc = tables()["income"]
    inc.rows[0][REV] = "5e17"  # allowed by the mapping's max
    write_raw_dir(tmp_path / "raw", {"income": inc})
    ingest_raw(tmp_path / "raw", mapping, tmp_path / "interim")
    inc.rows[1][REV] = "-5e17"  # the lower side still has the default limit
    inc.rows[2][REV] = "2e20"  # above the mapping's max: the range message
    msg = _fail(tmp_path / "again", {"income": inc}, mapping)
    lines = _lines(msg, "FS_Comins.csv")
    assert any("absolute value of 1e15 or more" in s and s.endswith("in 1 row; row 5: '-5e17'") for s in lines)
    assert any("outside the allowed range" in s and "row 6: '2e20'" in s for s in lines)
    assert len(lines) == 2


def test_min_zero_does_not_lift_the_upper_limit_and_bounded_column_keeps_its_range(tmp_path):
    top5 = tables()["top5"]
    top5.rows[0][5] = "1e300"  # Amount: min 0 only -> the upper default limit applies
    top5.rows[1][6] = "1e300"  # Ratio: min 0, max 100 -> only its own range
    (line_a, line_b) = _lines(_fail(tmp_path, {"top5": top5}), "FN_TopCusSup.csv")
    # customers and suppliers read the one combined file: each problem is reported once, naming both
    assert "[customers, suppliers], column 'Amount' (amount): absolute value of 1e15 or more" in line_a
    assert line_a.endswith("in 1 row; row 2: '1e300'")
    assert "'Ratio' (share): outside the allowed range [0, 100] in 1 row; row 3: '1e300'" in line_b


# --- 3. header-only tables -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["balance", "designation", "ownership"])  # 3-header CSV, 1-header CSV, XLSX
def test_required_table_with_header_rows_only_is_an_error(tmp_path, key):
    t = tables()[key]
    t.rows = []
    (line,) = _lines(_fail(tmp_path, {key: t}), t.file)
    assert line == f"  - {t.file} [{key}]: has header rows but no data rows"


def test_header_then_blank_lines_only_is_an_error(tmp_path):
    t = tables()["designation"]
    t.rows = [["", "", ""], ["", "", ""]]
    (line,) = _lines(_fail(tmp_path, {"designation": t}), t.file)
    assert "has header rows but no data rows" in line


def test_header_only_parquet_is_an_error(tmp_path):
    path = tmp_path / "raw" / "d.parquet"
    path.parent.mkdir(parents=True)
    pd.DataFrame({"Stkcd": pd.Series([], dtype=str), "Batch": pd.Series([], dtype="int64"),
                  "BatchYear": pd.Series([], dtype="int64")}).to_parquet(path)
    spec = dataclasses.replace(load_mapping(MAPPING)["designation"], file=path.name)
    with pytest.raises(IngestError, match=r"d\.parquet \[designation\]: has no data rows"):
        load_table(path.parent, spec)


def test_optional_table_header_only_or_absent_is_fine(tmp_path):
    def edit(doc):
        doc["tables"]["designation"]["required"] = False
        doc["tables"]["st_status"]["required"] = False
    mapping = _edited_mapping(tmp_path, edit)
    des = tables()["designation"]
    des.rows = []
    write_raw_dir(tmp_path / "raw", {"designation": des})
    (tmp_path / "raw" / "STK_STInfo.csv").unlink()
    report = ingest_raw(tmp_path / "raw", mapping, tmp_path / "interim")
    got = pd.read_parquet(tmp_path / "interim" / "designation.parquet")
    assert got.empty and list(got.columns) == ["stkcd", "batch", "batch_year", "revoke_year", "matched_by"]
    assert report["tables"]["designation"]["rows_read"] == 0 and report["tables"]["designation"]["found"]
    assert report["tables"]["st_status"]["found"] is False


def test_every_problem_of_every_table_is_reported_together(tmp_path):
    bal, inc, des = tables()["balance"], tables()["income"], tables()["designation"]
    bal.rows[0][TA] = "inf"
    inc.rows[0][NP] = "1e300"
    des.rows = []
    msg = _fail(tmp_path, {"balance": bal, "income": inc, "designation": des})
    assert msg.startswith("Raw-table ingestion failed: 3 problem(s) in 3 file(s)")
    assert len(_lines(msg, "FS_Combas.csv")) == len(_lines(msg, "FS_Comins.csv")) == 1
    assert _lines(msg, "SRDI_LittleGiants.csv") == ["  - SRDI_LittleGiants.csv [designation]: has header rows but "
                                                    "no data rows"]
