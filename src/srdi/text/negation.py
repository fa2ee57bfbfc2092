"""Negated hits: a keyword preceded, in the same sentence, by a negation word is not counted as use.

Rule (all lengths in characters of the decoded text):
- The window of a hit starting at offset p is text[p - window : p], cut at the last sentence terminator
  (default 。！？；!?; and line breaks) so it never reaches into the previous sentence.
- The hit is negated if a negation word (default: 没有 无 未 不 尚未 暂无 并未 尚无 并无 从未 毫无 未能 无法
  不再 缺乏 缺少) lies entirely inside the window, unless that occurrence lies entirely inside an occurrence of
  a non-negating word (exclusion) in the same sentence that ends at or before p. Exclusions may start before
  the window (so 无论 with 论 at the window's edge still protects nothing wrongly), but never reach into the hit.
- Exclusions: everyday words that contain a negation character without negating (不断 不仅 无论 未来 无形
  无锡 不限于 ...; DEFAULT_EXCLUSIONS) plus every term of the dictionary being counted that contains a negation
  word (无人零售), so a preceding keyword is never read as a negation.
- window = 0 switches negation off.
Negated hits are not counted in the group counts; they are counted separately.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
import numpy as np

from srdi.text.dictionary import fold_ascii
from srdi.text.scan import lookup

DEFAULT_WINDOW = 5
DEFAULT_TERMINATORS = "。！？；!?;\n\r"
DEFAULT_WORDS: tuple[str, ...] = (
    "没有", "无", "未", "不", "尚未", "暂无", "并未", "尚无", "并无", "从未", "毫无", "未能", "无法", "不再",
    "缺乏", "缺少",
)  # fmt: skip
DEFAULT_EXCLUSIONS: tuple[str, ...] = (
    # 不: progress, scope and quantity words
    "不断", "不仅", "不但", "不少", "不同", "不久", "不论", "不管", "不停", "不懈", "不移", "不遗余力", "不得不",
    "不限于", "不低于", "不少于", "不超过", "不高于", "不多于", "不等", "不定期", "不动产", "不良", "不确定",
    "不可或缺", "不可替代",
    # 无: place names, accounting and technical words
    "无论", "无形", "无锡", "无线", "无人", "无缝", "无疑", "无限", "无偿", "无机", "无纺", "无菌", "无尘", "无损",
    "无人零售",
    # 未: time and accounting words
    "未来", "未分配", "未决", "未到期",
)  # fmt: skip
_KEYS = {"window", "words", "exclusions", "terminators"}


def _word_list(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"negation.{key} must be a list of words, got {value!r}")
    words = tuple(fold_ascii(str(w).strip()) for w in value)
    if any(not w for w in words):
        raise ValueError(f"negation.{key}: empty word in {list(value)!r}")
    return words


@dataclass(frozen=True)
class NegationRule:
    window: int = DEFAULT_WINDOW
    words: tuple[str, ...] = DEFAULT_WORDS
    exclusions: tuple[str, ...] = DEFAULT_EXCLUSIONS
    terminators: str = DEFAULT_TERMINATORS
    _auto: Any = field(init=False, repr=False, compare=False)
    _trigger: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _reach: int = field(init=False, repr=False, compare=False)
    _cut: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _fold: bool = field(init=False, repr=False, compare=False)
    _firsts: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.window < 0:
            raise ValueError(f"negation window must be >= 0, got {self.window}")
        auto = ahocorasick.Automaton()
        for w in set(self.words) | set(self.exclusions):
            auto.add_word(w, (w in self.words, w in self.exclusions, len(w)))
        if len(auto):
            auto.make_automaton()
        firsts = sorted({c for w in self.words for c in {w[0], w[0].upper() if w[0].isascii() else w[0]}})
        trigger = re.compile("[" + "".join(re.escape(c) for c in firsts) + "]") if firsts else None
        cut = re.compile("[" + "".join(re.escape(c) for c in self.terminators) + "]") if self.terminators else None
        object.__setattr__(self, "_firsts", tuple(firsts))
        object.__setattr__(self, "_auto", auto)
        object.__setattr__(self, "_trigger", trigger)
        object.__setattr__(self, "_reach", max((len(e) for e in self.exclusions), default=1) - 1)
        object.__setattr__(self, "_cut", cut)
        latin = any(c.isascii() and c.isalpha() for w in (*self.words, *self.exclusions) for c in w)
        object.__setattr__(self, "_fold", latin)  # only Latin words need the context case-folded

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> NegationRule:
        """Defaults overridden by any of: window, words, exclusions, terminators."""
        cfg = dict(cfg or {})
        unknown = set(cfg) - _KEYS
        if unknown:
            raise ValueError(f"unknown negation settings {sorted(unknown)}; allowed: {sorted(_KEYS)}")
        kwargs: dict[str, Any] = {}
        if "window" in cfg:
            window = cfg["window"]
            if isinstance(window, bool) or not isinstance(window, int):
                raise ValueError(f"negation.window must be an integer, got {window!r}")
            kwargs["window"] = window
        for key in ("words", "exclusions"):
            if key in cfg:
                kwargs[key] = _word_list(cfg[key], key)
        if "terminators" in cfg:
            kwargs["terminators"] = str(cfg["terminators"])
        return cls(**kwargs)

    def with_exclusions(self, terms: Iterable[str]) -> NegationRule:
        """This rule plus, as exclusions, those `terms` (a dictionary's) that contain a negation word."""
        extra = [t for t in (fold_ascii(t) for t in terms) if any(w in t for w in self.words)]
        new = tuple(dict.fromkeys((*self.exclusions, *extra)))
        if new == self.exclusions:
            return self
        return NegationRule(self.window, self.words, new, self.terminators)

    def may_negate(self, cp: np.ndarray, starts: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """is_negated's first test for many hits at once: True where a negation word's first character lies in
        text[max(lo, start - window):start] (`cp`: the text's code points, one per character; `lo`: each hit's
        document start). Only those hits can be negated; is_negated decides them."""
        if self.window == 0 or not self._firsts:
            return np.zeros(len(starts), dtype=bool)
        if any(ord(c) >= 0xFFFF for c in self._firsts):  # code points cap such characters: test every hit
            return np.ones(len(starts), dtype=bool)
        table = np.zeros(0x10000, dtype=bool)
        table[[ord(c) for c in self._firsts]] = True
        where = np.flatnonzero(lookup(table, cp))  # a few per cent of the characters
        return np.searchsorted(where, starts) > np.searchsorted(where, np.maximum(lo, starts - self.window))

    def is_negated(self, text: str, start: int, lo: int = 0) -> bool:
        """Whether the hit starting at character offset `start` of `text` is negated (see module doc).
        `lo`: where the hit's document starts in `text` (several reports scanned as one buffer)."""
        if self.window == 0 or self._trigger is None:
            return False
        if not self._trigger.search(text, max(lo, start - self.window), start):
            return False  # fast path: no negation word can start in the window
        ctx = text[max(lo, start - self.window - self._reach) : start]
        if self._cut is not None:
            ctx = self._cut.split(ctx)[-1]  # the part after the last sentence terminator
        if self._fold:
            ctx = fold_ascii(ctx)
        win_from = max(0, len(ctx) - self.window)
        negs: list[tuple[int, int]] = []
        excls: list[tuple[int, int]] = []
        for end, (is_neg, is_excl, n) in self._auto.iter(ctx):
            span = (end + 1 - n, end + 1)
            if is_neg and span[0] >= win_from:
                negs.append(span)
            if is_excl:
                excls.append(span)
        return any(not any(ea <= a and b <= eb for ea, eb in excls) for a, b in negs)

    def describe(self) -> dict[str, Any]:
        """The settings as plain data, for the output report."""
        return {
            "window": self.window,
            "words": list(self.words),
            "exclusions": list(self.exclusions),
            "terminators": self.terminators,
        }
