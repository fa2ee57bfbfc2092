"""`kind: did`: every estimator on one sample, wired as the engines define them, and its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srdi.models.did import callaway_santanna, imputation, sun_abraham, twfe_static
from srdi.models.did.fit import fit_did_frame
from srdi.models.run import run_model

SPEC = {"kind": "did", "outcome": "y", "first_treated": "g", "window": {"min": -3, "max": 3},
        "callaway_santanna": {"bootstrap": 0}}


def _panel(seed: int = 0, n: int = 90) -> pd.DataFrame:
    """Cohorts 2016 and 2018 and never treated (g missing), 2012-2020; effects grow with time since treatment."""
    rng = np.random.default_rng(seed)
    firms = [f"{i:06d}" for i in range(n)]
    cohort = np.where(np.arange(n) % 3 == 0, 2016.0, np.where(np.arange(n) % 3 == 1, 2018.0, np.nan))
    rows = pd.DataFrame([(f, y) for f in firms for y in range(2012, 2021)], columns=["firm", "year"])
    rows["g"] = np.repeat(cohort, 9)
    alpha = np.repeat(rng.normal(size=n), 9)
    e = rows["year"] - rows["g"]
    tau = np.where(e >= 0, 0.5 + 0.2 * e, 0.0)
    rows["y"] = alpha + 0.1 * (rows["year"] - 2012) + tau + rng.normal(scale=0.5, size=len(rows))
    rows["x1"] = rng.normal(size=len(rows))
    return rows


def _att(frame: pd.DataFrame, equation: str) -> float:
    return float(frame.loc[(frame["equation"] == equation) & (frame["term"] == "ATT"), "estimate"].iloc[0])


def test_each_column_is_its_engine_on_the_shared_sample():
    panel = _panel()
    out = fit_did_frame(panel, SPEC, "d", "firm", "year", seed=1)
    ready = panel.assign(g=panel["g"].fillna(0).astype(int))
    assert _att(out, "twfe") == pytest.approx(twfe_static(ready, "firm", "year", "y", "g").estimate("ATT"), abs=1e-12)
    sa = sun_abraham(ready, "firm", "year", "y", "g", window=(-3, 3))
    assert _att(out, "sun_abraham") == pytest.approx(sa.estimate("ATT"), abs=1e-12)
    cs = callaway_santanna(ready, "firm", "year", "y", "g", min_e=-3, max_e=3)
    assert _att(out, "callaway_santanna") == pytest.approx(
        float(cs.table.set_index("term").loc["ATT", "estimate"]), abs=1e-12)
    bjs = imputation(ready, "firm", "year", "y", "g", horizons=[0, 1, 2, 3], pretrends=3)
    assert _att(out, "imputation") == pytest.approx(bjs.estimate("ATT"), abs=1e-12)
    columns = out[out["equation"].isin(["twfe", "sun_abraham", "callaway_santanna", "imputation"])]
    assert set(columns["nobs"]) == {len(panel)}  # one sample for every estimator
    # the Bacon rows add up to the TWFE coefficient (no controls)
    bacon = out[(out["equation"] == "decomposition") & (out["term"] != "twfe_without_controls")]
    assert (bacon["estimate"] * bacon["weight"]).sum() == pytest.approx(_att(out, "twfe"), abs=1e-10)
    pre = out[(out["equation"] == "diagnostic") & (out["term"] == "pretrend")]
    assert set(pre["applies_to"]) == {"twfe", "sun_abraham", "callaway_santanna", "imputation"}


def test_robust_estimators_recover_the_dynamic_effect_and_twfe_does_not():
    out = fit_did_frame(_panel(3, n=600), SPEC, "d", "firm", "year", seed=1)
    # true overall ATT with CS's `simple` weights (cohort sizes equal): mean of 0.5 + 0.2 e over treated cells
    e16, e18 = np.arange(0, 5), np.arange(0, 3)
    truth = np.mean(np.r_[0.5 + 0.2 * e16, 0.5 + 0.2 * e18])
    for est in ("callaway_santanna", "imputation"):
        row = out[(out["equation"] == est) & (out["term"] == "ATT")].iloc[0]
        assert row["conf_low"] < truth < row["conf_high"], est
    assert _att(out, "twfe") < truth - 0.05  # the forbidden comparisons pull the static TWFE down


def test_unbalanced_firms_are_dropped_and_counted(caplog):
    panel = _panel()
    panel = panel.drop(panel.index[(panel["firm"] == "000002") & (panel["year"] == 2014)])
    with caplog.at_level("INFO"):
        out = fit_did_frame(panel, SPEC, "d", "firm", "year", seed=1)
    assert set(out.loc[out["equation"] == "twfe", "nobs"]) == {len(_panel()) - 9}
    assert "dropped 8 unbalanced entities (rows)" in caplog.text


@pytest.mark.parametrize(("edit", "message"), [
    (lambda p: p.assign(d=((p["year"] >= p["g"]) & (p["year"] != 2019)).astype(int)).drop(columns="g"),
     r"model 'd'.*'d'.*000000"),  # treatment switches off in 2019
    (lambda p: p.assign(g=p["g"].where(p["firm"] != "000003", 2012.0)), r"model 'd'.*no pre-period.*'g'.*000003"),
    (lambda p: p.assign(g=p["g"].where(p["firm"] != "000003", 2030.0)), r"model 'd'.*'g'.*outside.*000003"),
    (lambda p: p.assign(g=p["g"].fillna(2016.0).where(p["g"].notna(), 2016.0)), r"model 'd'.*(never|comparison)"),
])
def test_bad_treatment_is_an_error_naming_model_column_and_firms(edit, message):
    panel = edit(_panel())
    spec = dict(SPEC)
    if "g" not in panel.columns:
        spec = {**{k: v for k, v in SPEC.items() if k != "first_treated"}, "treated": "d"}
    with pytest.raises(ValueError, match=message):
        fit_did_frame(panel, spec, "d", "firm", "year", seed=1)


def test_placebo_and_matching_rows_are_seeded_and_complete(tmp_path):
    panel = _panel()
    spec = {**SPEC, "placebo": {"reps": 50}, "matching": {"covariates": ["x1"], "by": "pooled"}}
    path = tmp_path / "p.parquet"
    panel.to_parquet(path)
    a = run_model(path, spec, "d", "firm", "year", tmp_path / "a.csv", seed=5)
    run_model(path, spec, "d", "firm", "year", tmp_path / "b.csv", seed=5)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (a["equation"] == "placebo_draw").sum() == 100
    assert set(a.loc[a["equation"] == "placebo", "term"]) == {"placebo_entities", "placebo_timing"}
    assert {"psm", "ebal"} <= set(a["equation"])
    balance = a[a["equation"] == "balance"]
    assert set(balance["stage"]) == {"before", "after"} and set(balance["method"]) == {"psm", "ebal"}
