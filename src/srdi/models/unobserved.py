"""Why a model has no usable row: the error names the column(s) with no non-missing value on its sample rows.

Listwise deletion over a column that is missing on every sample row (an outcome not yet released for the
sample years, a control empty in the user's panel) leaves nothing to fit; "no complete observations" alone
sends the user hunting through every column of the model. Two entry points build the same message:

* `no_rows_error`: from the exact values a kind uses (lagged where it lags), e.g. in `fit_panel`;
* `diagnose`: from a raw `models:` entry of any kind, for the run step to explain a failed fit. It reports a
  column only when no fit can use it: an outcome-like or structural column (outcome, mediator, fe, cluster,
  group columns; never lagged) missing on every sample row, or a term missing on every sample row both as is
  and lagged (whether the kind lags it or not, it has nothing to offer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from srdi.models.lags import lag_by_time
from srdi.models.rows import sample_mask

# keys of a `models:` entry (any kind) that name columns never lagged, and columns that may be lagged
FIXED_KEYS = ("outcome", "mediator", "group_by")
TERM_KEYS = ("regressors", "regressor", "treatment", "moderator", "endogenous", "instruments", "controls")
N_EXAMPLES = 3


class NoObservationsError(ValueError):
    """A model has no row to fit; the message names the column(s) responsible where there are any."""


def _observed(values: Any) -> np.ndarray:
    """Boolean: which entries of a Series or array are non-missing."""
    if isinstance(values, pd.Series):
        return values.notna().to_numpy(dtype=bool)
    return np.asarray(pd.notna(np.asarray(values)), dtype=bool)


def unobserved(columns: Mapping[str, Any], keep: np.ndarray) -> list[str]:
    """Labels of the columns (full-length values) with no non-missing value on the rows `keep`."""
    return [label for label, values in columns.items() if not _observed(values)[keep].any()]


def _examples(keys: pd.DataFrame | None, keep: np.ndarray) -> str:
    if keys is None or keys.empty:
        return ""
    rows = keys.iloc[np.flatnonzero(keep)[:N_EXAMPLES]]
    shown = "; ".join(" ".join(f"{c}={v}" for c, v in r.items()) for _, r in rows.iterrows())
    return f" (e.g. {shown})" if shown else ""


def empty_sample_error(model: str, query: str | None) -> NoObservationsError:
    rule = "flagged in_sample" + (f" that pass its sample query {query!r}" if query else "")
    return NoObservationsError(f"model {model!r}: the estimation sample is empty: no panel row is {rule}")


def no_rows_error(
    model: str, keep: np.ndarray, columns: Mapping[str, Any], keys: pd.DataFrame | None, query: str | None
) -> NoObservationsError:
    """The error for a model whose sample rows `keep` have no complete row over `columns` (label -> values).

    `keys` (entity and time columns, full length) give example rows.
    """
    n = int(keep.sum())
    if n == 0:
        return empty_sample_error(model, query)
    empty = unobserved(columns, keep)
    if empty:
        return NoObservationsError(
            f"model {model!r}: column(s) {empty} have no non-missing value on the model's {n} sample rows"
            f"{_examples(keys, keep)}; fill them or change the model's columns or sample"
        )
    counts = ", ".join(f"{label} {int(_observed(v)[keep].sum())}" for label, v in columns.items())
    return NoObservationsError(
        f"model {model!r}: no complete observations in the sample: none of its {n} sample rows has every column "
        f"non-missing (non-missing rows per column: {counts})"
    )


def _names(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, Iterable) and not isinstance(raw, Mapping):
        return [r for r in raw if isinstance(r, str)]
    return []


def spec_columns(spec: Mapping[str, Any], entity: str, time: str) -> tuple[list[str], list[str]]:
    """(never-lagged columns, possibly lagged terms) a `models:` entry names, aliases resolved."""
    alias = {"entity": entity, "time": time}.get
    fixed = [entity, time] + [c for k in FIXED_KEYS for c in _names(spec.get(k))]
    fixed += [alias(p, p) for term in _names(spec.get("fe", ["entity", "time"])) for p in term.split("^")]
    for key, sub, default in (("vcov", "by", ["entity"]), ("loo_instrument", "by", []), ("bootstrap", "cluster", [])):
        part = spec.get(key)
        vtype = part.get("type", "cluster") if isinstance(part, Mapping) else "cluster"
        if key != "vcov" or vtype == "cluster":
            fixed += [alias(c, c) for c in _names(part.get(sub, default) if isinstance(part, Mapping) else default)]
    terms = [c for k in TERM_KEYS for c in _names(spec.get(k))]
    return list(dict.fromkeys(fixed)), [t for t in dict.fromkeys(terms) if t not in fixed]


def diagnose(panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str
             ) -> NoObservationsError | None:
    """The named-column error when a `models:` entry cannot have any complete row on `panel`, else None.

    Never raises: it explains another error, which stands when the diagnosis finds nothing or fails.
    """
    try:
        df = panel.reset_index(drop=True)
        query = spec.get("sample")
        keep = sample_mask(df, name, query)
        if not keep.any():
            return empty_sample_error(name, query)
        fixed, terms = spec_columns(spec, entity, time)
        present = set(df.columns)
        columns: dict[str, Any] = {c: df[c] for c in fixed if c in present}
        lag = spec.get("lag_years", 1)
        k = lag if isinstance(lag, int) and not isinstance(lag, bool) and lag >= 1 else 1
        for t in (t for t in terms if t in present):
            if unobserved({t: df[t]}, keep):  # missing on every sample row as is; report it if its lag is too
                try:
                    columns[t] = lag_by_time(df, [t], entity, time, k=k)[t]
                except (ValueError, TypeError):
                    continue
        empty = unobserved(columns, keep)
        if not empty:
            return None
        return no_rows_error(name, keep, {c: columns[c] for c in empty}, _keys(df, entity, time), query)
    except Exception:  # a diagnosis must never hide the error it explains
        return None


def _keys(df: pd.DataFrame, entity: str, time: str) -> pd.DataFrame | None:
    cols: Sequence[str] = [c for c in (entity, time) if c in df.columns]
    return df[list(cols)] if cols else None
