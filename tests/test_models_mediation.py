"""Tests of the mediation kind (srdi.models.mediation) and its cluster bootstrap (srdi.models.bootstrap).

References: separate `fit_panel` runs on a common sample built here by hand; statsmodels LSDV (firm and
year dummies) on rows and lags built here by hand with merges on (firm, year + k), for the exact
decomposition c = c' + a b in every timing and the clustered SEs; a plain refitting loop (`fit_panel` on
the explicitly duplicated, relabelled clusters) on the same draws; statsmodels WLS with firm and year
dummies for the frequency-weight equivalence; hand-computed quantiles (stdlib NormalDist) for the CIs.
"""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from srdi.models import fit_panel
from srdi.models.bootstrap import WeightedFE, bc_ci, draw_counts, duplicate_clusters, percentile_ci
from srdi.models.kinds import fitter_for
from srdi.models.lags import lag_by_time
from srdi.models.mediation import (
    EXTRA_COLUMNS,
    bootstrap_fast,
    bootstrap_refit,
    fit_mediation,
    proportion_mediated,
    tidy_mediation,
)
from srdi.models.tidy import TIDY_COLUMNS
from srdi.models.within import codes_of

A, B, C_PRIME = 0.5, 0.4, 0.2  # true paths of `synthetic`: indirect a b = 0.2, total 0.4


def synthetic(seed: int = 3, n_firms: int = 40, years: range = range(2010, 2020)) -> pd.DataFrame:
    """Unbalanced panel (random holes) with firm and year effects; x -> m -> y with lagged x."""
    rng = np.random.default_rng(seed)
    keep = rng.random((n_firms, len(years))) > 0.15
    ff, tt = np.nonzero(keep)
    d = pd.DataFrame({"stkcd": [f"F{f:03d}" for f in ff], "year": np.asarray(years)[tt], "industry": ff % 7})
    n = len(d)
    alpha = rng.normal(size=n_firms)[ff]
    trend = 0.1 * tt
    d["x"] = rng.normal(size=n) + 0.5 * alpha + trend
    d["w1"] = rng.normal(size=n)
    d["w2"] = rng.normal(size=n) + trend
    lx = lag_by_time(d, ["x"], "stkcd", "year")["x"].fillna(0.0).to_numpy()
    d["m"] = A * lx + 0.3 * d["w1"] + alpha + trend + rng.normal(size=n)
    d["y"] = C_PRIME * lx + B * d["m"] - 0.2 * d["w2"] + alpha + 2 * trend + rng.normal(size=n)
    return d


def spec(**kw) -> dict:
    base = {"kind": "mediation", "treatment": "x", "mediator": "m", "outcome": "y", "controls": ["w1", "w2"],
            "bootstrap": {"reps": 20}}
    base.update(kw)
    return base


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    d = synthetic()
    d.loc[d.index[::17], "m"] = np.nan  # listwise deletion differs by equation unless a common sample is used
    d.loc[d.index[5::23], "y"] = np.nan
    d["in_sample"] = d.index % 29 != 0
    return d


@pytest.fixture(scope="module")
def fitted(panel):
    return fit_mediation(panel, spec(), "stkcd", "year", "med", seed=11)


# ---------------------------------------------------------------------------------------------
# the three equations


def _hand_common_sample(d: pd.DataFrame) -> pd.DataFrame:
    """Lag x on the full panel, keep in_sample rows complete in every variable, drop singletons."""
    d = d.copy()
    d["x"] = lag_by_time(d, ["x"], "stkcd", "year")["x"]
    d = d[d["in_sample"]].dropna(subset=["y", "m", "x", "w1", "w2"])
    while True:
        by_firm = d.groupby("stkcd")["year"].transform("size")
        alone = (by_firm == 1) | (d.groupby("year")["stkcd"].transform("size") == 1)
        if not alone.any():
            return d.drop(columns="in_sample").reset_index(drop=True)
        d = d[~alone]


