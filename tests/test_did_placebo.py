"""Placebo tests: the fast Frisch-Waugh-Lovell path against refitting every draw, and the draws' properties.

References: `fit_panel` (the project's reghdfe-equivalent engine, itself pinned to linearmodels and LSDV) refit on
each placebo assignment the test builds from the same permutations, and pyfixest `feols` on a few draws. The
real-data behaviour (placebo distribution centred at 0, the real estimate far in the tail) is checked on a
simulated staggered panel with a known effect.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from srdi.models.did.event_study import twfe_static
from srdi.models.did.placebo import (
    extreme_shares,
    permute_cohorts,
    placebo_did,
    placebo_regressor,
    within_group_permutations,
)
from srdi.models.panel import fit_panel

YEARS = np.arange(2011, 2024)
COHORTS = (0, 0, 0, 2016, 2018, 2019, 2021, 2023)


def simulate(seed: int, n: int = 120, effect: float = 0.5, unbalanced: bool = False) -> pd.DataFrame:
    """Staggered panel: unit and year effects, a control x, a continuous regressor c with effect 0.3 (lagged)."""
    rng = np.random.default_rng(seed)
    g = rng.choice(COHORTS, n)
    unit = np.repeat(np.arange(n), YEARS.size)
    t = np.tile(YEARS, n)
    gg = g[unit]
    d = (gg > 0) & (t >= gg)
    x = rng.normal(size=unit.size) + 0.05 * (t - 2011)
    c = rng.normal(size=n)[unit] + rng.normal(size=unit.size)
    c_lag = np.where(t > YEARS[0], np.r_[np.nan, c[:-1]], np.nan)
    y = (rng.normal(size=n)[unit] + 0.1 * (t - 2011) ** 1.5 + effect * d + 0.4 * x
         + 0.3 * np.nan_to_num(c_lag) + rng.normal(size=unit.size))
    df = pd.DataFrame({"firm": unit + 1000, "year": t, "y": y, "g": gg, "x": x, "c": c})
    if unbalanced:
        df = df.sample(frac=0.8, random_state=seed).sort_values(["firm", "year"]).reset_index(drop=True)
        lone = df["firm"] == df["firm"].iloc[0]
        df = pd.concat([df[~lone], df[lone].head(1)], ignore_index=True)  # a singleton entity
    return df


def refit_att(df: pd.DataFrame, g_col: np.ndarray) -> float:
    """Static TWFE coefficient by a full fit_panel refit on the placebo cohorts `g_col` (one per row)."""
    frame = df.assign(D=((g_col > 0) & (df["year"].to_numpy() >= g_col)).astype(float))
    spec = {"outcome": "y", "regressors": ["D"], "controls": ["x"], "fe": ["entity", "time"], "lag": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(fit_panel(frame, spec, "firm", "year").params["D"])


# ---------------------------------------------------------------------------------------------
# draws


def test_extreme_shares_hand_example() -> None:
    draws = np.array([-3.0, -1.0, 0.0, 1.0, 2.0, 3.0, np.nan])
    two, upper, lower, n = extreme_shares(2.0, draws)
    assert (two, upper, lower, n) == (3 / 6, 2 / 6, 5 / 6, 6)  # |d|>=2: -3,2,3; d>=2: 2,3; d<=2: five


def test_permute_cohorts_keeps_cohort_sizes_and_years() -> None:
    g = np.array([0, 0, 0, 0, 2019, 2019, 2020, 2021, 2021, 2021, 2023])
    ent = permute_cohorts(g, "entities", 500, seed=4)
    assert ent.shape == (500, g.size)
    assert (np.sort(ent, axis=1) == np.sort(g)).all()  # every cohort (and the never treated) keeps its size
    assert len({tuple(r) for r in ent}) > 400  # the rows are genuinely different assignments
    assert (ent[:, g == 0] != 0).any()  # never-treated entities do get treated in some draws

    tim = permute_cohorts(g, "timing", 500, seed=4)
    assert (tim[:, g == 0] == 0).all()  # the treated set is kept
    assert (np.sort(tim[:, g > 0], axis=1) == np.sort(g[g > 0])).all()  # the treatment years with multiplicity
    assert len({tuple(r) for r in tim}) > 100
    assert (permute_cohorts(g, "timing", 50, seed=4) == tim[:50]).all()  # same seed, same draws
    assert not (permute_cohorts(g, "timing", 50, seed=5) == tim[:50]).all()
    # draw i is a permutation by its own stream, numpy's SeedSequence(seed, spawn_key=(i,)) (the stated convention,
    # written out here with numpy alone), so any subset of draws can be rebuilt without the others
    for i in (0, 7, 499):
        rng = np.random.default_rng(np.random.SeedSequence(4, spawn_key=(i,)))
        assert (ent[i] == rng.permutation(g)).all()
        rng = np.random.default_rng(np.random.SeedSequence(4, spawn_key=(i,)))
        assert (tim[i, g > 0] == rng.permutation(g[g > 0])).all()
    assert (permute_cohorts(g, "entities", 500, seed=4, indices=np.array([499, 7])) == ent[[499, 7]]).all()
    with pytest.raises(ValueError, match="design"):
        permute_cohorts(g, "years", 5, 1)


def test_within_group_permutations_stay_in_group() -> None:
    groups = np.array([2013, 2012, 2013, 2012, 2014, 2013, 2012, 2013])
    perms = list(within_group_permutations(groups, 200, seed=9))
    for p in perms:
        assert sorted(p) == list(range(groups.size))
        assert (groups[p] == groups).all()
    assert len({tuple(p) for p in perms}) > 20
    again = list(within_group_permutations(groups, 200, seed=9))
    assert all((a == b).all() for a, b in zip(perms, again, strict=True))


# ---------------------------------------------------------------------------------------------
# fast path == refitting


@pytest.mark.parametrize("design", ["entities", "timing"])
@pytest.mark.parametrize("unbalanced", [False, True])
def test_did_fast_path_equals_refit(design: str, unbalanced: bool) -> None:
    df = simulate(1, unbalanced=unbalanced)
    res = placebo_did(df, "firm", "year", "y", "g", controls=["x"], design=design, reps=40, seed=3)
    assert res.estimate == pytest.approx(twfe_static(df, "firm", "year", "y", "g", ["x"]).estimate("ATT"),
                                         abs=1e-10)
    ents = np.sort(df["firm"].unique())
    if unbalanced:  # the singleton entity is not in the estimation sample, so not among the permuted entities
        ents = ents[df.groupby("firm").size().loc[ents].to_numpy() > 1]
    assert (res.info["entities"] == ents).all()
    assignments = permute_cohorts(df.groupby("firm")["g"].first().loc[ents].to_numpy(), design, 40, 3)
    sub = df[df["firm"].isin(ents)].reset_index(drop=True)
    pos = np.searchsorted(ents, sub["firm"].to_numpy())
    slow = np.array([refit_att(sub, assignments[b, pos]) for b in range(40)])
    np.testing.assert_allclose(res.draws, slow, rtol=0, atol=1e-10)
    assert res.table.loc[0, "n_draws"] == 40


def test_did_draws_against_pyfixest() -> None:
    pf = pytest.importorskip("pyfixest")
    df = simulate(2)
    res = placebo_did(df, "firm", "year", "y", "g", controls=["x"], reps=5, seed=11)
    pos = np.searchsorted(res.info["entities"], df["firm"].to_numpy())
    assignments = permute_cohorts(df.groupby("firm")["g"].first().loc[res.info["entities"]].to_numpy(),
                                  "entities", 5, 11)
    for b in range(5):
        g = assignments[b, pos]
        frame = df.assign(D=((g > 0) & (df["year"] >= g)).astype(float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = pf.feols("y ~ D + x | firm + year", frame).coef()["D"]
        assert res.draws[b] == pytest.approx(ref, abs=1e-10)


def test_custom_estimator_gets_the_same_placebo_cohorts() -> None:
    df = simulate(3)
    fast = placebo_did(df, "firm", "year", "y", "g", controls=["x"], design="timing", reps=15, seed=8)
    slow = placebo_did(df, "firm", "year", "y", "g", design="timing", reps=15, seed=8,
                       estimator=lambda d: refit_att(d, d["g"].to_numpy()))
    np.testing.assert_allclose(slow.draws, fast.draws, rtol=0, atol=1e-10)
    assert slow.estimate == pytest.approx(fast.estimate, abs=1e-10)
    assert slow.table.loc[0, "p_two_sided"] == fast.table.loc[0, "p_two_sided"]


def test_same_seed_identical_results() -> None:
    df = simulate(4)
    a = placebo_did(df, "firm", "year", "y", "g", controls=["x"], reps=300, seed=21)
    b = placebo_did(df, "firm", "year", "y", "g", controls=["x"], reps=300, seed=21)
    c = placebo_did(df, "firm", "year", "y", "g", controls=["x"], reps=300, seed=22)
    assert (a.draws == b.draws).all()
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not np.allclose(a.draws, c.draws)
    ra = placebo_regressor(df, {"outcome": "y", "regressors": ["c"], "controls": ["x"]}, "firm", "year",
                           reps=300, seed=5)
    rb = placebo_regressor(df, {"outcome": "y", "regressors": ["c"], "controls": ["x"]}, "firm", "year",
                           reps=300, seed=5)
    assert (ra.draws == rb.draws).all()


# ---------------------------------------------------------------------------------------------
# behaviour on data with a real effect


def test_entity_placebo_centred_at_zero_real_effect_far_out() -> None:
    df = simulate(5, n=600, effect=0.5)
    res = placebo_did(df, "firm", "year", "y", "g", controls=["x"], design="entities", reps=1000, seed=1)
    row = res.table.iloc[0]
    assert 0.4 < res.estimate < 0.6
    assert abs(row["draws_mean"]) < 4 * row["draws_sd"] / np.sqrt(1000)  # centred at 0 up to simulation noise
    assert row["draws_sd"] < 0.1 * res.estimate
    assert res.estimate > res.draws.max()
    assert (row["p_two_sided"], row["p_upper"], row["p_lower"]) == (0.0, 0.0, 1.0)
    assert res.draws_frame.shape == (1000, 4)


def test_entity_placebo_without_effect_is_not_extreme() -> None:
    df = simulate(6, n=600, effect=0.0)
    res = placebo_did(df, "firm", "year", "y", "g", controls=["x"], design="entities", reps=1000, seed=1)
    row = res.table.iloc[0]
    assert row["draws_q025"] < res.estimate < row["draws_q975"]
    assert row["p_two_sided"] > 0.05
    assert row["p_upper"] + row["p_lower"] == pytest.approx(1.0, abs=1e-3)  # no draw ties with b (continuous)


def test_timing_placebo_keeps_treated_set() -> None:
    """Permuting timing among treated firms keeps part of the effect (treated firms stay treated), so its draws
    centre between 0 and b, and the real dynamic timing still lies outside them."""
    df = simulate(7, n=600, effect=0.5)
    res = placebo_did(df, "firm", "year", "y", "g", controls=["x"], design="timing", reps=500, seed=2)
    row = res.table.iloc[0]
    assert 0.0 < row["draws_mean"] < res.estimate
    assert row["p_two_sided"] < 0.01


def null_panel(seed: int, n: int = 60) -> pd.DataFrame:
    """No effect, cohorts drawn at random: the real assignment is exchangeable with the placebo ones."""
    rng = np.random.default_rng(seed)
    years = np.arange(2011, 2019)
    g = rng.choice([0, 0, 2014, 2016], n)
    unit = np.repeat(np.arange(n), years.size)
    t = np.tile(years, n)
    y = rng.normal(size=n)[unit] + 0.2 * (t - 2011) + rng.normal(size=unit.size)
    return pd.DataFrame({"firm": unit, "year": t, "y": y, "g": g[unit]})


@pytest.mark.parametrize("design", ["entities", "timing"])
def test_placebo_p_is_uniform_under_the_null(design: str) -> None:
    """A randomisation p over independent draws is (discretely) uniform when the real assignment is one more
    random draw: 150 simulated null panels, 99 draws each. Fails if draws were correlated across indices."""
    from scipy import stats

    m = 150
    ps = np.array([placebo_did(null_panel(s), "firm", "year", "y", "g", design=design, reps=99, seed=s)
                   .table.loc[0, "p_two_sided"] for s in range(m)])
    assert abs(ps.mean() - 0.5) < 4 * np.sqrt(1 / 12 / m)
    assert abs((ps <= 0.1).mean() - 0.1) < 4 * np.sqrt(0.1 * 0.9 / m)
    assert stats.kstest(ps, "uniform").pvalue > 0.001


# ---------------------------------------------------------------------------------------------
# continuous regressor


@pytest.mark.parametrize("unbalanced", [False, True])
def test_regressor_fast_path_equals_refit(unbalanced: bool) -> None:
    df = simulate(8, unbalanced=unbalanced)
    spec = {"outcome": "y", "regressors": ["c"], "controls": ["x"], "fe": ["entity", "time"]}
    res = placebo_regressor(df, spec, "firm", "year", reps=30, seed=6)
    real = fit_panel(df, spec, "firm", "year")
    assert res.estimate == pytest.approx(real.params["c"], abs=1e-10)
    assert 0.2 < res.estimate < 0.4
    # the lag as fit_panel takes it: the value one calendar year earlier (a gap gives missing)
    prev = df.assign(year=df["year"] + 1)[["firm", "year", "c"]].rename(columns={"c": "c_lag"})
    frame = df.merge(prev, on=["firm", "year"], how="left")
    frame = frame[frame[["y", "x", "c_lag"]].notna().all(axis=1)]
    frame = frame[frame.groupby("firm")["year"].transform("size") > 1].reset_index(drop=True)
    assert len(frame) == res.info["nobs"]
    slow_spec = {"outcome": "y", "regressors": ["c_lag"], "controls": ["x"], "lag": []}
    perms = within_group_permutations(frame["year"].to_numpy(), 30, 6)
    slow = []
    for p in perms:
        assert (frame["year"].to_numpy()[p] == frame["year"].to_numpy()).all()
        permuted = frame.assign(c_lag=frame["c_lag"].to_numpy()[p])
        slow.append(fit_panel(permuted, slow_spec, "firm", "year").params["c_lag"])
    np.testing.assert_allclose(res.draws, slow, rtol=0, atol=1e-10)


def test_regressor_placebo_centred_and_real_far_out() -> None:
    df = simulate(9, n=400)
    res = placebo_regressor(df, {"outcome": "y", "regressors": ["c"], "controls": ["x"]}, "firm", "year",
                            reps=1000, seed=3)
    row = res.table.iloc[0]
    assert abs(row["draws_mean"]) < 4 * row["draws_sd"] / np.sqrt(1000)
    assert row["p_two_sided"] == 0.0 and res.estimate > res.draws.max()


def test_bad_inputs() -> None:
    df = simulate(10)
    with pytest.raises(ValueError, match="design"):
        placebo_did(df, "firm", "year", "y", "g", design="cohorts")
    with pytest.raises(ValueError, match="reps"):
        placebo_did(df, "firm", "year", "y", "g", reps=0)
    with pytest.raises(ValueError, match="not a regressor"):
        placebo_regressor(df, {"outcome": "y", "regressors": ["c"]}, "firm", "year", regressor="x")
    bad = df.assign(g=np.where(df["year"] == 2015, 2019, df["g"]))
    with pytest.raises(ValueError, match="not constant"):
        placebo_did(bad, "firm", "year", "y", "g", estimator=lambda d: 0.0)
