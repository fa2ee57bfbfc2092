"""The combined top-5 customer/supplier table: split into customers and suppliers by the mapping's `where`,
total rows (Rank blank) kept and counted, unknown types and unranked named rows stop ingestion."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from test_ingest_mapping import _edited

from srdi.ingest import IngestError, load_mapping
from srdi.ingest.load import load_table
from srdi.ingest.partner_proxies import partner_shares
from srdi.ingest.partners import PartnerMatcher
from srdi.ingest.stage import merge_shared

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "data" / "mappings" / "csmar_fields.yaml"
FIXTURE = ROOT / "tests" / "fixtures" / "partners" / "top5_combined.csv"


def _raw(tmp_path: Path, text: str | None = None) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    if text is None:
        shutil.copy(FIXTURE, raw / "FN_TopCusSup.csv")
    else:
        (raw / "FN_TopCusSup.csv").write_text(text, encoding="utf-8")
    return raw


def _load(raw: Path, key: str):
    return load_table(raw, load_mapping(MAPPING)[key])


def test_split_by_type_with_total_rows(tmp_path):
    raw = _raw(tmp_path)
    cust, supp = _load(raw, "customers"), _load(raw, "suppliers")
    # 7 rows: 4 customers (前五名客户 recoded to 客户), 3 suppliers; each table reads the whole file
    assert cust.report()["where"] == {"column": "CusSupType", "value": "客户", "rows_selected": 4,
                                      "rows_other_values": 3}
    assert supp.report()["where"]["rows_selected"] == 3 and supp.report()["rows_read"] == 7
    assert cust.rules == {"aggregate_rows": 2} and supp.rules == {"aggregate_rows": 2}
    assert list(cust.frame.columns) == ["stkcd", "year", "rank", "partner_name", "amount", "share"]
    c = cust.frame.set_index(["stkcd", "rank"], drop=False)
    assert c["share"].tolist() == pytest.approx([0.20, 0.10, 0.30, 0.45])
    assert c["rank"].isna().tolist() == [False, False, True, True]
    # total rows give <side>_top5 where no rank is given; the large share needs a named rank
    matcher = PartnerMatcher(["国家电网有限公司", "华为技术有限公司"])
    cs = partner_shares(cust.frame, matcher, "cust").set_index("stkcd")
    assert cs.loc["000001", "cust_top5"] == pytest.approx(0.30)
    assert cs.loc["000001", "cust_large_share"] == pytest.approx(0.20)
    assert cs.loc["000002", "cust_top5"] == pytest.approx(0.45)
    assert cs.loc["000002", "cust_large_share"] != cs.loc["000002", "cust_large_share"]  # NaN: no names
    ss = partner_shares(supp.frame, matcher, "supp").set_index("stkcd")
    assert ss.loc["000002", "supp_top5"] == pytest.approx(0.50)  # blank-named total row


def test_unknown_type_names_file_column_and_rows(tmp_path):
    text = FIXTURE.read_text(encoding="utf-8").replace("000002,2020-12-31,前五名客户", "000002,2020-12-31,经销商")
    raw = _raw(tmp_path, text)
    problems = []
    for key in ("customers", "suppliers"):
        with pytest.raises(IngestError) as err:
            _load(raw, key)
        problems += err.value.problems
    (msg,) = [p.render() for p in merge_shared(problems)]  # one problem, both tables named
    assert msg.startswith("FN_TopCusSup.csv [customers, suppliers], column 'CusSupType' (cs_type): not one of "
                          "the allowed values")
    assert msg.endswith("in 1 row; row 7: '经销商'")


def test_named_row_without_rank_is_an_error(tmp_path):
    text = FIXTURE.read_text(encoding="utf-8") + "000003,2020-12-31,客户,,某某贸易有限公司,10,5\n"
    with pytest.raises(IngestError, match=r"FN_TopCusSup\.csv \[customers\], column 'Rank' \(rank\): rank missing "
                                          r"on a row that names a partner .* row 9: '某某贸易有限公司'"):
        _load(_raw(tmp_path, text), "customers")


def test_a_required_type_with_no_rows_is_an_error(tmp_path):
    text = "\n".join(line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if "供应商" not in line)
    with pytest.raises(IngestError, match=r"\[suppliers\], column 'CusSupType': has no rows with CusSupType = 供应商"):
        _load(_raw(tmp_path, text + "\n"), "suppliers")


def test_where_values_must_split_the_file_exactly(tmp_path):
    def both_customers(doc):
        doc["tables"]["suppliers"]["where"] = {"cs_type": "客户"}

    with pytest.raises(IngestError, match=r"tables \['customers', 'suppliers'\] read FN_TopCusSup\*\.csv split by "
                                          r"cs_type: their where values \['客户', '客户'\] must differ"):
        load_mapping(_edited(tmp_path, both_customers))

    def unknown_value(doc):
        doc["tables"]["suppliers"]["where"] = {"cs_type": "供货商"}

    with pytest.raises(IngestError, match=r"suppliers\.where: value '供货商' is not one of the column's allowed"):
        load_mapping(_edited(tmp_path, unknown_value))


def test_two_file_layout_still_reads(tmp_path):
    """Older separate exports (FN_Fn052 / FN_Fn053 with their own codes): each table its own file, no `where`."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "FN_Fn053.csv").write_text("Stkcd,Accper,Rank,SupplierName,PurchaseAmount,PurchaseRatio\n"
                                      "000001,2020-12-31,1,华为技术有限公司,100,25\n", encoding="utf-8")
    spec = load_mapping(MAPPING)["suppliers"]
    spec = dataclasses.replace(spec, file="FN_Fn053.csv", where=None, unique=("stkcd", "period_end", "rank"),
                               columns=tuple(c for c in spec.columns if c.name != "cs_type"))
    got = load_table(raw, spec)
    assert got.frame["share"].tolist() == pytest.approx([0.25]) and "where" not in got.report()
    assert got.renamed_headers == {"PurchaseAmount": "Amount", "PurchaseRatio": "Ratio",
                                   "SupplierName": "PartnerName"}
