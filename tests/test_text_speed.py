"""Issue 14, text stage: hits of a whole buffer are selected, negation-screened and counted with numpy
(TextCounter.count_buffer); every row must equal the per-dictionary pyahocorasick automata counting each report
on its own (an independent implementation of the same rules)."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from test_text_counts import ALL, DICTS
from test_text_matcher import make_dict

from srdi.text import NegationRule, TextCounter, TrieScanner, count_years, load_dictionary, select_longest_leftmost
from srdi.text.scan import code_points


def _reports(rng: random.Random, terms: list[str], n: int) -> list[str]:
    filler = ["公司", "推进", "不断", "没有", "尚未", "无锡", "。", "，", "数据", "平台", "互联网", "智能", "无人",
              "未", "不", "无", "并未", "化", "\U0001f600", "ＡＩ", " ", "；", "缺乏"]
    return ["".join(rng.choice(terms) if rng.random() < 0.35 else rng.choice(filler)
                    for _ in range(rng.randint(0, 120))) for _ in range(n)]


@pytest.mark.parametrize("window", [0, 1, 5, 12])
def test_count_buffer_equals_the_automata_report_by_report(window):
    dicts = {k: load_dictionary(v) for k, v in ALL.items()}
    rule = NegationRule(window=window)
    trie, aho = TextCounter(dicts, rule, backend="trie"), TextCounter(dicts, rule, backend="ahocorasick")
    terms = [t for d in dicts.values() for g in d.groups for t in g.terms]
    rng = random.Random(window)
    for _ in range(20):
        texts = _reports(rng, terms, rng.randint(1, 40))
        assert trie.count_many(texts) == [aho.count(t) for t in texts]


def test_overlapping_candidates_follow_the_leftmost_longest_rule():
    """Terms over 'abc' overlap densely: the candidates that clash with a kept hit go one by one."""
    rng = random.Random(5)
    for _ in range(300):
        terms = sorted({"".join(rng.choices("abc", k=rng.randint(1, 4))) for _ in range(rng.randint(1, 6))})
        other = sorted({"".join(rng.choices("abc", k=rng.randint(1, 4))) for _ in range(rng.randint(1, 6))})
        sc = TrieScanner([make_dict({"g": terms}, "x"), make_dict({"g": other}, "y")])
        docs = ["".join(rng.choices("abcd", k=rng.randint(0, 25))) for _ in range(rng.randint(1, 6))]
        starts = list(np.cumsum([0] + [len(d) + 1 for d in docs[:-1]]))
        hits = sc.hits_many("\n".join(docs) + "\n", starts)
        for i, d in enumerate(docs):
            for di in (0, 1):
                mine = (hits.doc == i) & (hits.dictionary == di)
                got = list(zip((hits.start[mine] - starts[i]).tolist(), hits.term[mine].tolist(), strict=True))
                want = [(s, t) for s, _e, t in sc.scan(d)[di]]
                occ = [(s, e, t) for s, e, dj, t in sc.occurrences(d) if dj == di]
                assert got == want == [(s, t) for s, _e, t in select_longest_leftmost(occ)], (terms, other, d)


def test_may_negate_is_the_regex_window_test():
    rule = NegationRule()
    trigger = re.compile("[" + "".join(sorted({w[0] for w in rule.words})) + "]")
    rng = random.Random(9)
    text = "".join(rng.choice("不无未没尚暂并从毫缺公司数据。\n") for _ in range(2_000))
    starts = np.arange(len(text))
    lo = np.minimum(starts, np.array([rng.randint(0, 2_000) for _ in starts]))
    got = rule.may_negate(code_points(text), starts, lo)
    want = [bool(trigger.search(text, max(int(a), int(s) - rule.window), int(s))) for s, a in zip(starts, lo,
                                                                                                  strict=True)]
    assert got.tolist() == want


def test_a_job_parses_only_its_years_files_but_reports_every_bad_name(tmp_path):
    d = tmp_path / "mdna"
    d.mkdir()
    (d / "000001_2020.txt").write_text("人工智能", encoding="utf-8")
    (d / "000001_2021.txt").write_text("大数据", encoding="utf-8")
    (d / "000001_2021_摘要.txt").write_text("大数据", encoding="utf-8")
    (d / "notes.txt").write_text("人工智能", encoding="utf-8")
    df = count_years(d, [2020], {"digital": str(DICTS / "digital_wu2021.yaml")}, tmp_path / "s.parquet")
    report = df.attrs["text_report"]
    assert df["year"].tolist() == [2020]
    assert report["skipped_names"] == ["notes.txt"] and report["versions_dropped"] == {}
