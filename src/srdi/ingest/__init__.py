"""Ingestion: raw CSMAR/CNRDS exports -> validated interim tables -> first firm-year panel.

Public API: `ingest_raw` (Snakemake rule `ingest`), `build_base_panel`, `IngestError`, and the
readers / partner classification reused by other stages.
"""

from .errors import IngestError, Problem
from .mapping import TABLE_KEYS, load_mapping
from .panel import build_base_panel
from .partners import classify_partner, normalize_name, normalize_names
from .readers import read_table
from .stage import REPORT_NAME, ingest_raw

__all__ = [
    "REPORT_NAME",
    "TABLE_KEYS",
    "IngestError",
    "Problem",
    "build_base_panel",
    "classify_partner",
    "ingest_raw",
    "load_mapping",
    "normalize_name",
    "normalize_names",
    "read_table",
]
