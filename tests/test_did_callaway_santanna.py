"""Callaway & Sant'Anna (2021) engine against the authors' published output and an independent implementation.

References:
* R `did` 2.x README / "Getting started" vignette, mpdta (lemp, first.treat, countyreal), no covariates: ATT(g,t),
  the Wald pre-test p-value (analytic covariance), aggte dynamic and group point estimates, at printed precision.
  (R's printed SEs there are bootstrap SEs, random, so not compared.)
* Stata `csdid` (Rios-Avila, Sant'Anna & Callaway), `csdid lemp lpop, ivar(countyreal) time(year)
  gvar(first_treat) method(dripw)` as printed in its release notes (csdid 1.0): drdid_panel = R did's default
  "dr", analytic SEs, pre-trend chi2 and the four aggregations, at printed precision (7 decimals).
* moderndid 0.2.0 (a Python port of R did, independent of this code) on simulated staggered panels: every
  ATT(g,t), analytic SE, aggregation and the pre-test statistic at 1e-6 (same conventions: IF-based SE without
  small-sample factor, pg weights with the weight influence term).
The mpdta data come from moderndid's bundled copy (no download at test time).
"""

import logging
import time

import numpy as np
import pandas as pd
import pytest

from srdi.models.did.callaway_santanna import callaway_santanna

md = pytest.importorskip("moderndid")
pl = pytest.importorskip("polars")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return md.load_mpdta().to_pandas()


def _rows(res, aggregation: str) -> pd.DataFrame:
    return res.table[res.table["aggregation"] == aggregation].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# R did's published output (README / vignette), no covariates

R_ATT_GT = [  # group, time, ATT(g,t) as printed by summary(att_gt(...)) in R did's README
    (2004, 2004, -0.0105), (2004, 2005, -0.0704), (2004, 2006, -0.1373), (2004, 2007, -0.1008),
    (2006, 2004, 0.0065), (2006, 2005, -0.0028), (2006, 2006, -0.0046), (2006, 2007, -0.0412),
    (2007, 2004, 0.0305), (2007, 2005, -0.0027), (2007, 2006, -0.0311), (2007, 2007, -0.0261),
]
R_DYNAMIC = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008}


def test_mpdta_unconditional_matches_r_did_readme(mpdta):
    res = callaway_santanna(mpdta, "countyreal", "year", "lemp", "first.treat")
    gt = _rows(res, "gt")
    assert list(zip(gt["group"], gt["time"], strict=True)) == [(g, t) for g, t, _ in R_ATT_GT]
    np.testing.assert_allclose(gt["estimate"], [a for _, _, a in R_ATT_GT], atol=0.5e-4)
    assert round(res.pretrend_gt.p_value, 5) == 0.16812  # "P-value for pre-test of parallel trends assumption"
    assert res.pretrend_gt.df == 5
    dyn = _rows(res, "dynamic")
    by_e = dict(zip(dyn["term"], dyn["estimate"], strict=True))
    for e, value in R_DYNAMIC.items():
        assert by_e[f"e={e}"] == pytest.approx(value, abs=0.5e-4)
    assert by_e["ATT(event)"] == pytest.approx(-0.0772, abs=0.5e-4)
    grp = dict(zip(_rows(res, "group")["term"], _rows(res, "group")["estimate"], strict=True))
    assert grp["ATT(group)"] == pytest.approx(-0.031, abs=0.5e-3)
    for g, value in {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}.items():
        assert grp[f"g={g}"] == pytest.approx(value, abs=0.5e-4)
    assert res.nobs == 2500 and res.n_entities == 500 and res.n_clusters == 500


