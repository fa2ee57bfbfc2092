"""Weighted static TWFE (the DID re-run on entropy-balanced or PSM weights) against pyfixest and duplication."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from srdi.models.did.balancing import entropy_balance_panel
from srdi.models.did.event_study import twfe_static
from srdi.models.did.matching import psm_match
from srdi.models.did.weighted import weighted_twfe_static

pf = pytest.importorskip("pyfixest")

YEARS = np.arange(2014, 2024)


def simulate(seed: int, n: int = 700, unbalanced: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    prob = 1 / (1 + np.exp(-(-1.5 + 0.8 * size)))
    g = np.where(rng.random(n) < prob, rng.choice([2019, 2020, 2021, 2022], n), 0)
    unit = np.repeat(np.arange(n), YEARS.size)
    t = np.tile(YEARS, n)
    df = pd.DataFrame({"firm": unit + 1, "year": t, "g": g[unit],
                       "size": size[unit] + 0.3 * rng.normal(size=unit.size)})
    d = (df["g"] > 0) & (df["year"] >= df["g"])
    df["y"] = df["size"] + rng.normal(size=n)[unit] + (0.3 + 0.2 * size[unit]) * d + rng.normal(size=len(df))
    df["prov"] = df["firm"] % 23
    if unbalanced:
        df = df.sample(frac=0.85, random_state=seed).sort_values(["firm", "year"]).reset_index(drop=True)
    return df


def reference(frame: pd.DataFrame, weight: str, cluster: str) -> tuple[float, float]:
    frame = frame.assign(D=((frame["g"] > 0) & (frame["year"] >= frame["g"])).astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols("y ~ D + size | firm + year", frame, weights=weight, vcov={"CRV1": cluster})
    return float(fit.coef()["D"]), float(fit.se()["D"])


@pytest.mark.parametrize("cluster", [None, "prov"])
@pytest.mark.parametrize("source", ["ebal", "psm"])
@pytest.mark.parametrize("unbalanced", [False, True])
def test_weighted_twfe_matches_pyfixest(cluster: str | None, source: str, unbalanced: bool) -> None:
    df = simulate(1, unbalanced=unbalanced)
    if source == "ebal":
        sample = entropy_balance_panel(df, "firm", "year", "g", ["size"]).sample(df, "firm", weight="w")
    else:
        sample = psm_match(df, "firm", "year", "g", ["size"], k=3).sample(df, "firm", weight="w")
    assert sample["w"].nunique() > 2  # genuinely unequal weights
    res = weighted_twfe_static(sample, "firm", "year", "y", "g", "w", controls=["size"], cluster=cluster)
    est, se = reference(sample, "w", cluster or "firm")
    row = res.estimates.iloc[0]
    assert row["estimate"] == pytest.approx(est, abs=1e-10)
    assert row["std_error"] == pytest.approx(se, rel=1e-8)
    assert res.n_clusters == sample[cluster or "firm"].nunique()


def test_unit_weights_equal_twfe_static() -> None:
    df = simulate(2, unbalanced=True).assign(one=1.0)
    res = weighted_twfe_static(df, "firm", "year", "y", "g", "one", controls=["size"], cluster="prov")
    ref = twfe_static(df, "firm", "year", "y", "g", controls=["size"], cluster="prov")
    pd.testing.assert_frame_equal(res.estimates, ref.estimates, rtol=1e-10)
    assert res.nobs == ref.nobs


def test_integer_weights_equal_duplicated_entities() -> None:
    """Analytic weights 1 and 2 give the point estimate of the panel with the weight-2 firms entered twice."""
    df = simulate(3)
    w = df["firm"].map(lambda f: 2.0 if f % 3 == 0 else 1.0)
    twice = df[w == 2].assign(firm=lambda x: x["firm"] + 100_000)
    res = weighted_twfe_static(df.assign(w=w), "firm", "year", "y", "g", "w", controls=["size"])
    dup = twfe_static(pd.concat([df, twice], ignore_index=True), "firm", "year", "y", "g", controls=["size"])
    assert res.estimate("ATT") == pytest.approx(dup.estimate("ATT"), abs=1e-10)


def test_zero_weights_drop_entities_and_bad_weights() -> None:
    df = simulate(4)
    w = np.where(df["firm"] % 4 == 0, 0.0, 1.0 + (df["firm"] % 5))
    res = weighted_twfe_static(df.assign(w=w), "firm", "year", "y", "g", "w", controls=["size"])
    est, se = reference(df.assign(w=w)[w > 0], "w", "firm")
    assert res.estimate("ATT") == pytest.approx(est, abs=1e-10)
    assert res.estimates.iloc[0]["std_error"] == pytest.approx(se, rel=1e-8)
    assert res.info["n_zero_weight"] == int((w == 0).sum())
    with pytest.raises(ValueError, match="constant within entity"):
        weighted_twfe_static(df.assign(w=np.arange(len(df), dtype=float) + 1), "firm", "year", "y", "g", "w")
    with pytest.raises(ValueError, match=">= 0"):
        weighted_twfe_static(df.assign(w=-1.0), "firm", "year", "y", "g", "w")
