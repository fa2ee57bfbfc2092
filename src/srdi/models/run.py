"""The one call a Snakemake rule makes: panel file + model spec -> tidy estimates csv."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from srdi.atomic import write_csv
from srdi.models.kinds import fitter_for
from srdi.models.tidy import FLOAT_FORMAT


def run_model(
    panel_path: str | os.PathLike[str],
    spec: Mapping[str, Any],
    name: str,
    entity: str,
    time: str,
    out_path: str | os.PathLike[str],
    seed: int = 0,
) -> pd.DataFrame:
    """Read the parquet panel, fit the model of kind `spec["kind"]`, and write the tidy csv atomically.

    Any error (bad spec, missing column, outcome without variation, ...) is raised before the
    output is touched, so no partial or stale-looking file is left behind by this call.
    `seed` (from config) drives every random step of the model (bootstrap, permutation tests).
    """
    panel = pd.read_parquet(panel_path)
    frame = fitter_for(spec.get("kind", "panel"), name)(panel, spec, name, entity, time, seed)
    write_csv(out_path, frame, float_format=FLOAT_FORMAT)
    return frame