# Stata csdid 1.0 release notes, csdid lemp lpop, ..., method(dripw): coefficient, std. err.
CSDID_GT = [
    (2004, 2004, -.0145297, .0221292), (2004, 2005, -.0764219, .0286713), (2004, 2006, -.1404483, .0353782),
    (2004, 2007, -.1069039, .0328865), (2006, 2004, -.0004721, .0222234), (2006, 2005, -.0062025, .0184957),
    (2006, 2006, .0009606, .0194002), (2006, 2007, -.0412939, .0197211), (2007, 2004, .0267278, .0140657),
    (2007, 2005, -.0045766, .0157178), (2007, 2006, -.0284475, .0181809), (2007, 2007, -.0287814, .016239),
]
CSDID_AGG = {
    "ATT": (-.0417518, .0115028),
    "t=2004": (-.0145297, .0221292), "t=2005": (-.0764219, .0286713), "t=2006": (-.0461757, .0212107),
    "t=2007": (-.0395822, .0129299),
    "g=2004": (-.0845759, .0245649), "g=2006": (-.0201666, .0174696), "g=2007": (-.0287814, .016239),
    "e=-3": (.0267278, .0140657), "e=-2": (-.0036165, .0129283), "e=-1": (-.023244, .0144851),
    "e=0": (-.0210604, .0114942), "e=1": (-.0530032, .0163465), "e=2": (-.1404483, .0353782),
    "e=3": (-.1069039, .0328865),
}


def test_mpdta_lpop_doubly_robust_matches_csdid_output(mpdta):
    res = callaway_santanna(mpdta, "countyreal", "year", "lemp", "first.treat", ["lpop"], est_method="dr")
    gt = _rows(res, "gt")
    np.testing.assert_allclose(gt["estimate"], [r[2] for r in CSDID_GT], atol=0.5e-7)
    np.testing.assert_allclose(gt["std_error"], [r[3] for r in CSDID_GT], atol=0.5e-7)
    table = res.table.set_index("term")
    for term, (est, se) in CSDID_AGG.items():
        assert table.loc[term, "estimate"] == pytest.approx(est, abs=0.5e-7), term
        assert table.loc[term, "std_error"] == pytest.approx(se, abs=0.5e-7), term
    # estat pretrend: chi2(5) = 6.84, Prob > chi2 = 0.2327
    assert res.pretrend_gt.df == 5
    assert round(res.pretrend_gt.statistic, 2) == 6.84
    assert round(res.pretrend_gt.p_value, 4) == 0.2327
    # 95% CI printed for g2004 t_2003_2004: [-.057902, .0288427] (normal critical value)
    assert gt.loc[0, "conf_low"] == pytest.approx(-.057902, abs=0.5e-6)
    assert gt.loc[0, "conf_high"] == pytest.approx(.0288427, abs=0.5e-6)
    assert res.settings["est_method"] == "dr"


# ---------------------------------------------------------------------------------------------
# moderndid on simulated staggered panels


def simulate(seed: int, n: int = 400) -> pd.DataFrame:
    """Firms 2011-2017, staggered adoption (cohorts 2013, 2014, 2016, 2017, never), selection on x2, effects
    growing with exposure, covariate-specific trends, so that unconditional, reg and dr estimates all differ."""
    rng = np.random.default_rng(seed)
    years = np.arange(2011, 2018)
    x2 = rng.normal(size=n)
    p_treat = 1 / (1 + np.exp(-(0.3 + 0.8 * x2)))
    g = np.where(rng.random(n) < p_treat, rng.choice([2013, 2014, 2016, 2017], size=n), 0)
    t_count = years.size
    df = pd.DataFrame({"firm": np.repeat(np.arange(1000, 1000 + n), t_count), "year": np.tile(years, n),
                       "g": np.repeat(g, t_count), "x2": np.repeat(x2, t_count)})
    trend = df["year"] - years[0]
    df["x1"] = rng.normal(size=n * t_count) + 0.3 * trend * df["x2"]
    effect = np.where((df["g"] > 0) & (df["year"] >= df["g"]), 1 + 0.3 * (df["year"] - df["g"]), 0.0)
    df["y"] = (np.repeat(rng.normal(size=n), t_count) + 0.1 * trend + 0.5 * df["x1"] + 0.2 * df["x2"] * trend
               + effect + rng.normal(size=n * t_count))
    df["region"] = np.repeat(rng.integers(0, 30, size=n), t_count)
    return df


def _moderndid(df, controls, method, control_group, base_period, **agg_kwargs):
    xformla = "~" + "+".join(controls) if controls else None
    m = md.att_gt(pl.from_pandas(df), yname="y", tname="year", idname="firm", gname="g", xformla=xformla,
                  est_method=method, control_group=control_group.replace("_", ""), base_period=base_period,
                  boot=False, cband=False)
    aggs = {ty: md.aggte(m, type=ty, **(agg_kwargs if ty == "dynamic" else {}))
            for ty in ("simple", "dynamic", "group", "calendar")}
    return m, aggs


