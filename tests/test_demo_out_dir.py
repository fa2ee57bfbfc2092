"""The demo never deletes what it did not write: it replaces its folder only when that holds an earlier demo."""

from pathlib import Path

import pytest

from srdi.demo import generate_demo


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_refuses_a_folder_holding_a_users_files(tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    (out / "TRD_Co.csv").write_text("my own export\n", encoding="utf-8")
    before = _snapshot(tmp_path)
    with pytest.raises(ValueError, match=r"exports already holds files the demo did not write \(TRD_Co.csv\)"):
        generate_demo(out, scale="tiny", seed=1)
    assert _snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"]  # no temporary sibling left either


def test_replaces_an_earlier_demo_but_not_a_file_added_to_it(tmp_path):
    out = tmp_path / "raw"
    generate_demo(out, scale="tiny", seed=1)
    generate_demo(out, scale="tiny", seed=2)  # an earlier demo's folder is the demo's own: replaced
    (out / "notes.txt").write_text("a user's note\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"notes\.txt"):
        generate_demo(out, scale="tiny", seed=3)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "a user's note\n"


def test_an_empty_folder_is_fine_and_stale_temporaries_are_removed(tmp_path):
    out = tmp_path / "raw"
    out.mkdir()
    stale = tmp_path / ".raw.k1ll3d.tmp"  # what a killed run leaves behind
    (stale / "mdna").mkdir(parents=True)
    generate_demo(out, scale="tiny", seed=1)
    assert (out / "manifest.json").is_file()
    assert not stale.exists()


def test_a_rerun_recognises_its_folder_after_snakemake_deleted_the_outputs(tmp_path):
    out = tmp_path / "raw"
    generate_demo(out, scale="tiny", seed=1)
    (out / "manifest.json").unlink()  # Snakemake removes a rule's outputs before it reruns the rule
    (out / "truth.json").unlink()
    generate_demo(out, scale="tiny", seed=1)
    assert (out / "manifest.json").is_file() and (out / "truth.json").is_file()
