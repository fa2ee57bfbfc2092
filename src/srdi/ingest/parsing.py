"""Vectorised parsers for raw text cells, shared by header detection, validation and conversion."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

MISSING_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "NULL", "null", "None"})
_CODE_RE = re.compile(r"^(\d{1,6})(?:\.0+)?(?:\.(?:SZ|SH|BJ))?$", re.IGNORECASE)


def clean_text(series: pd.Series) -> pd.Series:
    """Strip whitespace and turn blank / 'NA'-like cells into missing values (pandas string dtype)."""
    out = series.astype("str").str.strip()
    return out.mask(out.isin(MISSING_TOKENS))


def pad_code(value: object) -> object:
    """'1', '1.0', '000001.SZ' -> '000001'; anything else is left as it is for validation to flag."""
    if not isinstance(value, str):
        return value
    match = _CODE_RE.match(value)
    return match.group(1).zfill(6) if match else value


def to_number(series: pd.Series) -> pd.Series:
    """Floats; unparseable or missing cells give NaN."""
    return pd.to_numeric(series.astype("str"), errors="coerce").astype("float64")


def to_date(series: pd.Series) -> pd.Series:
    """Dates from YYYY-MM-DD (a time part is accepted); unparseable cells give NaT."""
    text = series.astype("str").str[:10]
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def is_code(series: pd.Series) -> pd.Series:
    """True where the cell is exactly six digits."""
    return series.astype("str").str.fullmatch(r"\d{6}").fillna(False).astype(bool)


def parses_as(series: pd.Series, dtype: str) -> pd.Series:
    """True where a present cell parses as `dtype` (missing cells count as parseable)."""
    present = series.notna()
    if dtype == "code":
        ok = is_code(series)
    elif dtype == "float":
        ok = to_number(series).notna()
    elif dtype == "int":
        num = to_number(series)
        ok = num.notna() & np.isfinite(num) & (num == np.floor(num))
    elif dtype == "date":
        ok = to_date(series).notna()
    else:
        ok = pd.Series(True, index=series.index)
    return (ok | ~present).astype(bool)
