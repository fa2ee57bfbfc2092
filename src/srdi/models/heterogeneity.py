"""Heterogeneity: the same panel model per subgroup, and a permutation test of the coefficient gap.

Comparing subgroup coefficients by eye (significant here, not there) is the error Lian & Liao
(2017, 连玉君 廖俊平, 如何检验分组回归后的组间系数差异?) warn against; they recommend Fisher's
permutation test of d = b_a - b_b. Here:

* each subgroup is `fit_panel` with the group added to the sample filter (lags still come from the
  full panel), so group rows are exactly what a separate `panel` model with `sample` would give;
* the test pools the two groups' estimation rows and reshuffles the group labels across *firms*
  (each firm keeps one label, so its whole history moves together and within-firm dependence is
  preserved), computes both groups' estimates each time, and reports the two-sided p = share of
  permutations with |d*| >= |d| (Lian & Liao report the one-sided share d* >= d; two-sided does not
  presume the sign of the gap). With `permute_by: observation` the labels of firm-years are reshuffled
  instead (needed when the group variable changes within firms, which the firm-level test refuses);
* a draw's estimates come from sums linear in the 0/1 group weights (`SubsetFE`), not from refits;
  a draw those sums cannot decide safely is refitted with a lean solver with `fit_panel`'s steps
  (singletons, `hdfe.Absorber`, collinearity, least squares), point estimates only;
* draw i uses its own random stream `draw_rng(seed, i, pair)`, so draws can run in shards
  (srdi.models.draws) with the same result.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from srdi.blas_threads import limit_blas
from srdi.clusters import MIN_CLUSTERS
from srdi.models.draws import draw_rng, resample
from srdi.models.hdfe import Absorber
from srdi.models.moderation import estimation_rows, fe_codes, panel_spec
from srdi.models.panel import PanelResult, _independent_columns, fit_panel
from srdi.models.rows import SAMPLE_FLAG
from srdi.models.spec import ModelSpec, check_columns, check_entry, column_name
from srdi.models.subset_fe import SubsetFE
from srdi.models.tidy import TIDY_COLUMNS, term_lag, tidy
from srdi.models.within import singleton_mask

HETEROGENEITY_KEYS = frozenset(
    {"kind", "outcome", "regressors", "controls", "fe", "vcov", "lag", "sample"}
    | {"group_by", "groups", "permutations", "min_clusters", "permute_by"}
)
EXTRA_COLUMNS = ("equation", "method", "group", "group_a", "group_b", "n_permutations")
PERMUTE_BY = ("firm", "observation")


class FewClustersWarning(UserWarning):
    """A subgroup has fewer clusters than `min_clusters`: its clustered SE are unreliable."""


@dataclass(frozen=True)
class HeterogeneitySpec:
    panel: ModelSpec
    group_by: str
    groups: tuple[Any, ...] | None
    permutations: int
    min_clusters: int
    permute_by: str


def _positive_int(raw: Any, key: str, default: int, name: str, minimum: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, (int, np.integer)) or raw < minimum:
        raise ValueError(f"model {name!r}: {key} must be an integer >= {minimum}, got {raw!r}")
    return int(raw)


def parse_heterogeneity(raw: Mapping[str, Any], name: str, entity: str, time: str) -> HeterogeneitySpec:
    check_entry(raw, HETEROGENEITY_KEYS, "heterogeneity", name)
    group_by = column_name(raw.get("group_by"), "group_by", name)
    groups = raw.get("groups")
    if groups is not None:
        if isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence) or len(groups) != 2:
            raise ValueError(f"model {name!r}: groups must list exactly two values of {group_by!r}, got {groups!r}")
        if groups[0] == groups[1]:
            raise ValueError(f"model {name!r}: groups lists the same value twice: {list(groups)}")
        groups = tuple(groups)
    permute_by = raw.get("permute_by", "firm")
    if permute_by not in PERMUTE_BY:
        raise ValueError(f"model {name!r}: permute_by must be one of {list(PERMUTE_BY)}, got {permute_by!r}")
    regressors = raw.get("regressors")
    if isinstance(regressors, str):
        regressors = [regressors]  # parse_spec then reports the type error consistently
    spec = panel_spec(raw, regressors if regressors is not None else [], name, entity, time)
    return HeterogeneitySpec(
        panel=replace(spec, kind="heterogeneity"),
        group_by=group_by,
        groups=groups,
        permutations=_positive_int(raw.get("permutations"), "permutations", 1000, name, 0),
        min_clusters=_positive_int(raw.get("min_clusters"), "min_clusters", MIN_CLUSTERS, name, 1),
        permute_by=permute_by,
    )


def group_label(value: Any) -> str:
    """`1.0` -> "1" (a 0/1 column stored as float), otherwise str()."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _groups(rows: pd.DataFrame, hs: HeterogeneitySpec) -> list[Any]:
    present = sorted(pd.unique(rows[hs.group_by]))
    name = hs.panel.name
    if hs.groups is None:
        if len(present) < 2:
            raise ValueError(
                f"model {name!r}: group_by {hs.group_by!r} has fewer than two groups in the sample: {present}"
            )
        return present
    missing = [g for g in hs.groups if not (rows[hs.group_by] == g).any()]
    if missing:
        raise ValueError(f"model {name!r}: group(s) {missing} of {hs.group_by!r} have no observations in the sample")
    return list(hs.groups)


