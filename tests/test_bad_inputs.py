"""Bad, broken and hostile inputs, run as a user would (`snakemake` in a project folder), one case each.

For every case: the exit status; a message that names the file / key, the column and the rows; no result
created (only the failing job's log); raw inputs byte-identical; nothing written outside the project folder (the
hostile values aim their payloads at a sentinel folder outside it). Cases that must succeed (valid input that used
to be rejected, or a warning that must be visible) assert what they produce instead.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Mutate = Callable[[Path, dict], None]


@dataclass(frozen=True)
class Case:
    id: str
    template: str  # demo | raw | panel
    mutate: Mutate
    expect: tuple[str, ...]  # regular expressions the console output or a log must contain
    ok: bool = False  # the run must succeed (valid input, or a warning case)
    until: str | None = None  # stop after this rule (cases about one stage)
    # a model whose data are wrong in a way only its estimation can see (e.g. a treatment switching off): the
    # panel and the other models' estimates may be written, but not this model's estimates, tables or report
    failing_model: str | None = None


# --------------------------------------------------------------------------------------------- templates


def _base(work: Path) -> None:
    shutil.copytree(ROOT / "workflow", work / "workflow")
    (work / "data").mkdir(parents=True)
    for item in ("mappings", "dictionaries"):
        shutil.copytree(ROOT / "data" / item, work / "data" / item)


def _config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def _write_config(work: Path, config: dict) -> None:
    (work / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    from srdi.demo import generate_demo

    root = tmp_path_factory.mktemp("templates")
    out: dict[str, Path] = {}

    demo = root / "demo"
    _base(demo)
    config = _config()
    config["demo"]["scale"] = "tiny"
    _write_config(demo, config)
    out["demo"] = demo

    raw = root / "raw"
    _base(raw)
    generate_demo(raw / "data/raw", scale="tiny", seed=5)
    config = _config()
    config["data"]["source"] = "raw"
    config["models"] = {"baseline": config["models"]["baseline"]}
    config["tables"]["regressions"] = {"baseline": {"title": "Baseline", "models": ["baseline"]}}
    config["figures"] = {"truth": False}
    _write_config(raw, config)
    out["raw"] = raw

    panel = root / "panel"
    _base(panel)
    rng = np.random.default_rng(0)
    firms, years = 60, range(2012, 2021)
    frame = pd.DataFrame([(f"{i:06d}", y) for i in range(1, firms + 1) for y in years], columns=["firm", "fyear"])
    effect = rng.normal(size=firms + 1)[frame["firm"].astype(int)]
    frame["x"] = rng.normal(size=len(frame)) + effect
    frame["c1"] = rng.normal(size=len(frame))
    frame["y"] = 0.5 * frame["x"] + 0.2 * frame["c1"] + effect + rng.normal(size=len(frame))
    frame["grp"] = (frame["firm"].astype(int) % 2).astype(int)  # a two-level column
    frame.to_csv(panel / "data/panel.csv", index=False)
    config = _config()
    config["data"].update({"source": "panel", "panel_file": "data/panel.csv", "entity": "firm", "time": "fyear"})
    config["describe"] = {"variables": ["y", "x", "c1"]}
    config["models"] = {"main": {"kind": "panel", "outcome": "y", "regressors": ["x"], "controls": ["c1"]}}
    config["tables"]["regressions"] = {"main": {"title": "Main", "models": ["main"]}}
    config["figures"] = {"truth": False}
    _write_config(panel, config)
    out["panel"] = panel
    return out


# --------------------------------------------------------------------------------------------- mutations

OUTSIDE = "OUTSIDE"  # replaced by the sentinel folder's absolute path in hostile values


def set_key(*path: str, value) -> Mutate:
    def mutate(work: Path, config: dict) -> None:
        node = config
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


def set_model(key: str, value, model: str = "main") -> Mutate:
    def mutate(work: Path, config: dict) -> None:
        config["models"][model][key] = value
    return mutate


def _encoding(path: Path) -> str:
    try:
        path.read_bytes().decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def raw_file(work: Path, file: str) -> Path:
    """data/raw/<file>, or the first file of a table the demo splits by year range (FS_Combas_<years>_<date>)."""
    path = work / "data/raw" / file
    return path if path.exists() else sorted(path.parent.glob(file.replace(".csv", "_*.csv")))[0]


def edit_cell(file: str, line: int, code: str, value: str) -> Mutate:
    """Set field `code` on 1-based line `line` of a raw CSV (data/raw/<file>), keeping its encoding."""
    def mutate(work: Path, config: dict) -> None:
        path = raw_file(work, file)
        enc = _encoding(path)
        lines = path.read_text(encoding=enc).splitlines(keepends=True)
        header = lines[0].rstrip("\r\n").split(",")
        fields = lines[line - 1].rstrip("\r\n").split(",")
        fields[header.index(code)] = value
        lines[line - 1] = ",".join(fields) + "\n"
        path.write_text("".join(lines), encoding=enc)
    return mutate


def keep_lines(file: str, n: int) -> Mutate:
    """Keep only the first `n` lines of a raw CSV (its header rows: a table with no data)."""
    def mutate(work: Path, config: dict) -> None:
        path = raw_file(work, file)
        enc = _encoding(path)
        lines = path.read_text(encoding=enc).splitlines(keepends=True)
        path.write_text("".join(lines[:n]), encoding=enc)
    return mutate


def rename_header(file: str, code: str, new: str) -> Mutate:
    def mutate(work: Path, config: dict) -> None:
        path = raw_file(work, file)
        enc = _encoding(path)
        lines = path.read_text(encoding=enc).splitlines(keepends=True)
        lines[0] = lines[0].replace(code, new, 1)
        path.write_text("".join(lines), encoding=enc)
    return mutate


def remove_raw(file: str) -> Mutate:
    def mutate(work: Path, config: dict) -> None:
        (work / "data/raw" / file).unlink()
    return mutate


def duplicate_line(file: str, line: int) -> Mutate:
    def mutate(work: Path, config: dict) -> None:
        path = raw_file(work, file)
        enc = _encoding(path)
        lines = path.read_text(encoding=enc).splitlines(keepends=True)
        lines.insert(line, lines[line - 1])
        path.write_text("".join(lines), encoding=enc)
    return mutate


def optional_table_absent(work: Path, config: dict) -> None:
    mapping_path = work / "data/mappings/csmar_fields.yaml"
    mapping = yaml.safe_load(mapping_path.read_text(encoding="utf-8"))
    mapping["tables"]["governance"]["required"] = False
    mapping_path.write_text(yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (work / "data/raw" / mapping["tables"]["governance"]["file"]).unlink()


def empty_text(work: Path, config: dict) -> None:
    (work / "data/raw/mdna/000208_2016.txt").write_bytes(b"")


def panel_cell(column: str, row: int, value: str) -> Mutate:
    """Set `column` of data row `row` (1-based, below the header) of the user's panel CSV."""
    def mutate(work: Path, config: dict) -> None:
        path = work / "data/panel.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.loc[row - 1, column] = value
        frame.to_csv(path, index=False)
    return mutate


