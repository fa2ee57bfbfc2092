"""Input functions for the Snakemake rules: which files a rule reads, decided before any job runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
_SHARED_MODULES = ("__init__.py", "atomic.py", "cli.py", "config.py", "sample_query.py", "model_columns.py")
_MDNA_NAME = re.compile(r"^\d{6}_(\d{4})(?:_.*)?\.txt$")  # <code>_<year>[_<version>].txt
# Data files a stage's code reads besides its declared inputs (the codebook's definitions and labels).
_STAGE_DATA = {"panel": (PACKAGE_DIR.parents[1] / "data" / "codebook.yaml",)}


def package_sources(*stages: str) -> list[str]:
    """The package files a stage's rule runs: its sub-package or module plus the shared modules.

    Snakemake tracks a rule's input files, not the Python modules it imports; listing them as inputs makes an
    edit of the code rerun exactly the rules that depend on it.
    """
    files = {PACKAGE_DIR / name for name in _SHARED_MODULES}
    for stage in stages:
        files.update(_STAGE_DATA.get(stage, ()))
        sub = PACKAGE_DIR / stage
        if sub.is_dir():
            files.update(sub.rglob("*.py"))
        elif sub.with_suffix(".py").exists():
            files.add(sub.with_suffix(".py"))
        else:
            raise FileNotFoundError(f"no package module for stage {stage!r} under {PACKAGE_DIR}")
    return sorted(str(f) for f in files)


def raw_table_paths(raw_dir: str | Path, mapping_path: str | Path) -> list[str]:
    """The raw files the mapping names, so a changed export reruns ingestion.

    A table marked `required: false` is listed only when its file is there: an absent optional table is not a
    missing input (ingestion gives it an empty interim table), and once added it reruns ingestion. A table whose
    `file` is a pattern (FS_Comins*.csv) lists every matching file; a required pattern that matches nothing is
    listed as written, so Snakemake reports it missing.
    """
    with Path(mapping_path).open(encoding="utf-8") as fh:
        mapping = yaml.safe_load(fh)
    paths = []
    for spec in mapping["tables"].values():
        pattern = str(spec["file"])
        if set("*?[") & set(pattern):
            found = sorted(str(p) for p in Path(raw_dir).glob(pattern) if p.is_file())
            paths += found or ([str(Path(raw_dir) / pattern)] if spec.get("required", True) else [])
            continue
        path = Path(raw_dir) / pattern
        if spec.get("required", True) or path.exists():
            paths.append(str(path))
    return sorted(paths)


def mdna_files(raw_dir: str | Path, years: list[int]) -> list[str]:
    """The report texts (every version) of some report years, the inputs of one text job (an edited text
    reruns it)."""
    mdna = Path(raw_dir) / "mdna"
    wanted = {int(y) for y in years}
    return sorted(str(p) for p in mdna.glob("*.txt") if (m := _MDNA_NAME.match(p.name)) and int(m[1]) in wanted)


def text_parts(years: list[int], jobs: int | None, cores: int | None) -> list[list[int]]:
    """The report years of each text job: `jobs` jobs (None: one per core), never more than the years, each
    taking every n-th year so the jobs get similar work. One job per core, not per year, saves the Python
    start-ups (about 1-2 s each) that a job per year pays."""
    n = max(1, min(len(years), jobs or cores or 1))
    return [years[i::n] for i in range(n)]


def text_years(config: dict[str, Any], raw_dir: str | Path) -> list[int]:
    """Report years to shard the text stage by: the demo's year range, or the years found in the MD&A folder."""
    if config["data"]["source"] == "demo":
        from srdi.demo.scales import get_scale

        return get_scale(config["demo"]["scale"]).years
    mdna = Path(raw_dir) / "mdna"
    years = {int(m.group(1)) for p in mdna.glob("*.txt") if (m := _MDNA_NAME.match(p.name))}
    if not years:
        raise FileNotFoundError(f"{mdna}: no report files named <6-digit code>_<year>[_<version>].txt")
    return sorted(years)
