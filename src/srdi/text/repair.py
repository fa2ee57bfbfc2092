"""Undo PDF-extraction debris before matching, and cut out the MD&A section when asked.

Annual-report texts come from PDFs (cninfo): lines are wrapped at the page width, so a keyword can be split
across a line break (区块\\n链); every page carries a running header (XX股份有限公司2019年年度报告全文) and a
page number (12 / 180, 第 12 页 共 180 页), which can fall in the middle of a sentence; digits and Latin
letters are often full-width (Ｂ２Ｂ, ２０１９). Counting on such text misses mentions. The repair, in order:
1. (scope mdna) the lines from the MD&A heading of the report's era to the next section heading are kept;
2. lines are dropped that are a page number (12 / 180, 第 12 页 共 180 页, - 12 -), a running header (at most 50
   characters holding 年度报告 and of the form <name><year>年年度报告[全文|摘要], e.g. XX股份有限公司2019年年度报告全文)
   or an English running header (holding "nnual" or "NNUAL", of the form <name> annual report [year]);
3. full-width digits and Latin letters (０-９, Ａ-Ｚ, ａ-ｚ) become ASCII (full-width punctuation is left alone:
   no keyword holds punctuation);
4. spaces ( , tab, U+3000) at the start and end of lines are dropped, and every line break not preceded by a
   sentence end (。！？；：!?;:) is removed, which re-joins wrapped lines; the repaired report has no line break
   at its start or end. Characters outside the Basic Multilingual Plane become U+FFFF (no keyword holds one).
tests/test_text_repair_reference.py states these rules line by line and checks this module against them.

Why the code is shaped like this: the rules are per line, but a Python loop over lines, or a regular expression
tried at every line start, costs 10-40 ms per MB, more than the keyword scan. So a batch of reports is joined
into one buffer and handled as a numpy array of code points: the line breaks are found once; the spaces at each
line's edges are walked with a few vectorised steps (runs are short); a line is tested against the exact
patterns of step 2 only when a cheap filter lets it through (its first and last non-space characters for page
numbers, a literal search for 年度报告 / nnual for headers): about one line per page. The repaired code points go
to the scanner directly, so the text is not encoded a second time.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

import numpy as np

Scope = Literal["report", "mdna"]
SCOPES: tuple[str, ...] = ("report", "mdna")

_NL, _NUL = 0x0A, 0x00
_SPACES = " \t\u3000"
_ENDS = "。！？；：!?;:"
_D = r"\d"  # \d also matches full-width digits, so page lines are found before folding
_S = r"[ \t\u3000]"
_PAGE_LINE = re.compile(rf"{_S}*(?:{_D}{{1,4}}{_S}*[/／]{_S}*{_D}{{1,4}}|[-－]{_S}*{_D}{{1,4}}{_S}*[-－]"
                        rf"|第{_S}*{_D}{{1,4}}{_S}*页(?:{_S}*[,，]?{_S}*共{_S}*{_D}{{1,4}}{_S}*页)?){_S}*")
HEADER_MAX = 50  # characters: a longer line holding 年度报告 is prose, not a running header
_HEADER_WORD = re.compile("年度报告")
_HEADER_LINE = re.compile(rf"[^\n]{{0,40}}?{_D}{{4}}{_S}*年{_S}*(?:年度|半年度)?报告(?:全文|摘要)?{_S}*")
_ANNUAL_WORDS = ("nnual", "NNUAL")
_ANNUAL_LINE = re.compile(rf"[^\n]{{0,40}}?annual{_S}+report{_S}*{_D}{{0,4}}{_S}*", re.IGNORECASE)
# Section headings: 第三节 管理层讨论与分析 (2021-), 第四节 经营情况讨论与分析 (2016-2020), 第四节 董事会报告 (-2015).
_SECTION = re.compile(r"\n[ \t\u3000]*第[一二三四五六七八九十\d]{1,3}节[ \t\u3000]*([^\n]*)")
MDNA_HEADINGS: tuple[str, ...] = ("管理层讨论与分析", "经营情况讨论与分析", "董事会报告")
_TOC = re.compile(r"[.．…·]{3,}|[ \t]\d{1,4}[ \t]*$")


def _table(chars: str = "", ranges: tuple[tuple[int, int], ...] = ()) -> np.ndarray:
    """A 65,536-entry bool table of the characters (and inclusive code-point ranges) given."""
    t = np.zeros(0x10000, dtype=bool)
    t[[ord(c) for c in chars]] = True
    for lo, hi in ranges:
        t[lo:hi + 1] = True
    return t


_IS_SPACE = _table(_SPACES)
_IS_END = _table(_ENDS)
_WIDE_LO, _WIDE_HI = 0xFF10, 0xFF5A
_IS_WIDE = _table(ranges=((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)))  # ０-９ Ａ-Ｚ ａ-ｚ
# Candidate filters of page-number lines: every one starts with a digit, - or 第 and ends with a digit, - or 页
# (after spaces). \d is any Unicode decimal digit; U+FFFF stands for characters beyond the BMP, some of them digits.
_DIGIT = np.array([chr(c).isdecimal() for c in range(0x10000)], dtype=bool)
_PAGE_FIRST = _DIGIT | _table("-－第\uffff")
_PAGE_LAST = _DIGIT | _table("-－页\uffff")
def era_headings(year: int) -> tuple[str, ...]:
    """The MD&A headings to look for, the report era's own first: 董事会报告 until 2015, 经营情况讨论与分析
    2016-2020, 管理层讨论与分析 since 2021 (CSRC disclosure format No. 2, revisions 2016 and 2021)."""
    first = "董事会报告" if year <= 2015 else "经营情况讨论与分析" if year <= 2020 else "管理层讨论与分析"
    return (first, *(h for h in MDNA_HEADINGS if h != first))


def mdna_section(text: str, year: int) -> str | None:
    """The MD&A section (heading line to the next section heading) or None when no heading of any era is
    found. A table-of-contents entry (dot leaders or a trailing page number) is not a heading."""
    text = "\n" + text
    heads = [(m.start(), m.group(1)) for m in _SECTION.finditer(text)]
    for name in era_headings(year):
        for pos, (start, title) in enumerate(heads):
            if name in title and not _TOC.search(title):
                end = heads[pos + 1][0] if pos + 1 < len(heads) else len(text)
                return text[start + 1:end]
    return None


def _code_points(text: str) -> np.ndarray:
    """uint16 code points, one per character (characters beyond the BMP become U+FFFF)."""
    buf = text.encode("utf-16-le")
    if len(buf) == 2 * len(text):
        return np.frombuffer(buf, dtype=np.uint16)
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return np.minimum(cp, 0xFFFF).astype(np.uint16)


def _space_run(cp: np.ndarray, pos: np.ndarray, step: int) -> np.ndarray:
    """Length of the run of spaces starting at each of `pos` and going in direction `step` (a few vectorised
    steps: runs are short, and the arrays shrink to the positions still in a run)."""
    run = np.zeros(pos.size, dtype=np.int64)
    active = np.flatnonzero(np.take(_IS_SPACE, np.take(cp, pos)))
    p = pos[active]
    while active.size:
        run[active] += 1
        p = p + step
        more = np.take(_IS_SPACE, np.take(cp, p))
        active, p = active[more], p[more]
    return run


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """All positions of the ranges [start, start + length)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total)


