"""Callaway & Sant'Anna with a 1,000-draw multiplier bootstrap: srdi's `callaway_santanna` vs moderndid.

Compared on the same simulated balanced firm-year panel (2011-2023, cohorts 2019-2023 with ~11% of firms
treated, the rest never treated; treatment selected on firm size, covariate-specific trends):

  srdi       srdi.models.did.callaway_santanna(..., bootstrap=1000, seed=...): ATT(g,t), the simple, dynamic,
             group and calendar aggregations, one shared set of bootstrap draws, uniform bands per family
  moderndid  moderndid.att_gt(boot=True, biters=1000) + aggte(type="simple") + aggte(type="dynamic"), each
             with its own 1,000 bootstrap draws (four bootstraps in all: att_gt, simple, and two in the dynamic
             aggregation), but not the group and calendar aggregations that srdi's one call also returns

Two specifications: unconditional (no covariates) and doubly robust ("dr") with three covariates (size,
lev, roa); never-treated comparison group, varying base period, clustering by firm. Before any timing, a
check process runs both engines once per (scale, specification) and the script stops unless ATT(g,t), the
simple ATT and every event-time ATT agree to 1e-6 (it prints the agreement, and that of the analytic SEs).
Then each engine runs in its own child process per (scale, specification): the child builds the panel,
imports the engine, makes one warm-up call on a 300-firm panel (which loads what the engines import lazily,
e.g. moderndid's numba-compiled bootstrap from its cache, statsmodels parts, pyarrow), records its RSS and
calls the engine --repeats times on the panel (time.perf_counter around each call; the table gives the first
and the best). Peak memory is the child's ru_maxrss, also shown less the RSS before the timed calls (the
call's working memory). The cold first call of each engine in a fresh process is the check's, printed above
the tables. BLAS (threadpoolctl), OpenMP, numba and polars are pinned to one thread in every child.

    .venv/bin/python benchmarks/bench_did.py                               # 3,000 and 20,000 firms
    .venv/bin/python benchmarks/bench_did.py --scales 3000 --repeats 3     # the demo scale only
    .venv/bin/python benchmarks/bench_did.py --markdown out.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

YEARS = np.arange(2011, 2024)
COHORTS = np.array([2019, 2020, 2021, 2022, 2023])
# share of the treated firms in each cohort (the large demo draw's designation batches: 1551, 1021, 907, 808, 757)
COHORT_SHARE = np.array([0.31, 0.20, 0.18, 0.16, 0.15])
TREATED_SHARE = 0.11
COVARIATES = ["size", "lev", "roa"]
SPECS = ("none", "dr")
ENGINES = ("srdi", "moderndid")
SEED = 20250403
TOL = 1e-6
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1", "POLARS_MAX_THREADS": "1"}


def make_panel(n_firms: int, seed: int = SEED) -> pd.DataFrame:
    """Balanced firm-year panel sorted by firm and year; `g` = first treated year, 0 = never treated.

    Treatment probability rises with the firm's size component (so the unconditional and dr estimates differ);
    the outcome has firm and year effects, a size-specific trend, lev and roa terms, and an effect
    tau = 0.05 + 0.01 e in event time e >= 0.
    """
    rng = np.random.default_rng(seed)
    n_years = YEARS.size
    z = rng.normal(size=n_firms)  # firm size component
    score = 0.5 * z + rng.logistic(size=n_firms)
    treated = score >= np.quantile(score, 1 - TREATED_SHARE)
    g_firm = np.zeros(n_firms, dtype=np.int64)
    g_firm[treated] = rng.choice(COHORTS, size=int(treated.sum()), p=COHORT_SHARE)
    firm = np.repeat(np.arange(n_firms), n_years)
    year = np.tile(YEARS, n_firms)
    t = np.tile(np.arange(n_years, dtype=float), n_firms)
    zi = z[firm]
    g = g_firm[firm]
    size = 21.5 + zi + 0.04 * t + 0.3 * rng.normal(size=firm.size)
    lev = 0.45 + 0.05 * zi + 0.12 * rng.normal(size=firm.size)
    roa = 0.04 + 0.03 * rng.normal(size=firm.size)
    alpha = 0.5 * zi + rng.normal(size=n_firms)[firm]
    gamma = 0.1 * rng.normal(size=n_years)[t.astype(int)]
    e = year - g
    tau = np.where((g > 0) & (e >= 0), 0.05 + 0.01 * e, 0.0)
    y = alpha + gamma + 0.02 * (size - 21.5) * t + 0.3 * lev + 0.5 * roa + tau + 0.2 * rng.normal(size=firm.size)
    return pd.DataFrame({"firm": firm + 100000, "year": year, "g": g, "y": y, "size": size, "lev": lev, "roa": roa})


# ---------------------------------------------------------------------------------------------
# the two engines; each returns a dict of estimates in a common layout


def run_srdi(df: pd.DataFrame, spec: str, biters: int) -> dict:
    from srdi.models.did import callaway_santanna

    controls = COVARIATES if spec == "dr" else []
    res = callaway_santanna(df, "firm", "year", "y", "g", controls, control_group="never_treated",
                            base_period="varying", est_method="dr", bootstrap=biters, seed=SEED)
    tab = res.table
    gt = tab[tab["aggregation"] == "gt"]
    dyn = tab[(tab["aggregation"] == "dynamic") & tab["event_time"].notna()]
    simple = tab[tab["term"] == "ATT"].iloc[0]
    overall_e = tab[tab["term"] == "ATT(event)"].iloc[0]
    k = len(gt)
    se_analytic = np.sqrt((res.influence[:, :k] ** 2).sum(axis=0)) / res.n_entities
    return {"gt_group": gt["group"].astype(int).tolist(), "gt_time": gt["time"].astype(int).tolist(),
            "gt_att": gt["estimate"].tolist(), "gt_se_boot": gt["std_error"].tolist(),
            "gt_se_analytic": se_analytic.tolist(),
            "simple_att": float(simple["estimate"]), "simple_se_boot": float(simple["std_error"]),
            "event_times": dyn["event_time"].astype(int).tolist(), "event_att": dyn["estimate"].tolist(),
            "event_se_boot": dyn["std_error"].tolist(),
            "event_overall_att": float(overall_e["estimate"]), "event_overall_se_boot": float(overall_e["std_error"]),
            "n_units": int(res.n_entities)}


def run_moderndid(df: pd.DataFrame, spec: str, biters: int) -> dict:
    from moderndid import aggte, att_gt

    mp = att_gt(df, yname="y", tname="year", idname="firm", gname="g",
                xformla="~ " + " + ".join(COVARIATES) if spec == "dr" else None, est_method="dr",
                control_group="nevertreated", base_period="varying", boot=True, biters=biters, cband=True,
                random_state=SEED)
    simple = aggte(mp, type="simple", boot=True, biters=biters, random_state=SEED)
    dyn = aggte(mp, type="dynamic", boot=True, biters=biters, random_state=SEED)
    n = int(mp.n_units)
    se_analytic = np.sqrt(np.diag(np.asarray(mp.vcov_analytical)) / n)
    return {"gt_group": np.asarray(mp.groups).astype(int).tolist(),
            "gt_time": np.asarray(mp.times).astype(int).tolist(),
            "gt_att": np.asarray(mp.att_gt, float).tolist(), "gt_se_boot": np.asarray(mp.se_gt, float).tolist(),
            "gt_se_analytic": se_analytic.tolist(),
            "simple_att": float(simple.overall_att), "simple_se_boot": float(simple.overall_se),
            "event_times": np.asarray(dyn.event_times).astype(int).tolist(),
            "event_att": np.asarray(dyn.att_by_event, float).tolist(),
            "event_se_boot": np.asarray(dyn.se_by_event, float).tolist(),
            "event_overall_att": float(dyn.overall_att), "event_overall_se_boot": float(dyn.overall_se),
            "n_units": n}


RUN = {"srdi": run_srdi, "moderndid": run_moderndid}


def compare(a: dict, b: dict) -> dict:
    """Largest absolute differences between two engines' estimates (cells matched by (g, t), events by e)."""
    ka = {(g, t): i for i, (g, t) in enumerate(zip(a["gt_group"], a["gt_time"], strict=True))}
    kb = {(g, t): i for i, (g, t) in enumerate(zip(b["gt_group"], b["gt_time"], strict=True))}
    if set(ka) != set(kb):
        raise SystemExit(f"the engines estimate different (g, t) cells: {sorted(set(ka) ^ set(kb))[:5]}")
    ia, ib = [ka[k] for k in sorted(ka)], [kb[k] for k in sorted(ka)]
    if a["event_times"] != b["event_times"]:
        raise SystemExit(f"different event times: {a['event_times']} vs {b['event_times']}")

    def diff(name: str, idx_a=None, idx_b=None) -> float:
        x, y = np.asarray(a[name], float), np.asarray(b[name], float)
        if idx_a is not None:
            x, y = x[idx_a], y[idx_b]
        return float(np.max(np.abs(x - y)))

    def rel(name: str, idx_a=None, idx_b=None) -> float:
        x, y = np.asarray(a[name], float), np.asarray(b[name], float)
        if idx_a is not None:
            x, y = x[idx_a], y[idx_b]
        return float(np.max(np.abs(x / y - 1)))

    out = {"cells": len(ka), "events": len(a["event_times"]),
           "gt_att": diff("gt_att", ia, ib), "simple_att": diff("simple_att"), "event_att": diff("event_att"),
           "event_overall_att": diff("event_overall_att"),
           "gt_se_analytic_rel": rel("gt_se_analytic", ia, ib),
           "gt_se_boot_rel": rel("gt_se_boot", ia, ib), "simple_se_boot_rel": rel("simple_se_boot"),
           "event_se_boot_rel": rel("event_se_boot")}
    out["max_att"] = max(out["gt_att"], out["simple_att"], out["event_att"], out["event_overall_att"])
    return out


