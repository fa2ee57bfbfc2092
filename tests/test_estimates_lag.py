"""Every kind's estimates carry the `lag` of each term (docs/estimates_format.md): the calendar years by which
the term enters (0 = contemporaneous), with unlagged term names; derived rows and diagnostics have none.

Expected values come from the spec as written (which columns are lagged, by how much), not from the code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srdi.models.kinds import fitter_for


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    firms, years = np.repeat(np.arange(60), 8), np.tile(np.arange(2012, 2020), 60)
    d = pd.DataFrame({"stkcd": firms, "year": years, "industry": firms % 6, "g": (firms % 2).astype(int)})
    n = len(d)
    alpha = rng.normal(size=60)[firms]
    d["z"] = rng.normal(size=n)
    d["x"] = d["z"] + 0.5 * alpha + rng.normal(size=n)
    d["w"] = rng.normal(size=n)
    d["mod"] = rng.normal(size=n)
    d["y"] = 0.3 * d["x"] + 0.2 * d["w"] + alpha + rng.normal(size=n)
    d["yb"] = (d["y"] + rng.normal(size=n) > 0).astype(int)
    return d


def fit(panel: pd.DataFrame, kind: str, spec: dict) -> pd.DataFrame:
    return fitter_for(kind, "m")(panel, {"kind": kind, **spec}, "m", "stkcd", "year", 1)


def lags(rows: pd.DataFrame, equation: str) -> dict[str, object]:
    sub = rows[rows["equation"] == equation] if "equation" in rows else rows
    return {t: (None if pd.isna(v) else int(v)) for t, v in zip(sub["term"], sub["lag"], strict=True)}


@pytest.mark.parametrize(("extra", "x_lag", "w_lag"), [({}, 1, 0), ({"lag_years": 2}, 2, 0),
                                                       ({"lag": ["w"]}, 0, 1), ({"lag": []}, 0, 0)])
def test_panel(panel, extra, x_lag, w_lag):
    rows = fit(panel, "panel", {"outcome": "y", "regressors": ["x"], "controls": ["w"], **extra})
    assert lags(rows, "main") == {"x": x_lag, "w": w_lag, "_cons": 0}  # the constant is never lagged


def test_iv_terms_and_the_loo_instrument_take_their_variables_lag(panel):
    rows = fit(panel, "iv", {"outcome": "y", "endogenous": ["x"], "instruments": ["z"], "controls": ["w"],
                             "loo_instrument": {"by": ["industry", "year"]}})
    assert lags(rows, "second_stage") == {"x": 1, "w": 0}
    assert lags(rows, "first_stage") == {"z": 0, "loo_x": 1, "w": 0}  # loo_x is built from L.x
    assert rows.loc[rows["equation"] == "diagnostic", "lag"].isna().all()
    lagged_z = fit(panel, "iv", {"outcome": "y", "endogenous": ["x"], "instruments": ["z"], "lag": ["x", "z"]})
    assert lags(lagged_z, "first_stage")["z"] == 1


def test_moderation_interaction_and_marginal_effects(panel):
    rows = fit(panel, "moderation", {"outcome": "y", "regressor": "x", "moderator": "mod", "controls": ["w"]})
    assert lags(rows, "main") == {"x": 1, "mod": 1, "x:mod": 1, "w": 0}  # default lags X and the moderator
    assert set(lags(rows, "marginal_effect").values()) == {1}  # marginal effects of L.x
    mixed = fit(panel, "moderation", {"outcome": "y", "regressor": "x", "moderator": "mod", "lag": ["x"]})
    assert lags(mixed, "main") == {"x": 1, "mod": 0, "x:mod": None}  # L.x * mod: no single lag


def test_heterogeneity_groups_and_difference(panel):
    rows = fit(panel, "heterogeneity", {"outcome": "y", "regressors": ["x"], "controls": ["w"], "group_by": "g",
                                        "permutations": 9})
    for eq in ("group:0", "group:1"):
        assert lags(rows, eq) == {"x": 1, "w": 0}
    assert lags(rows, "difference") == {"x": 1}


def test_binary_lpm_and_clogit(panel):
    rows = fit(panel, "binary", {"outcome": "yb", "regressors": ["x"], "controls": ["w"], "lag": ["x", "w"]})
    assert lags(rows, "lpm") == {"x": 1, "w": 1}
    assert lags(rows, "clogit") == {"x": 1, "w": 1}
