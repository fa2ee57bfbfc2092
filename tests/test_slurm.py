"""The SLURM profile (workflow/profiles/slurm.template): its settings, and runs on a real one-node SLURM.

The profile test parses the template and dry-runs the workflow through it (no cluster needed). The cluster tests
need a running slurmctld: they use the one `scontrol ping` reaches, or start one with .ci/slurm_local.sh (root,
Debian's slurmctld/slurmd/munge, no accounting database), and skip, saying why, where neither works. They run the
tiny demo through a copy of the template exactly as the README tells a user to, and check that every job that is
not a localrule went through sbatch, that the results equal a local run's byte for byte, and that SIGTERM and
Ctrl-C end a run promptly, without a lock, even where sacct would block for ever.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workflow/profiles/slurm.template"
SETUP = ROOT / ".ci/slurm_local.sh"
# Rules that do real work go to the cluster; the light ones (formatting, bookkeeping) stay local. Besides HEAVY,
# every model job is heavy: estimate_<kind> (with resampling.shards n > 1: estimate_<kind>_<i>) and draws_<kind>.
HEAVY = {"demo_tables", "demo_texts", "ingest", "base_panel", "text_count", "panel", "import_panel"}
LIGHT = {"demo_manifest", "text_measures", "describe", "provenance", "tables", "figures", "report", "all"}


# ---------------------------------------------------------------------------------------------------- helpers


def _project(work: Path, profile: bool) -> Path:
    """A copy of the workflow configured for the tiny demo; with `profile`, the user's copy of the template."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "workflow", work / "workflow", ignore=shutil.ignore_patterns("slurm", "__pycache__"))
    (work / "data").mkdir()
    for item in ("mappings", "dictionaries"):
        shutil.copytree(ROOT / "data" / item, work / "data" / item)
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["demo"]["scale"] = "tiny"
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    if profile:  # README step 1
        shutil.copytree(TEMPLATE, work / "workflow/profiles/slurm")
    return work


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "results").rglob("*"))
            if p.is_file() and p.name != "provenance.json" and "logs" not in p.parts}


