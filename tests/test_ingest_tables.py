"""Interim tables from the hand-made raw folder: filtering, counts, types, the report, write safety."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from fixtures.ingest.rawdir import write_raw_dir

from srdi.ingest import TABLE_KEYS, ingest_raw

MAPPING = Path(__file__).resolve().parents[1] / "data" / "mappings" / "csmar_fields.yaml"


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("ingest")
    write_raw_dir(root / "raw")
    before = _hashes(root / "raw")
    report = ingest_raw(root / "raw", MAPPING, root / "interim")
    return root, report, before


def _read(root: Path, key: str) -> pd.DataFrame:
    return pd.read_parquet(root / "interim" / f"{key}.parquet")


def test_all_tables_written_and_raw_untouched(ingested):
    root, report, before = ingested
    assert sorted(p.name for p in (root / "interim").iterdir()) == sorted(
        [f"{k}.parquet" for k in TABLE_KEYS] + ["ingest_report.json"])
    assert _hashes(root / "raw") == before
    assert json.loads((root / "interim" / "ingest_report.json").read_text(encoding="utf-8")) == report


def test_statements_keep_annual_consolidated_rows(ingested):
    root, report, _ = ingested
    # balance fixture: 10 rows = 7 annual consolidated + 1 Typrep B + 1 quarter + 1 opening balance
    assert report["tables"]["balance"]["rows_read"] == 10
    assert report["tables"]["balance"]["dropped"] == {"parent_company_statement": 1, "non_annual_period": 2}
    assert report["tables"]["balance"]["rows_kept"] == 7
    assert report["tables"]["income"]["dropped"] == {"parent_company_statement": 0, "non_annual_period": 1}
    assert report["tables"]["main_business"]["dropped"]["non_annual_period"] == 1
    bal = _read(root, "balance")
    assert list(bal.columns) == ["stkcd", "year", "total_assets", "total_liabilities", "fixed_assets",
                                 "intangible_assets"]
    first = bal[(bal.stkcd == "000001") & (bal.year == 2020)]
    assert first["total_assets"].tolist() == [1200.0]  # the consolidated annual value, not B's 900
    assert not bal.duplicated(["stkcd", "year"]).any()


def test_report_formats(ingested):
    _, report, _ = ingested
    firms = report["tables"]["firms"]
    assert (firms["encoding"], firms["header_rows"], firms["format"]) == ("gb18030", 3, "csv")
    assert report["tables"]["ownership"]["format"] == "xlsx"


def test_ingestion_does_not_read_the_report_texts(ingested, tmp_path):
    """The workflow's demo writes the texts while ingestion runs (srdi.demo.parts): the interim tables and the
    report must be the same bytes whether mdna/ is complete, half written or absent."""
    import shutil

    root, _, _ = ingested
    raw = tmp_path / "raw"
    shutil.copytree(root / "raw", raw, ignore=shutil.ignore_patterns("mdna"))
    ingest_raw(raw, MAPPING, tmp_path / "interim")
    assert _hashes(tmp_path / "interim") == _hashes(root / "interim")


def test_firms_codes_and_dates(ingested):
    root, _, _ = ingested
    firms = _read(root, "firms")
    assert firms["stkcd"].tolist() == ["000001", "300750", "600519"]
    assert firms.loc[0, "found_date"] == pd.Timestamp("2000-06-01")
    assert firms["delist_date"].isna().all()


def test_ownership_from_xlsx_numeric_code(ingested):
    root, _, _ = ingested
    own = _read(root, "ownership")
    assert list(own.columns) == ["stkcd", "year", "ownership", "soe"]
    assert own.loc[own.stkcd == "000001", "year"].tolist() == [2019, 2020, 2021]
    assert own.set_index(["stkcd", "year"]).loc[("600519", 2019), "soe"] == 1
    assert own.set_index(["stkcd", "year"]).loc[("000001", 2019), "soe"] == 0


def test_governance_scaling_and_duality(ingested):
    root, _, _ = ingested
    gov = _read(root, "governance").set_index(["stkcd", "year"])
    assert gov.loc[("000001", 2019), "top1"] == pytest.approx(0.305)  # 30.5 %
    assert gov.loc[("000001", 2019), "duality"] == 1  # Y1001b = 1
    assert gov.loc[("000001", 2020), "duality"] == 0  # Y1001b = 2


def test_partners_and_patents(ingested):
    root, report, _ = ingested
    cust = _read(root, "customers")
    assert list(cust.columns) == ["stkcd", "year", "rank", "partner_name", "amount", "share"]
    assert cust["share"].tolist() == pytest.approx([0.20, 0.10, 0.05, 0.35, 0.40])  # 0.35: the total row
    assert cust["rank"].isna().tolist() == [False, False, False, True, False]
    supp = _read(root, "suppliers")
    assert list(supp.columns) == list(cust.columns) and supp["share"].tolist() == pytest.approx([0.30, 0.20])
    # one combined file (7 rows: 5 customer rows incl. a total row, 2 supplier rows), split by CusSupType
    rep = report["tables"]
    assert rep["customers"]["where"] == {"column": "CusSupType", "value": "客户", "rows_selected": 5,
                                         "rows_other_values": 2}
    assert rep["suppliers"]["where"]["rows_selected"] == 2 and rep["suppliers"]["rows_read"] == 7
    assert rep["customers"]["rules"] == {"aggregate_rows": 1} and rep["suppliers"]["rules"] == {"aggregate_rows": 0}
    pats = _read(root, "patents")
    assert list(pats.columns) == ["stkcd", "app_no", "app_date", "app_year", "patent_type", "applicants"]
    a2 = pats.set_index("app_no").loc["CN2020A2"]
    assert a2["applicants"] == "深圳测试科技股份有限公司;国家电网有限公司"  # full-width ； normalized
    assert a2["patent_type"] == "utility" and a2["app_year"] == 2020


def test_ingest_is_deterministic(ingested, tmp_path):
    root, _, _ = ingested
    ingest_raw(root / "raw", MAPPING, tmp_path / "again")
    assert _hashes(tmp_path / "again") == _hashes(root / "interim")
