"""`make run` (srdi.launch) after a kill: stale lock and temporaries removed only when no Snakemake runs there."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from srdi.launch import RunInProgress, recover, take_launch_lock

ROOT = Path(__file__).resolve().parents[1]


def test_stale_lock_and_temporaries_are_removed(tmp_path):
    (tmp_path / ".snakemake/locks").mkdir(parents=True)
    (tmp_path / ".snakemake/locks/0.input.lock").write_text("x\n", encoding="utf-8")
    (tmp_path / "results/tables").mkdir(parents=True)
    tmp = tmp_path / "results/tables/.baseline.csv.k1ll3d.tmp"
    tmp.write_text("half", encoding="utf-8")
    keep = tmp_path / "results/tables/baseline.csv"
    keep.write_text("whole", encoding="utf-8")
    done = recover(tmp_path)
    assert len(done) == 2
    assert not list((tmp_path / ".snakemake/locks").glob("*.lock")) and not tmp.exists() and keep.exists()


def test_nothing_is_touched_while_a_snakemake_works_in_the_folder(tmp_path):
    (tmp_path / ".snakemake/locks").mkdir(parents=True)
    lock = tmp_path / ".snakemake/locks/0.input.lock"
    lock.write_text("x\n", encoding="utf-8")
    fake = tmp_path / "snakemake"  # a process whose command line is `python .../snakemake`, working here
    fake.write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(fake)], cwd=tmp_path)
    try:
        time.sleep(0.3)
        with pytest.raises(RunInProgress, match=rf"pid {proc.pid}"):
            recover(tmp_path)
        assert lock.exists()
    finally:
        proc.kill()
        proc.wait()


def test_a_second_launch_in_the_same_folder_is_refused(tmp_path):
    fd = take_launch_lock(tmp_path)
    try:
        code = subprocess.run([sys.executable, "-m", "srdi.launch", "--version"], cwd=tmp_path, capture_output=True,
                              text=True, check=False)
        assert code.returncode == 1 and "another `make run` is working" in code.stderr
    finally:
        os.close(fd)


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "results").rglob("*"))
            if p.is_file() and p.name != "provenance.json" and "logs" not in p.parts}


def _tiny(folder: Path) -> None:
    shutil.copytree(ROOT / "workflow", folder / "workflow")
    (folder / "data").mkdir()
    for item in ("mappings", "dictionaries"):
        shutil.copytree(ROOT / "data" / item, folder / "data" / item)
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["demo"]["scale"] = "tiny"
    (folder / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


@pytest.mark.e2e
@pytest.mark.slow
def test_killed_run_resumes_with_byte_identical_results(tmp_path):
    launch = [sys.executable, "-m", "srdi.launch", "--cores", "2"]
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    _tiny(killed)
    _tiny(clean)
    proc = subprocess.Popen(launch, cwd=killed, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (killed / "results/interim/base_panel.parquet").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole run, as a power cut or `kill -9` of the session would
    proc.wait()
    assert list((killed / ".snakemake/locks").glob("*.lock")), "the kill should have left Snakemake's lock"
    (killed / "results/tables").mkdir(parents=True, exist_ok=True)
    (killed / "results/tables/.baseline.csv.k1ll3d.tmp").write_text("half", encoding="utf-8")

    resumed = subprocess.run(launch, cwd=killed, capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    assert "removed the lock an interrupted run left" in resumed.stderr
    assert not list((killed / "results").rglob("*.tmp"))
    straight = subprocess.run(launch, cwd=clean, capture_output=True, text=True, check=False)
    assert straight.returncode == 0, straight.stderr[-4000:]
    # The console: one line per job, no config echoed, the warnings, and the report's path last.
    lines = straight.stdout.splitlines()
    jobs = [line for line in lines if line.startswith("[")]
    assert jobs[-1].endswith("] all") and len(jobs) == int(jobs[-1].split("/")[1].split("]")[0])
    assert len(lines) < len(jobs) + 40, straight.stdout
    assert "config-json" not in straight.stdout and '"models"' not in straight.stdout
    assert lines[-1] == f"Report: {(clean / 'results/report.html').resolve()}"
    assert _digests(killed) == _digests(clean)
