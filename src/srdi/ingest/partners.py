"""Classify a partner or co-applicant name: large enterprise, university, research institute or other.

Shared by ingestion (ci_chain, ci_collab in the base panel) and the proxies stage, so both use one rule.
Large enterprises are matched by exact normalized name (no fuzzy matching: a false 'large' is worse than a
missed one); universities and institutes by keywords in the name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

PartnerClass = Literal["large", "university", "institute", "other"]

UNIVERSITY_WORDS = ("大学", "学院")
INSTITUTE_WORDS = ("研究院", "研究所", "科学院", "研究中心")
_SPACE = re.compile(r"\s+")
_SPLIT = re.compile(r"[;；]")


def normalize_name(name: object) -> str:
    """NFKC (full-width -> half-width, e.g. （ -> ( ), no whitespace, lower-case Latin letters."""
    if not isinstance(name, str):
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name)).lower()


def normalize_names(names: Iterable[object]) -> frozenset[str]:
    """The set of normalized names to pass to classify_partner as `large_names`."""
    return frozenset(n for n in (normalize_name(x) for x in names) if n)


def split_applicants(text: object) -> list[str]:
    """'A; B；C' -> ['A', 'B', 'C'] (stripped, NFKC-normalized, empty parts and repeats dropped)."""
    if not isinstance(text, str):
        return []
    out: list[str] = []
    for part in _SPLIT.split(text):
        name = unicodedata.normalize("NFKC", part).strip()
        if name and name not in out:
            out.append(name)
    return out


def classify_partner(name: object, large_names: frozenset[str] | set[str]) -> PartnerClass:
    """'large' if the normalized name is in `large_names` (already normalized, see normalize_names);
    else 'university' for 大学; else 'institute' for 研究院/研究所/科学院/研究中心; else 'university'
    for 学院 (checked after the institute words so 中国科学院 is an institute, 中国科学院大学 a university).
    """
    norm = normalize_name(name)
    if not norm:
        return "other"
    if norm in large_names:
        return "large"
    if "大学" in norm:
        return "university"
    if any(w in norm for w in INSTITUTE_WORDS):
        return "institute"
    if any(w in norm for w in UNIVERSITY_WORDS):
        return "university"
    return "other"
