"""What a referee sees in the figures: no clipped text, estimates visible over the true values, p-values as
"< 0.001" rather than "= 0.000", and one panel per outcome where coefficients of different outcomes are drawn."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.text import Text
from test_report_data import example_config, write_examples

from srdi.report import figure_style
from srdi.report.did_figures import draw_placebo
from srdi.report.estimates import read_models
from srdi.report.figure_style import p_text
from srdi.report.figures import (
    draw_coefficients,
    draw_heterogeneity,
    draw_marginal_effects,
    draw_mediation,
    draw_truth,
    truth_matches,
)
from srdi.report.labels import Labels
from srdi.report.plan import coefficient_pairs
from srdi.report.settings import TableSettings


@pytest.fixture(params=["en", "zh"])
def setup(request, tmp_path):
    paths = write_examples(tmp_path)
    het = (paths["estimates"] / "het_soe.csv").read_text(encoding="utf-8")
    (paths["estimates"] / "het_region.csv").write_text(het.replace("het_soe", "het_region"), encoding="utf-8")
    with paths["codebook"].open("a", encoding="utf-8") as fh:  # the demo's group labels, as long as they are
        fh.write("soe,State-owned enterprise (SOE),国有企业\neast,Firm in the eastern region,东部地区企业\n")
    config = example_config(request.param)
    figure_style.apply_style(request.param)
    yield paths, config, Labels.from_csv(paths["codebook"], request.param), TableSettings.from_config(config)
    figure_style.apply_style("en")
    matplotlib.pyplot.close("all")


def _figures(paths, config, labels, settings) -> dict:
    est = paths["estimates"]
    pairs = coefficient_pairs(config)
    specs = {"het_soe": {"group_by": "soe"}, "het_region": {"group_by": "east"}}
    estimands = json.loads(paths["truth"].read_text())["estimands"]
    models = ["baseline", "channel_spec", "channel_refine", "channel_distinct", "channel_novel"]
    return {
        "coefficients": draw_coefficients(read_models(est, [p["model"] for p in pairs]), pairs, labels, settings),
        "mediation_path": draw_mediation(read_models(est, ["mechanism"])["mechanism"], labels, settings),
        "marginal_effects": draw_marginal_effects(read_models(est, ["moderation_env"])["moderation_env"], labels),
        "heterogeneity_forest": draw_heterogeneity(read_models(est, ["het_soe", "het_region"]), labels, settings,
                                                   specs),
        "truth_recovery": draw_truth(truth_matches(read_models(est, models), estimands), labels),
    }


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_no_text_is_clipped_by_the_figure_edge(setup):
    """Everything drawn (titles, labels, tick labels, notes) lies inside the figure: its tight box (what the
    renderer drew) is within the page box the file gets."""
    for name, fig in _figures(*setup).items():
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        drawn = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
        page = fig.bbox
        inside = (drawn.x0 >= page.x0 - 1 and drawn.x1 <= page.x1 + 1 and drawn.y0 >= page.y0 - 1
                  and drawn.y1 <= page.y1 + 1)
        assert inside, (name, drawn, page)


def test_the_forest_plot_names_groups_by_their_labels_not_model_ids(setup):
    fig = _figures(*setup)["heterogeneity_forest"]
    text = " ".join(t.get_text() for t in _texts(fig))
    assert "het_soe" not in text and "het_region" not in text
    labels = setup[2]
    assert labels.var("soe") in text


def test_true_values_are_hollow_markers_beneath_the_estimates(setup):
    fig = _figures(*setup)["truth_recovery"]
    for ax in fig.axes:
        truth = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert truth, "the true values are drawn"
        estimates = [line for line in ax.lines if line.get_marker() not in (None, "None", "", " ")]
        assert estimates, "the estimates are drawn"
        for c in truth:
            assert np.all(c.get_facecolors()[:, 3] == 0), "a filled marker hides the estimate beneath it"
            assert all(c.get_zorder() < line.get_zorder() for line in estimates)


@pytest.mark.parametrize(("p", "text"), [(0.0, "p < 0.001"), (0.0004, "p < 0.001"), (0.001, "p = 0.001"),
                                         (0.0123, "p = 0.012"), (0.854, "p = 0.854"), (1.0, "p = 1.000"),
                                         (float("nan"), "p = n/a")])
def test_p_values_are_never_printed_as_zero(p, text):
    assert p_text(p) == text


def test_a_tiny_sobel_p_reads_below_0_001(setup):
    paths, _, labels, settings = setup
    frame = read_models(paths["estimates"], ["mechanism"])["mechanism"]
    frame.loc[(frame["equation"] == "indirect") & (frame["method"] == "sobel"), "p_value"] = 1e-9
    text = " ".join(t.get_text() for t in _texts(draw_mediation(frame, labels, settings)))
    assert "p < 0.001" in text and "0.000" not in text


def test_placebo_p_reads_below_0_001(setup):
    import pandas as pd

    labels = setup[2]
    rows = [{"model": "m", "outcome": "y", "term": "placebo_regressor", "equation": "placebo", "estimate": 0.5,
             "p_value": 0.0, "note": "coinnov permuted within year"}]
    rows += [{"model": "m", "outcome": "y", "term": "placebo_regressor", "equation": "placebo_draw",
              "estimate": v, "p_value": np.nan, "note": ""} for v in np.linspace(-0.1, 0.1, 50)]
    text = " ".join(t.get_text() for t in _texts(draw_placebo({"m": pd.DataFrame(rows)}, labels)))
    assert "p < 0.001" in text and "0.000" not in text


def test_coefficients_of_different_outcomes_get_one_panel_each(setup):
    figs = _figures(*setup)
    labels = setup[2]
    coef = figs["coefficients"]
    axes = [ax for ax in coef.axes if ax.get_visible()]
    outcomes = ["srdi_spec", "srdi_refine", "srdi_distinct", "srdi_novel"]
    assert len(axes) == len(outcomes)
    for ax, outcome in zip(axes, outcomes, strict=True):
        assert labels.var(outcome) in ax.get_title(loc="left")
    truth = [ax for ax in figs["truth_recovery"].axes if ax.get_visible()]
    assert len(truth) == 2  # srdi_spec (estimated and an unmatched estimand) and srdi_distinct


def test_one_outcome_keeps_one_panel(setup):
    paths, _, labels, settings = setup
    pairs = [{"model": "baseline", "term": "coinnov"}, {"model": "baseline", "term": "size"}]
    fig = draw_coefficients(read_models(paths["estimates"], ["baseline"]), pairs, labels, settings)
    assert len(fig.axes) == 1
