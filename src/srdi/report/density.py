"""Gaussian kernel density of placebo draws, in numpy.

Why not scipy.stats.gaussian_kde: importing scipy.stats costs the figures job about a second of start-up on the
critical path of every run, for one 200-point curve. This is the same estimator (Gaussian kernel, Scott's rule
bandwidth n^(-1/5) times the sample standard deviation with ddof 1); tests/test_density.py checks it against
scipy's to rounding.
"""

from __future__ import annotations

import numpy as np


def gaussian_density(draws: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Density of `draws` (one dimension, at least two distinct values) at each point of `grid`."""
    draws = np.asarray(draws, dtype=float)
    grid = np.asarray(grid, dtype=float)
    n = draws.size
    bandwidth = np.std(draws, ddof=1) * n ** (-0.2)
    z = (grid[:, None] - draws[None, :]) / bandwidth
    return np.exp(-0.5 * z * z).sum(axis=1) / (n * bandwidth * np.sqrt(2.0 * np.pi))
