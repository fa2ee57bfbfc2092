"""The absorbed-FE engine (`srdi.models.hdfe`) against independent implementations.

* linearmodels PanelOLS (entity + time effects) on an unbalanced panel. Its default two-way path
  demeans iteratively and stops at a relative change of 1e-8, so the 1e-10 comparison uses its exact
  LSDV path (`use_lsdv=True`); the default path is checked at its own precision.
* statsmodels OLS on explicit dummy matrices (LSDV) for firm + industry^year and for three and four
  effects, where no closed form exists and the engine iterates.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.api as sm
from linearmodels import PanelOLS

from srdi.models import fit_panel, parse_spec
from srdi.models.hdfe import Absorber, demean, dense_codes, interact
from srdi.models.within import absorbed_dof, singleton_mask

TERMS = ["x1", "x2", "x3"]


def panel(seed: int = 11, n_firms: int = 150, years: range = range(2008, 2020)) -> pd.DataFrame:
    """Unbalanced firm-years with industries, provinces and a firm-varying 'region' (a non-nested third effect)."""
    rng = np.random.default_rng(seed)
    keep = rng.random((n_firms, len(years))) < 0.7
    firm, t = np.nonzero(keep)
    year = np.asarray(years)[t]
    n = firm.size
    alpha = rng.normal(size=n_firms)[firm]
    industry = firm % 8
    province = rng.integers(0, 5, n_firms)[firm]
    region = rng.integers(0, 12, n)  # varies within firm: a genuine third effect
    iy = rng.normal(size=(8, len(years)))[industry, t]
    d = pd.DataFrame({"firm": firm + 1000, "year": year, "industry": industry, "province": province, "region": region})
    for j, col in enumerate(TERMS):
        d[col] = rng.normal(size=n) + 0.4 * alpha + 0.3 * iy + 0.1 * j * t
    d["y"] = 0.5 * d["x1"] - 0.2 * d["x2"] + 0.1 * d["x3"] + alpha + iy + 0.2 * region + rng.normal(size=n)
    return d


def lsdv_params(d: pd.DataFrame, effects: list[list[str]]) -> np.ndarray:
    """Slopes of statsmodels OLS with one dummy column per level of every effect (full rank via pinv)."""
    blocks = [d[TERMS].to_numpy(float)]
    for cols in effects:
        key = d[cols].astype(str).agg("|".join, axis=1)
        blocks.append(pd.get_dummies(key, dtype=float).to_numpy())
    design = np.column_stack(blocks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the dummies are collinear by construction; pinv handles it
        res = sm.OLS(d["y"].to_numpy(float), design).fit(method="pinv")
    return res.params[: len(TERMS)]


def spec(fe: list[str], **kw) -> dict:
    base = {"outcome": "y", "regressors": TERMS, "lag": [], "fe": fe}
    base.update(kw)
    return base


def test_two_way_equals_panelols_exactly():
    d = panel()
    res = fit_panel(d, spec(["entity", "time"]), "firm", "year")
    assert res.n_singletons == 0
    frame = d.set_index(["firm", "year"])
    lm = PanelOLS(frame["y"], frame[TERMS], entity_effects=True, time_effects=True)
    exact = lm.fit(use_lsdv=True).params[TERMS].to_numpy()
    np.testing.assert_allclose(res.params[TERMS].to_numpy(), exact, rtol=1e-10, atol=1e-12)
    default = lm.fit().params[TERMS].to_numpy()  # iterative demeaning, stops at relative change 1e-8
    np.testing.assert_allclose(res.params[TERMS].to_numpy(), default, rtol=1e-7)


def test_one_way_equals_panelols():
    d = panel(seed=3)
    res = fit_panel(d, spec(["entity"]), "firm", "year")
    frame = d.set_index(["firm", "year"])
    lm = PanelOLS(frame["y"], frame[TERMS], entity_effects=True).fit()
    np.testing.assert_allclose(res.params[TERMS].to_numpy(), lm.params[TERMS].to_numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("fe", "effects"),
    [
        (["entity", "industry^year"], [["firm"], ["industry", "year"]]),
        (["firm", "year", "province^year"], [["firm"], ["year"], ["province", "year"]]),
        (["entity", "time", "region"], [["firm"], ["year"], ["region"]]),
        (["entity", "time", "region", "industry^year"], [["firm"], ["year"], ["region"], ["industry", "year"]]),
    ],
)
def test_absorbed_effects_equal_lsdv(fe, effects):
    d = panel(seed=5)
    res = fit_panel(d, spec(fe), "firm", "year")
    assert res.n_singletons == 0
    np.testing.assert_allclose(res.params[TERMS].to_numpy(), lsdv_params(d, effects), rtol=1e-10, atol=1e-12)
    assert res.spec.fe_label == "+".join(fe)


def test_demean_paths_equal_dummy_projection():
    rng = np.random.default_rng(0)
    n = 2000
    a = rng.normal(size=(n, 2)) + np.arange(n)[:, None] % 7
    f, t, g = rng.integers(0, 200, n), rng.integers(0, 10, n), rng.integers(0, 30, n)
    for codes in ([f], [f, t], [t, f], [f, t, g], [f, interact([g, t])]):
        codes = [dense_codes(c) for c in codes]
        dummies = np.column_stack([np.eye(c.max() + 1)[c] for c in codes])
        coef = np.linalg.lstsq(dummies, a, rcond=None)[0]
        np.testing.assert_allclose(demean(a, codes), a - dummies @ coef, atol=1e-10)


def test_exact_two_way_on_a_disconnected_panel():
    # two groups of firms that never share a year: two components, one grounded year level each
    f = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    t = np.array([0, 1, 0, 1, 1, 0, 2, 3, 3, 2])
    a = np.arange(10.0) ** 1.5
    absorber = Absorber([f, t])
    assert absorber.exact
    dummies = np.column_stack([np.eye(5)[f], np.eye(4)[t]])
    expected = a - dummies @ np.linalg.lstsq(dummies, a, rcond=None)[0]
    np.testing.assert_allclose(absorber.demean(a.copy()), expected, atol=1e-12)


def test_singletons_across_three_effects():
    # firm 3 has one row; dropping it leaves region 9 with one row (row 5), whose removal leaves
    # year 2003 alone (row 4): three rounds over three effects
    firm = np.array([1, 1, 2, 2, 2, 3, 4, 4, 5, 5])
    year = np.array([2001, 2002, 2001, 2003, 2002, 2004, 2001, 2002, 2001, 2002])
    region = np.array([7, 7, 7, 8, 9, 9, 8, 8, 7, 7])
    # row 5 (firm 3) is a firm singleton; then region 9 has only row 4; then year 2003 has only row 3,
    # and firm 2 keeps rows 2 (its other rows gone: row 2 is alone in firm 2) -> dropped as well
    keep = singleton_mask([dense_codes(firm), dense_codes(year), dense_codes(region)])
    expected = np.ones(10, dtype=bool)
    expected[[5, 4, 3, 2]] = False
    np.testing.assert_array_equal(keep, expected)
    # once more by brute force: repeat "drop every row alone in some level" until nothing changes
    mask = np.ones(10, dtype=bool)
    while True:
        alone = np.zeros(10, dtype=bool)
        for c in (firm, year, region):
            vals, counts = np.unique(c[mask], return_counts=True)
            alone |= mask & np.isin(c, vals[counts == 1])
        if not alone.any():
            break
        mask &= ~alone
    np.testing.assert_array_equal(keep, mask)


def test_fit_panel_counts_singletons_over_interacted_effect():
    d = panel(seed=8)
    lonely = d.iloc[[0]].assign(industry=99)  # an industry^year cell with one firm-year
    d = pd.concat([d, lonely.assign(year=2030)], ignore_index=True)
    res = fit_panel(d, spec(["entity", "industry^year"]), "firm", "year")
    assert res.n_singletons >= 1


def test_df_a_hand_made_three_effects():
    # 4 firms x 3 years, balanced; region varies within firm
    firm = np.repeat([0, 1, 2, 3], 3)
    year = np.tile([0, 1, 2], 4)
    region = np.array([0, 0, 1, 1, 1, 0, 2, 2, 2, 2, 0, 0])
    fe = [firm, year, region]
    # no clusters: firm all 4 levels; year 3 - 1 component; region 3 - max(G(firm, region)=1, G(year, region)=1)
    assert absorbed_dof(fe, [], 12).df_a == 4 + 2 + 2
    # clustered by firm: firm nested (0); year is the first remaining (3); region 3 - G(year, region) = 2
    dof = absorbed_dof(fe, [firm], 12)
    assert dof.nested == (True, False, False)
    assert dof.df_a == 3 + 2
    # disconnected blocks: (a, b) has components {a0,a1,b0,b1}, {a2,a3,b2,b3} -> b counts 4 - 2;
    # c meets a in {a0,a1,c0,c1}, {a2,c2}, {a3,c3} (3) and b in 2 blocks -> c counts 4 - max(3, 2)
    a = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    b = np.array([0, 1, 0, 1, 2, 3, 2, 3])
    c = np.array([0, 1, 1, 0, 2, 2, 3, 3])
    dof = absorbed_dof([a, b, c], [], 8)
    assert dof.redundant == (0, 2, 3)
    assert dof.df_a == 4 + (4 - 2) + (4 - 3)


def test_fe_spec_accepts_columns_and_interactions():
    s = parse_spec(spec(["entity", "industry^year", "province^time"]), "m", "firm", "year")
    assert s.fe_columns("firm", "year") == (("firm",), ("industry", "year"), ("province", "year"))
    assert s.fe_terms("firm", "year") == ("firm", "industry^year", "province^year")
    assert "industry" in s.required_columns("firm", "year")
    with pytest.raises(ValueError, match="same effect twice"):
        parse_spec(spec(["time", "year"]), "m", "firm", "year")
    with pytest.raises(ValueError, match="column 'sector' is not in the panel"):
        fit_panel(panel(), spec(["entity", "sector^year"]), "firm", "year")


def test_missing_fe_values_are_listwise_deleted():
    d = panel(seed=2)
    d["province"] = d["province"].astype(float)
    d.loc[d.index[:7], "province"] = np.nan
    res = fit_panel(d, spec(["entity", "province^year"]), "firm", "year")
    assert res.n_missing == 7
    ref = fit_panel(d.dropna(subset=["province"]), spec(["entity", "province^year"]), "firm", "year")
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-12)


def test_dense_codes_match_factorize():
    rng = np.random.default_rng(1)
    for values in (rng.integers(600000, 605000, 1000), rng.normal(size=50).round(1), np.array(["b", "a", "c", "a"])):
        expected, _ = pd.factorize(pd.Series(values), sort=True)
        np.testing.assert_array_equal(dense_codes(values), expected)
    with pytest.raises(ValueError, match="missing"):
        dense_codes(pd.Series([1.0, np.nan]))


def test_row_order_does_not_matter():
    # sorted firm codes take the sparse-indicator path, shuffled ones np.bincount: same numbers
    d = panel(seed=4)
    shuffled = d.sample(frac=1.0, random_state=0)
    for fe in (["entity", "time"], ["entity", "time", "region"]):
        a = fit_panel(d, spec(fe), "firm", "year")
        b = fit_panel(shuffled, spec(fe), "firm", "year")
        np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-10)
        np.testing.assert_allclose(a.std_errors.to_numpy(), b.std_errors.to_numpy(), rtol=1e-9)


def test_nested_effect_left_out_of_the_demeaning_changes_nothing():
    """year is nested in industry^year (each industry-year cell lies in one year): the engine leaves it out of the
    demeaning, and the fit equals one that keeps it (pyfixest demeans on all three effects) in coefficients and SEs;
    the degrees of freedom are still counted on all the effects as written, as reghdfe does."""
    d = panel(seed=12)
    firm, year = dense_codes(d["firm"]), dense_codes(d["year"])
    codes = [firm, year, interact([dense_codes(d["industry"]), year])]
    assert Absorber(codes).redundant == (1,)  # year
    assert Absorber([codes[0], codes[2]]).redundant == ()
    clustered = {"type": "cluster", "by": ["firm"]}
    res = fit_panel(d, spec(["entity", "time", "industry^year"], vcov=clustered), "firm", "year")
    ref = pf.feols("y ~ x1 + x2 + x3 | firm + year + industry^year", data=d, vcov={"CRV1": "firm"}, fixef_tol=1e-12)
    np.testing.assert_allclose(res.params[TERMS].to_numpy(), ref.coef()[TERMS].to_numpy(), rtol=1e-10, atol=1e-12)
    # degrees of freedom, counted independently: firm is nested in the firm clusters (not counted), and the year
    # dummies are spanned by the industry^year dummies, so the absorbed parameters are the industry-year cells
    n_cells = len(d[["industry", "year"]].drop_duplicates())
    n_years, n, k = d["year"].nunique(), len(d), len(TERMS)
    assert res.df_a == n_cells
    assert res.k_total == k + n_cells
    # pyfixest counts every level of year and of industry^year but one (its K is larger by n_years - 1); with
    # that count undone, the SEs agree
    expected = ref.se()[TERMS].to_numpy() * np.sqrt((n - k - n_years - n_cells + 1) / (n - k - n_cells))
    np.testing.assert_allclose(res.std_errors[TERMS].to_numpy(), expected, rtol=1e-8)
    # and, clustered by firm, the same model written without the nested effect gives the same numbers
    short = fit_panel(d, spec(["entity", "industry^year"], vcov=clustered), "firm", "year")
    np.testing.assert_allclose(res.params.to_numpy(), short.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.std_errors.to_numpy(), short.std_errors.to_numpy(), rtol=1e-10)
    assert (res.df_a, res.df_resid, res.k_total) == (short.df_a, short.df_resid, short.k_total)
    # without clusters the count is reghdfe's pairwise one on the effects as written, as before the engine left
    # year out: firm 150, year T - 1 (one firm-year component), industry^year less the larger of its components
    # with firm (8 industries: firms keep theirs) and with year (T): the year levels are counted, conservatively
    robust = fit_panel(d, spec(["entity", "time", "industry^year"], vcov={"type": "robust"}), "firm", "year")
    n_firms = d["firm"].nunique()
    assert robust.df_a == n_firms + (n_years - 1) + (n_cells - max(d["industry"].nunique(), n_years))
    assert res.df_r_used == n - k - robust.df_a


@pytest.mark.parametrize("switching", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_cell_blocks_equal_the_dense_cell_table(switching, weighted):
    """The firm x industry^year cell table C as dense blocks per component (firms keep their industry: one block per
    industry; they switch: one block) and as a sparse matrix gives C'D⁻¹C, C'x and C theta of the dense table."""
    from srdi.models.hdfe import _CellBlocks, _Factor, _SparseCells, small_components

    rng = np.random.default_rng(4)
    n, n_firms = 3000, 400
    firm = dense_codes(rng.integers(0, n_firms, n))
    industry = rng.integers(0, 6, n) if switching else rng.integers(0, 6, n_firms)[firm]
    cell = interact([dense_codes(industry), dense_codes(rng.integers(0, 9, n))])
    w = rng.random(n) + 0.5 if weighted else None
    big, small = _Factor(firm, w), _Factor(cell, w)
    labels = small_components(firm, cell, big.levels, small.levels)
    assert (labels.max() + 1 == 1) == switching
    table = np.zeros((big.levels, small.levels))
    np.add.at(table, (firm, cell), 1.0 if w is None else w)
    x, theta = rng.normal(size=(big.levels, 3)), rng.normal(size=(small.levels, 3))
    for cells in (_CellBlocks(big, small, labels, int(np.bincount(labels).max())), _SparseCells(big, small)):
        np.testing.assert_allclose(cells.cross(), table.T @ (table / big.counts[:, None]), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cells.t_dot(x), table.T @ x, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cells.dot(theta), table @ theta, rtol=1e-12, atol=1e-12)
