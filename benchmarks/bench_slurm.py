"""Resources of every rule, and the demo's wall time on a local SLURM versus a local run.

Two measurements, each on a fresh copy of the workflow in a temporary folder (never the repository's results/):

  rules --scale tiny|default   peak memory (max RSS), wall time and CPU use of every job of one local run, taken
                               by /usr/bin/time -v around each rule's command (a `shell.prefix` added to the copy's
                               Snakefile only); prints a markdown table and the sizes of the inputs the resource
                               callables scale with. This sizes the `resources:` of workflow/rules/*.smk.
  wall --scale tiny            wall time of the whole DAG run locally (--cores 2) and through the SLURM profile
                               (workflow/profiles/slurm.template, on the cluster `scontrol ping` reaches; start one
                               with .ci/slurm_local.sh), with the number of sbatch jobs.

No assertions: the figures go to benchmarks/results/slurm_rules.md and benchmarks/results/slurm.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TIMING_PREFIX = 'shell.prefix(\'set -euo pipefail; /usr/bin/time -v -o "$SRDI_TIME_DIR/$(date +%s%N).txt" \')\n'


def make_project(work: Path, scale: str) -> Path:
    """A copy of the workflow, mapping, dictionaries and config.yaml (demo at `scale`) in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "workflow", work / "workflow", ignore=shutil.ignore_patterns("slurm", "__pycache__"))
    (work / "data").mkdir()
    for item in ("mappings", "dictionaries"):
        shutil.copytree(ROOT / "data" / item, work / "data" / item)
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["demo"]["scale"] = scale
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
        return "estimate_" + "+".join(sorted({s["kind"] for s in json.loads(value).values()}))
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
    cpu = int(re.search(r"Percent of CPU this job got: (\d+)%", text).group(1))
    return {"rule": _rule_of(command, project), "max_rss_mb": rss_kb / 1024, "wall_s": seconds, "cpu_pct": cpu}


def _size_mb(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20
    return path.stat().st_size / 2**20


def measure_rules(scale: str, cores: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_slurm_") as tmp:
        project = make_project(Path(tmp) / "project", scale)
        snakefile = project / "workflow/Snakefile"
        snakefile.write_text(TIMING_PREFIX + snakefile.read_text(encoding="utf-8"), encoding="utf-8")
        timings = Path(tmp) / "timings"
        timings.mkdir()
        env = {**os.environ, "SRDI_TIME_DIR": str(timings)}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), "--keep-going", "all"], cwd=project,
                       env=env, check=False)
        total = time.perf_counter() - start
        rows = sorted((_parse_time(p, project) for p in timings.glob("*.txt")), key=lambda r: r["rule"])
        sizes = {"raw folder (demo_tables / demo_texts output, ingest input)": project / "data/demo/raw",
                 "results/interim (ingest output)": project / "results/interim",
                 "base_panel.parquet": project / "results/interim/base_panel.parquet",
                 "panel.parquet (estimate input)": project / "results/panel.parquet"}
        print(f"\n### scale `{scale}`: {len(rows)} jobs, --cores {cores}, whole run {total:.1f} s\n")
        print("| rule | max RSS (MB) | wall (s) | CPU % |\n|---|---:|---:|---:|")
        for r in rows:
            print(f"| {r['rule']} | {r['max_rss_mb']:.0f} | {r['wall_s']:.1f} | {r['cpu_pct']} |")
        print("\n| input | size (MB) |\n|---|---:|")
        for label, path in sizes.items():
            if path.exists():
                print(f"| {label} | {_size_mb(path):.2f} |")


def _count_sbatch(log_text: str) -> int:
    return len(re.findall(r"Job \S+ has been submitted with SLURM jobid", log_text))


def measure_wall(scale: str) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_slurm_") as tmp:
        local = make_project(Path(tmp) / "local", scale)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--quiet", "all"], cwd=local, check=True)
        local_s = time.perf_counter() - start
        cluster = make_project(Path(tmp) / "cluster", scale)
        profile = cluster / "workflow/profiles/slurm"
        shutil.copytree(ROOT / "workflow/profiles/slurm.template", profile)
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "snakemake", "--profile", str(profile)], cwd=cluster,
                             capture_output=True, text=True, check=False)
        slurm_s = time.perf_counter() - start
        if run.returncode:
            sys.exit(run.stderr[-4000:])
        print(f"\n| scale | local --cores 2 (s) | SLURM profile (s) | sbatch jobs |\n|---|---:|---:|---:|\n"
              f"| {scale} | {local_s:.1f} | {slurm_s:.1f} | {_count_sbatch(run.stdout + run.stderr)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["rules", "wall"])
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small", "default"])
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    print(f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
    if args.what == "rules":
        measure_rules(args.scale, args.cores)
    else:
        measure_wall(args.scale)


if __name__ == "__main__":
    main()
