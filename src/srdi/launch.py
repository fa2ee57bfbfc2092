"""`make run`'s entry: start Snakemake so that a run killed earlier (power cut, Ctrl-C twice, kill -9) resumes.

A killed Snakemake leaves its directory lock in `.snakemake/locks`, and the next run refuses to start until the
user finds `snakemake --unlock`; the temporary files of the killed jobs stay beside the results. A lock is stale
when no Snakemake process works in this folder any more, so this module checks exactly that (one exclusive lock
of its own for `make run`, and the process table for a `snakemake` started by hand), removes the stale lock and
the temporaries, and then runs Snakemake, which holds its lock for the whole run.

The console gets one line per job, the run's warnings and the report's path last (srdi.console). Where the user
asks Snakemake for something other than a run (a dry run, --help, --quiet/--verbose of their own, ...), its output
is shown unchanged (Snakemake replaces this process).

Usage: python -m srdi.launch [snakemake arguments ...]
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from srdi.console import condense, log_line

LAUNCH_LOCK = Path(".snakemake") / "srdi-launch.lock"
# Arguments after which Snakemake's own output is what the user wants to see.
VERBATIM = {"-n", "--dry-run", "--dryrun", "-h", "--help", "--version", "-v", "-q", "--quiet", "--verbose", "--lint",
            "--summary", "-S", "--detailed-summary", "-D", "--list-rules", "-l", "--dag", "--rulegraph",
            "--filegraph", "--unlock", "--list-changes", "--lc", "--print-compilation"}
SNAKEMAKE_LOCKS = Path(".snakemake") / "locks"
TEMP_ROOTS = ("results",)  # where srdi.atomic writes its `.<name>.<random>.tmp` files


_LOCK_FDS: list[int] = []


class RunInProgress(RuntimeError):
    """Another run is working in this folder: nothing may be unlocked or cleaned."""


def _snakemake_processes(folder: Path) -> Iterator[int]:
    """PIDs of Snakemake processes (other than this one) whose working folder is `folder` (Linux /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    me = os.getpid()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if cwd == folder and any(Path(arg.decode(errors="replace")).name == "snakemake" or arg == b"snakemake"
                                 for arg in cmdline[:3]):
            yield int(entry.name)


def take_launch_lock(folder: Path, patience_s: float = 5.0) -> int:
    """An exclusive lock held until the run ends (by this process and Snakemake); raise if taken.

    A killed run's processes may take a moment to be gone (a Snakemake orphaned by `kill -9` of its launcher is
    reaped after it), so a taken lock is retried for `patience_s` seconds before the run is refused."""
    path = folder / LAUNCH_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + patience_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            os.close(fd)
            raise RunInProgress(f"another `make run` is working in {folder}; wait for it to finish") from None
    os.set_inheritable(fd, True)
    _LOCK_FDS.append(fd)
    return fd


def stale_temporaries(folder: Path) -> list[Path]:
    """Temporary files of atomic writes (`.<name>.<random>.tmp`) left under the result folders."""
    found: list[Path] = []
    for root in TEMP_ROOTS:
        base = folder / root
        if base.is_dir():
            found.extend(p for p in base.rglob(".*.tmp") if p.is_file())
    return sorted(found)


def recover(folder: Path) -> list[str]:
    """Remove a killed run's stale Snakemake lock and temporary files; return what was done, for the console."""
    running = sorted(_snakemake_processes(folder))
    if running:
        raise RunInProgress(f"a Snakemake process (pid {', '.join(map(str, running))}) is working in {folder}; "
                            "wait for it to finish or stop it first")
    done: list[str] = []
    locks = folder / SNAKEMAKE_LOCKS
    stale_locks = sorted(locks.glob("*.lock")) if locks.is_dir() else []
    for lock in stale_locks:  # what `snakemake --unlock` removes
        lock.unlink(missing_ok=True)
    if stale_locks:
        done.append("removed the lock an interrupted run left in .snakemake/locks")
    temporaries = stale_temporaries(folder)
    for tmp in temporaries:
        tmp.unlink(missing_ok=True)
    if temporaries:
        done.append(f"removed {len(temporaries)} temporary file(s) of interrupted jobs")
    return done


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    folder = Path.cwd()
    try:
        take_launch_lock(folder)
        for line in recover(folder):
            print(f"srdi: {line}", file=sys.stderr)
    except RunInProgress as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    snakemake = [sys.executable, "-m", "snakemake"]
    if VERBATIM & set(args) or any(a.startswith(("--quiet=", "--list-")) for a in args):
        os.execv(sys.executable, [*snakemake, *args])
    return run_condensed([*snakemake, *args])


def run_condensed(cmd: list[str]) -> int:
    """Run Snakemake, print its output through srdi.console, return its exit status."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # the run summary (stdout) in order with the log (stderr)
    # The launch lock goes to Snakemake too (pass_fds), as it did when this process became Snakemake.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
                            errors="replace", env=env, pass_fds=tuple(_LOCK_FDS))
    # Ctrl-C reaches Snakemake from the terminal (one process group); this process keeps showing its shutdown.
    # SIGTERM and SIGHUP sent to this process alone are passed on, as they reached Snakemake before (exec).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda sig, _frame: proc.send_signal(sig))
    assert proc.stdout is not None
    lines = list[str]()
    for line in condense(_remember(proc.stdout, lines)):
        print(line, flush=True)
    code = proc.wait()
    full_log = log_line(lines)
    if code != 0 and full_log:
        print(full_log, flush=True)
    return code


def _remember(source: Iterable[str], lines: list[str]) -> Iterator[str]:
    for line in source:
        lines.append(line)
        yield line


if __name__ == "__main__":
    raise SystemExit(main())