def panel_edit(edit: Callable[[pd.DataFrame], pd.DataFrame], name: str = "panel.csv") -> Mutate:
    def mutate(work: Path, config: dict) -> None:
        path = work / "data/panel.csv"
        frame = edit(pd.read_csv(path, dtype=str, keep_default_na=False))
        target = work / "data" / name
        frame.to_csv(target, index=False)
        if target != path:
            path.unlink()
            config["data"]["panel_file"] = f"data/{name}"
    return mutate


def raw_config_text(text: str) -> Mutate:
    """Replace config.yaml with this text (after the mutation step writes the dict, see _prepare)."""
    def mutate(work: Path, config: dict) -> None:
        config["__raw_text__"] = text
    return mutate


def _yte(work: Path, config: dict) -> None:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    config["__raw_text__"] = f"__use_yte__: true\n?if True:\n  x: ?open('{OUTSIDE}/pwned', 'w')\n" + text


def _duplicate_model(work: Path, config: dict) -> None:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    config["__raw_text__"] = text.replace("  baseline_fe:\n", "  baseline_ols:\n", 1)


def _python_tag(work: Path, config: dict) -> None:
    config["__raw_text__"] = f"seed: !!python/object/apply:os.system ['touch {OUTSIDE}/pwned']\n"


def _two_models_one_batch(work: Path, config: dict) -> None:
    config["models"]["second"] = {"kind": "panel", "outcome": "y", "regressors": ["x"]}


