"""Resources of every rule, and the demo's wall time on a local SLURM versus a local run.

Two measurements, each on a fresh copy of the workflow in a temporary folder (never the repository's results/):

  rules --scale S --shards N   peak memory (max RSS), wall time and CPU seconds of every job of one local run,
                               taken by /usr/bin/time -v around each rule's command (a `shell.prefix` added to the
                               copy's Snakefile only); prints a markdown table and the sizes of the inputs the
                               resource callables scale with. This sizes the `resources:` of workflow/rules/*.smk.
  wall --scale S --shards N..  for each N (resampling.shards): the whole DAG run through the SLURM profile
                               (workflow/profiles/slurm.template, on the cluster `scontrol ping` reaches; start one
                               with .ci/slurm_local.sh), and locally (--cores 2) for the first N, or for every N
                               with --local-shards: wall time, jobs, sbatch jobs, the rules' CPU seconds (timed as
                               above), the CPU seconds of this process's children (a local run: everything; a SLURM
                               run: Snakemake and its localrules), the SLURM jobs' summed elapsed time (squeue),
                               the load average; and whether every estimates file of every run is the same bytes as
                               the first run's.

No assertions: the figures go to benchmarks/results/slurm_rules.md and benchmarks/results/slurm.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TIMING_PREFIX = 'shell.prefix(\'set -euo pipefail; /usr/bin/time -v -o "$SRDI_TIME_DIR/$(date +%s%N).txt" \')\n'


def make_project(work: Path, scale: str, shards: int = 1) -> Path:
    """A copy of the workflow, mapping, dictionaries and config.yaml (demo at `scale`, draws in `shards` jobs per
    resampling kind) in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "workflow", work / "workflow", ignore=shutil.ignore_patterns("slurm", "__pycache__"))
    (work / "data").mkdir()
    for item in ("mappings", "dictionaries"):
        shutil.copytree(ROOT / "data" / item, work / "data" / item)
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["demo"]["scale"] = scale
    config["resampling"]["shards"] = shards
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return work


def _rule_of(command: str, project: Path) -> str:
    """The rule a timed `python -m srdi <subcommand> ...` (run in `project`) belongs to."""
    parts = command.split(" -m srdi ", 1)[1].split()
    sub = parts[0]
    if sub == "text-count":
        return f"text_count[{parts[parts.index('--out') + 1].strip(chr(39)).rsplit('/', 1)[-1]}]"
    if sub == "demo":
        return f"demo_{parts[parts.index('--part') + 1]}" if "--part" in parts else "demo"
    if sub == "estimate":
        specs = parts[parts.index("--specs") + 1].strip(chr(39))  # @<file> (srdi.job_files) or inline JSON
        value = (project / specs[1:]).read_text(encoding="utf-8") if specs.startswith("@") else specs
        kinds = "+".join(sorted({s["kind"] for s in json.loads(value).values()}))
        if "--shard" in parts:  # a draws job: `--shard i/n`
            return f"draws_{kinds}[{parts[parts.index('--shard') + 1].strip(chr(39))}]"
        return f"estimate_{kinds}"
    names = {"text-combine": "text_measures", "base-panel": "base_panel",
             "import-panel": "import_panel"}
    return names.get(sub, sub.replace("-", "_"))


def _parse_time(path: Path, project: Path) -> dict:
    text = path.read_text()
    command = re.search(r'Command being timed: "(.*)"', text).group(1)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", text).group(1)) for kind in ("User", "System"))
    return {"rule": _rule_of(command, project), "max_rss_mb": rss_kb / 1024, "wall_s": seconds, "cpu_s": cpu}


def _size_mb(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20
    return path.stat().st_size / 2**20


def measure_rules(scale: str, cores: int, shards: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_slurm_") as tmp:
        project = make_project(Path(tmp) / "project", scale, shards)
        timings = Path(tmp) / "timings"
        env = _timed(project, timings)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), "--keep-going", "all"], cwd=project,
                       env=env, check=False)
        total = time.perf_counter() - start
        load = f"{load:.1f} -> {os.getloadavg()[0]:.1f}"
        rows = sorted((_parse_time(p, project) for p in timings.glob("*.txt")), key=lambda r: r["rule"])
        sizes = {"raw folder (demo_tables / demo_texts output, ingest input)": project / "data/demo/raw",
                 "results/interim (ingest output)": project / "results/interim",
                 "base_panel.parquet": project / "results/interim/base_panel.parquet",
                 "panel.parquet (estimate input)": project / "results/panel.parquet"}
        print(f"\n### scale `{scale}`, shards {shards}: {len(rows)} jobs, --cores {cores}, whole run {total:.1f} s, "
              f"load average {load}\n")
        print("| rule | max RSS (MB) | wall (s) | CPU (s) |\n|---|---:|---:|---:|")
        for r in rows:
            print(f"| {r['rule']} | {r['max_rss_mb']:.0f} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} |")
        print("\n| input | size (MB) |\n|---|---:|")
        for label, path in sizes.items():
            if path.exists():
                print(f"| {label} | {_size_mb(path):.2f} |")


