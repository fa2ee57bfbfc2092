"""The estimates-file contract: exact columns, row order, deterministic bytes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srdi.models import TIDY_COLUMNS, CollinearityWarning, fit_panel, run_model, tidy

CONTRACT = [
    "model", "outcome", "term", "lag", "estimate", "std_error", "statistic", "p_value", "conf_low",
    "conf_high", "nobs", "r2_within", "n_clusters", "fe", "vcov", "n_singletons", "dropped_terms",
]  # fmt: skip


def _panel(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    firms = np.repeat(np.arange(100001, 100031), 8)
    years = np.tile(np.arange(2012, 2020), 30)
    d = pd.DataFrame({"stkcd": firms, "year": years})
    for c in ("coinnov", "size", "lev", "roa"):
        d[c] = rng.normal(size=len(d))
    d["srdi_index"] = 0.4 * d["coinnov"] + 0.1 * d["size"] + rng.normal(size=len(d))
    return d


SPEC = {
    "kind": "panel",
    "outcome": "srdi_index",
    "regressors": ["coinnov"],
    "controls": ["size", "lev", "roa"],
}


def test_tidy_has_exactly_the_contract_columns_and_spec_row_order():
    res = fit_panel(_panel(), SPEC, "stkcd", "year", name="baseline")
    frame = tidy(res, "baseline")
    assert list(frame.columns) == CONTRACT == list(TIDY_COLUMNS)
    assert frame["term"].tolist() == ["coinnov", "size", "lev", "roa"]
    row = frame.iloc[0]
    assert row["model"] == "baseline" and row["outcome"] == "srdi_index"
    assert row["fe"] == "entity+time" and row["vcov"] == "cluster:stkcd"
    assert row["n_clusters"] == 30 and row["nobs"] == 30 * 7  # first year lost to the default lag
    assert row["n_singletons"] == 0 and row["dropped_terms"] == ""
    assert frame["lag"].tolist() == [1, 0, 0, 0]  # the default lags the regressors of interest only


def test_tidy_labels_for_other_specs():
    d = _panel()
    two = tidy(fit_panel(d, {**SPEC, "vcov": {"type": "cluster", "by": ["stkcd", "year"]}}, "stkcd", "year"), "m")
    assert two["vcov"].iat[0] == "cluster:stkcd+year" and two["n_clusters"].iat[0] == 7
    pooled = tidy(fit_panel(d, {**SPEC, "fe": [], "vcov": {"type": "robust"}}, "stkcd", "year"), "m")
    assert pooled["fe"].iat[0] == "none" and pooled["vcov"].iat[0] == "robust"
    assert pd.isna(pooled["n_clusters"].iat[0])
    year_only = tidy(fit_panel(d, {**SPEC, "fe": ["time"], "vcov": {"type": "unadjusted"}}, "stkcd", "year"), "m")
    assert year_only["fe"].iat[0] == "time" and year_only["vcov"].iat[0] == "unadjusted"


def test_run_model_writes_deterministic_csv(tmp_path):
    path = tmp_path / "panel.parquet"
    _panel().to_parquet(path)
    out1, out2 = tmp_path / "a" / "baseline.csv", tmp_path / "b" / "baseline.csv"
    frame = run_model(path, SPEC, "baseline", "stkcd", "year", out1)
    run_model(path, SPEC, "baseline", "stkcd", "year", out2)
    assert out1.read_bytes() == out2.read_bytes()
    text = out1.read_text()
    # the panel kind writes the contract with reghdfe's fit statistics after r2_within (issue 10)
    at = CONTRACT.index("r2_within") + 1
    assert text.splitlines()[0] == ",".join([*CONTRACT[:at], "r2", "r2_adj", "r2_within_adj", *CONTRACT[at:]])
    back = pd.read_csv(out1, keep_default_na=False, na_values=[""])
    assert back["term"].tolist() == frame["term"].tolist()
    assert back["term"].tolist()[-1] == "_cons"  # Stata's constant closes the rows
    np.testing.assert_allclose(back["estimate"], frame["estimate"], rtol=1e-11)
    assert back["n_clusters"].tolist() == [30] * 5  # written as an integer, not 30.0
    assert "30.0" not in text


def test_dropped_terms_are_listed_and_omitted_from_rows():
    d = _panel()
    d["size2"] = d["size"] * 2
    with pytest.warns(CollinearityWarning):
        res = fit_panel(d, {**SPEC, "controls": ["size", "size2", "lev"]}, "stkcd", "year")
    frame = tidy(res, "m")
    assert frame["term"].tolist() == ["coinnov", "size", "lev"]
    assert set(frame["dropped_terms"]) == {"size2"}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, {"coinnov": 1, "size": 0, "lev": 0, "roa": 0}),  # default: the regressors of interest, one year
        ({"lag_years": 2}, {"coinnov": 2, "size": 0, "lev": 0, "roa": 0}),
        ({"lag": ["coinnov", "size"]}, {"coinnov": 1, "size": 1, "lev": 0, "roa": 0}),
        ({"lag": ["size"], "lag_years": 2}, {"coinnov": 0, "size": 2, "lev": 0, "roa": 0}),
        ({"lag": []}, {"coinnov": 0, "size": 0, "lev": 0, "roa": 0}),
    ],
)
def test_lag_column_gives_each_terms_lag_in_years(extra, expected):
    frame = tidy(fit_panel(_panel(), {**SPEC, **extra}, "stkcd", "year"), "m")
    assert dict(zip(frame["term"], frame["lag"], strict=True)) == expected
    assert frame["lag"].dtype == "int64"
    assert set(frame["term"]) == {"coinnov", "size", "lev", "roa"}  # names stay unlagged


def test_lag_column_matches_the_rows_actually_used():
    """lag 2 means the value two calendar years back: the fit equals one on a hand-shifted column."""
    d = _panel()
    prev = d[["stkcd", "year", "coinnov"]].assign(year=d["year"] + 2)
    manual = d.drop(columns="coinnov").merge(prev, on=["stkcd", "year"], how="left")
    got = tidy(fit_panel(d, {**SPEC, "lag_years": 2}, "stkcd", "year"), "m")
    ref = tidy(fit_panel(manual, {**SPEC, "lag": []}, "stkcd", "year"), "m")
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-10)
    assert got["lag"].tolist() == [2, 0, 0, 0] and ref["lag"].tolist() == [0, 0, 0, 0]


def test_lag_column_is_written_as_an_integer(tmp_path):
    path = tmp_path / "panel.parquet"
    _panel().to_parquet(path)
    run_model(path, {**SPEC, "lag_years": 2}, "baseline", "stkcd", "year", tmp_path / "out.csv")
    back = pd.read_csv(tmp_path / "out.csv")
    assert back["lag"].tolist() == [2, 0, 0, 0, 0] and back["lag"].dtype == "int64"  # ..., _cons
