"""CPU seconds of the report-side jobs (describe, provenance, tables, figures, report) for two source trees, and
whether they write the same bytes.

Usage: python benchmarks/bench_report.py RUN_DIR BEFORE_SRC AFTER_SRC [--repeat N]

RUN_DIR is a finished demo run (`srdi.launch` or snakemake); each job's command is taken from its latest
Snakemake log and rerun with PYTHONPATH=BEFORE_SRC and =AFTER_SRC in turn (interleaved, so both see the same
load), its outputs redirected to temporary folders, BLAS on one thread as in the rules. CPU is user + system
time of the job's process (rusage), not wall time: on a shared machine the wall time is mostly waiting for a
core. Every output file of the two trees is compared byte for byte (provenance.json without its created_utc).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

JOBS = {  # job -> the option naming its output (a folder, or the file for provenance and report)
    "describe": "--tables-dir",
    "provenance": "--out",
    "tables": "--out-dir",
    "figures": "--out-dir",
    "report": "--out",
}

# What Snakemake sets for a job of `threads: 1` (these rules): multi-threaded BLAS would both slow the jobs down on
# a loaded machine (np.vecdot of 27,701 values: 7.6 ms with two OpenBLAS threads) and change the sums' bits.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "GOTO_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


def job_commands(run_dir: Path) -> dict[str, list[str]]:
    logs = sorted((run_dir / ".snakemake" / "log").glob("*.snakemake.log"))
    found: dict[str, list[str]] = {}
    for log in logs:  # later logs win
        for line in log.read_text(encoding="utf-8").splitlines():
            m = re.match(r"Shell command: (.*?) -m srdi (\w[\w-]*) (.*?) > \S+ 2>&1$", line)
            if m and m.group(2) in JOBS:
                found[m.group(2)] = [sys.executable, "-m", "srdi", m.group(2), *shlex.split(m.group(3))]
    return found


def redirect(cmd: list[str], option: str, target: Path) -> list[str]:
    i = cmd.index(option)
    return [*cmd[: i + 1], str(target), *cmd[i + 2:]]


def cpu_run(cmd: list[str], src: str, cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=cwd, env={**os.environ, **ONE_THREAD, "PYTHONPATH": src}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def same_outputs(a: Path, b: Path) -> bool:
    if a.is_file():
        if a.name == "provenance.json":
            x, y = (json.loads(p.read_text(encoding="utf-8")) for p in (a, b))
            x.pop("created_utc"), y.pop("created_utc")
            return x == y
        return filecmp.cmp(a, b, shallow=False)
    names = sorted(p.name for p in a.iterdir())
    return names == sorted(p.name for p in b.iterdir()) and all(
        filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("before_src")
    parser.add_argument("after_src")
    parser.add_argument("--repeat", type=int, default=2)
    a = parser.parse_args()
    commands = job_commands(a.run_dir)
    print(f"load average at start: {os.getloadavg()}")
    print("| job | before CPU s | after CPU s | after/before | same bytes |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for job, option in JOBS.items():
            if job not in commands:
                continue
            times: dict[str, list[float]] = {"before": [], "after": []}
            outs = {}
            for i in range(a.repeat):
                for side, src in (("before", a.before_src), ("after", a.after_src)):
                    out = Path(tmp) / f"{job}-{side}-{i}"
                    out.mkdir()
                    if option == "--out":  # a file: its own name in its own folder
                        out = out / Path(commands[job][commands[job].index(option) + 1]).name
                    times[side].append(cpu_run(redirect(commands[job], option, out), src, a.run_dir))
                    outs[side] = out
            b, f = min(times["before"]), min(times["after"])
            print(f"| {job} | {b:.2f} | {f:.2f} | {f / b:.2f} | {same_outputs(outs['before'], outs['after'])} |",
                  flush=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