def fit_group(df: pd.DataFrame, hs: HeterogeneitySpec, value: Any, entity: str, time: str) -> PanelResult:
    """`fit_panel` on the full panel with the group added to the in_sample flag (lags use all years)."""
    flag = df[SAMPLE_FLAG].fillna(False).astype(bool) if SAMPLE_FLAG in df.columns else True
    frame = df.assign(**{SAMPLE_FLAG: (df[hs.group_by] == value) & flag})
    return fit_panel(frame, hs.panel, entity, time, name=hs.panel.name)


def _dense(codes: np.ndarray) -> np.ndarray:
    return np.unique(codes, return_inverse=True)[1].reshape(-1)


def group_coefficients(
    y: np.ndarray, x: np.ndarray, effects: Sequence[np.ndarray], rows: np.ndarray, n_interest: int
) -> np.ndarray:
    """Point estimates of the first `n_interest` columns of x on the `rows` subset, as `fit_panel`
    computes them (iterated singletons, exact within transformation, collinear terms dropped in
    order); NaN for a regressor that is dropped or when nothing is left."""
    out = np.full(n_interest, np.nan)
    codes = [c[rows] for c in effects]
    keep = singleton_mask(codes) if codes else np.ones(int(rows.sum()), dtype=bool)
    if keep.sum() < 2:
        return out
    codes = [_dense(c[keep]) for c in codes]
    yy, xx = y[rows][keep], x[rows][keep]
    both = Absorber(codes).demean(np.column_stack([yy, xx]).astype(float))
    yd, xd = both[:, 0], both[:, 1:]
    kept = _independent_columns(xd, xx)
    if not kept:
        return out
    beta, *_ = np.linalg.lstsq(xd[:, kept], yd, rcond=None)
    for pos, j in enumerate(kept):
        if j < n_interest:
            out[j] = beta[pos]
    return out


def _pooled_independent(x: np.ndarray, effects: Sequence[np.ndarray]) -> list[int]:
    """Columns of x not exactly collinear (residual above 1e-9 of the raw norm, 1,000 times below
    `fit_panel`'s threshold) with the absorbed effects and the earlier columns, on all pooled rows.
    An exactly collinear column stays so in every subset of the rows, where `fit_panel` drops it."""
    keep = singleton_mask(effects) if effects else np.ones(x.shape[0], dtype=bool)
    if keep.sum() < 2:
        return list(range(x.shape[1]))
    xx = x[keep].astype(float)
    xd = Absorber([_dense(c[keep]) for c in effects]).demean(xx) if effects else xx - xx.mean(axis=0)
    kept: list[int] = []
    for j in range(x.shape[1]):
        r = xd[:, j]
        if kept:
            coef, *_ = np.linalg.lstsq(xd[:, kept], r, rcond=None)
            r = r - xd[:, kept] @ coef
        if np.linalg.norm(r) > 1e-9 * np.linalg.norm(xx[:, j]):
            kept.append(j)
    return kept


