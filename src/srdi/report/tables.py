"""Entry points of the `srdi table` and `srdi describe-tables` commands: read inputs, build, write formats."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from srdi.report import descriptive
from srdi.report.estimates import read_models
from srdi.report.formats import write_table
from srdi.report.labels import Labels
from srdi.report.plan import TABLE_FORMATS, describe_sample_model, describe_tables, table_models
from srdi.report.regression import RegressionTableBuilder
from srdi.report.settings import TableSettings
from srdi.report.stamp import Stamp, read_provenance, stamp_from
from srdi.report.table_model import Table

log = logging.getLogger(__name__)


def _stamp(provenance: str | Path | None) -> Stamp | None:
    return stamp_from(read_provenance(provenance)) if provenance else None


def _formats(config: Mapping[str, Any]) -> list[str]:
    return list(config.get("tables", {}).get("formats", TABLE_FORMATS))


def build_regression_table(config: Mapping[str, Any], name: str, estimates_dir: str | Path,
                           codebook: str | Path | None, stamp: Stamp | None) -> Table:
    settings = TableSettings.from_config(config)
    spec = config["tables"]["regressions"][name]
    models = table_models(config, name)
    missing = [m for m in spec.get("models", []) if m not in models]
    if missing:
        log.warning("table %s: models %s are not in config.models; left out", name, missing)
    estimates = read_models(estimates_dir, models)
    if spec.get("content") == "balance":
        from srdi.report.balance import balance_table

        return balance_table(name, spec, estimates, Labels.from_csv(codebook, settings.language), settings, stamp)
    builder = RegressionTableBuilder(Labels.from_csv(codebook, settings.language), settings,
                                     config.get("data", {}).get("entity", "stkcd"),
                                     config.get("data", {}).get("time", "year"))
    return builder.build(name, spec, estimates, config.get("models", {}), stamp)


def write_regression_table(config: Mapping[str, Any], name: str, estimates_dir: str | Path,
                           codebook: str | Path | None, provenance: str | Path | None,
                           out_dir: str | Path) -> list[Path]:
    table = build_regression_table(config, name, estimates_dir, codebook, _stamp(provenance))
    return write_table(table, out_dir, _formats(config), TableSettings.from_config(config).language)


def build_describe_tables(config: Mapping[str, Any], tables_dir: str | Path, codebook: str | Path | None,
                          stamp: Stamp | None) -> list[Table]:
    settings = TableSettings.from_config(config)
    labels = Labels.from_csv(codebook, settings.language)
    out = []
    for name in describe_tables(config):
        frame = pd.read_csv(Path(tables_dir) / f"{name}.csv")
        if name == "sample_construction":
            out.append(descriptive.sample_construction_table(frame, labels, stamp))
        elif name == "variables":
            out.append(descriptive.variables_table(frame, labels, stamp))
        elif name in ("descriptives", "descriptives_panel"):
            model = describe_sample_model(config) if name == "descriptives" else None
            out.append(descriptive.descriptives_table(frame, labels, settings, stamp, name, model))
        else:
            out.append(descriptive.correlations_table(frame, labels, settings, stamp))
    return out


def write_describe_tables(config: Mapping[str, Any], tables_dir: str | Path, codebook: str | Path | None,
                          provenance: str | Path | None, out_dir: str | Path) -> list[Path]:
    """The CSVs these read are the machine-readable versions, so CSV is not rewritten here."""
    formats = [f for f in _formats(config) if f != "csv"]
    language = TableSettings.from_config(config).language
    paths = []
    for table in build_describe_tables(config, tables_dir, codebook, _stamp(provenance)):
        paths += write_table(table, out_dir, formats, language)
    return paths
