"""Longest-match-first, non-overlapping, left-to-right keyword matching (one matcher per dictionary).

The rule: scan left to right; at the first position where some term starts, take the longest term starting
there, count it, and resume right after it; 移动互联 inside 移动互联网 therefore counts once, as 移动互联网.

Why not pyahocorasick's `Automaton.iter_long`: in pyahocorasick 2.3 it is not this rule. It misses matches
reached through failure links at the end of the text (terms 知识产权 and 国家知识产权局 on 国家知识产权 give
nothing instead of 知识产权; upstream issues #133, #185, PR #224). So the automaton's `iter()` (every
occurrence, overlaps included) feeds `select_longest_leftmost`, which applies the rule exactly; the number of
occurrences per report is small, so this costs little.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from srdi.text.dictionary import Dictionary, fold_ascii

Hit = tuple[int, int, int]  # (start, end, term index); end exclusive, character offsets


def select_longest_leftmost(occurrences: Iterable[tuple[int, int, int]]) -> list[Hit]:
    """Keep, left to right, the longest occurrence at each start that does not overlap a kept one.

    `occurrences` are (start, end, term index) of every place a term occurs, in any order.
    """
    best: dict[int, tuple[int, int]] = {}
    for start, end, term in occurrences:
        prev = best.get(start)
        if prev is None or end > prev[0]:
            best[start] = (end, term)
    hits: list[Hit] = []
    cursor = 0
    for start in sorted(best):
        if start >= cursor:
            end, term = best[start]
            hits.append((start, end, term))
            cursor = end
    return hits


class Matcher:
    """A pyahocorasick automaton over one dictionary's terms, built once and reused for every report.

    Text passed to `find` must already be ASCII-folded (`fold_ascii`) so that Latin terms match
    case-insensitively; folding only touches A-Z, so character offsets are those of the original text.
    """

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self.terms: list[str] = [t for g in dictionary.groups for t in g.terms]
        self.group_of: list[int] = [gi for gi, g in enumerate(dictionary.groups) for _ in g.terms]
        self._automaton = ahocorasick.Automaton()
        for i, term in enumerate(self.terms):
            key = fold_ascii(term)
            self._automaton.add_word(key, (i, len(key)))
        self._automaton.make_automaton()

    def find(self, folded_text: str) -> list[Hit]:
        """Hits under the longest-leftmost rule, in text order."""
        occ = ((end + 1 - n, end + 1, i) for end, (i, n) in self._automaton.iter(folded_text))
        return select_longest_leftmost(occ)
