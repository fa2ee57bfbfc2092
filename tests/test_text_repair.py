"""Real report texts (issue 11, deliverable 4): PDF debris repaired before matching, the MD&A found by its era's
heading, one version per firm-year. Fixture: tests/fixtures/text/reports (expected counts written by hand)."""

from pathlib import Path

import pytest

from srdi.text import count_years
from srdi.text.repair import era_headings, mdna_section, repair, repair_many
from srdi.text.versions import choose_versions, parse_version

REPORTS = Path(__file__).parent / "fixtures" / "text" / "reports"
DICTS = Path(__file__).resolve().parents[1] / "data" / "dictionaries"
ALL = {"digital": str(DICTS / "digital_wu2021.yaml"), "ci_data": str(DICTS / "coinnov_data.yaml"),
       "ci_eco": str(DICTS / "coinnov_eco.yaml")}


def test_full_width_alphanumerics_fold():
    assert repair("Ｂ２Ｂ与Ｆｉｎｔｅｃｈ，２０１９年。", 2019)[0] == "B2B与Fintech，2019年。"  # ， stays


def test_keyword_split_across_line_break_is_joined():
    assert repair("公司推进区块\n链应用。\n下一句", 2019)[0] == "公司推进区块链应用。\n下一句"


def test_page_header_and_numbers_in_mid_sentence_are_dropped():
    text = ("公司推进区块\n某某股份有限公司 ２０１９ 年年度报告全文\n１２ ／ １８０\n链应用。\n第 3 页 共 9 页\n"
            "- 4 -\n完。")
    assert repair(text, 2019)[0] == "公司推进区块链应用。\n完。"


def test_prose_mentioning_the_annual_report_is_kept():
    text = "本公司董事会保证2019年年度报告内容的真实、准确、完整，不存在虚假记载、误导性陈述或者重大遗漏。"
    assert repair(text, 2019)[0] == text


def test_spaces_at_line_edges_go_inner_ones_stay():
    assert repair("　　公司推进 \n  云计算 与B2B。", 2019)[0] == "公司推进云计算 与B2B。"


@pytest.mark.parametrize(("year", "first"), [(2014, "董事会报告"), (2015, "董事会报告"), (2016, "经营情况讨论与分析"),
                                             (2020, "经营情况讨论与分析"), (2021, "管理层讨论与分析")])
def test_era_heading_is_tried_first(year, first):
    assert era_headings(year)[0] == first and len(era_headings(year)) == 3


def test_mdna_section_skips_the_table_of_contents():
    text = "目录\n第四节 经营情况讨论与分析......10\n第四节 经营情况讨论与分析\n正文。\n第五节 重要事项\n其他。"
    assert mdna_section(text, 2019) == "第四节 经营情况讨论与分析\n正文。"
    assert mdna_section("没有任何节标题。", 2019) is None


def test_repair_many_keeps_reports_apart():
    buf, starts, lengths, found = repair_many(["甲区块", "链乙。"], [2019, 2019])
    assert [buf[a:a + n] for a, n in zip(starts, lengths, strict=True)] == ["甲区块", "链乙。"]
    assert found == [True, True]


@pytest.mark.parametrize(("name", "kind"), [
    ("000001_2019.txt", "full"), ("000001_2019_摘要.txt", "summary"), ("000001_2019_英文版.txt", "english"),
    ("000001_2019_更正后_2020-05-01.txt", "full_corrected"), ("000001_2019_English_Summary.txt", "english_summary"),
])
def test_version_kinds(name, kind):
    assert parse_version(Path(name)).kind == kind


def test_one_version_per_firm_year():
    chosen, dropped, bad = choose_versions(sorted(REPORTS.glob("*.txt")))
    assert [v.path.name for v in chosen] == [
        "000001_2019.txt",  # full over summary, Chinese over English
        "000002_2014_更正后_2015-06-20.txt",  # the latest correction
        "000003_2022.txt", "000004_2022.txt"]
    assert sorted(v.kind for v in dropped) == ["english", "full", "full_corrected", "summary"] and bad == []


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    out = tmp_path_factory.mktemp("text")
    return {scope: count_years(REPORTS, [2014, 2019, 2022], ALL, out / f"{scope}.parquet", scope=scope)
            .set_index("stkcd") for scope in ("report", "mdna")}


def test_whole_report_counts_repaired_mentions(counted):
    r = counted["report"]
    # 云计算 (profile), 区块链 split by a page break, Ｂ２Ｂ full-width, 大数据 (other matters); 人工智能 negated by a
    # 尚未 that a page number separates from it.
    assert (r.loc["000001", "dt_total"], r.loc["000001", "dt_neg"]) == (4, 1)
    assert (r.loc["000002", "dt_total"], r.loc["000002", "ci_data_total"]) == (2, 1)  # the 2015-06-20 correction
    assert r.loc["000003", "dt_total"] == 2
    rep = r.attrs["text_report"]
    assert rep["scope"] == "report" and rep["no_mdna_heading"] == []
    assert rep["versions_dropped"] == {"english": 1, "full": 1, "full_corrected": 1, "summary": 1}


def test_mdna_scope_counts_only_the_section(counted):
    m = counted["mdna"]
    assert (m.loc["000001", "dt_total"], m.loc["000001", "dt_neg"]) == (2, 1)  # 区块链, B2B; 人工智能 negated
    assert m.loc["000002", "dt_total"] == 2  # 董事会报告 era (2014)
    assert m.loc["000003", "dt_total"] == 1  # 管理层讨论与分析 era (2022); 移动支付 is in 第四节
    assert (m.loc["000004", "dt_total"], m.loc["000004", "text_chars"]) == (2, 25)  # no heading: counted whole
    assert m.attrs["text_report"]["no_mdna_heading"] == ["000004_2022.txt"]


def test_unknown_scope_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="scope"):
        count_years(REPORTS, [2019], ALL, tmp_path / "x.parquet", scope="chapter")
