"""Regression-based staggered DID: static TWFE, the dynamic TWFE event study, and Sun & Abraham (2021).

All three are least-squares fits with entity and time effects absorbed, so they run through the project's
panel engine (`srdi.models.panel.fit_panel`: hdfe within transformation, iterated singleton removal, reghdfe's
clustered covariance G/(G-1)·(N-1)/(N-K-a), t inference with G-1 df); this module only builds the regressors
and combines coefficients.

Conventions (docs/estimation.md, "Staggered DID"):

* relative time e = t - g for units with g > 0; never-treated units (g = 0) get no indicator (all zero);
* reference period e = -1 (its indicator is left out);
* `window=(lo, hi)` with `endpoints="bin"` pools e <= lo into the indicator of lo and e >= hi into that of hi
  (eventdd's `accum`, fixest's `bin`); `endpoints="drop"` removes the treated units' observations with e
  outside [lo, hi] from the sample (never-treated units keep every year). `window=None` keeps every
  relative time observed;
* Sun-Abraham: cohort x relative-time indicators for every cohort but the control cohort, which is the
  never-treated units or, if there are none, the last-treated cohort (then every observation from its first
  treated year on is dropped, as Sun & Abraham 2021, section 4.1, prescribe). Always-treated units (first
  treated in the panel's first year) have no pre-period and are dropped. The cell coefficients are averaged
  with weights equal to the cells' numbers of observations in the estimation sample (fixest::sunab's
  `aggregate`); standard errors by the delta method w'Vw with the weights held fixed (as fixest; the extra
  term of Sun & Abraham's Proposition 6 for estimated weights is not added).
* pre-trend test: F = W/q, W the clustered Wald statistic of the q pre-period (e < 0, reference excluded)
  coefficients, p from F(q, G-1) (reghdfe + `test`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from srdi.models.did._regdid import (
    DidResult,
    StaggeredPanel,
    event_term,
    prepare,
    tidy_frame,
    wald_test,
)
from srdi.models.panel import PanelResult, fit_panel

REFERENCE = -1  # the omitted relative period


def _fit(frame: pd.DataFrame, terms: list[str], panel: StaggeredPanel) -> PanelResult:
    """fit_panel on the canonical frame: y on `terms` + controls, unit and year FE, clustered by `cl`."""
    spec = {"outcome": "y", "regressors": terms, "controls": panel.control_cols, "fe": ["entity", "time"],
            "vcov": {"type": "cluster", "by": ["cl"]}, "lag": []}
    return fit_panel(frame, spec, entity="unit", time="t", name="did")


def _cov(res: PanelResult, terms: Sequence[str]) -> np.ndarray:
    return res.cov.loc[list(terms), list(terms)].to_numpy()


def twfe_static(
    df: pd.DataFrame,
    entity: str,
    time: str,
    outcome: str,
    first_treat: str,
    controls: Sequence[str] = (),
    cluster: str | None = None,
) -> DidResult:
    """y_it = a_i + l_t + b·D_it + controls, D_it = 1[g_i > 0 and t >= g_i]: `reghdfe y D, absorb(i t) cl(i)`.

    The coefficient (term "ATT") is the variance-weighted average that the Bacon decomposition splits up; it is
    not an ATT under heterogeneous effects (Goodman-Bacon 2021), hence the other estimators here.
    """
    panel = prepare(df, entity, time, outcome, first_treat, controls, cluster)
    frame = panel.frame.assign(D=((panel.frame["g"] > 0) & (panel.frame["t"] >= panel.frame["g"])).astype(float))
    res = _fit(frame, ["D"], panel)
    if "D" not in res.params.index:
        raise ValueError("the treatment indicator is collinear with the fixed effects (no identifying variation)")
    est = tidy_frame(["ATT"], res.params[["D"]].to_numpy(), res.std_errors[["D"]].to_numpy(), res.df_resid)
    return DidResult("twfe_static", est, res.nobs, int(res.n_clusters or 0), None,
                     pd.DataFrame(_cov(res, ["D"]), index=["ATT"], columns=["ATT"]),
                     {"df": res.df_resid, "vcov_scale": res.vcov_scale, "n_singletons": res.n_singletons,
                      "n_missing": panel.n_missing, "controls": dict(zip(panel.controls, res.params.reindex(
                          panel.control_cols).to_numpy(), strict=True))})


def relative_time(
    frame: pd.DataFrame, window: tuple[int, int] | None, endpoints: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Rows kept and their (binned) relative time (NaN for never-treated units), per the module conventions."""
    if endpoints not in ("bin", "drop"):
        raise ValueError(f"endpoints must be 'bin' or 'drop', got {endpoints!r}")
    g = frame["g"].to_numpy()
    e = pd.Series(np.where(g > 0, frame["t"].to_numpy() - g, np.nan), index=frame.index)
    if window is None:
        return frame, e
    lo, hi = (int(v) for v in window)
    if not lo < REFERENCE < hi + 1 or hi < 0:
        raise ValueError(f"window {window} must satisfy lo < -1 and hi >= 0 (the reference is e = -1)")
    if endpoints == "bin":
        return frame, e.clip(lower=lo, upper=hi)
    keep = e.isna() | e.between(lo, hi)
    return frame.loc[keep], e.loc[keep]


