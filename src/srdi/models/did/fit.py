"""`kind: did` in config.yaml: every staggered-DID estimator on one sample, as one tidy estimates file.

The sample is built once (in_sample rows, the `sample` filter, listwise deletion over outcome, controls and
cluster, a balanced panel over the sample's years, entities without a pre-period dropped) and handed to every
estimator, so the columns of the DID table differ by estimator only. Rows of the estimates file
(docs/estimates_format.md, "did"):

* `equation` = the estimator (twfe, sun_abraham, callaway_santanna, imputation): term "ATT" (overall) and event-time
  terms "e=k" with `event_time` = k; the TWFE column holds the static coefficient as "ATT" and the dynamic TWFE
  event study as "e=k"; Callaway-Sant'Anna adds its group-time, group and calendar terms;
* `equation` = "diagnostic", `applies_to` = the estimator: the joint pre-trend test ("pretrend"), the treated
  firms, cohorts and never-treated firms of the sample, and the comparison group (in `note`);
* `equation` = "decomposition", `applies_to` = "twfe": the Goodman-Bacon weights (`weight`) and 2x2 estimates by
  comparison type;
* `equation` = "placebo" (term "placebo_entities" / "placebo_timing", the real static TWFE estimate, `p_value` = the
  two-sided share of placebo estimates at least as large in absolute value, `reps` draws; `note` = mean and SD of
  the draws) and `equation` = "placebo_draw" (one row per draw, for the density figure);
* `equation` = "psm" / "ebal": the static TWFE DID re-run on the matched (PSM) or entropy-weighted sample, term
  "ATT" (a table column each); `equation` = "balance", `method` = psm / ebal: the balance table (`stage` before /
  after, means of treated and controls, standardized difference, Welch t-test).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from srdi.models.rows import sample_mask
from srdi.models.tidy import TIDY_COLUMNS
from srdi.seeds import derive_seed

logger = logging.getLogger(__name__)

ESTIMATORS = ("twfe", "sun_abraham", "callaway_santanna", "imputation")
MATCHED = ("psm", "ebal")
DEFAULT_ESTIMATORS = (*ESTIMATORS, "bacon")
FIRST_TREAT = "_first_treat"
EXTRA_COLUMNS = ("equation", "method", "note", "reps", "applies_to", "event_time", "weight", "band_low", "band_high",
                 "df", "stage", "mean_treated", "mean_control", "std_diff")
COMPARISON = {  # what each estimator compares the treated with, for the table
    "twfe": "implicit (not-yet, never and already treated)",
    "sun_abraham": "never treated",
    "imputation": "untreated firm-years (never and not-yet treated)",
    "psm": "matched never treated",
    "ebal": "reweighted never treated",
}


@dataclass(frozen=True)
class DidSpec:
    """One `kind: did` entry of config.yaml, defaults filled."""

    name: str
    outcome: str
    first_treated: str | None  # a first-treated-year column (missing or 0 = never treated) ...
    treated: str | None  # ... or an absorbing 0/1 treatment column
    controls: tuple[str, ...]
    cluster: str  # column
    estimators: tuple[str, ...]
    control_group: str  # Callaway-Sant'Anna: never_treated | not_yet_treated
    cs_method: str  # dr | reg (with controls)
    base_period: str  # varying | universal
    bootstrap: int  # CS multiplier-bootstrap draws (0: analytic SE)
    window: tuple[int, int]
    endpoints: str  # bin | drop
    pretrend_leads: int  # imputation: leads in the pre-trend regression
    balance: bool
    sample: str | None
    placebo_reps: int  # 0: no placebo test
    placebo_designs: tuple[str, ...]  # entities | timing
    matching: tuple[str, ...]  # psm | ebal
    covariates: tuple[str, ...]  # of the propensity score / the balancing constraints
    caliper: float | None
    replace: bool
    match_by: str  # year | pooled


def parse_did(raw: Mapping[str, Any], name: str, entity: str) -> DidSpec:
    """The config entry (schema-validated) as a DidSpec; only one of first_treated / treated may be given."""
    if ("first_treated" in raw) == ("treated" in raw):
        raise ValueError(f"model {name!r}: give exactly one of first_treated (a first-treated-year column) or "
                         "treated (an absorbing 0/1 column)")
    by = list((raw.get("vcov") or {}).get("by") or [entity])
    if len(by) != 1:
        raise ValueError(f"model {name!r}: a DID model clusters by one column, got {by}")
    window = raw.get("window") or {}
    cs = raw.get("callaway_santanna") or {}
    estimators = tuple(raw.get("estimators") or DEFAULT_ESTIMATORS)
    return DidSpec(
        name=name, outcome=raw["outcome"], first_treated=raw.get("first_treated"), treated=raw.get("treated"),
        controls=tuple(raw.get("controls") or ()), cluster=entity if by[0] == "entity" else by[0],
        estimators=estimators, control_group=cs.get("control_group", "never_treated"),
        cs_method=cs.get("method", "dr"), base_period=cs.get("base_period", "varying"),
        bootstrap=int(cs.get("bootstrap", 999)), window=(int(window.get("min", -5)), int(window.get("max", 5))),
        endpoints=window.get("endpoints", "bin"), pretrend_leads=int(raw.get("pretrend_leads", 3)),
        balance=bool(raw.get("balance", True)), sample=raw.get("sample"),
        placebo_reps=int((raw.get("placebo") or {}).get("reps", 0)),
        placebo_designs=tuple((raw.get("placebo") or {}).get("designs", ("entities", "timing"))),
        matching=tuple((raw.get("matching") or {}).get("methods", MATCHED)) if raw.get("matching") else (),
        covariates=tuple((raw.get("matching") or {}).get("covariates", ())),
        caliper=(raw.get("matching") or {}).get("caliper", 0.05),
        replace=bool((raw.get("matching") or {}).get("replace", True)),
        match_by=(raw.get("matching") or {}).get("by", "year"),
    )


@dataclass(frozen=True)
class DidSample:
    frame: pd.DataFrame  # entity, time, outcome, controls, cluster and FIRST_TREAT; balanced if asked
    n_treated: int
    n_never: int
    cohorts: tuple[int, ...]
    dropped: dict[str, int]


def _first_treat(rows: pd.DataFrame, spec: DidSpec, entity: str, time: str) -> pd.DataFrame:
    """The rows with the cohort in FIRST_TREAT; errors name the user's column (an entity treated from its first
    year has no pre-period: an error here, since every estimator of the model must share one sample)."""
    from srdi.models.did.cohorts import cohorts_from_treatment, validate_first_treat

    if spec.treated is not None:
        return cohorts_from_treatment(rows, entity, time, spec.treated, spec.name, out=FIRST_TREAT,
                                      no_pre="error").frame
    column = spec.first_treated
    g = pd.to_numeric(rows[column], errors="coerce")
    bad = rows[column].notna() & g.isna()
    if bad.any():
        raise ValueError(f"model {spec.name!r}: first_treated column {column!r} is not numeric, e.g. firms "
                         f"{rows.loc[bad, entity].head(5).tolist()}")
    rows = rows.assign(**{column: g.fillna(0)})
    rows = validate_first_treat(rows, entity, time, column, spec.name, no_pre="error").frame
    return rows.assign(**{FIRST_TREAT: rows[column].astype(np.int64)})


def build_sample(panel: pd.DataFrame, spec: DidSpec, entity: str, time: str) -> DidSample:
    """The one sample every estimator of the model uses (module docstring)."""
    treatment = spec.treated or spec.first_treated
    needed = list(dict.fromkeys([entity, time, spec.outcome, treatment, *spec.controls, spec.cluster,
                                 *spec.covariates]))
    absent = [c for c in needed if c not in panel.columns]
    if absent:
        raise ValueError(f"model {spec.name!r}: column(s) {absent} not in the panel")
    rows = panel.loc[sample_mask(panel, spec.name, spec.sample), needed].reset_index(drop=True)
    complete = rows[[spec.outcome, *spec.controls, spec.cluster]].notna().all(axis=1)
    dropped = {"missing values": int((~complete).sum())}
    rows = rows.loc[complete].reset_index(drop=True)
    if rows.empty:
        raise ValueError(f"model {spec.name!r}: no firm-year has {spec.outcome!r} and every control and cluster "
                         "column on the sample rows")
    if spec.balance:
        years = rows[time].nunique()
        counts = rows.groupby(entity)[time].transform("size")
        dropped["unbalanced entities (rows)"] = int((counts < years).sum())
        rows = rows.loc[counts == years].reset_index(drop=True)
        if rows.empty:
            raise ValueError(f"model {spec.name!r}: no firm is observed in all {years} years of the sample; "
                             "restrict the years with `sample` or set balance: false")
    n_before = rows[entity].nunique()
    rows = _first_treat(rows, spec, entity, time)
    dropped["treated from the first year (entities)"] = n_before - rows[entity].nunique()
    by_entity = rows.groupby(entity)[FIRST_TREAT].first()
    cohorts = tuple(sorted(int(g) for g in by_entity.unique() if g > 0))
    if not cohorts:
        raise ValueError(f"model {spec.name!r}: no treated firm in the sample ({treatment!r})")
    for what, n in dropped.items():
        if n:
            logger.info("model %r: dropped %d %s", spec.name, n, what)
    return DidSample(rows, int((by_entity > 0).sum()), int((by_entity == 0).sum()), cohorts, dropped)


# ---------------------------------------------------------------------------------------------- estimators


def _rows(equation: str, table: pd.DataFrame, nobs: int, n_clusters: int, method: str) -> pd.DataFrame:
    out = table.copy()
    if "event_time" not in out.columns:
        out["event_time"] = [int(t[2:]) if str(t).startswith("e=") else pd.NA for t in out["term"]]
    out = out.assign(equation=equation, nobs=nobs, n_clusters=n_clusters, method=method)
    return out


def _pretrend_row(equation: str, test: Any) -> dict[str, Any]:
    if test is None:
        return {}
    df = getattr(test, "df", None)
    kind = getattr(test, "kind", "chi2")
    return {"equation": "diagnostic", "term": "pretrend", "applies_to": equation, "statistic": float(test.statistic),
            "p_value": float(test.p_value), "df": df, "method": kind}


def _run(sample: DidSample, spec: DidSpec, entity: str, time: str, seed: int) -> tuple[list[pd.DataFrame], list[dict]]:
    from srdi.models.did import (
        bacon_decomposition,
        callaway_santanna,
        imputation,
        sun_abraham,
        twfe_event_study,
        twfe_static,
    )

    df, y, g, x, cl = sample.frame, spec.outcome, FIRST_TREAT, list(spec.controls), spec.cluster
    blocks: list[pd.DataFrame] = []
    facts: list[dict[str, Any]] = []
    done: list[str] = []
    if "twfe" in spec.estimators:
        static = twfe_static(df, entity, time, y, g, x, cl)
        dynamic = twfe_event_study(df, entity, time, y, g, x, cl, window=spec.window, endpoints=spec.endpoints)
        blocks += [_rows("twfe", static.estimates, static.nobs, static.n_clusters, "analytic"),
                   _rows("twfe", dynamic.estimates, dynamic.nobs, dynamic.n_clusters, "analytic")]
        facts.append(_pretrend_row("twfe", dynamic.pretrend))
        done.append("twfe")
    if "sun_abraham" in spec.estimators:
        sa = sun_abraham(df, entity, time, y, g, x, cl, window=spec.window, endpoints=spec.endpoints)
        table = sa.estimates[~sa.estimates["term"].str.startswith("ATT(")]
        blocks.append(_rows("sun_abraham", table, sa.nobs, sa.n_clusters, "analytic"))
        facts.append(_pretrend_row("sun_abraham", sa.pretrend))
        done.append("sun_abraham")
    if "callaway_santanna" in spec.estimators:
        cs = callaway_santanna(df, entity, time, y, g, x, cl, control_group=spec.control_group,
                               base_period=spec.base_period, est_method=spec.cs_method,
                               min_e=spec.window[0], max_e=spec.window[1], bootstrap=spec.bootstrap, seed=seed,
                               model=spec.name)
        table = cs.table[~cs.table["term"].isin(["ATT(event)", "ATT(group)", "ATT(calendar)"])]
        method = "multiplier_bootstrap" if spec.bootstrap else "analytic"
        blocks.append(_rows("callaway_santanna", table.drop(columns=["aggregation", "group", "time"]), cs.nobs,
                            cs.n_clusters, method).assign(reps=spec.bootstrap or pd.NA))
        facts.append(_pretrend_row("callaway_santanna", cs.pretrend))
        done.append("callaway_santanna")
    if "imputation" in spec.estimators:
        last = int((df[time] - df[g]).where(df[g] > 0).max())
        horizons = list(range(0, min(spec.window[1], last) + 1))
        bjs = imputation(df, entity, time, y, g, x, cl, horizons=horizons, pretrends=spec.pretrend_leads)
        blocks.append(_rows("imputation", bjs.estimates, bjs.nobs, bjs.n_clusters, "analytic"))
        facts.append(_pretrend_row("imputation", bjs.pretrend))
        done.append("imputation")
    if "bacon" in spec.estimators:
        if x:
            logger.warning("model %r: the Bacon decomposition covers the TWFE model without controls; it is "
                           "computed without them", spec.name)
        bacon = bacon_decomposition(df, entity, time, y, g)
        for r in bacon.by_type.itertuples(index=False):
            facts.append({"equation": "decomposition", "term": r.type, "estimate": float(r.estimate),
                          "weight": float(r.weight), "applies_to": "twfe", "reps": int(r.n_comparisons)})
        facts.append({"equation": "decomposition", "term": "twfe_without_controls", "estimate": float(bacon.twfe),
                      "weight": 1.0, "applies_to": "twfe"})
    if spec.placebo_reps:
        blocks += _placebo(sample, spec, entity, time, seed)
    counts = dict.fromkeys(done, (sample.n_treated, sample.n_never))
    for method in spec.matching:
        try:
            matched, balance, counts[method] = _matched(sample, spec, entity, time, method, seed)
        except ValueError as exc:  # e.g. the score separates treated and controls perfectly: no matched DID
            logger.warning("model %r: %s not estimable: %s", spec.name, method, exc)
            facts.append({"equation": "diagnostic", "term": "matching_failed", "applies_to": "twfe",
                          "method": method, "note": f"{method}: {exc}"})
            continue
        blocks += [matched, balance]
        done.append(method)
    for est in done:
        comparison = spec.control_group.replace("_", " ") if est == "callaway_santanna" else COMPARISON[est]
        n_treated, n_never = counts[est]
        facts += [{"equation": "diagnostic", "term": "n_treated", "estimate": float(n_treated), "applies_to": est},
                  {"equation": "diagnostic", "term": "n_cohorts", "estimate": float(len(sample.cohorts)),
                   "applies_to": est, "note": ",".join(map(str, sample.cohorts))},
                  {"equation": "diagnostic", "term": "n_never_treated", "estimate": float(n_never),
                   "applies_to": est},
                  {"equation": "diagnostic", "term": "comparison", "applies_to": est, "note": comparison}]
    return blocks, [f for f in facts if f]


def _placebo(sample: DidSample, spec: DidSpec, entity: str, time: str, seed: int) -> list[pd.DataFrame]:
    """Placebo static TWFE estimates: treated firms reassigned (cohort sizes kept) or treatment years reassigned."""
    from srdi.models.did.placebo import placebo_did
    from srdi.models.placebo_rows import placebo_rows

    return [placebo_rows(placebo_did(sample.frame, entity, time, spec.outcome, FIRST_TREAT, list(spec.controls),
                                     design=design, reps=spec.placebo_reps,
                                     seed=derive_seed(seed, f"placebo:{design}")), "twfe")
            for design in spec.placebo_designs]


def _matched(sample: DidSample, spec: DidSpec, entity: str, time: str, method: str,
             seed: int) -> tuple[pd.DataFrame, pd.DataFrame, tuple[int, int]]:
    """The static TWFE DID on the PSM-matched or entropy-balanced sample, its balance table, and the treated and
    never-treated firms it keeps (weight > 0)."""
    from srdi.models.did.balancing import balance_table, entropy_balance_panel
    from srdi.models.did.matching import psm_match
    from srdi.models.did.weighted import weighted_twfe_static

    covariates = list(spec.covariates)
    if method == "psm":
        fit = psm_match(sample.frame, entity, time, FIRST_TREAT, covariates, by=spec.match_by, caliper=spec.caliper,
                        replace=spec.replace, seed=derive_seed(seed, "psm"))
    else:
        fit = entropy_balance_panel(sample.frame, entity, time, FIRST_TREAT, covariates, by=spec.match_by)
    weighted = fit.sample(sample.frame, entity, weight="_weight")
    res = weighted_twfe_static(weighted, entity, time, spec.outcome, FIRST_TREAT, "_weight", list(spec.controls),
                               spec.cluster)
    balance = balance_table(fit.rows, "treated", covariates, weight="weight")
    balance = balance.rename(columns={"covariate": "term", "t_stat": "statistic"}).assign(
        equation="balance", method=method, applies_to=method)
    kept = fit.weights[fit.weights["weight"] > 0]
    counts = (int(kept["treated"].astype(bool).sum()), int((~kept["treated"].astype(bool)).sum()))
    return (_rows(method, res.estimates, res.nobs, res.n_clusters, "analytic"),
            balance.drop(columns=["bias_reduction_pct", "n_treated", "n_control"]), counts)


def fit_did_frame(panel: pd.DataFrame, raw: Mapping[str, Any], name: str, entity: str, time: str,
                  seed: int) -> pd.DataFrame:
    """Estimates of one `kind: did` model in the project's tidy format (module docstring)."""
    spec = parse_did(raw, name, entity)
    sample = build_sample(panel, spec, entity, time)
    try:
        blocks, facts = _run(sample, spec, entity, time, seed)
    except ValueError as exc:
        raise ValueError(f"model {name!r}: {exc}") if name not in str(exc) else exc from exc
    frame = pd.concat([*blocks, pd.DataFrame(facts)], ignore_index=True)
    return _finish(frame, spec, entity, time)


def _finish(frame: pd.DataFrame, spec: DidSpec, entity: str, time: str) -> pd.DataFrame:
    frame = frame.assign(model=spec.name, outcome=spec.outcome, fe=f"{entity}+{time}",
                         vcov=f"cluster:{spec.cluster}", n_singletons=0, dropped_terms="", r2_within=np.nan)
    for col in (*TIDY_COLUMNS, *EXTRA_COLUMNS):
        if col not in frame.columns:
            frame[col] = pd.NA
    frame = frame[[*TIDY_COLUMNS, *EXTRA_COLUMNS]]
    for col in ("nobs", "n_clusters", "reps", "event_time"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame
