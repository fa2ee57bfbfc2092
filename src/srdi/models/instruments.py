"""Built-in instruments of this literature: the leave-one-out (LOO) peer mean.

The usual instrument for a firm's co-innovation (or digitalisation) in Chinese SME studies is the mean of the
same variable among the *other* firms of its industry-year (or province-year) cell: it moves with the firm's
through shared industry conditions but excludes the firm's own value, so the firm's own shock does not enter it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def loo_name(column: str) -> str:
    """Name of the LOO instrument built from `column` (a term in the estimates file)."""
    return f"loo_{column}"


def leave_one_out_mean(df: pd.DataFrame, column: str, by: Sequence[str]) -> pd.Series:
    """Mean of `column` over the other rows of the same `by` cell, aligned to `df.index`.

    Rows whose own value is missing get the mean of all valued rows of the cell (they are all "others").
    Missing when the cell has no other row with a value (e.g. a firm alone in its industry-year) or a key
    column is missing. The caller decides which rows form the cells (the pipeline passes the in-sample
    panel, with `column` already lagged if the endogenous variable is).
    """
    by = list(by)
    if not by:
        raise ValueError("leave_one_out_mean needs at least one grouping column")
    values = pd.to_numeric(df[column], errors="raise").astype("float64")
    has_key = df[by].notna().all(axis=1).to_numpy()
    out = np.full(len(df), np.nan)
    if not has_key.any():
        return pd.Series(out, index=df.index, name=loo_name(column))
    keys = df.loc[has_key, by]
    cell = keys.groupby(by, sort=False, dropna=False).ngroup().to_numpy()
    v = values.to_numpy()[has_key]
    valued = ~np.isnan(v)
    sums = np.bincount(cell, weights=np.where(valued, v, 0.0))
    counts = np.bincount(cell, weights=valued.astype(float))
    own = np.where(valued, v, 0.0)
    others = counts[cell] - valued
    with np.errstate(invalid="ignore", divide="ignore"):
        loo = np.where(others > 0, (sums[cell] - own) / others, np.nan)
    out[has_key] = loo
    return pd.Series(out, index=df.index, name=loo_name(column))
