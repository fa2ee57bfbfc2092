"""End to end: the Snakemake DAG on a tiny demo in a temporary folder, as a user would run it."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONTRACT_COLUMNS = ["model", "outcome", "term", "estimate", "std_error", "statistic", "p_value",
                    "conf_low", "conf_high", "nobs", "r2_within", "n_clusters", "fe", "vcov"]

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, check=False)


def _planned_rules(result: subprocess.CompletedProcess) -> set[str]:
    """Rule names in the 'Job stats' table of a dry run."""
    rules, in_table = set(), False
    for line in result.stdout.splitlines():
        if line.startswith("job ") and "count" in line:
            in_table = True
            continue
        if in_table:
            parts = line.split()
            if not parts or parts[0] == "total":
                break
            if not set(parts[0]) <= {"-"}:
                rules.add(parts[0])
    return rules


def _tiny_project(work: Path) -> Path:
    """A copy of the workflow in `work`, configured for the tiny demo, after one full run."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "workflow", work / "workflow")
    (work / "data").mkdir()
    for item in ("mappings", "dictionaries"):
        shutil.copytree(ROOT / "data" / item, work / "data" / item)
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["demo"]["scale"] = "tiny"
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run = _snakemake(work)
    assert run.returncode == 0, run.stderr[-4000:]
    return work


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return _tiny_project(tmp_path_factory.mktemp("project"))


def test_two_runs_give_byte_identical_outputs(project, tmp_path):
    """Same inputs, same bytes: everything the DAG writes except provenance.json (its time stamp) and logs."""
    again = _tiny_project(tmp_path / "again")

    def digests(root: Path) -> dict[str, str]:
        skip = {"provenance.json"}
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted((root / "results").rglob("*"))
                if p.is_file() and p.name not in skip and "logs" not in p.parts}

    first, second = digests(project), digests(again)
    assert first.keys() == second.keys()
    assert any(k.endswith(".png") for k in first) and any(k.endswith(".docx") for k in first)
    differing = [k for k in first if first[k] != second[k]]
    assert not differing, differing


def test_resampling_in_three_shard_jobs_gives_the_same_estimates(project, tmp_path):
    """resampling.shards: 3 runs the permutation, bootstrap and placebo draws as three jobs per kind, and splits
    each kind's models into up to three estimate jobs that combine them: the same bytes as the one-job run."""
    work = tmp_path / "sharded"
    shutil.copytree(project, work, ignore=shutil.ignore_patterns(".snakemake"))
    config = yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8"))
    # the default IV model has no wild bootstrap: a copy with one (WRE, Webb draws) covers the iv kind's draws
    config["models"]["iv_wild"] = {**config["models"]["endogeneity_iv"], "wild_bootstrap": {"reps": 999},
                                   "vcov": {"type": "cluster", "by": ["industry_code"]}}
    config["resampling"] = {"shards": 3}
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    kinds = ("did", "heterogeneity", "iv", "mediation", "panel")
    names = sorted(n for n, m in config["models"].items() if m["kind"] in kinds)
    targets = [f"results/estimates/{n}.csv" for n in names]
    for target in targets:
        (work / target).unlink(missing_ok=True)
    run = _snakemake(work, "--", *targets)
    assert run.returncode == 0, run.stderr[-4000:]
    for kind in kinds:
        assert sorted(p.name for p in (work / f"results/interim/draws/{kind}").iterdir()) == [
            "0.npz", "1.npz", "2.npz"]
    assert (work / "results/logs/estimate_panel_2.log").is_file()  # the panel grid ran in chunk jobs
    assert {config["models"][n]["kind"] for n in names} == set(kinds)  # every sharded kind is exercised
    did = [config["models"][n] for n in names if config["models"][n]["kind"] == "did"]
    assert any((m.get("placebo") or {}).get("reps") and (m.get("callaway_santanna") or {}).get("bootstrap", 999)
               and "callaway_santanna" in m.get("estimators", ["callaway_santanna"]) for m in did)  # both DID draws
    sharded = {t: (work / t).read_bytes() for t in targets}
    assert all(sharded[t] == (project / t).read_bytes() for t in targets if "iv_wild" not in t)
    wild = pd.read_csv(work / "results/estimates/iv_wild.csv")
    assert (wild["equation"] == "wild_bootstrap").sum() == 1
    config["resampling"] = {"shards": 1}  # the model that the project run lacks: against its own one-job run
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (work / "results/estimates/iv_wild.csv").unlink()
    run = _snakemake(work, "--", "results/estimates/iv_wild.csv")
    assert run.returncode == 0, run.stderr[-4000:]
    assert (work / "results/estimates/iv_wild.csv").read_bytes() == sharded["results/estimates/iv_wild.csv"]


