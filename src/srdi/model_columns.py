"""Which panel columns each model of config.yaml reads, known before any data is: for checks at the start.

`column_refs` names each column with the config key that names it (`models.baseline.controls[2]`), so a misspelt
one is reported where the user wrote it (srdi.config_refs, at DAG start). A user's own panel (data.source: panel)
is also checked against `columns_by_model` when it is imported, naming the file, the column and the models.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from srdi.sample_query import parse_sample_query, referenced_columns

SINGLE_KEYS = ("outcome", "treatment", "mediator", "regressor", "moderator", "group_by", "first_treated", "treated",
               "weights")
LIST_KEYS = ("regressors", "controls", "endogenous", "instruments")
# The keys whose columns are the model's variables (what descriptive statistics describe by default).
VARIABLE_KEYS = ("outcome", "treatment", "regressor", "regressors", "mediator", "moderator", "endogenous",
                 "instruments", "controls")
FE_ALIASES = ("entity", "time")


def column_refs(spec: Mapping[str, Any], entity: str, time: str) -> Iterator[tuple[str, str]]:
    """(key path within the model entry, column) for every panel column the entry names, aliases resolved."""
    aliases = {"entity": entity, "time": time}
    for key in SINGLE_KEYS:
        if isinstance(spec.get(key), str):
            yield key, spec[key]
    for key in LIST_KEYS:
        for i, col in enumerate(spec.get(key) or ()):
            yield f"{key}[{i}]", col
    for i, term in enumerate(spec.get("fe") or ()):
        for part in term.split("^"):
            yield f"fe[{i}]", aliases.get(part, part)
    for i, col in enumerate((spec.get("vcov") or {}).get("by") or ()):
        yield f"vcov.by[{i}]", col
    for i, col in enumerate((spec.get("loo_instrument") or {}).get("by") or ()):
        yield f"loo_instrument.by[{i}]", col
    for i, col in enumerate((spec.get("matching") or {}).get("covariates") or ()):
        yield f"matching.covariates[{i}]", col
    cluster = (spec.get("bootstrap") or {}).get("cluster")
    if cluster:
        yield "bootstrap.cluster", aliases.get(cluster, cluster)
    if spec.get("sample"):
        for col in sorted(referenced_columns(parse_sample_query(spec["sample"]))):
            yield "sample", col


def model_columns(spec: Mapping[str, Any], entity: str, time: str) -> list[str]:
    """The panel columns one model entry names, in order of appearance, key aliases resolved."""
    return list(dict.fromkeys([entity, time, *(col for _, col in column_refs(spec, entity, time))]))


def model_variables(models: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The models' variables (outcomes, regressors, mediators, moderators, instruments, controls), in order."""
    out: list[str] = []
    for spec in models.values():
        for key in VARIABLE_KEYS:
            value = spec.get(key)
            out += [value] if isinstance(value, str) else list(value or ())
    return list(dict.fromkeys(out))


def columns_by_model(models: Mapping[str, Mapping[str, Any]], entity: str, time: str) -> dict[str, list[str]]:
    """Column -> the models that read it (sorted), for every model of the config."""
    out: dict[str, list[str]] = {}
    for name, spec in sorted(models.items()):
        for col in model_columns(spec, entity, time):
            out.setdefault(col, []).append(name)
    return out
