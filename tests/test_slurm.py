"""The SLURM profile (workflow/profiles/slurm.template): its settings, and runs on a real one-node SLURM.

The profile tests parse the template and load the workflow through Snakemake's API (no cluster needed). The
cluster tests need a running slurmctld: they use the one `scontrol ping` reaches, or start one with
.ci/slurm_local.sh (root, Debian's slurmctld/slurmd/munge, no accounting database), and skip, saying why, where
neither works. They run the tiny demo through a copy of the template exactly as the README tells a user to, with
the resampling draws split in SHARDS jobs per kind, and check that every job that is not a localrule went through
sbatch, that the results equal an unsharded local run's byte for byte (tables and report up to their config
stamp), and that SIGTERM and Ctrl-C end a run promptly, without a lock, even where sacct would block for ever.
Which jobs a run has and which rules are local is read from Snakemake (a dry run, the loaded workflow), not listed
here, so rules added later (more draws kinds, chunked estimates) are checked as well.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workflow/profiles/slurm.template"
SETUP = ROOT / ".ci/slurm_local.sh"
# The light rules (formatting, bookkeeping: seconds, not growing with the data) are localrules; every other rule
# does real work, declares its resources and goes to the cluster.
LIGHT = {"demo_manifest", "text_measures", "describe", "provenance", "tables", "figures", "report", "all"}
# The cluster run splits the resampling draws (resampling.shards); the local reference run does not.
SHARDS = 2


# ---------------------------------------------------------------------------------------------------- helpers


def _project(work: Path, profile: bool, shards: int = 1) -> Path:
    """A copy of the workflow configured for the tiny demo with the draws in `shards` jobs per resampling kind;
    with `profile`, the user's copy of the template."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "workflow", work / "workflow", ignore=shutil.ignore_patterns("slurm", "__pycache__"))
    (work / "data").mkdir()
    for item in ("mappings", "dictionaries"):
        shutil.copytree(ROOT / "data" / item, work / "data" / item)
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["demo"]["scale"] = "tiny"
    config["resampling"]["shards"] = shards
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


def _slurm_comments(run_id: str) -> Counter:
    """How many SLURM jobs of one run slurmctld saw per comment: the plugin writes rule_<rule>[_wildcards_<w>]
    (rule_<group>_<rules> for a group job)."""
    out = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%k", "--name", run_id],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return Counter(re.sub(r"_wildcards_.*", "", line) for line in out.split())


def _job_counts(project: Path) -> Counter:
    """Jobs per rule of the whole DAG (Snakemake's dry run with --forceall, after the demo checkpoint has run)."""
    run = subprocess.run(_profile_cmd(project, "--dry-run", "--forceall"), cwd=project, capture_output=True,
                         text=True, check=False, timeout=300)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    table = (run.stdout + run.stderr).split("Job stats:", 1)[1].split("total", 1)[0]
    return Counter({m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)})


def _config_stamps(project: Path) -> list[bytes]:
    """The run's config SHA-256 as tables and report print it: in full and its first 16 digits."""
    config = json.loads((project / "results/provenance.json").read_text(encoding="utf-8"))["config"]
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    full = hashlib.sha256(canonical.encode("utf-8")).hexdigest().encode()
    return [full, full[:16]]


def _without(stamps: list[bytes], path: Path) -> dict[str, bytes]:
    """The file's content (each member of a .docx zip) with the config stamp blanked out."""
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as docx:
            parts = {name: docx.read(name) for name in docx.namelist()}
    else:
        parts = {"": path.read_bytes()}
    for stamp in stamps:
        parts = {name: data.replace(stamp, b"<config>") for name, data in parts.items()}
    return parts


def _locks(project: Path) -> list[str]:
    locks = project / ".snakemake/locks"
    return sorted(p.name for p in locks.iterdir()) if locks.is_dir() else []


# ------------------------------------------------------------------------------------------ profile settings


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


