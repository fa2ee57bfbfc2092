"""SubsetFE: FE estimates on many row subsets from weighted sums equal the exact refit on each subset."""

from __future__ import annotations

import numpy as np
import pytest

from srdi.models.heterogeneity import group_coefficients
from srdi.models.subset_fe import SubsetFE
from srdi.models.within import codes_of


def data(seed: int = 3, n_firms: int = 60, years: int = 8):
    rng = np.random.default_rng(seed)
    firm, year = np.divmod(np.arange(n_firms * years), years)
    keep = rng.random(firm.size) > 0.15  # unbalanced
    firm, year = firm[keep], year[keep] + 2010
    n = firm.size
    alpha = rng.normal(size=n_firms)[firm]
    x = np.column_stack([rng.normal(size=n) + alpha, 20 + rng.normal(size=n), rng.normal(size=n)])
    y = x @ [0.5, 0.3, -0.2] + alpha + 0.1 * year + rng.normal(size=n)
    return y, x, codes_of(firm), codes_of(year)


@pytest.mark.parametrize("fe", ["firm+year", "year+firm", "firm", "year", "none"])
@pytest.mark.parametrize("by", ["firm", "observation"])
def test_subset_estimates_equal_exact_refits(fe, by):
    y, x, firm, year = data()
    effects = {"firm+year": [firm, year], "year+firm": [year, firm], "firm": [firm], "year": [year], "none": []}[fe]
    rng = np.random.default_rng(7)
    coins = rng.random((6, firm.max() + 1 if by == "firm" else y.size)) < 0.5
    masks = coins[:, firm] if by == "firm" else coins  # a firm's rows share its label, or each row has its own
    fast = SubsetFE.build(y, x, effects)
    got, complement = fast.coefficients(masks, 2)
    assert not np.isnan(got).any() and not np.isnan(complement).any()
    for m, row, other in zip(masks, got, complement, strict=True):
        np.testing.assert_allclose(row, group_coefficients(y, x, effects, m, 2), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(other, group_coefficients(y, x, effects, ~m, 2), rtol=1e-9, atol=1e-12)
    if by == "firm" and fe in ("firm+year", "year+firm", "firm"):  # per-firm weights: the linear path
        per_firm = SubsetFE.build(y, x, effects, units=firm)
        assert per_firm.unit_stats is not None
        got_u, complement_u = per_firm.coefficients(coins, 2)
        np.testing.assert_allclose(got_u, got, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(complement_u, complement, rtol=1e-9, atol=1e-12)


def test_units_that_are_not_levels_of_the_large_effect_are_refused():
    y, x, firm, year = data()
    assert SubsetFE.build(y, x, [year], units=firm) is None
    assert SubsetFE.build(y, x, [], units=firm) is None


def test_collinear_or_tiny_subsets_are_left_to_the_refit():
    y, x, firm, year = data()
    x = np.column_stack([x, x[:, 0] * 2.0])  # exactly collinear with the first column
    fast = SubsetFE.build(y, x, [firm, year])
    mask = np.ones((1, y.size), dtype=bool)
    assert np.isnan(fast.coefficients(mask, 1)[0]).all()
    one_row = np.zeros((1, y.size), dtype=bool)
    one_row[0, 0] = True
    assert np.isnan(fast.coefficients(one_row, 1)[0]).all()


def test_many_effects_are_not_handled():
    y, x, firm, year = data()
    assert SubsetFE.build(y, x, [firm, year, firm]) is None


@pytest.mark.parametrize("fe", ["firm+year", "firm"])
def test_level_sums_in_several_passes_equal_exact_refits(fe, monkeypatch):
    """The per-level sums go a few draws per pass (subset_fe.SCRATCH); with passes of 1-3 draws the estimates
    of every draw and its complement still equal a refit on its rows."""
    import srdi.models.subset_fe as sfe

    y, x, firm, year = data(seed=11)
    effects = [firm, year] if fe == "firm+year" else [firm]
    masks = np.random.default_rng(2).random((7, y.size)) < 0.4
    for scratch in (1, 2 * (firm.max() + 1) * 12):
        monkeypatch.setattr(sfe, "SCRATCH", scratch)
        got, complement = SubsetFE.build(y, x, effects).coefficients(masks, 3)
        for m, row, other in zip(masks, got, complement, strict=True):
            np.testing.assert_allclose(row, group_coefficients(y, x, effects, m, 3), rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(other, group_coefficients(y, x, effects, ~m, 3), rtol=1e-9, atol=1e-12)
