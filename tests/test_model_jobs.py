"""A kind's models in estimate jobs: with resampling.shards n > 1 a specification grid is split into up to n jobs,
each model's estimates file written by exactly one of them, and the draw-shard jobs cover the models that draw."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from srdi.model_jobs import makes_draws, model_chunks

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("m", [1, 2, 5, 7, 100])
@pytest.mark.parametrize("shards", [1, 2, 3, 8])
def test_chunks_are_sorted_contiguous_balanced_and_cover_every_model_once(m, shards):
    names = [f"spec_{i:03d}" for i in np.random.default_rng(m).permutation(m)]
    chunks = model_chunks(names, shards)
    assert len(chunks) == min(shards, m)
    assert [n for chunk in chunks for n in chunk] == sorted(names)
    sizes = [len(c) for c in chunks]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1
    assert model_chunks(list(reversed(names)), shards) == chunks  # the order of config entries does not matter


def test_chunks_of_a_small_grid_by_hand():
    assert model_chunks(["e", "a", "d", "b", "c"], 3) == [["a"], ["b", "c"], ["d", "e"]]
    assert model_chunks(["b", "a"], 5) == [["a"], ["b"]]
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="positive integer"):
            model_chunks(["a"], bad)


def test_which_models_make_draws():
    assert makes_draws("panel", {"placebo": {"reps": 10}})
    assert makes_draws("panel", {"placebo": {}})  # default reps 500
    assert makes_draws("panel", {"wild_bootstrap": {}})
    assert not makes_draws("panel", {"placebo": {"reps": 0}})
    assert not makes_draws("panel", {"oster": {}, "random_effects": True})
    assert makes_draws("iv", {"wild_bootstrap": None}) is False and makes_draws("iv", {"wild_bootstrap": {}})
    assert makes_draws("heterogeneity", {}) and not makes_draws("heterogeneity", {"permutations": 0})
    assert makes_draws("mediation", {}) and makes_draws("did", {})  # a kind not known here: assume it draws
    assert not makes_draws("binary", {}) and not makes_draws("moderation", {})


# ------------------------------------------------------------------------------------ the planned DAG

GRID = {f"spec_{i}": {"kind": "panel", "outcome": "y", "regressors": ["x"], "lag": []} for i in range(7)}
GRID["spec_1"] = {**GRID["spec_1"], "placebo": {"reps": 100}}
GRID["spec_5"] = {**GRID["spec_5"], "wild_bootstrap": {"reps": 99}, "vcov": {"type": "cluster", "by": ["ind"]}}
GRID["iv_a"] = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z"], "lag": []}
GRID["iv_b"] = {**GRID["iv_a"], "wild_bootstrap": {"reps": 99}, "vcov": {"type": "cluster", "by": ["ind"]}}


def _planned_jobs(tmp_path: Path, shards: int) -> dict[str, dict[str, list[str]]]:
    """rule name -> its input and output files, from a dry run of a user's panel with the grid above."""
    work = tmp_path / f"shards{shards}"
    shutil.copytree(ROOT / "workflow", work / "workflow", ignore=shutil.ignore_patterns("slurm", "__pycache__"))
    rng = np.random.default_rng(0)
    panel = pd.DataFrame([(f"{i:06d}", y) for i in range(40) for y in range(2015, 2021)], columns=["firm", "year"])
    panel[["x", "y", "z"]] = rng.normal(size=(len(panel), 3))
    panel["ind"] = np.arange(len(panel)) % 6
    (work / "data").mkdir()
    panel.to_csv(work / "data/panel.csv", index=False)
    config = {"data": {"source": "panel", "panel_file": "data/panel.csv", "entity": "firm", "time": "year"},
              "resampling": {"shards": shards}, "models": GRID}
    (work / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1"], cwd=work, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stderr[-4000:]
    jobs: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in run.stdout.splitlines():
        if m := re.match(r"^(?:local)?(?:rule|checkpoint) (\w+):", line):
            current = jobs.setdefault(m.group(1), {"input": [], "output": []})
        elif current is not None and (m := re.match(r"^\s+(input|output): (.*)", line)):
            current[m.group(1)] += m.group(2).split(", ")
    return jobs


@pytest.mark.slow
def test_shards_split_a_grid_into_chunk_jobs_each_estimates_file_from_one_job(tmp_path):
    jobs = _planned_jobs(tmp_path, 3)
    panel_names = sorted(n for n in GRID if GRID[n]["kind"] == "panel")
    chunks = {f"estimate_panel_{i}": chunk for i, chunk in enumerate(model_chunks(panel_names, 3))}
    for rule, chunk in chunks.items():
        assert jobs[rule]["output"] == [f"results/estimates/{n}.csv" for n in chunk], rule
    assert list(chunks.values()) == [["spec_0", "spec_1"], ["spec_2", "spec_3"], ["spec_4", "spec_5", "spec_6"]]
    assert jobs["estimate_iv_0"]["output"] == ["results/estimates/iv_a.csv"]
    written = [f for rule, job in jobs.items() if rule.startswith("estimate_") for f in job["output"]]
    assert sorted(written) == sorted(f"results/estimates/{n}.csv" for n in GRID)  # every model once
    # draw shards: three jobs per kind over the models that draw; only chunks holding such a model combine them
    draws = {k: [f"results/interim/draws/{k}/{s}.npz" for s in range(3)] for k in ("panel", "iv")}
    for rule, job in jobs.items():
        if rule.startswith("estimate_"):
            kind = rule.split("_")[1]
            drawing = {"estimate_panel_0", "estimate_panel_2", "estimate_iv_1"}  # spec_1, spec_5, iv_b
            expected = draws[kind] if rule in drawing else []
            assert [f for f in job["input"] if "/draws/" in f] == expected, rule
    assert {r for r in jobs if r.startswith("draws_")} == {"draws_panel", "draws_iv"}


@pytest.mark.slow
def test_one_shard_keeps_one_estimate_job_per_kind(tmp_path):
    jobs = _planned_jobs(tmp_path, 1)
    assert {r for r in jobs if r.startswith(("estimate_", "draws_"))} == {"estimate_panel", "estimate_iv"}
    assert jobs["estimate_panel"]["output"] == sorted(f"results/estimates/{n}.csv" for n in GRID
                                                      if GRID[n]["kind"] == "panel")
