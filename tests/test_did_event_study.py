"""Static TWFE, dynamic TWFE event study and Sun-Abraham against pyfixest (an independent FE/OLS implementation).

Every expected value is computed by pyfixest's `feols` on regressors the test builds itself with pandas (relative
time, bins, cohort x period cells), or by numpy from pyfixest's coefficients and covariance (the Sun-Abraham
weights). pyfixest's default small-sample convention (`ssc(k_adj=True, k_fixef="nonnested", G_adj=True,
G_df="min")`, i.e. fixest's) equals reghdfe's here: unit FE nested in the unit clusters are not counted, the year
effects are, so V = G/(G-1)·(N-1)/(N-K) with the same K, and the SEs agree to 1e-8.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from srdi.models.did.event_study import sun_abraham, twfe_event_study, twfe_static

pf = pytest.importorskip("pyfixest")

YEARS = np.arange(2012, 2024)
SEEDS = [1, 2, 3]


def simulate(seed: int, n: int = 240, cohorts=(2016, 2018, 2020, 0), unbalanced: bool = False) -> pd.DataFrame:
    """Staggered panel with dynamic, cohort-specific effects (so TWFE and the robust estimators differ)."""
    rng = np.random.default_rng(seed)
    g = rng.choice(list(cohorts), n)
    unit = np.repeat(np.arange(n), YEARS.size)
    t = np.tile(YEARS, n)
    gg = np.repeat(g, YEARS.size)
    treated = (gg > 0) & (t >= gg)
    effect = np.where(treated, 1 + 0.3 * (t - gg) + 0.2 * (gg - 2016), 0.0)
    x = rng.normal(size=unit.size) + 0.1 * (t - 2012)
    y = rng.normal(size=n)[unit] + rng.normal(size=YEARS.size)[t - YEARS[0]] + effect + 0.5 * x
    y = y + rng.normal(size=unit.size) * (1 + 0.5 * (unit % 3))
    df = pd.DataFrame({"firm": unit, "year": t, "y": y, "g": gg, "x": x, "prov": unit % 31})
    if unbalanced:
        df = df.sample(frac=0.85, random_state=seed).sort_values(["firm", "year"]).reset_index(drop=True)
    return df


def feols(fml: str, df: pd.DataFrame, cluster: str = "firm"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(fml, df, vcov={"CRV1": cluster})


def by_term(result) -> pd.DataFrame:
    return result.estimates.set_index("term")


@pytest.mark.parametrize("seed", SEEDS)
def test_static_twfe_matches_pyfixest(seed: int) -> None:
    df = simulate(seed, unbalanced=seed == 3)
    df["D"] = ((df.g > 0) & (df.year >= df.g)).astype(float)
    ref = feols("y ~ D + x | firm + year", df, cluster="prov")
    res = twfe_static(df, "firm", "year", "y", "g", controls=["x"], cluster="prov")
    row = by_term(res).loc["ATT"]
    assert row["estimate"] == pytest.approx(ref.coef()["D"], abs=1e-10)
    assert row["std_error"] == pytest.approx(ref.se()["D"], rel=1e-8)
    assert row["p_value"] == pytest.approx(ref.pvalue()["D"], abs=1e-8)
    assert res.nobs == len(df)
    assert res.n_clusters == 31


@pytest.mark.parametrize("seed", SEEDS)
def test_full_dynamic_event_study_matches_pyfixest(seed: int) -> None:
    df = simulate(seed, unbalanced=seed == 2)
    # never-treated coded at the reference period: identical to all-zero indicators
    df["rel"] = np.where(df.g > 0, df.year - df.g, -1)
    ref = feols("y ~ i(rel, ref=-1) + x | firm + year", df)
    res = twfe_event_study(df, "firm", "year", "y", "g", controls=["x"])
    got = by_term(res)
    expected_terms = [f"e={k}" for k in sorted(set(df.rel) - {-1})]
    assert list(got.index) == expected_terms
    for k in sorted(set(df.rel) - {-1}):
        name = f"rel::{k}"
        assert got.loc[f"e={k}", "estimate"] == pytest.approx(ref.coef()[name], abs=1e-8)
        assert got.loc[f"e={k}", "std_error"] == pytest.approx(ref.se()[name], rel=1e-7)


def _pyfixest_pretrend_f(ref, names: list[str]) -> float:
    """F = W/q from pyfixest's coefficients and clustered covariance, computed here with numpy."""
    coefs = list(ref.coef().index)
    idx = [coefs.index(n) for n in names]
    b = ref.coef().to_numpy()[idx]
    v = np.asarray(ref._vcov)[np.ix_(idx, idx)]
    return float(b @ np.linalg.solve(v, b)) / len(idx)


