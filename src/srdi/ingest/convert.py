"""Turn validated text cells into typed columns under the pipeline's names (scale, recode applied)."""

from __future__ import annotations

import pandas as pd

from .mapping import ColumnSpec, TableSpec
from .parsing import to_date, to_number

ROW = "_row"  # file row number, carried through cleaning so later errors can still name rows
FILE = "_file"  # the file a row came from, when a table is stacked from several files


def _convert(series: pd.Series, col: ColumnSpec) -> pd.Series:
    if col.dtype == "float":
        out = to_number(series)
        return out * col.scale if col.scale is not None else out
    if col.dtype == "int":
        out = to_number(series)
        if col.scale is not None:
            return out * col.scale
        out = out.round().astype("Int64")
        return out + col.offset if col.offset else out
    if col.dtype == "date":
        return to_date(series).astype("datetime64[ns]")
    values = series.to_numpy(dtype=object, copy=True)
    missing = pd.isna(values)
    if col.recode:  # once per distinct value; cells, recode keys and values are all text (readers, mapping.py)
        text = values[~missing]
        table = {v: col.recode.get(v, v) for v in pd.unique(text)}
        values[~missing] = [table[v] for v in text]
    values[missing] = None
    return pd.Series(values, index=series.index, dtype=object)


def to_typed(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Frame with one column per mapped field (absent optional fields are all-missing) plus `_row`."""
    out = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        series = frame[col.code] if col.code in frame.columns else pd.Series(None, index=frame.index,
                                                                               dtype=object)
        out[col.name] = _convert(series, col)
    out[ROW] = frame.index.astype("int64")
    if FILE in frame.columns:
        out[FILE] = frame[FILE].to_numpy()
    return out.reset_index(drop=True)