def test_steps_equal_separate_fit_panel_on_common_sample(panel, fitted):
    common = _hand_common_sample(panel)
    eq = {"kind": "panel", "controls": ["w1", "w2"], "lag": []}
    total = fit_panel(common, {**eq, "outcome": "y", "regressors": ["x"]}, "stkcd", "year")
    med = fit_panel(common, {**eq, "outcome": "m", "regressors": ["x"]}, "stkcd", "year")
    out = fit_panel(common, {**eq, "outcome": "y", "regressors": ["x", "m"]}, "stkcd", "year")
    assert {r.nobs for r in fitted.results.values()} == {total.nobs} == {len(fitted.data.frame)}
    own = fit_panel(panel, {**eq, "outcome": "y", "regressors": ["x"], "lag": ["x"]}, "stkcd", "year")
    assert own.nobs > total.nobs  # alone, the total equation would keep rows where m is missing
    assert fitted.c == pytest.approx(total.params["x"], abs=1e-12)
    assert fitted.a == pytest.approx(med.params["x"], abs=1e-12)
    assert fitted.b == pytest.approx(out.params["m"], abs=1e-12)
    assert fitted.c_prime == pytest.approx(out.params["x"], abs=1e-12)
    for key, ref in (("total", total), ("mediator", med), ("outcome", out)):
        np.testing.assert_allclose(fitted.results[key].std_errors, ref.std_errors, rtol=1e-10)


def test_total_effect_decomposes_exactly(fitted):
    assert fitted.c == pytest.approx(fitted.c_prime + fitted.a * fitted.b, abs=1e-12)


def test_sobel_row_is_the_closed_form(fitted):
    rows = tidy_mediation(fitted, "med")
    sobel = rows[(rows["term"] == "indirect") & (rows["method"] == "sobel")].iloc[0]
    se_a = fitted.results["mediator"].std_errors["x"]
    se_b = fitted.results["outcome"].std_errors["m"]
    ab = fitted.a * fitted.b
    se = np.sqrt(fitted.a**2 * se_b**2 + fitted.b**2 * se_a**2)
    z = ab / se
    p = 2 * (1 - statistics.NormalDist().cdf(abs(z)))
    assert sobel["estimate"] == pytest.approx(ab, rel=1e-12)
    assert sobel["std_error"] == pytest.approx(se, rel=1e-12)
    assert sobel["statistic"] == pytest.approx(z, rel=1e-12)
    assert sobel["p_value"] == pytest.approx(p, rel=1e-9, abs=1e-15)
    crit = statistics.NormalDist().inv_cdf(0.975)
    assert (sobel["conf_low"], sobel["conf_high"]) == pytest.approx((ab - crit * se, ab + crit * se), rel=1e-12)


def test_output_rows_and_columns(fitted):
    rows = tidy_mediation(fitted, "med")
    assert list(rows.columns) == [*TIDY_COLUMNS, *EXTRA_COLUMNS]
    # default timing X(t-1) -> M(t) -> Y(t): x lagged one year in every equation, m and controls not
    assert rows["lag"].iloc[:10].tolist() == [1, 0, 0, 1, 0, 0, 1, 0, 0, 0]
    assert rows["outcome_lag"].tolist() == [0] * len(rows)
    assert rows["lag"].iloc[10:14].isna().all()  # derived rows: no single term, no lag
    eqs = list(rows[["equation", "term"]].itertuples(index=False, name=None))
    assert eqs[:10] == [("total", "x"), ("total", "w1"), ("total", "w2"),
                        ("mediator", "x"), ("mediator", "w1"), ("mediator", "w2"),
                        ("outcome", "x"), ("outcome", "m"), ("outcome", "w1"), ("outcome", "w2")]
    assert list(rows["method"].iloc[10:13]) == ["sobel", "bootstrap_percentile", "bootstrap_bc"]
    prop = rows[rows["term"] == "proportion_mediated"].iloc[0]
    assert fitted.results["total"].pvalues["x"] < 0.05 and fitted.a * fitted.b * fitted.c > 0
    assert prop["estimate"] == pytest.approx(fitted.a * fitted.b / fitted.c, rel=1e-12)
    assert prop["note"].startswith("L.x -> m -> y")
    two = rows[rows["equation"] == "jiang_two_step"]
    assert list(two["outcome"]) == ["y", "m"] and set(two["method"]) == {"two_step"}
    assert two["estimate"].tolist() == [fitted.c, fitted.a]
    assert "theory" in two["note"].iloc[1]
    assert rows.loc[rows["method"].str.startswith("bootstrap"), "reps"].tolist() == [20, 20]
    assert (rows["outcome"].iloc[10:14] == "y").all()