def test_pretrend_f_matches_pyfixest_wald() -> None:
    df = simulate(4)
    df["rel"] = np.where(df.g > 0, df.year - df.g, -1)
    ref = feols("y ~ i(rel, ref=-1) | firm + year", df)
    res = twfe_event_study(df, "firm", "year", "y", "g")
    pre = [f"rel::{k}" for k in sorted(set(df.rel)) if k < -1]
    f_ref = _pyfixest_pretrend_f(ref, pre)
    r_mat = np.zeros((len(pre), len(ref.coef())))
    for i, name in enumerate(pre):
        r_mat[i, list(ref.coef().index).index(name)] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wald = ref.wald_test(R=r_mat, distribution="chi2")
    assert res.pretrend is not None
    assert res.pretrend.kind == "F"
    assert res.pretrend.df == len(pre)
    assert res.pretrend.df_denom == df.firm.nunique() - 1
    assert res.pretrend.statistic == pytest.approx(f_ref, rel=1e-7)
    assert res.pretrend.wald == pytest.approx(float(wald["statistic"]), rel=1e-7)  # pyfixest's chi2 form W
    assert res.pretrend.terms == tuple(f"e={k}" for k in sorted(set(df.rel)) if k < -1)


@pytest.mark.parametrize("seed", SEEDS)
def test_binned_window_matches_pyfixest_on_clipped_relative_time(seed: int) -> None:
    df = simulate(seed)
    lo, hi = -4, 3
    df["rel"] = np.where(df.g > 0, np.clip(df.year - df.g, lo, hi), -1)
    ref = feols("y ~ i(rel, ref=-1) | firm + year", df)
    res = twfe_event_study(df, "firm", "year", "y", "g", window=(lo, hi), endpoints="bin")
    got = by_term(res)
    assert list(got.index) == ["e=-4", "e=-3", "e=-2", "e=0", "e=1", "e=2", "e=3"]
    for k in (-4, -3, -2, 0, 1, 2, 3):
        assert got.loc[f"e={k}", "estimate"] == pytest.approx(ref.coef()[f"rel::{k}"], abs=1e-8)
        assert got.loc[f"e={k}", "std_error"] == pytest.approx(ref.se()[f"rel::{k}"], rel=1e-7)


def test_drop_window_matches_pyfixest_on_trimmed_sample() -> None:
    df = simulate(5)
    lo, hi = -3, 2
    rel = df.year - df.g
    sub = df[(df.g == 0) | rel.between(lo, hi)].copy()
    sub["rel"] = np.where(sub.g > 0, sub.year - sub.g, -1)
    ref = feols("y ~ i(rel, ref=-1) | firm + year", sub)
    res = twfe_event_study(df, "firm", "year", "y", "g", window=(lo, hi), endpoints="drop")
    got = by_term(res)
    assert res.nobs == len(sub)
    for k in (-3, -2, 0, 1, 2):
        assert got.loc[f"e={k}", "estimate"] == pytest.approx(ref.coef()[f"rel::{k}"], abs=1e-8)
        assert got.loc[f"e={k}", "std_error"] == pytest.approx(ref.se()[f"rel::{k}"], rel=1e-7)


def _sunab_reference(df: pd.DataFrame, control_g: int):
    """pyfixest feols on cohort x relative-time cells built here (reference cell e=-1 and the control cohort)."""
    df = df.copy()
    cell = np.where((df.g > 0) & (df.g != control_g) & (df.year - df.g != -1),
                    df.g.astype(str) + "_" + (df.year - df.g).astype(str), "ref")
    df["cell"] = cell
    ref = feols("y ~ i(cell, ref='ref') + x | firm + year", df)
    return df, ref