def did_model(**spec) -> Mutate:
    """A `kind: did` model on the panel template; `treat` is an absorbing 0/1 column from 2016 for half the firms."""
    def mutate(work: Path, config: dict) -> None:
        path = work / "data/panel.csv"
        frame = pd.read_csv(path, dtype={"firm": str})
        treated = frame["firm"].astype(int) % 2 == 0
        frame["treat"] = (treated & (frame["fyear"] >= 2016)).astype(int)
        frame["g"] = np.where(treated, 2016, 0)
        if spec.pop("switch_off", False):  # firm 000002 leaves treatment in 2018
            frame.loc[(frame["firm"] == "000002") & (frame["fyear"] == 2018), "treat"] = 0
        frame.to_csv(path, index=False)
        config["models"]["did"] = {"kind": "did", "outcome": "y", **spec}
    return mutate


HOSTILE = f"$(touch {OUTSIDE}/pwned)"

CASES: list[Case] = [
    # --- config: hostile names are refused by the schema, naming the key ---
    Case("entity-command-substitution", "demo", set_key("data", "entity", value=f"stkcd{HOSTILE}"), (r"data\.entity",)),
    Case("time-semicolon", "demo", set_key("data", "time", value=f"year; touch {OUTSIDE}/pwned"), (r"data\.time",)),
    Case("describe-backticks", "demo", set_key("describe", "variables", value=["size", f"lev`touch {OUTSIDE}/pwned`"]),
         (r"describe\.variables\[1\]",)),
    Case("outcome-hostile", "panel", set_model("outcome", f"y{HOSTILE}"), (r"models\.main\.outcome",)),
    Case("control-hostile", "panel", set_model("controls", ["c1", "x;id"]), (r"models\.main\.controls\[1\]",)),
    Case("fe-hostile", "panel", set_model("fe", ["entity", f"grp^{HOSTILE}"]), (r"models\.main\.fe\[1\]",)),
    Case("cluster-hostile", "panel", set_model("vcov", {"type": "cluster", "by": [f"grp{HOSTILE}"]}),
         (r"models\.main\.vcov\.by\[0\]",)),
    Case("dictionary-name-hostile", "demo",
         set_key("text", "dictionaries", value={f"d{HOSTILE}": "data/dictionaries/digital_wu2021.yaml"}),
         (r"text\.dictionaries",)),
    Case("model-name-hostile", "panel", lambda w, c: c["models"].update({"m;touch x": c["models"]["main"]}),
         (r"models",)),
    Case("table-name-hostile", "panel",
         lambda w, c: c["tables"]["regressions"].update({"t$(id)": {"title": "x", "models": ["main"]}}),
         (r"tables\.regressions",)),
    Case("sample-at-variable", "panel", set_model("sample", f"@pd.io.common.os.system('touch {OUTSIDE}/pwned')"),
         (r"models\.main\.sample", r"@")),
    Case("sample-attribute-call", "panel", set_model("sample", f"fyear.to_csv('{OUTSIDE}/pwned')"),
         (r"models\.main\.sample", r"to_csv")),
    Case("sample-dunder-import", "panel", set_model("sample", "__import__('os').system('id')"),
         (r"models\.main\.sample",)),
    Case("sample-lambda", "panel", set_model("sample", "(lambda: 1)() == 1"), (r"models\.main\.sample",)),
    Case("yte-template", "demo", _yte, (r"__use_yte__ is not accepted",)),
    Case("duplicate-model-name", "demo", _duplicate_model, (r"key 'baseline_ols' is defined twice",)),
    Case("python-yaml-tag", "demo", _python_tag, (r"not valid YAML",)),
    Case("demo-out-dir-outside", "demo", set_key("demo", "out_dir", value="../elsewhere"), (r"demo\.out_dir",)),
    Case("demo-out-dir-absolute", "demo", set_key("demo", "out_dir", value=f"{OUTSIDE}/demo"), (r"demo\.out_dir",)),
    Case("config-typo", "demo", set_key("demo", "scal", value="tiny"), (r"demo: .*'scal' was unexpected",)),
    Case("config-wrong-type", "demo", set_key("seed", value="abc"), (r"seed: 'abc' is not of type 'integer'",)),
    # --- hostile but valid path strings: quoted, so they are only (missing) paths ---
    Case("raw-dir-command", "raw", set_key("data", "raw_dir", value=f"data/raw{HOSTILE}"),
         (r"data/raw\$\(touch",)),
    Case("panel-file-command", "panel", set_key("data", "panel_file", value=f"data/p.csv; touch {OUTSIDE}/pwned"),
         (r"data/p\.csv; touch",)),
    Case("mapping-command", "raw", set_key("data", "mapping", value=f"data/m.yaml{HOSTILE}"),
         (r"data/m\.yaml\$\(touch",)),
    Case("dictionary-path-command", "raw",
         set_key("text", "dictionaries", value={"digital": f"data/d.yaml{HOSTILE}"}), (r"data/d\.yaml\$\(touch",)),
    Case("captions-path-command", "panel", set_key("report", "captions", value=f"c.yaml{HOSTILE}"),
         (r"c\.yaml\$\(touch",)),
    Case("template-path-command", "panel", set_key("report", "template", value=f"t.j2`touch {OUTSIDE}/pwned`"),
         (r"t\.j2`touch",)),
    # --- raw exports: errors name the file, the field and the rows, before any interim table ---
    Case("raw-inf", "raw", edit_cell("FS_Combas.csv", 6, "A001000000", "inf"),
         (r"FS_Combas_\d{4}-\d{4}_\d{8}\.csv", r"A001000000", r"\b6\b")),
    Case("raw-minus-infinity", "raw", edit_cell("FS_Comins.csv", 7, "B001101000", "-Infinity"),
         (r"FS_Comins_\d{4}-\d{4}_\d{8}\.csv", r"B001101000", r"\b7\b")),
    Case("raw-nan-text", "raw", edit_cell("FS_Combas.csv", 8, "A002000000", "NaN"),
         (r"FS_Combas_\d{4}-\d{4}_\d{8}\.csv", r"A002000000", r"\b8\b")),
    Case("raw-absurd-magnitude", "raw", edit_cell("FS_Combas.csv", 5, "A002000000", "1e300"),
         (r"FS_Combas_\d{4}-\d{4}_\d{8}\.csv", r"A002000000", r"\b5\b")),
    Case("raw-text-in-amount", "raw", edit_cell("FS_Combas.csv", 6, "A001000000", "abc"),
         (r"FS_Combas_\d{4}-\d{4}_\d{8}\.csv", r"A001000000", r"row 6: 'abc'")),
    Case("raw-negative-assets", "raw", edit_cell("FS_Combas.csv", 9, "A001000000", "-5"),
         (r"FS_Combas_\d{4}-\d{4}_\d{8}\.csv", r"A001000000", r"\b9\b")),
    Case("raw-bad-date", "raw", edit_cell("FS_Combas.csv", 4, "Accper", "2015-13-45"),
         (r"FS_Combas_\d{4}-\d{4}_\d{8}\.csv", r"Accper", r"\b4\b")),
    Case("raw-bad-category", "raw", edit_cell("FS_Combas.csv", 4, "Typrep", "Z"),
         (r"FS_Combas_\d{4}-\d{4}_\d{8}\.csv", r"Typrep", r"\b4\b")),
    Case("raw-bad-stock-code", "raw", edit_cell("STK_STInfo.csv", 2, "Stkcd", "12AB"),
         (r"STK_STInfo\.csv", r"Stkcd", r"\b2\b")),
    Case("raw-year-out-of-range", "raw", edit_cell("SRDI_LittleGiants.csv", 3, "BatchYear", "1850"),
         (r"SRDI_LittleGiants\.csv", r"BatchYear", r"\b3\b")),
    Case("raw-duplicate-key", "raw", duplicate_line("STK_STInfo.csv", 2),
         (r"STK_STInfo\.csv", r"stkcd|Stkcd", r"\b2\b")),
    Case("raw-header-only-required-table", "raw", keep_lines("TRD_Co.csv", 3),
         (r"TRD_Co\.csv", r"no data rows")),
    Case("raw-missing-required-table", "raw", remove_raw("STK_STInfo.csv"), (r"STK_STInfo\.csv",)),
    Case("raw-missing-required-column", "raw", rename_header("FS_Combas.csv", "A001000000", "A001000001"),
         (r"FS_Combas_\d{4}-\d{4}_\d{8}\.csv", r"A001000000")),
    Case("raw-optional-table-absent", "raw", optional_table_absent, (), ok=True, until="ingest"),
    Case("raw-empty-text-is-missing", "raw", empty_text, (), ok=True, until="text_measures"),
    # --- a user's panel file ---
    Case("panel-na-text", "panel", panel_cell("c1", 5, "n.a."), (r"data/panel\.csv", r"c1", r"\b6\b")),
    Case("panel-dash", "panel", panel_cell("x", 10, "--"), (r"data/panel\.csv", r"\bx\b", r"\b11\b")),
    Case("panel-inf", "panel", panel_cell("y", 3, "inf"), (r"data/panel\.csv", r"\by\b", r"\b4\b")),
    Case("panel-absurd", "panel", panel_cell("c1", 7, "1e300"), (r"data/panel\.csv", r"c1", r"\b8\b")),
    Case("panel-duplicate-key", "panel", panel_edit(lambda f: pd.concat([f, f.iloc[[4]]], ignore_index=True)),
         (r"data/panel\.csv", r"firm", r"fyear")),
    Case("panel-no-entity-column", "panel", panel_edit(lambda f: f.drop(columns="firm")),
         (r"data/panel\.csv", r"firm")),
    Case("panel-no-time-column", "panel", panel_edit(lambda f: f.drop(columns="fyear")),
         (r"data/panel\.csv", r"fyear")),
    Case("panel-text-year", "panel", panel_cell("fyear", 2, "2013a"), (r"data/panel\.csv", r"fyear")),
    Case("panel-missing-file", "panel", set_key("data", "panel_file", value="data/absent.csv"),
         (r"data/absent\.csv",)),
    Case("panel-unsupported-format", "panel", panel_edit(lambda f: f, name="panel.txt"), (r"panel\.txt",)),
    Case("panel-header-only", "panel", panel_edit(lambda f: f.iloc[:0]), (r"data/panel\.csv", r"no (data )?rows")),
    Case("panel-all-missing-outcome", "panel", panel_edit(lambda f: f.assign(y="")),
         (r"data/panel\.csv|main", r"\by\b", r"missing")),
    Case("panel-unknown-outcome", "panel", set_model("outcome", "yy"), (r"main", r"yy")),
    Case("did-treatment-switches-off", "panel", did_model(treated="treat", switch_off=True),
         (r"model 'did'", r"'treat'", r"000002"), failing_model="did"),
    Case("did-first-treated-outside-panel", "panel",
         lambda w, c: (did_model(first_treated="g")(w, c), _set_g(w, "000004", 2031)),
         (r"model 'did'", r"'g'", r"000004"), failing_model="did"),
    Case("did-hostile-treatment-name", "panel", did_model(treated=f"treat{HOSTILE}"), (r"models\.did\.treated",)),
    Case("panel-two-clusters-warns", "panel", set_model("vcov", {"type": "cluster", "by": ["grp"]}),
         (r"main", r"grp", r"\b2\b", r"clusters"), ok=True),
]


