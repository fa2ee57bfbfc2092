"""Callaway & Sant'Anna (2021) staggered DID: group-time ATT(g,t), aggregations, analytic and bootstrap inference.

Follows R `did` (att_gt + aggte, panel data) in every convention that affects the numbers, so that results match
its published output (tests/test_did_callaway_santanna.py); conventions are listed in docs/estimation.md,
"Staggered DID: Callaway & Sant'Anna". In short:

* balanced panel: rows with a missing outcome or control are dropped, then entities not observed in every year
  of the panel (both counts logged and returned in `dropped`), as R `did` with panel = TRUE does;
* cohorts (`first_treat`, 0 = never treated) checked by `cohorts.validate_first_treat`: an entity treated at or
  before its first observed year (less anticipation) has no pre-period and is dropped with a logged count;
* comparison group "never_treated" (G = 0) or "not_yet_treated" (G = 0 or G > max(t, base) + anticipation);
  base period "varying" (pre-treatment cells compare t with t - 1) or "universal" (every cell compares with
  g - 1 - anticipation; the reference cell is reported as 0 with no SE); covariates taken at the earlier of the
  two periods of each cell (the base period except for universal pre-treatment cells), as R `did`;
* 2x2 estimators in `cs_twobytwo` (unconditional without controls; "reg" and "dr" with controls);
* inference from influence functions in `cs_inference` (clustered by entity, or by a column constant within
  entity; no small-sample factor; normal critical values); optional Rademacher multiplier bootstrap with a seed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from srdi.models import dist
from srdi.models.did import cs_inference as inf
from srdi.models.did.cohorts import validate_first_treat
from srdi.models.did.cs_aggregate import aggregate
from srdi.models.did.cs_twobytwo import CellError, did_dr, did_reg, did_unconditional

logger = logging.getLogger(__name__)

CONTROL_GROUPS = {"never_treated": "never_treated", "nevertreated": "never_treated",
                  "not_yet_treated": "not_yet_treated", "notyettreated": "not_yet_treated"}
BASE_PERIODS = ("varying", "universal")
EST_METHODS = ("dr", "reg")
COLUMNS = ["term", "aggregation", "group", "time", "event_time", "estimate", "std_error", "statistic", "p_value",
           "conf_low", "conf_high", "band_low", "band_high"]


@dataclass(frozen=True)
class CallawaySantAnnaResult:
    """Estimates (tidy `table`, one row per term), tests and the influence functions behind them.

    `table` rows: "ATT(g=..,t=..)" (aggregation "gt"), "ATT" (simple), "e=k" and "ATT(event)" (dynamic), "g=.."
    and "ATT(group)", "t=.." and "ATT(calendar)". conf_low/high: pointwise 95% (normal); band_low/high: uniform
    band of the term's family (gt, dynamic event times, groups, years) when bootstrapped, else NaN.
    `pretrend`: Wald test that the e < 0 event-time effects are zero; `pretrend_gt`: R `did`'s pre-test that all
    pre-treatment ATT(g,t) are zero (both from the analytic covariance, as R).
    """

    table: pd.DataFrame
    nobs: int
    n_entities: int
    n_clusters: int
    pretrend: inf.WaldTest
    pretrend_gt: inf.WaldTest
    influence: np.ndarray  # (n_entities x rows of table), estimate - truth ≈ column mean
    entities: np.ndarray
    settings: dict = field(default_factory=dict)
    dropped: dict = field(default_factory=dict)
    critical_values: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# data preparation


@dataclass(frozen=True)
class _Panel:
    y: np.ndarray  # (n x T)
    x: np.ndarray | None  # (n x T x k+1), intercept first
    g: np.ndarray  # (n,) cohort year, 0 never treated
    cluster: np.ndarray | None  # (n,) codes, None when clustering by entity
    years: np.ndarray
    entities: np.ndarray
    dropped: dict


def _prepare(df: pd.DataFrame, entity: str, time: str, outcome: str, first_treat: str, controls: list[str],
             cluster: str | None, anticipation: int, model: str) -> _Panel:
    needed = list(dict.fromkeys([entity, time, outcome, first_treat, *controls, *([cluster] if cluster else [])]))
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"model {model!r}: column(s) {missing} not in the data")
    frame = df[needed]
    for col in [outcome, *controls]:
        if not (pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col])):
            raise ValueError(f"model {model!r}: column {col!r} is not numeric (dtype {frame[col].dtype})")
    values = frame[[outcome, *controls]].to_numpy(dtype=float)
    if np.isinf(values).any():
        raise ValueError(f"model {model!r}: outcome or controls have infinite values")
    complete = ~np.isnan(values).any(axis=1)
    dropped = {"rows_missing": int((~complete).sum())}
    if dropped["rows_missing"]:
        logger.warning("model %r: dropped %d rows with a missing outcome or control", model, dropped["rows_missing"])
        frame = frame.loc[complete]
    cohorts = validate_first_treat(frame, entity, time, first_treat, model, anticipation=anticipation)
    frame = cohorts.frame
    dropped["entities_no_pre_period"] = len(cohorts.dropped_no_pre)
    years = np.unique(frame[time].to_numpy(np.int64))
    counts = frame.groupby(entity, sort=False)[time].size()
    unbalanced = counts.index[counts.to_numpy() < years.size]
    dropped["entities_unbalanced"] = int(unbalanced.size)
    if unbalanced.size:
        logger.warning("model %r: %d entities are not observed in all %d years; dropped to balance the panel "
                       "(R did's panel=TRUE does the same)", model, unbalanced.size, years.size)
        frame = frame.loc[~frame[entity].isin(unbalanced)]
    if frame.empty:
        raise ValueError(f"model {model!r}: no entity is observed in every year of the panel")
    years = np.unique(frame[time].to_numpy(np.int64))
    frame = frame.sort_values([entity, time], kind="stable")
    entities = frame[entity].to_numpy()[:: years.size]
    n, t_count = entities.size, years.size
    y = frame[outcome].to_numpy(float).reshape(n, t_count)
    x = None
    if controls:
        xs = frame[controls].to_numpy(float).reshape(n, t_count, len(controls))
        x = np.concatenate([np.ones((n, t_count, 1)), xs], axis=2)
    g = frame[first_treat].to_numpy(np.int64)[:: years.size]
    codes = None
    if cluster is not None and cluster != entity:
        cl = frame[cluster]
        if cl.isna().any():
            raise ValueError(f"model {model!r}: cluster column {cluster!r} has missing values")
        varying = cl.groupby(frame[entity].to_numpy(), sort=False).nunique()
        if (varying > 1).any():
            raise ValueError(f"model {model!r}: cluster column {cluster!r} varies within entity (e.g. "
                             f"{list(varying.index[varying > 1][:5])}); R did needs clusters constant within unit")
        codes = pd.factorize(cl.to_numpy()[:: years.size], sort=True)[0].astype(np.int64)
    return _Panel(y, x, g, codes, years, entities, dropped)


# ---------------------------------------------------------------------------------------------
# group-time effects


@dataclass(frozen=True)
class _Cells:
    att: np.ndarray
    psi: np.ndarray  # (n x K)
    g: np.ndarray
    t: np.ndarray
    skipped: list


def _cells(p: _Panel, cohorts: np.ndarray, control_group: str, base_period: str, est_method: str,
           anticipation: int, model: str) -> _Cells:
    years, n = p.years, p.g.size
    never = p.g == 0
    att, cols, gs, ts, skipped = [], [], [], [], []
    first = 1 if base_period == "varying" else 0
    for g in cohorts:
        base_g = int(np.flatnonzero(years + anticipation < g)[-1])  # exists: validate_first_treat dropped others
        treated = p.g == g
        for cur in range(first, years.size):
            post = g <= years[cur]
            base = base_g if (post or base_period == "universal") else cur - 1
            if base == cur:  # universal base: the reference cell, normalised to 0
                att.append(0.0)
                cols.append(np.zeros(n))
                gs.append(g)
                ts.append(years[cur])
                continue
            if control_group == "never_treated":
                control = never
            else:
                control = never | ((p.g > years[max(cur, base)] + anticipation) & ~treated)
            if not control.any():
                skipped.append((int(g), int(years[cur]), "no comparison units"))
                continue
            sample = treated | control
            dy = p.y[sample, cur] - p.y[sample, base]
            d = treated[sample]
            try:
                if p.x is None:
                    est, cell_inf = did_unconditional(dy, d)
                else:
                    x = p.x[sample, min(cur, base)]
                    est, cell_inf = (did_dr if est_method == "dr" else did_reg)(dy, x, d)
            except CellError as exc:
                raise ValueError(f"model {model!r}: ATT(g={g},t={years[cur]}): {exc}") from exc
            col = np.zeros(n)
            col[sample] = cell_inf * (n / sample.sum())
            att.append(est)
            cols.append(col)
            gs.append(g)
            ts.append(years[cur])
    if skipped:
        logger.warning("model %r: %d group-time cells have no comparison units and are not estimated, e.g. %s",
                       model, len(skipped), skipped[:3])
    if not att:
        raise ValueError(f"model {model!r}: no group-time effect has comparison units (no never-treated and no "
                         "not-yet-treated units)")
    return _Cells(np.asarray(att), np.column_stack(cols), np.asarray(gs), np.asarray(ts), skipped)


# ---------------------------------------------------------------------------------------------
# entry point


def _check_options(control_group: str, base_period: str, est_method: str, anticipation: int, bootstrap: int,
                   seed: int | None, alpha: float, model: str) -> str:
    if control_group not in CONTROL_GROUPS:
        raise ValueError(f"model {model!r}: control_group must be 'never_treated' or 'not_yet_treated', "
                         f"got {control_group!r}")
    if base_period not in BASE_PERIODS:
        raise ValueError(f"model {model!r}: base_period must be one of {BASE_PERIODS}, got {base_period!r}")
    if est_method not in EST_METHODS:
        raise ValueError(f"model {model!r}: est_method must be one of {EST_METHODS}, got {est_method!r}")
    if int(anticipation) != anticipation or anticipation < 0:
        raise ValueError(f"model {model!r}: anticipation must be a non-negative integer, got {anticipation!r}")
    if bootstrap < 0 or (bootstrap > 0 and seed is None):
        raise ValueError(f"model {model!r}: bootstrap needs reps >= 1 and an integer seed")
    if not 0 < alpha < 1:
        raise ValueError(f"model {model!r}: alpha must be in (0, 1), got {alpha!r}")
    return CONTROL_GROUPS[control_group]


def callaway_santanna(
    df: pd.DataFrame,
    entity: str,
    time: str,
    outcome: str,
    first_treat: str,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    *,
    control_group: str = "never_treated",
    base_period: str = "varying",
    est_method: str = "dr",
    anticipation: int = 0,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    bootstrap: int = 0,
    seed: int | None = None,
    alpha: float = 0.05,
    model: str = "callaway_santanna",
) -> CallawaySantAnnaResult:
    """Callaway & Sant'Anna (2021) ATT(g,t) and their aggregations on a firm-year panel (module docstring).

    `bootstrap` > 0 replaces the analytic SEs by multiplier-bootstrap ones (R did's bstrap = TRUE) and adds uniform
    bands; `seed` makes the draws reproducible. `min_e`, `max_e`, `balance_e` restrict the event-study aggregation
    (max_e also the simple and group ones), as in R's aggte.
    """
    controls = list(controls)
    control_group = _check_options(control_group, base_period, est_method, anticipation, bootstrap, seed, alpha,
                                   model)
    panel = _prepare(df, entity, time, outcome, first_treat, controls, cluster, anticipation, model)
    if control_group == "never_treated" and not (panel.g == 0).any():
        raise ValueError(f"model {model!r}: no never-treated entities (first_treat == 0) to compare with; use "
                         "control_group='not_yet_treated'")
    if not (panel.g > 0).any():
        raise ValueError(f"model {model!r}: no treated entities in {first_treat!r}")
    cohorts = np.unique(panel.g[panel.g > 0])
    if control_group == "not_yet_treated" and not (panel.g == 0).any():
        # as R did: the last cohort only serves as comparison, and years from its (anticipated) start are dropped
        keep = panel.years < cohorts[-1] - anticipation
        logger.warning("model %r: no never-treated entities; cohort %d serves only as comparison group and years "
                       "from %d on are dropped", model, cohorts[-1], cohorts[-1] - anticipation)
        panel = replace(panel, y=panel.y[:, keep], x=None if panel.x is None else panel.x[:, keep],
                        years=panel.years[keep])
        cohorts = cohorts[:-1]
        if cohorts.size == 0:
            raise ValueError(f"model {model!r}: no group-time effect has comparison units (no never-treated "
                             "entities and a single cohort)")
    cells = _cells(panel, cohorts, control_group, base_period, est_method, anticipation, model)
    n = panel.g.size
    agg = aggregate(cells.att, cells.psi, cells.g, cells.t, panel.g, int(panel.years[0]), int(panel.years[-1]),
                    min_e=min_e, max_e=max_e, balance_e=balance_e)

    gt_meta = pd.DataFrame({"term": [f"ATT(g={g},t={t})" for g, t in zip(cells.g, cells.t, strict=True)],
                            "aggregation": "gt", "group": cells.g, "time": cells.t, "event_time": cells.t - cells.g})
    meta = pd.concat([gt_meta, agg.frame()], ignore_index=True)
    est = np.concatenate([cells.att, np.asarray(agg.est)])
    psi = np.column_stack([cells.psi, *agg.psi])
    sums = inf.cluster_sums(psi, panel.cluster)
    se = inf.analytic_se(sums, n)
    z = float(dist.norm_ppf(1 - alpha / 2))
    band_low = band_high = np.full(est.size, np.nan)
    crit: dict[str, float] = {}
    if bootstrap:
        boot = inf.multiplier_bootstrap(sums, n, bootstrap, int(seed))  # type: ignore[arg-type]
        se = boot.se
        band_low, band_high = band_low.copy(), band_high.copy()
        families = {"gt": meta["aggregation"] == "gt",
                    "dynamic": (meta["aggregation"] == "dynamic") & meta["event_time"].notna(),
                    "group": (meta["aggregation"] == "group") & meta["group"].notna(),
                    "calendar": (meta["aggregation"] == "calendar") & meta["time"].notna()}
        for name, mask in families.items():
            cols = np.flatnonzero(mask.to_numpy())
            c = inf.uniform_critical_value(boot, cols, alpha)
            if not c >= z:  # R did falls back to pointwise when the band is narrower or undefined
                if c < z:  # undefined (NaN): no bootstrap SE in the family, or a shard job's partial draws
                    logger.warning("model %r: uniform critical value for %s (%.3f) below the pointwise one; "
                                   "using %.3f", model, name, c, z)
                c = z
            crit[name] = c
            band_low[cols] = est[cols] - c * se[cols]
            band_high[cols] = est[cols] + c * se[cols]
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = est / se
    table = meta.assign(estimate=est, std_error=se, statistic=statistic,
                        p_value=2 * dist.norm_sf(np.abs(statistic)), conf_low=est - z * se, conf_high=est + z * se,
                        band_low=band_low, band_high=band_high)
    for col in ("group", "time", "event_time"):
        table[col] = table[col].astype("Int64")
    table = table[COLUMNS]

    pre_gt = np.flatnonzero(((meta["aggregation"] == "gt") & (meta["time"] < meta["group"])).to_numpy())
    pre_e = np.flatnonzero(((meta["aggregation"] == "dynamic") & (meta["event_time"] < 0)).to_numpy())
    terms = meta["term"].tolist()
    pretrend_gt = inf.wald_test(est[pre_gt], sums[:, pre_gt], n, [terms[i] for i in pre_gt])
    pretrend = inf.wald_test(est[pre_e], sums[:, pre_e], n, [terms[i] for i in pre_e])
    settings = {"control_group": control_group, "base_period": base_period,
                "est_method": est_method if controls else "unconditional", "anticipation": anticipation,
                "controls": controls, "cluster": cluster or entity, "bootstrap": bootstrap, "seed": seed,
                "alpha": alpha, "min_e": min_e, "max_e": max_e, "balance_e": balance_e}
    dropped = {**panel.dropped, "cells_without_comparison": len(cells.skipped)}
    n_clusters = n if panel.cluster is None else int(panel.cluster.max()) + 1
    return CallawaySantAnnaResult(table, n * panel.years.size, n, n_clusters, pretrend, pretrend_gt, psi,
                                  panel.entities, settings, dropped, crit)