def _firm_labels(pooled: pd.DataFrame, hs: HeterogeneitySpec, entity: str) -> pd.Series:
    """One label per firm, or a ValueError when the group variable changes within a firm."""
    varying = pooled.groupby(entity)[hs.group_by].nunique()
    n_bad = int((varying > 1).sum())
    if n_bad:
        raise ValueError(
            f"model {hs.panel.name!r}: group_by {hs.group_by!r} changes within {n_bad} firm(s), so firm-level "
            "permutation is undefined; use a firm-constant grouping column or set permute_by: observation"
        )
    return pooled.groupby(entity)[hs.group_by].first()


@limit_blas()
def permutation_test(
    rows: pd.DataFrame, hs: HeterogeneitySpec, a: Any, b: Any, entity: str, time: str, seed: int, pair: int = 0
) -> tuple[np.ndarray, np.ndarray, int]:
    """Observed d = b_a - b_b (lean refit) per regressor, two-sided permutation p, valid draws.

    The draws' d* come from `SubsetFE` (one pass of weighted sums per block of draws, not two refits each);
    a draw it cannot decide is refitted. Draw i of group pair `pair` uses `draw_rng(seed, i, pair)` only,
    so the draws can be split across jobs (srdi.models.draws)."""
    spec = hs.panel
    pooled = rows[rows[hs.group_by].isin([a, b])]
    y = pooled[spec.outcome].to_numpy(dtype=float)
    x = pooled[list(spec.terms)].astype(float).to_numpy()
    codes = fe_codes(pooled, spec, entity, time)
    k = len(spec.regressors)
    is_a = (pooled[hs.group_by] == a).to_numpy()

    def diff(in_a: np.ndarray) -> np.ndarray:
        return group_coefficients(y, x, codes, in_a, k) - group_coefficients(y, x, codes, ~in_a, k)

    observed = diff(is_a)
    if hs.permute_by == "firm":
        firm_label = _firm_labels(pooled, hs, entity)
        labels = (firm_label == a).to_numpy()
        expand = pd.Index(firm_label.index).get_indexer(pooled[entity])
    else:
        labels, expand = is_a, np.arange(len(pooled))
    # A column collinear on the pooled rows (e.g. a firm-constant control under firm effects) is collinear in
    # every subset, where fit_panel drops it: leave it out of the sums, or every draw would need a refit.
    cols = _pooled_independent(x, codes)
    x_fast = x[:, cols] if cols[:k] == list(range(k)) else x
    per_unit = hs.permute_by == "firm"
    fast = SubsetFE.build(y, x_fast, codes, units=expand) if per_unit else None
    if fast is None:
        per_unit, fast = False, SubsetFE.build(y, x_fast, codes)

    def compute(indices: np.ndarray) -> np.ndarray:
        """d* of these draws: draw i shuffles the labels with its own stream (draw_rng(seed, i, pair))."""
        shuffled = np.stack([draw_rng(seed, i, pair).permutation(labels) for i in indices])
        if fast is None:
            return np.stack([diff(s[expand]) for s in shuffled]).reshape(len(indices), k)
        in_a, in_b = fast.coefficients(shuffled if per_unit else shuffled[:, expand], k)
        out = in_a - in_b
        for r in np.flatnonzero(np.isnan(out).any(axis=1)):  # undecided by the fast path: refit exactly
            out[r] = diff(shuffled[r][expand])
        return out

    draws = resample(f"permutation:{pair}", hs.permutations, compute).reshape(hs.permutations, k)
    valid = ~np.isnan(draws)
    tol = 1e-10 * np.maximum(np.abs(observed), 1e-300)  # a draw equal to d up to rounding counts as >=
    extreme = (np.abs(draws) >= np.abs(observed) - tol) & valid
    n_valid = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n_valid > 0, extreme.sum(axis=0) / n_valid, np.nan)
    return observed, p, int(n_valid.min()) if k else 0


