"""The demeaned design of a `panel` model, built by fit_panel's own steps, for the wild cluster bootstrap.

`fit_panel` returns estimates, not its within-transformed data; the bootstrap needs the data. This module
runs the same steps with the same helpers (lag, `in_sample` + `sample`, listwise deletion, iterative
singletons, `hdfe.Absorber`, the collinearity rule, reghdfe's df_a and factor), so the rows, the demeaned
columns and the small-sample factor are fit_panel's (tests/test_wild_bootstrap.py checks the t statistic
against fit_panel's to 1e-10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from srdi.models.hdfe import Absorber, interact
from srdi.models.lags import lag_by_time
from srdi.models.panel import (
    _compact,
    _estimation_rows,
    _independent_by_scale,
    _no_rows_error,
    _numeric_values,
    _solve_ls,
)
from srdi.models.spec import ModelSpec, check_columns, parse_spec
from srdi.models.vcov import compute_vcov
from srdi.models.within import absorbed_dof, codes_of, singleton_mask


@dataclass(frozen=True)
class PanelDesign:
    """Within-transformed outcome and kept regressors, with the codes the bootstrap needs."""

    name: str
    terms: tuple[str, ...]  # kept terms, in spec order (collinear ones dropped as fit_panel drops them)
    xd: np.ndarray  # (N x k) demeaned regressors
    yd: np.ndarray  # (N,) demeaned outcome
    fe_codes: tuple[np.ndarray, ...]  # codes of each absorbed effect on the estimation rows (pooled OLS: one constant)
    clusters: np.ndarray  # codes 0..G-1 of the cluster column
    scale: float  # fit_panel's small-sample factor G/(G-1)·(N-1)/(N-K-a)
    rows: np.ndarray  # positions of the estimation rows in df (after reset_index)


def panel_design(
    df: pd.DataFrame, spec: ModelSpec | Mapping[str, Any], entity: str, time: str, name: str = "model"
) -> PanelDesign:
    """fit_panel's steps 1-6 and its covariance factor, for a model clustered by one column."""
    spec = parse_spec(spec, name, entity, time) if not isinstance(spec, ModelSpec) else spec
    if spec.vcov_type != "cluster" or len(spec.cluster_by) != 1:
        raise ValueError(
            f"model {spec.name!r}: the wild cluster bootstrap needs vcov {{type: cluster}} with one cluster "
            f"column, got {spec.vcov_label}"
        )
    check_columns(spec, df.columns, entity, time)
    df = df.reset_index(drop=True)
    lagged = lag_by_time(df, spec.lag, entity, time, k=spec.lag_years) if spec.lag else None

    def column(col: str) -> pd.Series:
        return lagged[col] if lagged is not None and col in spec.lag else df[col]

    rows, _ = _estimation_rows(df, spec, entity, time, column)
    if rows.size == 0:
        raise _no_rows_error(df, spec, entity, time, column)
    fe_keys = ["^".join(parts) for parts in spec.fe_columns(entity, time)]
    fe_codes = [interact([codes_of(column(c).to_numpy()[rows]) for c in key.split("^")]) for key in fe_keys]
    if fe_codes:
        keep = singleton_mask(fe_codes)
        if not keep.all():
            rows = rows[keep]
            fe_codes = [_compact(c[keep]) for c in fe_codes]
    known = dict(zip(fe_keys, fe_codes, strict=True))
    terms = list(spec.terms)
    data = np.empty((rows.size, 1 + len(terms)), order="F")
    for j, col in enumerate([spec.outcome, *terms]):
        data[:, j] = _numeric_values(column(col), rows, col, spec.name)
    norms = np.sqrt([np.dot(data[:, j], data[:, j]) for j in range(data.shape[1])])
    Absorber(fe_codes).demean(data)
    kept = _independent_by_scale(data[:, 1:], norms[1:])
    if not kept:
        raise ValueError(f"model {spec.name!r}: every regressor is collinear or absorbed: {terms}")
    xd = np.ascontiguousarray(data[:, [1 + j for j in kept]])
    yd = data[:, 0].copy()
    by = spec.cluster_by[0]
    clusters = known[by] if by in known else codes_of(column(by).to_numpy()[rows])
    dof = absorbed_dof(fe_codes, [clusters], rows.size)
    _, resid = _solve_ls(xd, yd)  # fit_panel's solver; only the factor is kept (it needs N - K > 0)
    scale = compute_vcov(xd, resid, "cluster", dof.df_a, [clusters]).scale
    if not fe_codes:  # pooled OLS: the centring is the one-level effect of the intercept (not nested in clusters)
        fe_codes = [np.zeros(rows.size, dtype=np.int64)]
    return PanelDesign(
        name=spec.name, terms=tuple(terms[j] for j in kept), xd=xd, yd=yd, fe_codes=tuple(fe_codes),
        clusters=np.asarray(clusters, dtype=np.int64), scale=scale, rows=rows,
    )