def _set_g(work: Path, firm: str, year: int) -> None:
    path = work / "data/panel.csv"
    frame = pd.read_csv(path, dtype={"firm": str})
    frame.loc[frame["firm"] == firm, "g"] = year
    frame.to_csv(path, index=False)


# --------------------------------------------------------------------------------------------- the run


def _files(root: Path, skip: tuple[str, ...]) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).as_posix().startswith(skip)}


def _prepare(case: Case, templates: dict[str, Path], work: Path, outside: Path) -> None:
    shutil.copytree(templates[case.template], work)
    config = yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8"))
    case.mutate(work, config)
    text = config.pop("__raw_text__", None)
    if text is None:
        text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    (work / "config.yaml").write_text(text.replace(OUTSIDE, outside.as_posix()), encoding="utf-8")


def _run(work: Path, until: str | None) -> tuple[int, str]:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *(["--until", until] if until else [])]
    run = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
    logs = "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in sorted((work / "results/logs").glob("*")) if p.is_file())
    return run.returncode, run.stdout + run.stderr + logs


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, templates, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "project"
    _prepare(case, templates, work, outside)
    inputs_before = _files(work, ("results/", ".snakemake/"))

    code, output = _run(work, case.until)

    assert (code == 0) == case.ok, f"exit {code}\n{output[-3000:]}"
    for pattern in case.expect:
        assert re.search(pattern, output), f"{pattern!r} not in the messages:\n{output[-3000:]}"
    assert _files(work, ("results/", ".snakemake/")) == inputs_before, "an input file was changed or created"
    assert not any(outside.iterdir()), "something was written outside the project folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside", "project"]
    if not case.ok and case.failing_model:
        assert not (work / f"results/estimates/{case.failing_model}.csv").exists()
        assert not (work / "results/report.html").exists()
    elif not case.ok:
        results = [p.relative_to(work).as_posix() for p in (work / "results").rglob("*") if p.is_file()] \
            if (work / "results").exists() else []
        assert all(r.startswith("results/logs/") for r in results), f"results written by a failed run: {results}"
    _case_checks(case, work, output)


