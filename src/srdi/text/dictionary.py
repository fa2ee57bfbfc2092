"""Keyword dictionaries as versioned YAML data files, validated on load.

A dictionary is data, not code, so a user can swap or extend it without touching the package; validation is
strict because a silent duplicate or cross-group term would change the measure without anyone noticing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_ASCII_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_ASCII_UPPER_RUN = re.compile("[A-Z]+")


def _lower_run(m: re.Match[str]) -> str:
    return m.group().lower()


def fold_ascii(text: str) -> str:
    """Lowercase ASCII letters only, so every Chinese character keeps its position (str.lower does not).

    A regex over runs of A-Z: str.translate would do the same but is ~8x slower on Chinese text.
    """
    return _ASCII_UPPER_RUN.sub(_lower_run, text)


@dataclass(frozen=True)
class Group:
    gid: str
    label: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Dictionary:
    """One validated dictionary: provenance plus groups of terms (terms as written in the file)."""

    path: str
    name: str
    version: str
    citation: str
    count_prefix: str
    groups: tuple[Group, ...]

    @property
    def n_terms(self) -> int:
        return sum(len(g.terms) for g in self.groups)

    def count_columns(self) -> list[str]:
        """Keyword counts per group (when there are several), total, and the negated ones."""
        p, gids = self.count_prefix, [g.gid for g in self.groups]
        multi = len(gids) > 1
        return [*(f"{p}_{g}" for g in gids if multi), f"{p}_total",
                *(f"{p}_neg_{g}" for g in gids if multi), f"{p}_neg"]

    def measure_columns(self, key: str) -> list[str]:
        """The measures the panel gets from this dictionary under measure name `key` (config text.dictionaries)."""
        gids = [g.gid for g in self.groups]
        return [f"{self.count_prefix}_intensity", key, *(f"{key}_{g}" for g in gids if len(gids) > 1)]

    def term_groups(self) -> dict[str, str]:
        """Folded term -> group id: what the matcher needs."""
        return {fold_ascii(t): g.gid for g in self.groups for t in g.terms}


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ValueError(f"{loader.name}: duplicate key {key!r} (line {key_node.start_mark.line + 1})")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _fail(path: str, msg: str) -> ValueError:
    return ValueError(f"dictionary {path}: {msg}")


def load_dictionary(path: str | os.PathLike[str]) -> Dictionary:
    """Read and validate a dictionary file; any defect raises ValueError naming the file and the term."""
    p = str(Path(path))
    with open(p, encoding="utf-8") as fh:
        loader = _UniqueKeyLoader(fh)
        loader.name = p
        try:
            raw = loader.get_single_data()
        finally:
            loader.dispose()
    if not isinstance(raw, dict):
        raise _fail(p, "top level must be a mapping")
    for key in ("name", "version", "citation", "groups"):
        if key not in raw:
            raise _fail(p, f"missing key {key!r}")
    unknown = set(raw) - {"name", "version", "citation", "count_prefix", "n_terms", "groups"}
    if unknown:
        raise _fail(p, f"unknown keys {sorted(unknown)}")
    prefix = str(raw.get("count_prefix", raw["name"]))
    if not _ASCII_ID.match(prefix):
        raise _fail(p, f"count_prefix {prefix!r} must be lowercase ASCII (letters, digits, _)")
    if not isinstance(raw["groups"], dict) or not raw["groups"]:
        raise _fail(p, "groups must be a non-empty mapping of group id -> {label, terms}")

    owner: dict[str, tuple[str, str]] = {}  # folded term -> (group id, term as written)
    groups: list[Group] = []
    for gid, body in raw["groups"].items():
        if not isinstance(gid, str) or not _ASCII_ID.match(gid):
            raise _fail(p, f"group id {gid!r} must be lowercase ASCII (letters, digits, _)")
        if not isinstance(body, dict) or "terms" not in body:
            raise _fail(p, f"group {gid!r} must be a mapping with 'terms'")
        terms = body["terms"]
        if not isinstance(terms, list) or not terms:
            raise _fail(p, f"group {gid!r}: terms must be a non-empty list")
        clean: list[str] = []
        for term in terms:
            if term is None or (isinstance(term, str) and not term.strip()):
                raise _fail(p, f"group {gid!r}: empty term {term!r}")
            if not isinstance(term, str):
                raise _fail(p, f"group {gid!r}: term {term!r} is not a string (quote it)")
            t = term.strip()
            key = fold_ascii(t)
            if key in owner:
                other_gid, other = owner[key]
                if other_gid == gid:
                    raise _fail(p, f"duplicate term {t!r} in group {gid!r} (same as {other!r})")
                raise _fail(p, f"term {t!r} is in two groups: {other_gid!r} ({other!r}) and {gid!r}")
            owner[key] = (gid, t)
            clean.append(t)
        groups.append(Group(gid=gid, label=str(body.get("label", gid)), terms=tuple(clean)))

    d = Dictionary(
        path=p,
        name=str(raw["name"]),
        version=str(raw["version"]),
        citation=" ".join(str(raw["citation"]).split()),
        count_prefix=prefix,
        groups=tuple(groups),
    )
    if "n_terms" in raw and raw["n_terms"] != d.n_terms:
        raise _fail(p, f"n_terms says {raw['n_terms']} but {d.n_terms} terms are listed")
    return d
