"""Longest-leftmost matching: hand-worked cases and random strings against a naive reference."""

from __future__ import annotations

import random

import ahocorasick
import pytest

from srdi.text import Dictionary, Group, Matcher, TrieScanner, fold_ascii


def naive(text: str, terms: list[str]) -> list[tuple[int, int, str]]:
    """Reference: at each position try every term, keep the longest, jump past it; else move one char."""
    low = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
    keys = ["".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in t) for t in terms]
    out, i = [], 0
    while i < len(low):
        best = max((k for k in keys if low.startswith(k, i)), key=len, default=None)
        if best is None:
            i += 1
        else:
            out.append((i, i + len(best), terms[keys.index(best)]))
            i += len(best)
    return out


def make_dict(groups: dict[str, list[str]], name: str = "t") -> Dictionary:
    gs = tuple(Group(gid=g, label=g, terms=tuple(ts)) for g, ts in groups.items())
    return Dictionary(path=f"{name}.yaml", name=name, version="0", citation="test", count_prefix=name, groups=gs)


def via_matcher(text: str, terms: list[str]) -> list[tuple[int, int, str]]:
    m = Matcher(make_dict({"g": terms}))
    return [(s, e, m.terms[t]) for s, e, t in m.find(fold_ascii(text))]


def via_scanner(text: str, terms: list[str]) -> list[tuple[int, int, str]]:
    sc = TrieScanner([make_dict({"g": terms})])
    return [(s, e, sc.terms[0][t]) for s, e, t in sc.scan(text)[0]]


BOTH = pytest.mark.parametrize("find", [via_matcher, via_scanner], ids=["ahocorasick", "trie"])


@BOTH
def test_longer_term_wins_and_counts_once(find):
    terms = ["移动互联", "移动互联网", "互联网医疗"]
    # 移动互联网 (0-5) is taken whole; 医疗 is then left without its 互联网, so 互联网医疗 does not count.
    assert find("移动互联网医疗", terms) == [(0, 5, "移动互联网")]
    assert find("移动互联时代", terms) == [(0, 4, "移动互联")]
    assert find("发展互联网医疗与移动互联网", terms) == [(2, 7, "互联网医疗"), (8, 13, "移动互联网")]


@BOTH
def test_leftmost_beats_longer_later(find):
    # At position 0 only 大数据 starts; it is taken, so 数据挖掘 (starting inside it) is not counted.
    assert find("大数据挖掘", ["大数据", "数据挖掘"]) == [(0, 3, "大数据")]


@BOTH
def test_case_insensitive_latin(find):
    text = "Fintech、FINTECH、fintech与b2B、NFC支付"
    assert [t for _, _, t in find(text, ["Fintech", "B2B", "NFC支付"])] == [
        "Fintech", "Fintech", "Fintech", "B2B", "NFC支付",
    ]  # fmt: skip


@BOTH
def test_failure_link_case_that_iter_long_misses(find):
    # pyahocorasick 2.3 iter_long returns [] here (upstream issue #133); the rule says 知识产权 at 2.
    assert find("国家知识产权", ["知识产权", "国家知识产权局"]) == [(2, 6, "知识产权")]
    assert find("zzabcabdzz", ["ab", "abcabd"]) == [(2, 8, "abcabd")]


@pytest.mark.xfail(reason="pyahocorasick iter_long is not leftmost-longest (issues #133/#185)", strict=False)
def test_pyahocorasick_iter_long_is_not_the_rule():
    a = ahocorasick.Automaton()
    for w in ["知识产权", "国家知识产权局"]:
        a.add_word(w, w)
    a.make_automaton()
    assert [(end + 1 - len(w), w) for end, w in a.iter_long("国家知识产权")] == [(2, "知识产权")]


FRAGMENTS = ["移动", "互联", "网", "互联网", "医疗", "工业", "平台", "金融", "科技", "数字", "智能", "无人", "零售",
             "不", "。", "Fin", "TECH", "b", "B", "2", "C", "数据", "大"]  # fmt: skip
TERMS = ["移动互联网", "移动互联", "互联网医疗", "工业互联网", "工业互联网平台", "金融科技", "数字金融", "fintech",
         "B2B", "B2C", "C2C", "无人零售", "大数据", "数据", "网", "互联网金融", "智能医疗"]  # fmt: skip


def test_random_fragment_strings_match_reference():
    rng = random.Random(20250403)
    m, sc = None, None
    for trial in range(400):
        terms = rng.sample(TERMS, rng.randint(1, len(TERMS))) if trial % 4 else TERMS
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 40)))
        expected = naive(text, terms)
        m = Matcher(make_dict({"g": terms}))
        sc = TrieScanner([make_dict({"g": terms})])
        assert [(s, e, m.terms[t]) for s, e, t in m.find(fold_ascii(text))] == expected, (terms, text)
        assert [(s, e, sc.terms[0][t]) for s, e, t in sc.scan(text)[0]] == expected, (terms, text)


def test_random_small_alphabet_dictionaries_match_reference():
    """Terms and texts over 'abc': dense overlaps and failure links, where automaton shortcuts break."""
    rng = random.Random(7)
    for _ in range(500):
        terms = sorted({"".join(rng.choices("abc", k=rng.randint(1, 5))) for _ in range(rng.randint(1, 8))})
        text = "".join(rng.choices("abcd", k=rng.randint(0, 30)))
        expected = naive(text, terms)
        assert via_matcher(text, terms) == expected, (terms, text)
        assert via_scanner(text, terms) == expected, (terms, text)


def test_dictionaries_are_matched_independently():
    dt = make_dict({"app": ["工业互联网", "移动互联网"]}, "dt")
    ci = make_dict({"data": ["工业互联网平台"]}, "ci")
    sc = TrieScanner([dt, ci])
    hits = sc.scan("建设工业互联网平台")
    assert hits == [[(2, 7, 0)], [(2, 9, 0)]]


def test_same_term_in_two_dictionaries():
    a, b = make_dict({"g": ["数据共享"]}, "a"), make_dict({"g": ["数据", "数据共享"]}, "b")
    assert TrieScanner([a, b]).scan("数据共享、数据") == [[(0, 4, 0)], [(0, 4, 1), (5, 7, 0)]]


def test_astral_characters_keep_offsets():
    # An emoji is one character in Python; offsets after it must still be character offsets.
    text = "\U0001f600人工智能"
    assert via_scanner(text, ["人工智能"]) == [(1, 5, "人工智能")]


def test_sparse_transition_table_gives_the_same_hits(monkeypatch):
    """Very large dictionaries use a sorted edge list instead of the dense table; same answers."""
    import srdi.text.scan as scan

    rng = random.Random(11)
    dense = TrieScanner([make_dict({"g": TERMS})])
    monkeypatch.setattr(scan, "_DENSE_LIMIT", 0)
    sparse = TrieScanner([make_dict({"g": TERMS})])
    assert sparse._dense is None and dense._dense is not None
    for _ in range(100):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 60)))
        assert sparse.scan(text) == dense.scan(text)