def twfe_event_study(
    df: pd.DataFrame,
    entity: str,
    time: str,
    outcome: str,
    first_treat: str,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    window: tuple[int, int] | None = None,
    endpoints: str = "bin",
) -> DidResult:
    """y_it = a_i + l_t + sum_{e != -1} b_e·1[t - g_i = e] + controls (dynamic TWFE; terms "e=-3", ...).

    Rows are ordered by e. With no never-treated unit and every relative time included, the model is not
    identified without a second restriction (Borusyak, Jaravel & Spiess 2024, section 3.3): the collinear
    indicator is dropped with a CollinearityWarning and listed in info["dropped_terms"].
    """
    panel = prepare(df, entity, time, outcome, first_treat, controls, cluster)
    frame, e = relative_time(panel.frame, window, endpoints)
    values = sorted(int(v) for v in e.dropna().unique() if v != REFERENCE)
    terms = [event_term(v) for v in values]
    dummies = {event_term(v): (e == v).to_numpy(dtype=float) for v in values}
    frame = frame.assign(**dummies)
    res = _fit(frame, terms, panel)
    kept = [t for t in terms if t in res.params.index]
    cov = _cov(res, kept)
    est = tidy_frame(kept, res.params[kept].to_numpy(), res.std_errors[kept].to_numpy(), res.df_resid)
    pre = [t for t in kept if int(t[2:]) < 0]
    idx = [kept.index(t) for t in pre]
    pretrend = wald_test(res.params[pre].to_numpy(), cov[np.ix_(idx, idx)], pre, res.df_resid)
    return DidResult("twfe_event_study", est, res.nobs, int(res.n_clusters or 0), pretrend,
                     pd.DataFrame(cov, index=kept, columns=kept),
                     {"df": res.df_resid, "dropped_terms": res.dropped_terms, "window": window,
                      "endpoints": endpoints, "n_singletons": res.n_singletons, "n_missing": panel.n_missing})


