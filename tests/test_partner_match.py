"""Partner matching on real-world spellings (issue 11, deliverable 3): one fixture row per quirk, expected values
written by hand in the fixture's `case` column and below."""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from srdi.demo import names as nm
from srdi.ingest.partner_proxies import match_report, partner_shares, patent_counts
from srdi.ingest.partners import (
    DEFAULT_ALIASES,
    PartnerMatcher,
    is_own_affiliate,
    name_core,
    own_affiliate_keys,
    read_aliases,
)

FIX = Path(__file__).parent / "fixtures" / "partners"
LARGE = [name for name, _ in nm.LARGE_ENTERPRISES]


@pytest.fixture(scope="module")
def matcher() -> PartnerMatcher:
    return PartnerMatcher(LARGE, read_aliases())


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / name, dtype={"stkcd": str}, keep_default_na=True)


@pytest.mark.parametrize(("name", "core"), [
    ("腾讯科技（深圳）有限公司", "腾讯科技深圳"),
    ("腾讯科技(深圳)有限责任公司", "腾讯科技深圳"),
    ("ＴＣＬ 科技集团股份有限公司", "tcl科技集团"),
    ("国家电网有限公司及其关联方", "国家电网"),
    ("中国移动通信集团公司", "中国移动通信集团"),
])
def test_name_core_normalises_width_brackets_suffixes(name, core):
    assert name_core(name) == core


@pytest.mark.parametrize(("name", "cls", "rule"), [
    ("中国石油化工股份有限公司", "large", "exact"),
    ("中国移动通信集团公司", "large", "exact"),  # former name = listed name without its legal suffix
    ("中国南车股份有限公司", "large", "alias"),  # merged predecessor of 中国中车
    ("国网浙江省电力有限公司杭州供电公司", "large", "prefix"),
    ("中国石化北京燕山分公司", "large", "prefix"),
    ("中国电子科技集团公司第十四研究所", "large", "prefix"),  # a CETC institute is CETC, not an institute
    ("中国石油大学（北京）", "university", "university"),  # not 中国石油
    ("中国科学院沈阳自动化研究所", "institute", "institute"),
    ("京东方科技集团股份有限公司", "large", "exact"),  # 京东方, not the 京东 prefix
    ("客户三", "anonymous", "anonymous"),
    ("第二名", "anonymous", "anonymous"),
    ("供应商（四）", "anonymous", "anonymous"),
    ("前五名客户合计", "aggregate", "aggregate"),
    ("", "blank", "blank"),
    ("苏州恒达精密机械有限公司", "other", "unmatched"),
])
def test_match_rules(matcher, name, cls, rule):
    m = matcher.match(name)
    assert (m.cls, m.rule) == (cls, rule)


def test_partner_shares_follow_the_disclosure_policy(matcher):
    out = partner_shares(_read("customers.csv"), matcher, "cust").set_index("stkcd")
    np.testing.assert_allclose(out.loc["000001", "cust_large_share"], 0.22)  # listed, brackets, 2 branches
    np.testing.assert_allclose(out.loc["000001", "cust_top5"], 0.24)
    np.testing.assert_allclose(out.loc["000002", "cust_large_share"], 0.31)  # former name, 及其关联方, variant
    assert np.isnan(out.loc["000003", "cust_large_share"])  # names not disclosed: missing, not zero
    np.testing.assert_allclose(out.loc["000003", "cust_top5"], 0.25)
    assert np.isnan(out.loc["000004", "cust_large_share"])  # only the total
    np.testing.assert_allclose(out.loc["000004", "cust_top5"], 0.33)
    assert np.isnan(out.loc["000005", "cust_large_share"])  # every rank anonymised


def test_own_subsidiaries_do_not_count_as_joint(matcher):
    counts = patent_counts(_read("patents.csv"), _read("firms.csv"), matcher).set_index(["stkcd", "year"])
    row = counts.loc[("000001", 2019)]
    assert (row["n_patents"], row["n_joint"]) == (5, 3)
    assert (row["n_joint_large"], row["n_joint_univ"], row["n_joint_inst"]) == (1, 1, 1)
    assert counts.loc[("000001", 2020), "n_joint"] == 0
    assert counts.loc[("000002", 2019), "n_joint"] == 0  # 中国石化's own institute


