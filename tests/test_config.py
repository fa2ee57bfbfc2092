import copy
from pathlib import Path

import pytest
import yaml

from srdi.config import ConfigError, load_config, validate_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def shipped() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_shipped_config_is_valid_and_defaults_are_filled(shipped):
    cfg = load_config(ROOT / "config.yaml")
    assert cfg["data"]["source"] == "demo"
    for spec in cfg["models"].values():
        assert "fe" in spec and "vcov" in spec
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
