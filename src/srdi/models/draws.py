"""Random draws that can be split across jobs: each draw's stream depends only on the seed and its index.

A resampling step (permutation test, bootstrap, placebo) asks `resample(key, n, compute)` for its n draws.
Draw i always uses `draw_rng(seed, i)`, so the draws are the same whether one process computes all of them
or shards of a cluster run compute disjoint ranges (`srdi estimate --shard i/n`) that a combine step
(`--draws <files>`) hands back. Draws are computed in blocks of BLOCK consecutive indices, and shard
ranges are whole blocks, so even floating-point rounding (vectorised linear algebra over a block) is the
same in every layout: estimates files are byte-identical for any number of shards.

Without a plan (library use, tests, `shards: 1`) `resample` simply computes every draw.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BLOCK = 50  # draws per vectorised block; shard boundaries fall on multiples of it


def draw_rng(seed: int, index: int, *stream: int) -> np.random.Generator:
    """The generator of draw `index` (numpy's SeedSequence spawn key: independent of every other draw)."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(*stream, int(index))))


def draw_words(seed: int, indices: np.ndarray, width: int, *stream: int) -> np.ndarray:
    """(len(indices), width) raw 64-bit words: draw i's are words [i width, (i + 1) width) of one PCG64 stream
    (`SeedSequence(seed, spawn_key=stream)`), reached by `advance`, so they depend only on the seed and i.

    For steps whose draws need a fixed number of random words (wild bootstrap weights: one per cluster): a block
    of consecutive draws is one `advance` and one `random_raw` call instead of a generator per draw (`draw_rng`
    costs about 17 us a draw, 0.17 s for 9,999 draws); the words are those one generator would give in sequence.
    """
    indices = np.asarray(indices, dtype=np.int64)
    out = np.empty((indices.size, width), dtype=np.uint64)
    runs = np.split(np.arange(indices.size), np.flatnonzero(np.diff(indices) != 1) + 1) if indices.size else []
    for run in runs:
        bits = np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=stream))
        bits.advance(int(indices[run[0]]) * width)
        out[run] = bits.random_raw(run.size * width).reshape(run.size, width)
    return out


def shard_indices(n: int, shard: int, shards: int) -> np.ndarray:
    """Draw indices of shard `shard` (0-based) of `shards`: a contiguous run of whole blocks."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard must lie in 0..{shards - 1}, got {shard}")
    blocks = -(-n // BLOCK)
    lo, hi = shard * blocks // shards, (shard + 1) * blocks // shards
    return np.arange(min(lo * BLOCK, n), min(hi * BLOCK, n))


def blocks_of(indices: np.ndarray) -> Iterator[np.ndarray]:
    """The indices split at multiples of BLOCK (the unit every vectorised computation works on)."""
    indices = np.asarray(indices, dtype=np.int64)
    if indices.size:
        cuts = np.flatnonzero(np.diff(indices // BLOCK)) + 1
        yield from np.split(indices, cuts)


@dataclass
class DrawPlan:
    """What `resample` does in this process: compute one shard and record it, or use supplied draws."""

    shard: int | None = None
    shards: int = 1
    supplied: dict[str, np.ndarray] = field(default_factory=dict)
    recorded: dict[str, np.ndarray] = field(default_factory=dict)


_PLAN: contextvars.ContextVar[DrawPlan | None] = contextvars.ContextVar("srdi_draw_plan", default=None)
_MODEL: contextvars.ContextVar[str] = contextvars.ContextVar("srdi_draw_model", default="")


@contextlib.contextmanager
def using(plan: DrawPlan | None, model: str = "") -> Iterator[DrawPlan | None]:
    """Run the enclosed fits under `plan`, naming their draws after `model`."""
    plan_token, model_token = _PLAN.set(plan), _MODEL.set(model)
    try:
        yield plan
    finally:
        _PLAN.reset(plan_token)
        _MODEL.reset(model_token)


def resample(key: str, n: int, compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """(n, ...) draws of step `key`; `compute(indices)` returns the rows of those draw indices.

    In a shard job only the shard's rows are computed (the others are NaN: that job's estimates are
    discarded); in a combine job the supplied rows are returned and nothing is drawn.
    """
    plan = _PLAN.get()
    name = f"{_MODEL.get()}/{key}"
    if plan is not None and name in plan.supplied:
        draws = plan.supplied[name]
        if len(draws) != n:
            raise ValueError(f"draws {name!r}: the shard files hold {len(draws)} draws, the model needs {n}")
        return draws
    if plan is not None and plan.shard is not None:
        idx = shard_indices(n, plan.shard, plan.shards)
        part = _computed(compute, idx)
        plan.recorded[name] = part
        full = np.full((n, *part.shape[1:]), np.nan)
        full[idx] = part
        return full
    return _computed(compute, np.arange(n))


def partial_draws() -> bool:
    """Whether this process computes only a shard of the draws: its estimates are discarded, so a step may skip
    work that only the estimates need (a wild bootstrap's test-inversion interval)."""
    plan = _PLAN.get()
    return plan is not None and plan.shard is not None


def _computed(compute: Callable[[np.ndarray], np.ndarray], indices: np.ndarray) -> np.ndarray:
    parts = [np.asarray(compute(block), dtype=float) for block in blocks_of(indices)]
    if parts:
        return np.concatenate(parts)
    probe = np.asarray(compute(np.zeros(1, dtype=np.int64)), dtype=float)  # an empty shard: learn the row shape
    return np.empty((0, *probe.shape[1:]))


def write_shard(path: str | Path, plan: DrawPlan, n_shards: int) -> None:
    """The recorded draws of this shard (one npz array per model/step, no pickles)."""
    from srdi.atomic import atomic_path

    arrays = {name: arr for name, arr in sorted(plan.recorded.items())}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **{f"draws:{k}": v for k, v in arrays.items()},
                 **{"shard": np.array([plan.shard, n_shards])})


def read_shards(paths: list[str | Path]) -> DrawPlan:
    """A combine plan from every shard file: each step's rows concatenated in shard order."""
    parts: dict[int, dict[str, np.ndarray]] = {}
    n_shards = None
    for path in paths:
        with np.load(path, allow_pickle=False) as data:
            shard, total = (int(v) for v in data["shard"])
            if n_shards is not None and total != n_shards:
                raise ValueError(f"draw shard file {path}: made for {total} shards, others for {n_shards}")
            n_shards = total
            parts[shard] = {k.split(":", 1)[1]: data[k] for k in data.files if k.startswith("draws:")}
    if n_shards is not None and sorted(parts) != list(range(n_shards)):
        raise ValueError(f"draw shard files: expected shards 0..{n_shards - 1}, got {sorted(parts)}")
    names = sorted({k for p in parts.values() for k in p})
    return DrawPlan(supplied={k: np.concatenate([parts[s][k] for s in sorted(parts) if k in parts[s]])
                              for k in names})
