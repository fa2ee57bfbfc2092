"""Stata's `_cons`, overall and adjusted R² of `fit_panel` (issue 10, item 7), against independent references.

* `_cons` of pooled OLS: statsmodels OLS intercept and its unadjusted / HC1 / clustered SE. statsmodels' cluster
  factor G/(G-1)(N-1)/(N-K) with K = k + 1 is reghdfe's for pooled OLS (df_a = 1), so no rescaling.
* `_cons` with absorbed effects (areg / reghdfe): ybar - xbar'b. areg's constant is the intercept of the LSDV
  regression whose dummies are *centred* (each dummy minus its sample mean; one dropped per effect): then the
  intercept is ybar - xbar'b - dbar_c'a = ybar - xbar'b. By Frisch-Waugh-Lovell, partialling the centred dummies
  out of [1, X] leaves [1, X̃ + x̄] (1 is orthogonal to them; span(1, D_c) = span(all dummies)), so that LSDV's
  (const, X) covariance block is the sandwich of (ỹ + ȳ) on [1, X̃ + x̄]: equal up to the small-sample factor,
  (N - K_sm)/(N - K - a) as in tests/test_models_panel.py. The intercept of an LSDV with uncentred dummies (one
  dropped) is the omitted level's effect instead: a different number (checked to differ).
* R²: pyfixest `feols` `_r2`, `_adj_r2`, `_r2_within`, `_adj_r2_within` (pyfixest counts sum(levels - 1) + 1
  absorbed parameters, reghdfe's count in a connected two-way panel; the difference on a disconnected panel is
  pinned below), and statsmodels `rsquared` / `rsquared_adj` for pooled OLS.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.api as sm
from fixtures.models.panels import synthetic
from statsmodels.datasets import grunfeld

from srdi.models import fit_panel, parse_spec, tidy
from srdi.models.tidy import FIT_STAT_COLUMNS, TIDY_COLUMNS
from srdi.models.within import codes_of

X = ["x1", "x2", "w"]


def spec(**kw) -> dict:
    base = {"kind": "panel", "outcome": "y", "regressors": ["x1"], "controls": ["x2", "w"], "lag": []}
    base.update(kw)
    return base


def hc3(**kw):
    """HC3 spec: config does not accept `type: hc3` yet (spec.VCOV_TYPES), so set it on the parsed spec."""
    return dataclasses.replace(parse_spec(spec(**kw), "model", "stkcd", "year"), vcov_type="hc3")


def centred_dummies(d: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    parts = [pd.get_dummies(d[c].astype(str), prefix=c, drop_first=True, dtype=float) for c in cols]
    dummies = pd.concat(parts, axis=1)
    return dummies - dummies.mean()


def sm_fit(model: sm.OLS, vtype: str, groups: np.ndarray | None = None):
    if vtype == "unadjusted":
        return model.fit()
    if vtype == "robust":
        return model.fit(cov_type="HC1")
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


# ---------------------------------------------------------------------------------------------
# _cons


@pytest.mark.parametrize("vtype", ["unadjusted", "robust", "cluster"])
def test_pooled_constant_equals_statsmodels_intercept(vtype):
    d = synthetic()
    res = fit_panel(d, spec(fe=[], vcov={"type": vtype}), "stkcd", "year")
    ref = sm_fit(sm.OLS(d["y"], sm.add_constant(d[X])), vtype, codes_of(d["stkcd"]))
    assert res.cons == pytest.approx(ref.params["const"], rel=1e-10)
    assert res.cons_se == pytest.approx(ref.bse["const"], rel=1e-8)
    names = ["const", *X]
    np.testing.assert_allclose(res.cov_cons.to_numpy(), ref.cov_params().loc[names, names], rtol=1e-8)
    inf = res.cons_inference()
    assert inf["statistic"] == pytest.approx(ref.tvalues["const"], rel=1e-8)
    if vtype == "unadjusted":  # statsmodels' robust/cluster p-values use the normal, ours t (as the slopes')
        assert inf["p_value"] == pytest.approx(ref.pvalues["const"], rel=1e-7)
        np.testing.assert_allclose([inf["conf_low"], inf["conf_high"]], ref.conf_int().loc["const"], rtol=1e-8)


def test_grunfeld_pooled_constant():
    """statsmodels' Grunfeld data without American Steel (Baltagi's 10 firms), R `lm(inv ~ value + capital)`."""
    d = grunfeld.load_pandas().data
    d = d[d["firm"] != "American Steel"].reset_index(drop=True).astype({"year": int})
    res = fit_panel(d, {"outcome": "invest", "regressors": ["value", "capital"], "lag": [], "fe": [],
                        "vcov": {"type": "unadjusted"}}, "firm", "year")
    ref = sm.OLS(d["invest"], sm.add_constant(d[["value", "capital"]])).fit()
    assert res.cons == pytest.approx(ref.params["const"], rel=1e-10)
    assert res.cons_se == pytest.approx(ref.bse["const"], rel=1e-9)


@pytest.mark.parametrize(
    ("fe", "vtype", "cluster", "a"),
    [
        (["entity"], "unadjusted", None, 0),
        (["entity"], "robust", None, 0),
        (["entity"], "cluster", "stkcd", 1),  # firm FE nested in firm clusters: df_a = 0, reghdfe's a = 1
        (["entity", "time"], "cluster", "stkcd", 0),
        (["entity", "time"], "cluster", "industry", 0),
        (["entity", "time"], "robust", None, 0),
    ],
)
def test_fe_constant_equals_centred_dummy_lsdv(fe, vtype, cluster, a):
    d = synthetic()
    vcov = {"type": vtype, "by": [cluster]} if cluster else {"type": vtype}
    res = fit_panel(d, spec(fe=fe, vcov=vcov), "stkcd", "year")
    dummy_cols = ["stkcd"] + (["year"] if "time" in fe else [])
    design = sm.add_constant(pd.concat([d[X], centred_dummies(d, dummy_cols)], axis=1))
    ref = sm_fit(sm.OLS(d["y"], design), vtype, codes_of(d[cluster]) if cluster else None)
    n, k_sm = len(d), design.shape[1]
    factor = {"unadjusted": (n - k_sm) / (n - res.k_total), "robust": (n - k_sm) / (n - res.k_total),
              "cluster": (n - k_sm) / (n - res.k_total - a)}[vtype]
    assert res.cons == pytest.approx(ref.params["const"], rel=1e-10)
    names = ["const", *X]
    np.testing.assert_allclose(res.cov_cons.to_numpy(), ref.cov_params().loc[names, names] * factor, rtol=1e-8)
    assert res.cons_se == pytest.approx(ref.bse["const"] * np.sqrt(factor), rel=1e-8)
    # the slopes' block of the constant's covariance is the existing slopes' covariance
    np.testing.assert_allclose(res.cov_cons.loc[X, X], res.cov.loc[X, X], rtol=1e-10)
    # areg's constant is ybar - xbar'b, not the intercept of an LSDV with uncentred dummies (a reference level)
    raw = [pd.get_dummies(d[c].astype(str), prefix=c, drop_first=True, dtype=float) for c in dummy_cols]
    plain = sm.OLS(d["y"], sm.add_constant(pd.concat([d[X], *raw], axis=1))).fit()
    np.testing.assert_allclose(plain.params[X], res.params[X], rtol=1e-8)
    assert abs(plain.params["const"] - res.cons) > 1e-3


def test_two_way_clustered_constant_matches_numpy_sandwich():
    """Firm & year clusters: CGM meat of [1, X̃] (M1 + M2 - M12), factor G/(G-1)(N-1)/(N-K-a), then A⁻¹ V A⁻ᵀ."""
    d = synthetic()
    res = fit_panel(d, spec(fe=["entity", "time"], vcov={"type": "cluster", "by": ["stkcd", "year"]}), "stkcd", "year")
    design = sm.add_constant(pd.concat([d[X], centred_dummies(d, ["stkcd", "year"])], axis=1)).to_numpy()
    beta, *_ = np.linalg.lstsq(design, d["y"].to_numpy(), rcond=None)
    e = d["y"].to_numpy() - design @ beta
    bread = np.linalg.inv(design.T @ design)
    scores = design * e[:, None]

    def meat(g: np.ndarray) -> np.ndarray:
        s = pd.DataFrame(scores).groupby(g).sum().to_numpy()
        return s.T @ s

    firm, year = codes_of(d["stkcd"]), codes_of(d["year"])
    both = codes_of(d["stkcd"] + "_" + d["year"].astype(str))
    n, g = len(d), min(firm.max(), year.max()) + 1
    q = g / (g - 1) * (n - 1) / (n - len(X) - 1)  # both effects nested in a cluster: df_a = 0, a = 1
    v = q * bread @ (meat(firm) + meat(year) - meat(both)) @ bread
    assert res.cons == pytest.approx(beta[0], rel=1e-10)
    np.testing.assert_allclose(res.cov_cons.to_numpy(), v[:4, :4], rtol=1e-8)


def test_tidy_constant_row_and_fit_stat_columns_are_opt_in():
    d = synthetic()
    res = fit_panel(d, spec(regressors=["x1"], controls=["x2", "w"], lag=["x1"]), "stkcd", "year")
    plain = tidy(res, "m")
    assert list(plain.columns) == list(TIDY_COLUMNS) and "_cons" not in set(plain["term"])
    full = tidy(res, "m", constant=True, fit_stats=True)
    at = list(full.columns).index("r2_within") + 1
    assert tuple(full.columns[at : at + 3]) == FIT_STAT_COLUMNS
    assert [c for c in full.columns if c not in FIT_STAT_COLUMNS] == list(TIDY_COLUMNS)
    assert full["term"].tolist() == ["x1", "x2", "w", "_cons"]
    assert full["lag"].tolist() == [1, 0, 0, 0] and full["lag"].dtype == "int64"
    cons = full.set_index("term").loc["_cons"]
    inf = res.cons_inference()
    assert cons["estimate"] == res.cons and cons["std_error"] == res.cons_se
    assert cons["statistic"] == inf["statistic"] and cons["p_value"] == inf["p_value"]
    assert cons["nobs"] == res.nobs and cons["n_clusters"] == res.n_clusters and cons["fe"] == "entity+time"
    pd.testing.assert_frame_equal(full.iloc[:3][list(TIDY_COLUMNS)], plain)  # the other rows are unchanged
    assert (full["r2"] == res.r2).all() and (full["r2_within_adj"] == res.r2_within_adj).all()


# ---------------------------------------------------------------------------------------------
# R²


@pytest.mark.parametrize(
    ("fe", "vcov", "pf_fml", "pf_vcov"),
    [
        (["entity", "time"], {"type": "cluster", "by": ["stkcd"]}, "y ~ x1 + x2 + w | stkcd + year", {"CRV1": "stkcd"}),
        (["entity", "time"], {"type": "robust"}, "y ~ x1 + x2 + w | stkcd + year", "hetero"),
        (["entity"], {"type": "cluster", "by": ["industry"]}, "y ~ x1 + x2 + w | stkcd", {"CRV1": "industry"}),
        (["time"], {"type": "unadjusted"}, "y ~ x1 + x2 + w | year", "iid"),
    ],
)
def test_r2_equals_pyfixest(fe, vcov, pf_fml, pf_vcov):
    """Nested levels (firm FE in firm or industry clusters) still count in the R² adjustment, as in reghdfe."""
    d = synthetic()
    res = fit_panel(d, spec(fe=fe, vcov=vcov), "stkcd", "year")
    ref = pf.feols(pf_fml, data=d, vcov=pf_vcov)
    np.testing.assert_allclose(res.params[X], ref.coef()[X], rtol=1e-8)
    assert res.r2 == pytest.approx(ref._r2, rel=1e-10)
    assert res.r2_adj == pytest.approx(ref._adj_r2, rel=1e-10)
    assert res.r2_within == pytest.approx(ref._r2_within, rel=1e-10)
    assert res.r2_within_adj == pytest.approx(ref._adj_r2_within, rel=1e-10)


@pytest.mark.parametrize("vtype", ["unadjusted", "cluster"])
def test_pooled_r2_equals_statsmodels(vtype):
    d = synthetic()
    res = fit_panel(d, spec(fe=[], vcov={"type": vtype}), "stkcd", "year")
    ref = sm.OLS(d["y"], sm.add_constant(d[X])).fit()
    assert res.r2 == pytest.approx(ref.rsquared, rel=1e-10)
    assert res.r2_adj == pytest.approx(ref.rsquared_adj, rel=1e-10)
    assert res.r2_within == pytest.approx(ref.rsquared, rel=1e-10)
    assert res.r2_within_adj == pytest.approx(ref.rsquared_adj, rel=1e-10)  # TSS_w = TSS, df_r + k = N - 1
    pf_ref = pf.feols("y ~ x1 + x2 + w", data=d)
    assert res.r2_adj == pytest.approx(pf_ref._adj_r2, rel=1e-10)


def test_disconnected_panel_r2_adj_counts_mobility_groups_unlike_pyfixest():
    """Two firm groups observed in disjoint years: reghdfe's df_a = F + T - 2, pyfixest's F + T - 1."""
    d = synthetic()
    early = d["stkcd"] < "F020"
    d = d[(early & (d["year"] < 2015)) | (~early & (d["year"] >= 2015))]
    d = d[d.groupby("stkcd")["y"].transform("size") > 1].reset_index(drop=True)  # no singleton firm
    res = fit_panel(d, spec(fe=["entity", "time"], vcov={"type": "unadjusted"}), "stkcd", "year")
    ref = pf.feols("y ~ x1 + x2 + w | stkcd + year", data=d, vcov="iid")
    n, f, t, k = len(d), d["stkcd"].nunique(), d["year"].nunique(), len(X)
    assert res.n_singletons == 0 and res.nobs == n == ref._N
    assert res.df_r_used == n - k - (f + t - 2)
    assert res.r2 == pytest.approx(ref._r2, rel=1e-10)
    assert res.r2_within == pytest.approx(ref._r2_within, rel=1e-10)
    # pyfixest's adjusted values, re-derived with its count, then ours with reghdfe's
    rss_tss = 1 - ref._r2
    assert ref._adj_r2 == pytest.approx(1 - rss_tss * (n - 1) / (n - k - (f + t - 1)), rel=1e-10)
    assert res.r2_adj == pytest.approx(1 - rss_tss * (n - 1) / (n - k - (f + t - 2)), rel=1e-10)
    rss_tssw = 1 - ref._r2_within
    assert res.r2_within_adj == pytest.approx(1 - rss_tssw * (n - (f + t - 2)) / (n - k - (f + t - 2)), rel=1e-10)
    assert res.r2_adj != pytest.approx(ref._adj_r2, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# HC3


def test_pooled_hc3_equals_statsmodels():
    d = synthetic()
    res = fit_panel(d, hc3(fe=[]), "stkcd", "year")
    ref = sm.OLS(d["y"], sm.add_constant(d[X])).fit(cov_type="HC3")
    np.testing.assert_allclose(res.std_errors[X], ref.bse[X], rtol=1e-10)
    assert res.cons_se == pytest.approx(ref.bse["const"], rel=1e-10)
    names = ["const", *X]
    np.testing.assert_allclose(res.cov_cons.to_numpy(), ref.cov_params().loc[names, names], rtol=1e-10)
    assert res.df_resid == len(d) - len(X) - 1 and tidy(res, "m")["vcov"].iat[0] == "hc3"
    # pyfixest's HC3 multiplies by its default small-sample factor N/(N-K); statsmodels (and we) do not
    n = len(d)
    pf_ref = pf.feols("y ~ x1 + x2 + w", data=d, vcov="HC3")
    np.testing.assert_allclose(res.std_errors[X] * np.sqrt(n / (n - len(X) - 1)), pf_ref.se()[X], rtol=1e-10)


def test_one_way_fe_hc3_equals_statsmodels_lsdv_hc3():
    """The LSDV hat matrix's diagonal is x̃'(X̃'X̃)⁻¹x̃ + 1/N_g: HC3 on the demeaned design alone would differ."""
    d = synthetic()
    res = fit_panel(d, hc3(fe=["entity"]), "stkcd", "year")
    design = sm.add_constant(pd.concat([d[X], centred_dummies(d, ["stkcd"])], axis=1))
    ref = sm.OLS(d["y"], design).fit(cov_type="HC3")
    names = ["const", *X]
    np.testing.assert_allclose(res.std_errors[X], ref.bse[X], rtol=1e-9)
    np.testing.assert_allclose(res.cov_cons.to_numpy(), ref.cov_params().loc[names, names], rtol=1e-9)
    with pytest.raises(Exception, match="HC2 and HC3"):  # pyfixest refuses HC3 with fixed effects
        pf.feols("y ~ x1 + x2 + w | stkcd", data=d, vcov="HC3")


def test_hc3_refused_with_two_effects():
    with pytest.raises(ValueError, match="hc3"):
        fit_panel(synthetic(), hc3(fe=["entity", "time"]), "stkcd", "year")
