"""Which panel rows a model uses, and their numeric values: shared by every model kind so that the in_sample
flag, the `sample` query and the numeric checks mean the same thing everywhere."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from srdi.models import dist
from srdi.sample_query import evaluate, parse_sample_query

SAMPLE_FLAG = "in_sample"  # written by the panel stage (srdi.sample); rows flagged False are never used


def sample_mask(df: pd.DataFrame, model: str, query: str | None) -> np.ndarray:
    """Rows flagged in_sample (if the panel has the flag) that pass the model's `sample` query.

    The query is evaluated on the unlagged columns by our own interpreter (`sample_query`: a whitelisted
    grammar, never pandas eval). The panel stage flags rather than deletes filtered firm-years, so lags
    computed before this mask may still use them.
    """
    keep = np.ones(len(df), dtype=bool)
    if SAMPLE_FLAG in df.columns:
        keep &= df[SAMPLE_FLAG].fillna(False).to_numpy(dtype=bool)
    if query:
        keep &= evaluate(parse_sample_query(query, model), df, model)
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


def t_inference(beta: np.ndarray, cov: np.ndarray, df: int, names: Sequence[str]) -> dict[str, pd.Series]:
    """SE, t, two-sided p and 95% CI from the t distribution with `df` degrees of freedom (G-1 when clustered,
    as reghdfe; N-K otherwise), as Series indexed by the term names."""

    se = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    crit = dist.t_ppf(0.975, df)
    values = {"params": beta, "std_errors": se, "tstats": t, "pvalues": 2 * dist.t_sf(np.abs(t), df),
              "conf_low": beta - crit * se, "conf_high": beta + crit * se}
    return {key: pd.Series(v, index=list(names), dtype=float) for key, v in values.items()}
