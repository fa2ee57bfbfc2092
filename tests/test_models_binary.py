"""Binary kind: conditional logit against Chamberlain's T = 2 result, LPM against fit_panel, errors.

For T = 2, the conditional likelihood of a firm with y1 + y2 = 1 is the logit of 1[y2 = 1] on
x2 - x1 (Chamberlain 1980); with year effects the year-2 dummy difference is 1, i.e. an intercept.
Firms with y1 = y2 drop out. The reference below is statsmodels `Logit` (analytic scores and
Hessian) on that differenced sample, computed independently of the conditional-logit code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from srdi.models import fit_panel
from srdi.models.kinds import fitter_for


def two_period(seed: int = 2, n_firms: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"firm": np.repeat(np.arange(n_firms), 2), "year": np.tile([2020, 2021], n_firms)})
    n = len(d)
    alpha = np.repeat(rng.normal(size=n_firms), 2)
    d["x"] = rng.normal(size=n) + 0.5 * alpha
    d["w"] = rng.normal(size=n)
    index = 0.8 * d["x"] - 0.5 * d["w"] + alpha + 0.3 * (d["year"] == 2021)
    d["y"] = (rng.random(n) < 1 / (1 + np.exp(-index))).astype(int)
    return d


def differenced(d: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    wide = d.pivot(index="firm", columns="year", values=["y", "x", "w"])
    switch = wide[("y", 2020)] != wide[("y", 2021)]
    w = wide[switch]
    dx = pd.DataFrame({c: w[(c, 2021)] - w[(c, 2020)] for c in ("x", "w")})
    return w[("y", 2021)].astype(float), dx


def run(d: pd.DataFrame, **kw) -> pd.DataFrame:
    spec = {"kind": "binary", "outcome": "y", "regressors": ["x"], "controls": ["w"], "lag": [], **kw}
    return fitter_for("binary", "bin")(d, spec, "bin", "firm", "year", 0)


@pytest.mark.parametrize("fe", [["entity"], ["entity", "time"]])
def test_clogit_equals_logit_of_the_change_for_two_periods(fe):
    d = two_period()
    out = run(d, fe=fe, methods=["clogit"], vcov={"type": "unadjusted"}).set_index("term")
    y2, dx = differenced(d)
    exog = sm.add_constant(dx) if "time" in fe else dx
    ref = sm.Logit(y2, exog).fit(disp=False, tol=1e-12)
    np.testing.assert_allclose(out.loc[["x", "w"], "estimate"], ref.params[["x", "w"]], rtol=1e-6)
    np.testing.assert_allclose(out.loc[["x", "w"], "std_error"], ref.bse[["x", "w"]], rtol=1e-4)
    assert (out["nobs"] == 2 * len(y2)).all()
    assert (out["n_singletons"] == len(d) - 2 * len(y2)).all()  # firms without a change
    assert out["r2_within"].isna().all() and (out["equation"] == "clogit").all()
    assert out["statistic"].iloc[0] == pytest.approx(out["estimate"].iloc[0] / out["std_error"].iloc[0])


def test_clogit_cluster_se_is_the_firm_sandwich_of_the_differenced_logit():
    d = two_period()
    out = run(d, fe=["entity", "time"], methods=["clogit"]).set_index("term")
    y2, dx = differenced(d)
    exog = sm.add_constant(dx)
    ref = sm.Logit(y2, exog).fit(disp=False, tol=1e-12)
    scores = ref.model.score_obs(ref.params)  # one firm = one observation of the differenced logit
    h_inv = np.linalg.inv(-ref.model.hessian(ref.params))
    g = len(y2)
    cov = g / (g - 1) * h_inv @ scores.T @ scores @ h_inv
    np.testing.assert_allclose(out.loc[["x", "w"], "std_error"], np.sqrt(np.diag(cov))[1:], rtol=1e-4)
    assert (out["vcov"] == "cluster:firm").all() and (out["n_clusters"] == g).all()


def test_lpm_rows_equal_fit_panel():
    d = two_period(n_firms=200)
    d = pd.concat([d, d.assign(year=d["year"] + 2, y=1 - d["y"])], ignore_index=True)  # four years
    out = run(d, methods=["lpm"]).set_index("term")
    ref = fit_panel(d, {"outcome": "y", "regressors": ["x"], "controls": ["w"], "lag": []}, "firm", "year")
    np.testing.assert_allclose(out.loc[["x", "w"], "estimate"], ref.params[["x", "w"]], rtol=1e-12)
    np.testing.assert_allclose(out.loc[["x", "w"], "std_error"], ref.std_errors[["x", "w"]], rtol=1e-12)
    assert (out["equation"] == "lpm").all() and (out["nobs"] == ref.nobs).all()


def test_default_methods_give_lpm_then_clogit_rows():
    out = run(two_period())
    assert out["equation"].tolist() == ["lpm", "lpm", "clogit", "clogit"]
    assert out["term"].tolist() == ["x", "w", "x", "w"]


def test_errors_name_model_and_column():
    d = two_period()
    with pytest.raises(ValueError, match=r"model 'bin'.*column 'w'"):
        run(d.drop(columns="w"))
    with pytest.raises(ValueError, match=r"model 'bin'.*outcome 'y' must be 0/1"):
        run(d.assign(y=d["y"] * 2))
    with pytest.raises(ValueError, match=r"model 'bin'.*methods"):
        run(d, methods=["probit"])
    with pytest.raises(ValueError, match=r"model 'bin'.*clogit.*fe"):
        run(d, fe=["time"])


def test_absorbing_outcome_with_year_effects_is_refused_with_a_reason():
    """Every firm switches 0 -> 1 at the end: a steep year trend predicts each pattern perfectly."""
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"firm": np.repeat(np.arange(50), 5), "year": np.tile(np.arange(2018, 2023), 50)})
    d["x"], d["w"] = rng.normal(size=len(d)), rng.normal(size=len(d))
    start = np.repeat(rng.integers(2019, 2023, size=50), 5)
    d["y"] = (d["year"] >= start).astype(int)
    with pytest.raises(ValueError, match=r"model 'bin'.*absorbing"):
        run(d, methods=["clogit"])
    out = run(d, methods=["clogit"], fe=["entity"])  # identified without year effects
    assert (out["nobs"] == len(d)).all()


def test_clogit_without_finite_estimate_is_an_error_not_empty_estimates(monkeypatch):
    # On the default demo statsmodels' conditional likelihood overflows (coefficients run off under
    # quasi-separation) and returns NaN estimates; that must stop the model, not write empty estimates.
    from statsmodels.discrete import conditional_models  # binary imports it when a clogit is fitted

    class Overflowing(conditional_models.ConditionalLogit):
        def fit(self, *args, **kwargs):
            res = super().fit(*args, **kwargs)
            res.params = np.full_like(np.asarray(res.params), np.nan)
            return res

    monkeypatch.setattr(conditional_models, "ConditionalLogit", Overflowing)
    rng = np.random.default_rng(3)
    panel = pd.DataFrame([{"firm": f, "year": y, "x": rng.normal()} for f in range(30) for y in range(2010, 2016)])
    panel["y"] = (panel["x"] + rng.normal(size=len(panel)) > 0).astype(int)
    spec = {"kind": "binary", "outcome": "y", "regressors": ["x"], "fe": ["entity"], "methods": ["clogit"]}
    with pytest.raises(ValueError, match=r"model 'sep': the conditional logit has no finite estimate"):
        fitter_for("binary", "sep")(panel, spec, "sep", "firm", "year", 0)
