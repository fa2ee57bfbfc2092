import pandas as pd
import pytest

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