SETTINGS = [  # (seed, controls, est_method, control_group, base_period)
    (1, [], "dr", "never_treated", "varying"),
    (2, [], "dr", "not_yet_treated", "universal"),
    (3, ["x1", "x2"], "reg", "never_treated", "varying"),
    (4, ["x1", "x2"], "reg", "not_yet_treated", "varying"),
    (5, ["x1", "x2"], "dr", "never_treated", "universal"),
    (6, ["x1", "x2"], "dr", "not_yet_treated", "varying"),
    (7, ["x1", "x2"], "dr", "not_yet_treated", "universal"),
]


@pytest.mark.parametrize(("seed", "controls", "method", "control_group", "base_period"), SETTINGS)
def test_matches_moderndid_on_simulated_panels(seed, controls, method, control_group, base_period):
    df = simulate(seed)
    res = callaway_santanna(df, "firm", "year", "y", "g", controls, est_method=method, control_group=control_group,
                            base_period=base_period)
    m, aggs = _moderndid(df, controls, method, control_group, base_period)
    gt = _rows(res, "gt")
    np.testing.assert_array_equal(gt["group"], m.groups)
    np.testing.assert_array_equal(gt["time"], m.times)
    np.testing.assert_allclose(gt["estimate"], m.att_gt, rtol=1e-6, atol=1e-9)
    ref_se = np.where(np.asarray(m.se_gt) > 0, m.se_gt, np.nan)  # universal reference cells: 0 / NaN there
    np.testing.assert_allclose(gt["std_error"], ref_se, rtol=1e-6, atol=1e-9)
    assert res.pretrend_gt.statistic == pytest.approx(m.wald_stat, rel=1e-6)

    table = res.table.set_index("term")
    assert table.loc["ATT", "estimate"] == pytest.approx(aggs["simple"].overall_att, rel=1e-6)
    assert table.loc["ATT", "std_error"] == pytest.approx(aggs["simple"].overall_se, rel=1e-6)
    for ty, prefix, overall in (("dynamic", "e", "ATT(event)"), ("group", "g", "ATT(group)"),
                                ("calendar", "t", "ATT(calendar)")):
        agg = aggs[ty]
        terms = [f"{prefix}={int(v)}" for v in agg.event_times]
        assert list(_rows(res, ty)["term"].iloc[:-1]) == terms
        np.testing.assert_allclose(table.loc[terms, "estimate"], agg.att_by_event, rtol=1e-6, atol=1e-9)
        se_ref = np.where(np.asarray(agg.se_by_event) > 1e-12, agg.se_by_event, np.nan)
        np.testing.assert_allclose(table.loc[terms, "std_error"], se_ref, rtol=1e-6, atol=1e-9)
        assert table.loc[overall, "estimate"] == pytest.approx(agg.overall_att, rel=1e-6)
        assert table.loc[overall, "std_error"] == pytest.approx(agg.overall_se, rel=1e-6)


@pytest.mark.parametrize(("control_group", "base_period"), [("never_treated", "universal"),
                                                           ("not_yet_treated", "varying")])
@pytest.mark.filterwarnings("ignore:anticipation = 1")
def test_anticipation_matches_moderndid(control_group, base_period):
    """One year of anticipation: base period g - 2, not-yet-treated means G > t + 1."""
    df = simulate(21)
    res = callaway_santanna(df, "firm", "year", "y", "g", ["x1", "x2"], control_group=control_group,
                            base_period=base_period, anticipation=1)
    m = md.att_gt(pl.from_pandas(df), yname="y", tname="year", idname="firm", gname="g", xformla="~x1+x2",
                  control_group=control_group.replace("_", ""), base_period=base_period, anticipation=1,
                  boot=False, cband=False)
    gt = _rows(res, "gt")
    np.testing.assert_array_equal(gt["time"], m.times)
    np.testing.assert_allclose(gt["estimate"], m.att_gt, rtol=1e-6, atol=1e-9)
    dyn = md.aggte(m, type="dynamic")
    np.testing.assert_allclose(_rows(res, "dynamic")["estimate"].iloc[:-1], dyn.att_by_event, rtol=1e-6, atol=1e-9)
    if base_period == "universal":  # the reference is e = -2, reported as 0 without SE
        ref = _rows(res, "dynamic").set_index("term").loc["e=-2"]
        assert ref["estimate"] == 0 and np.isnan(ref["std_error"])


