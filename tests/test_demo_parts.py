"""The workflow's demo: two parts written at the same time into one folder, then the listings, give the bytes
of the single generator (`srdi demo`), and keep its promise never to delete what the demo did not write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from srdi.demo import folder, generate_demo
from srdi.demo.parts import generate_part, write_manifest

ROOT = Path(__file__).resolve().parents[1]
SEED = 20250403


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("single") / "raw"
    generate_demo(out, scale="tiny", seed=SEED)
    return out


def _parts_in_parallel(out: Path, records: Path, seed: int = SEED, scale: str = "tiny") -> list[Path]:
    """Both parts as the workflow runs them: two `srdi demo --part` processes at once, then demo-manifest."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    recs = [records / f"{part}.json" for part in folder.PARTS]
    procs = [subprocess.Popen([sys.executable, "-m", "srdi", "demo", "--part", part, "--record", str(rec),
                               "--out-dir", str(out), "--scale", scale, "--seed", str(seed)],
                              env=env, stderr=subprocess.PIPE, text=True)
             for part, rec in zip(folder.PARTS, recs, strict=True)]
    for proc in procs:
        _, err = proc.communicate()
        assert proc.returncode == 0, err
    run = subprocess.run([sys.executable, "-m", "srdi", "demo-manifest", "--out-dir", str(out), *map(str, recs)],
                         env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return recs


def test_parts_in_parallel_equal_the_single_generator_byte_for_byte(single: Path, tmp_path: Path) -> None:
    out = tmp_path / "raw"
    recs = _parts_in_parallel(out, tmp_path)
    ours, theirs = _all_bytes(out), _all_bytes(single)
    assert ours.keys() == theirs.keys()  # the parts' own records are gone, nothing else is added
    assert [k for k in ours if ours[k] != theirs[k]] == []
    assert any(k.startswith("mdna/") for k in ours) and "EN_EquityNatureAll.xlsx" in ours
    # each record lists its own part's files only, with the manifest's hashes
    manifest = {f["path"]: f["sha256"] for f in json.loads(ours["manifest.json"])["files"]}
    for rec in recs:
        listed = json.loads(rec.read_text(encoding="utf-8"))
        assert all(folder.in_part(p, listed["part"]) and manifest[p] == sha for p, sha, _ in listed["files"])
    assert sum(len(json.loads(r.read_text(encoding="utf-8"))["files"]) for r in recs) == len(manifest)


def test_either_part_alone_gives_its_share_of_the_single_generators_bytes(single: Path, tmp_path: Path) -> None:
    """Texts first, tables second, each in its own empty folder: a part's bytes never depend on the other."""
    theirs = _all_bytes(single)
    for part in reversed(folder.PARTS):
        out = tmp_path / part
        generate_part(out, part, tmp_path / f"{part}.json", scale="tiny", seed=SEED)
        ours = {k: v for k, v in _all_bytes(out).items() if k != folder.part_record(part)}
        assert ours == {k: v for k, v in theirs.items()
                        if folder.in_part(k, part) and k not in (folder.MANIFEST, folder.OWNER_RECORD)}, part


def test_parts_replace_an_earlier_demo_of_another_scale_and_seed(single: Path, tmp_path: Path) -> None:
    out = tmp_path / "raw"
    generate_demo(out, scale="small", seed=7)  # other file names (years), other texts
    _parts_in_parallel(out, tmp_path)
    assert _all_bytes(out) == _all_bytes(single)


def test_a_run_killed_between_the_parts_and_the_listings_is_recognised(single: Path, tmp_path: Path) -> None:
    """The tables part finished, the texts part never ran, no listings: a rerun still owns the folder."""
    out = tmp_path / "raw"
    generate_part(out, "tables", tmp_path / "tables.json", scale="small", seed=7)
    assert not (out / folder.OWNER_RECORD).exists()
    _parts_in_parallel(out, tmp_path)
    assert _all_bytes(out) == _all_bytes(single)


@pytest.mark.parametrize("part, users_file", [("tables", "TRD_Co.csv"), ("tables", "notes.txt"),
                                              ("texts", "mdna/000001_2020.txt")])
def test_a_part_refuses_a_folder_holding_a_users_files(part: str, users_file: str, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    (out / users_file).parent.mkdir(parents=True)
    (out / users_file).write_text("my own export\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"already holds files the demo did not write \({users_file}\)"):
        generate_part(out, part, tmp_path / "rec.json", scale="tiny", seed=SEED)
    assert _all_bytes(tmp_path) == {f"exports/{users_file}": b"my own export\n"}  # no record, no temporaries
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"]


def test_the_listings_need_one_record_of_each_part_of_one_demo(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    generate_part(out, "tables", tmp_path / "tables.json", scale="tiny", seed=SEED)
    generate_part(out, "texts", tmp_path / "texts.json", scale="tiny", seed=SEED + 1)
    with pytest.raises(ValueError, match=r"different demos"):
        write_manifest(out, [tmp_path / "tables.json", tmp_path / "texts.json"])
    with pytest.raises(ValueError, match=r"one record of each demo part"):
        write_manifest(out, [tmp_path / "tables.json", tmp_path / "tables.json"])
    assert not (out / folder.MANIFEST).exists()