# ---------------------------------------------------------------------------------------------
# child processes


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def thread_state() -> dict:
    from threadpoolctl import threadpool_info

    pools = [f"{p['internal_api']} ({p.get('threading_layer', '-')}): {p['num_threads']}" for p in threadpool_info()]
    out = {"threadpools": pools, **{k: os.environ.get(k, "(unset)") for k in THREAD_ENV}}
    # only if the engine loaded them: importing them here would add their memory to an engine that does not use them
    if "numba" in sys.modules:
        out["numba_threads"] = sys.modules["numba"].get_num_threads()
    if "polars" in sys.modules:
        out["polars_threads"] = sys.modules["polars"].thread_pool_size()
    return out


def child_time(engine: str, n_firms: int, spec: str, biters: int, repeats: int, warmup: int, out: Path) -> None:
    import warnings

    from threadpoolctl import threadpool_limits

    warnings.simplefilter("ignore")
    df = make_panel(n_firms)
    data_rss = rss_mb()
    # import outside the timed region: import time is not estimation time
    if engine == "srdi":
        import srdi.models.did  # noqa: F401
    else:
        import moderndid  # noqa: F401
    import_rss = rss_mb()
    times, est = [], {}
    with threadpool_limits(limits=1):
        # warm-up on a small panel: loads the libraries each engine imports lazily (pyarrow, statsmodels parts,
        # moderndid's cached numba code) so that the peak over `base_rss` is the call's working memory
        if warmup:
            RUN[engine](make_panel(warmup, seed=SEED + 1), spec, biters)
        threads = thread_state()
        base_rss, base_peak = rss_mb(), peak_mb()
        for _ in range(repeats):
            t0 = time.perf_counter()
            est = RUN[engine](df, spec, biters)
            times.append(time.perf_counter() - t0)
    out.write_text(json.dumps({"engine": engine, "times": times, "data_rss_mb": data_rss, "import_rss_mb": import_rss,
                               "base_rss_mb": base_rss, "base_peak_mb": base_peak, "peak_mb": peak_mb(), "est": est,
                               "threads": threads, "nobs": len(df)}))


