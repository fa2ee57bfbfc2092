"""Parameter recovery: the pipeline's estimators, on the pipeline's own panel of a demo, recover the true
parameters of truth.json (docs/demo_dgp.md); pooled OLS is biased where the DGP says it must be; and a
Monte Carlo over many demo draws gives 95% CI coverage near 95%.

The single-demo checks test 21 parameters at once: with plain 95% intervals about one would miss by chance
(seed 11 misses one at z = 2.3), so they use family-wise (Bonferroni) intervals, |estimate - truth| / SE below
z(1 - 0.05 / (2 x 21)) = 3.04. The 95% intervals themselves are checked where that is meaningful: their
coverage rate over 200 draws in the Monte Carlo test.
"""

import pandas as pd
import pytest
from scipy.stats import norm

from srdi.demo import simulate_latent
from srdi.models import fit_panel
from srdi.models.kinds import fitter_for

DIMENSIONS = {"spec": "collab", "refine": "data", "distinct": "chain", "novel": "eco"}
FE2 = {"fe": ["entity", "time"], "vcov": {"type": "cluster"}}


def add_dgp_terms(frame: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """cbar, env_c and the channel x env_c products, rebuilt from panel columns with truth.json's constants."""
    out = frame.copy()
    scale = truth["cbar_scale"]
    out["cbar"] = sum(out[f"ci_{c}"] / scale[c] for c in ("collab", "data", "chain", "eco")) / 4
    out["env_c"] = (out["innov_env"] - truth["env_center"]) / truth["env_scale"]
    for ch in DIMENSIONS.values():
        out[f"ci_{ch}_x_env"] = out[f"ci_{ch}"] * out["env_c"]
    return out


def structural_spec(dim: str, fe: list[str] | None = None) -> dict:
    ch = DIMENSIONS[dim]
    terms = [f"ci_{ch}", "digital", f"ci_{ch}_x_env", "env_c"]
    return {"kind": "panel", "outcome": f"srdi_{dim}", "regressors": terms, "lag": terms,
            **FE2, **({"fe": fe} if fe is not None else {})}


@pytest.fixture(scope="module")
def demo(small_demo):
    merged, truth = small_demo
    return add_dgp_terms(merged, truth), truth


FAMILY_SIZE = 21  # 4 x (beta, theta, delta, gamma) + a + 4 indirect effects
Z_FAMILY = float(norm.ppf(1 - 0.05 / (2 * FAMILY_SIZE)))


def covers(result, term: str, value: float) -> bool:
    """Inside the 95% CI the model reports (used for coverage rates)."""
    return bool(result.conf_low[term] <= value <= result.conf_high[term])


def recovers(result, term: str, value: float) -> bool:
    """Inside the family-wise 95% interval of the recovery checks."""
    return bool(abs(result.params[term] - value) / result.std_errors[term] <= Z_FAMILY)


@pytest.mark.parametrize("dim", list(DIMENSIONS))
def test_outcome_equation_parameters_are_recovered(demo, dim):
    panel, truth = demo
    ch = DIMENSIONS[dim]
    res = fit_panel(panel, structural_spec(dim), "stkcd", "year", name=f"recover_{dim}")
    p = truth["parameters"]
    assert recovers(res, f"ci_{ch}", p[f"beta_{dim}_{ch}"]["value"])
    assert recovers(res, "digital", p[f"theta_{dim}_digital"]["value"])
    assert recovers(res, f"ci_{ch}_x_env", p[f"delta_{dim}_{ch}_x_env"]["value"])
    assert recovers(res, "env_c", p[f"gamma_{dim}_env"]["value"])


def test_mediator_equation_is_recovered(demo):
    panel, truth = demo
    spec = {"kind": "panel", "outcome": "digital", "regressors": ["cbar"], **FE2}
    res = fit_panel(panel, spec, "stkcd", "year", name="a_path")
    assert recovers(res, "cbar", truth["parameters"]["a_digital_cbar"]["value"])


def test_pooled_ols_is_biased_and_fixed_effects_are_not(demo):
    # Firm effects load on the same eta as co-innovation and digital transformation (docs/demo_dgp.md):
    # pooled OLS overstates their effects; two-way FE recovers them.
    panel, truth = demo
    p = truth["parameters"]
    pooled = fit_panel(panel, structural_spec("spec", fe=[]), "stkcd", "year", name="pooled")
    fixed = fit_panel(panel, structural_spec("spec"), "stkcd", "year", name="twfe")
    for term, key, z_min in (("digital", "theta_spec_digital", 3.0), ("ci_collab", "beta_spec_collab", 2.0)):
        assert (pooled.params[term] - p[key]["value"]) / pooled.std_errors[term] > z_min
        assert recovers(fixed, term, p[key]["value"])


def _indirect_ci(
    panel: pd.DataFrame, dim: str, reps: int, seed: int, level: float = 0.95
) -> tuple[float, float, float]:
    """Estimate and percentile-bootstrap interval of the indirect effect at `level`."""
    spec = {"kind": "mediation", "treatment": "cbar", "mediator": "digital", "outcome": f"srdi_{dim}",
            "timing": "lagged", "bootstrap": {"reps": reps}, **FE2}
    rows = fitter_for("mediation", "m")(panel, spec, "m", "stkcd", "year", seed)
    row = rows[(rows["equation"] == "indirect") & (rows["method"] == "bootstrap_percentile")].iloc[0]
    if level == 0.95:
        return row["estimate"], row["conf_low"], row["conf_high"]
    sobel = rows[(rows["equation"] == "indirect") & (rows["method"] == "sobel")].iloc[0]
    half = float(norm.ppf(0.5 + level / 2)) * sobel["std_error"]
    return sobel["estimate"], sobel["estimate"] - half, sobel["estimate"] + half


@pytest.mark.parametrize("dim", list(DIMENSIONS))
def test_indirect_effect_is_recovered(demo, dim):
    # Timing of the DGP: digital_t depends on cbar_t-1 and srdi_t on digital_t-1, so both X and M are lagged
    # in the outcome equation; the indirect effect is a_digital_cbar * theta_k.
    panel, truth = demo
    p = truth["parameters"]
    value = p["a_digital_cbar"]["value"] * p[f"theta_{dim}_digital"]["value"]
    _, low, high = _indirect_ci(panel, dim, reps=499, seed=3, level=1 - 0.05 / FAMILY_SIZE)
    assert low <= value <= high


@pytest.mark.slow
def test_monte_carlo_coverage_of_baseline_and_indirect_effect(small_demo):
    """200 tiny demo draws (the latent table equals the pipeline's proxies exactly: test_proxies_demo.py)."""
    truth = small_demo[1]
    p = truth["parameters"]
    beta = p["beta_spec_collab"]["value"]
    indirect = p["a_digital_cbar"]["value"] * p["theta_spec_digital"]["value"]
    hits_beta, hits_ind, draws = 0, 0, 200
    for seed in range(1000, 1000 + draws):
        latent = add_dgp_terms(simulate_latent("tiny", seed=seed).rename(columns={"Stkcd": "stkcd"}), truth)
        res = fit_panel(latent, structural_spec("spec"), "stkcd", "year", name="mc")
        hits_beta += covers(res, "ci_collab", beta)
        _, low, high = _indirect_ci(latent, "spec", reps=199, seed=seed)
        hits_ind += low <= indirect <= high
    assert 0.90 <= hits_beta / draws <= 0.99, hits_beta / draws
    assert 0.90 <= hits_ind / draws <= 0.99, hits_ind / draws
