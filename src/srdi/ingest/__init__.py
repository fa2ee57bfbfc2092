"""Ingestion: raw CSMAR/CNRDS exports -> validated interim tables -> first firm-year panel.

Public API: `ingest_raw` (Snakemake rule `ingest`), `build_base_panel`, `IngestError`, and the
readers / partner classification reused by other stages. Each is imported on first use: the stages that reuse
one module (the demo's partner names, the panel's readers, the base panel) do not pay for the validation
schemas' pandera (a second of start-up in every such job).
"""

from importlib import import_module
from typing import Any

_HOME = {
    "REPORT_NAME": "stage",
    "TABLE_KEYS": "mapping",
    "IngestError": "errors",
    "Problem": "errors",
    "build_base_panel": "panel",
    "classify_partner": "partners",
    "ingest_raw": "stage",
    "load_mapping": "mapping",
    "normalize_name": "partners",
    "normalize_names": "partners",
    "read_table": "readers",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
