"""`kind: panel` in config.yaml: the FE (or pooled) regression plus the checks a referee asks of it, each optional.

The regression's rows include Stata's `_cons` (pooled intercept, or reghdfe's ybar - xbar'b) and its fit
statistics (overall, adjusted and adjusted-within R²), for tables that show them (`tables.constant`,
`tables.adjusted_r2`).

* `random_effects: true` adds an RE column (Stata `xtreg, re`, equation `random_effects`) with the classic FE-RE
  Hausman test and the cluster-robust Mundlak test under it (docs/estimation.md, "Random effects ...");
* `oster: {r_max_factor, delta}` adds Oster (2019) bounds for the first regressor (equation `oster`);
* `wild_bootstrap: {reps, weights}` adds the WCR wild cluster bootstrap p-value and test-inversion 95% CI of every
  regressor of interest (equation `wild_bootstrap`), for a model clustered by one column;
* `placebo: {reps}` permutes the first regressor across firms within year (equation `placebo`, draws in
  `placebo_draw`).
Random steps are seeded from the model's seed and a label of the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from srdi.seeds import derive_seed

OPTIONS = ("placebo", "random_effects", "oster", "wild_bootstrap")


def fit(panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int) -> pd.DataFrame:
    from srdi.models.panel import fit_panel
    from srdi.models.spec import check_columns, parse_spec
    from srdi.models.tidy import tidy

    weighted_options = [k for k in OPTIONS if spec.get(k) not in (None, False)] if spec.get("weights") else []
    if weighted_options:  # their engines are unweighted: a weighted model would get unweighted checks
        raise ValueError(f"model {name!r}: {', '.join(weighted_options)} cannot be combined with weights "
                         f"({spec['weights']!r}); fit those checks on an unweighted model")
    model = parse_spec({k: v for k, v in spec.items() if k not in OPTIONS}, name, entity, time)
    check_columns(model, panel.columns, entity, time)
    frames = [tidy(fit_panel(panel, model, entity, time), name, constant=True, fit_stats=True)]
    if spec.get("random_effects"):
        frames += _random_effects(panel, model, name, entity, time)
    if spec.get("oster") is not None:
        from srdi.models.oster import oster_bounds, tidy_oster

        opts = spec["oster"] if isinstance(spec["oster"], Mapping) else {}
        res = oster_bounds(panel, model, entity, time, name, r_max_factor=float(opts.get("r_max_factor", 1.3)),
                           delta=float(opts.get("delta", 1.0)))
        frames.append(tidy_oster(res, name).assign(applies_to="main"))
    if spec.get("wild_bootstrap") is not None:
        frames.append(_wild_bootstrap(panel, model, spec["wild_bootstrap"], name, entity, time, seed))
    reps = int(spec["placebo"].get("reps", 500)) if isinstance(spec.get("placebo"), Mapping) else 0
    if reps:
        from srdi.models.did.placebo import placebo_regressor
        from srdi.models.placebo_rows import placebo_rows

        res = placebo_regressor(panel, model, entity, time, reps=reps, seed=seed, name=name)
        frames.append(placebo_rows(res, "main"))
    if len(frames) == 1:
        return frames[0]
    frames[0] = frames[0].assign(equation="main")
    return pd.concat(frames, ignore_index=True)


def _random_effects(panel: pd.DataFrame, model: Any, name: str, entity: str, time: str) -> list[pd.DataFrame]:
    from srdi.models.hausman import hausman_fe_re, mundlak_test, tidy_tests
    from srdi.models.random_effects import fit_random_effects, tidy_random_effects

    re_spec = model
    if tuple(model.fe) not in (("entity",), ("entity", "time")):
        raise ValueError(f"model {name!r}: random_effects needs fe [entity] or [entity, time], got {list(model.fe)}")
    re_frame = tidy_random_effects(fit_random_effects(panel, re_spec, entity, time, name), name)
    tests = tidy_tests(name, model, hausman_fe_re(panel, model, entity, time, name),
                       mundlak_test(panel, model, entity, time, name))
    return [re_frame, tests.assign(applies_to="random_effects")]


def _wild_bootstrap(panel: pd.DataFrame, model: Any, opts: Any, name: str, entity: str, time: str,
                    seed: int) -> pd.DataFrame:
    from srdi.models.tidy import term_lag
    from srdi.models.wild_bootstrap import wild_bootstrap_panel

    opts = opts if isinstance(opts, Mapping) else {}
    if model.vcov_type != "cluster" or len(model.cluster_by) != 1:
        raise ValueError(f"model {name!r}: wild_bootstrap needs vcov: {{type: cluster, by: [one column]}}")
    rows = []
    for term in model.regressors:
        res = wild_bootstrap_panel(panel, model, entity, time, term, reps=int(opts.get("reps", 9999)),
                                   weights=str(opts.get("weights", "webb")),
                                   seed=derive_seed(seed, f"wild_bootstrap:{term}"), name=name)
        rows.append({"equation": "wild_bootstrap", "term": term, "lag": term_lag(model, term),
                     "estimate": res.estimate, "statistic": res.t_stat,
                     "p_value": res.p_value, "conf_low": res.conf_low, "conf_high": res.conf_high,
                     "reps": res.reps, "method": f"wcr_{res.weights}", "n_clusters": res.n_clusters,
                     "nobs": res.nobs, "applies_to": "main",
                     "note": "full enumeration" if res.enumerated else f"{res.reps} draws"})
    return pd.DataFrame(rows).assign(model=name, outcome=model.outcome, vcov=model.vcov_label)