@pytest.mark.parametrize("seed", SEEDS)
def test_sun_abraham_cells_and_aggregates_match_pyfixest(seed: int) -> None:
    df = simulate(seed, unbalanced=seed == 1)
    cells_df, ref = _sunab_reference(df, control_g=0)
    res = sun_abraham(df, "firm", "year", "y", "g", controls=["x"])
    got = by_term(res)
    coef, vcov = ref.coef(), np.asarray(ref._vcov)
    names = list(coef.index)
    # every cell coefficient
    counts = cells_df[cells_df.cell != "ref"].groupby("cell").size()
    for cell, _n in counts.items():
        g, e = (int(v) for v in cell.split("_"))
        term = f"ATT(g={g},t={g + e})"
        assert got.loc[term, "estimate"] == pytest.approx(coef[f"cell::{cell}"], abs=1e-8)
        assert got.loc[term, "std_error"] == pytest.approx(ref.se()[f"cell::{cell}"], rel=1e-7)
    # event-time aggregates: cohort weights = cell observation counts (fixest::sunab), delta-method SE
    info = pd.DataFrame({"cell": counts.index, "n": counts.to_numpy()})
    info["g"] = info.cell.str.split("_").str[0].astype(int)
    info["e"] = info.cell.str.split("_").str[1].astype(int)
    for e, grp in info.groupby("e"):
        w = np.zeros(len(names))
        for cell, n in zip(grp.cell, grp.n, strict=True):
            w[names.index(f"cell::{cell}")] = n / grp.n.sum()
        assert got.loc[f"e={e}", "estimate"] == pytest.approx(float(w @ coef.to_numpy()), abs=1e-8)
        assert got.loc[f"e={e}", "std_error"] == pytest.approx(float(np.sqrt(w @ vcov @ w)), rel=1e-7)
    post = info[info.e >= 0]
    w = np.zeros(len(names))
    for cell, n in zip(post.cell, post.n, strict=True):
        w[names.index(f"cell::{cell}")] = n / post.n.sum()
    assert got.loc["ATT", "estimate"] == pytest.approx(float(w @ coef.to_numpy()), abs=1e-8)
    assert got.loc["ATT", "std_error"] == pytest.approx(float(np.sqrt(w @ vcov @ w)), rel=1e-7)
    # pre-trend F on the aggregated leads
    pre = [f"e={e}" for e in sorted(info.e.unique()) if e < 0]
    assert res.pretrend is not None and res.pretrend.terms == tuple(pre)
    b = got.loc[pre, "estimate"].to_numpy()
    cov = res.cov.loc[pre, pre].to_numpy()
    assert res.pretrend.statistic == pytest.approx(float(b @ np.linalg.solve(cov, b)) / len(pre), rel=1e-8)


