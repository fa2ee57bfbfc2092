"""Negation: hand-worked sentences, with the window arithmetic written out in each case."""

from __future__ import annotations

from pathlib import Path

import pytest

from srdi.text import NegationRule, TextCounter, load_dictionary

DICTS = Path(__file__).resolve().parents[1] / "data" / "dictionaries"


@pytest.fixture(scope="module")
def dt() -> TextCounter:
    return TextCounter({"digital": load_dictionary(DICTS / "digital_wu2021.yaml")})


def counts(counter: TextCounter, text: str) -> tuple[int, int]:
    row = counter.count(text)
    return row["dt_total"], row["dt_neg"]


@pytest.mark.parametrize(
    ("text", "total", "neg"),
    [
        # 区块链 starts at 6; window = chars 1-5 = 司尚未开展, holding 尚未 (and 未): negated.
        ("公司尚未开展区块链业务", 0, 1),
        ("区块链", 1, 0),
        ("公司推进区块链业务", 1, 0),
        # 无 is the first character of the keyword itself, not of the text before it.
        ("无人零售", 1, 0),
        # 人工智能 at 4; window 不断推进: 不 lies inside the exclusion 不断.
        ("不断推进人工智能", 1, 0),
        ("无论如何人工智能", 1, 0),
        ("未来布局人工智能", 1, 0),
        ("位于无锡的物联网企业", 1, 0),
        # 人工智能 at 7; window 无人零售和: the 无 belongs to the keyword 无人零售, counted, not a negation.
        ("发展无人零售和人工智能", 2, 0),
        ("没有人工智能业务", 0, 1),
        ("暂无大数据业务", 0, 1),
        ("并未涉及云计算", 0, 1),
        # A comma does not end the sentence; 。 does.
        ("不，人工智能", 0, 1),
        ("公司没有。人工智能", 1, 0),
        ("公司没有；人工智能", 1, 0),
        ("公司没有\n人工智能", 1, 0),
        # 人工智能 at 7; window chars 2-6 = 开展相关的: 没有 is 7 characters back, outside the default window.
        ("没有开展相关的人工智能", 1, 0),
        # 人工智能 at 9; window chars 4-8 = 不加快发展; that 不 is the last character of 不得不 (chars 2-4),
        # an exclusion starting before the window: not a negation.
        ("公司不得不加快发展人工智能", 1, 0),
        # 人工智能 at 7; window chars 2-6 = 尚未来得及: 尚未 partly overlaps the exclusion 未来 (chars 3-4)
        # but is not inside it, so it still negates.
        ("公司尚未来得及人工智能", 0, 1),
        # Each hit has its own window: the first is negated, the second (after 。) is not.
        ("未开展区块链。已开展区块链", 1, 1),
        ("包括但不限于人工智能", 1, 0),
    ],
)
def test_hand_worked_sentences(dt, text, total, neg):
    assert counts(dt, text) == (total, neg)


def test_window_is_configurable():
    d = load_dictionary(DICTS / "digital_wu2021.yaml")
    wide = TextCounter({"digital": d}, NegationRule.from_config({"window": 7}))
    assert counts(wide, "没有开展相关的人工智能") == (0, 1)  # window chars 0-6 now reaches 没有
    off = TextCounter({"digital": d}, NegationRule.from_config({"window": 0}))
    assert counts(off, "公司尚未开展区块链业务") == (1, 0)


def test_words_and_exclusions_are_configurable():
    d = load_dictionary(DICTS / "digital_wu2021.yaml")
    rule = NegationRule.from_config({"words": ["停止"], "exclusions": []})
    c = TextCounter({"digital": d}, rule)
    assert counts(c, "停止人工智能") == (0, 1)
    assert counts(c, "没有人工智能") == (1, 0)
    # Without exclusions 不断 negates, except for keywords: the dictionary's own 无人零售 stays protected.
    c2 = TextCounter({"digital": d}, NegationRule.from_config({"exclusions": []}))
    assert counts(c2, "不断推进人工智能") == (0, 1)
    assert counts(c2, "发展无人零售和人工智能") == (2, 0)


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="unknown negation settings"):
        NegationRule.from_config({"windw": 5})
    with pytest.raises(ValueError, match=">= 0"):
        NegationRule.from_config({"window": -1})
    with pytest.raises(ValueError, match="empty word"):
        NegationRule.from_config({"words": ["不", ""]})


def test_negated_counts_are_per_group(dt):
    row = dt.count("没有人工智能。未使用区块链。暂无大数据。大数据")
    assert (row["dt_ai"], row["dt_neg_ai"]) == (0, 1)
    assert (row["dt_blockchain"], row["dt_neg_blockchain"]) == (0, 1)
    assert (row["dt_bigdata"], row["dt_neg_bigdata"]) == (1, 1)
    assert (row["dt_total"], row["dt_neg"]) == (1, 3)
