"""Wild cluster bootstrap (WCR) against wildboottest 0.3.2, pyfixest 0.60 and a brute-force LSDV refit.

Conventions checked (docs/estimation.md, "Wild cluster bootstrap"): full Rademacher enumeration when
2^G <= reps; t with the caller's CRV1 factor, which cancels in p and in the interval; symmetric p counting
|t*| > |t| (exact ties, i.e. the all-ones and all-minus-ones sign vectors, not counted); effects not nested
in the clusters re-absorbed in every draw, as a dummy-variable bootstrap.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from srdi.models import wild_bootstrap
from srdi.models.panel import fit_panel
from srdi.models.wild_bootstrap import WEBB_POINTS, wild_bootstrap_panel, wild_cluster_bootstrap, wild_weights
from srdi.models.within import demean

wbt = pytest.importorskip("wildboottest.wildboottest")


def make_panel(seed: int, n_ind: int = 10, firms_per: int = 8, years: int = 6, beta: float = 0.1) -> pd.DataFrame:
    """Firms nested in industries, heteroskedastic industry-level shocks; years 0 and 1 always present (no
    singletons), later years missing at random (unbalanced)."""
    rng = np.random.default_rng(seed)
    firm = np.repeat(np.arange(n_ind * firms_per), years)
    year = np.tile(np.arange(years), n_ind * firms_per)
    keep = (year < 2) | (rng.random(firm.size) < 0.8)
    firm, year = firm[keep], year[keep]
    ind = firm // firms_per
    n = firm.size
    x = rng.normal(size=n) + rng.normal(size=n_ind)[ind] + 0.3 * year
    c = rng.normal(size=(n, 2))
    sd = 1 + 2 * rng.random(n_ind)[ind]
    y = (beta * x + c @ [0.5, -0.2] + rng.normal(size=n_ind * firms_per)[firm] + 0.2 * year
         + sd * rng.normal(size=n) + 0.5 * rng.normal(size=n_ind)[ind] * x)
    return pd.DataFrame({"firm": firm, "year": year + 2011, "ind": ind, "x": x, "c1": c[:, 0], "c2": c[:, 1], "y": y})


def lsdv_design(d: pd.DataFrame) -> np.ndarray:
    """[x c1 c2, firm dummies, year dummies but the first]: full-rank explicit-dummy design."""
    f = pd.get_dummies(d["firm"]).to_numpy(float)
    t = pd.get_dummies(d["year"]).to_numpy(float)[:, 1:]
    return np.column_stack([d[["x", "c1", "c2"]].to_numpy(), f, t])


def run_wbt(x: np.ndarray, y: np.ndarray, cluster: np.ndarray, b: int, weights: str = "rademacher", seed: int = 7):
    """wildboottest's WCR '11' bootstrap of the first column (its documented call sequence)."""
    r = np.zeros(x.shape[1])
    r[0] = 1.0
    boot = wbt.WildboottestCL(X=x, Y=y, cluster=cluster, R=r, B=b, seed=seed, parallel=False)
    boot.get_scores(bootstrap_type="11", impose_null=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot.get_weights(weights_type=weights)
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    return boot


def p_ties_excluded(t: float, t_boot: np.ndarray) -> float:
    """Symmetric p with exact ties (equal up to rounding) not counted: our documented rule."""
    return float(np.mean(np.abs(t_boot) > abs(t) * (1 + 1e-9)))


def demeaned(d: pd.DataFrame, fe: list[str]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    codes = [d[f].to_numpy() for f in fe]
    codes = [pd.factorize(c, sort=True)[0] for c in codes]
    xd = demean(d[["x", "c1", "c2"]].to_numpy(), codes)
    yd = demean(d["y"].to_numpy(), codes).ravel()
    return xd, yd, codes


# ------------------------------------------------------------------------------------------ weights


def test_weights_enumeration_rule_and_values():
    v, full = wild_weights(10, 1024, "rademacher", seed=1)
    assert full and v.shape == (1024, 10)
    assert len({tuple(row) for row in v}) == 1024  # every sign vector once
    v, full = wild_weights(10, 1023, "rademacher", seed=1)  # 2^G > reps: random draws
    assert not full and v.shape == (1023, 10) and set(np.unique(v)) == {-1.0, 1.0}
    w, full = wild_weights(40, 60_000, "webb", seed=3)
    assert not full
    assert set(np.round(np.unique(w), 12)) == set(np.round(WEBB_POINTS, 12))
    assert abs(w.mean()) < 0.01 and abs((w**2).mean() - 1) < 0.01  # mean 0, variance 1
    counts = np.unique(w, return_counts=True)[1] / w.size
    assert np.allclose(counts, 1 / 6, atol=0.005)


def test_bad_arguments():
    d = make_panel(0)
    xd, yd, _ = demeaned(d, ["firm"])
    with pytest.raises(ValueError, match="weights"):
        wild_cluster_bootstrap(xd, yd, d["ind"].to_numpy(), 0, weights="mammen")
    with pytest.raises(ValueError, match="two clusters"):
        wild_cluster_bootstrap(xd, yd, np.zeros(len(d), dtype=int), 0)
    with pytest.raises(ValueError, match="rank deficient"):
        wild_cluster_bootstrap(np.column_stack([xd, xd[:, 0]]), yd, d["ind"].to_numpy(), 0)
    with pytest.raises(ValueError, match="out of range"):
        wild_cluster_bootstrap(xd, yd, d["ind"].to_numpy(), 3)


# ------------------------------------------------------------------------ full enumeration vs peers


def test_nested_effects_equal_wildboottest_on_demeaned_data():
    """Firm effects nested in industry clusters: the bootstrap on demeaned data is the LSDV one."""
    d = make_panel(1)
    xd, yd, codes = demeaned(d, ["firm"])
    ind = d["ind"].to_numpy()
    ours = wild_cluster_bootstrap(xd, yd, ind, 0, reps=9999, fe_codes=codes, ci=False)
    ref = run_wbt(xd, yd, ind, 9999)
    assert ours.enumerated and ours.reps == ref.B == 1024
    assert ours.scale == pytest.approx(ref.ssc, rel=1e-14)  # the same default factor
    assert ours.t_stat == pytest.approx(float(ref.t_stat), rel=1e-10)
    np.testing.assert_allclose(np.sort(ours.t_boot), np.sort(ref.t_boot), rtol=1e-9, atol=1e-10)
    assert ours.p_value == pytest.approx(p_ties_excluded(float(ref.t_stat), ref.t_boot), abs=1e-12)
    assert abs(ours.p_value - float(ref.pvalue)) <= 2 / 1024 + 1e-12  # wbt may count the two ties by rounding


@pytest.mark.parametrize("path", ["partialled dummies", "absorbed columns"])
def test_two_way_effects_equal_wildboottest_with_dummies(path, monkeypatch):
    """Year effects are not nested in industry clusters: re-absorbing them in each draw reproduces the
    explicit-dummy bootstrap (both code paths); skipping it (no fe_codes) does not."""
    if path == "absorbed columns":
        monkeypatch.setattr(wild_bootstrap, "DUMMY_MAX_LEVELS", -1)
    d = make_panel(2)
    xd, yd, codes = demeaned(d, ["firm", "year"])
    ind = d["ind"].to_numpy()
    ours = wild_cluster_bootstrap(xd, yd, ind, 0, reps=9999, fe_codes=codes, ci=False)
    big = lsdv_design(d)
    ref = run_wbt(big, d["y"].to_numpy(), ind, 9999)
    n, g = len(d), 10
    assert ref.ssc == pytest.approx(g / (g - 1) * (n - 1) / (n - big.shape[1]), rel=1e-14)
    rescale = np.sqrt(ref.ssc / ours.scale)  # t ∝ 1 / sqrt(factor); the factors differ by K
    assert ours.t_stat == pytest.approx(float(ref.t_stat) * rescale, rel=1e-8)
    np.testing.assert_allclose(np.sort(ours.t_boot), np.sort(ref.t_boot * rescale), rtol=1e-8, atol=1e-9)
    assert ours.p_value == pytest.approx(p_ties_excluded(float(ref.t_stat), ref.t_boot), abs=1e-12)
    naive = wild_cluster_bootstrap(xd, yd, ind, 0, reps=9999, fe_codes=(), ci=False)
    assert np.abs(np.sort(naive.t_boot) - np.sort(ours.t_boot)).max() > 1e-3


def test_equals_pyfixest_wildboottest():
    pf = pytest.importorskip("pyfixest")
    d = make_panel(3)
    fit = pf.feols("y ~ x + c1 + c2 | firm + year", data=d, vcov={"CRV1": "ind"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, t_boot = fit.wildboottest(param="x", reps=9999, seed=11, return_bootstrapped_t_stats=True)
    xd, yd, codes = demeaned(d, ["firm", "year"])
    ours = wild_cluster_bootstrap(xd, yd, d["ind"].to_numpy(), 0, reps=9999, fe_codes=codes, ci=False)
    n, g = len(d), 10
    k_onehot = 3 + 1 + (d["firm"].nunique() - 1) + (d["year"].nunique() - 1)  # with intercept, reference levels
    ssc_pf = g / (g - 1) * (n - 1) / (n - k_onehot)
    assert float(ref["ssc"]) == pytest.approx(ssc_pf, rel=1e-12)
    assert ours.t_stat == pytest.approx(float(ref["t value"]) * np.sqrt(ssc_pf / ours.scale), rel=1e-8)
    p_pf = p_ties_excluded(float(ref["t value"]), np.asarray(t_boot).ravel())
    assert ours.p_value == pytest.approx(p_pf, abs=1e-12)
    assert abs(ours.p_value - float(ref["Pr(>|t|)"])) <= 2 / 1024 + 1e-12


def test_each_draw_equals_brute_force_lsdv_refit():
    """Second implementation: y* = X β̃ + D α̃ + ü ⊙ v refitted with explicit dummies (numpy lstsq),
    CRV1 t with the same factor, draw by draw (Webb weights, null = 0.05)."""
    d = make_panel(4)
    ind = d["ind"].to_numpy()
    xd, yd, codes = demeaned(d, ["firm", "year"])
    v = np.random.default_rng(5).choice(WEBB_POINTS, size=(6, 10))
    b0 = 0.05
    ours = wild_cluster_bootstrap(xd, yd, ind, 0, draws=v, fe_codes=codes, null=b0, ci=False, scale=1.7)
    big = lsdv_design(d)
    y = d["y"].to_numpy()
    y_r = y - b0 * big[:, 0]
    gamma = np.linalg.lstsq(big[:, 1:], y_r, rcond=None)[0]
    fitted, u = b0 * big[:, 0] + big[:, 1:] @ gamma, y_r - big[:, 1:] @ gamma
    bread = np.linalg.inv(big.T @ big)

    def crv_t(yy: np.ndarray) -> float:
        b = bread @ big.T @ yy
        e = yy - big @ b
        s = np.stack([big[ind == h].T @ e[ind == h] for h in range(10)])
        return float((b[0] - b0) / np.sqrt(1.7 * (bread @ s.T @ s @ bread)[0, 0]))

    expected = [crv_t(fitted + u * v[b][ind]) for b in range(6)]
    np.testing.assert_allclose(ours.t_boot, expected, rtol=1e-8)
    assert ours.t_stat == pytest.approx(crv_t(y), rel=1e-8)


# --------------------------------------------------------------------------------- random draws


def test_webb_draws_equal_wildboottest_given_its_weights():
    d = make_panel(6, n_ind=35, firms_per=4)
    xd, yd, codes = demeaned(d, ["firm"])
    ind = d["ind"].to_numpy()
    ref = run_wbt(xd, yd, ind, 999, weights="webb", seed=3)
    ours = wild_cluster_bootstrap(xd, yd, ind, 0, draws=ref.v.T, fe_codes=codes, ci=False)
    np.testing.assert_allclose(ours.t_boot, ref.t_boot, rtol=1e-9, atol=1e-10)
    assert ours.p_value == pytest.approx(float(ref.pvalue), abs=1e-12)


@pytest.mark.parametrize("weights", ["rademacher", "webb"])
def test_random_draws_within_monte_carlo_error_of_wildboottest(weights):
    d = make_panel(8, n_ind=35, firms_per=4, beta=0.05)
    xd, yd, codes = demeaned(d, ["firm", "year"])
    ind = d["ind"].to_numpy()
    b = 9999
    ours = wild_cluster_bootstrap(xd, yd, ind, 0, reps=b, weights=weights, seed=123, fe_codes=codes, ci=False)
    big = lsdv_design(d)
    ref = run_wbt(big, d["y"].to_numpy(), ind, b, weights=weights, seed=99)
    assert not ours.enumerated and ours.reps == b
    p = float(ref.pvalue)
    assert 0.01 < p < 0.99  # a p-value with Monte Carlo error worth checking
    assert abs(ours.p_value - p) < 4 * np.sqrt(2 * p * (1 - p) / b)


def test_same_seed_same_result_other_seed_differs():
    d = make_panel(9, n_ind=20, firms_per=4)
    xd, yd, codes = demeaned(d, ["firm", "year"])
    ind = d["ind"].to_numpy()
    a = wild_cluster_bootstrap(xd, yd, ind, 0, reps=999, weights="webb", seed=5, fe_codes=codes)
    b = wild_cluster_bootstrap(xd, yd, ind, 0, reps=999, weights="webb", seed=5, fe_codes=codes)
    c = wild_cluster_bootstrap(xd, yd, ind, 0, reps=999, weights="webb", seed=6, fe_codes=codes)
    assert a == b and np.array_equal(a.t_boot, b.t_boot)
    assert not np.array_equal(a.t_boot, c.t_boot)


def test_factor_cancels_in_p_and_interval():
    d = make_panel(10)
    xd, yd, codes = demeaned(d, ["firm", "year"])
    ind = d["ind"].to_numpy()
    one = wild_cluster_bootstrap(xd, yd, ind, 0, reps=9999, fe_codes=codes, scale=1.0)
    q = wild_cluster_bootstrap(xd, yd, ind, 0, reps=9999, fe_codes=codes, scale=1.37)
    assert q.t_stat == pytest.approx(one.t_stat / np.sqrt(1.37), rel=1e-12)
    assert q.p_value == one.p_value
    assert q.conf_low == pytest.approx(one.conf_low, abs=1e-8)
    assert q.conf_high == pytest.approx(one.conf_high, abs=1e-8)


# ------------------------------------------------------------------------------- test inversion


def test_interval_bounds_are_where_wildboottest_p_crosses_005():
    """The bounds, checked by wildboottest's (explicit-dummy) bootstrap of H0: beta = b0, run as a test of
    beta = 0 on y - b0 x, just inside and just outside each bound (full enumeration: deterministic)."""
    d = make_panel(11)
    xd, yd, codes = demeaned(d, ["firm", "year"])
    ind = d["ind"].to_numpy()
    ours = wild_cluster_bootstrap(xd, yd, ind, 0, reps=9999, fe_codes=codes)
    assert ours.conf_low < ours.estimate < ours.conf_high
    big = lsdv_design(d)
    y = d["y"].to_numpy()
    se = abs(ours.estimate / ours.t_stat)
    for bound, inward in ((ours.conf_low, 1), (ours.conf_high, -1)):
        for offset, accepted in ((1e-6, True), (-1e-6, False)):
            b0 = bound + inward * offset * se
            ref = run_wbt(big, y - b0 * big[:, 0], ind, 9999)
            p = p_ties_excluded(float(ref.t_stat), ref.t_boot)
            assert (p > 0.05) is accepted, (bound, offset, p)
            mine = wild_cluster_bootstrap(xd, yd, ind, 0, reps=9999, fe_codes=codes, null=b0, ci=False)
            assert mine.p_value == pytest.approx(p, abs=1e-12)


def test_interval_differs_from_analytic_with_few_clusters():
    d = make_panel(12)
    xd, yd, codes = demeaned(d, ["firm", "year"])
    res = wild_cluster_bootstrap(xd, yd, d["ind"].to_numpy(), 0, reps=9999, fe_codes=codes)
    assert np.isfinite(res.conf_low) and np.isfinite(res.conf_high)
    se = abs(res.estimate / res.t_stat)
    crit = stats.t.ppf(0.975, 9)
    assert res.conf_high - res.conf_low != pytest.approx(2 * crit * se, rel=1e-3)


# ---------------------------------------------------------------------------------- panel wrapper


def test_panel_wrapper_uses_fit_panel_sample_and_factor():
    d = make_panel(13)
    d.loc[d.index[::17], "c1"] = np.nan  # listwise deletion must match
    spec = {"outcome": "y", "regressors": ["x"], "controls": ["c1", "c2"], "fe": ["entity", "time"],
            "vcov": {"type": "cluster", "by": ["ind"]}, "lag": []}
    fit = fit_panel(d, spec, "firm", "year")
    res = wild_bootstrap_panel(d, spec, "firm", "year", "x", reps=9999)
    assert res.nobs == fit.nobs and res.n_clusters == fit.n_clusters == 10
    assert res.scale == pytest.approx(fit.vcov_scale, rel=1e-14)
    assert res.t_stat == pytest.approx(float(fit.tstats["x"]), rel=1e-10)
    assert res.estimate == pytest.approx(float(fit.params["x"]), rel=1e-10)
    sub = d.dropna(subset=["c1"])
    sub = sub[sub.groupby("firm")["firm"].transform("size") > 1]  # fit_panel drops singletons
    xd, yd, codes = demeaned(sub, ["firm", "year"])
    direct = wild_cluster_bootstrap(xd, yd, sub["ind"].to_numpy(), 0, reps=9999, fe_codes=codes)
    assert res.p_value == direct.p_value
    assert res.conf_low == pytest.approx(direct.conf_low, abs=1e-8)
    with pytest.raises(ValueError, match="one cluster"):
        wild_bootstrap_panel(d, {**spec, "vcov": {"type": "robust"}}, "firm", "year", "x")
    with pytest.raises(ValueError, match="not a kept regressor"):
        wild_bootstrap_panel(d, spec, "firm", "year", "nope")


def test_panel_wrapper_pooled_ols_equals_wildboottest_with_intercept():
    """Pooled OLS: the intercept is an effect not nested in the clusters (centring), as a constant column."""
    d = make_panel(14)
    spec = {"outcome": "y", "regressors": ["x"], "controls": ["c1", "c2"], "fe": [],
            "vcov": {"type": "cluster", "by": ["ind"]}, "lag": []}
    res = wild_bootstrap_panel(d, spec, "firm", "year", "x", reps=9999, ci=False)
    x = np.column_stack([d[["x", "c1", "c2"]].to_numpy(), np.ones(len(d))])
    ref = run_wbt(x, d["y"].to_numpy(), d["ind"].to_numpy(), 9999)
    rescale = np.sqrt(ref.ssc / res.scale)
    assert res.scale == pytest.approx(ref.ssc, rel=1e-12)  # reghdfe counts the intercept: K = 4 as wbt's k
    np.testing.assert_allclose(np.sort(res.t_boot), np.sort(ref.t_boot * rescale), rtol=1e-8, atol=1e-9)
    assert res.p_value == pytest.approx(p_ties_excluded(float(ref.t_stat), ref.t_boot), abs=1e-12)


# ------------------------------------------------------------------------------- size under H0


@pytest.mark.slow
def test_p_value_roughly_uniform_under_the_null():
    """1,000 panels with 20 industry clusters and the true coefficient as the null: the p-values should be
    close to uniform (KS test) and reject at 5% about 5% of the time (4 binomial SDs: 0.022-0.078)."""
    pvals = []
    for s in range(1000):
        d = make_panel(1000 + s, n_ind=20, firms_per=5, beta=0.1)
        xd, yd, codes = demeaned(d, ["firm", "year"])
        res = wild_cluster_bootstrap(xd, yd, d["ind"].to_numpy(), 0, reps=399, weights="webb", seed=s,
                                     null=0.1, fe_codes=codes, ci=False)
        pvals.append(res.p_value)
    pvals = np.asarray(pvals)
    assert stats.kstest(pvals, "uniform").pvalue > 0.001
    assert 0.022 <= np.mean(pvals <= 0.05) <= 0.078
