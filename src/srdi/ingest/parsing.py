"""Vectorised parsers for raw text cells, shared by header detection, validation and conversion."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MISSING_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "NULL", "null", "None"})
# In a numeric column 'nan' is not a blank: it is the result of a computation (0/0) and an error, like 'inf'.
NUMERIC_MISSING_TOKENS = MISSING_TOKENS - {"NaN", "nan"}
# Excel error cells (#DIV/0! is x/0, #NUM! an overflow): missing in text columns, not a number in numeric ones.
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"})
# Any finite number at least this large in absolute value is an error unless the mapping sets min / max: it is
# more than any Chinese listed firm's balance sheet in yuan (about 4.5e13), so it is a unit or export error.
MAGNITUDE_LIMIT = 1e15
_NONFINITE_RE = r"[+-]?(?:nan|inf|infinity)"
_CODE_RE = re.compile(r"^(\d{1,6})(?:\.0+)?(?:\.(?:SZ|SH|BJ))?$", re.IGNORECASE)


def clean_text(series: pd.Series, tokens: frozenset[str] = MISSING_TOKENS) -> pd.Series:
    """Strip whitespace and turn blank / 'NA'-like cells (`tokens`) into missing values (pandas string dtype)."""
    out = series.astype("str").str.strip()
    return out.mask(out.isin(tokens))


def pad_code(value: object) -> object:
    """'1', '1.0', '000001.SZ' -> '000001'; anything else is left as it is for validation to flag."""
    if not isinstance(value, str):
        return value
    match = _CODE_RE.match(value)
    return match.group(1).zfill(6) if match else value


def pad_codes(series: pd.Series) -> pd.Series:
    """pad_code of every filled cell; the usual six-digit cells are left alone in one vectorised pass."""
    done = series.str.fullmatch(r"\d{6}").fillna(True).astype(bool).to_numpy()  # pad_code leaves these as they are
    if done.all():
        return series
    out = series.astype(object)
    out[~done] = [pad_code(v) for v in out[~done]]
    return out


def _to_number_slow(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype("str"), errors="coerce").astype("float64")


def to_number(series: pd.Series) -> pd.Series:
    """Floats; unparseable or missing cells give NaN.

    Arrow's string-to-double cast (about 40 times faster) when every filled cell is a plain number; the pandas
    parser otherwise (a bad cell, a full-width digit, a surrounding blank) and where a '-0' is cast, whose sign
    pandas sets by the column's other cells. Both parse to the correctly rounded double."""
    if isinstance(series.dtype, pd.StringDtype):
        try:
            arr = pc.cast(pa.array(series, from_pandas=True), pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return _to_number_slow(series)
        values = arr.to_numpy(zero_copy_only=False)
        if not (np.signbit(values) & (values == 0)).any():
            return pd.Series(values, index=series.index, dtype="float64")
    return _to_number_slow(series)


def is_nonfinite(series: pd.Series) -> pd.Series:
    """True where a present cell is a number that is not finite: inf, -inf, Infinity, nan (any case), 1e400."""
    num = to_number(series)
    out = np.array(series.notna() & np.isinf(num), dtype=bool)
    maybe = (series.notna() & num.isna()).to_numpy()  # only a cell that parses as NaN can be a named 'nan'
    if maybe.any():
        text = series[maybe].astype("str").str.strip()
        out[maybe] = text.str.fullmatch(_NONFINITE_RE, case=False).fillna(False).astype(bool).to_numpy()
    return pd.Series(out, index=series.index, dtype=bool)


def is_huge(series: pd.Series, lower: bool = True, upper: bool = True) -> pd.Series:
    """True where a finite number is <= -MAGNITUDE_LIMIT (if `lower`) or >= MAGNITUDE_LIMIT (if `upper`)."""
    num = to_number(series)
    low = (num <= -MAGNITUDE_LIMIT) if lower else False
    high = (num >= MAGNITUDE_LIMIT) if upper else False
    return (np.isfinite(num) & (low | high)).astype(bool)


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
    elif dtype == "float":  # inf / nan parse (as numbers); a check of their own reports them
        ok = to_number(series).notna() | is_nonfinite(series)
    elif dtype == "int":
        num = to_number(series)
        ok = (np.isfinite(num) & (num == np.floor(num))) | is_nonfinite(series)
    elif dtype == "date":
        ok = to_date(series).notna()
    else:
        ok = pd.Series(True, index=series.index)
    return (ok | ~present).astype(bool)
