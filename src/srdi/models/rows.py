"""Which panel rows a model uses, and their numeric values: shared by every model kind so that the in_sample
flag, the `sample` query and the numeric checks mean the same thing everywhere."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SAMPLE_FLAG = "in_sample"  # written by the panel stage (srdi.sample); rows flagged False are never used


def sample_mask(df: pd.DataFrame, model: str, query: str | None) -> np.ndarray:
    """Rows flagged in_sample (if the panel has the flag) that pass the model's `sample` query.

    The query is evaluated on the unlagged columns. The panel stage flags rather than deletes filtered
    firm-years, so lags computed before this mask may still use them.
    """
    keep = np.ones(len(df), dtype=bool)
    if SAMPLE_FLAG in df.columns:
        keep &= df[SAMPLE_FLAG].fillna(False).to_numpy(dtype=bool)
    if query:
        try:
            mask = df.eval(query)
        except Exception as exc:  # pandas raises many types for a bad query
            raise ValueError(f"model {model!r}: sample query {query!r} failed: {exc}") from exc
        if not isinstance(mask, pd.Series) or not pd.api.types.is_bool_dtype(mask):
            raise ValueError(f"model {model!r}: sample query {query!r} is not a true/false filter")
        keep &= mask.fillna(False).to_numpy(dtype=bool)
    return keep


def numeric_matrix(frame: pd.DataFrame, cols: Sequence[str], model: str) -> np.ndarray:
    """Columns as a float matrix; a non-numeric column or an infinite value is an error naming the column."""
    out = np.empty((len(frame), len(cols)))
    for j, col in enumerate(cols):
        series = frame[col]
        if pd.api.types.is_bool_dtype(series):
            series = series.astype(float)
        if not pd.api.types.is_numeric_dtype(series):
            raise ValueError(f"model {model!r}: column {col!r} is not numeric (dtype {series.dtype})")
        values = series.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise ValueError(f"model {model!r}: column {col!r} has infinite values")
        out[:, j] = values
    return out
