"""Issue 9 on the demo: the heterogeneity-robust staggered-DID estimators recover the planted designation effect
on the pipeline's own panel (tests/conftest.py's `small_demo`), and the static TWFE is biased as the DGP implies.

Truth (docs/demo_dgp.md, "Designation effect"): truth.json's `did` section gives tau_g(e) for every cohort and
year (`att_gt`); each estimator's aggregate is the mean of tau over the treated firm-years that estimator averages
(its own sample: the balanced firms for Callaway-Sant'Anna, every firm-year for BJS, Sun-Abraham and TWFE), so
the truth here is rebuilt from `att_gt` on each estimator's sample. srdi_distinct and srdi_novel gain
`loadings[k] x tau`; srdi_index, the entropy composite of the four dimensions, is linear in them, so its effect is
K x tau with K = sum_k (d srdi_index / d srdi_k) loadings[k], the composite's exact linear map read off the panel
(least squares of srdi_index on the dimensions, residuals below 1e-9).

As in test_recovery.py, the single-demo checks test many numbers at once (2 outcomes x 4 estimators x (overall +
5 event times) = 48) with family-wise 95% intervals: |estimate - truth| / SE <= z(1 - 0.05 / (2 x 48)) = 3.28;
the 95% intervals are checked where that is meaningful, by their coverage rate over 200 demo draws (slow test).
Pre-trend tests use the five leads e = -5..-1: earlier leads rest on one or two late cohorts of a few firms each.
"""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from srdi.demo import simulate_latent
from srdi.demo.params import DID_DIMENSIONS, all_params
from srdi.indices import composite_index
from srdi.models.did import callaway_santanna, cohorts_from_treatment, imputation, sun_abraham, twfe_static

DIMS = ["srdi_spec", "srdi_refine", "srdi_distinct", "srdi_novel"]
OUTCOMES = ["srdi_index", "srdi_distinct"]
EVENT_TIMES = [0, 1, 2, 3, 4]
FAMILY_SIZE = len(OUTCOMES) * 4 * (1 + len(EVENT_TIMES))
Z_FAMILY = float(norm.ppf(1 - 0.05 / (2 * FAMILY_SIZE)))
ID = ("stkcd", "year")
LOADINGS = {f"srdi_{d}": all_params()[f"tau_load_{d}"].value for d in DID_DIMENSIONS}  # planted, as truth.json


def planted(truth: dict, g: np.ndarray, t: np.ndarray) -> np.ndarray:
    """tau of each (cohort, year) from truth.json's att_gt table; 0 for never-treated rows."""
    table = {(c["cohort"], c["year"]): c["tau"] for c in truth["did"]["att_gt"]}
    return np.array([table[(int(a), int(b))] if a > 0 else 0.0 for a, b in zip(g, t, strict=True)])


def mean_truth(truth: dict, g: np.ndarray, t: np.ndarray, weight: np.ndarray | None = None) -> dict[str, float]:
    """Overall and per-event-time means of tau over the treated (t >= g > 0) entries, weighted by `weight`."""
    g, t = np.asarray(g, dtype=np.int64), np.asarray(t, dtype=np.int64)
    w = np.ones(g.size) if weight is None else np.asarray(weight, dtype=float)
    post = (g > 0) & (t >= g)
    tau, e, w = planted(truth, g[post], t[post]), (t - g)[post], w[post]
    out = {"ATT": float(np.average(tau, weights=w))}
    for k in np.unique(e):
        out[f"e={k}"] = float(np.average(tau[e == k], weights=w[e == k]))
    return out


def index_loading(frame: pd.DataFrame, truth: dict) -> float:
    """K: the effect of tau on srdi_index through the composite's linear map of the dimensions."""
    rows = frame[[*DIMS, "srdi_index"]].dropna()
    x = np.column_stack([np.ones(len(rows)), rows[DIMS].to_numpy()])
    coef, *_ = np.linalg.lstsq(x, rows["srdi_index"].to_numpy(), rcond=None)
    assert np.abs(x @ coef - rows["srdi_index"].to_numpy()).max() < 1e-9
    loads = truth["did"]["loadings"]
    return float(sum(coef[1 + j] * loads.get(d, 0.0) for j, d in enumerate(DIMS)))


def loading(frame: pd.DataFrame, truth: dict, outcome: str) -> float:
    return index_loading(frame, truth) if outcome == "srdi_index" else truth["did"]["loadings"][outcome]


@pytest.fixture(scope="module")
def did(small_demo) -> tuple[pd.DataFrame, dict]:
    """The pipeline's panel with the cohort derived from its absorbing srdi_designated column."""
    merged, truth = small_demo
    cohorts = cohorts_from_treatment(merged, *ID, "srdi_designated", model="did", out="first_treat", no_pre="error")
    return cohorts.frame, truth


def estimates(result) -> pd.DataFrame:
    return (result.table if hasattr(result, "table") else result.estimates).set_index("term")


