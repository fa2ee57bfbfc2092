"""Calendar lags: the previous year within the firm, never the previous row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srdi.models import lag_by_time


def _panel() -> pd.DataFrame:
    # firm 1 has a gap (2016 missing); rows are deliberately unsorted
    return pd.DataFrame(
        {
            "stkcd": [1, 2, 1, 1, 2, 3],
            "year": [2018, 2015, 2015, 2017, 2016, 2016],
            "x": [18.0, 25.0, 15.0, 17.0, 26.0, 36.0],
            "z": [1.8, 2.5, 1.5, 1.7, 2.6, 3.6],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def test_gap_gives_missing_not_the_row_above():
    df = _panel()
    out = lag_by_time(df, ["x", "z"], "stkcd", "year")
    assert list(out.index) == list(df.index)
    expected_x = {10: 17.0, 11: np.nan, 12: np.nan, 13: np.nan, 14: 25.0, 15: np.nan}
    for idx, value in expected_x.items():
        got = out.loc[idx, "x"]
        assert (np.isnan(got) and np.isnan(value)) or got == value, (idx, got, value)
    assert out.loc[10, "z"] == 1.7
    # a row-based shift would have paired 2017 with 2015 for firm 1:
    assert np.isnan(out.loc[13, "x"])


def test_lag_order_k():
    df = _panel()
    out = lag_by_time(df, ["x"], "stkcd", "year", k=2)
    assert out.loc[13, "x"] == 15.0  # 2017 <- 2015
    assert np.isnan(out.loc[10, "x"])  # 2018 <- 2016, absent


def test_float_years_and_missing_keys():
    df = _panel().astype({"year": float})
    df.loc[15, "year"] = np.nan
    out = lag_by_time(df, ["x"], "stkcd", "year")
    assert out.loc[10, "x"] == 17.0
    assert np.isnan(out.loc[15, "x"])


def test_duplicate_key_is_an_error():
    df = pd.concat([_panel(), _panel().iloc[[0]]])
    with pytest.raises(ValueError, match="not unique"):
        lag_by_time(df, ["x"], "stkcd", "year")


def test_non_integer_time_is_an_error():
    df = _panel().astype({"year": float})
    df.loc[10, "year"] = 2018.5
    with pytest.raises(ValueError, match="whole numbers"):
        lag_by_time(df, ["x"], "stkcd", "year")


def test_model_lag_years_two_uses_the_value_two_calendar_years_earlier():
    import numpy as np
    import pandas as pd

    from srdi.models import fit_panel

    rng = np.random.default_rng(0)
    rows = [(f, y) for f in range(60) for y in range(2010, 2020) if not (f % 7 == 0 and y == 2014)]
    d = pd.DataFrame(rows, columns=["firm", "year"])
    d["x"] = rng.normal(size=len(d))
    d["y"] = rng.normal(size=len(d))
    prev2 = d[["firm", "year", "x"]].assign(year=d["year"] + 2).rename(columns={"x": "x2"})
    manual = d.merge(prev2, on=["firm", "year"], how="left").drop(columns="x").rename(columns={"x2": "x"})
    spec = {"kind": "panel", "outcome": "y", "regressors": ["x"], "vcov": {"type": "robust"}}
    got = fit_panel(d, {**spec, "lag_years": 2}, "firm", "year")
    ref = fit_panel(manual, {**spec, "lag": []}, "firm", "year")
    assert got.nobs == ref.nobs
    np.testing.assert_allclose(got.params, ref.params, rtol=1e-12)


def test_mediation_shifts_each_column_by_its_own_lag_on_the_original_index():
    from srdi.models.mediation_timing import Timing, shifted_columns

    df = _panel()  # unsorted, firm 1 has a gap in 2016, index 10..15
    out = shifted_columns(df, Timing("custom", {"x": 2, "z": 1}), ["x", "z", "year"], "stkcd", "year")
    assert list(out.index) == list(df.index) and list(out.columns) == ["x", "z", "year"]
    assert out.loc[13, "x"] == 15.0 and np.isnan(out.loc[10, "x"])  # 2017 <- 2015; 2018 <- 2016 (absent)
    assert out.loc[10, "z"] == 1.7 and np.isnan(out.loc[13, "z"])  # 2018 <- 2017; 2017 <- 2016 (absent)
    assert out["year"].tolist() == df["year"].tolist()  # a column with no lag is left as it is
