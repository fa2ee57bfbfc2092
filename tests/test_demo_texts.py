"""Templates of the demo MD&A texts: each planted sentence yields exactly the mentions it is meant to."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from srdi.demo import keywords as kw
from srdi.demo import names as nm
from srdi.demo import texts


def count_str(text: str, terms: tuple[str, ...]) -> int:
    """Naive reference: longest terms first with str.count, each hit blanked out before shorter terms."""
    total = 0
    for term in sorted(terms, key=len, reverse=True):
        total += text.count(term)
        text = text.replace(term, "\0" * len(term))
    return total


def all_counts(text: str) -> dict[str, int]:
    return {name: count_str(text, terms) for name, terms in kw.DICTIONARIES.items()}


FILLER_VALUES = {"year": 2020, "pct": "12.34", "pct_small": "3.21", "n": 42}


def test_filler_templates_contain_no_dictionary_term() -> None:
    for tpl, industry, field in itertools.product(
        texts.FILLER_TEMPLATES, [ind[1] for ind in nm.INDUSTRIES], texts.FIELDS
    ):
        sentence = tpl.format(industry=industry, field=field, **FILLER_VALUES)
        assert all_counts(sentence) == {"dt": 0, "ci_data": 0, "ci_eco": 0}, sentence
    for header in (*texts.SECTION_HEADERS, "第三节 管理层讨论与分析"):
        assert all_counts(header) == {"dt": 0, "ci_data": 0, "ci_eco": 0}, header


def _expected(term: str, dictionary: str) -> dict[str, int]:
    exp = {"dt": 0, "ci_data": 0, "ci_eco": 0}
    exp[dictionary] = 1
    if term == kw.OVERLAP_TERM:
        exp["dt"] = 1
    return exp


def test_positive_templates_yield_exactly_one_mention_and_no_cue() -> None:
    for dictionary, terms in kw.DICTIONARIES.items():
        for tpl in texts.POSITIVE_TEMPLATES[dictionary]:
            prefix = tpl.split("{kw}")[0]
            assert not any(c in prefix for c in kw.NEGATION_CUES), tpl
            for term in terms:
                sentence = tpl.format(kw=term)
                assert all_counts(sentence) == _expected(term, dictionary), sentence


def test_list_template_yields_two_dt_mentions() -> None:
    plain = [t for t in kw.DT_TERMS if not any(c in t for c in kw.NEGATION_CUES)]
    for t1, t2 in itertools.product(plain, plain):
        sentence = texts.LIST_TEMPLATE.format(kw1=t1, kw2=t2)
        assert all_counts(sentence) == {"dt": 2, "ci_data": 0, "ci_eco": 0}, sentence


def test_negated_templates_put_a_cue_before_the_mention() -> None:
    for tpl in texts.NEGATED_TEMPLATES:
        prefix = tpl.split("{kw}")[0]
        assert any(c in prefix[-5:] for c in kw.NEGATION_CUES), tpl  # within a 5-character window
        for dictionary, terms in kw.DICTIONARIES.items():
            for term in terms:
                assert all_counts(tpl.format(kw=term)) == _expected(term, dictionary)


def test_dictionaries_have_documented_sizes_and_one_cross_overlap() -> None:
    assert len(kw.DT_TERMS) == 76 and len(set(kw.DT_TERMS)) == 76
    assert [len(t) for _, t in kw.DT_GROUPS] == [15, 9, 13, 5, 34]
    crossings = [(a, b) for a in kw.CI_DATA_TERMS + kw.CI_ECO_TERMS for b in kw.DT_TERMS if b in a]
    assert crossings == [(kw.OVERLAP_TERM, kw.OVERLAP_DT_TERM)]


def test_render_mdna_is_deterministic() -> None:
    counts = {k: 2 for k in ("n_dt_pos_ai", "n_dt_pos_bigdata", "n_dt_pos_cloud", "n_dt_pos_blockchain",
                              "n_dt_pos_application", "n_data_pos", "n_eco_pos", "n_dt_neg_plain", "n_data_neg",
                              "n_eco_neg")}
    counts.update(n_data_pos_overlap=1, n_data_neg_overlap=1)
    a = texts.render_mdna(np.random.default_rng(1), counts, 2020, "医药制造业")
    b = texts.render_mdna(np.random.default_rng(1), counts, 2020, "医药制造业")
    assert a == b and 1000 <= len(a) <= 4000
    assert all_counts(a) == {"dt": 10 + 2 + 1, "ci_data": 2 + 2, "ci_eco": 4}


def test_partner_name_pools_are_unambiguous() -> None:
    large = {name for name, _ in nm.LARGE_ENTERPRISES}
    assert len(large) == len(nm.LARGE_ENTERPRISES) >= 150
    assert {c for _, c in nm.LARGE_ENTERPRISES} == {"央企", "中国500强", "行业龙头"}
    assert not any(nm.is_research_partner(name) for name in large)
    assert all(nm.is_research_partner(name) for name in nm.UNIVERSITIES + nm.INSTITUTES)
    ordinary = nm.ordinary_company_names(np.random.default_rng(0), 2000)
    assert len(set(ordinary)) == 2000
    assert not any(o in large or nm.is_research_partner(o) or any(x in o for x in large) for o in ordinary)


COUNTS = {k: 2 for k in ("n_dt_pos_ai", "n_dt_pos_bigdata", "n_dt_pos_cloud", "n_dt_pos_blockchain",
                         "n_dt_pos_application", "n_data_pos", "n_eco_pos", "n_dt_neg_plain", "n_data_neg",
                         "n_eco_neg")} | {"n_data_pos_overlap": 1, "n_data_neg_overlap": 1}


def test_other_report_sections_contain_no_dictionary_term() -> None:
    for part in (*texts.FRONT, *texts.PROFILE, *texts.MATTERS, *texts.ENGLISH):
        text = part.format(firm="华锐电子股份有限公司", industry="零售业", year=2020, n="五", n2="十")
        assert all_counts(text) == {"dt": 0, "ci_data": 0, "ci_eco": 0}, part


@pytest.mark.parametrize(("year", "heading"), [(2013, "第四节 董事会报告"), (2018, "第四节 经营情况讨论与分析"),
                                               (2022, "第三节 管理层讨论与分析")])
def test_report_has_its_eras_heading_and_exact_counts_after_repair(year, heading) -> None:
    from srdi.text.repair import mdna_section, repair

    clean = texts.render_report(np.random.default_rng(0), COUNTS, year, "零售业", "华锐电子股份有限公司")
    assert f"\n{heading}\n" in clean and mdna_section(clean, year).startswith(heading)
    debris = texts.pdf_debris(np.random.default_rng(1), clean, "华锐电子股份有限公司", year, full_width=True)
    assert "年年度报告全文" in debris and "１ / " in debris  # running header, full-width page numbers
    # The repair undoes every kind of debris (up to line breaks after a sentence end, which a wrap can add).
    assert repair(debris, year)[0].replace("\n", "") == repair(clean, year)[0].replace("\n", "")
    expected = {"dt": 10 + 2 + 1, "ci_data": 2 + 2, "ci_eco": 4}
    assert all_counts(repair(debris, year)[0]) == expected


def test_versions_besides_the_full_report() -> None:
    kinds = {}
    for i in range(400):
        for tag in texts.report_versions(np.random.default_rng(i), COUNTS, 2020, "零售业", "某公司"):
            kinds[tag.split("_")[0]] = kinds.get(tag.split("_")[0], 0) + 1
    assert kinds[""] == 400 and 150 < kinds["摘要"] < 250 and 10 < kinds["英文版"] < 60 and 5 < kinds["更正后"] < 35


def test_keyword_adoption_follows_real_timing() -> None:
    def blockchain_share(year: int) -> float:
        hits = 0
        for i in range(300):
            text = texts.render_mdna(np.random.default_rng(i), COUNTS, year, "零售业")
            hits += "区块链" in text
        return hits / 300

    assert blockchain_share(2011) == 0 and blockchain_share(2015) == 0
    assert blockchain_share(2020) > 0.2
    for term, first in texts.ADOPTION.items():
        assert first >= 2011 and any(t == term for t in kw.DT_TERMS + kw.CI_DATA_TERMS + kw.CI_ECO_TERMS), term


def test_realistic_mdna_length() -> None:
    lengths = [len(texts.render_mdna(np.random.default_rng(i), COUNTS, 2020, "零售业", length="realistic"))
               for i in range(5)]
    assert all(14_000 <= n <= 42_000 for n in lengths)
    with pytest.raises(ValueError, match="short"):
        texts.render_mdna(np.random.default_rng(0), COUNTS, 2020, "零售业", length="long")


def test_headings_hold_no_negation_cue() -> None:
    # The repair joins a heading line (no sentence end) to the first sentence below it.
    heads = (*texts.SECTION_HEADERS, texts.FRONT[0], texts.PROFILE[0], texts.MATTERS[0], texts.MATTERS[3],
             *(texts.mdna_heading(y) for y in (2013, 2018, 2022)), "一、管理层讨论与分析")
    assert not [h for h in heads if any(c in h for c in kw.NEGATION_CUES)]
