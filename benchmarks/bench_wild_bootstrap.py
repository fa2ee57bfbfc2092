"""Benchmark of the wild cluster bootstrap (WCR, B = 9,999) on a demo-sized panel: srdi vs wildboottest vs pyfixest.

Panel: 3,000 firms x 13 years (2011-2023), about 70% of firm-years present (~27,000 rows), 35 industries
(firms nested in industries), firm + year effects, x plus 10 controls, errors with an industry component
whose variance differs by industry. H0: beta_x = 0, clusters = industry, Rademacher weights (2^35 > B,
so random draws), one seed.

Compared, in the same run:
  srdi         srdi.models.wild_bootstrap.wild_bootstrap_panel: from the DataFrame and the model spec
               (fit_panel's sample, demeaning and factor), p-value only, then with the test-inversion CI;
               and wild_cluster_bootstrap alone on the demeaned arrays
  wildboottest WildboottestCL ('11', WCR, parallel=False) on the firm-demeaned [x, controls, year dummies]:
               the same bootstrap (firm effects are nested in the industry clusters; year dummies explicit,
               as boottest treats a second effect); first call includes numba's compilation ("cold")
  pyfixest     Feols.wildboottest(param="x", reps=9999) as a user calls it after
               feols("y ~ x + controls | firm + year", vcov={"CRV1": "industry"}): it one-hot encodes
               both effects (~3,000 dense dummy columns) and runs wildboottest on that (~80 s, ~4.5 GB)
Agreement: the p-values of the three (different random draws: within Monte Carlo error), and srdi given
wildboottest's own weight matrix (identical draws): largest |t*| difference, after rescaling wildboottest's
t by its small-sample factor.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_wild_bootstrap.py   # as recorded (2 shared cores)
    .venv/bin/python benchmarks/bench_wild_bootstrap.py --skip-pyfixest     # a minute quicker, 4 GB less

Timings are the shortest of 5 calls (1 for the cold and the pyfixest calls), after one untimed srdi call
(the first BLAS call of a process starts its thread pool). On 2 shared cores, OpenBLAS's second thread
slowed the small products of both srdi and wildboottest by 2-3x whenever other jobs ran: single-threaded
BLAS is the fair setting there (wildboottest runs with parallel=False as well).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd

from srdi.models.wild_bootstrap import wild_bootstrap_panel, wild_cluster_bootstrap
from srdi.models.wild_design import panel_design
from srdi.models.within import demean

CONTROLS = [f"c{j}" for j in range(1, 11)]
SPEC = {"outcome": "y", "regressors": ["x"], "controls": CONTROLS, "fe": ["entity", "time"],
        "vcov": {"type": "cluster", "by": ["industry"]}, "lag": []}
SEED = 20250403
REPS = 9999


def make_panel(seed: int = 1, n_firms: int = 3000, years: range = range(2011, 2024), n_ind: int = 35) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    keep = rng.random((n_firms, len(years))) < 0.7
    ff, tt = np.nonzero(keep)
    ind = rng.integers(0, n_ind, n_firms)[ff]
    n = ff.size
    d = pd.DataFrame({"firm": ff, "year": np.asarray(years)[tt], "industry": ind})
    alpha = rng.normal(size=n_firms)[ff]
    for c in CONTROLS:
        d[c] = rng.normal(size=n) + 0.3 * alpha
    d["x"] = rng.normal(size=n) + alpha + 0.05 * tt + 0.5 * rng.normal(size=n_ind)[ind]
    shock = rng.normal(size=(n_ind, len(years)))[ind, tt] * (0.5 + rng.random(n_ind)[ind])
    d["y"] = 0.005 * d["x"] + d[CONTROLS].to_numpy() @ rng.normal(size=10) * 0.1 + alpha + shock + rng.normal(size=n)
    return d


def timed(fn, repeat: int = 1):
    """Result of fn() and the shortest wall time of `repeat` calls (the least disturbed on a shared machine)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, min(times)


