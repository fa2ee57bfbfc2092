"""WRE wild cluster bootstrap for 2SLS (srdi.models.wild_iv) against a slow textbook implementation.

The reference below follows Davidson & MacKinnon (2010) literally on the *raw* data with explicit dummies: a
restricted OLS of y - b0 x on [W, dummies], the efficient reduced form (x on [Z, W, dummies, ü]), the bootstrap
samples y*, x* draw by draw, 2SLS by numpy least squares and the cluster sandwich summed cluster by cluster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srdi.models.iv import fit_iv
from srdi.models.wild_bootstrap import wild_weights
from srdi.models.wild_iv import iv_design, wild_iv_arrays, wild_iv_bootstrap


def make_panel(
    seed: int, n_ind: int = 8, firms_per: int = 4, years: int = 5, beta: float = 0.5, strength: float = 1.0,
    endog: float = 0.8,
) -> pd.DataFrame:
    """Firms nested in industries (the clusters), unbalanced years, two instruments, one control, x endogenous
    (shares u with y), heteroskedastic industry-level shocks in both equations."""
    rng = np.random.default_rng(seed)
    firm = np.repeat(np.arange(n_ind * firms_per), years)
    year = np.tile(np.arange(years), n_ind * firms_per)
    keep = (year < 2) | (rng.random(firm.size) < 0.8)
    firm, year = firm[keep], year[keep]
    ind = firm // firms_per
    n = firm.size
    z = rng.normal(size=(n, 2)) + 0.5 * rng.normal(size=(n_ind, 2))[ind]
    w = rng.normal(size=n) + 0.2 * year
    alpha = rng.normal(size=n_ind * firms_per)[firm]
    sd = 0.5 + 1.5 * rng.random(n_ind)[ind]
    u = sd * (rng.normal(size=n) + 0.7 * rng.normal(size=n_ind)[ind])
    x = strength * (z @ [0.8, 0.4]) + 0.3 * w + alpha + endog * u + rng.normal(size=n) + 0.1 * year
    y = beta * x + 0.3 * w + alpha + 0.2 * year + u
    return pd.DataFrame({"firm": firm, "year": year + 2011, "ind": ind, "z1": z[:, 0], "z2": z[:, 1], "w": w,
                         "x": x, "y": y})


def spec(fe: list[str]) -> dict:
    return {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z1", "z2"], "controls": ["w"],
            "fe": fe, "vcov": {"type": "cluster", "by": ["ind"]}, "lag": []}


def exog_design(d: pd.DataFrame, fe: list[str]) -> np.ndarray:
    """[w, dummies]: all firm dummies, year dummies but the first; pooled: a constant."""
    parts = [d[["w"]].to_numpy(float)]
    if "entity" in fe:
        parts.append(pd.get_dummies(d["firm"]).to_numpy(float))
    if "time" in fe:
        years = pd.get_dummies(d["year"]).to_numpy(float)
        parts.append(years[:, 1:] if "entity" in fe else years)
    if not fe:
        parts.append(np.ones((len(d), 1)))
    return np.column_stack(parts)


def slow_2sls_t(y, x, exog, z, cl, b0, q):
    """2SLS of y on [x, exog] with instruments [z, exog] by least squares; CRV1 t of x's coefficient."""
    xs = np.column_stack([x, exog])
    zs = np.column_stack([z, exog])
    xhat = zs @ np.linalg.lstsq(zs, xs, rcond=None)[0]
    b = np.linalg.lstsq(xhat, y, rcond=None)[0]
    e = y - xs @ b
    bread = np.linalg.inv(xhat.T @ xhat)
    meat = np.zeros_like(bread)
    for g in np.unique(cl):
        s = xhat[cl == g].T @ e[cl == g]
        meat += np.outer(s, s)
    v = q * bread @ meat @ bread
    return (b[0] - b0) / np.sqrt(v[0, 0])


