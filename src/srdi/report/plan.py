"""Which tables and figures a config asks for, decided before any job runs (the Snakefile's targets).

Kept free of heavy imports: the Snakefile imports it at parse time. In a run, config.yaml's tables and figures
name only models it defines (srdi.config_refs refuses the config otherwise); a library caller's partial config
(tests, notebooks) gets the tables and figures its models allow, never a placeholder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DESCRIBE_TABLES = ("sample_construction", "variables", "descriptives", "descriptives_panel", "correlations")
TABLE_FORMATS = ("tex", "docx", "md", "csv", "html")
FIGURE_FORMATS = ("png", "pdf")


def table_models(config: Mapping[str, Any], name: str | None = None) -> list[str]:
    """The models of a regression table (of every table: name None) that the config defines, in order."""
    regressions = config.get("tables", {}).get("regressions", {})
    names = [name] if name is not None else list(regressions)
    wanted = [m for n in names for m in regressions.get(n, {}).get("models", [])]
    return [m for m in dict.fromkeys(wanted) if m in config.get("models", {})]


def planned_tables(config: Mapping[str, Any]) -> list[str]:
    """Regression tables with at least one model that exists."""
    regressions = config.get("tables", {}).get("regressions", {})
    return [name for name in regressions if table_models(config, name)]


def describe_tables(config: Mapping[str, Any]) -> list[str]:
    """Sample construction exists only when the pipeline built the panel (not for an imported one)."""
    if config.get("data", {}).get("source") == "panel":
        return [t for t in DESCRIBE_TABLES if t != "sample_construction"]
    return list(DESCRIBE_TABLES)


def describe_sample_model(config: Mapping[str, Any]) -> str | None:
    """The model whose estimation sample the descriptives and correlations describe: `describe.sample_model`, else
    the model named `baseline` when it is a panel model; None describes every firm-year that passes the filters."""
    models = config.get("models", {})
    name = config.get("describe", {}).get("sample_model")
    if name is None and models.get("baseline", {}).get("kind", "panel") == "panel" and "baseline" in models:
        name = "baseline"
    if name is not None and (name not in models or models[name].get("kind", "panel") != "panel"):
        raise ValueError(f"describe.sample_model: {name!r} is not a model of kind panel under models:")
    return name


def describe_sample_spec(config: Mapping[str, Any], entity: str, time: str) -> dict[str, Any] | None:
    """The describe rule's --sample-model: {name, spec, entity, time} of `describe_sample_model`, or None."""
    name = describe_sample_model(config)
    if name is None:
        return None
    return {"name": name, "spec": config["models"][name], "entity": entity, "time": time}


def coefficient_pairs(config: Mapping[str, Any]) -> list[dict[str, str]]:
    models = config.get("models", {})
    return [p for p in config.get("figures", {}).get("coefficients", []) if p["model"] in models]


def placebo_models(config: Mapping[str, Any]) -> list[str]:
    """Models of `figures.placebo` that the config defines with a placebo test."""
    models = config.get("models", {})
    return [m for m in config.get("figures", {}).get("placebo", []) if (models.get(m, {}).get("placebo") or {}).get(
        "reps")]


def planned_figures(config: Mapping[str, Any]) -> list[str]:
    """Figure names (file stems under results/figures/) the config's models allow."""
    fig = config.get("figures", {})
    models = config.get("models", {})

    def kind_of(name: str | None) -> str | None:
        return models.get(name, {}).get("kind") if name else None

    names = []
    if coefficient_pairs(config):
        names.append("coefficients")
    if kind_of(fig.get("mediation")) == "mediation":
        names.append("mediation_path")
    if kind_of(fig.get("moderation")) == "moderation":
        names.append("marginal_effects")
    if any(kind_of(m) == "heterogeneity" for m in fig.get("heterogeneity", [])):
        names.append("heterogeneity_forest")
    if kind_of(fig.get("event_study")) == "did":
        names.append("event_study")
    if placebo_models(config):
        names.append("placebo")
    if fig.get("truth", True) and config.get("data", {}).get("source") == "demo" and models:
        names.append("truth_recovery")
    return names


def table_files(name: str, formats: tuple[str, ...] = TABLE_FORMATS) -> list[str]:
    return [f"{name}.{ext}" for ext in formats]


def report_parts(config: Mapping[str, Any], tables_dir: str | None, figures_dir: str | None) -> list[str]:
    """Files the report embeds: each table's HTML (given tables_dir) and each figure's PNG (given figures_dir)."""
    tables = [*describe_tables(config), *planned_tables(config)]
    parts = [f"{tables_dir}/{t}.html" for t in tables] if tables_dir else []
    return parts + ([f"{figures_dir}/{f}.png" for f in planned_figures(config)] if figures_dir else [])