def run_wildboottest(x: np.ndarray, y: np.ndarray, cluster: np.ndarray, seed: int):
    from wildboottest.wildboottest import WildboottestCL

    r = np.zeros(x.shape[1])
    r[0] = 1.0
    boot = WildboottestCL(X=x, Y=y, cluster=cluster, R=r, B=REPS, seed=seed, parallel=False)
    boot.get_scores(bootstrap_type="11", impose_null=True)
    boot.get_weights(weights_type="rademacher")
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    return boot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-pyfixest", action="store_true")
    args = parser.parse_args()
    d = make_panel()
    import pyfixest
    import wildboottest  # noqa: F401

    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, numpy {np.__version__}, pyfixest {pyfixest.__version__}")
    print(f"panel: {len(d)} firm-years, {d['firm'].nunique()} firms, {d['year'].nunique()} years, "
          f"{d['industry'].nunique()} industry clusters, {len(CONTROLS)} controls, firm + year FE; B = {REPS}")

    def srdi_p():
        return wild_bootstrap_panel(d, SPEC, "firm", "year", "x", reps=REPS, seed=SEED, ci=False)

    srdi_p()  # warm-up: the first BLAS call of a process pays the thread pool's start
    ours, t_ours = timed(srdi_p, 5)
    ours_ci, t_ours_ci = timed(lambda: wild_bootstrap_panel(d, SPEC, "firm", "year", "x", reps=REPS, seed=SEED), 5)
    design, t_design = timed(lambda: panel_design(d, SPEC, "firm", "year"), 5)
    core, t_core = timed(lambda: wild_cluster_bootstrap(design.xd, design.yd, design.clusters, 0, reps=REPS,
                                                        seed=SEED, fe_codes=design.fe_codes, scale=design.scale,
                                                        ci=False), 5)
    print(f"srdi wild_bootstrap_panel, p only: {t_ours:.3f} s; with CI: {t_ours_ci:.3f} s; "
          f"design alone {t_design:.3f} s, bootstrap on the arrays alone {t_core:.3f} s "
          f"(same p: {core.p_value == ours.p_value})")
    print(f"  t = {ours.t_stat:.6f}, p = {ours.p_value:.6f}, 95% CI [{ours_ci.conf_low:.6f}, {ours_ci.conf_high:.6f}]"
          f", estimate {ours.estimate:.6f}")

    def wb_design():  # the firm-demeaned [x, controls, year dummies] (firm effects nested in the clusters)
        firm = pd.factorize(d["firm"], sort=True)[0]
        years = pd.get_dummies(d["year"]).to_numpy(float)[:, 1:]
        xw = demean(np.column_stack([d[["x", *CONTROLS]].to_numpy(), years]), [firm])
        return xw, demean(d["y"].to_numpy(), [firm]).ravel(), d["industry"].to_numpy()

    (xw, yw, cl), t_wb_design = timed(wb_design, 5)
    _, t_wb_cold = timed(lambda: run_wildboottest(xw, yw, cl, SEED))
    wb, t_wb = timed(lambda: run_wildboottest(xw, yw, cl, SEED), 5)
    rescale = np.sqrt(wb.ssc / ours.scale)
    same = wild_cluster_bootstrap(design.xd, design.yd, design.clusters, 0, draws=wb.v.T,
                                  fe_codes=design.fe_codes, scale=design.scale, ci=False)
    diff = float(np.abs(same.t_boot - wb.t_boot * rescale).max())
    print(f"wildboottest 0.3.2: cold {t_wb_cold:.2f} s, warm {t_wb:.3f} s (+ {t_wb_design:.3f} s to build its "
          f"design); t (rescaled to srdi's factor) = {float(wb.t_stat) * rescale:.6f}, p = {float(wb.pvalue):.6f}")
    print(f"  srdi on wildboottest's weights: p = {same.p_value:.6f}, max |t* difference| = {diff:.2e}")
    print(f"  speed-up vs wildboottest (warm): {(t_wb + t_wb_design) / t_ours:.1f}x end to end (both from the "
          f"DataFrame), {t_wb / t_core:.1f}x on the arrays")

    if not args.skip_pyfixest:
        def pyfixest_run():
            fit = pyfixest.feols("y ~ x + " + " + ".join(CONTROLS) + " | firm + year", data=d,
                                 vcov={"CRV1": "industry"})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return fit.wildboottest(param="x", reps=REPS, seed=SEED)

        pf, t_pf = timed(pyfixest_run)
        rescale_pf = np.sqrt(float(pf["ssc"]) / ours.scale)
        print(f"pyfixest feols + wildboottest: {t_pf:.1f} s; t (rescaled) = {float(pf['t value']) * rescale_pf:.6f}, "
              f"p = {float(pf['Pr(>|t|)']):.6f}")
        print(f"  speed-up vs pyfixest: {t_pf / t_ours:.0f}x end to end")
    p = ours.p_value
    print(f"Monte Carlo SD of a p near {p:.4f} with B = {REPS}: {np.sqrt(p * (1 - p) / REPS):.4f}")


if __name__ == "__main__":
    main()
