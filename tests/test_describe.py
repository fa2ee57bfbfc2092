import math

import pandas as pd
import pytest

from srdi.describe import correlations, descriptives


def test_descriptives_by_hand_on_sample_rows():
    panel = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 100.0], "in_sample": [True, True, True, True, False]})
    row = descriptives(panel, ["x"]).iloc[0]
    assert row["n"] == 4 and row["mean"] == 2.5
    assert row["sd"] == pytest.approx(math.sqrt(((1.5**2) * 2 + (0.5**2) * 2) / 3))
    assert (row["min"], row["p25"], row["median"], row["p75"], row["max"]) == (1.0, 1.75, 2.5, 3.25, 4.0)


def test_correlation_by_hand():
    panel = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]})
    out = correlations(panel, ["a", "b"]).set_index(["var1", "var2"])
    # cov = (-1.5*-0.5 + -0.5*-1.5 + 0.5*1.5 + 1.5*0.5)/3 = 1, var a = var b = 5/3 -> r = 0.6
    assert out.loc[("b", "a"), "r"] == pytest.approx(0.6)
    assert out.loc[("a", "a"), "r"] == 1.0


def _gappy_panel():
    """Firms observed 2015-2020 with a missing control, a gap (no lag after it) and a firm seen only once."""
    import numpy as np

    rng = np.random.default_rng(7)
    rows = []
    for firm in range(40):
        years = [2015] if firm == 0 else [y for y in range(2015, 2021) if not (firm % 7 == 0 and y == 2017)]
        for y in years:
            rows.append({"stkcd": firm, "year": y, "x": rng.normal(), "c": rng.normal(), "in_sample": firm != 3})
    panel = pd.DataFrame(rows)
    panel["y"] = 0.5 * panel["x"] + rng.normal(size=len(panel))
    panel.loc[5, "c"] = float("nan")
    return panel


def test_estimation_sample_has_the_regressions_n():
    """Issue 12: the descriptives said N 21,828 while the baseline regression had 20,543 (lags, singletons)."""
    from srdi.describe import estimation_sample
    from srdi.models.panel import fit_panel

    panel = _gappy_panel()
    spec = {"kind": "panel", "outcome": "y", "regressors": ["x"], "controls": ["c"], "fe": ["entity", "time"],
            "lag_years": 1, "sample": "year != 2019", "placebo": {"reps": 5}, "random_effects": True}
    sample = estimation_sample(panel, spec, "m", "stkcd", "year")
    fit = {k: v for k, v in spec.items() if k not in ("placebo", "random_effects")}
    n = fit_panel(panel, fit, "stkcd", "year", name="m").nobs
    assert len(sample) == n < panel["in_sample"].sum()
    assert "x" not in sample.columns  # the regressor is described as the regression uses it, lagged
    assert list(descriptives(sample.drop(columns="in_sample"), ["y", "L.x", "c"])["n"]) == [n, n, n]


def test_write_describe_writes_both_samples_and_the_definitions(tmp_path):
    from srdi.describe import write_describe

    panel = _gappy_panel().assign(coinnov=lambda d: d["x"])
    panel.to_parquet(tmp_path / "panel.parquet")
    model = {"name": "m", "spec": {"kind": "panel", "outcome": "y", "regressors": ["coinnov"], "fe": ["entity"],
                                   "lag_years": 1},
             "entity": "stkcd", "time": "year"}
    write_describe(tmp_path / "panel.parquet", ["y", "coinnov"], tmp_path, model)
    est = pd.read_csv(tmp_path / "descriptives.csv").set_index("variable")
    full = pd.read_csv(tmp_path / "descriptives_panel.csv").set_index("variable")
    assert est.loc["y", "n"] == est.loc["L.coinnov", "n"] < full.loc["y", "n"] == panel["in_sample"].sum()
    defs = pd.read_csv(tmp_path / "variables.csv")
    assert list(defs["symbol"]) == ["y", "CoInno"]


@pytest.mark.parametrize("n", [3, 4, 7, 50, 545, 27_701])
def test_pearson_has_scipy_pearsonrs_bits(n):
    """describe's own Pearson r and p (no scipy.stats import at start-up) must be scipy.stats.pearsonr's bits, so
    correlations.csv does not change: skewed, scaled, near-perfectly and barely correlated pairs."""
    import numpy as np
    from scipy import stats

    from srdi.describe import pearson

    rng = np.random.default_rng(n)
    for case in range(12):
        x = rng.lognormal(size=n) * 10.0 ** rng.integers(-3, 6)
        y = (case / 11) * x + rng.standard_t(3, size=n) * x.std() + rng.integers(0, 2, size=n) * 1e4
        ours = pearson(x, y)
        ref = stats.pearsonr(x, y)
        assert ours == (float(ref.statistic), float(ref.pvalue)), (n, case)
