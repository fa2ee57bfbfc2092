"""Load and validate config.yaml against its JSON Schema before any rule runs.

Snakemake's own `validate` reports a failure without the full key path; users editing a long config need to
know exactly which key is wrong, so the error here names it (e.g. `models.baseline.fe[0]`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """config.yaml does not satisfy its schema or refers to something that does not exist."""


def _key_path(path: Iterator[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top level>"


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return {**root["$defs"][name], **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _fill_defaults(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> None:
    """Insert schema defaults for missing keys, recursing into objects, named-model maps and the
    `if kind == X then <kind schema>` branches of allOf."""
    schema = _resolve(schema, root)
    if not isinstance(instance, dict):
        return
    for branch in schema.get("allOf", ()):
        condition = branch.get("if", {}).get("properties", {})
        if all(instance.get(key) == rule.get("const") for key, rule in condition.items()) and "then" in branch:
            _fill_defaults(instance, branch["then"], root)
    for key, sub in schema.get("properties", {}).items():
        sub = _resolve(sub, root)
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            _fill_defaults(instance[key], sub, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key not in schema.get("properties", {}):
                _fill_defaults(value, extra, root)


def load_schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def validate_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return a defaults-filled copy of `config`, or raise ConfigError listing every violation by key path."""
    schema = load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [f"  {_key_path(e.absolute_path)}: {e.message}" for e in errors]
        raise ConfigError("config.yaml is invalid:\n" + "\n".join(lines))
    filled = copy.deepcopy(dict(config))
    _fill_defaults(filled, schema, schema)
    return filled


def load_config(path: str | Path) -> dict[str, Any]:
    with Path(path).open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    return validate_config(raw)
