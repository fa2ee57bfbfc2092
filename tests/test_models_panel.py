"""Reference tests of the panel estimator.

Sources of the reference numbers:

* Grunfeld investment data as shipped by statsmodels (`statsmodels.datasets.grunfeld`, 11 firms);
  without "American Steel" it is the 10-firm, 200-row panel of Baltagi, *Econometric Analysis of
  Panel Data* (plm's `Grunfeld` is "the same data as used in Baltagi (2001)", plm docs,
  https://search.r-project.org/CRAN/refmans/plm/html/Grunfeld.html).
* One-way within estimates, conventional SE, as printed by R plm
  `plm(inv ~ value + capital, model = "within")` (https://rforanalytics.com/9.2-fixed-effects-model.html):
  value 0.110124 (0.011857), capital 0.310065 (0.017355), 188 residual df. Baltagi Table 2.1 rounds
  them to 0.1101 (0.0119) and 0.3101 (0.0174).
* Pooled OLS as printed by R `lm(inv ~ value + capital, data = Grunfeld)` (plm's data;
  https://rstudio-pubs-static.s3.amazonaws.com/1418668_a483462501a0411f96484f33d46d5d4a.html):
  value 0.115562 (0.005836), capital 0.230678 (0.025476).
* Everything else is compared with a second implementation: statsmodels OLS on explicit firm and
  year dummies (LSDV), whose covariances are rescaled by factors derived by hand below, or a numpy
  sandwich written out in the test. No Stata output is quoted: none was available to cite.

The reghdfe small-sample factor for clustered SE (reghdfe_common.mata, `reghdfe_cluster`) is
    q = G/(G-1) * (N-1)/(N-K-a),  K = k + df_a,  a = 1 if df_a == 0 else 0,
with df_a the FE parameters not nested in a cluster variable (first remaining effect: all levels;
second: levels minus connected components). statsmodels' cluster correction (use_correction=True)
is G/(G-1) * (N-1)/(N-K_sm) with K_sm = every LSDV column (k + const + (F-1) firm + (T-1) year
dummies). The sandwich for the slopes is the same in both (Frisch-Waugh-Lovell), so
    V_reghdfe = V_statsmodels * (N - K_sm) / (N - K - a).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels import PanelOLS
from statsmodels.datasets import grunfeld

from srdi.models import CollinearityWarning, fit_panel, parse_spec, run_model
from srdi.models.within import absorbed_dof, codes_of, singleton_mask

# ---------------------------------------------------------------------------------------------
# data


def grunfeld10() -> pd.DataFrame:
    d = grunfeld.load_pandas().data
    d = d[d["firm"] != "American Steel"].reset_index(drop=True)
    return d.astype({"year": int})


def synthetic(seed: int = 7, n_firms: int = 40, years: range = range(2010, 2020)) -> pd.DataFrame:
    """Unbalanced firm-year panel (random holes), firms nested in industries, no singletons."""
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(n_firms):
        alpha = rng.normal()
        for t in years:
            if rng.random() < 0.2:
                continue
            rows.append((f"F{f:03d}", t, f % 6, alpha))
    d = pd.DataFrame(rows, columns=["stkcd", "year", "industry", "alpha"])
    n = len(d)
    year_effect = (d["year"] - 2010) * 0.1
    d["x1"] = rng.normal(size=n) + 0.5 * d["alpha"]
    d["x2"] = rng.normal(size=n) + year_effect
    d["w"] = rng.normal(size=n)
    firm_shock = d.groupby("stkcd")["alpha"].transform(lambda s: s.iloc[0] * 0.7)
    d["y"] = 1.0 + 0.5 * d["x1"] - 0.3 * d["x2"] + 0.2 * d["w"] + d["alpha"] + year_effect
    d["y"] += rng.normal(size=n) * (1 + 0.5 * np.abs(d["x1"])) + firm_shock * rng.normal(size=n)
    return d


def spec(**kw) -> dict:
    base = {"kind": "panel", "outcome": "y", "regressors": ["x1"], "controls": ["x2", "w"], "lag": []}
    base.update(kw)
    return base


def lsdv(d: pd.DataFrame, x: list[str], firm: bool, year: bool, y: str = "y") -> tuple[pd.Series, pd.DataFrame]:
    parts = [d[x].astype(float)]
    if firm:
        parts.append(pd.get_dummies(d["stkcd"], prefix="f", drop_first=True, dtype=float))
    if year:
        parts.append(pd.get_dummies(d["year"].astype(str), prefix="t", drop_first=True, dtype=float))
    return d[y].astype(float), sm.add_constant(pd.concat(parts, axis=1))


# ---------------------------------------------------------------------------------------------
# (a) published Grunfeld values


GRUNFELD = {"kind": "panel", "outcome": "invest", "regressors": ["value", "capital"], "lag": []}


def test_grunfeld_one_way_within_matches_plm_and_baltagi():
    res = fit_panel(grunfeld10(), {**GRUNFELD, "fe": ["entity"], "vcov": {"type": "unadjusted"}}, "firm", "year")
    assert res.params["value"] == pytest.approx(0.110124, abs=5e-7)
    assert res.params["capital"] == pytest.approx(0.310065, abs=5e-7)
    assert res.std_errors["value"] == pytest.approx(0.011857, abs=5e-7)
    assert res.std_errors["capital"] == pytest.approx(0.017355, abs=5e-7)
    assert res.df_resid == 188  # plm: "F-statistic ... on 2 and 188 DF"
    assert res.r2_within == pytest.approx(0.76676, abs=5e-6)  # plm "R-Squared: 0.76676"
    assert res.nobs == 200 and res.n_singletons == 0


def test_grunfeld_pooled_matches_lm():
    res = fit_panel(grunfeld10(), {**GRUNFELD, "fe": [], "vcov": {"type": "unadjusted"}}, "firm", "year")
    assert res.params["value"] == pytest.approx(0.115562, abs=5e-7)
    assert res.params["capital"] == pytest.approx(0.230678, abs=5e-7)
    assert res.std_errors["value"] == pytest.approx(0.005836, abs=5e-7)
    assert res.std_errors["capital"] == pytest.approx(0.025476, abs=5e-7)
    assert res.df_resid == 197
    assert res.r2_within == pytest.approx(0.8124, abs=5e-5)  # lm "Multiple R-squared: 0.8124"


def test_grunfeld_two_way_equals_lsdv():
    d = grunfeld10().rename(columns={"firm": "stkcd", "invest": "y"})
    res = fit_panel(d, {**GRUNFELD, "outcome": "y", "vcov": {"type": "unadjusted"}}, "stkcd", "year")
    yy, xx = lsdv(d, ["value", "capital"], firm=True, year=True)
    ref = sm.OLS(yy, xx).fit()
    np.testing.assert_allclose(res.params, ref.params[["value", "capital"]], rtol=1e-9)
    np.testing.assert_allclose(res.std_errors, ref.bse[["value", "capital"]], rtol=1e-9)
    assert res.df_resid == int(ref.df_resid) == 200 - 2 - 10 - 19


# ---------------------------------------------------------------------------------------------
# (b) clustered SE against a second implementation under the same convention


def _sm_cluster(d: pd.DataFrame, x: list[str], firm: bool, year: bool, groups) -> tuple[np.ndarray, int]:
    yy, xx = lsdv(d, x, firm, year)
    ref = sm.OLS(yy, xx).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True})
    return ref.cov_params().loc[x, x].to_numpy(), xx.shape[1]


@pytest.mark.parametrize(
    ("fe", "cluster", "k_absorbed"),
    [
        # firm FE nested in firm clusters: df_a = 0, so a = 1 and N-K-a = N-k-1
        (["entity"], "stkcd", lambda F, T: 1),
        # firm nested in firm clusters, year counted in full (it plays the intercept): K = k + T
        (["entity", "time"], "stkcd", lambda F, T: T),
        # firm nested in industry clusters: same count
        (["entity", "time"], "industry", lambda F, T: T),
        # year nested in year clusters, firm counted in full: K = k + F
        (["entity", "time"], "year", lambda F, T: F),
    ],
)
def test_cluster_se_equals_rescaled_statsmodels_lsdv(fe, cluster, k_absorbed):
    d = synthetic()
    x = ["x1", "x2", "w"]
    res = fit_panel(d, spec(fe=fe, vcov={"type": "cluster", "by": [cluster]}), "stkcd", "year")
    assert res.n_singletons == 0 and res.nobs == len(d)
    n, k = len(d), len(x)
    F, T = d["stkcd"].nunique(), d["year"].nunique()
    cov_sm, k_sm = _sm_cluster(d, x, True, "time" in fe, codes_of(d[cluster]))
    factor = (n - k_sm) / (n - k - k_absorbed(F, T))  # written out from the two formulas above
    np.testing.assert_allclose(res.cov.loc[x, x].to_numpy(), cov_sm * factor, rtol=1e-8)
    G = d[cluster].nunique()
    assert res.n_clusters == G and res.df_resid == G - 1


def test_cluster_se_by_direct_numpy_sandwich_two_way_clustering():
    """Firm and year FE, clusters firm and year: CGM V1 + V2 - V12, G = min(G1, G2), df_a = 0."""
    d = synthetic()
    x = ["x1", "x2", "w"]
    res = fit_panel(d, spec(vcov={"type": "cluster", "by": ["stkcd", "year"]}), "stkcd", "year")
    yy, xx = lsdv(d, x, True, True)
    X, Y = xx.to_numpy(), yy.to_numpy()
    b = np.linalg.solve(X.T @ X, X.T @ Y)
    e = Y - X @ b
    bread = np.linalg.inv(X.T @ X)
    scores = X * e[:, None]

    def meat(g):
        s = pd.DataFrame(scores).groupby(np.asarray(g)).sum().to_numpy()
        return s.T @ s

    firm, year = d["stkcd"].to_numpy(), d["year"].to_numpy()
    both = pd.Series(firm).astype(str) + "_" + pd.Series(year).astype(str)
    V = bread @ (meat(firm) + meat(year) - meat(both)) @ bread
    n, k = len(d), len(x)
    G = min(d["stkcd"].nunique(), d["year"].nunique())
    q = G / (G - 1) * (n - 1) / (n - 1 - k)  # both effects nested: df_a = 0, a = 1
    idx = [xx.columns.get_loc(c) for c in x]
    V = V[np.ix_(idx, idx)] * q
    vals = np.linalg.eigvalsh(V)
    if vals.min() < 0:  # reghdfe's PSD fix, mirrored
        w, vec = np.linalg.eigh(V)
        V = (vec * np.clip(w, 0, None)) @ vec.T
    np.testing.assert_allclose(res.cov.loc[x, x].to_numpy(), V, rtol=1e-8)
    assert res.n_clusters == G == 10 and res.df_resid == G - 1
    assert res.params.index.tolist() == x
    np.testing.assert_allclose(res.params.to_numpy(), b[idx], rtol=1e-9)


def test_robust_and_unadjusted_equal_lsdv_exactly():
    """Without clusters nothing is nested, K = every LSDV parameter: HC1 and classical SE agree."""
    d = synthetic()
    x = ["x1", "x2", "w"]
    yy, xx = lsdv(d, x, True, True)
    for vtype, cov_type in (("robust", "HC1"), ("unadjusted", "nonrobust")):
        res = fit_panel(d, spec(vcov={"type": vtype}), "stkcd", "year")
        ref = sm.OLS(yy, xx).fit(cov_type=cov_type)
        np.testing.assert_allclose(res.cov.loc[x, x].to_numpy(), ref.cov_params().loc[x, x], rtol=1e-8)
        assert res.df_resid == int(ref.df_resid)


def test_disconnected_panel_counts_mobility_groups():
    """Two blocks of firms in disjoint years: 2 components, so df_a = F + T - 2 (rank of the dummies)."""
    a = synthetic(seed=1, n_firms=10, years=range(2000, 2005))
    b = synthetic(seed=2, n_firms=10, years=range(2010, 2015))
    b["stkcd"] = "B" + b["stkcd"]
    d = pd.concat([a, b], ignore_index=True)
    res = fit_panel(d, spec(vcov={"type": "robust"}), "stkcd", "year")
    F, T = d["stkcd"].nunique(), d["year"].nunique()
    assert res.df_a == F + T - 2
    yy, xx = lsdv(d, ["x1", "x2", "w"], True, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns that the dummies are rank-deficient: intended
        ref = sm.OLS(yy, xx).fit(cov_type="HC1")  # pinv; df_resid = N - rank
    assert int(ref.df_resid) == len(d) - res.k_total
    np.testing.assert_allclose(res.std_errors, ref.bse[["x1", "x2", "w"]], rtol=1e-7)


def test_linearmodels_convention_differs_by_the_documented_factor():
    """Why vcov.py exists: PanelOLS(debiased, group_debias) counts the effects differently."""
    d = grunfeld10()
    p = d.set_index(["firm", "year"])
    N, k, G, T = 200, 2, 10, 20
    for fe, factor in ((["entity"], (N - k) / (N - k - 1)), (["entity", "time"], (N - k - G - T + 1) / (N - k - T))):
        ours = fit_panel(d, {**GRUNFELD, "fe": fe}, "firm", "year")
        lm = PanelOLS(p["invest"], p[["value", "capital"]], entity_effects=True, time_effects="time" in fe).fit(
            cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True
        )
        np.testing.assert_allclose(ours.params, lm.params, rtol=1e-10)
        np.testing.assert_allclose(ours.std_errors**2, lm.std_errors**2 * factor, rtol=1e-9)


def test_inference_uses_t_with_cluster_df():
    from scipy import stats

    res = fit_panel(synthetic(), spec(), "stkcd", "year")
    G = res.n_clusters
    t = res.params / res.std_errors
    np.testing.assert_allclose(res.pvalues, 2 * stats.t.sf(np.abs(t), G - 1))
    half = stats.t.ppf(0.975, G - 1) * res.std_errors
    np.testing.assert_allclose(res.conf_high - res.params, half)
    np.testing.assert_allclose(res.params - res.conf_low, half)


# ---------------------------------------------------------------------------------------------
# (c) lags inside the model use the true calendar year


def test_model_lag_uses_calendar_year_and_precedes_sample_filter():
    d = synthetic()
    lagged = fit_panel(d, spec(lag=["x1"], vcov={"type": "robust"}), "stkcd", "year")
    # by hand: merge on year - 1
    prev = d[["stkcd", "year", "x1"]].assign(year=d["year"] + 1).rename(columns={"x1": "x1_lag"})
    manual = d.merge(prev, on=["stkcd", "year"], how="left").drop(columns="x1").rename(columns={"x1_lag": "x1"})
    keep = singleton_mask([codes_of(manual.dropna(subset=["x1"])[c]) for c in ("stkcd", "year")])
    ref = fit_panel(manual, spec(vcov={"type": "robust"}), "stkcd", "year")
    assert lagged.nobs == ref.nobs == int(keep.sum())
    np.testing.assert_allclose(lagged.params, ref.params, rtol=1e-10)
    # row-above shift would keep more rows (gaps are holes in `synthetic`)
    shifted = d.sort_values(["stkcd", "year"]).groupby("stkcd")["x1"].shift()
    assert shifted.notna().sum() > manual["x1"].notna().sum()
    # the sample filter is applied after lagging: 2015's lag comes from 2014 even if 2014 is excluded
    late = fit_panel(d, spec(lag=["x1"], sample="year >= 2015", vcov={"type": "robust"}), "stkcd", "year")
    ref_late = fit_panel(manual[manual["year"] >= 2015], spec(vcov={"type": "robust"}), "stkcd", "year")
    assert late.nobs == ref_late.nobs
    np.testing.assert_allclose(late.params, ref_late.params, rtol=1e-10)


def test_in_sample_flag_excludes_rows_after_lagging():
    d = synthetic()
    flagged = d.assign(in_sample=d["year"] >= 2015)
    got = fit_panel(flagged, spec(lag=["x1"], vcov={"type": "robust"}), "stkcd", "year")
    ref = fit_panel(d, spec(lag=["x1"], sample="year >= 2015", vcov={"type": "robust"}), "stkcd", "year")
    assert got.nobs == ref.nobs
    np.testing.assert_allclose(got.params, ref.params, rtol=1e-12)


def test_default_lag_is_regressors_of_interest():
    s = parse_spec({"kind": "panel", "outcome": "y", "regressors": ["x1"], "controls": ["w"]}, "m", "stkcd", "year")
    assert s.lag == ("x1",) and s.fe == ("entity", "time")
    assert s.vcov_type == "cluster" and s.cluster_by == ("stkcd",)


# ---------------------------------------------------------------------------------------------
# (d) singletons


def _singleton_panel() -> pd.DataFrame:
    rows = [
        ("A", 2010), ("A", 2011),
        ("B", 2010),                 # singleton firm
        ("C", 2011), ("C", 2012),    # 2012 has only C -> dropped, then C is a singleton -> dropped
        ("D", 2010), ("D", 2011),
        ("E", 2010), ("E", 2011),
        ("F", 2010), ("F", 2011),
    ]  # fmt: skip
    d = pd.DataFrame(rows, columns=["stkcd", "year"])
    rng = np.random.default_rng(3)
    d["x1"] = rng.normal(size=len(d))
    d["y"] = d["x1"] + rng.normal(size=len(d))
    return d


def test_singletons_dropped_iteratively_and_counted():
    d = _singleton_panel()
    res = fit_panel(d, {"kind": "panel", "outcome": "y", "regressors": ["x1"], "lag": [], "vcov": {"type": "robust"}},
                    "stkcd", "year")
    assert res.n_singletons == 3
    assert res.nobs == 8
    one_way = fit_panel(d, {"kind": "panel", "outcome": "y", "regressors": ["x1"], "lag": [], "fe": ["entity"],
                            "vcov": {"type": "robust"}}, "stkcd", "year")
    assert one_way.n_singletons == 1 and one_way.nobs == 10
    pooled = fit_panel(d, {"kind": "panel", "outcome": "y", "regressors": ["x1"], "lag": [], "fe": [],
                           "vcov": {"type": "robust"}}, "stkcd", "year")
    assert pooled.n_singletons == 0 and pooled.nobs == 11


def test_singleton_after_listwise_deletion():
    d = _singleton_panel()
    d.loc[d.index[0], "x1"] = np.nan  # A keeps one row -> singleton
    res = fit_panel(d, {"kind": "panel", "outcome": "y", "regressors": ["x1"], "lag": [], "fe": ["entity"],
                        "vcov": {"type": "robust"}}, "stkcd", "year")
    assert res.n_missing == 1 and res.n_singletons == 2 and res.nobs == 8


def test_absorbed_dof_units():
    firm = codes_of(pd.Series(["a", "a", "b", "b", "c", "c"]))
    year = codes_of(pd.Series([1, 2, 1, 2, 3, 4]))  # c in its own years: 2 components
    assert absorbed_dof([firm, year], [], 6).df_a == 3 + 4 - 2
    assert absorbed_dof([firm, year], [firm], 6).df_a == 4  # firm nested
    assert absorbed_dof([], [firm], 6).df_a == 1  # pooled: the intercept


# ---------------------------------------------------------------------------------------------
# (e) collinearity


def test_collinear_terms_dropped_with_warning_naming_them():
    """The later of two dependent terms (in spec order) is the one dropped, as in reghdfe."""
    d = synthetic()
    d["dup"] = 2 * d["x2"] - d["w"]
    d["firm_const"] = d.groupby("stkcd")["x1"].transform("mean")  # absorbed by firm FE
    with pytest.warns(CollinearityWarning, match=r"dup.*firm_const|firm_const.*dup"):
        res = fit_panel(d, spec(controls=["x2", "w", "dup", "firm_const"]), "stkcd", "year")
    assert res.dropped_terms == ("dup", "firm_const")
    ref = fit_panel(d, spec(), "stkcd", "year")
    np.testing.assert_allclose(res.params[["x1", "x2", "w"]], ref.params, rtol=1e-9)
    np.testing.assert_allclose(res.std_errors[["x1", "x2", "w"]], ref.std_errors, rtol=1e-9)


def test_regressor_of_interest_is_kept_over_control():
    d = synthetic()
    d["copy"] = d["x1"] * 3.0
    with pytest.warns(CollinearityWarning, match="copy"):
        res = fit_panel(d, spec(controls=["copy", "x2"]), "stkcd", "year")
    assert "x1" in res.params.index and res.dropped_terms == ("copy",)


def test_no_warning_when_nothing_dropped():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_panel(synthetic(), spec(), "stkcd", "year")


# ---------------------------------------------------------------------------------------------
# (f) pooled OLS


@pytest.mark.parametrize("vtype", ["unadjusted", "robust", "cluster"])
def test_pooled_equals_statsmodels_ols(vtype):
    d = synthetic()
    x = ["x1", "x2", "w"]
    res = fit_panel(d, spec(fe=[], vcov={"type": vtype}), "stkcd", "year")
    model = sm.OLS(d["y"], sm.add_constant(d[x]))
    ref = {
        "unadjusted": lambda: model.fit(),
        "robust": lambda: model.fit(cov_type="HC1"),
        # statsmodels' K = k + 1 = reghdfe's k + df_a (the intercept), so no rescaling
        "cluster": lambda: model.fit(cov_type="cluster", cov_kwds={"groups": codes_of(d["stkcd"])}),
    }[vtype]()
    np.testing.assert_allclose(res.params, ref.params[x], rtol=1e-10)
    np.testing.assert_allclose(res.std_errors, ref.bse[x], rtol=1e-9)
    r2 = ref.rsquared
    assert res.r2_within == pytest.approx(r2, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# (g) errors name the model and the column


def test_missing_column_error_names_model_and_column(tmp_path):
    path = tmp_path / "panel.parquet"
    synthetic().to_parquet(path)
    out = tmp_path / "est" / "base.csv"
    with pytest.raises(ValueError, match=r"'baseline'.*'roa'"):
        run_model(path, spec(controls=["x2", "roa"]), "baseline", "stkcd", "year", out)
    with pytest.raises(ValueError, match=r"'baseline'.*'sector'"):
        run_model(path, spec(vcov={"type": "cluster", "by": ["sector"]}), "baseline", "stkcd", "year", out)
    assert not out.exists()


def test_outcome_without_variation_after_fe(tmp_path):
    d = synthetic()
    d["firm_level"] = d.groupby("stkcd")["x1"].transform("mean")
    path = tmp_path / "panel.parquet"
    d.to_parquet(path)
    out = tmp_path / "m.csv"
    with pytest.raises(ValueError, match=r"'fe_only'.*outcome 'firm_level'.*no variation"):
        run_model(path, spec(outcome="firm_level"), "fe_only", "stkcd", "year", out)
    assert not out.exists() and not list(tmp_path.glob(".m.csv.*"))
    # pooled OLS of the same outcome is fine
    run_model(path, spec(outcome="firm_level", fe=[]), "pooled", "stkcd", "year", out)
    assert out.exists()


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"fe": ["industry^"]}, "fe items must be"),  # a column name is valid; a dangling "^" is not
        ({"fe": ["entity", "stkcd"]}, "same effect twice"),
        ({"vcov": {"type": "hc2"}}, "vcov.type"),
        ({"vcov": {"type": "robust", "by": ["stkcd"]}}, "only to type 'cluster'"),
        ({"lag": ["zz"]}, "not regressors or controls"),
        ({"regresors": ["x1"]}, "unknown key"),
        ({"controls": ["x1"]}, "both a regressor and a control"),
        ({"vcov": {"type": "cluster", "by": ["a", "b", "c"]}}, "one or two"),
    ],
)
def test_spec_errors_name_the_model(bad, match):
    with pytest.raises(ValueError, match=match) as info:
        parse_spec(spec(**bad), "het_soe", "stkcd", "year")
    assert "'het_soe'" in str(info.value)


def test_missing_cluster_values_are_listwise_deleted():
    d = synthetic()
    d["industry"] = d["industry"].astype(float)
    d.loc[d.index[:5], "industry"] = np.nan
    res = fit_panel(d, spec(vcov={"type": "cluster", "by": ["industry"]}), "stkcd", "year")
    assert res.n_missing == 5 and res.nobs + res.n_singletons == len(d) - 5
