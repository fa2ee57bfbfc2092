"""CPU cost of the `kind: did` random draws: this tree vs another checkout of `src/`, run alternately.

Two measurements per round and tree, each in a fresh single-threaded child process:

  estimate   `python -m srdi estimate` on the config's `kind: did` models (the DAG's estimate_did job): child CPU
             seconds (user + system, from os.wait4), so import and panel read included; outputs kept per tree
  steps      process_time of the draw steps alone, best of 3: placebo_did (both designs) and callaway_santanna
             with and without its multiplier bootstrap, on the first did model's sample of the panel and on a
             simulated 3,000-firm x 13-year panel (1,000 draws, one control); with --large also the CS
             bootstrap's CPU time and tracemalloc peak at 20,000 firms x 13 years (1,000 draws)

The trees alternate (other, this, other, this, ...) so that a load change hits both; /proc/loadavg is printed
with every row. Needs a panel (e.g. results/panel.parquet of `make run` at the default scale).

    PYTHONPATH=src .venv/bin/python benchmarks/bench_did_draws.py --panel results/panel.parquet \
        --other-src /tmp/old/src --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

STEPS = r'''
import json, sys, time
import numpy as np, pandas as pd, yaml
from srdi.models.did import callaway_santanna
from srdi.models.did.fit import FIRST_TREAT, build_sample, parse_did
from srdi.models.did.placebo import placebo_did

config, panel_path = sys.argv[1], sys.argv[2]
cfg = yaml.safe_load(open(config, encoding="utf-8"))
entity, time_col = cfg["data"]["entity"], cfg["data"]["time"]
name = next(n for n, m in cfg["models"].items() if m["kind"] == "did")
spec = parse_did(cfg["models"][name], name, entity)
sample = build_sample(pd.read_parquet(panel_path), spec, entity, time_col).frame
rng = np.random.default_rng(0)
n, years = 3000, np.arange(2011, 2024)
g = rng.choice([0, 0, 2019, 2020, 2021, 2022, 2023], size=n)
big = pd.DataFrame({"firm": np.repeat(np.arange(n), years.size), "year": np.tile(years, n),
                    "g": np.repeat(g, years.size)})
big["x"] = rng.normal(size=len(big))
big["y"] = rng.normal(size=len(big)) + np.where((big["g"] > 0) & (big["year"] >= big["g"]), 0.5, 0.0)


def best(f):
    times = []
    for _ in range(3):
        t0 = time.process_time()
        f()
        times.append(time.process_time() - t0)
    return min(times)


out = {}
for label, frame, ent, tt, y, gcol, ctl, reps, boot in (
        (name, sample, entity, time_col, spec.outcome, FIRST_TREAT, list(spec.controls), spec.placebo_reps or 500,
         spec.bootstrap or 999),
        ("3000x13", big, "firm", "year", "y", "g", ["x"], 1000, 1000)):
    for design in ("entities", "timing"):
        out[f"{label}: placebo {design}, {reps} draws"] = best(
            lambda: placebo_did(frame, ent, tt, y, gcol, ctl, design=design, reps=reps, seed=1))
    out[f"{label}: CS analytic"] = best(lambda: callaway_santanna(frame, ent, tt, y, gcol, bootstrap=0))
    out[f"{label}: CS with {boot} bootstrap draws"] = best(
        lambda: callaway_santanna(frame, ent, tt, y, gcol, bootstrap=boot, seed=1))
if len(sys.argv) > 3:  # --large: the CS bootstrap's time and tracemalloc peak at 20,000 firms x 13 years
    import tracemalloc

    n = 20000
    g = rng.choice([0] * 16 + [2019, 2020, 2021, 2022, 2023], size=n)
    large = pd.DataFrame({"firm": np.repeat(np.arange(n), years.size), "year": np.tile(years, n),
                          "g": np.repeat(g, years.size)})
    large["y"] = rng.normal(size=len(large)) + np.where((large["g"] > 0) & (large["year"] >= large["g"]), 0.5, 0)
    callaway_santanna(large, "firm", "year", "y", "g")
    for boot in (0, 1000):
        tracemalloc.start()
        t0 = time.process_time()
        callaway_santanna(large, "firm", "year", "y", "g", bootstrap=boot, seed=1)
        out[f"20000x13: CS with {boot} bootstrap draws"] = time.process_time() - t0
        out[f"20000x13: CS with {boot} draws, peak MB"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
print(json.dumps(out))
'''


def child(src: str, args: list[str]) -> tuple[float, float, str]:
    """(CPU s, wall s, stdout) of `python args` with PYTHONPATH=src, one thread."""
    env = {**os.environ, **THREADS, "PYTHONPATH": src}
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, *args], env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        out.seek(0)
        text = out.read()
    if status:
        raise SystemExit(f"child failed ({status}): {args}")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - t0, text


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--panel", required=True)
    ap.add_argument("--other-src", required=True, help="src/ of the tree to compare with")
    ap.add_argument("--config", default=str(ROOT / "config.yaml"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out-dir", default=None, help="where each tree's estimates files go (default: a temp dir)")
    ap.add_argument("--large", action="store_true", help="also the CS bootstrap's memory at 20,000 firms")
    a = ap.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    import yaml

    from srdi.seeds import derive_seed

    cfg = yaml.safe_load(Path(a.config).read_text(encoding="utf-8"))
    names = [n for n, m in cfg["models"].items() if m["kind"] == "did"]
    work = Path(a.out_dir or tempfile.mkdtemp(prefix="bench_did_draws_"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "specs.json").write_text(json.dumps({n: cfg["models"][n] for n in names}))
    (work / "seeds.json").write_text(json.dumps({n: derive_seed(cfg["seed"], f"model:{n}") for n in names}))
    trees = {"other": a.other_src, "this": str(ROOT / "src")}
    script = work / "steps.py"
    script.write_text(STEPS)
    for r in range(a.rounds):
        for label, src in trees.items():
            before = load()
            cpu, wall, _ = child(src, ["-m", "srdi", "estimate", "--panel", a.panel, "--specs",
                                       f"@{work / 'specs.json'}", "--seeds", f"@{work / 'seeds.json'}",
                                       "--entity", cfg["data"]["entity"], "--time", cfg["data"]["time"],
                                       "--out-dir", str(work / label)])
            print(f"round {r} {label:5s} estimate: cpu {cpu:.2f} s, wall {wall:.2f} s, load {before}", flush=True)
            _, _, text = child(src, [str(script), a.config, a.panel, *(["large"] if a.large else [])])
            steps = json.loads(text)
            print(f"round {r} {label:5s} steps (load {load()}): "
                  + "; ".join(f"{k} {v:.3f}" for k, v in steps.items()), flush=True)
    print(f"estimates files: {work}/other, {work}/this")


if __name__ == "__main__":
    main()