def sun_abraham(
    df: pd.DataFrame,
    entity: str,
    time: str,
    outcome: str,
    first_treat: str,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    window: tuple[int, int] | None = None,
    endpoints: str = "bin",
) -> DidResult:
    """Sun & Abraham (2021) interaction-weighted event study (fixest::sunab conventions; module docstring).

    Rows: "e=k" (cohort-share-weighted event-time effects, pre and post), "ATT" (all cells with e >= 0,
    observation-weighted), then the cell coefficients "ATT(g=2019,t=2021)" (binned end cells:
    "ATT(g=2019,e<=-5)" / "ATT(g=2019,e>=5)"). info["cells"] holds g, e, n and the weights.
    """
    panel = prepare(df, entity, time, outcome, first_treat, controls, cluster)
    frame = panel.frame
    first_year = int(panel.years[0])
    always = frame["g"] == first_year
    n_always = int(frame.loc[always, "unit"].nunique())
    if n_always:
        warnings.warn(f"sun_abraham: {n_always} always-treated unit(s) (first treated {first_year}) dropped: "
                      "no pre-period", UserWarning, stacklevel=2)
        frame = frame.loc[~always]
    cohorts = np.unique(frame["g"])
    if 0 in cohorts:
        control = 0
    else:
        control = int(cohorts.max())
        frame = frame.loc[frame["t"] < control]
    treated_cohorts = [int(c) for c in cohorts if c not in (0, control)]
    if not treated_cohorts or frame.empty:
        raise ValueError("no comparison units: Sun-Abraham needs never-treated units or at least two cohorts")
    frame = frame.assign(g=np.where(frame["g"] == control, 0, frame["g"]))
    frame, e = relative_time(frame, window, endpoints)
    lo, hi = (int(window[0]), int(window[1])) if window is not None and endpoints == "bin" else (None, None)

    cells = frame.loc[e.notna()].assign(e=e.dropna().astype(int)).groupby(["g", "e"]).size()
    cells = cells[cells.index.get_level_values("e") != REFERENCE]
    names, columns = [], {}
    gv, ev = frame["g"].to_numpy(), e.to_numpy()
    for (g, k), _n in cells.items():
        if k == lo and lo is not None:
            name = f"ATT(g={g},e<={k})"
        elif k == hi and hi is not None:
            name = f"ATT(g={g},e>={k})"
        else:
            name = f"ATT(g={g},t={g + k})"
        names.append(name)
        columns[name] = ((gv == g) & (ev == k)).astype(float)
    frame = frame.assign(**columns)
    res = _fit(frame, names, panel)
    kept = [n for n in names if n in res.params.index]
    table = pd.DataFrame({"term": names, "g": cells.index.get_level_values("g").astype(int),
                          "e": cells.index.get_level_values("e").astype(int)})
    table = table[table["term"].isin(kept)].reset_index(drop=True)
    # observations per cell in the estimation sample (after singleton removal): the dummy's column sum
    used = _estimation_rows(frame, res)
    table["n"] = [int(frame.loc[used, n].sum()) for n in table["term"]]
    beta = res.params[table["term"]].to_numpy()
    v_cells = _cov(res, table["term"])

    agg_terms, rows = [], []
    for k in sorted(table["e"].unique()):
        w = np.where(table["e"] == k, table["n"], 0).astype(float)
        agg_terms.append(event_term(k))
        rows.append(w / w.sum())
    post = np.where(table["e"] >= 0, table["n"], 0).astype(float)
    if post.sum() > 0:
        agg_terms.append("ATT")
        rows.append(post / post.sum())
    weights = np.vstack(rows)
    table = table.assign(**{f"w[{t}]": weights[j] for j, t in enumerate(agg_terms)})
    agg = weights @ beta
    v_agg = weights @ v_cells @ weights.T
    all_terms = agg_terms + list(table["term"])
    all_est = np.concatenate([agg, beta])
    cov = np.block([[v_agg, weights @ v_cells], [v_cells @ weights.T, v_cells]])
    est = tidy_frame(all_terms, all_est, np.sqrt(np.diag(cov)), res.df_resid)
    pre = [t for t in agg_terms if t != "ATT" and int(t[2:]) < 0]
    idx = [agg_terms.index(t) for t in pre]
    pretrend = wald_test(agg[idx], v_agg[np.ix_(idx, idx)], pre, res.df_resid)
    return DidResult("sun_abraham", est, res.nobs, int(res.n_clusters or 0), pretrend,
                     pd.DataFrame(cov, index=all_terms, columns=all_terms),
                     {"df": res.df_resid, "cells": table, "control_cohort": control, "n_always_treated": n_always,
                      "dropped_terms": res.dropped_terms, "window": window, "endpoints": endpoints,
                      "n_missing": panel.n_missing})


def _estimation_rows(frame: pd.DataFrame, res: PanelResult) -> np.ndarray:
    """Boolean mask of `frame`'s rows fit_panel used: complete rows minus iterated singletons (recomputed here)."""
    from srdi.models.within import codes_of, singleton_mask

    if res.n_singletons == 0:
        return np.ones(len(frame), dtype=bool)
    return singleton_mask([codes_of(frame["unit"].to_numpy()), codes_of(frame["t"].to_numpy())])
