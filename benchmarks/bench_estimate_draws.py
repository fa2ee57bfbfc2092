"""CPU seconds of the estimate_panel and estimate_iv jobs on a panel, for two versions of the package side by side.

What each job runs: `python -m srdi estimate` over the kind's models of config.yaml (the command of
workflow/rules/models.smk), so Python start-up and the panel read are included. The iv kind gets a second
model, `iv_wild`: the default IV model clustered by industry with `wild_bootstrap: {reps: 9999, weights: webb}`
(the default config's IV model has no wild bootstrap). Versions alternate run by run (before, after, before, ...)
so both see the same load; CPU = user + system time of the job's process (`getrusage` of the child).

With `--shards n` the after version also runs as the workflow does with `resampling.shards: n`: n draw-shard
jobs over the models that draw, then one combine job per chunk of models; reported as the CPU of all those jobs
and of the longest one, and checked to write the same bytes as the after version's one-job run.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_estimate_draws.py --panel results/panel.parquet \\
        --before /tmp/base/src --shards 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from srdi.config import load_config
from srdi.model_jobs import makes_draws, model_chunks
from srdi.seeds import derive_seed

ROOT = Path(__file__).resolve().parents[1]


def kind_models(config: dict, kind: str) -> dict[str, dict]:
    models = {n: m for n, m in config["models"].items() if m["kind"] == kind}
    if kind == "iv":
        base = config["models"]["endogeneity_iv"]
        models["iv_wild"] = {**base, "vcov": {"type": "cluster", "by": ["industry_code"]},
                             "wild_bootstrap": {"reps": 9999, "weights": "webb"}}
    return models


def cpu_of(cmd: list[str], src: Path) -> float:
    """User + system CPU seconds of one child process (fails loudly if the job fails)."""
    env = {**os.environ, "PYTHONPATH": str(src), "OPENBLAS_NUM_THREADS": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{run.stderr[-3000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def estimate_cmd(panel: Path, specs: Path, seeds: Path, config: dict, *tail: str) -> list[str]:
    return [sys.executable, "-m", "srdi", "estimate", "--panel", str(panel), "--specs", f"@{specs}",
            "--seeds", f"@{seeds}", "--entity", config["data"]["entity"], "--time", config["data"]["time"], *tail]


def write_job(folder: Path, name: str, models: dict, config: dict) -> tuple[Path, Path]:
    specs, seeds = folder / f"{name}_specs.json", folder / f"{name}_seeds.json"
    specs.write_text(json.dumps(models))
    seeds.write_text(json.dumps({n: derive_seed(config["seed"], f"model:{n}") for n in models}))
    return specs, seeds


def sharded(panel: Path, kind: str, models: dict, config: dict, shards: int, src: Path, work: Path) -> list[float]:
    """CPU of every job of the sharded layout: draw shards, then the chunk jobs (combine)."""
    drawing = {n: m for n, m in models.items() if makes_draws(kind, m)}
    cpus, files = [], []
    if drawing:
        specs, seeds = write_job(work, f"{kind}_draws", drawing, config)
        for s in range(shards):
            files.append(work / f"{kind}_{s}.npz")
            cpus.append(cpu_of(estimate_cmd(panel, specs, seeds, config, "--shard", f"{s}/{shards}",
                                             "--draws-out", str(files[-1])), src))
    for i, chunk in enumerate(model_chunks(list(models), shards)):
        specs, seeds = write_job(work, f"{kind}_chunk{i}", {n: models[n] for n in chunk}, config)
        combine = ["--draws", *map(str, files)] if any(n in drawing for n in chunk) else []
        cpus.append(cpu_of(estimate_cmd(panel, specs, seeds, config, "--out-dir", str(work / "sharded"),
                                        *combine), src))
    return cpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--panel", type=Path, required=True)
    ap.add_argument("--before", type=Path, required=True, help="src folder of the version before the change")
    ap.add_argument("--after", type=Path, default=ROOT / "src")
    ap.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shards", type=int, default=0, help="also time the after version in n shards")
    a = ap.parse_args()
    config = load_config(a.config)
    print(f"load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for kind in ("panel", "iv"):
            models = kind_models(config, kind)
            specs, seeds = write_job(work, kind, models, config)
            times: dict[str, list[float]] = {"before": [], "after": []}
            for _ in range(a.repeats):
                for version, src in (("before", a.before), ("after", a.after)):
                    out = work / version
                    times[version].append(cpu_of(estimate_cmd(a.panel, specs, seeds, config, "--out-dir", str(out)),
                                                 src))
            for version, ts in times.items():
                print(f"estimate_{kind} ({len(models)} models) {version}: CPU s min {min(ts):.2f} "
                      f"median {statistics.median(ts):.2f} ({', '.join(f'{t:.2f}' for t in ts)})")
            for name in sorted(models):
                for version in times:
                    frame = pd.read_csv(work / version / f"{name}.csv")
                    if "equation" not in frame:
                        continue
                    for eq in ("wild_bootstrap", "placebo"):
                        for _, row in frame[frame["equation"] == eq].iterrows():
                            print(f"  {name} {eq} {row['term']} {version}: p = {row['p_value']:.6f}, "
                                  f"CI [{row.get('conf_low', float('nan')):.6f}, "
                                  f"{row.get('conf_high', float('nan')):.6f}]")
            if a.shards > 1:
                cpus = sharded(a.panel, kind, models, config, a.shards, a.after, work)
                same = all((work / "sharded" / f"{n}.csv").read_bytes() == (work / "after" / f"{n}.csv").read_bytes()
                           for n in models)
                print(f"estimate_{kind} after, {a.shards} shards: {len(cpus)} jobs, CPU s total {sum(cpus):.2f}, "
                      f"longest job {max(cpus):.2f}; same bytes as one job: {same}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
