"""Estimation engine: linear panel models with absorbed firm/year effects and reghdfe-style SEs.

Public API: `run_model` (what the pipeline calls), `fit_panel` + `tidy` (library use),
`lag_by_time` (calendar lags), `parse_spec`/`ModelSpec` (config validation).
"""

from srdi.models.lags import lag_by_time
from srdi.models.panel import CollinearityWarning, PanelResult, fit_panel
from srdi.models.run import run_model, run_models
from srdi.models.spec import ModelSpec, parse_spec
from srdi.models.tidy import TIDY_COLUMNS, tidy

__all__ = [
    "TIDY_COLUMNS",
    "CollinearityWarning",
    "ModelSpec",
    "PanelResult",
    "fit_panel",
    "lag_by_time",
    "parse_spec",
    "run_model",
    "run_models",
    "tidy",
]
