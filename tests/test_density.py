"""The placebo figure's density curve equals scipy.stats.gaussian_kde (Scott's rule) to rounding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import gaussian_kde

from srdi.report.density import gaussian_density


@pytest.mark.parametrize("n", [2, 7, 500, 9999])
def test_density_matches_scipy_gaussian_kde(n):
    rng = np.random.default_rng(n)
    draws = np.concatenate([rng.normal(0.3, 0.05, n - n // 3), rng.standard_t(3, n // 3) * 0.02])
    grid = np.linspace(draws.min() - 0.1, draws.max() + 0.1, 200)
    expected = gaussian_kde(draws)(grid)
    np.testing.assert_allclose(gaussian_density(draws, grid), expected, rtol=1e-10, atol=1e-12 * expected.max())


def test_density_integrates_to_one():
    draws = np.random.default_rng(1).normal(size=300)
    grid = np.linspace(-8, 8, 4001)
    assert np.trapezoid(gaussian_density(draws, grid), grid) == pytest.approx(1.0, abs=1e-6)
