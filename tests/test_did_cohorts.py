"""Cohort helpers of the staggered DID engines: first treated year from an absorbing 0/1 column, and checks."""

import logging

import numpy as np
import pandas as pd
import pytest

from srdi.models.did.cohorts import cohorts_from_treatment, validate_first_treat


def _panel(rows: dict[str, list[int]], years=range(2015, 2021)) -> pd.DataFrame:
    """Entities -> treatment path over `years` (None = not observed)."""
    out = [(e, y, d) for e, path in rows.items() for y, d in zip(years, path, strict=True) if d is not None]
    return pd.DataFrame(out, columns=["firm", "year", "d"])


def test_first_treated_year_by_hand():
    df = _panel({"a": [0, 0, 1, 1, 1, 1], "b": [0, 0, 0, 0, 0, 0], "c": [0, 0, 0, 0, 0, 1],
                 "d": [None, 0, 0, 1, 1, None]})
    df = df.sample(frac=1.0, random_state=3)  # row order must not matter
    res = cohorts_from_treatment(df, "firm", "year", "d", model="m")
    got = res.frame.groupby("firm")["first_treat"].agg(["min", "max"])
    assert got["min"].to_dict() == {"a": 2017, "b": 0, "c": 2020, "d": 2018}
    assert (got["min"] == got["max"]).all()
    assert res.dropped_no_pre == ()
    assert list(res.frame.index) == list(df.index)  # rows and their order kept


def test_switching_off_names_model_column_and_entities():
    df = _panel({"a": [0, 1, 1, 0, 1, 1], "b": [0, 0, 1, 1, 1, 1], "z": [1, 1, 0, 0, 0, 0]})
    with pytest.raises(ValueError, match=r"model 'lg'.*'d' switches off.*2 entities.*'a', 'z'"):
        cohorts_from_treatment(df, "firm", "year", "d", model="lg")


def test_non_binary_and_missing_treatment_are_errors():
    df = _panel({"a": [0, 0, 2, 2, 2, 2], "b": [0] * 6})
    with pytest.raises(ValueError, match=r"must be 0/1.*'a'"):
        cohorts_from_treatment(df, "firm", "year", "d", model="m")
    df = _panel({"a": [0, 0, 1, 1, 1, 1], "b": [0] * 6})
    df["d"] = df["d"].astype(float)
    df.loc[df.index[-1], "d"] = np.nan
    with pytest.raises(ValueError, match=r"missing values.*'b'"):
        cohorts_from_treatment(df, "firm", "year", "d", model="m")


def test_no_pre_period_dropped_with_log_or_error(caplog):
    # 'a' treated from the panel's first year; 'e' enters in 2017 already treated (left-censored)
    df = _panel({"a": [1] * 6, "b": [0, 0, 1, 1, 1, 1], "c": [0] * 6, "e": [None, None, 1, 1, 1, 1]})
    with caplog.at_level(logging.WARNING, logger="srdi.models.did.cohorts"):
        res = cohorts_from_treatment(df, "firm", "year", "d", model="m")
    assert set(res.dropped_no_pre) == {"a", "e"}
    assert set(res.frame["firm"]) == {"b", "c"}
    assert "2 treated entities have no pre-period" in caplog.text
    with pytest.raises(ValueError, match=r"model 'm'.*2 treated entities have no pre-period.*'a', 'e'"):
        cohorts_from_treatment(df, "firm", "year", "d", model="m", no_pre="error")
    # with two years of anticipation, a cohort treated in the third observed year has no clean base period either
    res = cohorts_from_treatment(df, "firm", "year", "d", model="m", anticipation=2)
    assert set(res.dropped_no_pre) == {"a", "e", "b"}


def test_validate_first_treat_errors():
    df = _panel({"a": [0, 0, 1, 1, 1, 1], "b": [0] * 6, "c": [0, 0, 0, 1, 1, 1]})
    df["g"] = df["firm"].map({"a": 2017, "b": 0, "c": 2018})
    assert validate_first_treat(df, "firm", "year", "g", model="m").dropped_no_pre == ()

    bad = df.copy()
    bad.loc[(bad["firm"] == "c") & (bad["year"] == 2020), "g"] = 2019
    with pytest.raises(ValueError, match=r"model 'm'.*'g' is not constant within entity \(1 entities\).*'c'"):
        validate_first_treat(bad, "firm", "year", "g", model="m")

    bad = df.copy()
    bad.loc[bad["firm"] == "c", "g"] = 2024
    with pytest.raises(ValueError, match=r"first-treated years \[2024\].*outside the panel's years 2015-2020.*'c'"):
        validate_first_treat(bad, "firm", "year", "g", model="m")
    bad.loc[bad["firm"] == "c", "g"] = 1999
    with pytest.raises(ValueError, match="outside the panel's years"):
        validate_first_treat(bad, "firm", "year", "g", model="m")

    bad = df.copy()
    bad.loc[bad["firm"] == "a", "g"] = 2015
    res = validate_first_treat(bad, "firm", "year", "g", model="m")
    assert res.dropped_no_pre == ("a",) and "a" not in set(res.frame["firm"])
    with pytest.raises(ValueError, match="no pre-period"):
        validate_first_treat(bad, "firm", "year", "g", model="m", no_pre="error")

    bad = df.copy()
    bad["g"] = bad["g"].astype(float)
    bad.loc[0, "g"] = np.nan
    with pytest.raises(ValueError, match="integer years"):
        validate_first_treat(bad, "firm", "year", "g", model="m")


def test_duplicate_keys_and_missing_columns():
    df = _panel({"a": [0, 0, 1, 1, 1, 1]})
    with pytest.raises(ValueError, match="not unique"):
        cohorts_from_treatment(pd.concat([df, df.iloc[:1]]), "firm", "year", "d", model="m")
    with pytest.raises(ValueError, match=r"column\(s\) \['nope'\]"):
        cohorts_from_treatment(df, "firm", "year", "nope", model="m")


def test_derived_cohorts_pass_validation_on_random_panels():
    rng = np.random.default_rng(0)
    n, years = 300, np.arange(2011, 2024)
    g = rng.choice([0, 2015, 2019, 2023], size=n)
    df = pd.DataFrame({"firm": np.repeat(np.arange(n), years.size), "year": np.tile(years, n)})
    df["d"] = ((np.repeat(g, years.size) > 0) & (df["year"] >= np.repeat(g, years.size))).astype(int)
    df = df.sample(frac=0.8, random_state=1)  # unbalanced
    res = cohorts_from_treatment(df, "firm", "year", "d", model="m")
    got = res.frame.groupby("firm")["first_treat"].first()
    seen = df.groupby("firm").apply(lambda x: x.loc[x["d"] == 1, "year"].min() if x["d"].any() else 0)
    kept = got.index
    assert (got == seen.loc[kept].astype(int)).all()
    validate_first_treat(res.frame, "firm", "year", "first_treat", model="m", no_pre="error")