def test_own_affiliate_keys_use_core_and_short_name():
    assert own_affiliate_keys("河北优博饮品股份有限公司", "*ST优博饮") == ("河北优博饮品", "优博饮")
    assert own_affiliate_keys("河北优博饮品股份有限公司", "ST优博") == ("河北优博饮品",)  # too short to be safe
    assert is_own_affiliate("优博饮品（潍坊）科技有限公司", own_affiliate_keys("河北优博饮品股份有限公司", "优博饮品"))
    assert not is_own_affiliate("苏州恒达精密机械有限公司", own_affiliate_keys("河北优博饮品股份有限公司", "优博饮品"))


def test_match_report_counts(matcher):
    rep = match_report(_read("customers.csv"), _read("customers.csv").iloc[:0], _read("patents.csv"),
                       _read("firms.csv"), matcher)
    got = {(s, r): n for s, r, n in zip(rep["source"], rep["rule"], rep["occurrences"], strict=True)}
    assert got == {
        ("customers", "exact"): 4, ("customers", "prefix"): 2, ("customers", "alias"): 1,
        ("customers", "anonymous"): 3, ("customers", "blank"): 2, ("customers", "aggregate"): 1,
        ("customers", "university"): 1, ("customers", "unmatched"): 1, ("customers", "related_party_suffix"): 1,
        ("patent_coapplicants", "own_affiliate"): 4, ("patent_coapplicants", "university"): 1,
        ("patent_coapplicants", "prefix"): 1, ("patent_coapplicants", "institute"): 1,
    }
    unmatched = rep.loc[(rep["source"] == "customers") & (rep["rule"] == "unmatched"), "examples"].item()
    assert unmatched == "苏州恒达精密机械有限公司 (1)"


def test_alias_list_rows_are_valid_and_name_listed_firms():
    rows = list(csv.DictReader(DEFAULT_ALIASES.open(encoding="utf-8")))
    assert len(rows) > 100
    assert PartnerMatcher(LARGE, read_aliases()).unused_aliases == 0  # every row names a listed firm


def test_alias_list_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "aliases.csv"
    bad.write_text("canonical,name,rule\n国家电网有限公司,国网,fuzzy\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"aliases.csv, line 2: rule 'fuzzy'"):
        read_aliases(bad)
    other = tmp_path / "other.csv"
    other.write_text("canonical,name,rule\n不存在的公司,国网,prefix\n", encoding="utf-8")
    m = PartnerMatcher(LARGE, read_aliases(other))  # a firm not on the list: the row does not apply
    assert m.unused_aliases == 1 and m.match("国网苏州供电公司").cls == "other"


def test_demo_ordinary_names_match_no_rule(matcher):
    import numpy.random as npr

    names = nm.ordinary_company_names(npr.default_rng(1), 2000)
    assert {matcher.match(n).cls for n in names} == {"other"}


def test_prefix_rule_is_the_longest_listed_prefix_as_a_scan_of_every_prefix_finds_it():
    """The prefix rule looks prefixes up by length; a plain scan of all prefixes, longest first, is the reference."""
    from srdi.ingest.partners import Alias

    firms = ["中国石油天然气集团有限公司", "中国石油化工集团有限公司", "中国电子科技集团有限公司"]
    prefixes = {"中国石油": firms[0], "中国石油化工": firms[1], "中国石化": firms[1], "中国电科": firms[2],
                "中国电子科技": firms[2]}
    m = PartnerMatcher(firms, [Alias(c, p, "prefix") for p, c in prefixes.items()])
    cores = {name_core(p): name_core(c) for p, c in prefixes.items()}

    def scan(core: str) -> str | None:
        for p in sorted(cores, key=len, reverse=True):
            if core.startswith(p):
                return p
        return None

    rng = np.random.default_rng(5)
    stems = ["中国石油", "中国石油化工", "中国石化", "中国石", "中国电科", "中国电子科技", "中国电子", "中"]
    tails = ["北京燕山分公司", "化工销售有限公司", "第十四研究所", "有限公司", ""]
    names = [f"{rng.choice(stems)}{rng.choice(tails)}" for _ in range(300)]
    for name in names:
        got, core = m.match(name), name_core(name)
        want = scan(core) if core not in m.exact else None
        if want is None:
            assert got.rule != "prefix", name
        else:
            assert (got.rule, name_core(got.canonical)) == ("prefix", cores[want]), name
    assert m.match("中国石油化工北京燕山分公司").canonical == firms[1]  # the longer prefix wins
