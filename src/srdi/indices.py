"""Composite indices of several indicators (coinnov from the four co-innovation channels, srdi_index from the
four SRDI dimensions), by the entropy-weight method (熵值法) that this literature uses, or PCA / equal weights.

Entropy-weight convention (as in the Chinese applied literature): on the pooled sample of complete rows,
each indicator is min-max normalised to [0, 1] (all indicators are positive, "larger is better"),
p_ij = x'_ij / sum_i x'_ij, e_j = -(1 / ln n) sum_i p_ij ln p_ij with 0 * ln 0 = 0, d_j = 1 - e_j,
w_j = d_j / sum_j d_j, and the index is sum_j w_j x'_ij. No 0.0001 shift is added: it changes the weights
slightly and is not needed with the 0 * ln 0 = 0 convention. Rows missing any indicator get a missing index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

Method = Literal["entropy", "pca", "equal"]


def minmax(frame: pd.DataFrame) -> pd.DataFrame:
    lo, hi = frame.min(), frame.max()
    span = hi - lo
    constant = span[span == 0].index.tolist()
    if constant:
        raise ValueError(f"indicator(s) {constant} are constant on the sample: no weight can be computed")
    return (frame - lo) / span


def entropy_weights(frame: pd.DataFrame) -> pd.Series:
    """Entropy weights of the columns of `frame` (complete rows only)."""
    x = minmax(frame).to_numpy(dtype=float)
    n = x.shape[0]
    if n < 2:
        raise ValueError("entropy weights need at least two complete rows")
    p = x / x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1.0 - e
    return pd.Series(d / d.sum(), index=frame.columns, name="weight")


def pca_weights(frame: pd.DataFrame) -> pd.Series:
    """Loadings of the first principal component of the standardised indicators, scaled to sum to one.

    The sign is fixed so the loadings sum to a positive number (the index rises with its indicators).
    """
    z = (frame - frame.mean()) / frame.std(ddof=1)
    _, vectors = np.linalg.eigh(np.cov(z.to_numpy(dtype=float), rowvar=False))
    first = vectors[:, -1]
    if first.sum() < 0:
        first = -first
    return pd.Series(first / first.sum(), index=frame.columns, name="weight")


def composite_index(
    frame: pd.DataFrame,
    columns: Sequence[str],
    method: Method = "entropy",
    fit_rows: pd.Series | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Return (index, weights). The index is the weighted sum of min-max normalised indicators.

    Weights and normalisation bounds come from the complete rows selected by `fit_rows` (all rows if None),
    so that firms outside the sample (e.g. financial firms) do not shape the index.
    """
    data = frame[list(columns)]
    fit = data if fit_rows is None else data[fit_rows]
    complete = fit.dropna()
    if method == "entropy":
        weights = entropy_weights(complete)
    elif method == "pca":
        weights = pca_weights(complete)
    elif method == "equal":
        weights = pd.Series(1.0 / len(columns), index=list(columns), name="weight")
    else:
        raise ValueError(f"unknown composite method {method!r}; use entropy, pca or equal")
    lo, span = complete.min(), complete.max() - complete.min()
    normalised = (data - lo) / span
    index = normalised.mul(weights, axis=1).sum(axis=1, min_count=len(columns))
    index[data.isna().any(axis=1)] = np.nan
    return index, weights
