"""Calendar lags: the value of the previous *year* within an entity, not the previous row.

With gaps in a firm's history (firm observed in 2015 and 2017), `groupby().shift()` would pair
2017 with 2015; a referee expects Stata's `L.x` under `xtset`, which is missing there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def lag_by_time(
    df: pd.DataFrame, cols: Sequence[str], entity: str, time: str, k: int = 1
) -> pd.DataFrame:
    """Return `cols` lagged by `k` calendar periods, aligned to `df.index`.

    The value for (e, t) is the row (e, t - k) if the panel has it, else missing. Rows with a missing
    entity or time get a missing lag. `time` must be integer-valued (years); the (entity, time) key
    must be unique.
    """
    cols = list(cols)
    if not cols:
        return pd.DataFrame(index=df.index)
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"lag order k must be a positive integer, got {k!r}")
    t = df[time]
    if not pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t):
        raise ValueError(f"time column {time!r} must be numeric (calendar years), got dtype {t.dtype}")
    t_ok = t.dropna()
    if not np.all(np.asarray(t_ok, dtype=float) == np.round(np.asarray(t_ok, dtype=float))):
        raise ValueError(f"time column {time!r} must hold whole numbers (calendar years)")
    has_key = (df[entity].notna() & t.notna()).to_numpy()
    ent = pd.factorize(df[entity].to_numpy()[has_key])[0]
    year = np.asarray(t.to_numpy()[has_key], dtype=float).astype(np.int64)
    span = int(year.max() - year.min()) + 1 + k if year.size else 1
    code = ent * span + (year - (year.min() if year.size else 0) + k)  # the cell of (entity, t), t >= min - k
    if pd.Series(code).duplicated().any():
        keys = df.loc[has_key, [entity, time]]
        dup = keys[keys.duplicated(keep=False)].head(3).to_dict("records")
        raise ValueError(f"panel key ({entity}, {time}) is not unique, e.g. {dup}")
    # The row of year t-k supplies the lag of year t: one lookup table of row positions by cell.
    row_of = np.full(int(ent.max() + 1) * span if ent.size else 0, -1, dtype=np.int64)
    row_of[code] = np.arange(code.size)
    source = row_of[code - k]
    out = np.full((len(df), len(cols)), np.nan)
    values = df.loc[has_key, cols].astype("float64").to_numpy()
    found = source >= 0
    out[np.flatnonzero(has_key)[found]] = values[source[found]]
    return pd.DataFrame(out, index=df.index, columns=cols)
