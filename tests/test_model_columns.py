from pathlib import Path

from srdi.config import load_config
from srdi.model_columns import columns_by_model, model_columns

ROOT = Path(__file__).resolve().parents[1]


def test_columns_of_the_shipped_models_as_written_in_config():
    models = load_config(ROOT / "config.yaml")["models"]
    assert model_columns(models["mechanism"], "stkcd", "year")[:5] == ["stkcd", "year", "srdi_index", "coinnov",
                                                                         "digital"]
    assert "industry_code" in model_columns(models["rob_industry_year_fe"], "stkcd", "year")  # from industry_code^year
    assert "industry_code" in model_columns(models["endogeneity_iv"], "stkcd", "year")  # loo_instrument.by
    assert "soe" in model_columns(models["het_soe"], "stkcd", "year")  # group_by
    assert "year" in model_columns(models["rob_excl2020"], "stkcd", "year")  # the sample filter's column


def test_aliases_resolve_and_columns_map_to_their_models():
    spec = {"kind": "panel", "outcome": "y", "regressors": ["x"], "fe": ["entity", "省份^time"],
            "vcov": {"type": "cluster", "by": ["grp"]}, "sample": "size > 0 & 省份 != '北京'"}
    assert model_columns(spec, "firm", "fyear") == ["firm", "fyear", "y", "x", "省份", "grp", "size"]
    by = columns_by_model({"b": spec, "a": {"kind": "panel", "outcome": "y", "regressors": ["z"]}}, "firm", "fyear")
    assert by["y"] == ["a", "b"] and by["z"] == ["a"] and by["grp"] == ["b"]