def slow_wre(d: pd.DataFrame, fe: list[str], b0: float, v: np.ndarray, q: float) -> tuple[float, np.ndarray]:
    """The textbook WRE, draw by draw: returns (t, t* for each row of v)."""
    y, x = d["y"].to_numpy(float), d["x"].to_numpy(float)
    z = d[["z1", "z2"]].to_numpy(float)
    exog = exog_design(d, fe)
    cl = d["ind"].to_numpy()
    gamma = np.linalg.lstsq(exog, y - b0 * x, rcond=None)[0]
    u = y - b0 * x - exog @ gamma  # restricted structural residuals
    zx = np.column_stack([z, exog])
    coef = np.linalg.lstsq(np.column_stack([zx, u]), x, rcond=None)[0]  # efficient reduced form
    x_fit = zx @ coef[:-1]
    v_res = x - x_fit  # the ü term not removed
    t_boot = np.empty(v.shape[0])
    for b in range(v.shape[0]):
        wt = v[b, cl]
        xs = x_fit + v_res * wt
        ys = b0 * xs + exog @ gamma + u * wt
        t_boot[b] = slow_2sls_t(ys, xs, exog, z, cl, b0, q)
    return slow_2sls_t(y, x, exog, z, cl, b0, q), t_boot


def by_hand_scale(d: pd.DataFrame, fe: list[str]) -> float:
    """reghdfe's factor G/(G-1)·(N-1)/(N-K-a), K = x + w + df_a: firm effects nested in the industry clusters
    count 0 (all redundant), so the year effects count all T levels (the intercept is among them); pooled: the
    intercept, 1; firm effects alone: 0, and then a = 1."""
    n, g, t = len(d), d["ind"].nunique(), d["year"].nunique()
    df_a = t if "time" in fe else (0 if "entity" in fe else 1)
    k = 2 + df_a
    return g / (g - 1) * (n - 1) / (n - k - (1 if df_a == 0 else 0))


def symmetric_p(t: float, t_boot: np.ndarray) -> float:
    return float(np.mean(np.abs(t_boot) > abs(t) * (1 + 1e-10)))


# ------------------------------------------------------------------------------------------------ (a)


@pytest.mark.parametrize("fe", [["entity", "time"], ["entity"], []], ids=["firm+year", "firm", "pooled"])
@pytest.mark.parametrize("b0", [0.0, 0.4])
def test_matches_slow_textbook_wre_on_the_same_webb_draws(fe, b0):
    d = make_panel(1)
    res = wild_iv_bootstrap(d, spec(fe), "firm", "year", reps=199, weights="webb", seed=11, null=b0, ci=False)
    v, enumerated = wild_weights(8, 199, "webb", 11)
    q = by_hand_scale(d, fe)
    assert res.scale == pytest.approx(q, rel=1e-14)
    assert not enumerated and not res.enumerated and res.reps == 199 and res.n_clusters == 8
    assert res.nobs == len(d)
    t, t_boot = slow_wre(d, fe, b0, v, q)
    assert res.t_stat == pytest.approx(t, rel=1e-8)
    np.testing.assert_allclose(res.t_boot, t_boot, rtol=1e-8, atol=1e-10)
    assert res.p_value == symmetric_p(t, t_boot)
    assert 0 < res.p_value < 1


def test_full_enumeration_matches_slow_wre_exactly():
    d = make_panel(2)
    fe = ["entity", "time"]
    res = wild_iv_bootstrap(d, spec(fe), "firm", "year", reps=9999, weights="rademacher", seed=0, ci=False)
    assert res.enumerated and res.reps == 2**8
    v, _ = wild_weights(8, 9999, "rademacher")
    t, t_boot = slow_wre(d, fe, 0.0, v, by_hand_scale(d, fe))
    np.testing.assert_allclose(res.t_boot, t_boot, rtol=1e-8, atol=1e-10)
    assert res.p_value == symmetric_p(t, t_boot)
    # the all-ones (and all-minus-ones) sign vector reproduces the sample: |t*| = |t|, not counted as exceeding
    assert abs(res.t_boot[-1]) == pytest.approx(abs(res.t_stat), rel=1e-10)


def test_confidence_interval_inverts_the_slow_test():
    d = make_panel(3)
    fe = ["entity", "time"]
    res = wild_iv_bootstrap(d, spec(fe), "firm", "year", reps=99, weights="webb", seed=5)
    assert res.conf_low < res.estimate < res.conf_high
    v, _ = wild_weights(8, 99, "webb", 5)
    q = by_hand_scale(d, fe)
    eps = 1e-6 * res.std_error
    for bound, inward in ((res.conf_low, 1), (res.conf_high, -1)):
        t_in, tb_in = slow_wre(d, fe, bound + inward * eps, v, q)
        t_out, tb_out = slow_wre(d, fe, bound - inward * eps, v, q)
        assert symmetric_p(t_in, tb_in) > 0.05
        assert symmetric_p(t_out, tb_out) <= 0.05


