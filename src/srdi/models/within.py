"""Absorbed fixed effects: singletons, the within transformation, and the degrees of freedom they use.

Each function follows Stata `reghdfe` (Correia), since that is what referees in this literature
compare against:

* singletons are dropped iteratively over all absorbed effects until none is left;
* the FE parameters counted in the small-sample factor (`df_a`) exclude effects nested in a
  cluster variable, count every level of the first remaining effect (it plays the intercept) and
  subtract, from the second, the number of connected components of the bipartite graph between
  the two (reghdfe's "mobility groups", exact for two effects).

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


def codes_of(values: pd.Series | np.ndarray) -> np.ndarray:
    """Dense integer codes 0..L-1 (levels in sorted order, so results do not depend on row order)."""
    codes, _ = pd.factorize(pd.Series(values), sort=True)
    if (codes < 0).any():
        raise ValueError("group identifiers must not be missing")
    return codes.astype(np.int64)


def n_levels(codes: np.ndarray) -> int:
    return int(codes.max()) + 1 if codes.size else 0


def singleton_mask(fe_codes: Sequence[np.ndarray]) -> np.ndarray:
    """Rows to keep after iteratively dropping observations alone in a level of any absorbed effect."""
    n = fe_codes[0].shape[0] if fe_codes else 0
    keep = np.ones(n, dtype=bool)
    changed = bool(fe_codes)
    while changed:
        changed = False
        for codes in fe_codes:
            counts = np.bincount(codes[keep], minlength=n_levels(codes)) if keep.any() else None
            if counts is None:
                return keep
            alone = keep & (counts[codes] == 1)
            if alone.any():
                keep &= ~alone
                changed = True
    return keep


def _group_demean(a: np.ndarray, codes: np.ndarray) -> np.ndarray:
    levels = n_levels(codes)
    counts = np.bincount(codes, minlength=levels).astype(float)
    sums = np.stack([np.bincount(codes, weights=a[:, j], minlength=levels) for j in range(a.shape[1])], 1)
    return a - (sums / counts[:, None])[codes]


def demean(a: np.ndarray, fe_codes: Sequence[np.ndarray]) -> np.ndarray:
    """Residuals of each column of `a` on the absorbed dummies (the FWL within transformation).

    Exact, not iterative: one effect is a group-mean subtraction; for two effects the columns are
    demeaned by the effect with more levels and then projected off that demeaned dummy matrix of the
    effect with fewer levels (years), solved by least squares, which handles any rank deficiency.
    With no effect the columns are centred (the intercept of pooled OLS).
    """
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if not fe_codes:
        return a - a.mean(axis=0)
    if len(fe_codes) == 1:
        return _group_demean(a, fe_codes[0])
    if len(fe_codes) != 2:
        raise NotImplementedError("at most two absorbed effects are supported")
    big, small = sorted(fe_codes, key=n_levels, reverse=True)
    a1 = _group_demean(a, big)
    dummies = np.zeros((a.shape[0], n_levels(small)))
    dummies[np.arange(a.shape[0]), small] = 1.0
    d1 = _group_demean(dummies, big)
    coef, *_ = np.linalg.lstsq(d1, a1, rcond=None)
    return a1 - d1 @ coef


def is_nested(fe: np.ndarray, cluster: np.ndarray) -> bool:
    """True if every level of `fe` lies within one level of `cluster`."""
    pairs = np.unique(fe * n_levels(cluster) + cluster)  # one integer per observed (fe, cluster) pair
    return pairs.shape[0] == n_levels(fe)


def n_components(a: np.ndarray, b: np.ndarray) -> int:
    """Connected components of the bipartite graph whose edges are the observed (a, b) pairs."""
    la, lb = n_levels(a), n_levels(b)
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
    fe_codes: Sequence[np.ndarray], cluster_codes: Sequence[np.ndarray], n_obs: int
) -> AbsorbedDof:
    """Count the absorbed parameters as reghdfe does (see module docstring)."""
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
                max(n_components(fe_codes[h], fe_codes[g]) for h in remaining[:pos]),
                1,
            )
    df_a = sum(levels) - sum(redundant)
    return AbsorbedDof(df_a=df_a, levels=levels, redundant=tuple(redundant), nested=nested)
