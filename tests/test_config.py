import copy
import re
from pathlib import Path

import pytest
import yaml

from srdi.config import ConfigError, load_config, load_workflow_config, validate_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def shipped() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_shipped_config_is_valid_and_defaults_are_filled(shipped):
    cfg = load_config(ROOT / "config.yaml")
    assert cfg["data"]["source"] == "demo"
    for spec in cfg["models"].values():
        assert "vcov" in spec
        assert "fe" in spec or spec["kind"] == "did"  # a DID's effects are fixed: firm and year
    assert "dictionaries" in cfg["text"]


def test_unknown_key_is_named(shipped):
    bad = copy.deepcopy(shipped)
    bad["demo"]["scal"] = "tiny"
    with pytest.raises(ConfigError, match=r"demo: .*'scal' was unexpected"):
        validate_config(bad)


def test_wrong_type_is_named_with_its_path(shipped):
    bad = copy.deepcopy(shipped)
    bad["seed"] = "abc"
    name = sorted(bad["models"])[0]
    bad["models"][name]["fe"] = ["firm^"]  # a column name is a valid effect; a dangling "^" is not
    with pytest.raises(ConfigError) as err:
        validate_config(bad)
    assert "seed: 'abc' is not of type 'integer'" in str(err.value)
    assert f"models.{name}.fe[0]: 'firm^' does not match" in str(err.value)


def test_unknown_model_key_is_named(shipped):
    bad = copy.deepcopy(shipped)
    name = sorted(bad["models"])[0]
    bad["models"][name]["controll"] = ["size"]
    with pytest.raises(ConfigError, match=rf"models.{name}: .*'controll' was unexpected"):
        validate_config(bad)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_model_name_given_twice_is_an_error_naming_the_line(tmp_path):
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    # the same model name twice in the models section: YAML alone would keep the second silently
    text = text.replace("  baseline_fe:\n", "  baseline_ols:\n", 1)
    with pytest.raises(ConfigError, match=r"line \d+: key 'baseline_ols' is defined twice"):
        load_config(_write(tmp_path, text))


def test_yte_templating_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = f"__use_yte__: true\n?if True:\n  x: ?open({str(marker)!r}, 'w')\n" + text
    with pytest.raises(ConfigError, match="__use_yte__ is not accepted"):
        load_config(_write(tmp_path, text))
    assert not marker.exists()


def test_python_yaml_tags_are_not_constructed(tmp_path):
    text = "seed: !!python/object/apply:os.system ['touch pwned']\n"
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(_write(tmp_path, text))


def test_command_line_overrides_merge_recursively():
    from srdi.config import load_workflow_config

    cfg = load_workflow_config(ROOT / "config.yaml", {"demo": {"scale": "tiny"}})
    assert cfg["demo"]["scale"] == "tiny"
    assert cfg["demo"]["out_dir"] == "data/demo/raw"  # the file's other keys of the section stay


@pytest.mark.parametrize(("where", "value"), [
    (("data", "entity"), "stkcd$(touch f)"),
    (("data", "time"), "year; rm -rf ~"),
    (("describe", "variables"), ["size", "lev`id`"]),
    (("models", "baseline", "outcome"), "srdi_index'"),
    (("models", "baseline", "controls"), ["size", "a b"]),
    (("models", "baseline", "fe"), ["entity", "industry_code^$(id)"]),
    (("models", "baseline", "vcov"), {"type": "cluster", "by": ["stkcd;ls"]}),
    (("text", "dictionaries"), {"digital x": "data/dictionaries/digital_wu2021.yaml"}),
    (("demo", "out_dir"), "../outside"),
    (("demo", "out_dir"), "/tmp/elsewhere"),
    (("data", "raw_dir"), "data/raw\nrm -rf ~"),
    (("describe", "sample_model"), "baseline; id"),
    (("partners", "aliases"), "data/aliases.csv\n$(id)"),
    (("text", "scope"), "report; id"),
    (("text", "jobs"), "2; id"),
    (("demo", "texts"), "short$(id)"),
    (("resampling", "shards"), 0),
    (("resampling", "shards"), "2; id"),
    (("resampling", "shards"), 101),
    (("resampling", "shards"), True),
])
def test_unsafe_names_and_paths_are_refused_naming_the_key(shipped, where, value):
    bad = copy.deepcopy(shipped)
    node = bad
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    with pytest.raises(ConfigError) as err:
        validate_config(bad)
    assert ".".join(where) in str(err.value)