def test_registry_fits_mediation(panel):
    rows = fitter_for("mediation", "med")(panel, spec(), "med", "stkcd", "year", 11)
    assert set(rows["equation"]) == {"total", "mediator", "outcome", "indirect", "jiang_two_step"}


def test_proportion_not_reported_when_signs_differ(panel):
    d = panel.copy()
    d["m"] = -d["m"] + 3.0 * lag_by_time(d, ["x"], "stkcd", "year")["x"]  # flips b, makes a positive
    res = fit_mediation(d, spec(), "stkcd", "year", "med", seed=1)
    assert np.sign(res.a * res.b) != np.sign(res.c)
    prop = tidy_mediation(res, "med").query("term == 'proportion_mediated'").iloc[0]
    assert np.isnan(prop["estimate"]) and "differ in sign" in prop["note"]


@pytest.mark.parametrize(
    ("ab", "c", "p_c", "expected", "says"),
    [
        (0.2, 0.4, 0.01, 0.5, "same sign"),
        (-0.2, -0.4, 0.049, 0.5, "same sign"),
        (0.2, -0.4, 0.001, np.nan, "differ in sign"),
        (0.0, 0.4, 0.001, np.nan, "differ in sign or are zero"),
        (0.2, 0.0, 0.9, np.nan, "differ in sign or are zero"),
        (0.2, 0.4, 0.05, np.nan, "not significant"),  # the rule is p < 0.05
        (0.2, 0.4, 0.3, np.nan, "not significant"),
        (0.6, 0.4, 0.01, 1.5, "opposite sign"),  # c' = -0.2: a share above 1, reported with its reason
    ],
)
def test_proportion_mediated_rule(ab, c, p_c, expected, says):
    value, note = proportion_mediated(ab, c, p_c)
    assert (np.isnan(value) and np.isnan(expected)) or value == pytest.approx(expected, rel=1e-12)
    assert says in note


# ---------------------------------------------------------------------------------------------
# the bootstrap


def test_bootstrap_reproducible_and_seed_dependent(panel, fitted):
    again = fit_mediation(panel, spec(), "stkcd", "year", "med", seed=11)
    np.testing.assert_array_equal(fitted.draws, again.draws)
    other = bootstrap_fast(fitted.data, draw_counts(fitted.data.frame["stkcd"].nunique(), 20, 12))
    assert not np.allclose(fitted.draws, other)
    np.testing.assert_array_equal(draw_counts(40, 5, 11), draw_counts(40, 5, 11))
    assert (draw_counts(40, 5, 11).sum(axis=1) == 40).all()