def _profile_cmd(project: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--profile", str(project / "workflow/profiles/slurm"), *extra]


def _run_id(log: str) -> str:
    found = re.search(r"SLURM run ID: (\S+)", log)
    assert found, log[-3000:]
    return found.group(1)


def _squeue(run_id: str) -> dict[str, str]:
    """State of every job of one run that slurmctld still knows (MinJobAge keeps finished ones)."""
    out = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i|%T", "--name", run_id],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return dict(line.split("|", 1) for line in out.split())


def _locks(project: Path) -> list[str]:
    locks = project / ".snakemake/locks"
    return sorted(p.name for p in locks.iterdir()) if locks.is_dir() else []


# ------------------------------------------------------------------------------------------ profile settings


def test_profile_template_settings():
    profile = yaml.safe_load((TEMPLATE / "config.yaml").read_text(encoding="utf-8"))
    assert profile["executor"] == "slurm"
    defaults = profile.get("default-resources", {})
    # Account and partition are the user's (commented placeholders), never hard-coded.
    assert "slurm_partition" not in defaults and "slurm_account" not in defaults
    assert "slurm_partition: \"your_partition\"" in (TEMPLATE / "config.yaml").read_text(encoding="utf-8")
    # Status through squeue: sacct blocks where no accounting database answers.
    assert profile["slurm-status-command"] == "squeue"
    assert defaults["mem_mb"] <= 4000 and defaults["runtime"] <= 60
    # The text years run as one group job, each job asks for at most `cores` CPUs.
    assert profile["groups"] == {"text_count": "text"} and profile["cores"] >= 1
    # The user's copy is git-ignored and nothing in it is tracked, so filling it in never marks the outputs as
    # uncommitted changes (provenance records git status).
    if (ROOT / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", "workflow/profiles/slurm/config.yaml"], cwd=ROOT,
                                 check=False)
        assert ignored.returncode == 0, "workflow/profiles/slurm/ is not git-ignored"
        tracked = subprocess.run(["git", "ls-files", "workflow/profiles/slurm/"], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout
        assert not tracked, tracked


# Loads the workflow through Snakemake's API (in a subprocess) and prints, per rule, whether it is a localrule and
# its resources, with the callables evaluated for inputs of 1 MB and 1,000 MB.
_RULES_PROBE = r"""
import json, sys
from pathlib import Path
from types import SimpleNamespace
from snakemake.api import SnakemakeApi
from snakemake.settings.types import OutputSettings, ResourceSettings

def value(res, size_mb, folder):
    if not callable(res):
        return res
    return res({}, input=SimpleNamespace(size_mb=size_mb, report=str(folder / "report.json")))

with SnakemakeApi(OutputSettings()) as api:
    workflow = api.workflow(resource_settings=ResourceSettings(cores=1), snakefile=Path("workflow/Snakefile"),
                            workdir=Path("."))._workflow
    rules = {}
    for rule in workflow.rules:
        declared = {k: rule.resources[k]._value for k in ("mem_mb", "runtime") if k in rule.resources}
        rules[rule.name] = {
            "local": rule.name in workflow._localrules or rule.norun,
            "threads": rule.resources["_cores"]._value,
            "small": {k: value(v, 1.0, Path("results/interim")) for k, v in declared.items()},
            "large": {k: value(v, 1000.0, Path("results/interim")) for k, v in declared.items()},
        }
    json.dump(rules, sys.stdout)
"""


def test_rules_declare_resources_and_light_ones_are_local(tmp_path):
    """Heavy rules declare memory, run time and threads (scaling with their input where it matters); light ones are
    localrules, run by Snakemake itself, not submitted."""
    import json

    project = _project(tmp_path / "probe", profile=False)
    run = subprocess.run([sys.executable, "-c", _RULES_PROBE], cwd=project, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr[-4000:]
    rules = json.loads(run.stdout.strip().splitlines()[-1])
    assert {name for name, rule in rules.items() if rule["local"]} == LIGHT
    heavy = {name for name in rules if name in HEAVY or name.startswith(("estimate_", "draws_"))}
    assert {"demo_tables", "demo_texts", "ingest", "base_panel", "text_count", "panel", "estimate_panel"} <= heavy
    assert heavy | LIGHT == set(rules), set(rules) - heavy - LIGHT
    for name in heavy:
        rule = rules[name]
        assert rule["threads"] == 1, name
        small, large = rule["small"], rule["large"]
        assert set(small) == {"mem_mb", "runtime"}, (name, small)
        # Far below the old blanket 8 GB / 60 min for a small input, with headroom over the measured peaks
        # (at most 540 MB and 75 s at the default demo scale, benchmarks/results/slurm_rules.md).
        assert 1000 <= small["mem_mb"] <= 2000 and 5 <= small["runtime"] <= 30, (name, small)
        assert large["mem_mb"] >= small["mem_mb"] and large["runtime"] >= small["runtime"], (name, large)
    for name in ("ingest", "panel", "estimate_panel", "estimate_heterogeneity"):
        if name in rules:
            assert rules[name]["large"]["mem_mb"] > rules[name]["small"]["mem_mb"], f"{name} memory does not scale"
            assert rules[name]["large"]["runtime"] > rules[name]["small"]["runtime"], f"{name} time does not scale"


# --------------------------------------------------------------------------------------------- real cluster


@pytest.fixture(scope="module")
def slurm_cluster() -> None:
    """A slurmctld that answers, started by .ci/slurm_local.sh when none does; skip, saying why, otherwise."""
    for tool in ("sbatch", "squeue", "scontrol"):
        if shutil.which(tool) is None and os.geteuid() != 0:
            pytest.skip(f"SLURM client `{tool}` is not installed and this is not root (run .ci/slurm_local.sh)")
    try:
        setup = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, check=False, timeout=600)
    except subprocess.TimeoutExpired:
        pytest.skip(".ci/slurm_local.sh did not finish within 10 minutes")
    if setup.returncode != 0:
        pytest.skip(f"slurmctld could not be started by .ci/slurm_local.sh: {(setup.stderr or setup.stdout)[-600:]}")
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        pytest.fail("snakemake-executor-plugin-slurm is missing: `make` installs the `cluster` extra")


@pytest.mark.slow
@pytest.mark.e2e
def test_tiny_demo_on_slurm_equals_local_run(slurm_cluster, tmp_path):
    local = _project(tmp_path / "local", profile=False)
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=local, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stderr[-4000:]

    cluster = _project(tmp_path / "cluster", profile=True)
    start = time.monotonic()
    # README step 2, as is (srdi.launch starts Snakemake with these arguments).
    run = subprocess.run([sys.executable, "-m", "srdi.launch", "--profile", "workflow/profiles/slurm"], cwd=cluster,
                         capture_output=True, text=True, check=False, timeout=1200)
    elapsed = time.monotonic() - start
    # The console shows one line per job (srdi.console); Snakemake's full log keeps the rule blocks read here.
    full = max((cluster / ".snakemake/log").glob("*.snakemake.log"), key=lambda p: p.stat().st_mtime)
    log = full.read_text(encoding="utf-8")
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]

    # Which rules ran here and which were submitted: the light ones are localrules, every other job went through
    # sbatch (the text years as one group job), and slurmctld saw each submission complete.
    local_rules = set(re.findall(r"^localrule (\w+):", log, re.M))
    assert local_rules <= LIGHT, local_rules - LIGHT
    submitted = re.findall(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.", log)
    remote = set(re.findall(r"^(?:rule|checkpoint) (\w+):", log, re.M))
    assert remote >= {"demo_tables", "demo_texts", "ingest", "base_panel", "panel"}, remote
    assert remote.isdisjoint(LIGHT), remote & LIGHT
    assert any(name.startswith("estimate_") for name in remote)
    # The text years: only inside the one group job, never submitted or run alone.
    assert re.search(r"Group job text ", log) and re.search(r"^\s+rule text_count:", log, re.M), log[-6000:]
    assert not re.search(r"^(?:local)?rule text_count:", log, re.M)
    n_remote_jobs = len(re.findall(r"^(?:rule|checkpoint) \w+:", log, re.M)) + len(re.findall(r"Group job ", log))
    assert len(submitted) == n_remote_jobs, (len(submitted), n_remote_jobs, log[-6000:])
    states = _squeue(_run_id(log))
    assert {slurm_id for _, slurm_id, _ in submitted} == set(states), (submitted, states)
    assert set(states.values()) == {"COMPLETED"}, states
    for *_, path in submitted:  # the SLURM output of every job is kept
        assert Path(cluster, path).is_file() or Path(path).is_file(), path

    # Same bytes as the local run: everything but provenance.json (its time stamp) and the logs.
    first, second = _digests(local), _digests(cluster)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    assert not _locks(cluster)
    print(f"tiny demo through the SLURM profile: {elapsed:.0f} s, {len(submitted)} sbatch jobs")


def _hanging_sacct(folder: Path) -> Path:
    """A `sacct` that never answers and ignores SIGTERM, as on a cluster whose accounting database is down."""
    folder.mkdir()
    stub = folder / "sacct"
    stub.write_text("#!/bin/sh\ntrap '' TERM INT\nsleep 3600\n", encoding="utf-8")
    stub.chmod(0o755)
    return folder


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_signal_ends_profile_run_promptly_without_lock(slurm_cluster, tmp_path, signum):
    """With a sacct that blocks for ever on PATH, a run with an account filled in (README step 1) works, and
    SIGTERM (finish the running jobs, submit no more) or Ctrl-C (scancel them) ends it promptly, lock removed."""
    project = _project(tmp_path / "run", profile=True)
    user_profile = project / "workflow/profiles/slurm/config.yaml"
    text = user_profile.read_text(encoding="utf-8")
    user_profile.write_text(text.replace('# slurm_account: "your_account"', 'slurm_account: "srdi_test"'),
                            encoding="utf-8")
    env = {**os.environ, "PATH": f"{_hanging_sacct(tmp_path / 'bin')}{os.pathsep}{os.environ['PATH']}"}
    log_path = tmp_path / "snakemake.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(_profile_cmd(project), cwd=project, env=env, stdout=log_file,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while "has been submitted with SLURM jobid" not in log_path.read_text() and proc.poll() is None:
                assert time.monotonic() < deadline, "no job was submitted within 5 minutes:\n" + log_path.read_text()
                time.sleep(0.5)
            assert proc.poll() is None, log_path.read_text()[-4000:]
            time.sleep(3)  # the job is running or queued; status polls are under way
            sent = time.monotonic()
            proc.send_signal(signum)
            proc.wait(timeout=120)
            took = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    log = log_path.read_text()
    assert took < 90, f"the run took {took:.0f} s to end after {signum.name}:\n{log[-4000:]}"
    assert not _locks(project), log[-4000:]
    states = _squeue(_run_id(log))
    assert states and not {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING"} & set(states.values()), states
    print(f"{signum.name}: ended {took:.1f} s after the signal; jobs {states}")
