"""BJS imputation estimator against (a) ordinary least squares with explicit unit/year dummies on the untreated
rows (numpy lstsq, exact), (b) the did_imputation package (a port of Stata's did_imputation: point estimates and
the conservative clustered SEs of BJS Theorem 3, same convention: no small-sample factor, cohort x year cells for
tau_bar), and (c) pyfixest's did2s, whose point estimates equal BJS's (Gardner's two-stage DID) up to pyfixest's
fixed-effect recovery tolerance (~1e-5 here, so compared at 1e-4)."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from test_did_event_study import simulate

from srdi.models.did.imputation import imputation

did_imp = pytest.importorskip("did_imputation")
pf = pytest.importorskip("pyfixest")


def reference(df: pd.DataFrame, **kwargs):
    d = df.assign(Ei=df.g.where(df.g > 0, np.nan))
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return did_imp.did_imputation(d, "y", "firm", "year", "Ei", minn=0, **kwargs)


def dense_tau(df: pd.DataFrame, controls: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """tau_it of the treated rows by OLS on explicit dummies over the untreated rows (no FE algebra shared)."""
    treated = ((df.g > 0) & (df.year >= df.g)).to_numpy()
    z = np.column_stack([pd.get_dummies(df.firm).to_numpy(float), pd.get_dummies(df.year).to_numpy(float)[:, 1:],
                         df[controls].to_numpy(float)])
    coef = np.linalg.lstsq(z[~treated], df.y.to_numpy()[~treated], rcond=None)[0]
    return df.y.to_numpy()[treated] - z[treated] @ coef, (df.year - df.g).to_numpy()[treated]


@pytest.mark.parametrize(("seed", "controls", "unbalanced"), [(1, [], False), (2, ["x"], False), (3, ["x"], True)])
def test_point_estimates_equal_dense_least_squares(seed: int, controls: list[str], unbalanced: bool) -> None:
    df = simulate(seed, n=120, unbalanced=unbalanced)
    res = imputation(df, "firm", "year", "y", "g", controls=controls).estimates.set_index("term")
    tau, e = dense_tau(df, controls)
    assert res.loc["ATT", "estimate"] == pytest.approx(tau.mean(), abs=1e-10)
    for h in sorted(set(e[e >= 0])):
        assert res.loc[f"e={h}", "estimate"] == pytest.approx(tau[e == h].mean(), abs=1e-10)


@pytest.mark.parametrize(("seed", "controls", "unbalanced"), [(4, [], False), (5, ["x"], False), (6, [], True)])
def test_estimates_and_conservative_se_match_did_imputation(seed: int, controls: list[str], unbalanced: bool) -> None:
    df = simulate(seed, unbalanced=unbalanced)
    got = imputation(df, "firm", "year", "y", "g", controls=controls).estimates.set_index("term")
    ref = reference(df, controls=controls)
    assert got.loc["ATT", "estimate"] == pytest.approx(ref.estimates["tau_ate"], abs=1e-6)
    assert got.loc["ATT", "std_error"] == pytest.approx(ref.std_errors["tau_ate"], rel=1e-5)
    hs = [0, 1, 2, 4]
    got_h = imputation(df, "firm", "year", "y", "g", controls=controls, horizons=hs).estimates.set_index("term")
    ref_h = reference(df, controls=controls, horizons=hs)
    for h in hs:
        assert got_h.loc[f"e={h}", "estimate"] == pytest.approx(ref_h.estimates[f"tau{h}"], abs=1e-6)
        assert got_h.loc[f"e={h}", "std_error"] == pytest.approx(ref_h.std_errors[f"tau{h}"], rel=1e-5)


def test_without_never_treated_drops_unimputable_rows_like_did_imputation() -> None:
    df = simulate(7, cohorts=(2015, 2017, 2020))
    with pytest.warns(UserWarning, match="cannot be imputed"):
        res = imputation(df, "firm", "year", "y", "g")
    # from 2020 on every unit is treated: no untreated row identifies those year effects
    assert res.info["n_not_imputed"] == int(((df.g > 0) & (df.year >= 2020)).sum())
    ref = reference(df)
    got = res.estimates.set_index("term")
    assert got.loc["ATT", "estimate"] == pytest.approx(ref.estimates["tau_ate"], abs=1e-6)
    assert got.loc["ATT", "std_error"] == pytest.approx(ref.std_errors["tau_ate"], rel=1e-5)


def test_pretrend_coefficients_match_did_imputation() -> None:
    """Lead coefficients equal did_imputation's; SEs agree up to the small-sample factor (we use reghdfe's,
    the port counts the absorbed effects differently), so they are compared at 1e-3."""
    df = simulate(8)
    res = imputation(df, "firm", "year", "y", "g", pretrends=3)
    ref = reference(df, pretrends=3)
    got = res.estimates.set_index("term")
    for h in (1, 2, 3):
        assert got.loc[f"e={-h}", "estimate"] == pytest.approx(ref.pretrends_estimates[f"pre{h}"], abs=1e-6)
        assert got.loc[f"e={-h}", "std_error"] == pytest.approx(ref.pretrends_std_errors[f"pre{h}"], rel=1e-3)
    assert res.pretrend is not None and res.pretrend.kind == "F" and res.pretrend.df == 3
    assert res.pretrend.terms == ("e=-3", "e=-2", "e=-1")


def test_point_estimates_match_pyfixest_did2s() -> None:
    df = simulate(9).assign(D=lambda d: (d.g > 0) & (d.year >= d.g))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.did2s(df, yname="y", first_stage="~ x | firm + year", second_stage="~ D", treatment="D",
                       cluster="firm")
    got = imputation(df, "firm", "year", "y", "g", controls=["x"]).estimate("ATT")
    assert got == pytest.approx(float(fit.coef()["D"]), abs=1e-4)


def test_homogeneous_effect_and_zero_pretrends_exact() -> None:
    rng = np.random.default_rng(0)
    df = simulate(10)
    treated = (df.g > 0) & (df.year >= df.g)
    df["y"] = rng.normal(size=240)[df.firm] + rng.normal(size=12)[df.year - 2012] + 0.7 * df.x + 3.0 * treated
    res = imputation(df, "firm", "year", "y", "g", controls=["x"], pretrends=2).estimates.set_index("term")
    assert np.allclose(res["estimate"].loc[["ATT", "e=0", "e=3"]], 3.0, atol=1e-9)
    assert np.allclose(res["estimate"].loc[["e=-2", "e=-1"]], 0.0, atol=1e-9)


def test_errors() -> None:
    df = simulate(11)
    with pytest.raises(ValueError, match="collinear"):
        imputation(df.assign(x2=2 * df.x), "firm", "year", "y", "g", controls=["x", "x2"])
    with pytest.raises(ValueError, match="avgeffectsby"):
        imputation(df, "firm", "year", "y", "g", avgeffectsby=("cohort",))
    with pytest.raises(ValueError, match="not constant within entity"):
        other = 2016 if df.g.iloc[0] == 2018 else 2018
        imputation(df.assign(g=np.where(df.index == 0, other, df.g)), "firm", "year", "y", "g")
    with pytest.raises(ValueError, match="no comparison units"):
        imputation(df.assign(g=2016), "firm", "year", "y", "g")
    with pytest.raises(ValueError, match="horizons must be >= 0"):
        imputation(df, "firm", "year", "y", "g", horizons=[-1, 0])


# R etwfe 0.6 test suite (inst/tinytest/test_etwfe.R, "m1_known" = fixest::coeftable of
# etwfe(lemp ~ 0, tvar = year, gvar = first.treat, data = mpdta, vcov = ~countyreal)): Wooldridge's extended
# TWFE with not-yet-treated controls, whose cohort x year cells equal the imputation estimator's cell means of tau.
ETWFE_MPDTA = {
    (2004, 2004): -0.0193723636759116, (2004, 2005): -0.0783190990620529, (2004, 2006): -0.136078114440309,
    (2004, 2007): -0.104707471576594, (2006, 2006): 0.00251386194191313, (2006, 2007): -0.0391927355917248,
    (2007, 2007): -0.0431060328087001,
}


def test_cells_match_published_etwfe_on_mpdta() -> None:
    """mpdta as shipped by moderndid; the printed full-precision cell coefficients of etwfe."""
    data = pytest.importorskip("moderndid.core.data")
    mpdta = data.load_mpdta().to_pandas()
    res = imputation(mpdta, "countyreal", "year", "lemp", "first.treat")
    cells = res.info["tau"].groupby(["g", "t"])["tau"].mean()
    assert len(cells) == len(ETWFE_MPDTA)
    for key, value in ETWFE_MPDTA.items():
        assert cells[key] == pytest.approx(value, abs=1e-10)


def test_cluster_by_a_coarser_group_matches_did_imputation() -> None:
    """Clusters above the entity (31 provinces): the cluster-weighted tau_bar and the score sums per province."""
    df = simulate(12)
    got = imputation(df, "firm", "year", "y", "g", cluster="prov", horizons=[0, 3]).estimates.set_index("term")
    ref = reference(df, cluster="prov", horizons=[0, 3])
    assert got.loc["e=3", "estimate"] == pytest.approx(ref.estimates["tau3"], abs=1e-6)
    assert got.loc["e=0", "std_error"] == pytest.approx(ref.std_errors["tau0"], rel=1e-5)
    assert got.loc["e=3", "std_error"] == pytest.approx(ref.std_errors["tau3"], rel=1e-5)
