"""Model specification: parse the config dict of one model and check it against the panel.

Kept apart from estimation so a typo in config.yaml fails before any number is computed, with a
message that names the model and the offending key or column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from srdi.sample_query import check_sample

FE_NAMES = ("entity", "time")  # aliases of the panel's key columns; the default fe
# one fe term: a column name, or columns interacted with "^" (fixest style), e.g. "industry^year"
FE_PATTERN = re.compile(r"^[^\^\s]+(\^[^\^\s]+)*$")
VCOV_TYPES = ("cluster", "robust", "unadjusted", "hc3")
ALLOWED_KEYS = frozenset(
    {"kind", "outcome", "regressors", "controls", "fe", "vcov", "lag", "lag_years", "sample", "weights"}
)


@dataclass(frozen=True)
class ModelSpec:
    """One linear panel model, with every default filled in and column aliases resolved."""

    name: str
    outcome: str
    regressors: tuple[str, ...]
    controls: tuple[str, ...]
    fe: tuple[str, ...]  # effect terms as written: "entity", "time", a column, or "a^b"; () = pooled OLS
    vcov_type: str  # "cluster" | "robust" | "unadjusted"
    cluster_by: tuple[str, ...]  # panel column names; empty unless vcov_type == "cluster"
    lag: tuple[str, ...]  # terms replaced by their value `lag_years` calendar years earlier
    sample: str | None = None
    kind: str = "panel"
    lag_years: int = 1
    weights: str | None = None  # column of analytic weights (Stata aweights); None = unweighted

    @property
    def terms(self) -> tuple[str, ...]:
        """Regressors of interest, then controls: the row order of every output."""
        return self.regressors + self.controls

    def required_columns(self, entity: str, time: str) -> tuple[str, ...]:
        fe_cols = [c for parts in self.fe_columns(entity, time) for c in parts]
        cols = [entity, time, self.outcome, *self.terms, *self.cluster_by, *fe_cols]
        return tuple(dict.fromkeys(cols))

    def fe_columns(self, entity: str, time: str) -> tuple[tuple[str, ...], ...]:
        """Panel columns of each absorbed effect, aliases resolved: ("industry", "year") for "industry^year"."""
        return tuple(_fe_parts(term, entity, time) for term in self.fe)

    def fe_terms(self, entity: str, time: str) -> tuple[str, ...]:
        """Each absorbed effect as "col" or "col1^col2", aliases resolved (for messages and grouping)."""
        return tuple("^".join(parts) for parts in self.fe_columns(entity, time))

    @property
    def fe_label(self) -> str:
        return "+".join(self.fe) if self.fe else "none"

    @property
    def vcov_label(self) -> str:
        if self.vcov_type == "cluster":
            return "cluster:" + "+".join(self.cluster_by)
        return self.vcov_type


def _fe_parts(term: str, entity: str, time: str) -> tuple[str, ...]:
    aliases = {"entity": entity, "time": time}
    return tuple(aliases.get(p, p) for p in term.split("^"))


def column_names(raw: Any, key: str, name: str) -> tuple[str, ...]:
    """A config list of distinct, non-empty column names (errors name the model and the key)."""
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise ValueError(f"model {name!r}: {key} must be a list of column names, got {raw!r}")
    items = tuple(column_name(item, key, name) for item in raw)
    if len(set(items)) != len(items):
        raise ValueError(f"model {name!r}: {key} lists a column twice: {list(items)}")
    return items


def column_name(raw: Any, key: str, name: str) -> str:
    if not isinstance(raw, str) or not raw:
        raise ValueError(f"model {name!r}: {key} must be a column name, got {raw!r}")
    return raw


def check_entry(raw: Mapping[str, Any], allowed: Iterable[str], kind: str, name: str) -> None:
    """Every model kind rejects unknown keys and a `kind` other than its own, naming the model."""
    allowed = frozenset(allowed)
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"model {name!r}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    if raw.get("kind", kind) != kind:
        raise ValueError(f"model {name!r}: kind must be {kind!r}, got {raw.get('kind')!r}")


def parse_spec(raw: Mapping[str, Any], name: str, entity: str, time: str) -> ModelSpec:
    """Validate the structure of one `models:` entry and fill in the documented defaults.

    `entity`/`time` are the panel's key columns; in `vcov.by` the words "entity" and "time" are
    accepted as aliases for them.
    """
    if isinstance(raw, ModelSpec):
        return raw
    check_entry(raw, ALLOWED_KEYS, "panel", name)
    outcome = column_name(raw.get("outcome"), "outcome", name)
    regressors = column_names(raw.get("regressors", ()), "regressors", name)
    if not regressors:
        raise ValueError(f"model {name!r}: regressors must name at least one column")
    controls = column_names(raw.get("controls", ()), "controls", name)
    terms = regressors + controls
    if len(set(terms)) != len(terms):
        raise ValueError(f"model {name!r}: a column is both a regressor and a control: {list(terms)}")
    if outcome in terms:
        raise ValueError(f"model {name!r}: outcome {outcome!r} is also listed as a regressor or control")

    fe = column_names(raw.get("fe", FE_NAMES), "fe", name)
    bad_fe = [f for f in fe if not FE_PATTERN.match(f)]
    if bad_fe:
        raise ValueError(
            f"model {name!r}: fe items must be 'entity', 'time', a column name or columns joined by '^' "
            f"(e.g. 'industry^year'), got {bad_fe}"
        )
    resolved = [frozenset(_fe_parts(f, entity, time)) for f in fe]
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"model {name!r}: fe lists the same effect twice: {list(fe)}")

    vcov = raw.get("vcov") or {"type": "cluster"}
    if not isinstance(vcov, Mapping):
        raise ValueError(f"model {name!r}: vcov must be a mapping with a 'type', got {vcov!r}")
    extra = sorted(set(vcov) - {"type", "by"})
    if extra:
        raise ValueError(f"model {name!r}: unknown vcov key(s) {extra}; allowed: ['by', 'type']")
    vtype = vcov.get("type", "cluster")
    if vtype not in VCOV_TYPES:
        raise ValueError(f"model {name!r}: vcov.type must be one of {list(VCOV_TYPES)}, got {vtype!r}")
    if vtype == "cluster":
        aliases = {"entity": entity, "time": time}
        by = column_names(vcov.get("by", [entity]), "vcov.by", name)
        by = tuple(dict.fromkeys(aliases.get(b, b) for b in by))
        if not 1 <= len(by) <= 2:
            raise ValueError(f"model {name!r}: vcov.by must name one or two columns, got {list(by)}")
    else:
        if vcov.get("by"):
            raise ValueError(f"model {name!r}: vcov.by applies only to type 'cluster', not {vtype!r}")
        by = ()

    lag = column_names(raw["lag"], "lag", name) if "lag" in raw and raw["lag"] is not None else regressors
    not_terms = [c for c in lag if c not in terms]
    if not_terms:
        raise ValueError(f"model {name!r}: lag names {not_terms}, which are not regressors or controls")

    lag_years = raw.get("lag_years", 1)
    if isinstance(lag_years, bool) or not isinstance(lag_years, int) or lag_years < 1:
        raise ValueError(f"model {name!r}: lag_years must be a positive integer, got {lag_years!r}")

    sample = check_sample(raw.get("sample"), name)  # parsed now: a refused query stops before any fit
    weights = column_name(raw["weights"], "weights", name) if raw.get("weights") is not None else None

    return ModelSpec(
        name=name,
        outcome=outcome,
        regressors=regressors,
        controls=controls,
        fe=fe,
        vcov_type=vtype,
        cluster_by=by,
        lag=lag,
        sample=sample,
        lag_years=lag_years,
        weights=weights,
    )


def check_columns(spec: ModelSpec, columns: Iterable[str], entity: str, time: str) -> None:
    """Raise a ValueError naming the model and the first column the panel lacks."""
    present = set(columns)
    for col in (*spec.required_columns(entity, time), *([spec.weights] if spec.weights else [])):
        if col not in present:
            raise ValueError(f"model {spec.name!r}: column {col!r} is not in the panel")
