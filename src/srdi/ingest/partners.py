"""Classify a partner or co-applicant name as real exports spell it: large enterprise, university, research
institute, anonymised, aggregate or other.

Shared by ingestion (ci_chain, ci_collab in the base panel) and the demo's own guards, so both use one rule.
Real names are messy: full- and half-width forms, （） and (), legal suffixes that come and go (股份有限公司,
有限责任公司), former names, branches and subsidiaries (国网江苏省电力有限公司苏州供电分公司, 中国石油化工股份有限
公司北京燕山分公司), "...及其关联方" and anonymised or aggregate-only disclosures (客户一, 前五名客户合计).
A name is 'large' by one of three rules, tried in order, all on the normalised name without legal suffix
(`name_core`): `exact` (the large-firm list), `alias` (a former or other name of a listed firm, from the alias
list) and `prefix` (the name starts with a prefix that only the firm's own branches and subsidiaries use, e.g.
国网, 中国石化; from the alias list). No fuzzy matching: a false 'large' is worse than a missed one, and the
match report (srdi.ingest.partner_proxies) lists the frequent names no rule matched so a user can extend the list.
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# The shipped alias list (former names and branch prefixes of the default large-firm list); config
# `partners.aliases` replaces it with a user's own file of the same columns.
DEFAULT_ALIASES = Path(__file__).with_name("large_firm_aliases.csv")
PartnerClass = Literal["large", "university", "institute", "anonymous", "aggregate", "blank", "other"]
ALIAS_RULES = ("alias", "prefix")

UNIVERSITY_WORDS = ("大学", "学院")
INSTITUTE_WORDS = ("研究院", "研究所", "科学院", "研究中心")
# Legal-form suffixes dropped before matching, longest first (有限公司 must not cut 股份有限公司 short).
LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "股份公司", "有限公司", "总公司", "公司")
# "X及其关联方": the disclosure groups X with its related parties; X decides the class.
_RELATED = re.compile(r"(及其|及|和|与)(关联方|关联公司|关联企业|附属公司|下属公司|下属企业|子公司|控制的企业)+$")
_SPACE = re.compile(r"\s+")
_SPLIT = re.compile(r"[;；]")
_PARENS = str.maketrans({"(": "", ")": "", "[": "", "]": "", "【": "", "】": "", "〔": "", "〕": ""})
_NUM = "一二三四五六七八九十甲乙丙丁戊0-9a-z"
# 客户一, 供应商(二), 单位3, 客户a, 第一名, a公司, 前五名客户之一 ...
_ANONYMOUS = re.compile(
    rf"^((客户|供应商|单位|公司|企业|销售客户|采购对象)[{_NUM}]{{1,2}}|第[{_NUM}]{{1,2}}名(客户|供应商)?"
    rf"|[{_NUM}](公司|客户|单位|供应商)|前五名(客户|供应商)之[一二三四五])$"
)
_AGGREGATE = re.compile(r"合计|总计|小计|^前五名(客户|供应商)?$|^前五大(客户|供应商)?$")
_BLANK = {"", "-", "--", "—", "/", "null", "none", "nan", "n/a", "未披露", "不适用", "无"}


def normalize_name(name: object) -> str:
    """NFKC (full-width -> half-width, （ -> ( ), no whitespace, lower-case Latin letters."""
    if not isinstance(name, str):
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name)).lower()


def is_total_name(name: object) -> bool:
    """A top-5 total row's name: 合计, 前五名客户合计, 前五名供应商 ... or no name at all."""
    norm = normalize_name(name)
    return norm in _BLANK or bool(_AGGREGATE.search(norm))


def name_core(name: object) -> str:
    """The matching key: normalize_name without brackets, a trailing '及其关联方' and one legal suffix.

    腾讯科技（深圳）有限公司 and 腾讯科技(深圳)有限责任公司 both give 腾讯科技深圳.
    """
    core = normalize_name(name).translate(_PARENS)
    core = _RELATED.sub("", core)
    for suffix in LEGAL_SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix) + 1:
            return core[: -len(suffix)]
    return core


def normalize_names(names: Iterable[object]) -> frozenset[str]:
    """The set of normalized names (kept for callers that only need exact normalized equality)."""
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


@dataclass(frozen=True)
class Match:
    """What a name is (`cls`), by which rule, and for 'large' which listed firm (`canonical`)."""

    cls: PartnerClass
    rule: str
    canonical: str = ""
    related: bool = False  # the name carried '及其关联方' (or similar), dropped before matching


@dataclass(frozen=True)
class Alias:
    """One row of the alias list: `name` is another name of (rule alias) or a prefix used only by the branches
    and subsidiaries of (rule prefix) the listed firm `canonical`."""

    canonical: str
    name: str
    rule: str


