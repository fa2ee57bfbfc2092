"""The vectorised repair (srdi.text.repair) equals a plain line-by-line reading of its documented rules.

The reference below is written for clarity, not speed: split into lines, drop page-number / running-header /
"annual report" lines, fold full-width alphanumerics, strip spaces at line edges, keep a line break only after a
sentence end. It has its own copies of the line patterns, so a change of the fast path's candidate filters that
loses a line shows here. Inputs: the text fixtures, demo reports with PDF debris, and random debris-heavy texts.
"""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import numpy as np
import pytest

from srdi.text.decode import read_report
from srdi.text.repair import mdna_section, repair, repair_many

REPORTS = Path(__file__).parent / "fixtures" / "text" / "reports"

_S = r"[ \t\u3000]"
_D = r"\d"
PAGE = re.compile(rf"{_S}*(?:{_D}{{1,4}}{_S}*[/／]{_S}*{_D}{{1,4}}|[-－]{_S}*{_D}{{1,4}}{_S}*[-－]"
                  rf"|第{_S}*{_D}{{1,4}}{_S}*页(?:{_S}*[,，]?{_S}*共{_S}*{_D}{{1,4}}{_S}*页)?){_S}*")
HEADER = re.compile(rf"[^\n]{{0,40}}?{_D}{{4}}{_S}*年{_S}*(?:年度|半年度)?报告(?:全文|摘要)?{_S}*")
ANNUAL = re.compile(rf"[^\n]{{0,40}}?annual{_S}+report{_S}*{_D}{{0,4}}{_S}*", re.IGNORECASE)
ENDS = "。！？；：!?;:"
FOLD = {c: c - 0xFEE0 for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(lo, hi + 1)}


def dropped(line: str) -> bool:
    return bool(PAGE.fullmatch(line)
                or (len(line) <= 50 and "年度报告" in line and HEADER.fullmatch(line))
                or (("nnual" in line or "NNUAL" in line) and ANNUAL.fullmatch(line)))


def reference(text: str, year: int, scope: str = "report") -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if scope == "mdna":
        text = mdna_section(text, year) or text
    text = "".join(c if ord(c) < 0x10000 else "\uffff" for c in text)  # astral characters: U+FFFF
    kept = [x.translate(FOLD).strip(" \t\u3000") for x in text.split("\n") if not dropped(x)]
    out = kept[0] if kept else ""
    for prev, line in itertools.pairwise(kept):  # a break stays only after a sentence end
        out += ("\n" if prev.endswith(tuple(ENDS)) else "") + line
    return out[:-1] if out.endswith("\n") else out


PIECES = ["公司推进区块", "链应用", "。", "；", "：", "!", "云计算", "Ｂ２Ｂ", "ａｎｎｕａｌ", "２０１９", "１２３４５",
          " ", "  ", "\u3000", "\u3000\u3000", "\t", "不", "年度报告", "2019年年度报告", "半年度报告", "5", "／", "/",
          "-", "－", "第", "页", "共", ",", "，", "😀", "\r", "\x00", "Annual", "ANNUAL", "report", "Report", "报告"]
LINES = ["某某股份有限公司 ２０１９ 年年度报告全文", "某某股份有限公司2019年年度报告", "  ABC 2020 年 半年度报告摘要 ",
         "１２ ／ １８０", "3/9", " 第 3 页 共 9 页 ", "第12页，共80页", "- 4 -", "－１２－", "Annual Report 2019",
         "ANNUAL REPORT", "xx annual  report 20", "12 / 180 元", "本公司2019年年度报告内容真实。", "", " ", "\u3000"]


def random_text(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(0, 30)):
        if rng.random() < 0.3:
            lines.append(rng.choice(LINES))
        else:
            lines.append("".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8))))
    return "\n".join(lines) + rng.choice(["", "\n", "\n\n", " \n"])


def fixture_texts() -> list[tuple[str, int]]:
    out = []
    for p in sorted(REPORTS.glob("*.txt")):
        dec = read_report(p)
        assert dec is not None
        out.append((dec.text, int(p.name[7:11])))
    return out


def demo_texts() -> list[tuple[str, int]]:
    from srdi.demo.texts import report_versions

    rng = np.random.default_rng(11)
    counts = {k: 2 for k in ("n_dt_pos_ai", "n_dt_pos_bigdata", "n_dt_pos_cloud", "n_dt_pos_blockchain",
                             "n_dt_pos_application", "n_data_pos", "n_eco_pos", "n_dt_neg_plain", "n_data_neg",
                             "n_eco_neg")}
    counts |= {"n_data_pos_overlap": 1, "n_data_neg_overlap": 1}
    out = []
    for year in (2013, 2017, 2022):
        for _ in range(4):
            for text in report_versions(rng, counts, year, "制造业", "某某科技股份有限公司").values():
                out.append((text, year))
    return out


@pytest.mark.parametrize("scope", ["report", "mdna"])
def test_repair_equals_reference_on_fixtures_and_demo_reports(scope):
    cases = fixture_texts() + demo_texts()
    assert any("\uff12" in t for t, _ in cases)  # full-width debris is exercised
    for text, year in cases:
        assert repair(text, year, scope)[0] == reference(text, year, scope)
    buf, starts, lengths, _ = repair_many([t for t, _ in cases], [y for _, y in cases], scope)
    assert [buf[a:a + n] for a, n in zip(starts, lengths, strict=True)] == [reference(t, y, scope) for t, y in cases]


def test_repair_equals_reference_on_random_debris():
    rng = random.Random(20250403)
    texts = [random_text(rng) for _ in range(400)]
    for text in texts:
        assert repair(text, 2019)[0] == reference(text, 2019), repr(text)
    for lo in range(0, len(texts), 37):  # batches: reports stay apart whatever their edges hold
        batch = texts[lo:lo + 37]
        buf, starts, lengths, _ = repair_many(batch, [2019] * len(batch))
        assert [buf[a:a + n] for a, n in zip(starts, lengths, strict=True)] == [reference(t, 2019) for t in batch]
