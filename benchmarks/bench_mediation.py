"""Benchmark of the mediation model's firm-cluster bootstrap: weighted shortcut vs refitting per draw.

Model (the demo's H3): coinnov (lagged) -> digital -> srdi_index, 11 controls, firm + year effects,
firm-clustered SE, on the default demo panel `results/panel.parquet` (build it with
`snakemake --cores 2 results/panel.parquet`; without it a synthetic panel of the same shape is used).

Compared, on the same draws (one count matrix from `draw_counts`):
  fast   srdi.models.mediation.bootstrap_fast: per-cluster sums once, then one (B x G) matrix product,
         a (T x T) pseudo-inverse and three small solves per draw (vectorised); timed on all B draws,
         including the precomputation and the draw generation
  naive  the three linearmodels PanelOLS regressions refitted on each draw's explicitly duplicated
         sample (copies relabelled as firms); timed on --naive-reps draws and scaled to B
The script checks that both give the same a, b, c, c' on the naive draws and prints the figures.

    .venv/bin/python benchmarks/bench_mediation.py                 # B = 1000, naive on 20 draws
    .venv/bin/python benchmarks/bench_mediation.py --reps 200 --naive-reps 5
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from srdi.models.bootstrap import draw_counts
from srdi.models.mediation import bootstrap_fast, bootstrap_refit, fit_mediation

ROOT = Path(__file__).resolve().parents[1]
CONTROLS = ["size", "lev", "roa", "growth", "age", "top1", "board", "indep", "dual", "soe", "cashflow"]
SPEC = {"kind": "mediation", "treatment": "coinnov", "mediator": "digital", "outcome": "srdi_index",
        "controls": CONTROLS, "fe": ["entity", "time"], "vcov": {"type": "cluster"}}
SEED = 20250403


def synthetic_panel(seed: int = 1, n_firms: int = 3000, years: range = range(2011, 2024)) -> pd.DataFrame:
    """Stand-in with the demo panel's shape (unbalanced, ~30k firm-years) when results/ is not built."""
    rng = np.random.default_rng(seed)
    keep = rng.random((n_firms, len(years))) < 0.75
    ff, tt = np.nonzero(keep)
    d = pd.DataFrame({"stkcd": ff, "year": np.asarray(years)[tt]})
    n = len(d)
    alpha = rng.normal(size=n_firms)[ff]
    for c in CONTROLS:
        d[c] = rng.normal(size=n) + 0.3 * alpha
    d["coinnov"] = rng.normal(size=n) + alpha + 0.05 * tt
    d["digital"] = 0.3 * d["coinnov"] + alpha + 0.1 * tt + rng.normal(size=n)
    d["srdi_index"] = 0.2 * d["coinnov"] + 0.3 * d["digital"] + alpha + rng.normal(size=n)
    return d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--panel", default=str(ROOT / "results/panel.parquet"))
    parser.add_argument("--reps", type=int, default=1000, help="bootstrap draws B")
    parser.add_argument("--naive-reps", type=int, default=20, help="draws refitted by the naive loop")
    args = parser.parse_args()

    if Path(args.panel).exists():
        panel, entity, source = pd.read_parquet(args.panel), "stkcd", args.panel
    else:
        panel, entity, source = synthetic_panel(), "stkcd", "synthetic stand-in (results/panel.parquet missing)"

    t0 = time.perf_counter()
    res = fit_mediation(panel, {**SPEC, "bootstrap": {"reps": args.reps}}, entity, "year", "bench", SEED)
    t_model = time.perf_counter() - t0
    data = res.data
    n_clusters = data.frame[entity].nunique()

    t0 = time.perf_counter()
    counts = draw_counts(n_clusters, args.reps, SEED)
    fast = bootstrap_fast(data, counts)
    t_fast = time.perf_counter() - t0

    t0 = time.perf_counter()
    naive = bootstrap_refit(data, counts[: args.naive_reps], engine="panelols")
    t_naive = time.perf_counter() - t0
    t_naive_scaled = t_naive / args.naive_reps * args.reps
    diff = float(np.abs(fast[: args.naive_reps] - naive).max())

    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, numpy {np.__version__}")
    print(f"panel: {source}")
    print(f"common sample: {len(data.frame)} firm-years, {n_clusters} firms, "
          f"{data.frame['year'].nunique()} years, {len(CONTROLS)} controls, fe {'+'.join(data.fe)}")
    print(f"a = {res.a:.6g}, b = {res.b:.6g}, c = {res.c:.6g}, c' = {res.c_prime:.6g}")
    print(f"full fit_mediation (3 fit_panel + bootstrap, B={args.reps}): {t_model:.2f} s")
    print(f"fast bootstrap, B={args.reps}: {t_fast:.3f} s ({t_fast / args.reps * 1e3:.3f} ms/draw)")
    print(f"naive PanelOLS refits, {args.naive_reps} draws: {t_naive:.2f} s "
          f"({t_naive / args.naive_reps * 1e3:.0f} ms/draw) -> scaled to B={args.reps}: {t_naive_scaled:.1f} s")
    print(f"speed-up: {t_naive_scaled / t_fast:.0f}x")
    print(f"max |fast - naive| over a, b, c, c' on the {args.naive_reps} shared draws: {diff:.2e}")


if __name__ == "__main__":
    main()
