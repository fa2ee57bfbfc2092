"""The few distribution functions the models need, straight from scipy.special.

`from scipy import stats` costs about a second of every estimate job's start-up (1.4 s measured on a quiet
machine); these are the very special functions scipy.stats' t, norm, chi2 and f call (scipy 1.17:
t.sf = stdtr(df, -x), t.ppf = stdtrit(df, q), norm.cdf = ndtr, norm.sf = ndtr(-x), norm.ppf = ndtri,
chi2.sf = chdtrc, f.sf = fdtrc, f.ppf = fdtri), so the values are the same bits (tests/test_dist.py
compares them with scipy.stats, edge values included).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special


def _out(value: Any) -> Any:
    """A 0-d result as a numpy scalar, as scipy.stats returns it."""
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _ppf(value: Any, q: np.ndarray, lower: float) -> Any:
    """scipy.stats' bounds of a quantile function: q = 0 and 1 give the support's ends, q outside [0, 1] NaN."""
    value = np.where(q == 0, lower, np.where(q == 1, np.inf, value))
    return _out(np.where((q < 0) | (q > 1), np.nan, value))


def t_sf(x: Any, df: Any) -> Any:
    return _out(special.stdtr(df, -np.asarray(x, dtype=float)))


def t_ppf(q: Any, df: Any) -> Any:
    q = np.asarray(q, dtype=float)
    return _ppf(special.stdtrit(df, q), q, -np.inf)


def norm_cdf(x: Any) -> Any:
    return _out(special.ndtr(np.asarray(x, dtype=float)))


def norm_sf(x: Any) -> Any:
    return _out(special.ndtr(-np.asarray(x, dtype=float)))


def norm_ppf(q: Any) -> Any:
    q = np.asarray(q, dtype=float)
    return _ppf(special.ndtri(q), q, -np.inf)


def chi2_sf(x: Any, df: Any) -> Any:
    x = np.asarray(x, dtype=float)
    return _out(np.where(x <= 0, 1.0, special.chdtrc(df, x)))  # scipy.stats: 1 at and below the support


def f_sf(x: Any, dfn: Any, dfd: Any) -> Any:
    x = np.asarray(x, dtype=float)
    return _out(np.where(x <= 0, 1.0, special.fdtrc(dfn, dfd, x)))


def f_ppf(q: Any, dfn: Any, dfd: Any) -> Any:
    q = np.asarray(q, dtype=float)
    return _ppf(special.fdtri(dfn, dfd, q), q, 0.0)