def test_fast_bootstrap_equals_refitting_loop(fitted):
    """Same 20 draws: weighted shortcut vs fit_panel on explicitly duplicated, relabelled firms."""
    data = fitted.data
    counts = draw_counts(data.frame["stkcd"].nunique(), 20, 11)
    fast = bootstrap_fast(data, counts)
    np.testing.assert_array_equal(fast, fitted.draws)  # fit_mediation used exactly these draws
    slow = bootstrap_refit(data, counts, engine="fit_panel")
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    "extra",
    [
        {"fe": ["entity"]},
        {"fe": ["time"]},
        {"fe": []},
        {"timing": "lagged"},  # X(t-2) -> M(t-1) -> Y(t) in every equation
        {"timing": "contemporaneous"},
        {"timing": {"x": 1, "m": 1, "w2": 1}, "fe": ["entity"]},
        {"bootstrap": {"reps": 2, "cluster": "industry"}},  # firms nested in industries
    ],
)
def test_fast_equals_refit_other_designs(panel, extra):
    res = fit_mediation(panel, spec(**{"bootstrap": {"reps": 2}, **extra}), "stkcd", "year", "med", seed=5)
    assert res.c == pytest.approx(res.c_prime + res.a * res.b, abs=1e-12)
    n_clusters = int(codes_of(res.data.frame[res.data.cluster]).max()) + 1
    full = bootstrap_fast(res.data, np.ones((1, n_clusters)))
    np.testing.assert_allclose(full[0], [res.a, res.b, res.c, res.c_prime], atol=1e-12)  # weight 1 = the fit
    counts = draw_counts(n_clusters, 2, 5)
    np.testing.assert_allclose(res.draws, bootstrap_refit(res.data, counts, engine="panelols"), rtol=0, atol=1e-10)


def test_draw_equals_frequency_weighted_regression(fitted):
    """A draw's duplicated sample (copies relabelled as firms) = WLS with weights = draw counts."""
    data = fitted.data
    ent, tim, clu = data.codes()
    counts = draw_counts(int(clu.max()) + 1, 1, 3)[0]
    dup = duplicate_clusters(data.frame, counts, "stkcd", clu, ent)
    assert len(dup) == int(counts[clu].sum()) and not dup.duplicated(["stkcd", "year"]).any()
    regs = ["x", "m", "w1", "w2"]
    dup_fit = fit_panel(dup, {"kind": "panel", "outcome": "y", "regressors": regs, "lag": [],
                              "vcov": {"type": "unadjusted"}}, "stkcd", "year")
    w = counts[clu].astype(float)
    rows = w > 0
    f = data.frame[rows]
    dummies = [pd.get_dummies(f["stkcd"], drop_first=True, dtype=float),
               pd.get_dummies(f["year"].astype(str), prefix="t", drop_first=True, dtype=float)]
    xx = sm.add_constant(pd.concat([f[regs], *dummies], axis=1))
    wls = sm.WLS(f["y"], xx, weights=w[rows]).fit()
    np.testing.assert_allclose(dup_fit.params[regs], wls.params[regs], rtol=0, atol=1e-10)
    wfe = WeightedFE.build(data.frame[["y", *regs]].to_numpy(), ent, tim, clu, ("entity", "time"))
    fast = wfe.coefficients(wfe.cross_products(counts[None, :]), 0, [1, 2, 3, 4])[0]
    np.testing.assert_allclose(fast, wls.params[regs], rtol=0, atol=1e-10)


def test_percentile_and_bc_intervals_by_hand():
    rng = np.random.default_rng(0)
    draws = rng.permutation(np.arange(100.0))  # sorted values are 0..99: quantile q sits at 99 q
    assert percentile_ci(draws) == pytest.approx((0.025 * 99, 0.975 * 99), abs=1e-12)
    nd = statistics.NormalDist()
    z0 = nd.inv_cdf(60 / 100)  # 60 draws below the estimate 59.5
    crit = nd.inv_cdf(0.975)
    lo, hi = nd.cdf(2 * z0 - crit) * 99, nd.cdf(2 * z0 + crit) * 99
    assert bc_ci(draws, 59.5) == pytest.approx((lo, hi), abs=1e-9)
    assert bc_ci(draws, 49.5) == pytest.approx(percentile_ci(draws), abs=1e-9)  # z0 = 0: no correction
    assert all(np.isnan(bc_ci(draws, -1.0)))  # every draw above the estimate: z0 infinite


