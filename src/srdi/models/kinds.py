"""Registry of model kinds: `kind` in a config model entry -> the function that fits it.

Each fitter takes (panel, spec mapping, name, entity, time, seed) and returns the tidy estimates frame of
docs/estimates_format.md; it raises ValueError naming the model and the column for bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

Fitter = Callable[[pd.DataFrame, Mapping[str, Any], str, str, str, int], pd.DataFrame]


def _panel(panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int) -> pd.DataFrame:
    from srdi.models.panel_kind import fit

    return fit(panel, spec, name, entity, time, seed)


def _iv(panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int) -> pd.DataFrame:
    from srdi.models.iv import fit_iv, tidy_iv

    core = {k: v for k, v in spec.items() if k != "wild_bootstrap"}
    frame = tidy_iv(fit_iv(panel, core, entity, time, name), name)
    if spec.get("wild_bootstrap") is None:
        return frame
    from srdi.models.wild_iv import wild_iv_bootstrap
    from srdi.seeds import derive_seed

    opts = spec["wild_bootstrap"] or {}
    res = wild_iv_bootstrap(panel, core, entity, time, reps=int(opts.get("reps", 9999)),
                            weights=str(opts.get("weights", "webb")), seed=derive_seed(seed, "wild_bootstrap"),
                            name=name)
    second = frame[frame["equation"] == "second_stage"].iloc[0]
    row = {"model": name, "outcome": second["outcome"], "term": res.term, "lag": second.get("lag"),
           "equation": "wild_bootstrap", "estimate": res.estimate, "statistic": res.t_stat, "p_value": res.p_value,
           "conf_low": res.conf_low, "conf_high": res.conf_high, "reps": res.reps, "method": f"wre_{res.weights}",
           "n_clusters": res.n_clusters, "nobs": res.nobs, "applies_to": "second_stage", "vcov": second["vcov"],
           "note": "full enumeration" if res.enumerated else f"{res.reps} draws"}
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True)


def _mediation(
    panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int
) -> pd.DataFrame:
    from srdi.models.mediation import fit_mediation_frame

    return fit_mediation_frame(panel, spec, name, entity, time, seed)


def _moderation(
    panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int
) -> pd.DataFrame:
    from srdi.models.moderation import fit

    return fit(panel, spec, name, entity, time, seed)


def _heterogeneity(
    panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int
) -> pd.DataFrame:
    from srdi.models.heterogeneity import fit

    return fit(panel, spec, name, entity, time, seed)


def _binary(panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int) -> pd.DataFrame:
    from srdi.models.binary import fit

    return fit(panel, spec, name, entity, time, seed)


def _did(panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int) -> pd.DataFrame:
    from srdi.models.did.fit import fit_did_frame

    return fit_did_frame(panel, spec, name, entity, time, seed)


FITTERS: dict[str, Fitter] = {
    "panel": _panel,
    "mediation": _mediation,
    "iv": _iv,
    "moderation": _moderation,
    "heterogeneity": _heterogeneity,
    "binary": _binary,
    "did": _did,
}


def fitter_for(kind: str, name: str) -> Fitter:
    try:
        return FITTERS[kind]
    except KeyError:
        raise ValueError(f"model {name!r}: unknown kind {kind!r}; known kinds are {sorted(FITTERS)}") from None