def _case_checks(case: Case, work: Path, output: str) -> None:
    """What the succeeding cases must have produced."""
    if case.id == "raw-optional-table-absent":
        import json

        report = json.loads((work / "results/interim/ingest_report.json").read_text(encoding="utf-8"))
        assert report["tables"]["governance"]["found"] is False
    if case.id == "raw-empty-text-is-missing":
        measures = pd.read_parquet(work / "results/interim/text_measures.parquet")
        row = measures[(measures["stkcd"] == "000208") & (measures["year"] == 2016)]
        assert len(row) <= 1
        assert row.empty or row["digital"].isna().all()
    if case.id == "panel-two-clusters-warns":
        summary = output.split("Warnings of this run", 1)
        assert len(summary) == 2 and "grp" in summary[1], "the console summary does not show the warning"
        assert re.search(r"clusters", (work / "results/tables/main.md").read_text(encoding="utf-8"))


def test_a_failing_model_leaves_the_other_estimates_of_its_batch(templates, tmp_path):
    work = tmp_path / "project"
    shutil.copytree(templates["panel"], work)
    config = yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8"))
    _two_models_one_batch(work, config)
    _write_config(work, config)
    code, output = _run(work, None)
    assert code == 0, output[-3000:]
    good = {name: (work / f"results/estimates/{name}.csv").read_bytes() for name in ("main", "second")}

    config["models"]["broken"] = {"kind": "panel", "outcome": "y", "regressors": ["x"], "sample": "fyear > 3000"}
    _write_config(work, config)
    code, output = _run(work, None)
    assert code != 0
    assert "broken" in output
    assert {name: (work / f"results/estimates/{name}.csv").read_bytes() for name in good} == good
    assert not (work / "results/estimates/broken.csv").exists()
