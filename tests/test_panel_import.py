import openpyxl
import pandas as pd
import pytest

from srdi.ingest import IngestError
from srdi.panel.codebook import codebook
from srdi.panel.importer import import_panel, write_imported_panel


def _write(tmp_path, frame, name="panel.csv"):
    path = tmp_path / name
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    elif name.endswith(".dta"):
        frame.to_stata(path, write_index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def test_import_csv_and_dta_sorted_with_codebook(tmp_path):
    # stock codes keep their leading zeros in every format
    frame = pd.DataFrame({"firm": ["000002", "000001", "000001"], "yr": [2020, 2021, 2020], "y": [1.0, 2.0, 3.0]})
    for name in ("panel.csv", "panel.dta", "panel.parquet"):
        out = write_imported_panel(_write(tmp_path, frame, name), "firm", "yr", tmp_path / "p.parquet",
                                   tmp_path / "codebook.csv")
        assert out[["firm", "yr"]].values.tolist() == [["000001", 2020], ["000001", 2021], ["000002", 2020]]
    book = pd.read_csv(tmp_path / "codebook.csv")
    assert book["name"].tolist() == ["firm", "yr", "y"]
    assert book.loc[2, "source"] == "user"


def test_duplicate_key_names_file_columns_and_rows(tmp_path):
    frame = pd.DataFrame({"firm": [1, 1, 2], "yr": [2020, 2020, 2020], "y": [1.0, 2.0, 3.0]})
    path = _write(tmp_path, frame)
    with pytest.raises(ValueError, match=r"panel.csv: key \(firm, yr\) is not unique; duplicated rows 2, 3"):
        import_panel(path, "firm", "yr")


def test_missing_key_column_and_bad_year(tmp_path):
    path = _write(tmp_path, pd.DataFrame({"firm": [1], "year": ["2020a"]}))
    with pytest.raises(ValueError, match=r"key column\(s\) \['yr'\] not found"):
        import_panel(path, "firm", "yr")
    with pytest.raises(ValueError, match=r"column 'year' must hold integer years; rows 2"):
        import_panel(path, "firm", "year")


def test_codebook_uses_shipped_definitions():
    book = codebook(["coinnov", "digital"])
    assert book.loc[0, "label_zh"] == "融通创新(综合指数)"
    assert "Wu, Hu, Lin & Ren (2021" in book.loc[1, "definition"]


# --- hostile cells in a user's panel: file, column and row numbers as the user sees them ---------------------

CSV_HEAD = "firm,yr,lev,industry\n"


def _csv(tmp_path, text: str, name: str = "panel.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problem_lines(message: str) -> list[str]:
    return [line for line in message.splitlines() if line.startswith("  - ")]


def test_csv_markers_in_numeric_column_name_file_column_and_lines(tmp_path):
    # A blank line (line 4) and a quoted cell spanning two lines (lines 6-7) must not shift the line numbers.
    text = (CSV_HEAD + "000001,2020,0.5,C39\n000001,2021,n.a.,C39\n\n000002,2020,-,C39\n"
            '000002,2021,0.25,"two\nlines"\n000003,2020,--,C38\n000003,2021,#N/A,C38\n000004,2020,null,C38\n'
            "000004,2021,NA,C38\n000005,2020,0.1,C38\n000005,2021,0.2,C38\n000006,2020,0.3,C38\n"
            "000006,2021,0.4,C38\n000007,2020,0.5,C38\n000007,2021,0.6,C38\n000008,2020,0.7,C38\n")
    path = _csv(tmp_path, text)
    with pytest.raises(IngestError) as err:
        import_panel(path, "firm", "yr")
    msg = str(err.value)
    assert msg.splitlines()[0] == (f"Panel import failed: 1 problem(s) in 1 file(s) ({path}). Nothing was written. "
                                   "Row numbers are lines of the file (the header is line 1).")
    (line,) = _problem_lines(msg)
    assert line.startswith(f"  - {path} [data.panel_file], column 'lev': text in a numeric column (9 of 15 "
                           "filled cells are numbers); write the number or leave the cell empty")
    assert line.endswith("in 6 rows; row 3: 'n.a.'; row 5: '-'; row 8: '--'; row 9: '#N/A'; row 10: 'null' "
                         "(and 1 more)")
    assert isinstance(err.value, ValueError)  # the CLI and callers catch ValueError


def test_xlsx_text_and_error_cells_name_spreadsheet_rows(tmp_path):
    path = tmp_path / "panel.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["firm", "yr", "lev"])
    ws.append(["000001", 2020, 0.5])
    ws.append([])  # row 3 blank
    ws.append(["000001", 2021, "n.a."])  # row 4
    ws.append(["000002", 2020, "#N/A"])  # row 5: an error cell (pandas.read_excel would read it as missing)
    ws.append(["000002", 2021, 0.25])
    ws.append(["000003", 2020, 0.75])
    ws.append(["000003", 2021, 1])
    wb.save(path)
    assert openpyxl.load_workbook(path).active["C5"].data_type == "e"
    with pytest.raises(IngestError) as err:
        import_panel(path, "firm", "yr")
    msg = str(err.value)
    assert "Row numbers are spreadsheet rows of the first sheet." in msg.splitlines()[0]
    (line,) = _problem_lines(msg)
    assert "panel.xlsx [data.panel_file], column 'lev': text in a numeric column (4 of 6 filled cells" in line
    assert line.endswith("in 2 rows; row 4: 'n.a.'; row 5: '#N/A'")


def test_parquet_and_dta_say_what_the_row_number_means(tmp_path):
    frame = pd.DataFrame({"firm": ["000001", "000001", "000002"], "yr": [2020, 2021, 2020],
                          "lev": ["0.5", "-", "0.25"]})
    for name, meaning in [("panel.parquet", "Row numbers are 1-based records of the file (parquet has no header "
                                            "line)."),
                          ("panel.dta", "Row numbers are Stata observation numbers (_n: 1-based; a .dta file has "
                                        "no header line).")]:
        path = _write(tmp_path, frame, name)
        with pytest.raises(IngestError) as err:
            import_panel(path, "firm", "yr")
        msg = str(err.value)
        assert msg.splitlines()[0].endswith(meaning)
        (line,) = _problem_lines(msg)
        assert f"{name} [data.panel_file], column 'lev': text in a numeric column (2 of 3" in line
        assert line.endswith("in 1 row; row 2: '-'")


def test_non_finite_and_absurd_values_in_every_format(tmp_path):
    text = (CSV_HEAD + "000001,2020,inf,C39\n000001,2021,1e300,C39\n000002,2020,-Infinity,C39\n"
            "000002,2021,nan,C39\n000003,2020,-2e15,C39\n000003,2021,999999999999999,C39\n")
    with pytest.raises(IngestError) as err:
        import_panel(_csv(tmp_path, text), "firm", "yr")
    nonfinite, huge = _problem_lines(str(err.value))
    assert "column 'lev': not a finite number" in nonfinite
    assert nonfinite.endswith("in 3 rows; row 2: 'inf'; row 4: '-Infinity'; row 5: 'nan'")
    assert "column 'lev': absolute value of 1e15 or more" in huge
    assert huge.endswith("in 2 rows; row 3: '1e300'; row 6: '-2e15'")  # 999999999999999 (line 7) is fine

    frame = pd.DataFrame({"firm": ["a", "b", "c"], "yr": [2020, 2020, 2020], "x": [1.0, float("inf"), None],
                          "y": [1e300, 2.0, 3.0]})
    with pytest.raises(IngestError) as err:
        import_panel(_write(tmp_path, frame, "panel.parquet"), "firm", "yr")
    x, y = _problem_lines(str(err.value))
    assert "column 'x': not a finite number" in x and x.endswith("in 1 row; row 2: 'inf'")  # None is missing
    assert "column 'y': absolute value of 1e15 or more" in y and y.endswith("in 1 row; row 1: '1e+300'")


def test_every_column_reported_at_once_and_many_rows_counted(tmp_path):
    rows = [f"{i:06d},2020,{'n.a.' if i % 3 == 0 else i / 10},{'inf' if i == 7 else i}\n" for i in range(1, 22)]
    path = _csv(tmp_path, "firm,yr,lev,size\n" + "".join(rows))
    with pytest.raises(IngestError) as err:
        import_panel(path, "firm", "yr")
    lev, size = _problem_lines(str(err.value))
    assert "2 problem(s) in 1 file(s)" in str(err.value)
    # i = 3, 6, ..., 21 -> lines 4, 7, 10, 13, 16 shown, 19 and 22 counted
    assert lev.endswith("in 7 rows; row 4: 'n.a.'; row 7: 'n.a.'; row 10: 'n.a.'; row 13: 'n.a.'; row 16: 'n.a.' "
                        "(and 2 more)")
    assert "column 'size': not a finite number" in size and size.endswith("row 8: 'inf'")


def test_text_columns_and_the_most_cells_rule(tmp_path):
    # 'code' has 2 numbers of 4 filled cells: not most, so a text column, no error, kept as text.
    text = ("firm,yr,lev,industry,code,flag,blank\n"
            "000001,2020,1,C39,12,True,\n000001,2021,2,NA,A1,False,\n000002,2020,3,C38,7,True,\n"
            "000002,2021,,C38,B2,False,\n")
    out = import_panel(_csv(tmp_path, text), "firm", "yr")
    assert out["firm"].tolist() == ["000001", "000001", "000002", "000002"]  # leading zeros kept
    assert out["lev"].dtype == "float64" and out["lev"].tolist()[:3] == [1.0, 2.0, 3.0]
    assert pd.isna(out.loc[3, "lev"])
    assert out["industry"].tolist()[0] == "C39" and pd.isna(out.loc[1, "industry"])  # NA: missing, as before
    assert out["code"].tolist() == ["12", "A1", "7", "B2"]
    assert out["flag"].dtype == bool and out["blank"].isna().all()
    assert str(out["yr"].dtype) == "int64"


def test_identifier_columns_keep_their_own_checks(tmp_path):
    text = "firm,yr,lev\n000001,2020,1\nn.a.,2021,2\n000002,n.a.,3\n"
    msg = r"column 'yr' must hold integer years; rows 4\. Row numbers are lines of the file \(the header is line 1\)\.$"
    with pytest.raises(ValueError, match=msg):
        import_panel(_csv(tmp_path, text), "firm", "yr")
    path = tmp_path / "p.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["firm", "yr", "lev"], ["000001", 2020, 1.5], [600519, 2020, 2]):
        ws.append(row)
    wb.save(path)
    out = import_panel(path, "firm", "yr")
    assert out["firm"].tolist() == ["000001", "600519"] and out["lev"].tolist() == [1.5, 2.0]


def test_header_only_panel_is_an_error(tmp_path):
    with pytest.raises(IngestError, match=r"panel\.csv \[data\.panel_file\]: has a header but no data rows"):
        import_panel(_csv(tmp_path, "firm,yr,lev\n\n"), "firm", "yr")


def test_ragged_csv_and_a_written_index(tmp_path):
    with pytest.raises(ValueError, match=r"panel\.csv: line 3 has 4 fields but the header has 3"):
        import_panel(_csv(tmp_path, "firm,yr,lev\n000001,2020,1\n000001,2021,2,9\n"), "firm", "yr")
    out = import_panel(_csv(tmp_path, ",firm,yr,lev\n0,000001,2020,1\n1,000001,2021\n"), "firm", "yr")
    assert list(out.columns) == ["Unnamed: 0", "firm", "yr", "lev"]  # as pandas names a written index
    assert out["lev"].tolist()[0] == 1.0 and pd.isna(out["lev"].tolist()[1])  # a short row: missing cells


def test_columns_the_models_name_are_checked_before_anything_is_written(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"firm": ["000001", "000002"], "fyear": [2015, 2015], "y": [None, None], "size": [1.0, 2.0]}).to_csv(
        path, index=False)
    out = tmp_path / "panel.parquet"
    with pytest.raises(ValueError, match=r"column 'sizee' \(used by model\(s\) 'main'\) is not in the file; "
                                         r"did you mean 'size'\?"):
        write_imported_panel(path, "firm", "fyear", out, tmp_path / "cb.csv", {"sizee": ["main"]})
    with pytest.raises(ValueError, match=r"p\.csv: column 'y' \(used by model\(s\) 'a', 'b'\) is missing in every row"):
        write_imported_panel(path, "firm", "fyear", out, tmp_path / "cb.csv", {"y": ["a", "b"], "size": ["a"]})
    assert not out.exists() and not (tmp_path / "cb.csv").exists()
