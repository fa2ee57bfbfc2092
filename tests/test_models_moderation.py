"""Moderation kind: the centred interaction regression, built by hand here, and marginal effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srdi.models import fit_panel, lag_by_time
from srdi.models.kinds import fitter_for
from srdi.models.moderation import fit_moderation, tidy_moderation


def panel(seed: int = 3, n_firms: int = 60, years: range = range(2011, 2021)) -> pd.DataFrame:
    """Unbalanced firm-year panel with holes (so calendar lags matter) and an in_sample flag."""
    rng = np.random.default_rng(seed)
    rows = [(f"F{f:03d}", t) for f in range(n_firms) for t in years if rng.random() > 0.15]
    d = pd.DataFrame(rows, columns=["stkcd", "year"])
    n = len(d)
    alpha = d.groupby("stkcd")["year"].transform(lambda s: rng.normal())
    d["x"] = rng.normal(size=n) + 0.3 * alpha
    d["m"] = 50 + 10 * rng.normal(size=n)  # a level far from 0, like the innovation environment index
    d["w"] = rng.normal(size=n)
    d["y"] = 0.4 * d["x"] + 0.02 * d["x"] * (d["m"] - 50) + 0.1 * d["w"] + alpha + rng.normal(size=n)
    d["in_sample"] = rng.random(n) > 0.05
    return d


SPEC = {"kind": "moderation", "outcome": "y", "regressor": "x", "moderator": "m", "controls": ["w"]}


def drop_singletons(h: pd.DataFrame) -> pd.DataFrame:
    """Firms or years observed once, dropped until none is left (reghdfe)."""
    while True:
        by_firm = h.groupby("stkcd")["year"].transform("size")
        alone = (by_firm == 1) | (h.groupby("year")["stkcd"].transform("size") == 1)
        if not alone.any():
            return h
        h = h[~alone]


def hand_built(d: pd.DataFrame, centre_m: float | None = None) -> tuple[pd.DataFrame, dict]:
    """Lag x and m on the full panel, keep in_sample complete rows, centre at the sample means, interact."""
    h = d.copy()
    h[["x", "m"]] = lag_by_time(d, ["x", "m"], "stkcd", "year")
    h = drop_singletons(h[h["in_sample"]].dropna(subset=["x", "m", "y", "w"]).drop(columns="in_sample"))
    means = {"x": h["x"].mean(), "m": h["m"].mean()}
    h["x"] -= means["x"]
    h["m"] -= means["m"] if centre_m is None else centre_m
    h["x:m"] = h["x"] * h["m"]
    return h, means


def test_main_equation_equals_hand_built_centred_interaction_regression():
    d = panel()
    out = fitter_for("moderation", "mod")(d, SPEC, "mod", "stkcd", "year", 0)
    h, _ = hand_built(d)
    ref = fit_panel(h, {"outcome": "y", "regressors": ["x", "m", "x:m"], "controls": ["w"], "lag": []}, "stkcd", "year")
    main = out[out["equation"] == "main"].set_index("term")
    assert main.index.tolist() == ["x", "m", "x:m", "w"]
    for term in ref.params.index:
        assert main.loc[term, "estimate"] == pytest.approx(ref.params[term], rel=1e-10, abs=1e-12)
        assert main.loc[term, "std_error"] == pytest.approx(ref.std_errors[term], rel=1e-10)
    assert (main["nobs"] == ref.nobs).all()
    assert main["vcov"].iloc[0] == "cluster:stkcd"


def test_marginal_effects_delta_method_and_recentred_regression():
    d = panel()
    res, facts = fit_moderation(d, SPEC, "mod", "stkcd", "year")
    out = tidy_moderation(res, facts, "mod")
    me = out[out["equation"] == "marginal_effect"].reset_index(drop=True)
    assert me["term"].tolist() == ["x@q0.1", "x@q0.25", "x@q0.5", "x@q0.75", "x@q0.9"]
    h, means = hand_built(d)
    m_raw = h["m"] + means["m"]
    at = np.quantile(m_raw, [0.1, 0.25, 0.5, 0.75, 0.9])
    np.testing.assert_allclose(me["at_value"], at, rtol=1e-12)
    v = res.cov
    for i, m_q in enumerate(at):
        dq = m_q - means["m"]
        est = res.params["x"] + dq * res.params["x:m"]
        se = np.sqrt(v.loc["x", "x"] + dq**2 * v.loc["x:m", "x:m"] + 2 * dq * v.loc["x", "x:m"])
        assert me.loc[i, "estimate"] == pytest.approx(est, rel=1e-12)
        assert me.loc[i, "std_error"] == pytest.approx(se, rel=1e-12)
        # independent check: with the moderator centred at m_q, b_x *is* the effect at m_q
        hq, _ = hand_built(d, centre_m=m_q)
        ref = fit_panel(hq, {"outcome": "y", "regressors": ["x", "m", "x:m"], "controls": ["w"], "lag": []},
                        "stkcd", "year")  # fmt: skip
        assert me.loc[i, "estimate"] == pytest.approx(ref.params["x"], rel=1e-8)
        assert me.loc[i, "std_error"] == pytest.approx(ref.std_errors["x"], rel=1e-8)
        assert me.loc[i, "conf_low"] == pytest.approx(ref.conf_low["x"], rel=1e-8)
    assert (me["method"] == "delta").all()
    assert me["at_quantile"].tolist() == [0.1, 0.25, 0.5, 0.75, 0.9]


def test_contemporaneous_moderator_and_custom_quantiles():
    d = panel()
    spec = {**SPEC, "lag": ["x"], "quantiles": [0.5]}
    out = fitter_for("moderation", "mod")(d, spec, "mod", "stkcd", "year", 0)
    h = d.copy()
    h["x"] = lag_by_time(d, ["x"], "stkcd", "year")["x"]
    h = drop_singletons(h[h["in_sample"]].dropna(subset=["x", "m", "y", "w"]))
    me = out[out["equation"] == "marginal_effect"]
    assert me["term"].tolist() == ["x@q0.5"]
    assert me["at_value"].iloc[0] == pytest.approx(h["m"].median())


def test_errors_name_model_and_column():
    d = panel().drop(columns="m")
    with pytest.raises(ValueError, match=r"model 'mod'.*'m'"):
        fitter_for("moderation", "mod")(d, SPEC, "mod", "stkcd", "year", 0)
    with pytest.raises(ValueError, match=r"model 'mod'.*unknown key"):
        fitter_for("moderation", "mod")(panel(), {**SPEC, "moderater": "m"}, "mod", "stkcd", "year", 0)
    with pytest.raises(ValueError, match=r"model 'mod'.*quantiles"):
        fitter_for("moderation", "mod")(panel(), {**SPEC, "quantiles": [1.5]}, "mod", "stkcd", "year", 0)