def test_sun_abraham_event_time_matches_pyfixest_saturated_aggregate() -> None:
    """pyfixest's own Sun-Abraham aggregation (SaturatedEventStudy.aggregate, share weights) on a balanced panel."""
    df = simulate(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.event_study(df, yname="y", idname="firm", tname="year", gname="g", estimator="saturated", att=False)
        agg = fit.aggregate()
    res = by_term(sun_abraham(df, "firm", "year", "y", "g"))
    for period, row in agg.iterrows():
        assert res.loc[f"e={int(period)}", "estimate"] == pytest.approx(float(row["Estimate"]), abs=1e-8)
        assert res.loc[f"e={int(period)}", "std_error"] == pytest.approx(float(row["Std. Error"]), rel=1e-7)


def test_sun_abraham_weights_exclude_singletons() -> None:
    """A unit observed once is dropped as a singleton (reghdfe); its row counts in no cell weight."""
    df = simulate(12)
    lone = df[df.firm == 0].iloc[[6]].assign(firm=10_000, g=2016)  # one treated row, e = 2018 - 2016 = 2
    both = pd.concat([df, lone], ignore_index=True)
    res = sun_abraham(both, "firm", "year", "y", "g")
    ref = sun_abraham(df, "firm", "year", "y", "g")
    assert res.nobs == len(df)
    pd.testing.assert_frame_equal(res.info["cells"], ref.info["cells"])
    assert by_term(res).loc["e=2", "estimate"] == pytest.approx(by_term(ref).loc["e=2", "estimate"], abs=1e-10)


def test_sun_abraham_without_never_treated_uses_last_cohort() -> None:
    df = simulate(8, cohorts=(2015, 2017, 2019, 2021))
    last = 2021
    sub = df[df.year < last]
    _, ref = _sunab_reference(sub, control_g=last)
    res = sun_abraham(df, "firm", "year", "y", "g", controls=["x"])
    assert res.info["control_cohort"] == last
    assert res.nobs == len(sub)
    got = by_term(res)
    assert not any(t.startswith(f"ATT(g={last}") for t in got.index)
    for name, value in ref.coef().items():
        if name.startswith("cell::"):
            g, e = (int(v) for v in name[6:].split("_"))
            assert got.loc[f"ATT(g={g},t={g + e})", "estimate"] == pytest.approx(value, abs=1e-8)


def test_sun_abraham_binned_end_cells() -> None:
    df = simulate(9)
    lo, hi = -3, 2
    e = (df.year - df.g).clip(lo, hi)
    df2 = df.assign(cell=np.where((df.g > 0) & (e != -1), df.g.astype(str) + "_" + e.astype(str), "ref"))
    ref = feols("y ~ i(cell, ref='ref') | firm + year", df2)
    got = by_term(sun_abraham(df, "firm", "year", "y", "g", window=(lo, hi)))
    assert got.loc["ATT(g=2016,e<=-3)", "estimate"] == pytest.approx(ref.coef()["cell::2016_-3"], abs=1e-8)
    assert got.loc["ATT(g=2020,e>=2)", "estimate"] == pytest.approx(ref.coef()["cell::2020_2"], abs=1e-8)
    assert got.loc["ATT(g=2018,t=2018)", "estimate"] == pytest.approx(ref.coef()["cell::2018_0"], abs=1e-8)


def test_homogeneous_effects_recovered() -> None:
    """With a constant effect and no noise beyond FE, every estimator returns the effect exactly (not by FE luck)."""
    rng = np.random.default_rng(0)
    df = simulate(10)
    treated = (df.g > 0) & (df.year >= df.g)
    df["y"] = rng.normal(size=240)[df.firm] + rng.normal(size=YEARS.size)[df.year - 2012] + 2.5 * treated
    assert by_term(twfe_static(df, "firm", "year", "y", "g")).loc["ATT", "estimate"] == pytest.approx(2.5, abs=1e-9)
    es = by_term(twfe_event_study(df, "firm", "year", "y", "g"))
    assert np.allclose(es.loc[[t for t in es.index if int(t[2:]) >= 0], "estimate"], 2.5, atol=1e-9)
    assert np.allclose(es.loc[[t for t in es.index if int(t[2:]) < 0], "estimate"], 0.0, atol=1e-9)
    sa = by_term(sun_abraham(df, "firm", "year", "y", "g"))
    assert sa.loc["ATT", "estimate"] == pytest.approx(2.5, abs=1e-9)


def test_errors() -> None:
    df = simulate(11)
    bad = df.copy()
    bad.loc[bad.index[0], "g"] = 2019 if bad.loc[bad.index[0], "g"] != 2019 else 2016
    with pytest.raises(ValueError, match="not constant within entity"):
        twfe_static(bad, "firm", "year", "y", "g")
    late = df.assign(g=np.where(df.g == 2020, 2030, df.g))
    with pytest.raises(ValueError, match="outside the panel's years"):
        twfe_event_study(late, "firm", "year", "y", "g")
    one = df.assign(g=2016)
    with pytest.raises(ValueError, match="no comparison units"):
        twfe_static(one, "firm", "year", "y", "g")
    with pytest.raises(ValueError, match="no comparison units"):
        sun_abraham(df.assign(g=np.where(df.g == 0, 2016, 2016)), "firm", "year", "y", "g")
    with pytest.raises(ValueError, match="window"):
        twfe_event_study(df, "firm", "year", "y", "g", window=(-1, 3))
    with pytest.raises(ValueError, match="endpoints"):
        twfe_event_study(df, "firm", "year", "y", "g", window=(-3, 3), endpoints="trim")
    with pytest.raises(ValueError, match="integer years"):
        twfe_static(df.assign(year=df.year.astype(float)), "firm", "year", "y", "g")
    with pytest.raises(ValueError, match="not in the panel"):
        twfe_static(df, "firm", "year", "sales", "g")


# R etwfe 0.6 test suite (inst/tinytest/test_etwfe.R, "m2_known" = fixest::coeftable of
# etwfe(lemp ~ 0, tvar = year, gvar = first.treat, data = mpdta, vcov = ~countyreal, cgroup = "never")):
# the cohort x year cells of the never-treated-control saturated regression, i.e. Sun & Abraham's CATT(g, t).
ETWFE_NEVER_MPDTA = {
    (2004, 2004): -0.0105032462209509, (2004, 2005): -0.0704231581031381, (2004, 2006): -0.137258738889396,
    (2004, 2007): -0.100811363085397, (2006, 2003): -0.00376929367371485, (2006, 2004): 0.00275081875051886,
    (2006, 2006): -0.00459460695286396, (2006, 2007): -0.041224471546218, (2007, 2003): 0.00330635669251332,
    (2007, 2004): 0.033813012275807, (2007, 2005): 0.0310871193896906, (2007, 2007): -0.0260544107191967,
}


def test_sun_abraham_cells_match_published_etwfe_on_mpdta() -> None:
    """mpdta (Callaway & Sant'Anna's county teen-employment panel) as shipped by moderndid; full printed precision.

    etwfe absorbs cohort rather than county effects, which gives the same cell estimates in this balanced panel
    but other residuals, so only the point estimates are compared.
    """
    data = pytest.importorskip("moderndid.core.data")
    mpdta = data.load_mpdta().to_pandas()
    got = by_term(sun_abraham(mpdta, "countyreal", "year", "lemp", "first.treat"))
    cells = [t for t in got.index if t.startswith("ATT(")]
    assert len(cells) == len(ETWFE_NEVER_MPDTA)
    for (g, t), value in ETWFE_NEVER_MPDTA.items():
        assert got.loc[f"ATT(g={g},t={t})", "estimate"] == pytest.approx(value, abs=1e-10)
