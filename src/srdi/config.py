"""Load and validate config.yaml against its JSON Schema before any rule runs.

Snakemake's own `validate` reports a failure without the full key path; users editing a long config need to
know exactly which key is wrong, so the error here names it (e.g. `models.baseline.fe[0]`).

The file is read here, not by Snakemake's `configfile:` directive: Snakemake runs a YAML file through the YTE
template engine (arbitrary Python) when it sets `__use_yte__: true`, and PyYAML keeps the last of two equal keys
silently (two models of one name: the first vanishes). A replication package is rerun by people who did not
write its config, so neither is acceptable: both are errors here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from srdi.config_refs import model_reference_problems, panel_column_problems
from srdi.model_columns import model_variables

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


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML (no Python tags) in which a key repeated within one mapping is an error."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)  # resolve `<<: *anchor` merges first; their keys may be overridden
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise ConfigError(f"{key_node.start_mark.name}: line {line}: key {key!r} is defined twice in the same "
                              f"section (first at line {seen[key]}); YAML would silently keep only the last one")
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)

YTE_KEY = "__use_yte__"


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The YAML mapping in `path`, read safely: duplicate keys and YTE templating are errors."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            raw = yaml.load(fh, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no Python tags
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    if YTE_KEY in raw:
        raise ConfigError(f"{path}: {YTE_KEY} is not accepted: the pipeline never runs a config file as a "
                          "template (YTE evaluates Python code); write plain values")
    return raw


def merge_overrides(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`base` updated recursively by `overrides` (Snakemake's --config / --configfile values), as Snakemake's own
    configfile directive merges them."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge_overrides(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_workflow_config(path: str | Path, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """What the Snakefile runs on: `path` read safely, command-line overrides on top, validated with defaults,
    and every column the models name checked against the panel's columns (srdi.config_refs)."""
    if YTE_KEY in overrides:
        raise ConfigError(f"{YTE_KEY} is not accepted (a config is never run as a template)")
    config = validate_config(merge_overrides(read_config_file(path), overrides))
    _raise_if(panel_column_problems(config))
    return config


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
    filled.setdefault("describe", {"variables": model_variables(filled["models"])})
    _check_sample_queries(filled)
    _raise_if(model_reference_problems(filled))
    return filled


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise ConfigError("config.yaml is invalid:\n" + "\n".join(problems))


def _check_sample_queries(config: Mapping[str, Any]) -> None:
    """Parse every model's `sample` filter now, so a refused one stops the run before any job starts."""
    from srdi.sample_query import parse_sample_query

    problems = []
    for name, spec in sorted(config.get("models", {}).items()):
        if isinstance(spec, Mapping) and spec.get("sample") is not None:
            try:
                parse_sample_query(spec["sample"], name)
            except ValueError as exc:
                problems.append(f"  models.{name}.sample: {exc}")
    _raise_if(problems)


def load_config(path: str | Path) -> dict[str, Any]:
    return validate_config(read_config_file(path))
