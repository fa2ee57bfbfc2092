"""Reference tests of the classic Hausman test and the Mundlak (Wooldridge auxiliary-regression) test.

* Published: R plm `phtest(plm(inv ~ value + capital, model = "within"), plm(..., model = "random"))` on Grunfeld
  (plm's data = statsmodels' Grunfeld without American Steel), as printed in plm's tutorials:
  "chisq = 2.3304, df = 2, p-value = 0.3119". plm's within and Swamy-Arora random models use the same
  covariances as xtreg fe / xtreg re on a balanced panel (tests/test_random_effects.py), so this is also
  Stata's default `hausman fe re`.
* Hand-coded: the quadratic form written out in numpy from two other implementations (statsmodels OLS with
  entity dummies for FE, linearmodels RandomEffects for RE), and linearmodels' `RandomEffectsResults.hausman`
  (default, sigmamore, sigmaless) at 1e-6.
* Mundlak: FE equivalence (the time-varying regressors' coefficients equal the within estimates) at 1e-10; the
  clustered Wald statistic against statsmodels OLS (`cov_type="cluster"`, whose factor G/(G-1)(N-1)/(N-K) is
  Stata regress's) + its `wald_test`, and against linearmodels RandomEffects on the augmented data
  (debiased=True, group_debias=True = xtreg re vce(cluster)) with the Wald form in numpy. No published
  cluster-robust Mundlak statistic on a packaged dataset was found, so none is quoted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels import PanelOLS, RandomEffects
from linearmodels.datasets import wage_panel
from statsmodels.datasets import grunfeld

from srdi.models.hausman import (
    NEGATIVE_NOTE,
    NOT_PD_NOTE,
    hausman_fe_re,
    hausman_statistic,
    mundlak_test,
    tidy_tests,
)
from srdi.models.random_effects import fit_random_effects
from srdi.models.spec import parse_spec
from srdi.models.tidy import TIDY_COLUMNS


def grunfeld10() -> pd.DataFrame:
    g = grunfeld.load_pandas().data
    return g[g["firm"] != "American Steel"].astype({"year": int}).reset_index(drop=True)


GRUNFELD = {"outcome": "invest", "regressors": ["value", "capital"], "fe": ["entity"], "lag": []}


def test_grunfeld_matches_plm_phtest():
    res = hausman_fe_re(grunfeld10(), GRUNFELD, "firm", "year")
    assert res.statistic == pytest.approx(2.3304, abs=5e-5)
    assert res.df == 2
    assert res.p_value == pytest.approx(0.3119, abs=5e-5)
    assert res.positive_definite and res.note == ""
    assert res.table["term"].tolist() == ["value", "capital"]


def test_formula_by_hand_from_two_other_implementations():
    d = grunfeld10()
    dummies = pd.get_dummies(d["firm"], drop_first=True, dtype=float)
    lsdv = sm.OLS(d["invest"], sm.add_constant(pd.concat([d[["value", "capital"]], dummies], axis=1))).fit()
    frame = d.set_index(["firm", "year"])
    re = RandomEffects(frame["invest"], sm.add_constant(frame[["value", "capital"]])).fit(debiased=True)
    names = ["value", "capital"]
    delta = lsdv.params[names].to_numpy() - re.params[names].to_numpy()
    diff = lsdv.cov_params().loc[names, names].to_numpy() - re.cov.loc[names, names].to_numpy()
    by_hand = float(delta @ np.linalg.solve(diff, delta))
    res = hausman_fe_re(d, GRUNFELD, "firm", "year")
    assert res.statistic == pytest.approx(by_hand, rel=1e-8)
    assert hausman_statistic(lsdv.params[names], lsdv.cov_params().loc[names, names], re.params[names],
                             re.cov.loc[names, names])[0] == pytest.approx(by_hand, rel=1e-12)


def wage_models(d: pd.DataFrame, xs: list[str]):
    frame = d.set_index(["nr", "year"])
    fe = PanelOLS(frame["lwage"], frame[xs], entity_effects=True).fit(debiased=True)
    re = RandomEffects(frame["lwage"], sm.add_constant(frame[xs])).fit(debiased=True)
    return fe, re


@pytest.mark.parametrize("sigma,flags", [("default", {}), ("more", {"sigmamore": True}),
                                         ("less", {"sigmaless": True})])
def test_matches_linearmodels_hausman_unbalanced(sigma, flags):
    d = wage_panel.load()
    d = d[np.random.default_rng(2).random(len(d)) > 0.3].reset_index(drop=True)
    xs = ["expersq", "married", "union", "hours"]
    fe, re = wage_models(d, xs)
    ref = re.hausman(fe, **flags)
    ours = hausman_fe_re(d, {"outcome": "lwage", "regressors": xs, "fe": ["entity"], "lag": []}, "nr", "year",
                         sigma=sigma)
    assert ours.statistic == pytest.approx(ref.statistic.stat, rel=1e-6)
    assert ours.df == ref.statistic.df == 4
    assert ours.p_value == pytest.approx(ref.statistic.pval, rel=1e-5, abs=1e-12)
    np.testing.assert_allclose(ours.table["difference"], ref.estimates["b0-b1"], rtol=1e-6)


def test_sigmamore_uses_re_rmse_and_fe_sigma_e():
    d = grunfeld10()
    base = hausman_fe_re(d, GRUNFELD, "firm", "year")
    more = hausman_fe_re(d, GRUNFELD, "firm", "year", sigma="more")
    scale = base.re.rmse**2 / base.fe.sigma2_e
    v = base.fe.cov.to_numpy() * scale - base.re.cov.loc[["value", "capital"], ["value", "capital"]].to_numpy()
    delta = base.table["difference"].to_numpy()
    assert more.statistic == pytest.approx(float(delta @ np.linalg.solve(v, delta)), rel=1e-12)
    assert more.statistic != pytest.approx(base.statistic, rel=1e-3)


@pytest.mark.parametrize("seed,negative", [(5, False), (51, True)])
def test_negative_definite_difference_is_reported_as_stata_does(seed, negative):
    rng = np.random.default_rng(seed)
    n, t = 12, 3
    ent = np.repeat(np.arange(n), t)
    x = rng.standard_normal((n * t, 2))
    y = x.sum(1) + np.repeat(rng.standard_normal(n), t) + rng.standard_normal(n * t)
    d = pd.DataFrame({"id": ent, "year": np.tile(np.arange(2000, 2000 + t), n), "y": y, "x0": x[:, 0], "x1": x[:, 1]})
    res = hausman_fe_re(d, {"outcome": "y", "regressors": ["x0", "x1"], "fe": ["entity"], "lag": []}, "id", "year")
    assert not res.positive_definite and NOT_PD_NOTE in res.note
    fe, re = res.fe, res.re
    delta = fe.params.to_numpy() - re.params[["x0", "x1"]].to_numpy()
    diff = fe.cov.to_numpy() - re.cov.loc[["x0", "x1"], ["x0", "x1"]].to_numpy()
    assert np.linalg.eigvalsh(diff).min() < 0  # the premise: an indefinite, nonsingular difference
    assert res.statistic == pytest.approx(float(delta @ np.linalg.solve(diff, delta)), rel=1e-10)
    assert res.df == 2
    assert (res.statistic < 0) == negative
    if negative:
        assert np.isnan(res.p_value) and NEGATIVE_NOTE in res.note
    else:
        assert res.p_value > 0 and NEGATIVE_NOTE not in res.note


def test_singular_difference_uses_generalized_inverse_and_rank():
    b_c, b_e = np.array([1.0, 2.0]), np.array([0.5, 1.0])
    v = np.array([[2.0, 1.0], [1.0, 0.5]])  # rank 1
    stat, df, pd_ok = hausman_statistic(b_c, v + np.eye(2), b_e, np.eye(2))
    assert df == 1 and not pd_ok
    assert stat == pytest.approx(float(np.array([0.5, 1.0]) @ np.linalg.pinv(v) @ np.array([0.5, 1.0])), rel=1e-10)


def test_time_dummies_are_compared_unless_terms_are_given():
    d = wage_panel.load()
    spec = {"outcome": "lwage", "regressors": ["married", "union"], "controls": ["expersq"],
            "fe": ["entity", "time"], "lag": []}
    res = hausman_fe_re(d, spec, "nr", "year")
    assert res.df == 3 + 7 and res.table["term"].iloc[-1] == "year=1987"
    only = hausman_fe_re(d, spec, "nr", "year", terms=["married", "union"])
    assert only.df == 2
    with pytest.raises(ValueError, match="educ"):
        hausman_fe_re(d, {**spec, "controls": ["educ"]}, "nr", "year", terms=["educ"])


# ---------------------------------------------------------------------------------------------
# Mundlak


def augmented(d: pd.DataFrame, xs: list[str], with_dummies: bool) -> pd.DataFrame:
    out = d.copy()
    cols = list(xs)
    if with_dummies:
        for t in sorted(d["year"].unique())[1:]:
            out[f"year={t}"] = (d["year"] == t).astype(float)
            cols.append(f"year={t}")
    for c in cols:
        m = out.groupby("nr")[c].transform("mean")
        if (out[c] != m).any() and m.nunique() > 1:  # varies within persons, and its mean across them
            out[f"mean({c})"] = m
    return out


@pytest.mark.parametrize("balanced", [True, False])
@pytest.mark.parametrize("method", ["re", "pooled"])
def test_mundlak_coefficients_equal_fe(balanced, method):
    d = wage_panel.load()
    if not balanced:
        d = d[np.random.default_rng(8).random(len(d)) > 0.3].reset_index(drop=True)
    spec = {"outcome": "lwage", "regressors": ["union"], "controls": ["married", "expersq", "educ"],
            "fe": ["entity", "time"], "lag": [], "vcov": {"type": "cluster", "by": ["nr"]}}
    res = mundlak_test(d, spec, "nr", "year", method=method)
    from srdi.models import fit_panel

    fe = fit_panel(d, {**spec, "controls": ["married", "expersq"]}, "nr", "year")
    for term in ["union", "married", "expersq"]:
        assert res.params[term] == pytest.approx(fe.params[term], abs=1e-10)
    assert res.tested == ("mean(union)", "mean(married)", "mean(expersq)")
    assert res.df == 3


def test_mundlak_pooled_matches_statsmodels_cluster_wald():
    d = wage_panel.load()
    d = d[np.random.default_rng(4).random(len(d)) > 0.2].reset_index(drop=True)
    xs = ["union", "married", "expersq"]
    spec = {"outcome": "lwage", "regressors": ["union"], "controls": ["married", "expersq", "educ"],
            "fe": ["entity", "time"], "lag": [], "vcov": {"type": "cluster", "by": ["nr"]}}
    res = mundlak_test(d, spec, "nr", "year", method="pooled")
    a = augmented(d, [*xs, "educ"], with_dummies=True)
    cols = [c for c in a.columns if c in [*xs, "educ"] or c.startswith("year=") or c.startswith("mean(")]
    fit = sm.OLS(a["lwage"], sm.add_constant(a[cols])).fit(cov_type="cluster", cov_kwds={"groups": a["nr"]})
    tested = [f"mean({c})" for c in xs]
    r = np.zeros((3, len(fit.params)))
    for i, c in enumerate(tested):
        r[i, list(fit.params.index).index(c)] = 1.0
    wt = fit.wald_test(r, use_f=True, scalar=True)
    assert res.statistic == pytest.approx(float(wt.statistic), rel=1e-8)
    assert res.df_denom == d["nr"].nunique() - 1
    assert res.p_value == pytest.approx(float(wt.pvalue), rel=1e-6)


def test_mundlak_re_matches_linearmodels_cluster_wald():
    d = wage_panel.load()
    d = d[np.random.default_rng(6).random(len(d)) > 0.2].reset_index(drop=True)
    xs = ["union", "married", "expersq"]
    spec = {"outcome": "lwage", "regressors": xs, "fe": ["entity", "time"], "lag": [],
            "vcov": {"type": "cluster", "by": ["nr"]}}
    res = mundlak_test(d, spec, "nr", "year", method="re")
    a = augmented(d, xs, with_dummies=True).set_index(["nr", "year"])
    cols = [c for c in a.columns if c in xs or c.startswith("year=") or c.startswith("mean(")]
    fit = RandomEffects(a["lwage"], sm.add_constant(a[cols])).fit(
        cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    tested = [f"mean({c})" for c in xs]
    b = fit.params[tested].to_numpy()
    wald = float(b @ np.linalg.solve(fit.cov.loc[tested, tested].to_numpy(), b))
    assert res.wald == pytest.approx(wald, rel=1e-6)
    assert res.statistic == res.wald and res.df_denom is None
    # the means are time-invariant: the variance components equal the plain RE model's (same theta)
    plain = fit_random_effects(d, spec, "nr", "year")
    assert fit.theta["theta"].to_numpy() == pytest.approx(plain.theta.to_numpy(), rel=1e-9)


def test_mundlak_refuses_all_time_invariant_terms():
    d = wage_panel.load()
    with pytest.raises(ValueError, match="varies within"):
        mundlak_test(d, {"outcome": "lwage", "regressors": ["educ"], "fe": ["entity"], "lag": []}, "nr", "year")


def test_tidy_rows():
    d = grunfeld10()
    h = hausman_fe_re(d, GRUNFELD, "firm", "year")
    m = mundlak_test(d, {**GRUNFELD, "vcov": {"type": "cluster", "by": ["firm"]}}, "firm", "year")
    spec = parse_spec({**GRUNFELD, "vcov": {"type": "cluster", "by": ["firm"]}}, "m", "firm", "year")
    out = tidy_tests("m", spec, h, m)
    assert tuple(out.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    assert out["term"].tolist() == ["hausman_fe_re", "mundlak"]
    assert out["statistic"].iloc[0] == pytest.approx(2.3304, abs=5e-5)
    assert out["estimate"].isna().all() and out["df"].tolist() == [2, 2]