# ------------------------------------------------------------------------------------------------ (b)


@pytest.mark.parametrize("fe", [["entity", "time"], ["entity"], []], ids=["firm+year", "firm", "pooled"])
def test_t_at_null_zero_is_fit_ivs_second_stage_t(fe):
    d = make_panel(4, n_ind=12).sample(frac=1.0, random_state=0)  # shuffled rows: the result must not care
    d.loc[d.index[:5], "z2"] = np.nan  # listwise deletion as fit_iv
    res = wild_iv_bootstrap(d, spec(fe), "firm", "year", reps=99, seed=1, ci=False)
    fit = fit_iv(d, spec(fe), "firm", "year")
    ss = fit.second_stage
    assert res.nobs == fit.nobs and res.n_clusters == fit.n_clusters == 12
    assert res.scale == pytest.approx(ss.vcov_scale, rel=1e-14)
    assert res.estimate == pytest.approx(ss.params["x"], rel=1e-10)
    assert res.std_error == pytest.approx(ss.std_errors["x"], rel=1e-10)
    assert res.t_stat == pytest.approx(ss.tstats["x"], rel=1e-10)


# ------------------------------------------------------------------------------------------------ (d) and API


def test_same_seed_identical_other_seed_differs():
    d = make_panel(5, n_ind=15)
    a = wild_iv_bootstrap(d, spec(["entity", "time"]), "firm", "year", reps=199, seed=42)
    b = wild_iv_bootstrap(d, spec(["entity", "time"]), "firm", "year", reps=199, seed=42)
    c = wild_iv_bootstrap(d, spec(["entity", "time"]), "firm", "year", reps=199, seed=43)
    np.testing.assert_array_equal(a.t_boot, b.t_boot)
    assert (a.p_value, a.conf_low, a.conf_high) == (b.p_value, b.conf_low, b.conf_high)
    assert not np.array_equal(a.t_boot, c.t_boot)


def test_factor_cancels_in_p_and_interval():
    d = make_panel(6)
    des = iv_design(d, spec(["entity", "time"]), "firm", "year")
    args = (des.yd, des.xd, des.zd, des.wd, des.clusters)
    kw = {"reps": 199, "seed": 3, "fe_codes": des.fe_codes}
    r1 = wild_iv_arrays(*args, scale=1.0, **kw)
    r2 = wild_iv_arrays(*args, scale=des.scale, **kw)
    assert r1.p_value == r2.p_value
    assert r1.conf_low == pytest.approx(r2.conf_low, rel=1e-8)
    assert r1.conf_high == pytest.approx(r2.conf_high, rel=1e-8)
    assert r1.t_stat == pytest.approx(r2.t_stat * np.sqrt(des.scale), rel=1e-12)


def test_errors():
    d = make_panel(7).assign(x2=lambda f: f["x"] ** 2, z3=lambda f: f["z1"] ** 2)
    two = {**spec(["entity"]), "endogenous": ["x", "x2"], "instruments": ["z1", "z2", "z3"]}
    with pytest.raises(ValueError, match="one endogenous regressor"):
        wild_iv_bootstrap(d, two, "firm", "year", reps=9)
    with pytest.raises(ValueError, match="one cluster column"):
        wild_iv_bootstrap(d, {**spec(["entity"]), "vcov": {"type": "robust"}}, "firm", "year", reps=9)
    with pytest.raises(ValueError, match="weights"):
        wild_iv_bootstrap(d, spec(["entity"]), "firm", "year", reps=9, weights="mammen")


# ------------------------------------------------------------------------------------------------ (c)


@pytest.mark.slow
def test_size_under_true_null_with_strong_instruments():
    """200 panels, 20 industry clusters, firm + year effects, strong instruments, x endogenous, null = truth,
    Webb B = 199: 5% rejections expected (binomial SD 1.5 points; bounds at about 3 SD)."""
    p = np.array([
        wild_iv_bootstrap(make_panel(1000 + s, n_ind=20, firms_per=4, years=5, strength=2.0), spec(["entity", "time"]),
                          "firm", "year", reps=199, seed=s, null=0.5, ci=False).p_value
        for s in range(200)
    ])
    rate5, rate10 = float(np.mean(p <= 0.05)), float(np.mean(p <= 0.10))
    assert 0.01 <= rate5 <= 0.10, rate5
    assert 0.04 <= rate10 <= 0.17, rate10
