"""One timing for the three equations of a mediation model (srdi.models.mediation_timing).

The reference is independent of the code under test: lags are built here by merging each firm's row of year
t - k onto year t (not `lag_by_time`), the common sample by hand, and the three equations are fitted by
statsmodels OLS with explicit firm and year dummies (LSDV) and statsmodels' clustered covariance. On those rows
c = c' + a b must hold to 1e-10 in the reference itself, and our estimates must equal it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from srdi.models.bootstrap import draw_counts
from srdi.models.mediation import bootstrap_fast, bootstrap_refit, fit_mediation, tidy_mediation
from srdi.models.mediation_timing import lag_label, parse_timing


def synthetic(seed: int, n_firms: int, years: range = range(2010, 2020)) -> pd.DataFrame:
    """Unbalanced panel (random holes) with firm and year effects; x(t-2) -> m(t-1) -> y(t) plus same-year links."""
    rng = np.random.default_rng(seed)
    keep = rng.random((n_firms, len(years))) > 0.15
    ff, tt = np.nonzero(keep)
    d = pd.DataFrame({"stkcd": [f"F{f:03d}" for f in ff], "year": np.asarray(years)[tt]})
    n = len(d)
    alpha = rng.normal(size=n_firms)[ff]
    d["x"] = rng.normal(size=n) + 0.5 * alpha + 0.1 * tt
    d["w1"] = rng.normal(size=n)
    d["w2"] = rng.normal(size=n) + 0.1 * tt
    d["m"] = 0.5 * d["x"] + 0.3 * d["w1"] + alpha + rng.normal(size=n)
    d["y"] = 0.2 * d["x"] + 0.4 * d["m"] - 0.2 * d["w2"] + alpha + 0.2 * tt + rng.normal(size=n)
    return d


def spec(**kw) -> dict:
    return {"kind": "mediation", "treatment": "x", "mediator": "m", "outcome": "y", "controls": ["w1", "w2"],
            "bootstrap": {"reps": 2}, **kw}

CONTROLS = ["w1", "w2"]
TIMINGS = {  # model keys -> lag of x, m, w1, w2 they mean
    "contemporaneous": ({"timing": "contemporaneous"}, {"x": 0, "m": 0, "w1": 0, "w2": 0}),
    "lagged": ({"timing": "lagged"}, {"x": 2, "m": 1, "w1": 0, "w2": 0}),
    "lagged_2y": ({"timing": "lagged", "lag_years": 2}, {"x": 4, "m": 2, "w1": 0, "w2": 0}),
    "default": ({}, {"x": 1, "m": 0, "w1": 0, "w2": 0}),
    "mapping": ({"timing": {"x": 1, "m": 1, "w1": 1}}, {"x": 1, "m": 1, "w1": 1, "w2": 0}),
}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    d = synthetic(seed=8, n_firms=45)
    d.loc[d.index[::13], "m"] = np.nan
    d.loc[d.index[4::19], "y"] = np.nan
    d["in_sample"] = d.index % 31 != 0
    return d


def hand_shift(d: pd.DataFrame, col: str, k: int) -> np.ndarray:
    """Value of `col` in the firm's year t - k (missing if that firm-year is absent), by a merge."""
    if k == 0:
        return d[col].to_numpy(dtype=float)
    prev = d[["stkcd", "year", col]].assign(year=d["year"] + k)
    return d[["stkcd", "year"]].merge(prev, on=["stkcd", "year"], how="left")[col].to_numpy(dtype=float)


def hand_rows(d: pd.DataFrame, lags: dict[str, int], keep: np.ndarray | None = None) -> pd.DataFrame:
    """Shift, keep in_sample rows complete in every variable, drop singletons of firm and year until none."""
    d = d.reset_index(drop=True)
    out = d[["stkcd", "year"]].copy()
    out["y"] = d["y"].astype(float)
    for col, k in lags.items():
        out[col] = hand_shift(d, col, k)
    mask = d["in_sample"].to_numpy() if keep is None else keep
    out = out[mask].dropna()
    while True:
        alone = (out.groupby("stkcd")["year"].transform("size") == 1) | (
            out.groupby("year")["stkcd"].transform("size") == 1)
        if not alone.any():
            return out.sort_values(["stkcd", "year"]).reset_index(drop=True)
        out = out[~alone]


