"""srdi.models.dist equals scipy.stats bit for bit on ordinary and edge values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from srdi.models import dist

X = np.array([-np.inf, -40.0, -3.5, -1.959963984540054, -1e-300, -0.0, 0.0, 1e-12, 0.3, 1.0, 2.5, 7.0, 1e3,
              np.inf, np.nan])
Q = np.array([0.0, 1e-300, 1e-10, 0.025, 0.25, 0.5, 0.75, 0.95, 0.975, 1 - 1e-12, 1.0, np.nan])
DF = [1, 2, 7, 30.5, 1000, 1e7]


def same(a, b) -> None:
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert np.ndim(a) == np.ndim(b)


@pytest.mark.parametrize("df", DF)
def test_t_chi2_f_equal_scipy_stats(df):
    same(dist.t_sf(X, df), stats.t.sf(X, df))
    same(dist.t_ppf(Q, df), stats.t.ppf(Q, df))
    same(dist.chi2_sf(X, df), stats.chi2.sf(X, df))
    same(dist.f_sf(X, 3, df), stats.f.sf(X, 3, df))
    same(dist.f_ppf(Q, 3, df), stats.f.ppf(Q, 3, df))
    same(dist.t_sf(2.1, df), stats.t.sf(2.1, df))  # scalars stay numpy scalars
    same(dist.t_ppf(0.975, df), stats.t.ppf(0.975, df))


def test_normal_equals_scipy_stats():
    same(dist.norm_sf(X), stats.norm.sf(X))
    same(dist.norm_cdf(X), stats.norm.cdf(X))
    same(dist.norm_ppf(Q), stats.norm.ppf(Q))
    same(dist.norm_ppf(0.975), stats.norm.ppf(0.975))
    same(dist.norm_cdf([0.1, -2.0]), stats.norm.cdf([0.1, -2.0]))
