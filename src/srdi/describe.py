"""Descriptive statistics and the correlation matrix of the estimation sample (the first tables of a paper)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from srdi.atomic import write_csv

SAMPLE_FLAG = "in_sample"


def sample_rows(panel: pd.DataFrame) -> pd.DataFrame:
    return panel[panel[SAMPLE_FLAG].fillna(False)] if SAMPLE_FLAG in panel.columns else panel


def descriptives(panel: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """N, mean, SD (ddof 1, as Stata's summarize), min, quartiles (linear interpolation) and max."""
    data = sample_rows(panel)
    rows = []
    for var in variables:
        s = data[var].dropna().astype(float)
        q = s.quantile([0.25, 0.5, 0.75]) if len(s) else pd.Series([np.nan] * 3)
        rows.append({"variable": var, "n": len(s), "mean": s.mean(), "sd": s.std(ddof=1), "min": s.min(),
                     "p25": q.iloc[0], "median": q.iloc[1], "p75": q.iloc[2], "max": s.max()})
    return pd.DataFrame(rows)


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
                r, p = stats.pearsonr(pair[a], pair[b])
            else:
                r, p = np.nan, np.nan
            rows.append({"var1": a, "var2": b, "r": float(r), "p_value": float(p), "n": n})
    return pd.DataFrame(rows)


def write_describe(panel_path: str | Path, variables: Sequence[str], tables_dir: str | Path) -> None:
    panel = pd.read_parquet(panel_path)
    missing = [v for v in variables if v not in panel.columns]
    if missing:
        raise ValueError(f"describe.variables names column(s) {missing} that {panel_path} does not have")
    write_csv(Path(tables_dir) / "descriptives.csv", descriptives(panel, variables), float_format="%.10g")
    write_csv(Path(tables_dir) / "correlations.csv", correlations(panel, variables), float_format="%.10g")