def _timed(project: Path, timings: Path) -> dict[str, str]:
    """Wrap every rule's command of `project` in /usr/bin/time (also inside SLURM jobs: sbatch exports the
    environment); returns the environment that names the folder the timings go to."""
    timings.mkdir()
    snakefile = project / "workflow/Snakefile"
    snakefile.write_text(TIMING_PREFIX + snakefile.read_text(encoding="utf-8"), encoding="utf-8")
    return {**os.environ, "SRDI_TIME_DIR": str(timings)}


def _slurm_elapsed(log_text: str) -> tuple[float, float]:
    """Summed elapsed seconds of the run's SLURM jobs (squeue keeps finished jobs for MinJobAge), and the same
    weighted by each job's CPUs."""
    run_id = re.search(r"SLURM run ID: (\S+)", log_text).group(1)
    out = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%M|%C", "--name", run_id],
                         capture_output=True, text=True, check=True).stdout
    elapsed = cpus = 0.0
    for line in out.split():
        clock, n = line.split("|")
        seconds = 0.0
        for part in clock.replace("-", ":").split(":"):
            seconds = seconds * 60 + float(part)
        elapsed, cpus = elapsed + seconds, cpus + seconds * int(n)
    return elapsed, cpus


def _one_run(work: Path, scale: str, shards: int, slurm: bool) -> dict:
    project = make_project(work, scale, shards)
    env = _timed(project, work.parent / f"{work.name}_timings")
    if slurm:
        profile = project / "workflow/profiles/slurm"
        shutil.copytree(ROOT / "workflow/profiles/slurm.template", profile)
        command = [sys.executable, "-m", "snakemake", "--profile", str(profile)]
    else:
        command = [sys.executable, "-m", "snakemake", "--cores", "2", "all"]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode:
        sys.exit(run.stderr[-4000:])
    log = max((project / ".snakemake/log").glob("*.snakemake.log"), key=lambda p: p.stat().st_mtime).read_text()
    rules_cpu = sum(_parse_time(p, project)["cpu_s"] for p in env and Path(env["SRDI_TIME_DIR"]).glob("*.txt"))
    row = {"mode": "SLURM profile" if slurm else "local --cores 2", "shards": shards, "wall_s": wall,
           "jobs": len(re.findall(r"^Finished jobid: \d+ \(Rule: (?!all\))", log, re.M)),
           "sbatch": len(re.findall(r"has been submitted with SLURM jobid", log)), "rules_cpu_s": rules_cpu,
           "here_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
           "load": f"{load:.1f} -> {os.getloadavg()[0]:.1f}", "slurm_s": "", "slurm_cpu_s": ""}
    if slurm:
        elapsed, cpu_s = _slurm_elapsed(log)
        row.update(slurm_s=f"{elapsed:.0f}", slurm_cpu_s=f"{cpu_s:.0f}")
    row["estimates"] = {p.name: p.read_bytes() for p in sorted((project / "results/estimates").glob("*.csv"))}
    return row


def measure_wall(scale: str, shard_counts: list[int], local_shards: bool) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_slurm_") as tmp:
        for shards in shard_counts:
            for slurm in (False, True):
                if slurm or shards == shard_counts[0] or local_shards:
                    rows.append(_one_run(Path(tmp) / f"{'slurm' if slurm else 'local'}{shards}", scale, shards, slurm))
    print(f"\n### scale `{scale}`\n\n| run | shards | wall (s) | jobs | sbatch jobs | rules' CPU (s) | CPU here (s) "
          "| SLURM jobs' elapsed (s) | SLURM CPU·s allocated | load average | estimates = first run's |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        same = "yes" if r["estimates"] == rows[0]["estimates"] else "**no**"
        print(f"| {r['mode']} | {r['shards']} | {r['wall_s']:.1f} | {r['jobs']} | {r['sbatch']} "
              f"| {r['rules_cpu_s']:.0f} | {r['here_cpu_s']:.0f} | {r['slurm_s']} | {r['slurm_cpu_s']} | {r['load']} "
              f"| {same} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["rules", "wall"])
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small", "default"])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--shards", type=int, nargs="+", default=[1], help="resampling.shards (wall: each in turn)")
    parser.add_argument("--local-shards", action="store_true",
                        help="wall: run locally with every shard count too, not only with the first")
    args = parser.parse_args()
    print(f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
    if args.what == "rules":
        measure_rules(args.scale, args.cores, args.shards[0])
    else:
        measure_wall(args.scale, args.shards, args.local_shards)


if __name__ == "__main__":
    main()
