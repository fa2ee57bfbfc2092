"""One tidy row per coefficient: the estimates-file contract that tables and the report read.

Term names stay the panel's column names even when a term is lagged; the `lag` column says by how many calendar
years (0 = contemporaneous), so a table can print L.x without parsing names."""

from __future__ import annotations

import pandas as pd

from srdi.models.panel import PanelResult
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

FLOAT_FORMAT = "%.12g"  # 12 significant digits: beyond any reported precision, stable across BLAS builds


def term_lag(spec: ModelSpec, term: str) -> int:
    """Calendar years by which `term` enters the model: `lag_years` if it is in `lag`, else 0."""
    return spec.lag_years if term in spec.lag else 0


def tidy(result: PanelResult, model_name: str) -> pd.DataFrame:
    """Rows in spec order (regressors of interest, then controls; dropped terms omitted)."""
    spec = result.spec
    terms = [t for t in spec.terms if t in result.params.index]
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
