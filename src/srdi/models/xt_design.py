"""Rows and design matrix of the `xtreg`-style estimators (random effects, between, first differences, Mundlak).

These estimators treat the entity effect as part of the model rather than absorbing it, so they need the rows
themselves, the entity of each row and the regressors as a matrix. The row selection is the `panel` kind's, so
that a random-effects model runs on the same firm-years as the fixed-effects model of the same spec:

1. lag the `lag` terms by `lag_years` calendar years within the entity, on the full panel (`lag_by_time`);
2. keep rows flagged `in_sample` that pass the `sample` query (`rows.sample_mask`, unlagged columns);
3. listwise deletion over outcome, regressors, controls, cluster column and the keys;
4. singletons (entities with one row) are kept, as `xtreg` keeps them, unless `drop_singletons=True`
   (reghdfe's sample of a firm-FE model; with firm and year effects, also years with one row, iteratively).

Effects: `fe` must contain the entity (the random / between / differenced effect) and may contain the time
column, which then enters as year dummies `<time>=<year>` for every year but the first (Stata `i.year`);
any other effect is refused. The constant is not in `x`: each estimator adds it where it belongs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from srdi.models.lags import lag_by_time
from srdi.models.rows import numeric_matrix, sample_mask
from srdi.models.spec import ModelSpec, check_columns, parse_spec
from srdi.models.within import codes_of, singleton_mask


@dataclass(frozen=True)
class XtDesign:
    """One model's estimation rows as arrays (row order: as in the panel)."""

    spec: ModelSpec
    y: np.ndarray  # (N,)
    x: np.ndarray  # (N, p): spec terms, then year dummies; no constant
    names: tuple[str, ...]  # column names of x
    entity: np.ndarray  # (N,) codes 0..n-1 (sorted entity labels)
    time: np.ndarray  # (N,) time values (lag-aware calendar years)
    cluster: np.ndarray | None  # (N,) codes of the cluster column (entity when vcov is robust), None if unadjusted
    rows: np.ndarray  # positions of the rows in the input frame
    n_missing: int  # sample rows removed by listwise deletion
    n_singletons: int  # rows dropped as singletons (0 unless drop_singletons)

    @property
    def n_entities(self) -> int:
        return int(self.entity.max()) + 1 if self.entity.size else 0

    @property
    def time_dummies(self) -> tuple[str, ...]:
        return self.names[len(self.spec.terms):]


def xt_spec(spec: ModelSpec | Mapping[str, Any], entity: str, time: str, name: str, kind: str) -> ModelSpec:
    """Parse a `panel`-style spec and check that its effects are the entity (and optionally time)."""
    if not isinstance(spec, ModelSpec):
        spec = parse_spec({**spec, "kind": "panel"}, name, entity, time)
    effects = set(spec.fe_terms(entity, time))
    if entity not in effects or not effects <= {entity, time}:
        raise ValueError(
            f"model {spec.name!r}: {kind} needs fe [entity] or [entity, time] (time enters as year dummies), "
            f"got {list(spec.fe)}"
        )
    if spec.vcov_type == "cluster" and len(spec.cluster_by) != 1:
        raise ValueError(f"model {spec.name!r}: {kind} clusters on one column, got {list(spec.cluster_by)}")
    return spec


def build_design(
    df: pd.DataFrame, spec: ModelSpec, entity: str, time: str, *, drop_singletons: bool = False
) -> XtDesign:
    """Select the rows (module docstring) and gather y, the regressors and the year dummies."""
    check_columns(spec, df.columns, entity, time)
    df = df.reset_index(drop=True)
    lagged = lag_by_time(df, spec.lag, entity, time, k=spec.lag_years) if spec.lag else None

    def column(col: str) -> pd.Series:
        return lagged[col] if lagged is not None and col in spec.lag else df[col]

    keep = sample_mask(df, spec.name, spec.sample)
    complete = keep.copy()
    for col in spec.required_columns(entity, time):
        complete &= column(col).notna().to_numpy()
    rows = np.flatnonzero(complete)
    n_missing = int(keep.sum() - complete.sum())
    if rows.size == 0:
        raise ValueError(f"model {spec.name!r}: no complete observations in the sample")

    with_time = time in spec.fe_terms(entity, time)
    n_singletons = 0
    if drop_singletons:
        codes = [codes_of(df[entity].to_numpy()[rows])]
        if with_time:
            codes.append(codes_of(df[time].to_numpy()[rows]))
        mask = singleton_mask(codes)
        n_singletons = int((~mask).sum())
        rows = rows[mask]
        if rows.size == 0:
            raise ValueError(f"model {spec.name!r}: no observations left after dropping singletons")

    frame = pd.DataFrame({c: column(c).to_numpy()[rows] for c in (spec.outcome, *spec.terms)})
    values = numeric_matrix(frame, [spec.outcome, *spec.terms], spec.name)
    years = df[time].to_numpy()[rows]
    names = list(spec.terms)
    x = values[:, 1:]
    if with_time:
        levels = np.unique(years)
        dummies = (years[:, None] == levels[None, 1:]).astype(float)
        x = np.column_stack([x, dummies])
        names += [f"{time}={_label(v)}" for v in levels[1:]]
    ent = codes_of(df[entity].to_numpy()[rows])
    cluster = None
    if spec.vcov_type == "robust":
        cluster = ent  # xtreg: vce(robust) is vce(cluster panelvar)
    elif spec.vcov_type == "cluster":
        cluster = codes_of(df[spec.cluster_by[0]].to_numpy()[rows])
    return XtDesign(spec, values[:, 0], np.ascontiguousarray(x), tuple(names), ent, years, cluster, rows,
                    n_missing, n_singletons)


def _label(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else str(value)


def group_means(a: np.ndarray, codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Means of the columns of `a` (N x p) within each code (n x p): vectorised bincount."""
    a2 = a[:, None] if a.ndim == 1 else a
    sums = np.stack([np.bincount(codes, weights=a2[:, j], minlength=counts.size) for j in range(a2.shape[1])], 1)
    out = sums / counts[:, None]
    return out[:, 0] if a.ndim == 1 else out


def cluster_meat(scores: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Σ_g s_g s_g' with s_g the within-cluster sums of the score rows."""
    levels = int(codes.max()) + 1
    sums = np.stack([np.bincount(codes, weights=scores[:, j], minlength=levels) for j in range(scores.shape[1])], 1)
    return sums.T @ sums


def is_nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True if every level of `inner` lies in one level of `outer`."""
    seen = np.empty(int(inner.max()) + 1, dtype=np.int64)
    seen[inner] = outer
    return bool(np.array_equal(seen[inner], outer))
