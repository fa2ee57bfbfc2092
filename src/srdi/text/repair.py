"""Undo PDF-extraction debris before matching, and cut out the MD&A section when asked.

Annual-report texts come from PDFs (cninfo): lines are wrapped at the page width, so a keyword can be split
across a line break (区块\\n链); every page carries a running header (XX股份有限公司2019年年度报告全文) and a
page number (12 / 180, 第 12 页 共 180 页), which can fall in the middle of a sentence; digits and Latin
letters are often full-width (Ｂ２Ｂ, ２０１９). Counting on such text misses mentions. The repair, in order:
1. (scope mdna) the lines from the MD&A heading of the report's era to the next section heading are kept;
2. page-number lines (12 / 180, 第 12 页 共 180 页, - 12 -) and running-header lines (a line of at most 50
   characters holding <year>年年度报告, e.g. XX股份有限公司2019年年度报告全文) are dropped;
3. full-width digits and Latin letters (０-９, Ａ-Ｚ, ａ-ｚ) become ASCII (full-width punctuation is left alone:
   no keyword holds punctuation);
4. spaces at the start and end of lines are dropped, and every line break not preceded by a sentence end
   (。！？；：!?;:) is removed, which re-joins wrapped lines.
Steps 3-4 run on the code points of all reports of a batch at once with numpy (repair_many), so repairing
costs a few ms per MB and the text stage keeps its speed.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np

Scope = Literal["report", "mdna"]
SCOPES: tuple[str, ...] = ("report", "mdna")

_FW_LO = (0xFF10, 0xFF21, 0xFF41)  # ０ Ａ ａ
_FW_HI = (0xFF19, 0xFF3A, 0xFF5A)  # ９ Ｚ ｚ
_TERMINATORS = np.array([ord(c) for c in "。！？；：!?;:"], dtype=np.uint16)
_NL, _NUL = 0x0A, 0x00
_D = r"[\d]"  # \d also matches full-width digits, so page lines are found before folding
_S = r"[ \t\u3000]"
_PAGE_NUMBER = re.compile(rf"\n{_S}*(?:{_D}{{1,4}}{_S}*[/／]{_S}*{_D}{{1,4}}|[-－]{_S}*{_D}{{1,4}}{_S}*[-－]"
                          rf"|第{_S}*{_D}{{1,4}}{_S}*页(?:{_S}*[,，]?{_S}*共{_S}*{_D}{{1,4}}{_S}*页)?){_S}*(?=\n)")
HEADER_MAX = 50  # characters: a longer line holding 年度报告 is prose, not a running header
_HEADER_WORD = re.compile("年度报告")
_HEADER_LINE = re.compile(rf"[^\n]{{0,40}}?{_D}{{4}}{_S}*年{_S}*(?:年度|半年度)?报告(?:全文|摘要)?{_S}*")
_ANNUAL_LINE = re.compile(rf"\n[^\n]{{0,40}}?annual{_S}+report{_S}*{_D}{{0,4}}{_S}*(?=\n)", re.IGNORECASE)
# Section headings: 第三节 管理层讨论与分析 (2021-), 第四节 经营情况讨论与分析 (2016-2020), 第四节 董事会报告 (-2015).
_SECTION = re.compile(r"\n[ \t\u3000]*第[一二三四五六七八九十\d]{1,3}节[ \t\u3000]*([^\n]*)")
MDNA_HEADINGS: tuple[str, ...] = ("管理层讨论与分析", "经营情况讨论与分析", "董事会报告")
_TOC = re.compile(r"[.．…·]{3,}|[ \t]\d{1,4}[ \t]*$")


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


def _drop_lines(buf: str) -> str:
    """Remove page-number and running-header lines (each matched with its leading line break)."""
    buf = _PAGE_NUMBER.sub("", buf)
    cuts: list[tuple[int, int]] = []
    for m in _HEADER_WORD.finditer(buf):  # a literal search: fast; running headers are one per page
        start = buf.rfind("\n", 0, m.start())
        end = buf.find("\n", m.end())
        if start >= 0 and end - start <= HEADER_MAX + 1 and (not cuts or start >= cuts[-1][1]) \
                and _HEADER_LINE.fullmatch(buf, start + 1, end):
            cuts.append((start, end))
    if cuts:
        parts, pos = [], 0
        for a, b in cuts:
            parts.append(buf[pos:a])
            pos = b
        buf = "".join(parts) + buf[pos:]
    if "nnual" in buf or "NNUAL" in buf:
        buf = _ANNUAL_LINE.sub("", buf)
    return buf


def _code_points(text: str) -> np.ndarray:
    """Writable uint16 code points (astral characters, which no keyword holds, become U+FFFF)."""
    buf = text.encode("utf-16-le")
    if len(buf) == 2 * len(text):
        return np.frombuffer(buf, dtype=np.uint16).copy()
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return np.minimum(cp, 0xFFFF).astype(np.uint16)


# Character classes of the repair, looked up once per character; every later step works on the few
# characters of a class (about 5% of a report), never on the whole buffer again.
_OTHER, _SPACE, _BREAK, _BOUNDARY, _END, _WIDE = range(6)
_CLASS = np.zeros(0x10000, dtype=np.uint8)
_CLASS[[0x20, 0x09, 0x3000]] = _SPACE
_CLASS[_NL] = _BREAK
_CLASS[_NUL] = _BOUNDARY
_CLASS[_TERMINATORS] = _END
for _lo, _hi in zip(_FW_LO, _FW_HI, strict=True):
    _CLASS[_lo:_hi + 1] = _WIDE


def _repair_code_points(cp: np.ndarray) -> np.ndarray:
    """Fold full-width alphanumerics, drop spaces at line edges and line breaks inside sentences. NULs mark
    document boundaries and survive; line breaks next to one are dropped."""
    cls = np.take(_CLASS, cp)
    idx = np.flatnonzero(cls)
    kind = cls[idx]
    wide = idx[kind == _WIDE]
    if wide.size:
        cp[wide] -= 0xFEE0
        cls[wide] = _OTHER
    drop = np.zeros(cp.size, dtype=bool)
    sp = idx[kind == _SPACE]
    if sp.size:  # runs of spaces touching a line break or a boundary are dropped whole
        new_run = np.r_[True, np.diff(sp) > 1]
        first, last = sp[new_run], sp[np.r_[new_run[1:], True]]
        before = cls[np.maximum(first - 1, 0)]
        after = cls[np.minimum(last + 1, cp.size - 1)]
        at_edge = (before == _BREAK) | (before == _BOUNDARY) | (after == _BREAK) | (after == _BOUNDARY) | (first == 0)
        drop[sp[at_edge[np.cumsum(new_run) - 1]]] = True
    nl = idx[kind == _BREAK]
    if nl.size:
        # the kept character before each break: skip a dropped run of trailing spaces
        prev = nl - 1
        spaced = drop[np.maximum(prev, 0)] & (prev >= 0)
        if spaced.any():
            runs_first = sp[np.r_[True, np.diff(sp) > 1]]
            prev[spaced] = runs_first[np.searchsorted(runs_first, prev[spaced], side="right") - 1] - 1
        before = cls[np.maximum(prev, 0)]
        drop[nl[before != _END]] = True
    out = cp[~drop]
    # a kept break next to a boundary (a report's last sentence, a blank line at its end) goes too
    near = np.flatnonzero(out == _NUL)
    edge = np.concatenate([near - 1, near + 1])
    edge = edge[(edge >= 0) & (edge < out.size)]
    edge = edge[out[edge] == _NL]
    return np.delete(out, edge) if edge.size else out


def repair_many(texts: list[str], years: list[int], scope: Scope = "report") -> tuple[str, list[int], list[int],
                                                                                      list[bool]]:
    """Repair a batch of reports at once: (buffer, starts, lengths, heading found). Report i is
    buffer[starts[i]:starts[i] + lengths[i]]; reports are separated by a line break, which no keyword holds.

    With scope mdna and no heading in a report, the whole report is kept and found is False (the caller
    reports the file), since an export may already hold only the MD&A."""
    if scope not in SCOPES:
        raise ValueError(f"text scope must be one of {list(SCOPES)}, got {scope!r}")
    found = [True] * len(texts)
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
    buf = _drop_lines("\x00\n" + "\n\x00\n".join(parts) + "\n\x00")
    cp = _repair_code_points(_code_points(buf))
    nul = np.flatnonzero(cp == _NUL)
    cp[nul] = _NL
    out = cp.tobytes().decode("utf-16-le", errors="surrogatepass")
    starts = (nul[:-1] + 1).tolist()
    lengths = (np.diff(nul) - 1).tolist()
    return out, starts, lengths, found


def repair(text: str, year: int, scope: Scope = "report") -> tuple[str, bool]:
    """One report repaired (see repair_many): the text to count and whether the MD&A heading was found."""
    out, starts, lengths, found = repair_many([text], [year], scope)
    return out[starts[0]:starts[0] + lengths[0]], found[0]
