"""Panel file + model spec(s) -> tidy estimates csv(s): what the estimate rules call (`run_models`, one process
per model kind) and the single-model library call (`run_model`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from srdi.atomic import write_csv
from srdi.models.kinds import fitter_for
from srdi.models.tidy import FLOAT_FORMAT

logger = logging.getLogger(__name__)


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


def run_models(
    panel_path: str | os.PathLike[str],
    specs: Mapping[str, Mapping[str, Any]],
    seeds: Mapping[str, int],
    entity: str,
    time: str,
    out_dir: str | os.PathLike[str],
) -> dict[str, pd.DataFrame]:
    """Fit several models on one read of the panel and write `<out_dir>/<name>.csv` for each.

    A specification grid then pays Python start-up and the panel read once per batch, not once per model.
    A model that fails does not stop the others: each good model's file is written (atomically), then the
    failures are raised together, so one bad new specification never costs the batch's other estimates (the
    workflow profile keeps a failed job's finished files: `keep-incomplete`).
    """
    panel = pd.read_parquet(panel_path)
    frames: dict[str, pd.DataFrame] = {}
    failures: list[str] = []
    for name, spec in sorted(specs.items()):
        try:
            frame = fitter_for(spec.get("kind", "panel"), name)(panel, spec, name, entity, time, int(seeds[name]))
        except (ValueError, KeyError, np.linalg.LinAlgError) as exc:
            logger.error("model %r failed: %s", name, exc)
            failures.append(f"model {name!r}: {exc}" if name not in str(exc) else str(exc))
            continue
        write_csv(Path(out_dir) / f"{name}.csv", frame, float_format=FLOAT_FORMAT)
        frames[name] = frame
    if failures:
        raise ValueError("; ".join(failures) + (f" (the batch's other {len(frames)} model(s) were written)"
                                                 if frames else ""))
    return frames