def test_event_window_and_balance_match_moderndid():
    df = simulate(8)
    kw = {"min_e": -2, "max_e": 2, "balance_e": 1}
    res = callaway_santanna(df, "firm", "year", "y", "g", ["x1", "x2"], **kw)
    _, aggs = _moderndid(df, ["x1", "x2"], "dr", "never_treated", "varying", **kw)
    dyn = _rows(res, "dynamic")
    agg = aggs["dynamic"]
    assert list(dyn["event_time"].iloc[:-1]) == [int(e) for e in agg.event_times] == [-2, -1, 0, 1]
    np.testing.assert_allclose(dyn["estimate"].iloc[:-1], agg.att_by_event, rtol=1e-6)
    np.testing.assert_allclose(dyn["std_error"].iloc[:-1], agg.se_by_event, rtol=1e-6)
    assert dyn["estimate"].iloc[-1] == pytest.approx(agg.overall_att, rel=1e-6)


def test_cluster_se_is_the_cluster_sum_of_moderndids_influence_function():
    """SE clustered on a column constant within firm = sqrt(sum_g (sum_{i in g} psi_i)^2) / n (R did >= 2.5, no
    small-sample factor), computed here from moderndid's own influence functions."""
    df = simulate(9)
    res = callaway_santanna(df, "firm", "year", "y", "g", ["x1"], cluster="region")
    m = md.att_gt(pl.from_pandas(df), yname="y", tname="year", idname="firm", gname="g", xformla="~x1",
                  boot=False, cband=False)
    psi = np.asarray(m.influence_func)
    firms = df.groupby("firm")[["g", "region"]].first()
    # moderndid orders its rows by cohort (never-treated last), then firm
    firms = firms.assign(order=firms["g"].replace(0, 10_000)).sort_values(["order", "firm"])
    mine = res.influence[pd.Index(res.entities).get_indexer(firms.index)][:, : psi.shape[1]]
    np.testing.assert_allclose(mine, psi, rtol=1e-6, atol=1e-8)  # unit-level influence functions agree
    sums = pd.DataFrame(psi).groupby(firms["region"].to_numpy()).sum().to_numpy()
    expected = np.sqrt((sums**2).sum(axis=0)) / psi.shape[0]
    np.testing.assert_allclose(_rows(res, "gt")["std_error"], expected, rtol=1e-6)
    assert res.n_clusters == df["region"].nunique()
    unclustered = callaway_santanna(df, "firm", "year", "y", "g", ["x1"])
    assert not np.allclose(_rows(unclustered, "gt")["std_error"], expected)


# ---------------------------------------------------------------------------------------------
# data handling and errors


def test_unbalanced_panel_is_balanced_with_a_logged_count(caplog):
    df = simulate(10, n=200)
    gappy = df.drop(index=df.index[[3, 50, 51, 700]])  # three firms lose a year
    with caplog.at_level(logging.WARNING, logger="srdi.models.did.callaway_santanna"):
        res = callaway_santanna(gappy, "firm", "year", "y", "g")
    assert "3 entities are not observed in all 7 years" in caplog.text
    assert res.dropped["entities_unbalanced"] == 3 and res.n_entities == 197
    firms = gappy["firm"].value_counts()
    balanced = gappy[gappy["firm"].isin(firms.index[firms == 7])]
    ref = callaway_santanna(balanced, "firm", "year", "y", "g")
    pd.testing.assert_frame_equal(res.table, ref.table)


def test_missing_outcome_rows_dropped_then_balanced():
    df = simulate(11, n=150)
    df.loc[df.index[10], "y"] = np.nan
    res = callaway_santanna(df, "firm", "year", "y", "g")
    assert res.dropped["rows_missing"] == 1 and res.dropped["entities_unbalanced"] == 1


