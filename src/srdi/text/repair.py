"""Undo PDF-extraction debris before matching, and cut out the MD&A section when asked.

Annual-report texts come from PDFs (cninfo): lines are wrapped at the page width, so a keyword can be split
across a line break (区块\\n链); every page carries a running header (XX股份有限公司2019年年度报告全文) and a
page number (12 / 180, 第 12 页 共 180 页), which can fall in the middle of a sentence; digits and Latin
letters are often full-width (Ｂ２Ｂ, ２０１９). Counting on such text misses mentions. The repair, in order:
1. full-width ASCII forms (U+FF01-U+FF5E) and the ideographic space -> their ASCII forms;
2. page headers and footers (lines matching PAGE_LINE) are dropped;
3. (scope mdna) the lines from the MD&A heading of the report's era to the next section heading are kept;
4. a line break not preceded by a sentence end (。！？；：!?;:) is removed (the wrapped line is re-joined).
It runs line by line in one Python pass (a few ms per MB), so the text stage keeps its speed.
"""

from __future__ import annotations

import re
from typing import Literal

Scope = Literal["report", "mdna"]
SCOPES: tuple[str, ...] = ("report", "mdna")

_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]+")
_FW_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Page numbers on a line of their own (after full-width folding): 12 / 180, 第 12 页 共 180 页, - 12 -.
_PAGE_NUMBER = re.compile(r"\n[ \t]*(?:\d{1,4}[ \t]*/[ \t]*\d{1,4}|-[ \t]*\d{1,4}[ \t]*-"
                          r"|第[ \t]*\d{1,4}[ \t]*页(?:[ \t]*[,，]?[ \t]*共[ \t]*\d{1,4}[ \t]*页)?)[ \t]*(?=\n)")
# Running headers: a short line ending in 年度报告 / 年度报告全文 / 年度报告摘要 / Annual Report 2019.
_HEADER_WORD = re.compile(r"年度报告|annual report", re.IGNORECASE)
_HEADER_TAIL = re.compile(r"(?:全文|摘要)?[ \t]*(?:\d{4}[ \t]*)?(?=\n)", re.IGNORECASE)
HEADER_MAX = 50  # characters: longer lines holding 年度报告 are prose, not a running header
_SENTENCE_END = "。！？；：!?;:"
_KEEP = "\x00"  # marks a line break that ends a sentence while the others are removed
_SPACE_AFTER = re.compile(r"\n[ \t]+")
_SPACE_BEFORE = re.compile(r"[ \t]+\n")
# Section headings: 第三节 管理层讨论与分析 (2021-), 第四节 经营情况讨论与分析 (2016-2020), 第四节 董事会报告 (-2015).
_SECTION = re.compile(r"\n[ \t]*第[一二三四五六七八九十\d]{1,3}节[ \t]*([^\n]*)")
MDNA_HEADINGS: tuple[str, ...] = ("管理层讨论与分析", "经营情况讨论与分析", "董事会报告")
_TOC = re.compile(r"[.．…·]{3,}|[ \t]\d{1,4}[ \t]*$")


def era_headings(year: int) -> tuple[str, ...]:
    """The MD&A headings to look for, the report era's own first: 董事会报告 until 2015, 经营情况讨论与分析
    2016-2020, 管理层讨论与分析 since 2021 (CSRC disclosure format No. 2, revisions 2016 and 2021)."""
    first = "董事会报告" if year <= 2015 else "经营情况讨论与分析" if year <= 2020 else "管理层讨论与分析"
    return (first, *(h for h in MDNA_HEADINGS if h != first))


def fold_full_width(text: str) -> str:
    """Ａ-Ｚ, ０-９, full-width punctuation and the ideographic space -> ASCII; everything else unchanged."""
    return _FULL_WIDTH.sub(lambda m: m.group().translate(_FW_TABLE), text)


def drop_page_lines(text: str) -> str:
    """Remove page-number lines and running-header lines (text must start and end with a line break)."""
    text = _PAGE_NUMBER.sub("", text)
    cuts: list[tuple[int, int]] = []
    for m in _HEADER_WORD.finditer(text):
        start = text.rfind("\n", 0, m.start())
        tail = _HEADER_TAIL.match(text, m.end())
        if tail is not None and m.end() - start <= HEADER_MAX and (not cuts or start >= cuts[-1][1]):
            cuts.append((start, tail.end()))
    if not cuts:
        return text
    parts, pos = [], 0
    for a, b in cuts:
        parts.append(text[pos:a])
        pos = b
    parts.append(text[pos:])
    return "".join(parts)


def mdna_section(text: str, year: int) -> str | None:
    """The MD&A section (heading line to the next section heading) or None when no heading of any era is
    found. A table-of-contents entry (dot leaders or a trailing page number) is not a heading."""
    heads = [(m.start(), m.group(1)) for m in _SECTION.finditer(text)]
    for name in era_headings(year):
        for pos, (start, title) in enumerate(heads):
            if name in title and not _TOC.search(title):
                end = heads[pos + 1][0] if pos + 1 < len(heads) else len(text)
                return text[start:end] + "\n"
    return None


def join_wrapped_lines(text: str) -> str:
    """Remove every line break that does not follow a sentence end (re-joins PDF-wrapped lines)."""
    text = _SPACE_BEFORE.sub("\n", _SPACE_AFTER.sub("\n", text))
    for end in _SENTENCE_END:
        text = text.replace(end + "\n", end + _KEEP)
    return text.replace("\n", "").replace(_KEEP, "\n")


def repair(text: str, year: int, scope: Scope = "report") -> tuple[str, bool]:
    """The repaired text to count, and whether the MD&A heading was found (always True for scope report).

    With scope mdna and no heading, the whole repaired text is returned and found is False (the caller
    counts it and reports the file), since an export may already hold only the MD&A."""
    if scope not in SCOPES:
        raise ValueError(f"text scope must be one of {list(SCOPES)}, got {scope!r}")
    text = "\n" + fold_full_width(text.replace("\r\n", "\n").replace("\r", "\n").replace(_KEEP, "")) + "\n"
    text = drop_page_lines(text)
    found = True
    if scope == "mdna":
        section = mdna_section(text, year)
        found = section is not None
        if section is not None:
            text = section
    return join_wrapped_lines(text).strip("\n"), found
