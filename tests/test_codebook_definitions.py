"""data/codebook.yaml: every entry is a flat mapping of the known fields, definitions are not cut at a comma, and
the variables a table shows carry a short symbol (CoInno, SRDI ...) for row and column heads."""

from __future__ import annotations

from pathlib import Path

import yaml

from srdi.panel.codebook import FIELDS, codebook, load_definitions

ROOT = Path(__file__).resolve().parents[1]


def test_every_entry_has_only_the_known_fields_as_text():
    raw = yaml.safe_load((ROOT / "data" / "codebook.yaml").read_text(encoding="utf-8"))
    for name, entry in raw.items():
        assert isinstance(entry, dict), name
        assert set(entry) <= set(FIELDS), (name, sorted(set(entry) - set(FIELDS)))
        assert all(isinstance(v, str) for v in entry.values()), (name, entry)


def test_definitions_with_commas_are_whole():
    defs = load_definitions()
    assert defs["total_assets"]["definition"] == "annual consolidated (Typrep A, 12-31)"
    assert defs["srdi_designated"]["definition"] == "1 from the batch year of the firm's designation on, else 0"


def test_the_analysis_variables_have_short_unique_symbols():
    defs = load_definitions()
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    shown = set(config["describe"]["variables"])
    for spec in config["models"].values():
        for key in ("outcome", "regressor", "treatment", "mediator", "moderator"):
            if isinstance(spec.get(key), str):
                shown.add(spec[key])
        for key in ("regressors", "controls", "endogenous"):
            shown.update(spec.get(key, []))
    symbols = {n: defs[n].get("symbol") for n in shown}
    assert all(symbols.values()), sorted(n for n, s in symbols.items() if not s)
    assert all(len(s) <= 10 and " " not in s for s in symbols.values()), symbols
    assert len(set(symbols.values())) == len(symbols)
    assert defs["coinnov"]["symbol"] == "CoInno" and defs["srdi_index"]["symbol"] == "SRDI"


def test_panel_codebook_carries_the_symbol():
    book = codebook(["coinnov", "my_col"])
    assert list(book["symbol"]) == ["CoInno", "my_col"]


def test_grouping_variables_label_their_values_and_definitions_exist_in_chinese():
    book = codebook(["soe", "east", "coinnov"]).set_index("name")
    assert book.loc["soe", "values_zh"] == "0: 非国有企业; 1: 国有企业"
    assert book.loc["east", "values_zh"] == "0: 中西部; 1: 东部"
    assert book.loc["coinnov", "definition_zh"].startswith("Collab、DataInt")
