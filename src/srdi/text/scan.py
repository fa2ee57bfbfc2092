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


def _lookup(table: np.ndarray, cp: np.ndarray) -> np.ndarray:
    """table[cp], in pieces of 64 K: np.take converts its whole index array to int64 first, which leaves the
    cache on a long buffer (3x slower than pieces)."""
    out = np.empty(cp.size, dtype=table.dtype)
    for i in range(0, cp.size, _CHUNK):
        np.take(table, cp[i:i + _CHUNK], out=out[i:i + _CHUNK])
    return out


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

    def occurrences(self, text: str, cp: np.ndarray | None = None) -> list[tuple[int, int, int, int]]:
        """Every (start, end, dictionary index, term index) where a term occurs, overlaps included. `cp`: the
        text's code_points when the caller has them (srdi.text.repair does), which saves encoding it again."""
        if cp is None:
            cp = code_points(text)
        n = cp.size
        pos = np.flatnonzero(_lookup(self._starts, cp))
        state = np.take(self._root, np.take(cp, pos))
        found: list[tuple[np.ndarray, np.ndarray, int]] = []
        k = 1
        while pos.size:
            term_mask = np.take(self._is_term, state)
            if term_mask.any():
                found.append((pos[term_mask], state[term_mask], k))
            if pos[-1] + k >= n:  # drop positions whose next character would be past the end
                keep = pos + k < n
                pos, state = pos[keep], state[keep]
            letter = np.take(self._alpha, np.take(cp, pos + k))
            state = self._step(state, letter)
            alive = state != 0
            pos, state = pos[alive], state[alive]
            k += 1
        out: list[tuple[int, int, int, int]] = []
        node_terms = self._node_terms
        for starts, nodes, length in found:
            for start, node in zip(starts.tolist(), nodes.tolist(), strict=True):
                for di, ti in node_terms[node]:
                    out.append((start, start + length, di, ti))
        return out

    def scan_many(self, text: str, starts: Sequence[int], cp: np.ndarray | None = None) -> list[list[list[Hit]]]:
        """Hits per document and dictionary for documents concatenated in `text` at offsets `starts` (each
        followed by a line break, which no term contains, so no match spans two documents). One scan per
        buffer instead of per report: the numpy steps' fixed cost is paid once (short reports gain most)."""
        per_doc: list[list[list[tuple[int, int, int]]]] = [[[] for _ in self.dictionaries] for _ in starts]
        occ = self.occurrences(text, cp)
        if occ:
            doc = np.searchsorted(np.asarray(starts), np.array([o[0] for o in occ]), side="right") - 1
            for (start, end, di, ti), d in zip(occ, doc.tolist(), strict=True):
                per_doc[d][di].append((start, end, ti))
        return [[select_longest_leftmost(o) for o in docs] for docs in per_doc]

    def scan(self, text: str) -> list[list[Hit]]:
        """Per dictionary, the hits under the longest-leftmost rule (term index into `self.terms[d]`)."""
        per_dict: list[list[tuple[int, int, int]]] = [[] for _ in self.dictionaries]
        for start, end, di, ti in self.occurrences(text):
            per_dict[di].append((start, end, ti))
        return [select_longest_leftmost(occ) for occ in per_dict]
