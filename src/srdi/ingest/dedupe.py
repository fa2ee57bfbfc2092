"""Repeated rows of a raw table: overlaps of split downloads, and repeated keys under the table's rule.

- Overlap: a row equal, cell for cell, to a row of an earlier file of the same table (two downloads whose
  year ranges overlap). Always dropped, and counted.
- Repeated key: rows that share the table's `unique` key but are not overlaps. `on_duplicate: error` (the
  default) stops ingestion naming the rows; `first` / `last` keep one row per key in stacking order (files by
  name, then rows in the file) and count the rest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .convert import FILE
from .errors import Problem, make_problem
from .mapping import TableSpec


def drop_overlaps(stacked: pd.DataFrame, codes: list[str]) -> tuple[pd.DataFrame, int]:
    """Drop rows that repeat a row of an earlier file; returns the frame and how many were dropped.

    Rows are compared column by column: after each column only the rows whose cells so far equal a row of
    another file stay candidates (two downloads overlap in a year or two, so the firm and date columns leave
    few), and the wide numeric columns are compared on those alone. Exact: equal cells, a missing cell as '\0'."""
    if stacked.empty or stacked[FILE].nunique() < 2:
        return stacked, 0
    rank = pd.factorize(stacked[FILE])[0]  # files in stacking order
    rows = np.arange(len(stacked))  # candidates: positions in `stacked`
    group = np.zeros(len(stacked), dtype=np.int64)  # rows with equal cells so far share a group
    for col in [c for c in codes if c in stacked.columns]:
        cells = pd.factorize(stacked[col].iloc[rows].astype("str").fillna("\x00"))[0]
        group = pd.factorize(group * (int(cells.max()) + 1) + cells)[0]
        by = pd.Series(rank[rows]).groupby(group)
        several = (by.transform("min") != by.transform("max")).to_numpy()  # rows of two files or more
        rows, group = rows[several], group[several]
        if not rows.size:
            return stacked, 0
    first = pd.Series(rank[rows]).groupby(group).transform("min").to_numpy()
    overlap = np.zeros(len(stacked), dtype=bool)
    overlap[rows[rank[rows] > first]] = True
    return stacked.loc[~overlap] if overlap.any() else stacked, int(overlap.sum())


def _values(frame: pd.DataFrame, keys: list[str]) -> list[tuple[object, ...]]:
    return [tuple(r) for r in frame[keys].itertuples(index=False)]


def duplicate_problems(frame: pd.DataFrame, dup: np.ndarray, rows: pd.Series, shown_keys: list[str],
                       spec: TableSpec, what: str, column: str, name: str | None) -> list[Problem]:
    """One problem per file naming the rows (`rows`: file row numbers aligned with `frame`) whose key repeats."""
    bad = frame.loc[dup].assign(_at=rows.to_numpy()[dup])
    files = bad[FILE] if FILE in bad.columns else pd.Series(spec.file, index=bad.index)
    out = []
    for file in pd.unique(files):
        part = bad.loc[(files == file).to_numpy()].sort_values("_at", kind="mergesort")
        out.append(make_problem(str(file), spec.key, what, column=column, name=name, rows=part["_at"].tolist(),
                                values=_values(part, shown_keys)))
    return out


def _arrow_text(keys: pd.DataFrame) -> pd.DataFrame:
    """Key columns of Python strings (missing: None, as to_typed gives) as Arrow-backed text, which pandas hashes
    without a Python call per cell (2-3x faster on 3 M patent numbers); the same values, so the same repeats.
    Other object columns stay as they are (pandas tells None from NaN and 1 from '1' there)."""
    def plain_text(col: pd.Series) -> bool:
        values = col.to_numpy()
        return (pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
                and int((values == None).sum()) == int(col.isna().sum()))  # noqa: E711 (elementwise)

    text = [k for k in keys.columns if keys[k].dtype == object and plain_text(keys[k])]
    return keys.astype(dict.fromkeys(text, "str")) if text else keys


def keep_rule(frame: pd.DataFrame, keys: list[str], rule: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows kept under `rule` (first / last) and the mask of rows whose key repeats."""
    keyed = _arrow_text(frame[keys])
    dup = keyed.duplicated(keep=False).to_numpy()
    if rule == "error" or not dup.any():
        return frame, dup
    keep = ~keyed.duplicated(keep=rule).to_numpy()
    return frame.loc[keep], dup


def repeated_keys(stacked: pd.DataFrame, spec: TableSpec, key_codes: list[str]
                  ) -> tuple[pd.DataFrame, list[Problem], int]:
    """Apply `spec.on_duplicate` to rows whose raw key cells repeat; returns frame, problems, rows dropped."""
    present = [c for c in key_codes if c in stacked.columns]
    if len(present) < len(key_codes) or stacked.empty:
        return stacked, [], 0
    kept, dup = keep_rule(stacked, present, spec.on_duplicate)
    if not dup.any():
        return stacked, [], 0
    if spec.on_duplicate == "error":
        what = ("duplicate key (each key may appear once; set on_duplicate: first or last in the mapping to "
                "keep one row per key)")
        rows = pd.Series(stacked.index, index=stacked.index)
        return stacked, duplicate_problems(stacked, dup, rows, present, spec, what, ", ".join(present),
                                           ", ".join(spec.unique)), 0
    return kept, [], len(stacked) - len(kept)
