"""`kind: panel` options (random_effects, oster, wild_bootstrap, placebo) wired to their engines, and what the
regression table shows of them and of lagged terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srdi.models.hausman import hausman_fe_re, mundlak_test
from srdi.models.oster import oster_bounds
from srdi.models.panel_kind import fit
from srdi.models.random_effects import fit_random_effects
from srdi.models.wild_bootstrap import wild_bootstrap_panel
from srdi.report.labels import Labels
from srdi.report.regression import RegressionTableBuilder
from srdi.report.settings import TableSettings
from srdi.seeds import derive_seed

BASE = {"kind": "panel", "outcome": "y", "regressors": ["x"], "controls": ["c"], "fe": ["entity", "time"],
        "vcov": {"type": "cluster", "by": ["ind"]}}


def _panel(n: int = 120, years: range = range(2010, 2020), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame([(i, y) for i in range(n) for y in years], columns=["firm", "year"])
    a = rng.normal(size=n)[frame["firm"]]
    frame["x"] = 0.5 * a + rng.normal(size=len(frame))
    frame["c"] = rng.normal(size=len(frame))
    x_lag = frame.groupby("firm")["x"].shift(1).fillna(0.0)  # regressors of interest enter lagged by default
    frame["y"] = 0.3 * x_lag + 0.2 * frame["c"] + a + rng.normal(size=len(frame))
    frame["ind"] = frame["firm"] % 14  # 14 clusters: wild bootstrap territory
    return frame


def test_each_option_is_its_engine_on_the_models_spec():
    panel = _panel()
    spec = {**BASE, "random_effects": True, "oster": {"r_max_factor": 1.3}, "wild_bootstrap": {"reps": 999}}
    out = fit(panel, spec, "m", "firm", "year", seed=7)
    core = {k: v for k, v in spec.items() if k in BASE}
    re = fit_random_effects(panel, core, "firm", "year", "m")
    row = out[(out["equation"] == "random_effects") & (out["term"] == "x")].iloc[0]
    assert row["estimate"] == pytest.approx(re.params["x"], abs=1e-12) and row["lag"] == 1  # x is lagged
    tests = out[out["equation"] == "diagnostic"].set_index("term")
    assert tests.loc["hausman_fe_re", "statistic"] == pytest.approx(
        hausman_fe_re(panel, core, "firm", "year", "m").statistic, abs=1e-10)
    assert tests.loc["mundlak", "statistic"] == pytest.approx(
        mundlak_test(panel, core, "firm", "year", "m").statistic, abs=1e-10)
    assert set(tests["applies_to"]) == {"random_effects"}
    oster = out[out["equation"] == "oster"].set_index("term")
    assert oster.loc["x:delta_star", "estimate"] == pytest.approx(
        oster_bounds(panel, core, "firm", "year", "m").delta_star, abs=1e-12)
    wild = out[out["equation"] == "wild_bootstrap"].iloc[0]
    ref = wild_bootstrap_panel(panel, core, "firm", "year", "x", reps=999, weights="webb",
                               seed=derive_seed(7, "wild_bootstrap:x"), name="m")
    assert (wild["p_value"], wild["conf_low"], wild["conf_high"]) == pytest.approx(
        (ref.p_value, ref.conf_low, ref.conf_high), abs=1e-12)
    assert wild["conf_low"] < 0.3 < wild["conf_high"]


def test_wild_bootstrap_needs_one_cluster_column():
    with pytest.raises(ValueError, match="wild_bootstrap needs vcov"):
        fit(_panel(), {**BASE, "vcov": {"type": "robust"}, "wild_bootstrap": {"reps": 99}}, "m", "firm", "year", 1)


def test_table_shows_lags_as_stata_does_and_facts_under_their_column():
    panel = _panel()
    spec = {**BASE, "random_effects": True, "oster": {}, "wild_bootstrap": {"reps": 199}}
    frame = fit(panel, spec, "m", "firm", "year", seed=7)
    from srdi.report.estimates import normalise

    builder = RegressionTableBuilder(Labels({"x": ("Co-innovation", "融通创新")}, "en"), TableSettings(),
                                     "firm", "year")
    table = builder.build("t", {"title": "T", "models": ["m"], "terms": ["x"]}, {"m": normalise(frame)},
                          {"m": spec}, None)
    rows = {r[0]: r[1:] for p in table.panels for r in p.rows if r[0]}
    assert rows["L.Co-innovation"][0].startswith("0.3") and rows["L.Co-innovation"][1] != ""  # FE and RE columns
    assert rows["Firm RE"] == ["No", "Yes"]
    assert rows["Hausman test FE vs RE χ² [p]"][0] == "" and rows["Hausman test FE vs RE χ² [p]"][1]
    assert any(k.startswith("Oster δ for β = 0") for k in rows)
    assert rows["Wild cluster bootstrap p [95% CI]: L.Co-innovation"][0].count("[") == 1
    zh = Labels({"x": ("Co-innovation", "融通创新")}, "zh")
    assert zh.var("L.x") == "L.融通创新" and zh.var("L2.x") == "L2.融通创新"


def test_constant_and_adjusted_r2_rows_follow_the_table_settings():
    from srdi.models.panel import fit_panel
    from srdi.report.estimates import normalise

    panel = _panel()
    spec = {**BASE, "vcov": {"type": "cluster"}}
    frame = normalise(fit(panel, spec, "m", "firm", "year", seed=1))
    res = fit_panel(panel, spec, "firm", "year", "m")

    def rows(**settings):
        builder = RegressionTableBuilder(Labels({}, "en"), TableSettings(**settings), "firm", "year")
        table = builder.build("t", {"title": "T", "models": ["m"], "terms": ["x"]}, {"m": frame}, {"m": spec}, None)
        return {r[0]: r[1:] for p in table.panels for r in p.rows if r[0]}

    shown = rows()
    assert shown["Constant"][0].startswith(f"{res.cons:.3f}")  # the estimate, then its stars
    assert shown["Adjusted within R²"] == [f"{res.r2_within_adj:.3f}"]
    assert shown["R²"] == [f"{res.r2:.3f}"] and shown["Adjusted R²"] == [f"{res.r2_adj:.3f}"]
    hidden = rows(constant=False, adjusted_r2=False)
    assert "Constant" not in hidden and "Adjusted within R²" not in hidden and "Within R²" in hidden


def test_iv_wild_bootstrap_is_the_wre_engine_under_the_second_stage():
    from srdi.models.kinds import fitter_for
    from srdi.models.wild_iv import wild_iv_bootstrap

    rng = np.random.default_rng(5)
    panel = _panel()
    panel["z"] = rng.normal(size=len(panel))
    panel["x"] = panel["x"] + 0.8 * panel["z"]
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z"], "controls": ["c"],
            "vcov": {"type": "cluster", "by": ["ind"]}, "lag": []}
    out = fitter_for("iv", "m")(panel, {**spec, "wild_bootstrap": {"reps": 199}}, "m", "firm", "year", 3)
    row = out[out["equation"] == "wild_bootstrap"].iloc[0]
    ref = wild_iv_bootstrap(panel, spec, "firm", "year", reps=199, weights="webb",
                            seed=derive_seed(3, "wild_bootstrap"), name="m")
    assert (row["p_value"], row["conf_low"], row["conf_high"]) == pytest.approx(
        (ref.p_value, ref.conf_low, ref.conf_high), abs=1e-12)
    assert row["applies_to"] == "second_stage"


def test_weighted_models_refuse_the_unweighted_checks():
    panel = _panel().assign(w=1.0)
    with pytest.raises(ValueError, match="random_effects, oster cannot be combined with weights"):
        fit(panel, {**BASE, "weights": "w", "random_effects": True, "oster": {}}, "m", "firm", "year", 1)
    assert not fit(panel, {**BASE, "weights": "w"}, "m", "firm", "year", 1).empty
