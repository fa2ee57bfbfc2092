"""Assemble the analysis panel: base firm-year panel + text measures -> composites -> sample flags."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from srdi.atomic import write_csv, write_parquet
from srdi.indices import composite_index
from srdi.panel.codebook import codebook
from srdi.panel.regions import add_regions
from srdi.panel.sme import sme_flag
from srdi.sample import SampleRules, construct_sample

COINNOV_PARTS = ("ci_collab", "ci_data", "ci_chain", "ci_eco")
SRDI_PARTS = ("srdi_spec", "srdi_refine", "srdi_distinct", "srdi_novel")
KEY = ["stkcd", "year"]


def merge_text(base: pd.DataFrame, text: pd.DataFrame) -> pd.DataFrame:
    """Left-join the text measures; a firm-year without a report stays missing, never zero."""
    dup = text.duplicated(KEY, keep=False)
    if dup.any():
        raise ValueError(f"text measures: duplicate firm-years {text.loc[dup, KEY].head().values.tolist()}")
    overlap = [c for c in text.columns if c in base.columns and c not in KEY]
    if overlap:
        raise ValueError(f"text measures repeat base-panel columns {overlap}")
    return base.merge(text, on=KEY, how="left", validate="one_to_one")


def add_alternative_dimensions(panel: pd.DataFrame) -> pd.DataFrame:
    """Alternative measures of the SRDI dimensions for robustness checks (docs/proxies.md)."""
    out = panel.copy()
    out["srdi_refine_turnover"] = out["revenue"] / out["total_assets"].where(out["total_assets"] > 0)
    cell_revenue = out.groupby(["industry_code", "year"])["revenue"].transform("sum")
    out["srdi_distinct_share"] = out["revenue"] / cell_revenue.where(cell_revenue > 0)
    out["srdi_novel_pat"] = np.log1p(out["n_invention"])
    return out


def add_composites(
    panel: pd.DataFrame, method: str, fit_rows: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """coinnov and srdi_index with their weights, computed on the pooled sample rows (`fit_rows`)."""
    out = panel.copy()
    weights = []
    for name, parts in (("coinnov", COINNOV_PARTS), ("srdi_index", SRDI_PARTS)):
        out[name], w = composite_index(out, parts, method, fit_rows)  # type: ignore[arg-type]
        weights.append(pd.DataFrame({"index": name, "indicator": w.index, "method": method, "weight": w.values}))
    return out, pd.concat(weights, ignore_index=True)


def sample_rules(settings: dict[str, Any]) -> SampleRules:
    sample = settings.get("sample", {})
    wins = settings.get("winsorize", {})
    return SampleRules(
        drop_finance=sample.get("drop_finance", True),
        drop_st=sample.get("drop_st", True),
        drop_insolvent=sample.get("drop_insolvent", True),
        require=tuple(sample.get("require", ())),
        winsorize=tuple(wins.get("columns", ())),
        limits=tuple(wins.get("limits", (0.01, 0.99))),  # type: ignore[arg-type]
    )


def build_panel(
    base_path: str | Path,
    text_path: str | Path,
    out_panel: str | Path,
    out_codebook: str | Path,
    tables_dir: str | Path,
    settings: dict[str, Any],
) -> pd.DataFrame:
    base = pd.read_parquet(base_path)
    text = pd.read_parquet(text_path)
    panel = merge_text(base, text)
    panel = add_alternative_dimensions(panel)
    panel = add_regions(panel)
    panel = sme_flag(panel)  # MIIT 2011 size classes: a sample restriction (sample: "sme == 1") or a group
    rules = sample_rules(settings)
    # The composites' weights come from the firm-years that pass the structural filters (finance, ST, Lev);
    # the sample's `require` step may name the composites, so it runs after them.
    filtered, _ = construct_sample(panel, replace(rules, require=(), winsorize=()))
    panel, weights = add_composites(panel, settings.get("composite", "entropy"), filtered["in_sample"])
    panel, steps = construct_sample(panel, rules)
    panel = panel.sort_values(KEY, kind="mergesort").reset_index(drop=True)
    tables = Path(tables_dir)
    write_csv(tables / "index_weights.csv", weights, float_format="%.10g")
    write_csv(tables / "sample_construction.csv", steps)
    write_csv(out_codebook, codebook(panel.columns))
    write_parquet(out_panel, panel)
    return panel
