"""Issue 11: one test per export quirk, each on a small hand-written fixture with its expected result by hand."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from fixtures.ingest.rawdir import FIRM1, FIRM2, FIRM3, NAME1, NAME3, tables, write_raw_dir

from srdi.ingest import IngestError, ingest_raw, load_mapping
from srdi.ingest.links import fill_rd
from srdi.ingest.load import load_table
from srdi.ingest.provinces import canonical_province
from srdi.ingest.st_events import st_years
from srdi.panel.sme import load_thresholds, sme_flag

MAPPING = "data/mappings/csmar_fields.yaml"
INC_CODES = ["Stkcd", "ShortName", "Accper", "Typrep", "B001101000", "B001201000", "B001209000", "B001210000",
             "B001216000", "B002000000"]


def _spec(key: str, **changes):
    return dataclasses.replace(load_mapping(MAPPING)[key], **changes)


def _write(path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def test_split_files_stack_and_overlap_rows_are_dropped_and_counted(tmp_path):
    head = ",".join(INC_CODES) + "\n"
    a = head + "000001,x,2019-12-31,A,100,50,1,1,5,10\n000001,x,2020-12-31,A,200,90,1,1,6,20\n"
    b = head + "000001,x,2020-12-31,A,200,90,1,1,6,20\n000001,x,2021-12-31,A,300,99,1,1,7,30\n"
    _write(tmp_path / "FS_Comins_2019-2020_20250403.csv", a)
    _write(tmp_path / "FS_Comins_2020-2021_20250403.csv", b)
    got = load_table(tmp_path, _spec("income", header_rows=1))
    assert got.frame["year"].tolist() == [2019, 2020, 2021]
    assert got.overlap_rows == 1 and got.rows_read == 4
    assert got.files == ["FS_Comins_2019-2020_20250403.csv", "FS_Comins_2020-2021_20250403.csv"]


def test_same_key_other_values_across_files_is_an_error_by_default(tmp_path):
    head = ",".join(INC_CODES) + "\n"
    _write(tmp_path / "FS_Comins_a.csv", head + "000001,x,2020-12-31,A,200,90,1,1,6,20\n")
    _write(tmp_path / "FS_Comins_b.csv", head + "000001,x,2020-12-31,A,201,90,1,1,6,20\n")
    with pytest.raises(IngestError) as exc:
        load_table(tmp_path, _spec("income", header_rows=1))
    msg = str(exc.value)
    assert "FS_Comins_a.csv [income]" in msg and "FS_Comins_b.csv [income]" in msg and "duplicate key" in msg


@pytest.mark.parametrize(("rule", "revenue", "dropped"), [("first", 200.0, 1), ("last", 201.0, 1)])
def test_duplicate_key_rule_first_or_last_keeps_one_and_counts(tmp_path, rule, revenue, dropped):
    head = ",".join(INC_CODES) + "\n"
    _write(tmp_path / "FS_Comins.csv", head + "000001,x,2020-12-31,A,200,90,1,1,6,20\n"
                                              "000001,x,2020-12-31,A,201,90,1,1,6,20\n")
    got = load_table(tmp_path, _spec("income", header_rows=1, on_duplicate=rule))
    assert got.frame["revenue"].tolist() == [revenue] and got.duplicate_rows == dropped


def test_lower_case_and_chinese_headers_are_read_by_the_mapping(tmp_path):
    lower = ",".join(c.lower() for c in INC_CODES) + "\n000001,x,2020-12-31,A,200,90,1,1,6,20\n"
    _write(tmp_path / "FS_Comins.csv", lower)
    got = load_table(tmp_path, _spec("income", header_rows=1))
    assert got.frame["rd_expense"].tolist() == [6.0] and got.renamed_headers["stkcd"] == "Stkcd"
    _write(tmp_path / "PT_LCRDSPENDING.csv", "证券代码,会计期间,研发投入金额,费用化研发投入\n1,2016-12-31,9,7\n")
    rd = load_table(tmp_path, _spec("rd_spending"))
    assert rd.frame[["stkcd", "year", "rd_expensed"]].values.tolist() == [["000001", 2016, 7.0]]


def test_rd_from_statement_where_filled_else_from_rd_table_with_source():
    income = pd.DataFrame({"stkcd": ["000001"] * 3, "year": pd.array([2016, 2018, 2019], dtype="Int64"),
                           "rd_expense": [None, 8.0, None]})
    rd = pd.DataFrame({"stkcd": ["000001"] * 2, "year": pd.array([2016, 2018], dtype="Int64"),
                       "rd_expensed": [7.0, 99.0]})
    out, counts = fill_rd(income, rd)
    assert out["rd_expense"].tolist()[:2] == [7.0, 8.0] and pd.isna(out["rd_expense"].iloc[2])
    assert out["rd_source"].tolist()[:2] == ["rd_table", "statement"] and pd.isna(out["rd_source"].iloc[2])
    assert counts == {"rd_from_statement": 1, "rd_from_rd_table": 1, "rd_missing": 1}


def test_st_from_dated_events_year_end_and_any_rules():
    ev = pd.DataFrame({"stkcd": ["000001"] * 4,
                       "event_date": pd.to_datetime(["2016-04-20", "2017-05-02", "2019-06-10", "2020-04-30"]),
                       "st_status": ["ST", "*ST", "正常", "ST"]})
    end = st_years(ev, "year_end")
    assert end[["year", "st_type"]].values.tolist() == [[2016, "ST"], [2017, "*ST"], [2018, "*ST"],
                                                         [2020, "ST"]]
    anyday = st_years(ev, "any")  # 2019: *ST until June 10
    assert anyday[["year", "st_type"]].values.tolist() == [[2016, "ST"], [2017, "*ST"], [2018, "*ST"],
                                                            [2019, "*ST"], [2020, "ST"]]


def test_combined_equity_nature_values_are_decoded(tmp_path):
    own = tables()["ownership"]
    own.rows = [[FIRM1, "2019-12-31", "国家,央企"], [FIRM1, "2020-12-31", "民营、外资"],
                [FIRM2, "2019-12-31", "地方国企"], [FIRM3, "2020-12-31", "外资"]]
    write_raw_dir(tmp_path / "raw", {"ownership": own})
    got = load_table(tmp_path / "raw", load_mapping(MAPPING)["ownership"])
    # sorted by stock code: FIRM1 2019, FIRM1 2020, FIRM3 (300750) 2020, FIRM2 (600519) 2019
    assert got.frame["ownership"].tolist() == ["国企", "民营", "外资", "国企"]
    assert got.frame["soe"].tolist() == [1, 0, 0, 1] and got.rules["combined_values_decoded"] == 2
    own.rows.append([FIRM3, "2021-12-31", "集体"])
    write_raw_dir(tmp_path / "raw2", {"ownership": own})
    with pytest.raises(IngestError, match=r"not in nature_codes: \['集体'\].*row 6"):
        load_table(tmp_path / "raw2", load_mapping(MAPPING)["ownership"])


def test_province_spellings_and_report_year_lag(tmp_path):
    assert canonical_province("江苏") == canonical_province("江苏省 ") == "江苏省"
    assert canonical_province("广西") == "广西壮族自治区" and canonical_province("香港") == "香港"
    write_raw_dir(tmp_path / "raw")
    got = load_table(tmp_path / "raw", load_mapping(MAPPING)["innovation_env"])
    gd = got.frame.loc[got.frame["province"] == "广东省"]
    assert gd["year"].tolist() == [2019, 2020, 2021] and gd["innov_env"].tolist() == [80, 82, 85]


def test_little_giants_by_name_subsidiary_unlisted_and_revoked(tmp_path):
    des = tables()["designation"]
    des.codes = ["企业名称", "批次", "BatchYear", "RevokeYear"]
    des.rows = [[NAME1, 1, 2019, None], ["宁德测试(福建)电池有限公司", 2, 2020, 2022],
                [NAME3, 3, 2021, None], ["某某精密机械有限公司", 2, 2020, None]]
    write_raw_dir(tmp_path / "raw", {"designation": des})
    (tmp_path / "raw" / "FN_Subsidiary.csv").write_text(  # full-width parentheses: normalized before matching
        f"Stkcd,SubsidiaryName\n{FIRM3},宁德测试（福建）电池有限公司\n", encoding="utf-8")
    report = ingest_raw(tmp_path / "raw", MAPPING, tmp_path / "interim")
    got = pd.read_parquet(tmp_path / "interim" / "designation.parquet")
    assert got[["stkcd", "batch_year", "matched_by"]].values.tolist() == [
        [FIRM1, 2019, "company_name"], [FIRM3, 2020, "subsidiary"]]  # earliest of FIRM3's two: its subsidiary
    assert got["revoke_year"].tolist()[1] == 2022
    assert report["links"]["designation"] == {
        "names_listed": 4, "matched_stock_code": 0, "matched_company_name": 2, "matched_subsidiary": 1,
        "unmatched_unlisted": 1, "later_designations_of_a_matched_firm": 1, "firms_designated": 2,
        "firms_revoked": 1}


def test_ingest_report_counts_per_rule(tmp_path):
    write_raw_dir(tmp_path / "raw")
    report = ingest_raw(tmp_path / "raw", MAPPING, tmp_path / "interim")
    assert json.loads((tmp_path / "interim" / "ingest_report.json").read_text(encoding="utf-8")) == report
    inc = report["tables"]["income"]
    assert inc["overlap_rows_dropped"] == 0 and inc["duplicate_keys"] == {"rule": "error", "rows_dropped": 0}
    assert report["tables"]["st_status"]["rules"] == {"events_read": 1}
    assert report["links"]["rd"]["rd_missing"] + report["links"]["rd"]["rd_from_statement"] == len(
        pd.read_parquet(tmp_path / "interim" / "income.parquet"))
    assert report["tables"]["firm_info"]["found"] is False and report["tables"]["firm_info"]["duplicate_keys"] == {
        "rule": "last", "rows_dropped": 0}


def test_sme_flag_by_miit_2011_thresholds():
    panel = pd.DataFrame({
        "industry_code": ["C39", "C39", "C39", "I65", "K70", "J66", "L72", "C39"],
        "employees": [999, 1500, 1500, 400, 5000, 10, 250, None],
        "revenue": [9e8, 3.9e8, 5e8, 2e8, 3e9, 1e6, 1e12, 5e8],
        "total_assets": [1e9, 1e9, 1e9, 1e9, 5e7, 1e6, 1e13, 1e9],
    })
    got = sme_flag(panel, load_thresholds())
    # industry: <1000 staff or < 4亿 revenue; software: <300 or <1亿; real estate: <20亿 revenue or <1亿 assets;
    # finance: not covered; leasing/business: <300 staff or <12亿 assets; missing staff and revenue above: unknown
    assert got["sme_industry"].tolist()[:6] == ["industry", "industry", "industry", "software", "real_estate", None]
    expected = [1.0, 1.0, 0.0, 0.0, 1.0, None, 1.0, None]
    assert [None if pd.isna(x) else x for x in got["sme"]] == expected