def test_dag_writes_contract_outputs(project):
    panel = pd.read_parquet(project / "results/panel.parquet")
    assert not panel.duplicated(["stkcd", "year"]).any()
    assert panel["stkcd"].str.fullmatch(r"\d{6}").all()
    codebook = pd.read_csv(project / "results/codebook.csv")
    assert codebook["name"].tolist() == list(panel.columns)
    # what srdi.config_refs checks the models' columns against at start-up, before the panel exists
    from srdi.config import load_config
    from srdi.config_refs import built_panel_columns

    config = load_config(project / "config.yaml")
    config["text"]["dictionaries"] = {k: str(ROOT / v) for k, v in config["text"]["dictionaries"].items()}
    known, problems = built_panel_columns(config)
    assert not problems and set(panel.columns) <= known
    est = pd.read_csv(project / "results/estimates/baseline.csv")
    # the contract's columns in their order; `lag` (issue 10: every term's lag) stands right after `term`
    assert [c for c in est.columns if c in CONTRACT_COLUMNS] == CONTRACT_COLUMNS
    assert list(est.columns[:4]) == ["model", "outcome", "term", "lag"]
    main = est[est["equation"] == "main"].set_index("term")  # the FE equation (RE, placebo rows follow)
    row = main.loc["coinnov"]
    assert row["lag"] == 1
    assert row["fe"] == "entity+time"
    assert row["std_error"] > 0 and row["n_clusters"] > 10
    assert row["conf_low"] < row["estimate"] < row["conf_high"]
    assert (project / "results/provenance.json").exists()
    assert (project / "data/demo/raw/truth.json").exists()


def test_second_run_has_nothing_to_do(project):
    dry = _snakemake(project, "-n")
    assert dry.returncode == 0, dry.stderr
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_editing_package_code_reruns_dependent_rules(project):
    # Snakemake >= 9.18 compares checksums, so the edit must change the file's content, not only its mtime.
    target = ROOT / "src/srdi/models/tidy.py"
    original, stat = target.read_bytes(), target.stat()
    try:
        target.write_bytes(original + b"\n# edited by test_editing_package_code_reruns_dependent_rules\n")
        dry = _snakemake(project, "-n")
    finally:
        target.write_bytes(original)
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert dry.returncode == 0, dry.stderr
    rules = _planned_rules(dry)
    assert "estimate_panel" in rules
    assert not {"demo_tables", "demo_texts", "ingest"} & rules


def _dag_edges(project: Path) -> set[tuple[str, str]]:
    """(needed rule, needing rule) pairs of the whole DAG (`snakemake --dag --forceall`), by rule name."""
    import re

    run = _snakemake(project, "--dag", "--forceall")
    assert run.returncode == 0, run.stderr
    names = {m[0]: m[1].split("\\n")[0] for m in re.findall(r'^\s*(\d+)\[label = "([^"]*)"', run.stdout, re.M)}
    return {(names[a], names[b]) for a, b in re.findall(r"^\s*(\d+) -> (\d+)", run.stdout, re.M)}


def test_the_demo_is_two_parallel_jobs_each_feeding_only_its_readers(project, tmp_path):
    """demo_tables (raw tables, truth) feeds ingestion and demo_texts (mdna/) the text counts, neither waits for
    the other, and the run's provenance hashes the folder only once demo_manifest has listed both."""
    fresh = tmp_path / "fresh"
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns(".snakemake", "results", "demo"))
    planned = _planned_rules(_snakemake(fresh, "-n"))
    assert {"demo_tables", "demo_texts", "demo_manifest", "ingest", "text_count"} <= planned
    assert "demo_data" not in planned
    edges = _dag_edges(project)
    assert not {e for e in edges if e[1] in ("demo_tables", "demo_texts")}  # both start at once
    assert {("demo_tables", "ingest"), ("demo_texts", "text_count"), ("demo_tables", "demo_manifest"),
            ("demo_texts", "demo_manifest"), ("demo_manifest", "provenance")} <= edges
    assert ("demo_texts", "ingest") not in edges
    # forcing one part reruns its readers, not the other part (nor, for the texts, ingestion)
    tables = _planned_rules(_snakemake(project, "-n", "--forcerun", "demo_tables"))
    texts = _planned_rules(_snakemake(project, "-n", "--forcerun", "demo_texts"))
    assert {"demo_tables", "demo_manifest", "ingest", "base_panel", "text_count"} <= tables
    assert "demo_texts" not in tables
    assert {"demo_texts", "demo_manifest", "text_count", "panel"} <= texts
    assert not {"demo_tables", "ingest", "base_panel"} & texts
    # the text jobs' inputs: the demo's list of its texts (with their hashes), not each of the texts
    printed = _snakemake(project, "-n", "--forcerun", "text_count").stdout
    inputs = [line for line in printed.splitlines() if line.strip().startswith("input:")
              and "results/interim/demo/texts.json" in line]
    assert len(inputs) == 2 and not any("/mdna/" in line for line in inputs), inputs