@pytest.fixture(scope="module")
def workflow_rules(tmp_path_factory) -> dict[str, dict]:
    """Every rule of the tiny demo's workflow with the draws in SHARDS jobs (so the draws rules exist): whether it
    is a localrule, its threads and its resources for a small and a large input, as Snakemake loads them."""
    project = _project(tmp_path_factory.mktemp("probe") / "project", profile=False, shards=SHARDS)
    run = subprocess.run([sys.executable, "-c", _RULES_PROBE], cwd=project, capture_output=True, text=True,
                         check=False, timeout=300)
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_profile_template_settings(workflow_rules):
    profile = yaml.safe_load((TEMPLATE / "config.yaml").read_text(encoding="utf-8"))
    assert profile["executor"] == "slurm"
    defaults = profile.get("default-resources", {})
    # Account and partition are the user's (commented placeholders), never hard-coded.
    assert "slurm_partition" not in defaults and "slurm_account" not in defaults
    assert "slurm_partition: \"your_partition\"" in (TEMPLATE / "config.yaml").read_text(encoding="utf-8")
    # Status through squeue: sacct blocks where no accounting database answers.
    assert profile["slurm-status-command"] == "squeue"
    assert defaults["mem_mb"] <= 4000 and defaults["runtime"] <= 60
    # Each job asks for at most `cores` CPUs. No job groups: every job that is not a localrule is a SLURM job of its
    # own, which the cluster spreads (text jobs, estimates, draws). Group-components below the number of jobs
    # submits some jobs twice after the demo checkpoint (snakemake#1217, #1628); one group of all runs on one node.
    assert profile["cores"] >= 1
    assert "groups" not in profile and "group-components" not in profile, profile.get("groups")
    # Rules re-sized in the profile exist (a renamed rule would silently lose its limits) and are submitted.
    resized = set(profile.get("set-resources") or {})
    assert resized <= set(workflow_rules), resized - set(workflow_rules)
    assert not any(workflow_rules[name]["local"] for name in resized)
    # The user's copy is git-ignored and nothing in it is tracked, so filling it in never marks the outputs as
    # uncommitted changes (provenance records git status).
    if (ROOT / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", "workflow/profiles/slurm/config.yaml"], cwd=ROOT,
                                 check=False)
        assert ignored.returncode == 0, "workflow/profiles/slurm/ is not git-ignored"
        tracked = subprocess.run(["git", "ls-files", "workflow/profiles/slurm/"], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout
        assert not tracked, tracked


def test_rules_declare_resources_and_light_ones_are_local(workflow_rules):
    """Every rule that is not a light one declares memory, run time and threads (scaling with its input where it
    matters), the draws rules included; the light ones are localrules, run by Snakemake itself, not submitted."""
    rules = workflow_rules
    local = {name for name, rule in rules.items() if rule["local"]}
    assert local == LIGHT, f"localrules {sorted(local)}; a new light rule belongs in LIGHT, a heavy one is no localrule"
    heavy = set(rules) - LIGHT
    assert {"demo_tables", "demo_texts", "ingest", "base_panel", "text_count", "panel"} <= heavy, heavy
    assert any(name.startswith("estimate_panel") for name in heavy), heavy  # estimate_panel_<i> with shards
    assert {"draws_heterogeneity", "draws_mediation"} <= heavy, heavy
    for name in heavy:
        rule = rules[name]
        assert rule["threads"] == 1, name
        small, large = rule["small"], rule["large"]
        assert set(small) == {"mem_mb", "runtime"}, (name, small)
        # Far below the old blanket 8 GB / 60 min for a small input, with headroom over the measured peaks
        # (benchmarks/results/slurm_rules.md).
        assert 1000 <= small["mem_mb"] <= 2000 and 5 <= small["runtime"] <= 30, (name, small)
        assert large["mem_mb"] >= small["mem_mb"] and large["runtime"] >= small["runtime"], (name, large)
    scaling = {"ingest", "panel", "estimate_panel", "estimate_heterogeneity"} | {n for n in heavy if "draws_" in n}
    for name in scaling & set(rules):
        assert rules[name]["large"]["mem_mb"] > rules[name]["small"]["mem_mb"], f"{name} memory does not scale"
        assert rules[name]["large"]["runtime"] > rules[name]["small"]["runtime"], f"{name} time does not scale"
    # Where memory grows with the input, the request grows at least twice as fast as the peak did between the tiny
    # and the default demo (MB per MB of input, benchmarks/results/slurm_rules.md), so a real panel several times
    # the demo's still fits.
    measured_slope = {"ingest": 4.3, "panel": 17, "estimate_": 29, "draws_": 29}
    for name in heavy:
        key = next((k for k in measured_slope if name == k or (k.endswith("_") and name.startswith(k))), None)
        if key:
            request = (rules[name]["large"]["mem_mb"] - rules[name]["small"]["mem_mb"]) / 999
            assert request >= 2 * measured_slope[key], f"{name}: asks {request:.1f}, used {measured_slope[key]} MB/MB"


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


def _jobs_in_log(log: str) -> dict[str, tuple[str, str]]:
    """Every job of a run from Snakemake's log: jobid -> (rule, how it ran: local, submitted, or in a group job)."""
    jobs, current = {}, None
    for line in log.splitlines():
        if head := re.fullmatch(r"(\s*)(local)?(?:rule|checkpoint) (\w+):", line):
            indent, local, rule = head.groups()
            current = (rule, "local" if local else "group" if indent else "submitted")
        elif current and (found := re.fullmatch(r"\s+jobid: (\d+)", line)):
            jobs[found.group(1)] = current
            current = None
    return jobs


@pytest.mark.slow
@pytest.mark.e2e
def test_sharded_tiny_demo_on_slurm_equals_local_run(slurm_cluster, workflow_rules, tmp_path):
    """The tiny demo through the user's copy of the profile, with the draws in SHARDS jobs per resampling kind, runs
    every job that is not a localrule through sbatch and gives the bytes of an unsharded local run."""
    local = _project(tmp_path / "local", profile=False)
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=local, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stderr[-4000:]

    cluster = _project(tmp_path / "cluster", profile=True, shards=SHARDS)
    start = time.monotonic()
    # README step 2, as is (srdi.launch starts Snakemake with these arguments).
    run = subprocess.run([sys.executable, "-m", "srdi.launch", "--profile", "workflow/profiles/slurm"], cwd=cluster,
                         capture_output=True, text=True, check=False, timeout=1200)
    elapsed = time.monotonic() - start
    # The console shows one line per job (srdi.console); Snakemake's full log keeps the rule blocks read here.
    full = max((cluster / ".snakemake/log").glob("*.snakemake.log"), key=lambda p: p.stat().st_mtime)
    log = full.read_text(encoding="utf-8")
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]

    # The run did every job of the DAG once (Snakemake's dry run of the finished project counts them), the draws
    # in SHARDS jobs per resampling kind.
    jobs = _jobs_in_log(log)
    expected = _job_counts(cluster)
    assert Counter(rule for rule, _ in jobs.values()) == expected, (expected, log[-6000:])
    draws = {rule: n for rule, n in expected.items() if rule.startswith("draws_")}
    assert draws and set(draws.values()) == {SHARDS}, expected
    # each draws kind's estimates: one job estimate_<kind>, or its chunks estimate_<kind>_<i> with shards
    assert all(any(r == f"estimate_{kind}" or r.startswith(f"estimate_{kind}_") for r in expected)
               for kind in (rule.removeprefix("draws_") for rule in draws)), expected
    # How each job ran follows from the workflow and the profile: localrules here, the rules the profile groups (none
    # in the template) inside group jobs, every other job (draws, estimates, text, demo ...) submitted on its own.
    profile = yaml.safe_load((cluster / "workflow/profiles/slurm/config.yaml").read_text(encoding="utf-8"))
    grouped = set(profile.get("groups") or {})
    local_rules = {rule for rule in expected if workflow_rules[rule]["local"]}
    assert local_rules <= LIGHT, local_rules - LIGHT
    for jobid, (rule, how) in jobs.items():
        wanted = "local" if rule in local_rules else "group" if rule in grouped else "submitted"
        assert how == wanted, (jobid, rule, how, wanted)
    remote = {rule for rule, how in jobs.values() if how == "submitted"}
    assert remote >= set(draws), remote
    for stage in ("demo", "ingest", "text_count", "panel", "estimate_"):  # each stage's work, however split in rules
        assert any(rule.startswith(stage) for rule in remote), (stage, remote)

    # Every submitted job and every group job went through sbatch, once; slurmctld saw each complete, under a
    # comment naming its rule.
    submitted = re.findall(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.", log)
    alone = Counter(jobid for jobid, _, _ in submitted if jobid.isdigit())
    assert alone == Counter(j for j, (_, how) in jobs.items() if how == "submitted"), (alone, jobs)
    n_groups = len(re.findall(r"^\[.*\] Group job \w+ ", log, re.M))
    assert len(submitted) - sum(alone.values()) == n_groups, (submitted, n_groups)
    states = _squeue(_run_id(log))
    assert {slurm_id for _, slurm_id, _ in submitted} == set(states), (submitted, states)
    assert set(states.values()) == {"COMPLETED"}, states
    comments = _slurm_comments(_run_id(log))
    for rule, n in Counter(rule for rule, how in jobs.values() if how == "submitted").items():
        assert comments[f"rule_{rule}"] == n, (rule, n, comments)
    for *_, path in submitted:  # the SLURM output of every job is kept
        assert Path(cluster, path).is_file() or Path(path).is_file(), path

    # Same bytes as the unsharded local run: everything but provenance.json (its time stamp) and the logs; the
    # cluster run has the draws files of its shards in addition. The estimates, the panel and every file before
    # them are identical byte for byte; the tables and the report differ only in their footnotes' config SHA-256
    # (the configs differ in resampling.shards).
    first, second = _digests(local), _digests(cluster)
    extra = second.keys() - first.keys()
    assert all(name.startswith("results/interim/draws/") for name in extra), extra
    assert len(extra) == sum(draws.values()), extra
    assert first.keys() <= second.keys(), first.keys() - second.keys()
    differ = [k for k in first if first[k] != second[k]]
    assert not [k for k in differ if not k.startswith(("results/tables/", "results/report"))], differ
    assert any(k.startswith("results/estimates/") for k in first)
    stamps = _config_stamps(local), _config_stamps(cluster)
    for name in differ:
        assert _without(stamps[0], local / name) == _without(stamps[1], cluster / name), name
    assert not _locks(cluster)
    print(f"tiny demo through the SLURM profile, {SHARDS} shards: {elapsed:.0f} s, {len(submitted)} sbatch jobs")


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
