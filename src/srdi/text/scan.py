"""Vectorised trie scan: every occurrence of every term of several dictionaries in one pass, with numpy.

Why not only pyahocorasick: its per-character step runs at roughly 50-70 MB/s on Chinese text (the root node
has one child per distinct first character and is searched on nearly every character), below the stage's
100 MB/s target. Here the text's code points go through a 65,536-entry table that maps each character to its
trie node from the root (about one character in ten starts a term in annual reports); only those positions
advance, all together, one character per step, through a dense transition table, and the survivors shrink
fast. All steps are a few numpy calls, so the Python cost is per step, not per character.

Results are the same occurrences as `Automaton.iter`; `select_longest_leftmost` then applies the counting
rule per dictionary, so each dictionary is matched independently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from srdi.text.dictionary import Dictionary, fold_ascii
from srdi.text.matcher import Hit, select_longest_leftmost

_BMP = 0x10000
_DENSE_LIMIT = 1 << 24  # transition-table cells; beyond this use a sorted edge list (slower, small)


def code_points(text: str) -> np.ndarray:
    """uint16 code points, one per character (astral characters become U+FFFF, which no term contains)."""
    buf = text.encode("utf-16-le")
    if len(buf) == 2 * len(text):
        return np.frombuffer(buf, dtype=np.uint16)
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return np.minimum(cp, _BMP - 1).astype(np.uint16)


_CHUNK = 1 << 16


def lookup(table: np.ndarray, cp: np.ndarray) -> np.ndarray:
    """table[cp], in pieces of 64 K: np.take converts its whole index array to int64 first, which leaves the
    cache on a long buffer (3x slower than pieces)."""
    out = np.empty(cp.size, dtype=table.dtype)
    for i in range(0, cp.size, _CHUNK):
        np.take(table, cp[i:i + _CHUNK], out=out[i:i + _CHUNK])
    return out


class Hits(NamedTuple):
    """Kept hits of several documents, one entry per hit, sorted by dictionary, document and start."""

    doc: np.ndarray
    dictionary: np.ndarray
    start: np.ndarray
    term: np.ndarray


class TrieScanner:
    """One trie over the folded terms of several dictionaries; `scan` returns hits per dictionary."""

    def __init__(self, dictionaries: Sequence[Dictionary]) -> None:
        self.dictionaries = list(dictionaries)
        self.terms: list[list[str]] = [[t for g in d.groups for t in g.terms] for d in self.dictionaries]
        folded = [[fold_ascii(t) for t in terms] for terms in self.terms]
        chars = sorted({c for terms in folded for t in terms for c in t})
        bad = [c for c in chars if ord(c) >= _BMP - 1]
        if bad:
            raise ValueError(f"terms may only use characters of the Basic Multilingual Plane, got {bad!r}")
        alpha = np.zeros(_BMP, dtype=np.int64)  # code point -> letter id (0: in no term)
        for i, c in enumerate(chars, start=1):
            alpha[ord(c)] = i
            if "a" <= c <= "z":
                alpha[ord(c.upper())] = i  # case-insensitive Latin without folding the text
        n_alpha = len(chars) + 1

        # Trie: node 0 is "dead", node 1 the root. node_terms[node] = [(dictionary index, term index), ...]
        children: list[dict[int, int]] = [{}, {}]
        node_terms: dict[int, list[tuple[int, int]]] = {}
        self.max_len = 0
        for di, terms in enumerate(folded):
            for ti, term in enumerate(terms):
                node = 1
                for c in term:
                    a = int(alpha[ord(c)])
                    nxt = children[node].get(a)
                    if nxt is None:
                        nxt = len(children)
                        children.append({})
                        children[node][a] = nxt
                    node = nxt
                node_terms.setdefault(node, []).append((di, ti))
                self.max_len = max(self.max_len, len(term))
        n_nodes = len(children)
        self._n_alpha = n_alpha
        self._alpha = alpha.astype(np.int32 if n_alpha < 2**31 else np.int64)
        self._node_terms = node_terms
        self._is_term = np.zeros(n_nodes, dtype=bool)
        self._is_term[list(node_terms)] = True
        # The terms a node ends, as flat arrays: node n ends _term_di/_term_ti[_term_ptr[n]:][:_n_terms[n]].
        self._n_terms = np.array([len(node_terms.get(n, ())) for n in range(n_nodes)], dtype=np.int64)
        self._term_ptr = np.cumsum(self._n_terms) - self._n_terms
        flat = [dt for n in range(n_nodes) for dt in node_terms.get(n, ())]
        self._term_di = np.array([d for d, _ in flat], dtype=np.int64)
        self._term_ti = np.array([t for _, t in flat], dtype=np.int64)
        self._root = np.zeros(_BMP, dtype=np.int32)  # code point -> node after it from the root
        for a, node in children[1].items():
            self._root[alpha == a] = node
        self._starts = self._root != 0  # a bool table: the cheapest first pass over every character
        edges = sorted((n * n_alpha + a, m) for n, ch in enumerate(children) for a, m in ch.items())
        self._edge_keys = np.array([k for k, _ in edges], dtype=np.int64)
        self._edge_vals = np.array([m for _, m in edges], dtype=np.int32)
        self._dense: np.ndarray | None = None
        if n_nodes * n_alpha <= _DENSE_LIMIT:
            dense = np.zeros(n_nodes * n_alpha, dtype=np.int32)
            dense[self._edge_keys] = self._edge_vals
            self._dense = dense

    def _step(self, state: np.ndarray, letter: np.ndarray) -> np.ndarray:
        key = state.astype(np.int64) * self._n_alpha + letter
        if self._dense is not None:
            return np.take(self._dense, key)
        idx = np.minimum(np.searchsorted(self._edge_keys, key), len(self._edge_keys) - 1)
        found = np.take(self._edge_keys, idx) == key
        return np.where(found, np.take(self._edge_vals, idx), 0).astype(np.int32)

    def occurrence_arrays(self, text: str, cp: np.ndarray | None = None
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every occurrence of a term, overlaps included, as arrays (start, end, dictionary index, term index),
        ordered by length, then start, then (dictionary, term). `cp`: the text's code_points when the caller has
        them (srdi.text.repair does), which saves encoding it again."""
        if cp is None:
            cp = code_points(text)
        n = cp.size
        pos = np.flatnonzero(lookup(self._starts, cp))
        state = np.take(self._root, np.take(cp, pos))
        found_pos: list[np.ndarray] = []
        found_node: list[np.ndarray] = []
        found_len: list[np.ndarray] = []
        k = 1
        while pos.size:
            term_mask = np.take(self._is_term, state)
            if term_mask.any():
                found_pos.append(pos[term_mask])
                found_node.append(state[term_mask])
                found_len.append(np.full(found_pos[-1].size, k, dtype=np.int64))
            if pos[-1] + k >= n:  # drop positions whose next character would be past the end
                keep = pos + k < n
                pos, state = pos[keep], state[keep]
            letter = np.take(self._alpha, np.take(cp, pos + k))
            state = self._step(state, letter)
            alive = state != 0
            pos, state = pos[alive], state[alive]
            k += 1
        if not found_pos:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty
        start = np.concatenate(found_pos).astype(np.int64)
        node = np.concatenate(found_node)
        length = np.concatenate(found_len)
        count = np.take(self._n_terms, node)  # a node ends one term per dictionary that holds it
        first = np.repeat(np.take(self._term_ptr, node), count)
        offset = np.arange(first.size) - np.repeat(np.cumsum(count) - count, count)
        flat = first + offset
        start = np.repeat(start, count)
        return start, start + np.repeat(length, count), self._term_di[flat], self._term_ti[flat]

    def occurrences(self, text: str, cp: np.ndarray | None = None) -> list[tuple[int, int, int, int]]:
        """Every (start, end, dictionary index, term index) where a term occurs, overlaps included."""
        start, end, di, ti = self.occurrence_arrays(text, cp)
        return list(zip(start.tolist(), end.tolist(), di.tolist(), ti.tolist(), strict=True))

    def hits_many(self, text: str, starts: Sequence[int], cp: np.ndarray | None = None) -> Hits:
        """The hits under the longest-leftmost rule of documents concatenated in `text` at offsets `starts`
        (each followed by a line break, which no term contains, so no match spans two documents), per
        dictionary and document, as arrays. One scan per buffer, and the rule applied with numpy: the
        occurrences are sorted by (dictionary, document, start, longest first); where a kept hit overlaps the
        next candidate (rare: 工业互联网平台 then 平台化), that report's candidates go through the rule's
        left-to-right pass (as select_longest_leftmost) in Python."""
        start, end, di, ti = self.occurrence_arrays(text, cp)
        doc = np.searchsorted(np.asarray(starts, dtype=np.int64), start, side="right") - 1
        order = np.lexsort((ti, -end, start, doc, di))
        start, end, di, ti, doc = start[order], end[order], di[order], ti[order], doc[order]
        same_group = np.zeros(start.size, dtype=bool)
        same_group[1:] = (di[1:] == di[:-1]) & (doc[1:] == doc[:-1])
        best = np.ones(start.size, dtype=bool)  # the longest occurrence at each start (smallest term on ties)
        best[1:] = ~same_group[1:] | (start[1:] != start[:-1])
        start, end, di, ti, doc, same_group = (a[best] for a in (start, end, di, ti, doc, same_group))
        clash = np.zeros(start.size, dtype=bool)
        clash[1:] = same_group[1:] & (start[1:] < end[:-1])
        keep = np.ones(start.size, dtype=bool)
        if clash.any():  # the rule's left-to-right pass, on the candidates of the reports with a clash only
            group = np.cumsum(~same_group)
            redo = np.flatnonzero(np.isin(group, group[clash]))
            cursor, current = 0, -1
            for i, g, s, e in zip(redo.tolist(), group[redo].tolist(), start[redo].tolist(), end[redo].tolist(),
                                  strict=True):
                if g != current:
                    current, cursor = g, 0
                keep[i] = s >= cursor
                if s >= cursor:
                    cursor = e
        return Hits(doc[keep], di[keep], start[keep], ti[keep])

    def scan(self, text: str) -> list[list[Hit]]:
        """Per dictionary, the hits under the longest-leftmost rule (term index into `self.terms[d]`)."""
        per_dict: list[list[tuple[int, int, int]]] = [[] for _ in self.dictionaries]
        for start, end, di, ti in self.occurrences(text):
            per_dict[di].append((start, end, ti))
        return [select_longest_leftmost(occ) for occ in per_dict]
