"""The demo as the workflow writes it: two parallel jobs, one per part, then the listings.

`srdi demo` writes the whole folder in one process (generate.generate_demo). In the workflow, ingestion needs
only the raw tables, so the tables (with truth) and the report texts are two jobs on two cores, and a third
step (`srdi demo-manifest`) writes manifest.json and the ownership record from the parts' records. The folder
then holds the same files, byte for byte, as generate_demo writes: the parts draw from disjoint random streams
and each recomputes the latent DGP (tests/test_demo_parts.py).

Each part keeps generate_demo's safety within its share of the folder (folder.in_part: mdna/ for the texts,
everything else for the tables), as both write into it at the same time: it refuses files the demo did not
write, builds its files in a temporary sibling, claims them in its own ownership record before moving them in,
and only then removes what an earlier demo left in its share.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from srdi.atomic import write_text
from srdi.demo.folder import (
    GENERATOR,
    MANIFEST,
    OWNER_RECORD,
    PARTS,
    TEXTS_DIR,
    check_replaceable,
    part_record,
    present_files,
    remove_stale_siblings,
    write_listings,
)


def generate_part(out_dir: str | os.PathLike[str], part: str, record: str | os.PathLike[str],
                  scale: str = "default", seed: int = 20250403, texts: str = "short") -> None:
    """Write one part of the demo (tables or texts) into `out_dir`, and `record`: the part's files with their
    sha256 and size, for write_manifest. The other part may be writing into `out_dir` at the same time."""
    from srdi.demo.generate import check_texts, simulate_demo, write_part
    from srdi.demo.scales import get_scale

    if part not in PARTS:
        raise ValueError(f"demo part must be one of {list(PARTS)}, got {part!r}")
    sc = get_scale(scale)
    check_texts(texts)
    out_dir = Path(out_dir)
    check_replaceable(out_dir, part)  # before the work, and again before moving in
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_siblings(out_dir, part)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.{part}.", suffix=".tmp", dir=out_dir.parent))
    try:
        sim, streams = simulate_demo(sc, seed)
        digests: dict[str, tuple[str, int]] = {}
        files = write_part(part, stage, sim, streams, int(seed), texts, digests)
        check_replaceable(out_dir, part)
        _move_in(out_dir, stage, part, files)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    write_text(record, json.dumps({
        "generator": GENERATOR, "part": part, "seed": int(seed), "scale": sc.name, "texts": texts,
        "files": [[p, *digests[p]] for p in sorted(files)],
    }, ensure_ascii=False) + "\n")


def _move_in(out_dir: Path, stage: Path, part: str, files: list[str]) -> None:
    """Claim `files` in the part's record, then replace the part's share of `out_dir` with them from `stage`."""
    mine = part_record(part)
    earlier = present_files(out_dir, part)  # all the demo's own: check_replaceable has just said so
    claimed = sorted({*earlier, *files, mine})
    # Written in the stage and renamed in: no temporary file ever shows in the folder the other part checks.
    (stage / mine).write_text(json.dumps({"generator": GENERATOR, "files": claimed}) + "\n", encoding="utf-8")
    os.replace(stage / mine, out_dir / mine)
    (out_dir / MANIFEST).unlink(missing_ok=True)  # lists the files being replaced
    if part == "texts":
        trash = None
        if (out_dir / TEXTS_DIR).exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.{part}.", suffix=".old", dir=out_dir.parent))
            os.replace(out_dir / TEXTS_DIR, trash / TEXTS_DIR)
        os.replace(stage / TEXTS_DIR, out_dir / TEXTS_DIR)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
        return
    keep = {OWNER_RECORD, *map(part_record, PARTS)}
    for rel in sorted(earlier - set(files) - keep):  # an earlier demo's tables this one does not write
        (out_dir / rel).unlink(missing_ok=True)
    for rel in files:
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / rel, out_dir / rel)


def write_manifest(out_dir: str | os.PathLike[str], records: list[str | os.PathLike[str]]) -> dict[str, Any]:
    """Write manifest.json and the ownership record of a demo its parts wrote, from the parts' records (the
    same bytes as generate_demo's), then remove the parts' own records; return the manifest."""
    out_dir = Path(out_dir)
    loaded = [json.loads(Path(r).read_text(encoding="utf-8")) for r in records]
    parts = sorted(rec.get("part") for rec in loaded)
    if parts != sorted(PARTS) or any(rec.get("generator") != GENERATOR for rec in loaded):
        raise ValueError(f"demo-manifest needs one record of each demo part {list(PARTS)}, got {parts} "
                         f"from {[str(r) for r in records]}")
    settings = {(rec["seed"], rec["scale"], rec["texts"]) for rec in loaded}
    if len(settings) != 1:
        raise ValueError(f"the demo parts' records {[str(r) for r in records]} are of different demos (seed, "
                         f"scale, texts): {sorted(settings)}; rerun both parts")
    seed, scale, texts = settings.pop()
    digests = {path: (sha, size) for rec in loaded for path, sha, size in rec["files"]}
    manifest = write_listings(out_dir, seed, scale, texts, digests)
    for part in PARTS:
        (out_dir / part_record(part)).unlink(missing_ok=True)
    return manifest
