"""Shared fixtures: one `small` demo run through the library's stages (demo -> ingest -> text -> panel)."""

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> tuple[pd.DataFrame, dict]:
    """The pipeline's panel of a `small` demo (no sample filters, no winsorizing, so it is the DGP's population)
    merged with the demo's truth_latent table (columns of both; truth ones suffixed `_true` on clashes), and
    truth.json."""
    from srdi.demo import generate_demo
    from srdi.demo.scales import get_scale
    from srdi.ingest import build_base_panel, ingest_raw
    from srdi.panel import build_panel
    from srdi.text import combine_shards, count_year

    work = tmp_path_factory.mktemp("small_demo")
    raw, interim = work / "raw", work / "interim"
    generate_demo(raw, scale="small", seed=11)
    ingest_raw(raw, ROOT / "data/mappings/csmar_fields.yaml", interim)
    build_base_panel(interim, interim / "base.parquet")
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    dictionaries = {k: str(ROOT / v) for k, v in config["text"]["dictionaries"].items()}
    shards = []
    for year in get_scale("small").years:
        shards.append(interim / f"text_{year}.parquet")
        count_year(raw / "mdna", year, dictionaries, shards[-1], negation={"window": 5})
    combine_shards(shards, interim / "text.parquet")
    settings = {"composite": "entropy", "sample": {"drop_finance": False, "drop_st": False, "drop_insolvent": False},
                "winsorize": {"columns": []}}
    panel = build_panel(interim / "base.parquet", interim / "text.parquet", work / "panel.parquet",
                        work / "codebook.csv", work / "tables", settings)
    truth_latent = pd.read_parquet(raw / "truth_latent.parquet").rename(columns={"Stkcd": "stkcd"})
    merged = panel.merge(truth_latent, on=["stkcd", "year"], suffixes=("", "_true"), validate="one_to_one")
    truth = json.loads((raw / "truth.json").read_text(encoding="utf-8"))
    return merged, truth
