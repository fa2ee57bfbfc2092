"""Cross-references of config.yaml, checked when the DAG starts, before any job: the models that tables and
figures name, and every column that models and descriptive statistics name.

Without this a misspelt model in a table's model list silently dropped the column, and a misspelt column stopped
the run minutes later at the estimate step. Each problem names the config key where the name was written and
suggests the closest known names.

The columns of the panel are known before it is built: in demo and raw mode they are data/codebook.yaml's
entries (every column the panel builder writes has one) plus the measures of the configured text dictionaries;
in panel mode they are the header of the user's file.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from srdi.model_columns import column_refs

CODEBOOK = Path(__file__).resolve().parents[2] / "data" / "codebook.yaml"
FIGURE_KINDS = {"mediation": "mediation", "moderation": "moderation", "event_study": "did",
                "heterogeneity": "heterogeneity"}  # figures.<key> -> the kind of model it draws


def did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def model_reference_problems(config: Mapping[str, Any]) -> list[str]:
    """Every table, figure and describe entry that names a model `models:` does not define, or one of the wrong kind."""
    models = config.get("models", {})
    refs: list[tuple[str, Any]] = []
    for table, spec in config.get("tables", {}).get("regressions", {}).items():
        refs += [(f"tables.regressions.{table}.models[{i}]", m) for i, m in enumerate(spec.get("models", ()))]
    figures = config.get("figures", {})
    pairs = figures.get("coefficients", ())
    refs += [(f"figures.coefficients[{i}].model", p.get("model")) for i, p in enumerate(pairs)]
    kinds: list[tuple[str, Any, str]] = []  # figures drawn from one kind of model
    for key, kind in FIGURE_KINDS.items():
        if key == "heterogeneity":
            kinds += [(f"figures.{key}[{i}]", m, kind) for i, m in enumerate(figures.get(key, ()))]
        else:
            kinds.append((f"figures.{key}", figures.get(key), kind))
    refs += [(where, name) for where, name, _ in kinds]
    refs += [(f"figures.placebo[{i}]", m) for i, m in enumerate(figures.get("placebo", ()))]
    kinds.append(("describe.sample_model", config.get("describe", {}).get("sample_model"), "panel"))
    refs.append(kinds[-1][:2])
    problems = [f"  {where}: {name!r} is not a model of `models:`{did_you_mean(name, models)}"
                for where, name in refs if name is not None and name not in models]
    problems += [f"  {where}: {name!r} is a `kind: {models[name].get('kind')}` model; "
                 f"{'this figure' if where.startswith('figures') else 'it'} needs `kind: {kind}`"
                 for where, name, kind in kinds if name in models and models[name].get("kind") != kind]
    return problems


def panel_file_columns(path: str | Path) -> list[str]:
    """The header of a user's panel file, read without loading the data (csv, parquet, dta, xlsx)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return next(csv.reader(fh), [])
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if suffix == ".dta":
        import pandas as pd

        with pd.read_stata(path, iterator=True) as reader:
            return list(reader.variable_labels())  # name -> label, in file order
    if suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            first = next(wb.worksheets[0].iter_rows(max_row=1, values_only=True), ())
        finally:
            wb.close()
        return [str(c) for c in first if c is not None]
    raise ValueError(f"{path}: unknown panel file type {suffix!r} (csv, parquet, dta or xlsx)")


def built_panel_columns(config: Mapping[str, Any], codebook: str | Path = CODEBOOK) -> tuple[set[str], list[str]]:
    """Columns the pipeline's own panel has (demo and raw mode): the codebook's plus the text measures; and the
    problems of dictionaries that cannot be read."""
    from srdi.text.dictionary import load_dictionary

    with Path(codebook).open(encoding="utf-8") as fh:
        known = set(yaml.safe_load(fh))
    problems = []
    for key, path in config.get("text", {}).get("dictionaries", {}).items():
        try:
            dictionary = load_dictionary(path)
        except (OSError, ValueError) as exc:
            problems.append(f"  text.dictionaries.{key}: {exc}")
            continue
        known.update(dictionary.count_columns(), dictionary.measure_columns(key))
    return known, problems


def column_problems(config: Mapping[str, Any], known: set[str], source: str) -> list[str]:
    """Every column a model or `describe.variables` names that is not in `known` (the panel's columns)."""
    data = config["data"]
    entity, time = data["entity"], data["time"]
    refs = [("data.entity", entity), ("data.time", time)]
    for name, spec in sorted(config.get("models", {}).items()):
        refs += [(f"models.{name}.{where}", col) for where, col in column_refs(spec, entity, time)]
    refs += [(f"describe.variables[{i}]", c) for i, c in enumerate(config.get("describe", {}).get("variables", ()))]
    out, seen = [], set()
    for where, col in refs:
        if col not in known and (where, col) not in seen:
            seen.add((where, col))
            out.append(f"  {where}: column {col!r} is not a column of {source}{did_you_mean(col, known)}")
    return out


def panel_column_problems(config: Mapping[str, Any]) -> list[str]:
    """column_problems against the panel the run will have (see the module docstring)."""
    data = config["data"]
    if data["source"] == "panel":
        path = Path(data["panel_file"])
        if not path.is_file():
            return [f"  data.panel_file: {path} does not exist"]
        try:
            header = panel_file_columns(path)
        except Exception as exc:  # an unreadable file: the import step reports it in full, naming the cell
            return [f"  data.panel_file: the header of {path} cannot be read: {exc}"]
        return column_problems(config, set(header), f"the panel file {path}")
    known, unreadable = built_panel_columns(config)
    if unreadable:
        return unreadable
    problems = column_problems(config, known, "the panel")
    if problems:
        problems.append("  (the panel's columns: those of data/codebook.yaml and the text dictionaries' measures)")
    return problems
