"""The `tables:` section of config.yaml as a typed object, with the schema's defaults for direct callers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_STARS = {"*": 0.1, "**": 0.05, "***": 0.01}


@dataclass(frozen=True)
class TableSettings:
    language: str = "en"
    stars: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_STARS))
    beneath: str = "se"  # what goes in parentheses under a coefficient: se or t
    digits: int = 3
    constant: bool = True  # the _cons row where the estimator has one
    adjusted_r2: bool = True  # adjusted R² rows (overall; within for FE columns)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TableSettings:
        section = config.get("tables", {})
        return cls(
            language=section.get("language", "en"),
            stars=dict(section.get("stars", DEFAULT_STARS)),
            beneath=section.get("beneath", "se"),
            digits=int(section.get("digits", 3)),
            constant=bool(section.get("constant", True)),
            adjusted_r2=bool(section.get("adjusted_r2", True)),
        )

    def stars_for(self, p: float | None) -> str:
        """The symbol of the smallest threshold p falls below (strictly), or ''."""
        if p is None or p != p:  # NaN
            return ""
        hits = [(thr, sym) for sym, thr in self.stars.items() if p < thr]
        return min(hits)[1] if hits else ""

    def stars_note(self) -> str:
        parts = [f"{sym} p<{thr:g}" for sym, thr in sorted(self.stars.items(), key=lambda kv: -kv[1])]
        return ", ".join(parts)


def table_title(spec: Mapping[str, Any], name: str, language: str) -> str:
    """The table's title in the report language: `title_zh` for zh when given, else `title`, else its name."""
    if language == "zh" and spec.get("title_zh"):
        return str(spec["title_zh"])
    return str(spec.get("title", name))
