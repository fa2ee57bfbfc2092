"""How a model kind's estimation is laid out in Snakemake jobs (workflow/rules/models.smk), decided at parse time.

With `resampling.shards: n > 1` a kind's models are split into up to n estimate jobs (`model_chunks`), and the
kinds whose draws split (SHARDED_KINDS in workflow/rules/common.smk) run n draw-shard jobs over the models
that make random draws (`makes_draws`). Models are fitted independently and every draw has its own stream,
so each layout writes the same estimates files. Pure Python: the workflow imports it while parsing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

NO_DRAWS = frozenset({"binary", "moderation"})  # kinds that never draw (their fitters ignore the seed)


def model_chunks(names: Sequence[str], shards: int) -> list[list[str]]:
    """The models of one kind in min(shards, len(names)) estimate jobs: the sorted names in contiguous chunks
    whose sizes differ by at most one (chunk i holds sorted names [i m // k, (i + 1) m // k), m models, k chunks).

    Stable: the same names and shard count give the same chunks; a new model moves at most the chunk
    boundaries, and only chunks whose models changed rerun.
    """
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ValueError(f"resampling.shards must be a positive integer, got {shards!r}")
    ordered = sorted(names)
    k = max(1, min(shards, len(ordered)))
    return [ordered[i * len(ordered) // k : (i + 1) * len(ordered) // k] for i in range(k)]


def makes_draws(kind: str, spec: Mapping[str, Any]) -> bool:
    """Whether a model of `kind` with config entry `spec` may make random draws (a resampling step).

    False only where it surely does not, so a draw-shard job never misses a model: a `panel` model without
    `placebo` (or with `reps: 0`) and `wild_bootstrap`, an `iv` model without `wild_bootstrap`, a
    `heterogeneity` model with `permutations: 0`, and the kinds that never draw.
    """
    if kind in NO_DRAWS:
        return False
    if kind == "panel":
        placebo = spec.get("placebo")
        has_placebo = isinstance(placebo, Mapping) and placebo.get("reps", 500) != 0
        return has_placebo or spec.get("wild_bootstrap") is not None
    if kind == "iv":
        return spec.get("wild_bootstrap") is not None
    if kind == "heterogeneity":
        return spec.get("permutations", 1000) != 0
    return True
