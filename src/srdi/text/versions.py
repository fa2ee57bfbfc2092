"""Choose one report file per firm-year when an export holds several versions.

cninfo publishes, for one fiscal year, the full annual report, its summary (摘要), corrected or updated
re-publications (更正后, 修订版, 更新后) and often an English version; a naive count would add them up or pick one
at random. File names are `<6-digit code>_<fiscal year>[_<anything>].txt`; the part after the year says which
version it is (matched on these words, case-insensitive):
- summary: 摘要, summary;  English: 英文, english, _en;  correction: 更正, 修订, 更新, 补充, corrected, revised;
- an ISO date (2020-04-28) in the name orders versions of the same kind (the latest wins).
Rule: Chinese over English; full report over summary; among those, a correction over the original and the
latest date over earlier ones; ties by file name. The dropped files are counted in the text report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = re.compile(r"^(\d{6})_(\d{4})(?:_(.*))?\.txt$", re.IGNORECASE)
_SUMMARY = re.compile(r"摘要|summary", re.IGNORECASE)
_ENGLISH = re.compile(r"英文|english|(?:^|[_\-\s])en(?:$|[_\-\s])", re.IGNORECASE)
_CORRECTION = re.compile(r"更正|修订|更新|补充|correct|revis|amend", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


@dataclass(frozen=True)
class Version:
    path: Path
    stkcd: str
    year: int
    summary: bool
    english: bool
    correction: bool
    date: str  # YYYYMMDD or ""

    @property
    def kind(self) -> str:
        """'full', 'summary', 'english', 'english_summary', with '_corrected' appended for a correction."""
        base = ("english_" if self.english else "") + ("summary" if self.summary else "full")
        base = base.replace("english_full", "english")
        return base + ("_corrected" if self.correction else "")

    def rank(self) -> tuple[bool, bool, bool, str, str]:
        """Sort key: the smallest is chosen."""
        return (self.english, self.summary, not self.correction, _neg(self.date), self.path.name)


def _neg(date: str) -> str:
    """Later dates sort first (digit-wise complement); no date sorts last."""
    return "".join(str(9 - int(c)) for c in date) if date else "~"


def parse_version(path: Path) -> Version | None:
    """The version a file name describes, or None for a name not of the form <code>_<year>[_...].txt."""
    m = FILE_NAME.match(path.name)
    if not m:
        return None
    tag = m.group(3) or ""
    d = _DATE.search(tag)
    return Version(path, m.group(1), int(m.group(2)), bool(_SUMMARY.search(tag)), bool(_ENGLISH.search(tag)),
                   bool(_CORRECTION.search(tag)), "".join(d.groups()) if d else "")


def choose_versions(paths: Iterable[Path]) -> tuple[list[Version], list[Version], list[str]]:
    """(chosen, one per firm-year sorted by code and year; dropped; names not of the form <code>_<year>...)"""
    groups: dict[tuple[str, int], list[Version]] = {}
    bad: list[str] = []
    for p in paths:
        v = parse_version(p)
        if v is None:
            bad.append(p.name)
            continue
        groups.setdefault((v.stkcd, v.year), []).append(v)
    chosen: list[Version] = []
    dropped: list[Version] = []
    for key in sorted(groups):
        ranked = sorted(groups[key], key=Version.rank)
        chosen.append(ranked[0])
        dropped += ranked[1:]
    return chosen, dropped, sorted(bad)
