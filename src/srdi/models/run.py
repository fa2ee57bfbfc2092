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
from srdi.blas_threads import limit_blas
from srdi.clusters import MIN_CLUSTERS
from srdi.models import draws
from srdi.models.draws import DrawPlan
from srdi.models.kinds import fitter_for
from srdi.models.tidy import FLOAT_FORMAT
from srdi.models.unobserved import NoObservationsError, diagnose

logger = logging.getLogger(__name__)
# rows that repeat an equation's facts (indirect effect, permutation gap, marginal effects, IV tests)
DERIVED_EQUATIONS = frozenset({"indirect", "jiang_two_step", "difference", "marginal_effect", "diagnostic"})


@limit_blas()
def fit_one(
    panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int, source: str
) -> pd.DataFrame:
    """The tidy estimates of one model of any kind (`source` names the panel file in errors).

    The run step is the one place every kind passes through: a fit that fails because a column has no value
    on the model's sample rows is reported naming the column(s), whichever kind's check stopped first.
    """
    fitter = fitter_for(spec.get("kind", "panel"), name)
    try:
        frame = fitter(panel, spec, name, entity, time, seed)
    except NoObservationsError as exc:
        raise NoObservationsError(f"{exc}; panel file {source}") from exc
    except ValueError as exc:
        found = diagnose(panel, spec, name, entity, time)
        if found is None:
            raise
        raise NoObservationsError(f"{found}; panel file {source} (the fit stopped with: {exc})") from exc
    log_few_clusters(frame, name)
    return frame


def log_few_clusters(frame: pd.DataFrame, name: str) -> None:
    """Warn in the estimate job's log for each clustering of the model with fewer than MIN_CLUSTERS clusters.

    Read from the tidy estimates (`vcov` = "cluster:<columns>", `n_clusters` = G), so every kind is covered
    in one place; the regression tables add the matching note.
    """
    if not {"vcov", "n_clusters"} <= set(frame.columns):
        return
    g = pd.to_numeric(frame["n_clusters"], errors="coerce").astype(float)  # nullable Int64 -> NaN, not <NA>
    few = frame[frame["vcov"].astype(str).str.startswith("cluster:") & (g < MIN_CLUSTERS)].assign(_g=g)
    for (vcov, n), part in few.groupby(["vcov", "_g"], sort=True):
        eqs = [] if "equation" not in part else sorted(set(part["equation"].dropna().astype(str)) - DERIVED_EQUATIONS)
        logger.warning(
            "model %r%s is clustered by %s with only %d clusters: cluster-robust standard errors and p-values "
            "are unreliable with fewer than %d clusters",
            name, f" ({', '.join(eqs)})" if eqs else "", str(vcov).split(":", 1)[1], int(n), MIN_CLUSTERS,
        )


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
    frame = fit_one(panel, spec, name, entity, time, seed, str(panel_path))
    write_csv(out_path, frame, float_format=FLOAT_FORMAT)
    return frame


def run_models(
    panel_path: str | os.PathLike[str],
    specs: Mapping[str, Mapping[str, Any]],
    seeds: Mapping[str, int],
    entity: str,
    time: str,
    out_dir: str | os.PathLike[str],
    plan: DrawPlan | None = None,
) -> dict[str, pd.DataFrame]:
    """Fit several models on one read of the panel and write `<out_dir>/<name>.csv` for each.

    A specification grid then pays Python start-up and the panel read once per batch, not once per model.
    A model that fails does not stop the others: each good model's file is written (atomically), then the
    failures are raised together, so one bad new specification never costs the batch's other estimates (the
    workflow profile keeps a failed job's finished files: `keep-incomplete`).

    `plan` (srdi.models.draws) splits the resampling draws across jobs: a shard plan computes one shard's
    draws (the caller writes them; no estimates file is written), a combine plan uses the shards' draws.
    """
    panel = pd.read_parquet(panel_path)
    frames: dict[str, pd.DataFrame] = {}
    failures: list[str] = []
    for name, spec in sorted(specs.items()):
        try:
            with draws.using(plan, name):
                frame = fit_one(panel, spec, name, entity, time, int(seeds[name]), str(panel_path))
        except (ValueError, KeyError, np.linalg.LinAlgError) as exc:
            logger.error("model %r failed: %s", name, exc)
            failures.append(f"model {name!r}: {exc}" if name not in str(exc) else str(exc))
            continue
        if plan is not None and plan.shard is not None:
            continue  # a shard's estimates use only part of the draws: only its draws are kept
        write_csv(Path(out_dir) / f"{name}.csv", frame, float_format=FLOAT_FORMAT)
        frames[name] = frame
    if failures:
        raise ValueError("; ".join(failures) + (f" (the batch's other {len(frames)} model(s) were written)"
                                                 if frames else ""))
    return frames
