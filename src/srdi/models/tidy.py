"""One tidy row per coefficient: the estimates-file contract that tables and the report read.

Term names stay the panel's column names even when a term is lagged; the `lag` column says by how many calendar
years (0 = contemporaneous), so a table can print L.x without parsing names."""

from __future__ import annotations

import pandas as pd

from srdi.models.panel import CONS, PanelResult
from srdi.models.spec import ModelSpec

TIDY_COLUMNS = (
    "model",
    "outcome",
    "term",
    "lag",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "nobs",
    "r2_within",
    "n_clusters",
    "fe",
    "vcov",
    "n_singletons",
    "dropped_terms",
)

FIT_STAT_COLUMNS = ("r2", "r2_adj", "r2_within_adj")  # with fit_stats=True, placed right after r2_within

FLOAT_FORMAT = "%.12g"  # 12 significant digits: beyond any reported precision, stable across BLAS builds


def term_lag(spec: ModelSpec, term: str) -> int:
    """Calendar years by which `term` enters the model: `lag_years` if it is in `lag`, else 0."""
    return spec.lag_years if term in spec.lag else 0


def tidy(result: PanelResult, model_name: str, *, constant: bool = False, fit_stats: bool = False) -> pd.DataFrame:
    """Rows in spec order (regressors of interest, then controls; dropped terms omitted).

    constant=True adds Stata's `_cons` row (lag 0) after them; fit_stats=True adds the columns
    `FIT_STAT_COLUMNS` (overall R², reghdfe's adjusted R² and adjusted within R²) right after `r2_within`.
    Both default to off, so the contract `TIDY_COLUMNS` and the rows of every existing caller are unchanged.
    """
    spec = result.spec
    terms = [t for t in spec.terms if t in result.params.index]
    frame = _rows(result, model_name, terms)
    if constant:
        cons = frame.iloc[[0]].copy()  # fit_panel keeps at least one term; model-level columns are shared
        for col, value in {"term": CONS, "lag": 0, **result.cons_inference()}.items():
            cons[col] = value
        frame = pd.concat([frame, cons], ignore_index=True)
    if fit_stats:
        at = frame.columns.get_loc("r2_within") + 1
        for j, col in enumerate(FIT_STAT_COLUMNS):
            frame.insert(at + j, col, [getattr(result, col)] * len(frame))
    return frame.astype({"nobs": "int64", "n_singletons": "int64", "lag": "int64"})


def _rows(result: PanelResult, model_name: str, terms: list[str]) -> pd.DataFrame:
    spec = result.spec
    n = len(terms)
    frame = pd.DataFrame(
        {
            "model": [model_name] * n,
            "outcome": [spec.outcome] * n,
            "term": terms,
            "lag": [term_lag(spec, t) for t in terms],
            "estimate": result.params[terms].to_numpy(),
            "std_error": result.std_errors[terms].to_numpy(),
            "statistic": result.tstats[terms].to_numpy(),
            "p_value": result.pvalues[terms].to_numpy(),
            "conf_low": result.conf_low[terms].to_numpy(),
            "conf_high": result.conf_high[terms].to_numpy(),
            "nobs": [result.nobs] * n,
            "r2_within": [result.r2_within] * n,
            "n_clusters": pd.array([result.n_clusters] * n, dtype="Int64"),
            "fe": [spec.fe_label] * n,
            "vcov": [spec.vcov_label] * n,
            "n_singletons": [result.n_singletons] * n,
            "dropped_terms": [";".join(result.dropped_terms)] * n,
        },
        columns=list(TIDY_COLUMNS),
    )
    return frame.astype({"nobs": "int64", "n_singletons": "int64", "lag": "int64"})
