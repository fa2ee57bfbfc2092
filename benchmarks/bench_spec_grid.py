"""What a specification grid pays in Python start-up: one process per model versus one per model kind.

On an existing results/panel.parquet (run `make run` first), for the models of config.yaml, prints:
- the in-process fit time of every model (the estimation itself),
- the wall time of one `python -m srdi estimate` process per model (one Snakemake job per specification),
- the wall time of one process per model kind, as the estimate rules run (workflow/rules/models.smk),
and the start-up overhead (process time minus fit time) of both layouts. No assertions: the figures go to
benchmarks/results/spec_grid.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from srdi.config import load_config
from srdi.models.kinds import fitter_for
from srdi.seeds import derive_seed

ROOT = Path(__file__).resolve().parents[1]


def _process(panel: Path, specs: dict, seeds: dict, entity: str, time_col: str, out: Path) -> float:
    cmd = [sys.executable, "-m", "srdi", "estimate", "--panel", str(panel), "--specs", json.dumps(specs),
           "--seeds", json.dumps(seeds), "--entity", entity, "--time", time_col, "--out-dir", str(out)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    config = load_config(ROOT / "config.yaml")
    panel_path = ROOT / "results/panel.parquet"
    if not panel_path.exists():
        sys.exit("results/panel.parquet is missing: run `make run` first")
    entity, time_col = config["data"]["entity"], config["data"]["time"]
    models = config["models"]
    seeds = {n: derive_seed(config["seed"], f"model:{n}") for n in models}
    panel = pd.read_parquet(panel_path)
    fit = {}
    for name, spec in sorted(models.items()):
        start = time.perf_counter()
        fitter_for(spec["kind"], name)(panel, spec, name, entity, time_col, seeds[name])
        fit[name] = time.perf_counter() - start
    kinds: dict[str, list[str]] = {}
    for name, spec in sorted(models.items()):
        kinds.setdefault(spec["kind"], []).append(name)
    with tempfile.TemporaryDirectory() as tmp:
        per_model = {n: _process(panel_path, {n: models[n]}, {n: seeds[n]}, entity, time_col, Path(tmp))
                     for n in sorted(models)}
        per_kind = {k: _process(panel_path, {n: models[n] for n in names}, {n: seeds[n] for n in names},
                                entity, time_col, Path(tmp)) for k, names in kinds.items()}
    rows = [{"kind": k, "models": len(names), "fit_s": sum(fit[n] for n in names),
             "one_process_per_model_s": sum(per_model[n] for n in names), "one_process_per_kind_s": per_kind[k]}
            for k, names in kinds.items()]
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    fits, by_model, by_kind = table.fit_s.sum(), table.one_process_per_model_s.sum(), table.one_process_per_kind_s.sum()
    print(f"\n{len(models)} models in {len(kinds)} kinds: fits {fits:.1f} s in process")
    print(f"one process per model: {by_model:.1f} s, start-up overhead {by_model - fits:.1f} s "
          f"({(by_model - fits) / len(models):.2f} s per model)")
    print(f"one process per kind:  {by_kind:.1f} s, start-up overhead {by_kind - fits:.1f} s "
          f"({(by_kind - fits) / len(kinds):.2f} s per job)")


if __name__ == "__main__":
    main()
