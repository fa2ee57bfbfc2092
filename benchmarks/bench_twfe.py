"""Two-way FE with firm-clustered SEs at 4 M unbalanced firm-years: srdi's fit_panel vs pyfixest vs linearmodels.

Each engine runs in its own child process, so the peak resident memory (ru_maxrss of the child) is
that engine's alone; every child builds the same seeded panel first and reports its RSS right after,
so the table shows both the peak and the increase over the data. Each engine fits twice: the first
("cold") call pays one-off costs (pyfixest's formula machinery, lazy imports), the second is "warm".

    .venv/bin/python benchmarks/bench_twfe.py                 # 4,000,000 rows, all three engines
    .venv/bin/python benchmarks/bench_twfe.py --n-obs 400000  # quicker
    .venv/bin/python benchmarks/bench_twfe.py --engines srdi,pyfixest --markdown out.md
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


def make_panel(n_obs: int, n_years: int = 15, seed: int = 20250601) -> pd.DataFrame:
    """Unbalanced firm-years sorted by firm and year: n_obs of (n_obs / 10) firms x n_years years, drawn
    at random (about 10 of 15 years per firm, with gaps); regressors correlated with both effects;
    errors with a firm component (so clustering matters)."""
    rng = np.random.default_rng(seed)
    n_firms = n_obs // 10
    pick = np.sort(rng.choice(n_firms * n_years, size=n_obs, replace=False))
    firm = pick // n_years
    year = 2008 + pick % n_years
    del pick
    alpha = rng.normal(size=n_firms)[firm]
    gamma = rng.normal(size=n_years)[year - 2008]
    cols: dict[str, np.ndarray] = {"firm": firm + 100000, "year": year}
    y = alpha + gamma + rng.normal(size=n_obs) + 0.5 * rng.normal(size=n_firms)[firm]
    for j, name in enumerate(TERMS):
        x = rng.normal(size=n_obs) + 0.5 * alpha + 0.3 * gamma
        y += BETA[j] * x
        cols[name] = x
    cols["y"] = y
    del alpha, gamma
    return pd.DataFrame(cols, copy=False)


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def fit_once(engine: str, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if engine == "srdi":
        from srdi.models import fit_panel

        spec = {
            "outcome": "y",
            "regressors": TERMS,
            "lag": [],
            "fe": ["entity", "time"],
            "vcov": {"type": "cluster", "by": ["firm"]},
        }
        res = fit_panel(df, spec, "firm", "year")
        return res.params[TERMS].to_numpy(), res.std_errors[TERMS].to_numpy()
    if engine == "pyfixest":
        import pyfixest as pf

        fit = pf.feols("y ~ " + " + ".join(TERMS) + " | firm + year", data=df, vcov={"CRV1": "firm"})
        return fit.coef()[TERMS].to_numpy(), fit.se()[TERMS].to_numpy()
    if engine == "linearmodels":
        from linearmodels import PanelOLS

        frame = df.set_index(["firm", "year"])
        res = PanelOLS(frame["y"], frame[TERMS], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True
        )
        return res.params[TERMS].to_numpy(), res.std_errors[TERMS].to_numpy()
    raise ValueError(engine)


def child(engine: str, n_obs: int, out: Path, repeats: int) -> None:
    import warnings

    warnings.simplefilter("ignore")
    df = make_panel(n_obs)
    data_rss, data_peak = rss_mb(), peak_mb()
    # import outside the timed region: import time is not estimation time
    if engine == "srdi":
        import srdi.models  # noqa: F401
    elif engine == "pyfixest":
        import pyfixest  # noqa: F401
    else:
        import linearmodels  # noqa: F401
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        coef, se = fit_once(engine, df)
        times.append(time.perf_counter() - t0)
    out.write_text(
        json.dumps(
            {
                "engine": engine,
                "times": times,
                "data_rss_mb": data_rss,
                "data_peak_mb": data_peak,
                "peak_mb": peak_mb(),
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-obs", type=int, default=4_000_000)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--repeats", type=int, default=2, help="fits per engine in one process (first = cold)")
    ap.add_argument("--markdown", type=Path, help="also write the table to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.n_obs, args.out, args.repeats)
        return

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            out = Path(tmp) / f"{engine}.json"
            cmd = [sys.executable, __file__, "--child", engine, "--n-obs", str(args.n_obs)]
            cmd += ["--repeats", str(args.repeats), "--out", str(out)]
            print(f"running {engine} ...", file=sys.stderr, flush=True)
            subprocess.run(cmd, check=True)
            results[engine] = json.loads(out.read_text())

    lines = [
        f"N = {args.n_obs:,} firm-years, 6 regressors, firm + year FE, SE clustered by firm; "
        f"{os.cpu_count()} CPUs; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}",
        "versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        "",
        "| engine | cold s | warm s | peak RSS MB | RSS with data only MB | peak - data MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for engine, r in results.items():
        warm = min(r["times"][1:]) if len(r["times"]) > 1 else float("nan")
        lines.append(
            f"| {engine} | {r['times'][0]:.2f} | {warm:.2f} | {r['peak_mb']:.0f} | {r['data_rss_mb']:.0f} "
            f"| {r['peak_mb'] - r['data_rss_mb']:.0f} |"
        )
    if "srdi" in results:
        base = results["srdi"]
        lines.append("")
        for engine, r in results.items():
            if engine == "srdi":
                continue
            cold = r["times"][0] / base["times"][0]
            warm = min(r["times"][1:]) / min(base["times"][1:]) if len(r["times"]) > 1 else float("nan")
            mem = (r["peak_mb"] - r["data_rss_mb"]) / max(base["peak_mb"] - base["data_rss_mb"], 1e-9)
            dc = np.abs(np.array(r["coef"]) - np.array(base["coef"])).max()
            ds = np.abs(np.array(r["se"]) / np.array(base["se"]) - 1).max()
            lines.append(
                f"- {engine} / srdi: time {cold:.1f}x cold, {warm:.1f}x warm; memory over data {mem:.1f}x; "
                f"max |coef diff| {dc:.2e}; max relative SE diff {ds:.2e}"
            )
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
