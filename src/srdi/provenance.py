"""Provenance of a run: what went in (config, input file hashes), with what (package versions, commit), and
what came out (output hashes), so a reviewer can tell whether two runs are comparable."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from srdi.atomic import write_json

TRACKED_PACKAGES = (
    "srdi-pipeline", "numpy", "pandas", "pyarrow", "scipy", "statsmodels", "linearmodels",
    "snakemake", "pandera", "pyahocorasick", "openpyxl", "jsonschema", "PyYAML",
    "matplotlib", "python-docx", "mplfonts", "Jinja2",
)


SMALL = 1 << 20  # read whole below this (the demo's report texts are a few KB); larger files in hashlib's blocks


def sha256_file(path: str | Path) -> str:
    with open(path, "rb", buffering=0) as fh:
        if os.fstat(fh.fileno()).st_size <= SMALL:
            return hashlib.sha256(fh.readall()).hexdigest()
        return hashlib.file_digest(fh, "sha256").hexdigest()  # no Python loop per block


def _files_under(folder: str) -> list[str]:
    """Every file under `folder` (recursively, hidden ones included, symlinked folders not entered), as the
    paths `Path(folder).rglob("*")` gives, from os.walk's strings: tens of thousands of report texts made Path
    objects, their sorting and is_file() most of this job's time."""
    prefix = "" if folder == "." else folder.rstrip("/") + "/"
    out = []
    for root, _, names in os.walk(folder):
        rel = os.path.relpath(root, folder)
        base = prefix if rel == "." else f"{prefix}{Path(rel).as_posix()}/"
        out += [f"{base}{name}" for name in names if os.path.isfile(os.path.join(root, name))]
    return out


def hash_inputs(paths: list[str | Path]) -> dict[str, str]:
    """SHA-256 of every file named or found under a named folder, keyed by its path (each file hashed once)."""
    hashes: dict[str, str] = {}
    for item in paths:
        p = Path(item)
        for f in _files_under(p.as_posix()) if p.is_dir() else [p.as_posix()]:
            if f not in hashes:
                hashes[f] = sha256_file(f)
    return dict(sorted(hashes.items()))


def package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_state(repo: str | Path = ".") -> dict[str, Any]:
    """Commit and whether the work tree differs from it; 'unknown' outside a git checkout."""
    def run(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout.strip()

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit or "unknown", "dirty": bool(status) if status is not None else None}


def write_provenance(
    config: dict[str, Any], inputs: list[str | Path], outputs: list[str | Path], out: str | Path
) -> dict[str, Any]:
    record = {
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config,
        "seed": config.get("seed"),
        "inputs_sha256": hash_inputs(inputs),
        "outputs_sha256": hash_inputs(outputs),
        "packages": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": git_state(),
    }
    write_json(out, record)
    return record