def test_errors_name_the_problem():
    df = simulate(12, n=120)
    bad = df.copy()
    bad.loc[bad.index[5], "g"] = 2014 if bad.loc[bad.index[5], "g"] != 2014 else 2013
    with pytest.raises(ValueError, match="not constant within entity"):
        callaway_santanna(bad, "firm", "year", "y", "g")
    bad = df.copy()
    bad.loc[bad["g"] == 2016, "g"] = 2030
    with pytest.raises(ValueError, match="outside the panel's years 2011-2017"):
        callaway_santanna(bad, "firm", "year", "y", "g")
    treated_only = df[df["g"] > 0]
    with pytest.raises(ValueError, match="no never-treated entities"):
        callaway_santanna(treated_only, "firm", "year", "y", "g")
    one_cohort = df[df["g"] == 2014]
    with pytest.raises(ValueError, match="no never-treated entities"):
        callaway_santanna(one_cohort, "firm", "year", "y", "g")
    with pytest.raises(ValueError, match="no group-time effect has comparison units"):
        callaway_santanna(one_cohort, "firm", "year", "y", "g", control_group="not_yet_treated")
    with pytest.raises(ValueError, match="control_group"):
        callaway_santanna(df, "firm", "year", "y", "g", control_group="everyone")
    with pytest.raises(ValueError, match="seed"):
        callaway_santanna(df, "firm", "year", "y", "g", bootstrap=99)
    bad = df.copy()
    bad["region"] = bad["region"] + (bad["year"] == 2015)
    with pytest.raises(ValueError, match="varies within entity"):
        callaway_santanna(bad, "firm", "year", "y", "g", cluster="region")


@pytest.mark.filterwarnings("ignore:Not returning pre-test Wald statistic")
def test_not_yet_treated_without_never_treated_uses_later_cohorts():
    """No never-treated firms: the last cohort serves only as comparison, cells after it are not estimable
    (R did drops them, and the last cohort's own cells); the other cells match moderndid's."""
    df = simulate(13)
    df = df[df["g"] > 0]
    res = callaway_santanna(df, "firm", "year", "y", "g", control_group="not_yet_treated")
    gt = _rows(res, "gt")
    assert gt["time"].max() == 2016 and 2017 not in set(gt["group"])
    m = md.att_gt(pl.from_pandas(df), yname="y", tname="year", idname="firm", gname="g",
                  control_group="notyettreated", boot=False, cband=False)
    ref = pd.DataFrame({"group": m.groups, "time": m.times, "att": m.att_gt})
    # moderndid 0.2.0 also reports the last cohort's pre-treatment cells; R did (pre_process_did: glist <
    # latest_g) does not, and neither do we
    ref = ref[ref["group"] < 2017]
    merged = gt.merge(ref, on=["group", "time"], how="outer", validate="one_to_one")
    assert len(merged) == len(gt) == len(ref)
    np.testing.assert_allclose(merged["estimate"], merged["att"], rtol=1e-6)


def test_entities_treated_from_the_first_year_are_dropped(caplog):
    df = simulate(14, n=150)
    df.loc[df["firm"].isin([1000, 1001]), "g"] = 2011
    with caplog.at_level(logging.WARNING, logger="srdi.models.did.cohorts"):
        res = callaway_santanna(df, "firm", "year", "y", "g")
    assert res.dropped["entities_no_pre_period"] == 2 and res.n_entities == 148
    assert "2 treated entities have no pre-period" in caplog.text


# ---------------------------------------------------------------------------------------------
# bootstrap