def fits(frame: pd.DataFrame, outcome: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            return {
                "cs": callaway_santanna(frame, *ID, outcome, "first_treat", min_e=-5),
                "cs_covariates": callaway_santanna(frame, *ID, outcome, "first_treat", controls=["size", "lev"],
                                                   min_e=-5),
                "sun_abraham": sun_abraham(frame, *ID, outcome, "first_treat", window=(-5, 4)),
                "imputation": imputation(frame, *ID, outcome, "first_treat", pretrends=5),
                "twfe": twfe_static(frame, *ID, outcome, "first_treat"),
            }
        finally:
            logging.disable(logging.NOTSET)


@pytest.fixture(scope="module")
def fitted(did) -> dict:
    frame, _ = did
    return {y: fits(frame, y) for y in OUTCOMES}


def estimator_truth(name: str, result, frame: pd.DataFrame, truth: dict) -> dict[str, float]:
    """The truth on the treated firm-years the estimator averages, in tau units."""
    if name.startswith("cs"):
        rows = frame[frame["stkcd"].isin(result.entities)]
        return mean_truth(truth, rows["first_treat"], rows["year"])
    if name == "sun_abraham":
        cells = result.info["cells"]
        return mean_truth(truth, cells["g"], cells["g"] + cells["e"], cells["n"])
    if name == "imputation":
        used = result.info["tau"]
        return mean_truth(truth, used["g"], used["t"])
    return mean_truth(truth, frame["first_treat"], frame["year"])


def test_cohorts_are_the_planted_batches(did):
    frame, truth = did
    np.testing.assert_array_equal(frame["first_treat"], frame["batch_year"])
    assert set(frame.loc[frame["first_treat"] > 0, "first_treat"]) == set(range(2019, 2024))
    firm_cohort = frame.groupby("stkcd")["first_treat"].first()
    assert 0.1 < firm_cohort.gt(0).mean() < 0.4
    sizes = truth["did"]["populations"]["all_treated"]["cohort_sizes"]
    assert {str(g): int(n) for g, n in firm_cohort[firm_cohort > 0].value_counts().items()} == sizes


def test_truth_json_populations_are_the_estimators_samples(did, fitted):
    # on the unfiltered panel, truth.json's "balanced" aggregates are what CS averages and "all_treated" what
    # BJS, Sun-Abraham and TWFE average (docs/demo_dgp.md)
    frame, truth = did
    pops = truth["did"]["populations"]
    res = fitted["srdi_index"]
    for name, pop in (("cs", "balanced"), ("imputation", "all_treated"), ("sun_abraham", "all_treated"),
                      ("twfe", "all_treated")):
        got = estimator_truth(name, res[name], frame, truth)
        assert got["ATT"] == pytest.approx(pops[pop]["overall"]["tau"], abs=1e-12), name
        for e in EVENT_TIMES:
            assert got[f"e={e}"] == pytest.approx(pops[pop]["dynamic"][str(e)]["tau"], abs=1e-12), (name, e)


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("name", ["cs", "cs_covariates", "sun_abraham", "imputation"])
def test_robust_estimators_recover_overall_and_dynamic_effects(did, fitted, outcome, name):
    frame, truth = did
    res = fitted[outcome][name]
    target = estimator_truth(name, res, frame, truth)
    k = loading(frame, truth, outcome)
    est = estimates(res)
    for term in ["ATT", *(f"e={e}" for e in EVENT_TIMES)]:
        value = k * target[term]
        assert value > 0
        z = (est.loc[term, "estimate"] - value) / est.loc[term, "std_error"]
        assert abs(z) <= Z_FAMILY, (term, est.loc[term, "estimate"], value, z)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_no_pre_trends(fitted, outcome):
    # no anticipation and parallel trends by construction: the five leads are jointly zero
    res = fitted[outcome]
    for name in ("cs", "cs_covariates", "sun_abraham", "imputation"):
        assert res[name].pretrend.p_value > 0.01, (name, res[name].pretrend)
    leads = estimates(res["cs"]).loc[[f"e={e}" for e in range(-5, 0)]]
    assert (leads["estimate"].abs() <= Z_FAMILY * leads["std_error"]).all()


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_static_twfe_is_biased_down(did, fitted, outcome):
    # effects grow with time since designation and are larger for early batches, so the TWFE's comparisons of
    # later batches with already-designated ones subtract part of the earlier batches' growth
    frame, truth = did
    res = fitted[outcome]["twfe"]
    value = loading(frame, truth, outcome) * estimator_truth("twfe", res, frame, truth)["ATT"]
    est = estimates(res).loc["ATT"]
    assert (est["estimate"] - value) / est["std_error"] < -1.0
    robust = estimates(fitted[outcome]["imputation"]).loc["ATT", "estimate"]
    assert est["estimate"] < robust


@pytest.mark.slow
def test_monte_carlo_coverage_of_callaway_santanna_att():
    """200 tiny demo draws (the latent table's outcomes equal the pipeline's: test_proxies_demo.py); srdi_index
    is the library's entropy composite of the four dimensions, as the panel builds it without sample filters."""
    draws, hits, twfe_gap = 200, 0, []
    for seed in range(5000, 5000 + draws):
        latent = simulate_latent("tiny", seed=seed).rename(columns={"Stkcd": "stkcd"})
        latent["srdi_index"], _ = composite_index(latent, DIMS)
        latent["first_treat"] = latent["batch_year"].astype(np.int64)
        truth = {"did": {"att_gt": [{"cohort": g, "year": t, "tau": x} for g, t, x in zip(
            latent["batch_year"], latent["year"], latent["desig_tau"], strict=True) if g > 0],
            "loadings": LOADINGS}}
        k = index_loading(latent, truth)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.disable(logging.WARNING)
            cs = callaway_santanna(latent, *ID, "srdi_index", "first_treat")
            twfe = twfe_static(latent, *ID, "srdi_index", "first_treat")
            logging.disable(logging.NOTSET)
        value = k * estimator_truth("cs", cs, latent, truth)["ATT"]
        row = estimates(cs).loc["ATT"]
        hits += row["conf_low"] <= value <= row["conf_high"]
        twfe_gap.append(estimates(twfe).loc["ATT", "estimate"] - k * estimator_truth("twfe", twfe, latent,
                                                                                     truth)["ATT"])
    assert 0.88 <= hits / draws <= 0.99, hits / draws
    gap = np.asarray(twfe_gap)
    assert gap.mean() / (gap.std(ddof=1) / np.sqrt(draws)) < -5  # the TWFE's downward bias, over the draws