def read_aliases(path: str | os.PathLike[str] = DEFAULT_ALIASES) -> list[Alias]:
    """Read the alias list (CSV, UTF-8: canonical, name, rule, note). Bad rows raise naming file and line."""
    out: list[Alias] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"canonical", "name", "rule"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)} (need canonical, name, rule)")
        for line, row in enumerate(reader, start=2):
            canonical, name, rule = (str(row.get(k) or "").strip() for k in ("canonical", "name", "rule"))
            if not canonical or not name:
                raise ValueError(f"{path}, line {line}: canonical and name must not be empty")
            if rule not in ALIAS_RULES:
                raise ValueError(f"{path}, line {line}: rule {rule!r} is not one of {list(ALIAS_RULES)}")
            if rule == "prefix" and len(name_core(name)) < 2:
                raise ValueError(f"{path}, line {line}: prefix {name!r} is shorter than 2 characters")
            out.append(Alias(canonical, name, rule))
    return out


class PartnerMatcher:
    """The large-firm list plus its aliases and prefixes, with a per-name cache (names repeat a lot)."""

    def __init__(self, large_names: Iterable[object], aliases: Iterable[Alias] = ()) -> None:
        self.exact: dict[str, str] = {}
        for name in large_names:
            core = name_core(name)
            if core:
                self.exact.setdefault(core, str(name))
        listed = {name_core(n) for n in self.exact.values()}
        self.alias: dict[str, str] = {}
        prefixes: dict[str, str] = {}
        self.unused_aliases = 0  # rows whose firm is not on this large-firm list: they do not apply
        for a in aliases:
            if name_core(a.canonical) not in listed:
                self.unused_aliases += 1
                continue
            target = self.alias if a.rule == "alias" else prefixes
            target.setdefault(name_core(a.name), self.exact[name_core(a.canonical)])
        # The longest matching prefix by one dict look-up per prefix length (a scan of every prefix per name
        # cost names x prefixes); two prefixes of one length cannot both start a name unless equal.
        self.prefixes = prefixes
        self._prefix_lengths = sorted({len(p) for p in prefixes}, reverse=True)
        self._cache: dict[str, Match] = {}

    def match(self, name: object) -> Match:
        key = name if isinstance(name, str) else ""
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._match(key)
        return hit

    def _match(self, name: str) -> Match:
        norm = normalize_name(name)
        if norm in _BLANK:
            return Match("blank", "blank")
        if _AGGREGATE.search(norm):
            return Match("aggregate", "aggregate")
        core = name_core(norm)
        related = bool(_RELATED.search(norm.translate(_PARENS)))
        if _ANONYMOUS.match(core):
            return Match("anonymous", "anonymous", related=related)
        if core in self.exact:
            return Match("large", "exact", self.exact[core], related)
        if core in self.alias:
            return Match("large", "alias", self.alias[core], related)
        if "大学" in core:
            return Match("university", "university", related=related)
        for length in self._prefix_lengths:
            canonical = self.prefixes.get(core[:length])
            if canonical is not None:
                return Match("large", "prefix", canonical, related)
        if any(w in core for w in INSTITUTE_WORDS):
            return Match("institute", "institute", related=related)
        if any(w in core for w in UNIVERSITY_WORDS):
            return Match("university", "university", related=related)
        return Match("other", "unmatched", related=related)


def classify_partner(name: object, large: PartnerMatcher | frozenset[str] | set[str]) -> PartnerClass:
    """The class of one name. 'university' for 大学 is checked before the prefix rule (中国石油大学 is not
    中国石油); institute words before 学院 (中国科学院 is an institute, 中国科学院大学 a university).
    `large` is a PartnerMatcher, or a plain set of names (exact rule only)."""
    matcher = large if isinstance(large, PartnerMatcher) else PartnerMatcher(large)
    return matcher.match(name).cls


_OWN_SHORT_DROP = re.compile(r"^(\*?st|s\*?st|s)|[a-z]$")


def own_affiliate_keys(company_name: object, short_name: object) -> tuple[str, ...]:
    """Name parts that mark a co-applicant as the firm itself or one of its own subsidiaries or branches: the
    firm's core name and its short name (证券简称 without ST markers, at least 3 characters)."""
    keys = [name_core(company_name)]
    short = _OWN_SHORT_DROP.sub("", normalize_name(short_name))
    if len(short) >= 3:
        keys.append(short)
    return tuple(k for k in keys if k)


def is_own_affiliate(name: object, keys: tuple[str, ...]) -> bool:
    """True if the co-applicant's core name contains the firm's core or short name (own_affiliate_keys)."""
    core = name_core(name)
    return bool(core) and any(k in core for k in keys)