def _dropped_lines(buf: str, cp: np.ndarray, nl: np.ndarray, end: np.ndarray, lead: np.ndarray,
                   trail: np.ndarray) -> np.ndarray:
    """Which lines (line k: buf[nl[k] + 1:end[k]]) are page numbers or running headers (rule 2)."""
    drop = np.zeros(nl.size, dtype=bool)
    first = np.take(cp, nl + 1 + lead)  # the line's first non-space character (a line break if none)
    last = np.take(cp, end - 1 - trail)
    cand = np.flatnonzero(np.take(_PAGE_FIRST, first) & np.take(_PAGE_LAST, last))
    for k, a, b in zip(cand.tolist(), (nl[cand] + 1).tolist(), end[cand].tolist(), strict=True):
        drop[k] = _PAGE_LINE.fullmatch(buf, a, b) is not None
    hits = [m.start() for m in _HEADER_WORD.finditer(buf)]
    for word in _ANNUAL_WORDS:
        i = buf.find(word)
        while i >= 0:
            hits.append(i)
            i = buf.find(word, i + 1)
    if hits:
        lines = np.unique(np.searchsorted(nl, np.array(hits), side="right") - 1)
        lines = lines[~drop[lines]]
        seen: dict[str, bool] = {}  # a report repeats its running header on every page
        for k, a, b in zip(lines.tolist(), (nl[lines] + 1).tolist(), end[lines].tolist(), strict=True):
            line = buf[a:b]
            verdict = seen.get(line)
            if verdict is None:
                verdict = seen[line] = _is_header(line)
            drop[k] = verdict
    return drop