def test_bootstrap_reproducible_and_close_to_analytic(mpdta):
    kw = {"controls": ["lpop"], "bootstrap": 999, "seed": 20240501}
    a = callaway_santanna(mpdta, "countyreal", "year", "lemp", "first.treat", **kw)
    b = callaway_santanna(mpdta, "countyreal", "year", "lemp", "first.treat", **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.critical_values == b.critical_values
    c = callaway_santanna(mpdta, "countyreal", "year", "lemp", "first.treat", **{**kw, "seed": 7})
    assert not np.allclose(a.table["std_error"], c.table["std_error"])
    analytic = callaway_santanna(mpdta, "countyreal", "year", "lemp", "first.treat", ["lpop"])
    ratio = a.table["std_error"] / analytic.table["std_error"]
    assert ratio.between(0.85, 1.15).all()  # IQR-based SE with 999 draws: within ~10% of the analytic SE
    pd.testing.assert_series_equal(a.table["estimate"], analytic.table["estimate"])
    assert np.isnan(analytic.table["band_low"]).all()
    # uniform bands: wider than pointwise CIs, critical value between the pointwise one and Bonferroni
    dyn = _rows(a, "dynamic").iloc[:-1]
    assert (dyn["band_low"] < dyn["conf_low"]).all() and (dyn["band_high"] > dyn["conf_high"]).all()
    assert 1.96 < a.critical_values["dynamic"] < 3.2  # R did's README band: about 2.5-2.7 for 7 event times
    assert np.isnan(_rows(a, "simple")["band_low"]).all()


def test_bootstrap_follows_the_stated_convention_on_moderndids_influence_function():
    """Draw b = U_b psi / n with U_b Rademacher from draw b's own stream, default_rng(SeedSequence(seed,
    spawn_key=(b,))).integers(0, 2, n) (units in entity order), SE = IQR / (q75 - q25 of N(0,1)) with type-1
    quantiles, uniform critical value = type-1 quantile of max_k |draw_k| / se_k; computed here from moderndid's
    influence functions, with the multipliers drawn here by numpy alone."""
    from scipy import stats

    df = simulate(16)
    reps, seed = 400, 99
    res = callaway_santanna(df, "firm", "year", "y", "g", ["x1", "x2"], bootstrap=reps, seed=seed)
    m = md.att_gt(pl.from_pandas(df), yname="y", tname="year", idname="firm", gname="g", xformla="~x1+x2",
                  boot=False, cband=False)
    firms = df.groupby("firm")["g"].first()
    md_order = firms.index[np.lexsort((firms.index, firms.replace(0, 10_000).to_numpy()))]
    psi = np.asarray(m.influence_func)[pd.Index(md_order).get_indexer(res.entities)]  # rows in entity order
    u = 2.0 * np.stack([np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b,))).integers(
        0, 2, size=psi.shape[0], dtype=np.int8) for b in range(reps)]) - 1.0
    draws = u @ psi / psi.shape[0]
    q25, q75 = np.quantile(draws, [0.25, 0.75], axis=0, method="inverted_cdf")
    se = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    gt = _rows(res, "gt")
    np.testing.assert_allclose(gt["std_error"], se, rtol=1e-6)
    crit = np.quantile(np.max(np.abs(draws) / se, axis=1), 0.95, method="inverted_cdf")
    assert res.critical_values["gt"] == pytest.approx(crit, rel=1e-6)
    np.testing.assert_allclose(gt["band_high"], gt["estimate"] + crit * se, rtol=1e-6)


def test_bootstrap_band_covers_simulated_truth_and_skips_reference_cells():
    df = simulate(15, n=600)
    res = callaway_santanna(df, "firm", "year", "y", "g", ["x1", "x2"], base_period="universal", bootstrap=500,
                            seed=3)
    dyn = _rows(res, "dynamic").set_index("term")
    assert np.isnan(dyn.loc["e=-1", "std_error"]) and dyn.loc["e=-1", "estimate"] == 0
    truth = {f"e={e}": 1 + 0.3 * e for e in range(0, 5)}
    for term, value in truth.items():
        assert dyn.loc[term, "band_low"] < value < dyn.loc[term, "band_high"]
    n_pre = len([t for t in dyn.index if t.startswith("e=-")])
    assert "e=-1" not in res.pretrend.terms and res.pretrend.df == n_pre - 1


def test_bootstrap_speed_3000_firms_13_years():
    rng = np.random.default_rng(0)
    n, years = 3000, np.arange(2011, 2024)
    g = rng.choice([0, 0, 2019, 2020, 2021, 2022, 2023], size=n)
    df = pd.DataFrame({"firm": np.repeat(np.arange(n), years.size), "year": np.tile(years, n),
                       "g": np.repeat(g, years.size)})
    df["y"] = rng.normal(size=len(df)) + np.where((df["g"] > 0) & (df["year"] >= df["g"]), 0.5, 0.0)
    start = time.perf_counter()
    res = callaway_santanna(df, "firm", "year", "y", "g", bootstrap=1000, seed=1)
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0, f"{elapsed:.2f} s"
    assert res.table.loc[res.table["term"] == "ATT", "estimate"].item() == pytest.approx(0.5, abs=0.1)
