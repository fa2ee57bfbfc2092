"""The codebook of the panel: one row per column, from the definitions kept in data/codebook.yaml."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import yaml

DEFINITIONS = Path(__file__).resolve().parents[3] / "data" / "codebook.yaml"
FIELDS = ("label_en", "label_zh", "symbol", "definition", "definition_zh", "source", "values_en", "values_zh")


def load_definitions(path: str | Path = DEFINITIONS) -> dict[str, dict[str, str]]:
    with Path(path).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def codebook(columns: Iterable[str], definitions: dict[str, dict[str, str]] | None = None) -> pd.DataFrame:
    """Rows in panel column order; a column without a definition is marked as user-supplied, one without a symbol
    is its own symbol."""
    definitions = load_definitions() if definitions is None else definitions
    rows = []
    for name in columns:
        entry = definitions.get(name)
        if entry is None:
            entry = {"label_en": name, "label_zh": name,
                     "definition": "user-supplied column (no entry in data/codebook.yaml)", "source": "user"}
        row = {"name": name, **{f: str(entry.get(f, "")) for f in FIELDS}}
        row["symbol"] = row["symbol"] or name  # the row or column head of a table when no short symbol is given
        rows.append(row)
    return pd.DataFrame(rows, columns=["name", *FIELDS])
