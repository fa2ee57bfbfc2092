"""The provenance stamp of every table footnote and of the report: git commit and config hash.

Read from results/provenance.json (rule `provenance`) and never its timestamp, so two runs of the same commit on
the same config write byte-identical tables.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 of the config as canonical JSON (sorted keys, compact, UTF-8)."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def inputs_digest(hashes: Mapping[str, str]) -> str:
    """One hash standing for all input files: SHA-256 of the sorted 'path  sha256' lines."""
    lines = "".join(f"{path}  {digest}\n" for path, digest in sorted(hashes.items()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Stamp:
    commit: str
    dirty: bool | None
    config_sha256: str

    @property
    def commit_text(self) -> str:
        return self.commit_in("en")

    def commit_in(self, language: str) -> str:
        """The short commit, flagged when the working tree had uncommitted changes (含未提交的修改)."""
        zh = language == "zh"
        short = self.commit[:12] if self.commit != "unknown" else ("未知" if zh else self.commit)
        if not self.dirty:
            return short
        return f"{short}（含未提交的修改）" if zh else f"{short} (uncommitted changes)"

    @property
    def config_text(self) -> str:
        return self.config_sha256[:16]


def read_provenance(path: str | Path) -> dict[str, Any]:
    with Path(path).open(encoding="utf-8") as fh:
        return json.load(fh)


def stamp_from(provenance: Mapping[str, Any]) -> Stamp:
    git = provenance.get("git", {})
    return Stamp(git.get("commit", "unknown"), git.get("dirty"), config_hash(provenance.get("config", {})))
