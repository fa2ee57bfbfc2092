"""True staggered-DID estimands of the demo's designation effect (issue 9), written to truth.json under "did".

The planted effect of designation is tau_g(e) = a_g + b e for e = t - g >= 0 and 0 before g (docs/demo_dgp.md,
"Designation effect"): a function of (cohort, year) only, added after the outcomes are clipped. So ATT(g,t) =
tau_g(t - g) in every sample, whichever firms the sample filters, the balancing of the panel or attrition keep;
only the aggregations depend on the sample, because they weight the cells by the treated firm-years in it. Every
aggregation the estimators report is a mean of tau_it over a set of treated firm-years:

* overall ATT = mean of tau_it over the sample's treated firm-years (t >= g): R did's `simple` aggregation
  (cells weighted by cohort size, each cohort's post cells counted once per firm), BJS imputation's `ATT` and
  Sun-Abraham's observation-weighted `ATT`;
* ATT(e) = mean of tau_it over the sample's treated firm-years at event time e: R did's `dynamic` aggregation
  (cohort sizes among the units observed at e), BJS's horizon effects and Sun-Abraham's cell-count weights.

`sample_truth` computes both for any sample; truth.json records them for the two populations the estimators use
on the unfiltered demo panel: "all_treated" (every written firm-year: BJS, Sun-Abraham, TWFE) and "balanced"
(firms written in every panel year: Callaway-Sant'Anna, which balances the panel as R did's panel = TRUE).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from srdi.demo.dgp import Sim, designation_tau
from srdi.demo.params import DESIG_YEARS, DID_DIMENSIONS, Param

POPULATIONS = {
    "all_treated": "every written firm-year of designated firms from the batch year on (each designated firm "
                   "has an untreated written year): the treated firm-years BJS imputation, Sun-Abraham and the "
                   "static TWFE use on the unfiltered panel",
    "balanced": "the designated firms written in every year of the panel (listed by its first year, never "
                "delisted), from the batch year on: the firms Callaway-Sant'Anna keeps (R did's panel = TRUE)",
}


def sample_truth(cohort: np.ndarray, year: np.ndarray, params: dict[str, Param]) -> dict[str, Any]:
    """Overall ATT and ATT(e) as means of tau over the treated firm-years (cohort > 0, year >= cohort) given.

    `cohort` and `year` hold one entry per firm-year of an estimation sample (untreated rows are ignored).
    """
    g = np.asarray(cohort, dtype=np.int64)
    t = np.asarray(year, dtype=np.int64)
    post = (g > 0) & (t >= g)
    v = {k: float(p.value) for k, p in params.items()}
    tau = designation_tau(g[post], t[post], v)
    e = (t - g)[post]
    frame = pd.DataFrame({"e": e, "tau": tau})
    dynamic = frame.groupby("e")["tau"].mean()
    counts = pd.crosstab(e, g[post])
    return {
        "overall": float(tau.mean()) if tau.size else float("nan"),
        "dynamic": {str(int(k)): float(val) for k, val in dynamic.items()},
        "n_treated_firm_years": int(tau.size),
        "cells": {str(int(k)): {str(int(c)): int(n) for c, n in row.items() if n} for k, row in counts.iterrows()},
    }


def _by_outcome(value: float, loadings: dict[str, float]) -> dict[str, float]:
    return {"tau": value, **{f"srdi_{d}": value * load for d, load in loadings.items()}}


def did_truth(sim: Sim, params: dict[str, Param]) -> dict[str, Any]:
    """The "did" section of truth.json: formula, parameters, ATT(g,t) and the aggregations per population."""
    v = {k: float(p.value) for k, p in params.items()}
    loadings = {d: v[f"tau_load_{d}"] for d in DID_DIMENSIONS}
    years = np.asarray(sim.scale.years)
    cohorts = np.asarray(DESIG_YEARS)
    gg, tt = np.meshgrid(cohorts, years, indexing="ij")
    tau_gt = designation_tau(gg, tt, v)
    att_gt = [{"cohort": int(g), "year": int(t), "event_time": int(t - g), **_by_outcome(float(x), loadings)}
              for g, t, x in zip(gg.ravel(), tt.ravel(), tau_gt.ravel(), strict=True)]

    written = sim.written
    batch = sim.a["batch_year"]
    year_grid = np.broadcast_to(sim.years[None, :], batch.shape)
    in_panel = sim.years >= sim.scale.first_year
    balanced_firm = written[:, in_panel].all(axis=1)
    masks = {"all_treated": written, "balanced": written & balanced_firm[:, None]}
    populations: dict[str, Any] = {}
    for name, mask in masks.items():
        truth = sample_truth(batch[mask], year_grid[mask], params)
        firm_cohort = batch[:, 0][mask.any(axis=1)]
        populations[name] = {
            "definition": POPULATIONS[name],
            "cohort_sizes": {str(int(g)): int((firm_cohort == g).sum()) for g in cohorts},
            "overall": _by_outcome(truth["overall"], loadings),
            "dynamic": {e: _by_outcome(x, loadings) for e, x in truth["dynamic"].items()},
            "n_treated_firm_years": truth["n_treated_firm_years"],
            "cells": truth["cells"],
        }
    return {
        "treatment": "srdi_designated = 1 from BatchYear (SRDI_LittleGiants.csv) on; absorbing; cohort g = "
                     "BatchYear, 0 = never designated",
        "effect": "tau_g(e) = tau_a_g + tau_b * e for e = t - g >= 0, 0 for e < 0 (no anticipation); srdi_k gains "
                  "tau_load_k * tau after clipping, so every firm of cohort g has effect tau_g(t - g) in year t",
        "tau_a": {str(g): v[f"tau_a_{g}"] for g in DESIG_YEARS},
        "tau_b": v["tau_b"],
        "loadings": {f"srdi_{d}": load for d, load in loadings.items()},
        "srdi_index": "srdi_index = sum_k w_k (srdi_k - min_k) / (max_k - min_k) (entropy weights and min/max from "
                      "the panel's fit rows), so its effect is tau * sum_k w_k tau_load_k / (max_k - min_k): "
                      "tau times a loading the panel's composite fixes (index_weights.csv and the dimensions' range)",
        "aggregation": "overall = mean of tau_it over a population's treated firm-years (R did 'simple', BJS 'ATT', "
                       "Sun-Abraham 'ATT'); dynamic[e] = mean over its treated firm-years at event time e (R did "
                       "'dynamic', BJS horizons, Sun-Abraham event times); cells[e][g] = firm-years of cohort g at e",
        "att_gt": att_gt,
        "populations": populations,
    }
