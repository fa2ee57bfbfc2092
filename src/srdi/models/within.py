"""Absorbed fixed effects: singletons, the within transformation, and the degrees of freedom they use.

Each function follows Stata `reghdfe` (Correia), since that is what referees in this literature
compare against:

* singletons are dropped iteratively over all absorbed effects until none is left;
* the FE parameters counted in the small-sample factor (`df_a`) exclude effects nested in a
  cluster variable, count every level of the first remaining effect (it plays the intercept) and
  subtract, from the second, the number of connected components of the bipartite graph between
  the two (reghdfe's "mobility groups", exact for two effects); from each further effect, the
  largest number of components it forms with any earlier remaining effect. That is reghdfe's
  documented default (`dofadjustments(pairwise)`: "For the third FE, we do not know exactly ...
  choose the higher of those", help reghdfe, section dofadjustments), a conservative count that
  can overstate df_a (and so the SEs, slightly) with three or more effects. It is at least
  "levels minus 1" for every effect.

A pooled OLS model absorbs a single one-level "constant" effect, so the same code counts its
intercept (df_a = 1), exactly like reghdfe's `noabsorb`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from srdi.models.hdfe import demean as hdfe_demean
from srdi.models.hdfe import dense_codes, small_components
from srdi.models.hdfe import is_nested as is_nested  # re-exported: callers take it from here


def codes_of(values: pd.Series | np.ndarray) -> np.ndarray:
    """Dense integer codes 0..L-1 (levels in sorted order, so results do not depend on row order)."""
    return dense_codes(values)


def n_levels(codes: np.ndarray) -> int:
    return int(codes.max()) + 1 if codes.size else 0


def singleton_mask(fe_codes: Sequence[np.ndarray]) -> np.ndarray:
    """Rows to keep after iteratively dropping observations alone in a level of any absorbed effect.

    Level counts are updated by the rows dropped in each round rather than recounted, so a panel
    without singletons costs one count and one check per effect.
    """
    n = fe_codes[0].shape[0] if fe_codes else 0
    keep = np.ones(n, dtype=bool)
    counts = [np.bincount(c, minlength=n_levels(c)) for c in fe_codes]
    clean = 0  # effects checked in a row without finding a singleton
    g = 0
    while fe_codes and clean < len(fe_codes):
        alone = counts[g][fe_codes[g]] == 1
        alone &= keep
        if alone.any():
            keep &= ~alone
            gone = np.flatnonzero(alone)
            for h, codes in enumerate(fe_codes):
                counts[h] -= np.bincount(codes[gone], minlength=counts[h].shape[0])
            clean = 1
        else:
            clean += 1
        g = (g + 1) % len(fe_codes)
    return keep


def _group_demean(a: np.ndarray, codes: np.ndarray) -> np.ndarray:
    levels = n_levels(codes)
    counts = np.bincount(codes, minlength=levels).astype(float)
    sums = np.stack([np.bincount(codes, weights=a[:, j], minlength=levels) for j in range(a.shape[1])], 1)
    return a - (sums / counts[:, None])[codes]


def demean(a: np.ndarray, fe_codes: Sequence[np.ndarray], weights: np.ndarray | None = None) -> np.ndarray:
    """Residuals of each column of `a` on the absorbed dummies (the FWL within transformation).

    Delegates to `srdi.models.hdfe` (no dense dummies): exact for one effect and for two effects
    whose smaller one has at most `hdfe.EXACT_MAX_LEVELS` levels; alternating projections to a
    relative change of 1e-12 otherwise (any number of effects). With no effect the columns are
    centred (the intercept of pooled OLS). With analytic `weights`, every group mean is weighted (the
    residuals of the weighted projection). Returns a new (N x p) array.
    """
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    return hdfe_demean(a, fe_codes, weights=weights)


def n_components(a: np.ndarray, b: np.ndarray) -> int:
    """Connected components of the bipartite graph whose edges are the observed (a, b) pairs."""
    la, lb = n_levels(a), n_levels(b)
    if min(la, lb) <= 4096:  # O(N) through the smaller side (firm-year: the years)
        big, small = (a, b) if la >= lb else (b, a)
        labels = small_components(big, small, max(la, lb), min(la, lb))
        return int(labels.max()) + 1 if labels.size else 0
    graph = coo_matrix((np.ones(a.shape[0]), (a, b + la)), shape=(la + lb, la + lb))
    count, _ = connected_components(graph, directed=False)
    return int(count)


@dataclass(frozen=True)
class AbsorbedDof:
    """What reghdfe reports in its "Absorbed degrees of freedom" table, summed."""

    df_a: int  # FE parameters counted in K
    levels: tuple[int, ...]  # levels of each effect ("Categories")
    redundant: tuple[int, ...]  # levels not counted ("Redundant"), incl. nested ones
    nested: tuple[bool, ...]  # nested in a cluster variable?


def absorbed_dof(
    fe_codes: Sequence[np.ndarray],
    cluster_codes: Sequence[np.ndarray],
    n_obs: int,
    components: dict[tuple[int, int], int] | None = None,
) -> AbsorbedDof:
    """Count the absorbed parameters as reghdfe does (see module docstring).

    `components` caches the connected components of pairs of effects, keyed by their positions (sorted): pass the
    same dict to calls on the same effects (and seed it with `hdfe.Absorber.pair_components`) to count each once.
    """
    cache = {} if components is None else components

    def pair(h: int, g: int) -> int:
        key = (min(h, g), max(h, g))
        if key not in cache:
            cache[key] = n_components(fe_codes[h], fe_codes[g])
        return cache[key]

    if not fe_codes:
        fe_codes = [np.zeros(n_obs, dtype=np.int64)]  # pooled OLS: the intercept is a one-level effect
    levels = tuple(n_levels(c) for c in fe_codes)
    nested = tuple(any(is_nested(fe, cl) for cl in cluster_codes) for fe in fe_codes)
    redundant = list(levels)  # nested effects are fully redundant
    remaining = [g for g, is_n in enumerate(nested) if not is_n]
    for pos, g in enumerate(remaining):
        if pos == 0:
            redundant[g] = 0
        else:
            redundant[g] = max(
                max(pair(h, g) for h in remaining[:pos]),
                1,
            )
    df_a = sum(levels) - sum(redundant)
    return AbsorbedDof(df_a=df_a, levels=levels, redundant=tuple(redundant), nested=nested)
