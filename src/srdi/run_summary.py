"""What the console says when a run ends: the warnings the jobs wrote to their logs, and where the report is.

Each job's output goes to its own file in results/logs/, so a warning (few clusters, dropped collinear terms,
skipped files) would otherwise stay unseen behind Snakemake's job list.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TextIO

# logging's "<time> WARNING <logger>: <message>" lines and Python's "<file>:<line>: <Category>Warning: <message>"
_WARNING = re.compile(r"\bWARNING\b\s+\S+:\s*(?P<msg>.+)$|\b\w*Warning:\s*(?P<pymsg>.+)$")


def log_warnings(log_dir: str | Path) -> list[tuple[str, str]]:
    """(log file, message) for every warning line of every job log, deduplicated, in file order."""
    found: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for log in sorted(Path(log_dir).glob("*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _WARNING.search(line)
            if match:
                item = (log.as_posix(), (match.group("msg") or match.group("pymsg")).strip())
                if item not in seen:
                    seen.add(item)
                    found.append(item)
    return found


def print_run_summary(log_dir: str | Path, report: str | Path | None, out: TextIO | None = None) -> None:
    """Print the warnings (each with its log file) and, after a successful run, the report's path."""
    out = out or sys.stdout
    warnings = log_warnings(log_dir)
    if warnings:
        print(f"\nWarnings of this run ({len(warnings)}):", file=out)
        for log, message in warnings:
            print(f"  - {message}  [{log}]", file=out)
    if report is not None and Path(report).is_file():
        print(f"\nReport: {Path(report).resolve()}", file=out)