def _warn_few_clusters(res: PanelResult, hs: HeterogeneitySpec, value: Any) -> None:
    if res.n_clusters is not None and res.n_clusters < hs.min_clusters:
        warnings.warn(
            f"model {hs.panel.name!r}: group {hs.group_by} = {group_label(value)} has only {res.n_clusters} "
            f"clusters (< min_clusters = {hs.min_clusters}); its clustered SE are unreliable",
            FewClustersWarning,
            stacklevel=3,
        )


def fit_heterogeneity(
    df: pd.DataFrame, raw: Mapping[str, Any], name: str, entity: str, time: str, seed: int
) -> pd.DataFrame:
    """Group rows (tidy panel rows with equation `group:<value>`) then difference rows."""
    hs = parse_heterogeneity(raw, name, entity, time)
    check_columns(hs.panel, df.columns, entity, time)
    if hs.group_by not in df.columns:
        raise ValueError(f"model {name!r}: column {hs.group_by!r} is not in the panel")
    df = df.reset_index(drop=True)
    rows = estimation_rows(df, hs.panel, entity, time, extra=[hs.group_by])
    groups = _groups(rows, hs)
    frames, results = [], {}
    for value in groups:
        res = fit_group(df, hs, value, entity, time)
        _warn_few_clusters(res, hs, value)
        results[value] = res
        label = group_label(value)
        frames.append(tidy(res, name).assign(equation=f"group:{label}", method=np.nan, group=label))
    for pair, (a, b) in enumerate(itertools.combinations(groups, 2)):
        frames.append(_difference_rows(rows, hs, results, a, b, entity, time, seed, pair))
    out = pd.concat(frames, ignore_index=True)
    out["n_clusters"] = out["n_clusters"].astype("Int64")
    out["n_permutations"] = out["n_permutations"].astype("Int64")
    return out[[*TIDY_COLUMNS, *EXTRA_COLUMNS]].astype({"nobs": "int64", "n_singletons": "int64"})


def _difference_rows(
    rows: pd.DataFrame,
    hs: HeterogeneitySpec,
    results: Mapping[Any, PanelResult],
    a: Any,
    b: Any,
    entity: str,
    time: str,
    seed: int,
    pair: int,
) -> pd.DataFrame:
    """One row per regressor of interest: estimate b_a - b_b (from the group fits), permutation p."""
    spec, ra, rb = hs.panel, results[a], results[b]
    _, p, n_valid = permutation_test(rows, hs, a, b, entity, time, seed, pair) if hs.permutations else (None, None, 0)
    records = []
    for j, term in enumerate(spec.regressors):
        est = ra.params.get(term, np.nan) - rb.params.get(term, np.nan)
        records.append(
            {
                "model": spec.name,
                "outcome": spec.outcome,
                "term": term,
                "lag": term_lag(spec, term),
                "estimate": est,
                "p_value": p[j] if p is not None else np.nan,
                "nobs": ra.nobs + rb.nobs,
                "fe": spec.fe_label,
                "vcov": spec.vcov_label,
                "n_singletons": ra.n_singletons + rb.n_singletons,
                "dropped_terms": ";".join(dict.fromkeys(ra.dropped_terms + rb.dropped_terms)),
                "equation": "difference",
                "method": "permutation",
                "group_a": group_label(a),
                "group_b": group_label(b),
                "n_permutations": n_valid,
            }
        )
    return pd.DataFrame.from_records(records).reindex(columns=[*TIDY_COLUMNS, *EXTRA_COLUMNS])


def fit(panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int) -> pd.DataFrame:
    """Registry entry (`kind: heterogeneity`); `seed` drives the permutations."""
    return fit_heterogeneity(panel, spec, name, entity, time, seed)
