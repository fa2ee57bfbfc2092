"""The demo's folder: which files in it are the demo's own (so it may replace them), and its file listings.

The demo never deletes what it did not write: a folder is replaced only if every file in it is listed by one of
the demo's ownership records. `.srdi-demo.json` lists a finished demo's files (itself included); while the
workflow's two demo jobs (srdi.demo.parts) write into the folder at the same time, each also keeps a record of
its own (`.srdi-demo.<part>.json`, written before it moves a file in, removed when the listings are written),
so a run killed half way is still recognised as the demo's.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from srdi.atomic import write_text

GENERATOR = "srdi.demo.generate_demo"
OWNER_RECORD = ".srdi-demo.json"  # every file the demo wrote into its folder, itself included
MANIFEST = "manifest.json"
PARTS = ("tables", "texts")  # texts: everything under mdna/; tables: every other file of the folder
TEXTS_DIR = "mdna"


def part_record(part: str) -> str:
    """The name of a part's own ownership record in the folder (it lists itself)."""
    return f".srdi-demo.{part}.json"


def in_part(rel: str, part: str | None) -> bool:
    """Whether a folder-relative path belongs to `part` (None: the whole folder)."""
    return part is None or rel.startswith(f"{TEXTS_DIR}/") == (part == "texts")


def present_files(out_dir: Path, part: str | None = None) -> set[str]:
    """Relative paths of the files in `out_dir` that belong to `part` (the other part's folder is not walked)."""
    if part == "texts":
        root, prefix = out_dir / TEXTS_DIR, f"{TEXTS_DIR}/"
    else:
        root, prefix = out_dir, ""
    found: set[str] = set()
    for here, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(here, root).replace(os.sep, "/")
        base = prefix if rel_dir == "." else f"{prefix}{rel_dir}/"
        if part == "tables" and rel_dir == ".":
            dirs[:] = [d for d in dirs if d != TEXTS_DIR]
        found.update(base + f for f in files)
    return found


def owned_files(out_dir: Path) -> set[str]:
    """Every file one of the demo's ownership records in `out_dir` lists (a record of another program: none)."""
    owned: set[str] = set()
    for name in (OWNER_RECORD, *map(part_record, PARTS)):
        try:
            recorded = json.loads((out_dir / name).read_text(encoding="utf-8"))
            if recorded.get("generator") == GENERATOR:
                owned.update(recorded["files"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return owned


def check_replaceable(out_dir: Path, part: str | None = None) -> None:
    """Raise unless `out_dir` is absent, empty, or holds (in `part`'s share of it) only the demo's own files."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise ValueError(f"demo.out_dir {out_dir} exists and is not a folder; choose a new folder for the demo")
    # Walked before the records are read: a record the other part writes meanwhile is then read too.
    present = present_files(out_dir, part)
    if not present:
        return
    # The ownership records, not manifest.json: Snakemake deletes a rule's outputs (manifest.json, truth.json)
    # before it reruns the rule, so a rerun must recognise its folder without them.
    foreign = sorted(present - owned_files(out_dir))
    if foreign:
        examples = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ValueError(
            f"demo.out_dir {out_dir} already holds files the demo did not write ({examples}); the demo replaces "
            "its folder as a whole, so it refuses to write there. Set demo.out_dir to a new or empty folder.")


def remove_stale_siblings(out_dir: Path, part: str | None = None) -> None:
    """Remove the temporary folders an earlier demo run (or run of this part) left when it was killed."""
    pattern = f".{out_dir.name}.*" if part is None else f".{out_dir.name}.{part}.*"
    for stale in out_dir.parent.glob(pattern):
        if stale.is_dir() and stale.suffix in (".tmp", ".old"):
            shutil.rmtree(stale, ignore_errors=True)


def _dumps_listing(obj: dict[str, Any], entries: list[str], **kw: Any) -> str:
    """json.dumps(obj, indent=2, **kw) with obj["files"] spliced in from its entries, already encoded at their
    depth: the same text, without the pure-Python indenting encoder's time on 40,000 entries."""
    text = json.dumps({**obj, "files": []}, indent=2, **kw)
    return text.replace('"files": []', '"files": [\n    ' + ",\n    ".join(entries) + "\n  ]", 1)


def write_listings(out_dir: Path, seed: int, scale: str, texts: str,
                   digests: Mapping[str, tuple[str, int]]) -> dict[str, Any]:
    """Write manifest.json (every file but itself and the ownership record, with sha256 and size) and the
    ownership record into `out_dir`; return the manifest. The ownership record goes first: it lists
    manifest.json, so a run killed in between leaves no file the demo would not recognise."""
    files = sorted(digests)
    manifest = {
        "generator": GENERATOR,
        "seed": int(seed),
        "scale": scale,
        "texts": texts,
        "files": [{"path": p, "sha256": digests[p][0], "bytes": digests[p][1]} for p in files],
    }
    owned = sorted({*files, MANIFEST, OWNER_RECORD})
    write_text(out_dir / OWNER_RECORD,
               _dumps_listing({"generator": GENERATOR, "files": owned}, [json.dumps(p) for p in owned]) + "\n")
    entries = [f'{{\n      "bytes": {digests[p][1]},\n      "path": {json.dumps(p, ensure_ascii=False)},\n'
               f'      "sha256": "{digests[p][0]}"\n    }}' for p in files]
    write_text(out_dir / MANIFEST, _dumps_listing(manifest, entries, sort_keys=True, ensure_ascii=False) + "\n")
    return manifest
