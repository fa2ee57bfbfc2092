"""`make run`'s console: one line per finished job, then the run's warnings and the report's path last.

Snakemake (run with `--quiet rules reason host`) still prints five to six lines per job (time stamp, job id,
progress, scheduler chatter). This filter keeps what a user needs: `[k/n] rule` for each finished job, and every
line it does not recognise (errors, failed jobs' logs, the run summary of srdi.run_summary), so nothing
unexpected is ever hidden. The full log stays in .snakemake/log/; its path is printed when a run fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

QUIET = ["--quiet", "rules", "reason", "host"]
_FINISHED = re.compile(r"^Finished jobid: \d+ \(Rule: (?P<rule>[^)]+)\)$")
_PROGRESS = re.compile(r"^(?P<done>\d+) of (?P<total>\d+) steps \(\d+%\) done$")
_NOISE = re.compile(
    r"^(Using workflow specific profile .*|Assuming unrestricted shared filesystem usage\.|Building DAG of jobs\.\.\."
    r"|Using shell: .*|Provided cores: \d+|Rules claiming more threads will be scaled down\."
    r"|Select jobs to execute\.\.\.|Execute \d+ jobs\.\.\.|DAG of jobs will be updated after completion\."
    r"|Updating checkpoint dependencies\.|\[\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}\]|Elapsed time: .*"
    r"|Job stats:|job +count|[- ]+|Reasons:|\s+\(check individual jobs above for details\))$")
_STATS_ROW = re.compile(r"^\w+ +\d+$")
_LOG = re.compile(r"^Complete log\(s\): ")


def condense(lines: Iterable[str]) -> Iterator[str]:
    """Snakemake's output lines (without newlines) -> the console's; the full-log line is held back (`log_line`)."""
    rule = None
    blank = True  # no blank line at the start, and never two in a row
    for line in lines:
        line = line.rstrip("\n")
        finished = _FINISHED.match(line)
        progress = _PROGRESS.match(line)
        if finished:
            rule = finished["rule"]
        elif progress and rule is not None:
            width = len(progress["total"])
            yield f"[{int(progress['done']):>{width}}/{progress['total']}] {rule}"
            rule, blank = None, False
        elif _NOISE.match(line) or _STATS_ROW.match(line) or _LOG.match(line):
            continue
        elif not line.strip():
            if not blank:
                yield ""
            blank = True
        else:
            yield line
            blank = False


def log_line(lines: Iterable[str]) -> str | None:
    """Snakemake's 'Complete log(s): <path>' line, if it printed one."""
    return next((line.rstrip("\n") for line in lines if _LOG.match(line)), None)
