"""The whole DAG at each demo scale: wall time and peak memory per rule, and how each grows with firms.

Each scale runs in a fresh temporary copy of the workflow (demo generation included), as `make run` does
(`python -m snakemake --cores N`). Every rule writes a Snakemake benchmark tsv (results/logs/benchmarks/);
this script sums a rule's jobs' wall seconds and CPU seconds (`cpu_time`; text_count has one job per core),
takes the largest peak resident memory (max_rss, MB) of its jobs, and prints one markdown table with the growth
from one scale to the next next to the growth of the firm count and of the panel's firm-years. It also prints
the critical path: the chain of jobs (from `snakemake --dag`) with the largest sum of wall seconds, and the one
with the largest sum of CPU seconds, which on a loaded machine estimates what a quiet one would take.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_dag.py                       # tiny, default, large
    PYTHONPATH=src .venv/bin/python benchmarks/bench_dag.py --scales tiny default --cores 2 --out res.md

State the machine's load with the figures (`uptime` before and after is printed): the rules run in
parallel on the given cores, so a rule's wall time includes waiting for a shared core.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from srdi.demo.scales import SCALES  # noqa: E402


def run_scale(scale: str, cores: int, work: Path) -> dict:
    """Run the DAG on one demo scale in `work`; per-rule (jobs, seconds, max seconds, peak MB) and totals."""
    shutil.copytree(ROOT / "workflow", work / "workflow")
    for item in ("mappings", "dictionaries"):
        shutil.copytree(ROOT / "data" / item, work / "data" / item)
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["demo"]["scale"] = scale
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores)], cwd=work, env=env,
                         capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if run.returncode:
        raise SystemExit(f"scale {scale}: the DAG failed\n{run.stderr[-3000:]}")
    rules: dict[str, dict] = {}
    jobs: dict[str, dict[str, float]] = {}
    for tsv in sorted((work / "results/logs/benchmarks").glob("*.tsv")):
        with tsv.open(encoding="utf-8") as fh:
            row = next(csv.DictReader(fh, delimiter="\t"))
        name = _rule_of(tsv.stem)
        entry = rules.setdefault(name, {"jobs": 0, "s": 0.0, "cpu": 0.0, "max_s": 0.0, "mb": 0.0})
        seconds, cpu, mb = float(row["s"]), _float(row["cpu_time"]), _float(row["max_rss"])
        jobs[tsv.stem] = {"s": seconds, "cpu": cpu}
        entry["jobs"] += 1
        entry["s"] += seconds
        entry["cpu"] += cpu
        entry["max_s"] = max(entry["max_s"], seconds)
        entry["mb"] = max(entry["mb"], mb)
    import pandas as pd

    firm_years = len(pd.read_parquet(work / "results/panel.parquet"))
    dag = _dag(work, env, cores)
    paths = {key: critical_path(dag, jobs, key) for key in ("s", "cpu")}
    return {"wall": wall, "rules": rules, "firms": SCALES[scale].n_firms, "firm_years": firm_years,
            "paths": paths}


def _dag(work: Path, env: dict[str, str], cores: int) -> dict[str, list[str]]:
    """Each job (named as its benchmark file: rule, then wildcard values, `_`-joined) -> the jobs it needs,
    from `snakemake --dag --forceall` on the finished run (its checkpoints resolved; the text jobs follow the
    cores)."""
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), "--dag", "--forceall"], cwd=work,
                         env=env, capture_output=True, text=True, check=True)
    names: dict[str, str] = {}
    needs: dict[str, list[str]] = {}
    for line in run.stdout.splitlines():
        if m := re.match(r'\s*(\d+)\[label = "([^"]*)"', line):
            rule, *wildcards = m.group(2).split("\\n")
            names[m.group(1)] = "_".join([rule, *(w.split(": ", 1)[1] for w in wildcards)])
        elif m := re.match(r"\s*(\d+) -> (\d+)", line):
            needs.setdefault(m.group(2), []).append(m.group(1))
    return {names[n]: [names[d] for d in needs.get(n, [])] for n in names}


def critical_path(dag: dict[str, list[str]], jobs: dict[str, dict[str, float]], key: str) -> list[tuple]:
    """The chain of jobs with the largest sum of `key` (wall `s` or `cpu` seconds): what no number of cores
    can shorten. A job without a benchmark file (the target `all`) counts 0."""
    best: dict[str, tuple[float, list[str]]] = {}

    def longest(job: str) -> tuple[float, list[str]]:
        if job not in best:
            before = max((longest(d) for d in dag[job]), key=lambda t: t[0], default=(0.0, []))
            best[job] = (before[0] + jobs.get(job, {}).get(key, 0.0), [*before[1], job])
        return best[job]

    _, chain = max((longest(j) for j in dag), key=lambda t: t[0])
    return [(job, jobs.get(job, {}).get(key, 0.0)) for job in chain if job in jobs]


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # "NA" when the job ended before the first memory sample
        return 0.0


def _rule_of(stem: str) -> str:
    """`text_year_2015` -> text_year, `table_baseline` -> regression_table, `draws_heterogeneity_0` -> ..."""
    parts = stem.split("_")
    if parts[-1].isdigit():
        return "_".join(parts[:-1])
    if stem.startswith("table_"):
        return "regression_table"
    return stem


def table(results: dict[str, dict]) -> str:
    scales = list(results)
    rules = sorted({r for res in results.values() for r in res["rules"]},
                   key=lambda r: -max(res["rules"].get(r, {"s": 0})["s"] for res in results.values()))
    head = ["rule", "jobs"] + [f"{s} s" for s in scales] + [f"{s} CPU s" for s in scales]
    head += [f"{s} MB" for s in scales]
    pairs = list(itertools.pairwise(scales))
    head += [f"x s {a}->{b}" for a, b in pairs] + [f"x MB {a}->{b}" for a, b in pairs]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def cell(scale: str, rule: str, key: str) -> str:
        entry = results[scale]["rules"].get(rule)
        return "" if entry is None else f"{entry[key]:.0f}" if key == "mb" else f"{entry[key]:.1f}"

    def ratio(a: str, b: str, rule: str, key: str) -> str:
        ea, eb = results[a]["rules"].get(rule), results[b]["rules"].get(rule)
        return f"{eb[key] / ea[key]:.1f}" if ea and eb and ea[key] > 0 else ""

    for rule in rules:
        jobs = "/".join(str(results[s]["rules"].get(rule, {"jobs": 0})["jobs"]) for s in scales)
        row = [rule, jobs] + [cell(s, rule, k) for k in ("s", "cpu", "mb") for s in scales]
        row += [ratio(a, b, rule, "s") for a, b in pairs] + [ratio(a, b, rule, "mb") for a, b in pairs]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("| scale | firms | firm-years | DAG wall s | sum of job s | sum of job CPU s | critical path s "
                 "(by wall) | critical path CPU s (by CPU) |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for s in scales:
        res = results[s]
        total = sum(e["s"] for e in res["rules"].values())
        cpu = sum(e["cpu"] for e in res["rules"].values())
        path_s, path_cpu = (sum(v for _, v in res["paths"][k]) for k in ("s", "cpu"))
        lines.append(f"| {s} | {res['firms']:,} | {res['firm_years']:,} | {res['wall']:.1f} | {total:.1f} | "
                     f"{cpu:.1f} | {path_s:.1f} | {path_cpu:.1f} |")
    for s in scales:
        for key, label in (("s", "wall s"), ("cpu", "CPU s")):
            chain = " -> ".join(f"{job} {v:.1f}" for job, v in results[s]["paths"][key])
            lines.append(f"\n{s}, critical path by job {label}: {chain}")
    for a, b in pairs:
        ra, rb = results[a], results[b]
        lines.append(f"\n{a} -> {b}: firms x{rb['firms'] / ra['firms']:.2f}, firm-years "
                     f"x{rb['firm_years'] / ra['firm_years']:.2f}, DAG wall x{rb['wall'] / ra['wall']:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", nargs="+", default=["tiny", "default", "large"], choices=sorted(SCALES))
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--out", help="also write the table (markdown) to this file")
    parser.add_argument("--keep", help="run in this folder (kept) instead of a temporary one")
    args = parser.parse_args()
    print("load before:", os.getloadavg())
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench_dag_") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        for scale in args.scales:
            print(f"running {scale} ...", flush=True)
            results[scale] = run_scale(scale, args.cores, base / scale)
            print(f"  {scale}: {results[scale]['wall']:.1f} s, load {os.getloadavg()}", flush=True)
    text = table(results)
    print(text)
    print("load after:", os.getloadavg())
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
