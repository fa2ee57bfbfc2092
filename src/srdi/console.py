"""`make run`'s console: one line per finished job, then the run's warnings and the report's path last.

Snakemake prints ten to twenty lines per job (the rule's inputs, outputs, reason, resources and shell command,
time stamps, scheduler chatter): 689 lines for the default demo. This filter keeps what a user needs: `[k/n] rule`
for each finished job, and every line it does not recognise (errors and their details, failed jobs' logs, the
run summary of srdi.run_summary), so nothing unexpected is hidden. Snakemake itself runs at its normal verbosity,
so its full log (.snakemake/log/, printed when a run fails) keeps every detail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_FINISHED = re.compile(r"^Finished jobid: \d+ \(Rule: (?P<rule>[^)]+)\)$")
_PROGRESS = re.compile(r"^(?P<done>\d+) of (?P<total>\d+) steps \(\d+%\) done$")
# The first line of a block whose indented (or "====") lines describe a job or the host: dropped with it.
_BLOCK = re.compile(r"^((local)?(rule|checkpoint) \S+:|(local)?[Gg]roup job .*:|SNAKEMAKE)$")
_NOISE = re.compile(
    r"^(Using workflow specific profile .*|Assuming unrestricted shared filesystem usage\.|Building DAG of jobs\.\.\."
    r"|Using shell: .*|Provided cores: \d+|Rules claiming more threads will be scaled down\.|Shell command: .*"
    r"|Select jobs to execute\.\.\.|Execute \d+ jobs\.\.\.|DAG of jobs will be updated after completion\."
    r"|Updating checkpoint dependencies\.|\[\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}\]|Elapsed time: .*"
    r"|Job stats:|job +count|[- ]+|\w+ +\d+|Complete log\(s\): .*)$")


def condense(lines: Iterable[str]) -> Iterator[str]:
    """Snakemake's output lines -> the console's (the full-log line is left out: see `log_line`)."""
    rule = None
    in_block = False
    started = gap = False  # a blank line is kept only between two kept lines that are not job lines
    for line in lines:
        line = line.rstrip("\n")
        if in_block and (line.startswith((" ", "\t", "=")) and line.strip()):
            continue
        in_block = False
        finished = _FINISHED.match(line)
        progress = _PROGRESS.match(line)
        if _BLOCK.match(line):
            in_block = True
        elif finished:
            rule = finished["rule"]
        elif progress and rule is not None:
            width = len(progress["total"])
            yield f"[{int(progress['done']):>{width}}/{progress['total']}] {rule}"
            rule, started, gap = None, True, False
        elif _NOISE.match(line):
            continue
        elif not line.strip():
            gap = started
        else:
            if gap:
                yield ""
            yield line
            started, gap = True, False


def log_line(lines: Iterable[str]) -> str | None:
    """Snakemake's 'Complete log(s): <path>' line, if it printed one."""
    return next((line.rstrip("\n") for line in lines if line.startswith("Complete log(s): ")), None)