def test_recovers_true_paths_with_covering_intervals():
    d = synthetic(seed=21, n_firms=300)
    res = fit_mediation(d, spec(bootstrap={"reps": 300}), "stkcd", "year", "rec", seed=2)
    rows = tidy_mediation(res, "rec")
    med, out = res.results["mediator"], res.results["outcome"]
    assert med.conf_low["x"] < A < med.conf_high["x"]
    assert out.conf_low["m"] < B < out.conf_high["m"]
    assert out.conf_low["x"] < C_PRIME < out.conf_high["x"]
    for method in ("sobel", "bootstrap_percentile", "bootstrap_bc"):
        row = rows[(rows["term"] == "indirect") & (rows["method"] == method)].iloc[0]
        assert row["conf_low"] < A * B < row["conf_high"], method
    boot_sd = rows.loc[rows["method"] == "bootstrap_percentile", "std_error"].iloc[0]
    sobel_se = rows.loc[rows["method"] == "sobel", "std_error"].iloc[0]
    assert 0.6 < boot_sd / sobel_se < 1.6


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("drop", ["m", "w2", "y"])
def test_missing_column_names_model_and_column(panel, drop):
    with pytest.raises(ValueError, match=rf"model 'med'.*column '{drop}'"):
        fit_mediation(panel.drop(columns=drop), spec(), "stkcd", "year", "med")


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"mediator": "x"}, "must differ"),
        ({"controls": ["m"]}, "control"),
        ({"lag": ["y"]}, "lag names"),
        ({"lag": ["x", "m"]}, r"lists the mediator 'm'.*timing: lagged"),
        ({"lag": ["x"], "timing": "lagged"}, "either `timing` or the older `lag`"),
        ({"timing": "later"}, "timing must be one of"),
        ({"timing": ["x"]}, "timing must be one of"),
        ({"timing": {"y": 1}}, r"timing names \['y'\]"),
        ({"timing": {"x": -1}}, "timing.x must be an integer >= 0"),
        ({"timing": {"x": True}}, "timing.x must be an integer >= 0"),
        ({"timing": {"x": 1, "m": 2}}, "measured after the mediator"),
        ({"timing": {"x": 1}, "lag_years": 2}, "lag_years does not apply to a timing mapping"),
        ({"timing": "contemporaneous", "lag_years": 2}, "lag_years does not apply"),
        ({"timing": "lagged", "lag_years": 0}, "lag_years must be a positive integer"),
        ({"bootstrap": {"reps": 1}}, "reps"),
        ({"bootstrap": {"draws": 10}}, "unknown bootstrap key"),
        ({"regressors": ["x"]}, "unknown key"),
        ({"bootstrap": {"reps": 3, "cluster": "year"}}, "whole firms"),
    ],
)
def test_spec_errors_name_the_model(panel, bad, match):
    with pytest.raises(ValueError, match=rf"model 'med'.*{match}"):
        fit_mediation(panel, spec(**bad), "stkcd", "year", "med")


def test_bootstrap_draws_do_not_depend_on_the_shard_layout(panel, fitted, tmp_path):
    """Three shard jobs' draws, combined, are the one-job draws bit for bit (and so the CIs)."""
    from srdi.models import draws

    files = []
    for s in range(3):
        plan = draws.DrawPlan(shard=s, shards=3)
        with draws.using(plan, "med"):
            fit_mediation(panel, spec(), "stkcd", "year", "med", seed=11)
        files.append(tmp_path / f"{s}.npz")
        draws.write_shard(files[-1], plan, 3)
    with draws.using(draws.read_shards(files), "med"):
        combined = fit_mediation(panel, spec(), "stkcd", "year", "med", seed=11)
    np.testing.assert_array_equal(combined.draws, fitted.draws)