def _is_header(line: str) -> bool:
    """A running header of rule 2 (Chinese or English)."""
    return bool((len(line) <= HEADER_MAX and "年度报告" in line and _HEADER_LINE.fullmatch(line))
                or (any(w in line for w in _ANNUAL_WORDS) and _ANNUAL_LINE.fullmatch(line)))


class Repaired(NamedTuple):
    """A batch of repaired reports: report i is text[starts[i]:starts[i] + lengths[i]]; `code_points` are the
    text's (for the scanner); found[i]: the MD&A heading was found (always True for scope report)."""

    text: str
    code_points: np.ndarray
    starts: list[int]
    lengths: list[int]
    found: list[bool]


def repair_batch(texts: list[str], years: list[int], scope: Scope = "report") -> Repaired:
    """Repair a batch of reports at once (rules 1-4 of the module doc). Reports are separated by a line break
    in the result, which no keyword holds. With scope mdna and no heading in a report, the whole report is kept
    and found is False (the caller reports the file), since an export may already hold only the MD&A."""
    if scope not in SCOPES:
        raise ValueError(f"text scope must be one of {list(SCOPES)}, got {scope!r}")
    found = [True] * len(texts)
    if not texts:
        return Repaired("", np.zeros(0, dtype=np.uint16), [], [], [])
    parts: list[str] = []
    for i, (text, year) in enumerate(zip(texts, years, strict=True)):
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\x00" in text:
            text = text.replace("\x00", "")
        if scope == "mdna":
            section = mdna_section(text, year)
            found[i] = section is not None
            text = section if section is not None else text
        parts.append(text)
    # Every report between line breaks, reports apart by a NUL line: line k runs from nl[k] to end[k].
    buf = "\n".join(["\x00", *(x for part in parts for x in (part, "\x00"))])
    cp = _code_points(buf)
    nl = np.flatnonzero(cp == _NL)
    end = np.append(nl[1:], cp.size)
    lead = _space_run(cp, nl + 1, 1)
    trail = _space_run(cp, end - 1, -1)
    drop_line = _dropped_lines(buf, cp, nl, end, lead, trail)
    kept = np.flatnonzero(~drop_line)
    # A kept line's break stays only after a sentence end: the last non-space character of the kept line before
    # it (a break, if that line is blank; the NUL at the buffer's start for the first).
    last = np.take(cp, end - 1 - trail)
    before = np.empty(kept.size, dtype=np.uint16)
    before[0] = _NUL
    before[1:] = last[kept[:-1]]
    keep = np.ones(cp.size, dtype=bool)
    keep[nl[kept[~np.take(_IS_END, before)]]] = False
    gone = np.flatnonzero(drop_line)
    keep[_ranges(nl[gone], end[gone] - nl[gone])] = False
    keep[_ranges(nl[kept] + 1, lead[kept])] = False
    keep[_ranges(end[kept] - trail[kept], trail[kept])] = False
    out = cp[keep]
    wide = np.flatnonzero((out - np.uint16(_WIDE_LO)) <= _WIDE_HI - _WIDE_LO)  # ０ to ｚ (some punctuation too)
    wide = wide[np.take(_IS_WIDE, out[wide])]
    out[wide] -= 0xFEE0
    nul = np.flatnonzero(out == _NUL)
    starts, ends = nul[:-1] + 1, nul[1:]
    ends = ends - ((ends > starts) & (np.take(out, ends - 1) == _NL))  # a break kept before the next NUL
    out[nul] = _NL
    text = out.tobytes().decode("utf-16-le", errors="surrogatepass")
    return Repaired(text, out, starts.tolist(), (ends - starts).tolist(), found)


def repair_many(texts: list[str], years: list[int], scope: Scope = "report") -> tuple[str, list[int], list[int],
                                                                                      list[bool]]:
    """repair_batch without the code points: (buffer, starts, lengths, heading found)."""
    r = repair_batch(texts, years, scope)
    return r.text, r.starts, r.lengths, r.found


def repair(text: str, year: int, scope: Scope = "report") -> tuple[str, bool]:
    """One report repaired (see repair_many): the text to count and whether the MD&A heading was found."""
    out, starts, lengths, found = repair_many([text], [year], scope)
    return out[starts[0]:starts[0] + lengths[0]], found[0]
