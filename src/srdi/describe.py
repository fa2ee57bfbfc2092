"""Descriptive statistics and the correlation matrix of the baseline model's estimation sample, the same statistics on
every firm-year that passes the sample filters, and the variable definitions (the first tables of a paper).

The estimation sample is found by the steps `srdi.models.panel.fit_panel` takes before estimating (lag, sample
filters and query, listwise deletion, singletons of the absorbed effects), from the same functions, so its N is the
regression's N (tests/test_describe.py checks it against the fit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from srdi.atomic import write_csv
from srdi.panel.codebook import codebook
from srdi.report.estimates import base_term

SAMPLE_FLAG = "in_sample"


def sample_rows(panel: pd.DataFrame) -> pd.DataFrame:
    return panel[panel[SAMPLE_FLAG].fillna(False)] if SAMPLE_FLAG in panel.columns else panel


def estimation_sample(panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str,
                      time: str) -> pd.DataFrame:
    """The rows a `kind: panel` model estimates on, with each lagged term's column holding the lagged value the
    regression uses and renamed as the tables show it (L.coinnov), so every model variable has the regression's N."""
    from srdi.models.hdfe import interact
    from srdi.models.lags import lag_by_time
    from srdi.models.panel import _estimation_rows
    from srdi.models.panel_kind import OPTIONS
    from srdi.models.spec import parse_spec
    from srdi.models.within import codes_of, singleton_mask
    from srdi.report.estimates import shown_term

    model = parse_spec({k: v for k, v in spec.items() if k not in OPTIONS}, name, entity, time)
    df = panel.reset_index(drop=True)
    lagged = lag_by_time(df, model.lag, entity, time, k=model.lag_years) if model.lag else None

    def column(col: str) -> pd.Series:
        return lagged[col] if lagged is not None and col in model.lag else df[col]

    rows, _ = _estimation_rows(df, model, entity, time, column)
    fe_keys = ["^".join(parts) for parts in model.fe_columns(entity, time)]
    if fe_keys and rows.size:
        codes = [interact([codes_of(column(c).to_numpy()[rows]) for c in key.split("^")]) for key in fe_keys]
        rows = rows[singleton_mask(codes)]
    out = df.iloc[rows].copy()
    for col in model.lag:
        out[col] = column(col).to_numpy()[rows]
    return out.rename(columns={c: shown_term(c, model.lag_years) for c in model.lag})


def descriptives(panel: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """N, mean, SD (ddof 1, as Stata's summarize), min, quartiles (linear interpolation) and max, on the rows that
    pass the sample filters (all rows of a frame without the `in_sample` flag, such as an estimation sample)."""
    data = sample_rows(panel)
    rows = []
    for var in variables:
        s = data[var].dropna().astype(float)
        q = s.quantile([0.25, 0.5, 0.75]) if len(s) else pd.Series([np.nan] * 3)
        rows.append({"variable": var, "n": len(s), "mean": s.mean(), "sd": s.std(ddof=1), "min": s.min(),
                     "p25": q.iloc[0], "median": q.iloc[1], "p75": q.iloc[2], "max": s.max()})
    return pd.DataFrame(rows)


def pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Pearson's r and its two-sided p-value for two non-constant float64 vectors of n > 2: scipy.stats.pearsonr's
    arithmetic step by step (scipy 1.17: centred, scaled by the largest deviation, norms along the axis, the p-value
    from the beta distribution on [-1, 1]), so the same bits without importing scipy.stats (about a second of the
    job's start-up). tests/test_describe.py compares the two."""
    n = float(x.size)
    xm = x - np.mean(x, axis=-1, keepdims=True)
    ym = y - np.mean(y, axis=-1, keepdims=True)
    xmax = np.max(np.abs(xm), axis=-1, keepdims=True)
    ymax = np.max(np.abs(ym), axis=-1, keepdims=True)
    normxm = xmax * np.linalg.norm(xm / xmax, axis=-1, keepdims=True)
    normym = ymax * np.linalg.norm(ym / ymax, axis=-1, keepdims=True)
    r = np.clip(np.vecdot(xm / normxm, ym / normym, axis=-1), -1.0, 1.0)
    ab = np.asarray(n / 2 - 1, dtype=np.float64)
    p = 2 * special.betaincc(ab, ab, (np.abs(r) - -1) / 2)
    return float(r), float(p)


def correlations(panel: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """Pairwise Pearson correlations with two-sided p-values, long form (var1, var2, r, p_value, n)."""
    data = sample_rows(panel)
    rows = []
    for i, a in enumerate(variables):
        for b in variables[: i + 1]:
            pair = data[[a, b]].dropna().astype(float) if a != b else data[[a]].dropna().astype(float)
            n = len(pair)
            if a == b:
                r, p = 1.0, 0.0
            elif n > 2 and pair[a].std() > 0 and pair[b].std() > 0:
                r, p = pearson(pair[a].to_numpy(), pair[b].to_numpy())
            else:
                r, p = np.nan, np.nan
            rows.append({"var1": a, "var2": b, "r": float(r), "p_value": float(p), "n": n})
    return pd.DataFrame(rows)


def write_describe(panel_path: str | Path, variables: Sequence[str], tables_dir: str | Path,
                   sample_model: Mapping[str, Any] | None = None) -> None:
    """descriptives.csv and correlations.csv on the estimation sample of `sample_model` ({name, spec, entity,
    time}; None: every firm-year passing the filters), descriptives_panel.csv on the latter, variables.csv."""
    panel = pd.read_parquet(panel_path)
    missing = [v for v in variables if v not in panel.columns]
    if missing:
        raise ValueError(f"describe.variables names column(s) {missing} that {panel_path} does not have")
    sample, described = panel, list(variables)
    if sample_model:
        sample = estimation_sample(panel, sample_model["spec"], sample_model["name"], sample_model["entity"],
                                   sample_model["time"]).drop(columns=SAMPLE_FLAG, errors="ignore")
        lagged = {base_term(c): c for c in sample.columns if base_term(c) != c}
        described = [lagged.get(v, v) for v in variables]  # the regressor as the regression uses it: L.coinnov
    out = Path(tables_dir)
    write_csv(out / "descriptives.csv", descriptives(sample, described), float_format="%.10g")
    write_csv(out / "descriptives_panel.csv", descriptives(panel, variables), float_format="%.10g")
    write_csv(out / "correlations.csv", correlations(sample, described), float_format="%.10g")
    write_csv(out / "variables.csv", codebook(variables))
