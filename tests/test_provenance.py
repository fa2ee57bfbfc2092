import hashlib
import json

from srdi.provenance import write_provenance
from srdi.workflow_inputs import package_sources


def test_provenance_hashes_inputs_and_outputs(tmp_path):
    raw = tmp_path / "raw"
    (raw / "mdna").mkdir(parents=True)
    (raw / "a.csv").write_bytes(b"x,y\n1,2\n")
    (raw / "mdna" / "000001_2020.txt").write_text("文本", encoding="utf-8")
    out = tmp_path / "est.csv"
    out.write_text("term\n")
    record = write_provenance({"seed": 7}, [str(raw)], [str(out)], tmp_path / "provenance.json")
    saved = json.loads((tmp_path / "provenance.json").read_text(encoding="utf-8"))
    assert saved == record
    assert saved["seed"] == 7
    key = (raw / "a.csv").as_posix()
    assert saved["inputs_sha256"][key] == hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    assert len(saved["inputs_sha256"]) == 2
    assert saved["outputs_sha256"][out.as_posix()] == hashlib.sha256(b"term\n").hexdigest()
    assert saved["packages"]["pandas"] != "not installed"


def test_rule_code_inputs_cover_the_stage_package():
    files = package_sources("models")
    assert any(f.endswith("srdi/models/panel.py") for f in files)
    assert any(f.endswith("srdi/atomic.py") for f in files)
    assert not any("/ingest/" in f for f in files)


def test_derived_seeds_are_stable_and_distinct():
    from srdi.seeds import derive_seed

    assert derive_seed(20250403, "model:a") == derive_seed(20250403, "model:a")
    assert derive_seed(20250403, "model:a") != derive_seed(20250403, "model:b")
    assert derive_seed(1, "model:a") != derive_seed(2, "model:a")


def test_hash_inputs_lists_the_files_pathlib_finds(tmp_path, monkeypatch):
    """The os.walk listing keys and hashes exactly what `Path(folder).rglob("*")` + is_file() gives: nested and
    hidden files, a symlinked file (hashed), a symlinked folder (not entered), a large file (hashed in blocks), a
    relative folder and "."; a file named twice is one entry."""
    import os
    from pathlib import Path

    from srdi.provenance import SMALL, hash_inputs

    raw = tmp_path / "raw"
    (raw / "mdna" / "2020").mkdir(parents=True)
    (raw / "mdna" / "2020" / "000001_2020.txt").write_text("文本", encoding="utf-8")
    (raw / ".hidden").write_bytes(b"h")
    (raw / "empty.csv").write_bytes(b"")
    (raw / "big.bin").write_bytes(bytes(range(256)) * (SMALL // 256 * 3 + 7))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_text("x")
    os.symlink(tmp_path / "elsewhere", raw / "linked_dir")
    os.symlink(raw / ".hidden", raw / "linked_file")
    monkeypatch.chdir(tmp_path)

    def reference(folder: str) -> dict[str, str]:
        return {f.as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
                for f in sorted(Path(folder).rglob("*")) if f.is_file()}

    for folder in ("raw", "raw/", "./raw"):
        assert hash_inputs([folder]) == reference(folder)
    monkeypatch.chdir(raw)
    assert hash_inputs(["."]) == reference(".")
    assert len(reference(".")) == 5  # the linked folder's file is not among them
    both = hash_inputs([".", "mdna/2020/000001_2020.txt"])
    assert list(both) == sorted(reference("."))
