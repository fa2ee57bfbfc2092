"""Analytic weights in `fit_panel` (`weights: column`; Stata aweights, pyfixest `feols(..., weights=)`).

References: pyfixest `feols` with `weights` (aweights: N = observations). Its default small-sample convention,
`ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")`, gives reghdfe's factor on the connected panels
below (firm effects nested in firm clusters count 0 and reghdfe's first remaining effect counts all its levels, as
pyfixest adds one back per fully nested effect), so estimates, covariances and fit statistics are compared directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from fixtures.models.panels import synthetic

from srdi.models import fit_panel
from srdi.models.hdfe import Absorber

X = ["x1", "x2", "w"]
TIGHT = pf.MapDemeaner(fixef_tol=1e-13)  # pyfixest's default 1e-6 leaves ~1e-8 relative error in the covariances


def spec(**kw) -> dict:
    base = {"kind": "panel", "outcome": "y", "regressors": ["x1"], "controls": ["x2", "w"], "lag": [], "weights": "wt"}
    base.update(kw)
    return base


CASES = [
    (["entity", "time"], {"type": "cluster", "by": ["stkcd"]}, "y ~ x1 + x2 + w | stkcd + year", {"CRV1": "stkcd"}),
    (["entity", "time"], {"type": "robust"}, "y ~ x1 + x2 + w | stkcd + year", "hetero"),
    (["entity", "time"], {"type": "unadjusted"}, "y ~ x1 + x2 + w | stkcd + year", "iid"),
    (["entity", "time"], {"type": "cluster", "by": ["stkcd", "year"]}, "y ~ x1 + x2 + w | stkcd + year",
     {"CRV1": "stkcd+year"}),
    (["entity"], {"type": "cluster", "by": ["industry"]}, "y ~ x1 + x2 + w | stkcd", {"CRV1": "industry"}),
    (["entity"], {"type": "cluster", "by": ["stkcd"]}, "y ~ x1 + x2 + w | stkcd", {"CRV1": "stkcd"}),
    (["entity"], {"type": "robust"}, "y ~ x1 + x2 + w | stkcd", "hetero"),
    (["time"], {"type": "unadjusted"}, "y ~ x1 + x2 + w | year", "iid"),
    ([], {"type": "cluster", "by": ["stkcd"]}, "y ~ x1 + x2 + w", {"CRV1": "stkcd"}),
    ([], {"type": "robust"}, "y ~ x1 + x2 + w", "hetero"),
    ([], {"type": "unadjusted"}, "y ~ x1 + x2 + w", "iid"),
]


@pytest.mark.parametrize(("fe", "vcov", "pf_fml", "pf_vcov"), CASES)
def test_weighted_estimates_and_vcov_equal_pyfixest(fe, vcov, pf_fml, pf_vcov):
    d = synthetic()
    res = fit_panel(d, spec(fe=fe, vcov=vcov), "stkcd", "year")
    ref = pf.feols(pf_fml, data=d, vcov=pf_vcov, weights="wt", demeaner=TIGHT)
    assert res.nobs == ref._N == len(d)
    np.testing.assert_allclose(res.params[X], ref.coef()[X], rtol=1e-8)
    np.testing.assert_allclose(res.std_errors[X], ref.se()[X], rtol=1e-8)
    np.testing.assert_allclose(res.cov.loc[X, X], pd.DataFrame(ref._vcov, ref._coefnames, ref._coefnames).loc[X, X],
                               rtol=1e-8, atol=1e-14)
    assert res.r2 == pytest.approx(ref._r2, rel=1e-9)
    assert res.r2_adj == pytest.approx(ref._adj_r2, rel=1e-9)
    if fe:
        assert res.r2_within == pytest.approx(ref._r2_within, rel=1e-9)
        assert res.r2_within_adj == pytest.approx(ref._adj_r2_within, rel=1e-9)
    else:  # pooled: the intercept and its SE are pyfixest's
        assert res.cons == pytest.approx(ref.coef()["Intercept"], rel=1e-8)
        assert res.cons_se == pytest.approx(ref.se()["Intercept"], rel=1e-8)
        cov = pd.DataFrame(ref._vcov, ref._coefnames, ref._coefnames)
        np.testing.assert_allclose(res.cov_cons.loc["_cons", X], cov.loc["Intercept", X], rtol=1e-7, atol=1e-14)


@pytest.mark.parametrize("vcov", [{"type": "cluster", "by": ["stkcd"]}, {"type": "robust"}, {"type": "unadjusted"}])
def test_weighted_cons_equals_weighted_lsdv_with_centred_dummies(vcov):
    """reghdfe's `_cons` with aweights: ȳ_w - x̄_w'b; its SE that of WLS with dummies centred at their weighted means.

    The dummies' model has K = k + 1 + F - 1 + T - 1 parameters, ours K = k + df_a (+ a): pyfixest's ssc is
    switched off on both sides of the comparison and our own factor `vcov_scale` applied.
    """
    d = synthetic()
    res = fit_panel(d, spec(fe=["entity", "time"], vcov=vcov), "stkcd", "year")
    wt = d["wt"].to_numpy()
    dummies = pd.concat([pd.get_dummies(d[c].astype(str), prefix=c, drop_first=True, dtype=float)
                         for c in ["stkcd", "year"]], axis=1)
    dummies = dummies - wt @ dummies.to_numpy() / wt.sum()
    dummies.columns = [f"D{j}" for j in range(dummies.shape[1])]
    big = pd.concat([d, dummies], axis=1)
    pf_vcov = {"cluster": {"CRV1": "stkcd"}, "robust": "hetero", "unadjusted": "iid"}[vcov["type"]]
    ref = pf.feols("y ~ x1 + x2 + w + " + "+".join(dummies.columns), data=big, vcov=pf_vcov, weights="wt",
                   ssc=pf.ssc(k_adj=False, G_adj=False))
    assert res.cons == pytest.approx(ref.coef()["Intercept"], rel=1e-9)
    np.testing.assert_allclose(res.params[X], ref.coef()[X], rtol=1e-8)
    raw = ref.se()["Intercept"] ** 2  # no ssc: iid uses e'We/(N-1)
    scale = res.vcov_scale * (len(d) - 1) if vcov["type"] == "unadjusted" else res.vcov_scale
    assert res.cons_se**2 == pytest.approx(raw * scale, rel=1e-8)


@pytest.mark.parametrize(("fe", "vcov"), [(c[0], c[1]) for c in CASES])
def test_unit_weights_give_the_unweighted_results_exactly(fe, vcov):
    d = synthetic()
    a = fit_panel(d, spec(fe=fe, vcov=vcov, weights="one"), "stkcd", "year")
    b = fit_panel(d, {k: v for k, v in spec(fe=fe, vcov=vcov).items() if k != "weights"}, "stkcd", "year")
    for field in ("params", "std_errors", "tstats", "pvalues", "conf_low", "conf_high"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=1e-12, atol=1e-15)
    for field in ("cons", "cons_se", "r2", "r2_adj", "r2_within", "r2_within_adj", "vcov_scale"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-12, abs=1e-15)
    facts = ("nobs", "df_resid", "df_a", "k_total", "n_clusters")
    assert [getattr(a, f) for f in facts] == [getattr(b, f) for f in facts]


@pytest.mark.parametrize("fe", [["entity", "time"], ["entity"], ["entity", "industry^time"], []])
def test_integer_weights_equal_duplicated_rows_for_the_estimates(fe):
    d = synthetic()
    res = fit_panel(d, spec(fe=fe, vcov={"type": "robust"}, weights="iw"), "stkcd", "year")
    dup = d.loc[d.index.repeat(d["iw"])].reset_index(drop=True)
    ref = fit_panel(dup, {k: v for k, v in spec(fe=fe, vcov={"type": "robust"}).items() if k != "weights"},
                    "stkcd", "year")
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-9)
    assert res.cons == pytest.approx(ref.cons, rel=1e-9)
    assert res.r2 == pytest.approx(ref.r2, rel=1e-9)
    assert res.r2_within == pytest.approx(ref.r2_within, rel=1e-9)
    assert res.nobs == len(d) < ref.nobs  # N counts observations, not the sum of weights


def test_weighted_alternating_projections_equal_the_exact_two_way_step():
    d = synthetic()
    codes = [pd.factorize(d[c], sort=True)[0] for c in ("stkcd", "year")]
    wt = d["wt"].to_numpy()
    a = np.asfortranarray(d[["y", "x1"]].to_numpy(dtype=float))
    exact = Absorber(codes, weights=wt)
    assert exact.exact
    iterative = Absorber(codes, weights=wt, exact_max_levels=0)
    assert not iterative.exact
    np.testing.assert_allclose(iterative.demean(a.copy(order="F")), exact.demean(a.copy(order="F")), atol=1e-10)
    # and the weighted residual is w-orthogonal to every dummy
    r = exact.demean(a.copy(order="F"))
    for c in codes:
        sums = np.stack([np.bincount(c, weights=wt * r[:, j]) for j in range(2)], 1)
        np.testing.assert_allclose(sums, 0, atol=1e-9)


def test_three_effects_weighted_equal_pyfixest():
    d = synthetic()
    res = fit_panel(d, spec(fe=["entity", "time", "industry^time"], vcov={"type": "cluster", "by": ["stkcd"]}),
                    "stkcd", "year")
    d["ind_year"] = d["industry"].astype(str) + "_" + d["year"].astype(str)
    ref = pf.feols("y ~ x1 + x2 + w | stkcd + year + ind_year", data=d, vcov={"CRV1": "stkcd"}, weights="wt",
                   demeaner=TIGHT)
    np.testing.assert_allclose(res.params[X], ref.coef()[X], rtol=1e-8)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_bad_weights_are_an_error_naming_model_column_and_rows(bad):
    d = synthetic()
    d.loc[3, "wt"] = bad
    with pytest.raises(ValueError, match=r"model 'model': weights column 'wt' .*1 row\(s\).*stkcd=F000, year="):
        fit_panel(d, spec(), "stkcd", "year")


def test_bad_weights_outside_the_estimation_rows_are_ignored():
    d = synthetic()
    d.loc[3, ["wt", "x1"]] = [np.nan, np.nan]  # dropped by listwise deletion anyway
    res = fit_panel(d, spec(), "stkcd", "year")
    assert res.n_missing == 1


def test_weights_column_must_exist_and_hc3_is_refused():
    d = synthetic()
    with pytest.raises(ValueError, match="column 'nope' is not in the panel"):
        fit_panel(d, spec(weights="nope"), "stkcd", "year")
    import dataclasses

    from srdi.models import parse_spec

    hc3 = dataclasses.replace(parse_spec(spec(fe=["entity"]), "model", "stkcd", "year"), vcov_type="hc3")
    with pytest.raises(ValueError, match="hc3"):
        fit_panel(d, hc3, "stkcd", "year")
