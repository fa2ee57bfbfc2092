"""The mapping file: shipped defaults load, typos are errors, optional tables may be absent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from fixtures.ingest.rawdir import tables, two_file_mapping, two_file_partners, write_raw_dir, write_table

from srdi.ingest import TABLE_KEYS, IngestError, build_base_panel, ingest_raw, load_mapping

MAPPING = Path(__file__).resolve().parents[1] / "data" / "mappings" / "csmar_fields.yaml"


def test_shipped_mapping_covers_every_table():
    specs = load_mapping(MAPPING)
    assert tuple(specs) == TABLE_KEYS
    assert specs["balance"].by_name("total_assets").code == "A001000000"
    assert specs["customers"].by_name("share").scale == 0.01
    assert specs["firms"].header_rows == 3 and specs["st_status"].header_rows == 1


def _edited(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    edit(doc)
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_typo_in_mapping_is_an_error(tmp_path):
    def typo(doc):
        doc["tables"]["balance"]["columns"]["A001000000"]["dtpye"] = "float"

    with pytest.raises(IngestError, match=r"mapping.*A001000000: unknown field\(s\) \['dtpye'\]"):
        load_mapping(_edited(tmp_path, typo))


def test_optional_table_may_be_missing(tmp_path):
    def optional(doc):  # the two-file layout (docs/raw_tables.md), customers optional
        two_file_mapping(doc)
        doc["tables"]["customers"]["required"] = False

    mapping = _edited(tmp_path, optional)
    write_raw_dir(tmp_path / "raw")
    (tmp_path / "raw" / "FN_TopCusSup.csv").unlink()
    write_table(tmp_path / "raw", two_file_partners(tables()["top5"])[1])  # suppliers only
    report = ingest_raw(tmp_path / "raw", mapping, tmp_path / "interim")
    assert report["tables"]["customers"]["found"] is False
    cust = pd.read_parquet(tmp_path / "interim" / "customers.parquet")
    assert len(cust) == 0 and list(cust.columns) == ["stkcd", "year", "rank", "partner_name", "amount", "share"]
    panel = build_base_panel(tmp_path / "interim", tmp_path / "panel.parquet").set_index(["stkcd", "year"])
    assert panel.loc[("000001", 2020), "ci_chain"] == pytest.approx(0.30)  # suppliers' large share alone


def test_forced_header_rows_auto(tmp_path):
    def auto(doc):
        for spec in doc["tables"].values():
            spec["header_rows"] = "auto"

    write_raw_dir(tmp_path / "raw")
    report = ingest_raw(tmp_path / "raw", _edited(tmp_path, auto), tmp_path / "interim")
    layout = {k: v["header_rows"] for k, v in report["tables"].items()}
    assert layout["balance"] == 3 and layout["governance"] == 3 and layout["large_firms"] == 1
    assert layout["customers"] == 1 and layout["ownership"] == 1
