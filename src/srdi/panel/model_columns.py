"""A user's panel against the columns config.yaml's models name: checked at import, before anything is written.

In panel mode the models run on the user's own variables, so a misspelt or empty column would otherwise stop the
run only at the estimate step, after the panel, codebook and descriptives were written.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import pandas as pd


def _models(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def check_model_columns(frame: pd.DataFrame, needed: Mapping[str, Sequence[str]], source: str) -> None:
    """Raise ValueError naming the file, each absent or all-missing column and the models that use it."""
    problems = []
    columns = [str(c) for c in frame.columns]
    for col, models in needed.items():
        if col not in frame.columns:
            close = difflib.get_close_matches(col, columns, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            problems.append(f"column {col!r} (used by model(s) {_models(models)}) is not in the file{hint}")
        elif frame[col].isna().all():
            problems.append(f"column {col!r} (used by model(s) {_models(models)}) is missing in every row")
    if problems:
        raise ValueError(f"{source}: " + "; ".join(problems))