def test_chinese_column_and_model_names_are_accepted(shipped):
    cfg = copy.deepcopy(shipped)
    cfg["models"]["基准回归"] = {"kind": "panel", "outcome": "专精特新指数", "regressors": ["融通创新"],
                                 "fe": ["entity", "省份^year"]}
    validate_config(cfg)


@pytest.mark.parametrize("query", ["@pd.io.common.os.system('touch pwned')", "year.to_csv('leak.csv')",
                                   "__import__('os').system('id')", "year != 2020 & [c for c in ()]"])
def test_a_hostile_sample_query_stops_validation_naming_the_model(shipped, query, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = copy.deepcopy(shipped)
    bad["models"]["rob_excl2020"]["sample"] = query
    with pytest.raises(ConfigError, match=r"models\.rob_excl2020\.sample: model 'rob_excl2020'"):
        validate_config(bad)
    assert not list(tmp_path.iterdir())


# --- A user's own panel needs only `data` and `models`; references are checked before any job starts ---------

def _own_panel(tmp_path: Path) -> Path:
    path = tmp_path / "my_panel.csv"
    path.write_text("firm,fyear,y,x,size_log\n000001,2015,1.0,0.5,3.1\n000001,2016,1.2,0.7,3.2\n", encoding="utf-8")
    return path


def _minimal(panel_file: Path) -> dict:
    return {"data": {"source": "panel", "panel_file": str(panel_file), "entity": "firm", "time": "fyear"},
            "models": {"main": {"kind": "panel", "outcome": "y", "regressors": ["x"], "controls": ["size_log"]}}}


def test_a_minimal_panel_config_gets_every_other_key_by_default(tmp_path):
    cfg = validate_config(_minimal(_own_panel(tmp_path)))
    assert isinstance(cfg["seed"], int)
    assert cfg["describe"]["variables"] == ["y", "x", "size_log"]  # the models' variables, entity/time left out
    assert cfg["demo"]["scale"] == "default"
    assert cfg["tables"]["regressions"] == {} and cfg["figures"]["coefficients"] == []


def test_minimal_panel_config_file_loads_for_the_workflow(tmp_path):
    panel = _own_panel(tmp_path)
    path = _write(tmp_path, yaml.safe_dump(_minimal(panel)))
    cfg = load_workflow_config(path, {})
    assert cfg["models"]["main"]["fe"] == ["entity", "time"]


def test_describe_sample_model_must_be_a_panel_model(shipped):
    bad = copy.deepcopy(shipped)
    bad["describe"]["sample_model"] = "baselin"
    with pytest.raises(ConfigError) as err:
        validate_config(bad)
    assert "describe.sample_model: 'baselin' is not a model of `models:`; did you mean 'baseline'" in str(err.value)
    bad["describe"]["sample_model"] = "mechanism"
    with pytest.raises(ConfigError) as err:
        validate_config(bad)
    assert "describe.sample_model: 'mechanism' is a `kind: mediation` model" in str(err.value)


def test_a_table_naming_an_undefined_model_is_an_error_with_a_suggestion(shipped):
    bad = copy.deepcopy(shipped)
    table = next(iter(bad["tables"]["regressions"]))
    bad["tables"]["regressions"][table]["models"].append("baselin")
    with pytest.raises(ConfigError) as err:
        validate_config(bad)
    assert f"tables.regressions.{table}.models[" in str(err.value)
    assert "'baselin' is not a model of `models:`; did you mean 'baseline'" in str(err.value)


@pytest.mark.parametrize(("key", "value", "where"), [
    ("mediation", "mediaton", "figures.mediation"),
    ("heterogeneity", ["het_soe", "het_so"], "figures.heterogeneity[1]"),
    ("coefficients", [{"model": "baselin", "term": "coinnov"}], "figures.coefficients[0].model"),
])
def test_a_figure_naming_an_undefined_model_is_an_error(shipped, key, value, where):
    bad = copy.deepcopy(shipped)
    bad["figures"][key] = value
    with pytest.raises(ConfigError, match=rf"{re.escape(where)}: .* is not a model of `models:`; did you mean"):
        validate_config(bad)


def test_a_misspelt_column_in_a_model_stops_the_start_with_did_you_mean(shipped, tmp_path, monkeypatch):
    """Demo / raw mode: the columns the panel will hold are known from data/codebook.yaml and the panel builder."""
    monkeypatch.chdir(ROOT)
    bad = copy.deepcopy(shipped)
    bad["models"]["baseline"]["controls"] = ["size", "levv", "growth"]
    bad["models"]["baseline"]["fe"] = ["entity", "industri_code^year"]
    path = _write(tmp_path, yaml.safe_dump(bad, allow_unicode=True))
    with pytest.raises(ConfigError) as err:
        load_workflow_config(path, {})
    text = str(err.value)
    assert "models.baseline.controls[1]: column 'levv' is not a column of the panel; did you mean 'lev'?" in text
    assert "models.baseline.fe[1]: column 'industri_code' is not a column of the panel; did you mean " \
           "'industry_code'" in text


def test_the_shipped_config_names_only_known_columns(monkeypatch):
    monkeypatch.chdir(ROOT)
    load_workflow_config(ROOT / "config.yaml", {})


def test_own_panel_columns_are_checked_against_the_files_header(tmp_path):
    cfg = _minimal(_own_panel(tmp_path))
    cfg["models"]["main"]["controls"] = ["sizelog"]
    cfg["describe"] = {"variables": ["y", "xx"]}
    path = _write(tmp_path, yaml.safe_dump(cfg))
    with pytest.raises(ConfigError) as err:
        load_workflow_config(path, {})
    text = str(err.value)
    assert "models.main.controls[0]: column 'sizelog' is not a column of " in text
    assert "did you mean 'size_log'?" in text
    assert "describe.variables[1]: column 'xx' is not a column of " in text


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".dta", ".xlsx"])
def test_the_panel_files_header_is_read_without_its_data(tmp_path, suffix):
    import pandas as pd

    from srdi.config_refs import panel_file_columns

    frame = pd.DataFrame({"firm": ["000001", "000002"], "fyear": [2015, 2016], "y_1": [1.0, 2.0]})
    path = tmp_path / f"panel{suffix}"
    {".csv": lambda: frame.to_csv(path, index=False), ".parquet": lambda: frame.to_parquet(path),
     ".dta": lambda: frame.to_stata(path, write_index=False), ".xlsx": lambda: frame.to_excel(path, index=False)}[
        suffix]()
    assert panel_file_columns(path) == ["firm", "fyear", "y_1"]


@pytest.mark.parametrize(("key", "value", "where", "kind"), [
    ("mediation", "baseline", "figures.mediation", "mediation"),
    ("event_study", "baseline", "figures.event_study", "did"),
    ("heterogeneity", ["het_soe", "baseline"], "figures.heterogeneity[1]", "heterogeneity"),
])
def test_a_figure_naming_a_model_of_the_wrong_kind_is_an_error(shipped, key, value, where, kind):
    bad = copy.deepcopy(shipped)
    bad["figures"][key] = value
    with pytest.raises(ConfigError, match=rf"{re.escape(where)}: 'baseline' is a `kind: panel` model; this figure "
                                          rf"needs `kind: {kind}`"):
        validate_config(bad)