def test_panel_mode_runs_a_users_own_panel(tmp_path):
    """data.source: panel: a user's CSV panel with their own column names, models on their own variables."""
    import numpy as np

    work = tmp_path / "own"
    shutil.copytree(ROOT / "workflow", work / "workflow")
    rng = np.random.default_rng(0)
    rows = [(f"{i:06d}", y) for i in range(1, 151) for y in range(2012, 2021) if rng.random() > 0.1]
    panel = pd.DataFrame(rows, columns=["firm", "fyear"])
    effect = rng.normal(size=151)[panel["firm"].astype(int)]
    panel["x"] = rng.normal(size=len(panel)) + effect
    panel["y"] = 0.5 * panel["x"] + effect + rng.normal(size=len(panel))
    (work / "data").mkdir()
    panel.to_csv(work / "data/my_panel.csv", index=False)
    # Only `data` and `models` (DESIGN.md: everything else has a default), and one table of the model.
    config = {"data": {"source": "panel", "panel_file": "data/my_panel.csv", "entity": "firm", "time": "fyear"},
              "models": {"main": {"kind": "panel", "outcome": "y", "regressors": ["x"], "lag": []}}}
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run = _snakemake(work)
    assert run.returncode == 0, run.stderr[-4000:]
    est = pd.read_csv(work / "results/estimates/main.csv").set_index("term")
    assert est.loc["x", "conf_low"] < 0.5 < est.loc["x", "conf_high"]
    imported = pd.read_parquet(work / "results/panel.parquet")
    assert imported["firm"].iloc[0] == "000001"
    described = pd.read_csv(work / "results/tables/descriptives.csv")
    assert described["variable"].tolist() == ["y", "x"]  # describe.variables defaults to the models' variables
    assert (work / "results/report.html").exists()

    config["tables"] = {"regressions": {"main": {"title": "My table", "models": ["mian"]}}}
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run = _snakemake(work)
    assert run.returncode != 0 and "tables.regressions.main.models[0]: 'mian' is not a model" in run.stderr
    assert "did you mean 'main'?" in run.stderr
    config["tables"]["regressions"]["main"]["models"] = ["main"]
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run = _snakemake(work)
    assert run.returncode == 0, run.stderr[-4000:]
    assert (work / "results/tables/main.tex").exists()


def _raw_project(tmp_path: Path) -> Path:
    """A project in raw mode whose data/raw holds exports in the layout of docs/raw_tables.md (a tiny demo's)."""
    from srdi.demo import generate_demo

    work = tmp_path / "raw_mode"
    shutil.copytree(ROOT / "workflow", work / "workflow")
    (work / "data").mkdir()
    for item in ("mappings", "dictionaries"):
        shutil.copytree(ROOT / "data" / item, work / "data" / item)
    generate_demo(work / "data/raw", scale="tiny", seed=5)
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["data"]["source"] = "raw"
    config["models"] = {"baseline": config["models"]["baseline"]}
    config["tables"]["regressions"] = {"baseline": {"title": "Baseline", "models": ["baseline"]}}
    config["figures"] = {}
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return work


def test_raw_mode_bad_input_stops_before_any_interim_table(tmp_path):
    work = _raw_project(tmp_path)
    target = sorted((work / "data/raw").glob("FS_Combas_*.csv"))[0]  # the demo's first year-range file
    lines = target.read_text(encoding="gb18030").splitlines(keepends=True)
    fields = lines[5].split(",")
    fields[4] = "abc"  # total assets of the third data row
    lines[5] = ",".join(fields)
    target.write_text("".join(lines), encoding="gb18030")
    run = _snakemake(work, "--until", "ingest")
    assert run.returncode != 0
    log = (work / "results/logs/ingest.log").read_text(encoding="utf-8")
    assert target.name in log and "A001000000" in log and "row 6: 'abc'" in log
    assert not list((work / "results/interim").glob("*.parquet"))


def test_raw_mode_runs_on_exports_in_the_documented_layout(tmp_path):
    work = _raw_project(tmp_path)
    run = _snakemake(work)
    assert run.returncode == 0, run.stderr[-4000:]
    est = pd.read_csv(work / "results/estimates/baseline.csv")
    assert est.loc[(est["equation"] == "main") & (est["term"] == "coinnov"), "std_error"].item() > 0
    assert not (work / "data/demo").exists()  # raw mode never runs the demo generator