def lsdv(rows: pd.DataFrame, dep: str, regs: list[str]):
    dummies = [pd.get_dummies(rows["stkcd"], drop_first=True, dtype=float),
               pd.get_dummies(rows["year"].astype(str), prefix="t", drop_first=True, dtype=float)]
    x = sm.add_constant(pd.concat([rows[regs], *dummies], axis=1))
    groups = pd.factorize(rows["stkcd"])[0]
    return sm.OLS(rows[dep], x).fit(cov_type="cluster", cov_kwds={"groups": groups}), x.shape[1]


@pytest.mark.parametrize("case", list(TIMINGS))
def test_decomposition_is_exact_and_equals_lsdv_on_hand_built_rows(panel, case):
    keys, lags = TIMINGS[case]
    res = fit_mediation(panel, spec(**keys, bootstrap={"reps": 2}), "stkcd", "year", "med", seed=1)
    rows = hand_rows(panel, lags)
    ours = res.data.frame.sort_values(["stkcd", "year"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(ours[["stkcd", "year", "y", "m", "x", *CONTROLS]],
                                  rows[["stkcd", "year", "y", "m", "x", *CONTROLS]], check_dtype=False)
    eqs = {"total": ("y", ["x", *CONTROLS]), "mediator": ("m", ["x", *CONTROLS]),
           "outcome": ("y", ["x", "m", *CONTROLS])}
    ref = {}
    for eq, (dep, regs) in eqs.items():
        fit, k_sm = lsdv(rows, dep, regs)
        ref[eq] = fit.params
        got = res.results[eq]
        assert got.nobs == len(rows)
        np.testing.assert_allclose(got.params[regs], fit.params[regs], rtol=0, atol=1e-10)
        # reghdfe counts K = k + T (firm FE nested in firm clusters); statsmodels every dummy and the constant
        n, t = len(rows), rows["year"].nunique()
        scale = np.sqrt((n - k_sm) / (n - len(regs) - t))
        np.testing.assert_allclose(got.std_errors[regs], fit.bse[regs] * scale, rtol=1e-8)
    a, b = ref["mediator"]["x"], ref["outcome"]["m"]
    assert ref["total"]["x"] == pytest.approx(ref["outcome"]["x"] + a * b, abs=1e-10)  # FWL, in the reference
    assert res.c == pytest.approx(res.c_prime + res.a * res.b, abs=1e-10)


@pytest.mark.parametrize("case", ["lagged", "contemporaneous", "mapping"])
def test_bootstrap_uses_the_shifted_variables_and_equals_refitting(panel, case):
    keys, _ = TIMINGS[case]
    res = fit_mediation(panel, spec(**keys, bootstrap={"reps": 6}), "stkcd", "year", "med", seed=4)
    n_clusters = res.data.frame["stkcd"].nunique()
    counts = draw_counts(n_clusters, 6, 4)
    np.testing.assert_array_equal(bootstrap_fast(res.data, counts), res.draws)
    np.testing.assert_allclose(res.draws, bootstrap_refit(res.data, counts, engine="fit_panel"), rtol=0, atol=1e-10)
    one = bootstrap_fast(res.data, np.ones((1, n_clusters)))[0]  # every cluster once: the fit itself
    np.testing.assert_allclose(one, [res.a, res.b, res.c, res.c_prime], rtol=0, atol=1e-12)
    draws_ab = res.draws[:, 0] * res.draws[:, 1]
    assert np.allclose(res.draws[:, 2], res.draws[:, 3] + draws_ab, atol=1e-10)  # the identity holds per draw


def test_lag_columns_carry_each_equations_timing(panel):
    res = fit_mediation(panel, spec(timing={"x": 2, "m": 1, "w1": 1}, bootstrap={"reps": 2}), "stkcd", "year", "m")
    rows = tidy_mediation(res, "med")
    got = {(e, t): (lag, ol) for e, t, lag, ol in rows[["equation", "term", "lag", "outcome_lag"]].itertuples(
        index=False, name=None) if e in ("total", "mediator", "outcome", "jiang_two_step")}
    assert got == {
        ("total", "x"): (2, 0), ("total", "w1"): (1, 0), ("total", "w2"): (0, 0),
        ("mediator", "x"): (2, 1), ("mediator", "w1"): (1, 1), ("mediator", "w2"): (0, 1),
        ("outcome", "x"): (2, 0), ("outcome", "m"): (1, 0), ("outcome", "w1"): (1, 0), ("outcome", "w2"): (0, 0),
        ("jiang_two_step", "x"): (2, 1),  # the last two-step row (mediator equation) overwrites the first key
    }
    two = rows[rows["equation"] == "jiang_two_step"]
    assert two["outcome_lag"].tolist() == [0, 1] and two["lag"].tolist() == [2, 2]
    assert set(rows["term"]) >= {"x", "m"} and not rows["term"].str.startswith("L").any()  # names stay unlagged
    notes = rows.loc[rows["equation"] == "indirect", "note"]
    assert notes.str.startswith("L2.x -> L.m -> y").all()


def test_old_lag_list_keeps_its_meaning(panel):
    def est(**keys):
        res = fit_mediation(panel, spec(**keys, bootstrap={"reps": 2}), "stkcd", "year", "med", seed=1)
        return [res.a, res.b, res.c, res.c_prime, res.results["total"].nobs]

    assert est(lag=["x"]) == est() == est(timing="lagged_treatment") == est(timing={"x": 1})
    assert est(lag=[]) == est(timing="contemporaneous")
    assert est(lag=["x", "w1"], lag_years=2) == est(timing={"x": 2, "w1": 2})


def test_sample_query_sees_unlagged_columns(panel):
    res = fit_mediation(panel, spec(timing="lagged", sample="w2 > -0.5", bootstrap={"reps": 2}), "stkcd", "year",
                        "med")
    keep = panel["in_sample"].to_numpy() & (panel["w2"] > -0.5).to_numpy()
    rows = hand_rows(panel, TIMINGS["lagged"][1], keep)
    assert res.results["mediator"].nobs == len(rows)
    fit, _ = lsdv(rows, "m", ["x", *CONTROLS])
    assert res.a == pytest.approx(fit.params["x"], abs=1e-10)


def test_no_rows_names_the_lagged_column():
    d = synthetic(seed=2, n_firms=20, years=range(2015, 2017))
    with pytest.raises(ValueError, match=r"model 'med'.*x \(lagged 2 years\)"):
        fit_mediation(d, spec(timing={"x": 2}), "stkcd", "year", "med")


@pytest.mark.parametrize(
    ("keys", "label", "lags"),
    [
        ({}, "lagged_treatment", {"x": 1, "m": 0, "w": 0}),
        ({"lag_years": 3}, "lagged_treatment", {"x": 3, "m": 0, "w": 0}),
        ({"timing": "lagged"}, "lagged", {"x": 2, "m": 1, "w": 0}),
        ({"timing": {"x": 4, "m": 2}}, "lagged", {"x": 4, "m": 2, "w": 0}),
        ({"timing": {"x": 1, "m": 1}}, "custom", {"x": 1, "m": 1, "w": 0}),
        ({"timing": {"x": 2, "m": 1, "w": 1}}, "custom", {"x": 2, "m": 1, "w": 1}),
        ({"lag": []}, "contemporaneous", {"x": 0, "m": 0, "w": 0}),
        ({"timing": {}}, "contemporaneous", {"x": 0, "m": 0, "w": 0}),
        # lag_years: 1 (what a schema default fills in) is accepted where lag_years has no meaning
        ({"timing": "contemporaneous", "lag_years": 1}, "contemporaneous", {"x": 0, "m": 0, "w": 0}),
        ({"timing": {"x": 3}, "lag_years": 1}, "lagged_treatment", {"x": 3, "m": 0, "w": 0}),
    ],
)
def test_parse_timing_names_and_lags(keys, label, lags):
    timing = parse_timing(keys, "med", "x", "m", ["w"])
    assert timing.label == label and timing.lags == lags


def test_lag_label_is_statas_operator():
    assert [lag_label("x", k) for k in (0, 1, 2, 3)] == ["x", "L.x", "L2.x", "L3.x"]