def child_check(n_firms: int, spec: str, biters: int, out: Path) -> None:
    import warnings

    from threadpoolctl import threadpool_limits

    warnings.simplefilter("ignore")
    df = make_panel(n_firms)
    import moderndid  # noqa: F401

    import srdi.models.did  # noqa: F401

    res, secs = {}, {}
    with threadpool_limits(limits=1):
        for engine in ENGINES:
            t0 = time.perf_counter()
            res[engine] = RUN[engine](df, spec, biters)
            secs[engine] = time.perf_counter() - t0
        threads = thread_state()
    g = df.groupby("firm")["g"].first()
    out.write_text(json.dumps({"agreement": compare(res["srdi"], res["moderndid"]), "seconds": secs,
                               "threads": threads, "nobs": len(df), "n_firms": int(g.size),
                               "treated": int((g > 0).sum()), "cohorts": g[g > 0].value_counts().sort_index()
                               .to_dict(), "est": res}))


# ---------------------------------------------------------------------------------------------
# parent


def loadavg() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for pkg in ("numpy", "scipy", "pandas", "polars", "statsmodels", "numba", "moderndid", "srdi-pipeline"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # not installed
            out[pkg] = "-"
    return out


def spawn(args: list[str], timeout: float) -> tuple[dict | None, str, str, float]:
    """Run this script as a child; returns (its JSON or None on timeout/failure, load before, load after, wall s)."""
    env = {**os.environ, **THREAD_ENV}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        before, t0 = loadavg(), time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, __file__, *args, "--out", str(out)], env=env, timeout=timeout)
            ok = proc.returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
        wall = time.perf_counter() - t0
        after = loadavg()
        return (json.loads(out.read_text()) if ok and out.exists() else None), before, after, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="3000,20000", help="firm counts, comma-separated")
    ap.add_argument("--repeats", default="3,2", help="calls per engine per child, one per scale")
    ap.add_argument("--specs", default=",".join(SPECS))
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--biters", type=int, default=1000)
    ap.add_argument("--warmup-firms", type=int, default=300, help="firms of the warm-up panel (0: no warm-up)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds allowed per child process")
    ap.add_argument("--markdown", type=Path, help="also write the tables to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    repeats = [int(r) for r in args.repeats.split(",")]
    repeats += [repeats[-1]] * (len(scales) - len(repeats))
    specs = args.specs.split(",")
    if args.check:
        child_check(scales[0], specs[0], args.biters, args.out)
        return
    if args.child:
        child_time(args.child, scales[0], specs[0], args.biters, repeats[0], args.warmup_firms, args.out)
        return

    engines = args.engines.split(",")
    print(f"{os.cpu_count()} CPUs; load average at start {loadavg()}; child env {THREAD_ENV}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}", flush=True)
    lines: list[str] = []
    rows, notes = [], []
    for n_firms, reps in zip(scales, repeats, strict=True):
        for spec in specs:
            label = f"{n_firms:,} firms, {'unconditional' if spec == 'none' else 'dr + ' + '/'.join(COVARIATES)}"
            print(f"\n== {label}: agreement check (both engines, one call each) ...", flush=True)
            common = ["--scales", str(n_firms), "--specs", spec, "--biters", str(args.biters)]
            chk, lb, la, wall = spawn(["--check", *common], args.timeout)
            if chk is None:
                msg = f"{label}: the check process failed or exceeded {args.timeout:.0f} s ({wall:.0f} s); not timed"
                print(msg, flush=True)
                notes.append(msg)
                continue
            ag = chk["agreement"]
            print(f"   {chk['nobs']:,} firm-years, {chk['treated']:,} treated firms {chk['cohorts']}; threads "
                  f"{chk['threads']}", flush=True)
            print(f"   agreement over {ag['cells']} ATT(g,t) and {ag['events']} event times: max |ATT diff| "
                  f"{ag['max_att']:.2e} (gt {ag['gt_att']:.2e}, simple {ag['simple_att']:.2e}, event "
                  f"{ag['event_att']:.2e}, ATT(event) {ag['event_overall_att']:.2e}); analytic SE(g,t) max rel "
                  f"diff {ag['gt_se_analytic_rel']:.2e}; bootstrap SE max rel diff (different draws) gt "
                  f"{ag['gt_se_boot_rel']:.3f}, simple {ag['simple_se_boot_rel']:.3f}, event "
                  f"{ag['event_se_boot_rel']:.3f}", flush=True)
            print("   check call seconds (cold, one process): "
                  + ", ".join(f"{k} {v:.2f}" for k, v in chk["seconds"].items())
                  + f"; load {lb} -> {la}", flush=True)
            if ag["max_att"] > TOL:
                raise SystemExit(f"{label}: ATT disagreement {ag['max_att']:.2e} > {TOL:g}; not timing")
            res = {}
            for engine in engines:
                print(f"   timing {engine} ({reps} calls) ...", flush=True)
                r, lb, la, wall = spawn(["--child", engine, *common, "--repeats", str(reps), "--warmup-firms",
                                         str(args.warmup_firms)], args.timeout)
                if r is None:
                    msg = f"{label}: {engine} failed or exceeded {args.timeout:.0f} s ({wall:.0f} s)"
                    print("   " + msg, flush=True)
                    notes.append(msg)
                    continue
                r["load"] = (lb, la)
                res[engine] = r
                print(f"   {engine}: calls {', '.join(f'{t:.2f}' for t in r['times'])} s; peak RSS "
                      f"{r['peak_mb']:.0f} MB (data {r['data_rss_mb']:.0f}, + import {r['import_rss_mb']:.0f}, "
                      f"+ warm-up {r['base_rss_mb']:.0f}, peak before the timed calls {r['base_peak_mb']:.0f}); "
                      f"load {lb} -> {la}", flush=True)
                th = r["threads"]
                print(f"   {engine} threads: {'; '.join(th['threadpools'])}; numba "
                      f"{th.get('numba_threads', 'not loaded')}; polars {th.get('polars_threads', 'not loaded')}",
                      flush=True)
            rows.append((label, reps, ag, res))

    lines += ["versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
              f"B = {args.biters} bootstrap draws; {os.cpu_count()} CPUs; child env " + ", ".join(
                  f"{k}={v}" for k, v in THREAD_ENV.items()) + "; BLAS limited to 1 thread with threadpoolctl",
              "",
              "| panel | engine | first call s | best s | calls | peak RSS MB | RSS before the calls MB | "
              "peak - before MB | load before -> after |",
              "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for label, reps, _, res in rows:
        for engine, r in res.items():
            lines.append(f"| {label} | {engine} | {r['times'][0]:.2f} | {min(r['times']):.2f} | {reps} | "
                         f"{r['peak_mb']:.0f} | {r['base_rss_mb']:.0f} | {r['peak_mb'] - r['base_rss_mb']:.0f} | "
                         f"{r['load'][0]} -> "
                         f"{r['load'][1]} |")
    lines += ["", "| panel | time srdi / moderndid (best) | first timed call | peak RSS | peak - before "
              "| max abs ATT diff | analytic SE(g,t) max rel diff |", "|---|---:|---:|---:|---:|---:|---:|"]
    for label, _, ag, res in rows:
        if {"srdi", "moderndid"} <= set(res):
            a, b = res["srdi"], res["moderndid"]
            lines.append(
                f"| {label} | {min(a['times']) / min(b['times']):.3f} | {a['times'][0] / b['times'][0]:.3f} | "
                f"{a['peak_mb'] / b['peak_mb']:.2f} | "
                f"{(a['peak_mb'] - a['base_rss_mb']) / max(b['peak_mb'] - b['base_rss_mb'], 1e-9):.2f} | "
                f"{ag['max_att']:.1e} | {ag['gt_se_analytic_rel']:.1e} |")
    lines += [f"- {n}" for n in notes]
    text = "\n".join(lines)
    print("\n" + text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
