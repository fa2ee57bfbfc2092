"""Which panel columns each model of config.yaml reads, known before any data is: for checks at the start.

A user's own panel (data.source: panel) is checked against this list when it is imported, so a misspelt or
empty column stops the run naming the file, the column and the models, before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from srdi.sample_query import parse_sample_query, referenced_columns

SINGLE_KEYS = ("outcome", "treatment", "mediator", "regressor", "moderator", "group_by", "first_treated", "treated",
               "weights")
LIST_KEYS = ("regressors", "controls", "endogenous", "instruments")
FE_ALIASES = ("entity", "time")


def model_columns(spec: Mapping[str, Any], entity: str, time: str) -> list[str]:
    """The panel columns one model entry names, in order of appearance, key aliases resolved."""
    aliases = {"entity": entity, "time": time}
    cols: list[str] = [entity, time]
    cols += [spec[k] for k in SINGLE_KEYS if isinstance(spec.get(k), str)]
    for key in LIST_KEYS:
        cols += list(spec.get(key) or ())
    for term in spec.get("fe") or ():
        cols += [aliases.get(part, part) for part in term.split("^")]
    vcov = spec.get("vcov") or {}
    cols += list(vcov.get("by") or ())
    cols += list((spec.get("loo_instrument") or {}).get("by") or ())
    cols += list((spec.get("matching") or {}).get("covariates") or ())
    cluster = (spec.get("bootstrap") or {}).get("cluster")
    if cluster:
        cols.append(aliases.get(cluster, cluster))
    if spec.get("sample"):
        cols += sorted(referenced_columns(parse_sample_query(spec["sample"])))
    return list(dict.fromkeys(cols))


def columns_by_model(models: Mapping[str, Mapping[str, Any]], entity: str, time: str) -> dict[str, list[str]]:
    """Column -> the models that read it (sorted), for every model of the config."""
    out: dict[str, list[str]] = {}
    for name, spec in sorted(models.items()):
        for col in model_columns(spec, entity, time):
            out.setdefault(col, []).append(name)
    return out
