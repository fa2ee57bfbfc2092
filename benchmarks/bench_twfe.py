"""Absorbed FE with firm-clustered SEs on unbalanced firm-years: srdi's fit_panel vs pyfixest (vs linearmodels).

Models: y on x1..x6 with firm + year effects ("2 effects") and with firm + year + industry^year ("3 effects";
year is nested in industry^year). Each (size, model, engine) runs in its own child process, so the peak
resident memory (ru_maxrss of the child) is that engine's alone; every child builds the same seeded panel first
and reports its RSS right after, so the table shows both the peak and the increase over the data. Each engine
fits `--repeats` times: the first ("cold") call pays one-off costs (pyfixest's formula machinery, lazy imports),
the best of the others is "warm". Ratios are pyfixest's time and memory over srdi's, measured in the same run.

Threads: every child runs with OMP/OPENBLAS/MKL/RAYON/NUMBA/POLARS_NUM_THREADS set to `--threads` (default 1,
what the Snakemake jobs run with); the thread pools each child actually had are printed.

Time: wall clock, and the CPU time of the child (`time.process_time`): with every engine on one thread, CPU time
is what the fit costs, and it is much less inflated than wall time when other jobs share the cores (as here).

Memory-traffic floor (srdi rows): the CPU time of two in-place read-and-write passes over the (N x 7) float64
matrix of outcome and regressors, measured in the same child right after the fits; "x floor" is the warm fit's
CPU time over it (a fit must at least read the columns and write their residuals once).

    .venv/bin/python benchmarks/bench_twfe.py                          # 1 M, 4 M, 10 M rows; 2 and 3 effects
    .venv/bin/python benchmarks/bench_twfe.py --sizes 400000 --effects 2   # quicker
    .venv/bin/python benchmarks/bench_twfe.py --engines srdi,pyfixest,linearmodels --sizes 4000000 --effects 2
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

TERMS = [f"x{j}" for j in range(1, 7)]
BETA = np.array([0.5, -0.3, 0.2, 0.1, 0.0, -0.4])
ENGINES = ("srdi", "pyfixest", "linearmodels")
N_INDUSTRIES = 50
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS",
               "NUMBA_NUM_THREADS", "POLARS_MAX_THREADS")


def make_panel(n_obs: int, n_years: int = 15, seed: int = 20250601, movers: float = 0.0) -> pd.DataFrame:
    """Unbalanced firm-years sorted by firm and year: n_obs of (n_obs / 10) firms x n_years years, drawn
    at random (about 10 of 15 years per firm, with gaps); regressors correlated with both effects;
    errors with a firm component (so clustering matters); each firm in one of 50 industries, with an
    industry-year shock in y. A share `movers` of the firms is reclassified to another industry from a random
    year on (firm and industry^year then form one connected component instead of one per industry)."""
    rng = np.random.default_rng(seed)
    n_firms = n_obs // 10
    pick = np.sort(rng.choice(n_firms * n_years, size=n_obs, replace=False))
    firm = pick // n_years
    year = 2008 + pick % n_years
    del pick
    alpha = rng.normal(size=n_firms)[firm]
    gamma = rng.normal(size=n_years)[year - 2008]
    industry = rng.integers(0, N_INDUSTRIES, size=n_firms)[firm]
    if movers:
        moved = rng.random(n_firms) < movers
        switch_year = rng.integers(1, n_years, size=n_firms)
        later = moved[firm] & (year - 2008 >= switch_year[firm])
        shift = 1 + rng.integers(0, N_INDUSTRIES - 1, size=n_firms)[firm]  # to another industry
        industry = np.where(later, (industry + shift) % N_INDUSTRIES, industry)
    cols: dict[str, np.ndarray] = {"firm": firm + 100000, "year": year, "industry": industry}
    y = alpha + gamma + rng.normal(size=n_obs) + 0.5 * rng.normal(size=n_firms)[firm]
    y += 0.3 * rng.normal(size=(N_INDUSTRIES, n_years))[industry, year - 2008]
    for j, name in enumerate(TERMS):
        x = rng.normal(size=n_obs) + 0.5 * alpha + 0.3 * gamma
        y += BETA[j] * x
        cols[name] = x
    cols["y"] = y
    del alpha, gamma, industry
    return pd.DataFrame(cols, copy=False)


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def fit_once(engine: str, df: pd.DataFrame, effects: int) -> tuple[np.ndarray, np.ndarray]:
    if engine == "srdi":
        from srdi.models import fit_panel

        spec = {
            "outcome": "y",
            "regressors": TERMS,
            "lag": [],
            "fe": ["entity", "time", "industry^year"][:effects],
            "vcov": {"type": "cluster", "by": ["firm"]},
        }
        res = fit_panel(df, spec, "firm", "year")
        return res.params[TERMS].to_numpy(), res.std_errors[TERMS].to_numpy()
    if engine == "pyfixest":
        import pyfixest as pf

        fe = " + ".join(["firm", "year", "industry^year"][:effects])
        fit = pf.feols("y ~ " + " + ".join(TERMS) + " | " + fe, data=df, vcov={"CRV1": "firm"})
        return fit.coef()[TERMS].to_numpy(), fit.se()[TERMS].to_numpy()
    if engine == "linearmodels":
        if effects != 2:
            raise ValueError("linearmodels PanelOLS: firm + year effects only")
        from linearmodels import PanelOLS

        frame = df.set_index(["firm", "year"])
        res = PanelOLS(frame["y"], frame[TERMS], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True
        )
        return res.params[TERMS].to_numpy(), res.std_errors[TERMS].to_numpy()
    raise ValueError(engine)


def thread_pools() -> list[str]:
    from threadpoolctl import threadpool_info

    return [f"{p['internal_api']}: {p['num_threads']}" for p in threadpool_info()]


def floor_seconds(n_obs: int) -> float:
    """Two in-place read-and-write passes over an (N x 7) float64 matrix: the memory-traffic floor of a fit."""
    data = np.ones((n_obs, 1 + len(TERMS)), order="F")
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        data *= 1.0
        data *= 1.0
        best = min(best, time.process_time() - t0)
    return best


def child(engine: str, n_obs: int, effects: int, out: Path, repeats: int, movers: float) -> None:
    import warnings

    warnings.simplefilter("ignore")
    df = make_panel(n_obs, movers=movers)
    data_rss, data_peak = rss_mb(), peak_mb()
    # import outside the timed region: import time is not estimation time
    if engine == "srdi":
        import scipy.stats  # noqa: F401  (t_inference imports it lazily on the first fit)

        import srdi.models  # noqa: F401
    elif engine == "pyfixest":
        import pyfixest  # noqa: F401
    else:
        import linearmodels  # noqa: F401
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        coef, se = fit_once(engine, df, effects)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    peak = peak_mb()
    floor = floor_seconds(n_obs) if engine == "srdi" else float("nan")
    out.write_text(
        json.dumps(
            {
                "engine": engine,
                "times": times,
                "cpu": cpu,
                "data_rss_mb": data_rss,
                "data_peak_mb": data_peak,
                "peak_mb": peak,
                "floor_s": floor,
                "threads": thread_pools(),
                "coef": coef.tolist(),
                "se": se.tolist(),
                "nobs": len(df),
            }
        )
    )


def versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for pkg in ("numpy", "scipy", "pandas", "linearmodels", "pyfixest", "srdi-pipeline"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # not installed
            out[pkg] = "-"
    return out


def run_children(args: argparse.Namespace, n_obs: int, effects: int) -> dict[str, dict]:
    env = {**os.environ, **{var: str(args.threads) for var in THREAD_VARS}}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            if engine == "linearmodels" and effects != 2:
                continue
            out = Path(tmp) / f"{engine}.json"
            cmd = [sys.executable, __file__, "--child", engine, "--n-obs", str(n_obs), "--effects", str(effects)]
            cmd += ["--repeats", str(args.repeats), "--movers", str(args.movers), "--out", str(out)]
            print(f"running {engine}, {n_obs:,} rows, {effects} effects ...", file=sys.stderr, flush=True)
            subprocess.run(cmd, check=True, env=env)
            results[engine] = json.loads(out.read_text())
    return results


def warm(r: dict, key: str = "times") -> float:
    return min(r[key][1:]) if len(r[key]) > 1 else float("nan")


def table(n_obs: int, effects: int, results: dict[str, dict], movers: float) -> list[str]:
    fe = ["firm + year", "firm + year + industry^year"][effects - 2]
    moved = f", {movers:.0%} of firms change industry" if movers else ""
    lines = [
        f"### {n_obs:,} firm-years, {fe}{moved}",
        "",
        "| engine | cold s | warm s | warm CPU s | peak RSS MB | RSS with data only MB | peak - data MB "
        "| x floor (warm CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for engine, r in results.items():
        floor = warm(r, "cpu") / r["floor_s"] if r["floor_s"] == r["floor_s"] else float("nan")
        lines.append(
            f"| {engine} | {r['times'][0]:.2f} | {warm(r):.2f} | {warm(r, 'cpu'):.2f} | {r['peak_mb']:.0f} "
            f"| {r['data_rss_mb']:.0f} | {r['peak_mb'] - r['data_rss_mb']:.0f} | {floor:.0f} |"
        )
    lines.append("")
    if "srdi" in results:
        base = results["srdi"]
        lines.append(f"- floor (two read-write passes over N x 7 float64): {base['floor_s'] * 1e3:.0f} ms")
        for engine, r in results.items():
            if engine == "srdi":
                continue
            dc = np.abs(np.array(r["coef"]) - np.array(base["coef"])).max()
            ds = np.abs(np.array(r["se"]) / np.array(base["se"]) - 1).max()
            lines.append(
                f"- {engine} / srdi: time {r['times'][0] / base['times'][0]:.1f}x cold, {warm(r) / warm(base):.1f}x "
                f"warm, {warm(r, 'cpu') / warm(base, 'cpu'):.1f}x warm CPU; "
                f"peak memory {r['peak_mb'] / base['peak_mb']:.1f}x, memory over the data "
                f"{(r['peak_mb'] - r['data_rss_mb']) / max(base['peak_mb'] - base['data_rss_mb'], 1e-9):.1f}x; "
                f"max |coef diff| {dc:.1e}; max relative SE diff {ds:.1e}"
            )
    for engine, r in results.items():
        lines.append(f"- {engine} thread pools: {', '.join(r['threads']) or '(none loaded)'}")
    lines.append("")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000000,4000000,10000000", help="comma-separated numbers of firm-years")
    ap.add_argument("--effects", default="2,3", help="2 (firm + year) and/or 3 (+ industry^year)")
    ap.add_argument("--engines", default="srdi,pyfixest")
    ap.add_argument("--movers", type=float, default=0.0, help="share of firms that change industry once")
    ap.add_argument("--threads", type=int, default=1, help="thread pools of every child (default 1: as the DAG)")
    ap.add_argument("--repeats", type=int, default=3, help="fits per engine in one process (first = cold)")
    ap.add_argument("--markdown", type=Path, help="also write the tables to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--n-obs", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.n_obs, int(args.effects), args.out, args.repeats, args.movers)
        return

    with open("/proc/loadavg") as fh:
        load_before = " ".join(fh.read().split()[:3])
    lines = [
        f"6 regressors, SE clustered by firm; {os.cpu_count()} CPUs; threads per child {args.threads} "
        f"({', '.join(THREAD_VARS)}); OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}",
        "versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        f"load average before: {load_before}",
        "",
    ]
    for n_obs in (int(v) for v in args.sizes.split(",")):
        for effects in (int(v) for v in args.effects.split(",")):
            part = table(n_obs, effects, run_children(args, n_obs, effects), args.movers)
            print("\n".join(part), flush=True)
            lines += part
    with open("/proc/loadavg") as fh:
        lines.append(f"load average after: {' '.join(fh.read().split()[:3])}")
    print(lines[-1])
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
