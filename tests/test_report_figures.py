"""Figures from hand-written estimates: which are drawn, byte-identical rebuilds, and Chinese labels drawn
with a CJK font (an empty box is a defect, so every glyph must exist in the font actually used)."""

from __future__ import annotations

import json

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from test_report_data import example_config, write_examples

from srdi.report import figure_style
from srdi.report.estimates import read_models
from srdi.report.figures import draw_coefficients, truth_matches, write_figures
from srdi.report.fonts import cjk_font_path, register_cjk_font
from srdi.report.labels import Labels
from srdi.report.plan import coefficient_pairs, planned_figures
from srdi.report.settings import TableSettings

ALL = ["coefficients", "mediation_path", "marginal_effects", "heterogeneity_forest", "truth_recovery"]


def _config(language="en"):
    config = example_config(language)
    config["figures"]["dpi"] = 80  # small files keep the test fast; the default is 300
    return config


def _write(tmp_path, name, language="en"):
    paths = write_examples(tmp_path / "in")
    return write_figures(_config(language), paths["estimates"], paths["codebook"], paths["truth"], tmp_path / name)


def test_every_figure_of_the_default_config_is_drawn(tmp_path):
    written = _write(tmp_path, "a")
    assert [p.name for p in written] == [f"{n}.{e}" for n in ALL for e in ("png", "pdf")]
    for p in written:
        head = p.read_bytes()[:8]
        assert head.startswith(b"\x89PNG") if p.suffix == ".png" else head.startswith(b"%PDF")


def test_figures_of_absent_models_are_skipped():
    config = _config()
    config["models"] = {"baseline": {"kind": "panel"}}
    assert planned_figures(config) == ["truth_recovery"]
    config["data"]["source"] = "raw"
    assert planned_figures(config) == []
    config["models"]["channel_spec"] = {"kind": "panel"}
    assert planned_figures(config) == ["coefficients"]
    assert coefficient_pairs(config) == [{"model": "channel_spec", "term": "ci_collab"}]


def test_two_builds_are_byte_identical(tmp_path):
    a = _write(tmp_path, "a")
    b = _write(tmp_path, "b")
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    assert b"CreationDate" not in a[1].read_bytes()


def test_truth_matched_by_outcome_and_term(tmp_path):
    paths = write_examples(tmp_path)
    estimates = read_models(paths["estimates"], ["channel_spec", "channel_distinct"])
    matches = truth_matches(estimates, json.loads(paths["truth"].read_text())["estimands"])
    assert matches["model"].fillna("-").tolist() == ["channel_spec", "channel_distinct", "-"]
    assert matches["estimate"].tolist()[:2] == [0.031, 0.16]


def test_cjk_font_is_found():
    path = cjk_font_path()
    assert path is not None and path.exists(), "no CJK font: the mplfonts package should ship one"
    assert register_cjk_font() == "Noto Sans CJK SC"


def test_chinese_labels_use_the_cjk_font_and_every_glyph_exists(tmp_path):
    paths = write_examples(tmp_path)
    config = _config("zh")
    settings = TableSettings.from_config(config)
    labels = Labels.from_csv(paths["codebook"], "zh")
    figure_style.apply_style("zh")

    pairs = coefficient_pairs(config)
    fig = draw_coefficients(read_models(paths["estimates"], [p["model"] for p in pairs]), pairs, labels, settings)
    fig.canvas.draw()
    cjk = str(cjk_font_path())
    font = FT2Font(cjk)
    texts = [t for ax in fig.axes for t in [*ax.get_yticklabels(), ax.xaxis.label] if t.get_text()]
    assert any("协同创新" in t.get_text() for t in texts)
    for t in texts:
        assert font_manager.findfont(t.get_fontproperties()) == cjk, t.get_text()
        missing = [ch for ch in t.get_text() if not ch.isspace() and font.get_char_index(ord(ch)) == 0]
        assert not missing, f"no glyph for {missing} in {cjk}"
    matplotlib.pyplot.close(fig)


def test_chinese_pdf_embeds_the_cjk_font(tmp_path):
    written = _write(tmp_path, "zh", language="zh")
    pdf = next(p for p in written if p.name == "coefficients.pdf").read_bytes()
    assert b"NotoSansCJK" in pdf


@pytest.fixture(autouse=True)
def _english_style_after():
    yield
    figure_style.apply_style("en")
