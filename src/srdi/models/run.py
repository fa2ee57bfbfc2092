"""The one call a Snakemake rule makes: panel file + model spec -> tidy estimates csv."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from srdi.atomic import write_csv
from srdi.models.panel import fit_panel
from srdi.models.spec import check_columns, parse_spec
from srdi.models.tidy import FLOAT_FORMAT, tidy


def run_model(
    panel_path: str | os.PathLike[str],
    spec: Mapping[str, Any],
    name: str,
    entity: str,
    time: str,
    out_path: str | os.PathLike[str],
) -> pd.DataFrame:
    """Read the parquet panel, validate `spec` against it, fit, and write the tidy csv atomically.

    Any error (bad spec, missing column, outcome without variation, ...) is raised before the
    output is touched, so no partial or stale-looking file is left behind by this call.
    """
    panel = pd.read_parquet(panel_path)
    model = parse_spec(spec, name, entity, time)
    check_columns(model, panel.columns, entity, time)
    result = fit_panel(panel, model, entity, time)
    frame = tidy(result, name)
    write_csv(out_path, frame, float_format=FLOAT_FORMAT)
    return frame
