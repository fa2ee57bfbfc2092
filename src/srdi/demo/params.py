"""True parameters of the demo DGP, each with the estimand it identifies (written to truth.json).

Values are fixed here, not drawn, so a user can rebuild every equation of docs/demo_dgp.md from truth.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Outcome dimension -> its own co-innovation channel (H2a-H2d).
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("spec", "collab"),
    ("refine", "data"),
    ("distinct", "chain"),
    ("novel", "eco"),
)
CHANNELS: tuple[str, ...] = ("collab", "data", "chain", "eco")

# Fixed scale constants: cbar = mean_c(ci_c / CBAR_SCALE[c]).
CBAR_SCALE: dict[str, float] = {"collab": 0.5, "data": 0.6, "chain": 0.15, "eco": 0.6}

# Innovation-environment moderator: env_c = (InnovEnv - ENV_CENTER) / ENV_SCALE.
ENV_CENTER = 70.0
ENV_SCALE = 10.0

FE = "firm + year"


@dataclass(frozen=True)
class Param:
    """One true value with the regression whose coefficient estimates it."""

    value: float
    equation: str
    outcome: str = ""
    term: str = ""
    lag: int | None = None
    fixed_effects: str = ""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "equation": self.equation,
            "outcome": self.outcome,
            "term": self.term,
            "lag": self.lag,
            "fixed_effects": self.fixed_effects,
            "note": self.note,
        }


# Outcome equations: (mu, beta, theta, delta, sd_alpha, rho_alpha, sd_lambda, sd_e, clip_lo, clip_hi)
_OUTCOME_VALUES: dict[str, tuple[float, ...]] = {
    "spec": (0.74, 0.030, 0.012, 0.008, 0.055, 0.6, 0.008, 0.030, 0.05, 1.0),
    "refine": (0.030, 0.020, 0.008, 0.005, 0.045, 0.6, 0.010, 0.040, -0.9, 0.6),
    "distinct": (0.200, 0.150, 0.010, 0.040, 0.070, 0.6, 0.008, 0.030, 0.01, 0.90),
    "novel": (0.022, 0.006, 0.003, 0.0015, 0.011, 0.6, 0.002, 0.006, 0.0, 0.30),
}

# Channel intensity equations: (mu, sd_a, rho_a, trend per year, pi (IV loading), sd_xi). No trend: the proxies
# are nonlinear in m (counts, shares), so a common trend in m would give firms of different capability different
# trends in ci, hence in SRDI, and designation (which selects on capability) would break parallel trends.
_CHANNEL_VALUES: dict[str, tuple[float, ...]] = {
    "collab": (-0.50, 0.70, 0.6, 0.0, 1.0, 0.40),
    "data": (0.00, 0.60, 0.6, 0.0, 1.0, 0.40),
    "chain": (-1.15, 0.60, 0.6, 0.0, 1.0, 0.30),
    "eco": (0.15, 0.60, 0.6, 0.0, 1.0, 0.40),
}


def _outcome_params() -> dict[str, Param]:
    out: dict[str, Param] = {}
    for dim, ch in DIMENSIONS:
        mu, beta, theta, delta, sd_a, rho, sd_l, sd_e, lo, hi = _OUTCOME_VALUES[dim]
        y, eq = f"srdi_{dim}", f"srdi_{dim}"
        out[f"beta_{dim}_{ch}"] = Param(beta, eq, y, f"ci_{ch}", 1, FE, f"H2: own channel -> {y} at env_c = 0")
        out[f"theta_{dim}_digital"] = Param(theta, eq, y, "digital", 1, FE, "H3: mediator -> outcome")
        out[f"delta_{dim}_{ch}_x_env"] = Param(
            delta, eq, y, f"ci_{ch} x env_c", 1, FE,
            f"H4: interaction, env_c = (InnovEnv - {ENV_CENTER:g})/{ENV_SCALE:g}, both factors lagged one year",
        )
        out[f"gamma_{dim}_env"] = Param(0.0, eq, y, "env_c", 1, FE, "main effect of env_c is zero")
        out[f"mu_{dim}"] = Param(mu, eq, y, "intercept", note="absorbed by fixed effects")
        out[f"sd_alpha_{dim}"] = Param(sd_a, eq, y, "firm effect sd")
        out[f"rho_alpha_{dim}"] = Param(rho, eq, y, "corr(firm effect, eta)", note="source of pooled-OLS bias")
        out[f"sd_lambda_{dim}"] = Param(sd_l, eq, y, "year effect sd")
        out[f"sd_e_{dim}"] = Param(sd_e, eq, y, "idiosyncratic noise sd")
        out[f"clip_lo_{dim}"] = Param(lo, eq, y, "lower clip bound")
        out[f"clip_hi_{dim}"] = Param(hi, eq, y, "upper clip bound")
    return out


def _digital_params() -> dict[str, Param]:
    eq, y = "digital", "digital"
    return {
        "a_digital_cbar": Param(0.45, eq, y, "cbar", 1, FE, "H3 first stage; digital = ln(1+DT count) ~ d_star"),
        "mu_digital": Param(1.30, eq, y, "intercept"),
        "sd_alpha_digital": Param(0.60, eq, y, "firm effect sd"),
        "rho_alpha_digital": Param(0.5, eq, y, "corr(firm effect, eta)"),
        "trend_digital": Param(0.11, eq, y, "year effect trend per year"),
        "sd_lambda_digital": Param(0.04, eq, y, "year effect sd around trend"),
        "sd_u_digital": Param(0.35, eq, y, "idiosyncratic noise sd"),
    }


def _channel_params() -> dict[str, Param]:
    out: dict[str, Param] = {}
    for ch, (mu, sd_a, rho, trend, pi, sd_xi) in _CHANNEL_VALUES.items():
        eq = f"channel_{ch}"
        out[f"mu_ch_{ch}"] = Param(mu, eq, f"m_{ch}", "intercept")
        out[f"sd_a_ch_{ch}"] = Param(sd_a, eq, f"m_{ch}", "firm effect sd")
        out[f"rho_a_ch_{ch}"] = Param(rho, eq, f"m_{ch}", "corr(firm effect, eta)")
        out[f"trend_ch_{ch}"] = Param(trend, eq, f"m_{ch}", "year trend")
        out[f"pi_ch_{ch}"] = Param(pi, eq, f"m_{ch}", "z_industry_year", 0, "", "instrument loading")
        out[f"sd_xi_ch_{ch}"] = Param(sd_xi, eq, f"m_{ch}", "idiosyncratic sd")
    out["sd_z_industry_year"] = Param(
        0.35, "channels", "m_c", "z_jt", note="industry-year shock: enters channels only (excluded instrument)"
    )
    out["max_count"] = Param(60, "channels", note="Poisson counts are capped at this value")
    return out


def _designation_params() -> dict[str, Param]:
    eq, y = "designation", "d_star"
    out = {
        "desig_const": Param(DESIG_CONST, eq, y, "intercept"),
        "desig_coinnov": Param(DESIG_COINNOV, eq, y, "coinnov_capability", None, "",
                               "latent logit index, absorbing first crossing; capability = mean_c a^c_i / sd(a^c)"),
    }
    for dim, coef in (("spec", 0.5), ("refine", 0.4), ("distinct", 0.4), ("novel", 0.7)):
        out[f"desig_{dim}"] = Param(coef, eq, y, f"alpha_{dim} / sd_alpha_{dim}", None, "",
                                    "firm effect of the SRDI dimension (time-invariant), standardized")
    return out


# Designation effect (issue 9): tau_g(e) = a_g + b e for e = t - g >= 0, zero before g (no anticipation);
# dimension k gains load_k x tau. Larger and growing for early batches, so the static TWFE is biased down.
DESIG_CONST = -3.2
DESIG_COINNOV = 0.9
DID_DIMENSIONS: tuple[str, ...] = ("distinct", "novel")
DID_EFFECT_A: dict[int, float] = {2019: 0.020, 2020: 0.015, 2021: 0.010, 2022: 0.005, 2023: 0.000}
DID_EFFECT_B = 0.030
DID_LOADING: dict[str, float] = {"distinct": 1.0, "novel": 0.2}


def _did_params() -> dict[str, Param]:
    eq = "designation_effect"
    out = {f"tau_a_{g}": Param(a, eq, "tau", f"batch {g}, e = 0", None, "", "effect at designation, batch g")
           for g, a in DID_EFFECT_A.items()}
    out["tau_b"] = Param(DID_EFFECT_B, eq, "tau", "e = t - g", None, "", "growth of the effect per year since g")
    for dim, load in DID_LOADING.items():
        out[f"tau_load_{dim}"] = Param(load, eq, f"srdi_{dim}", "tau", None, "",
                                       f"srdi_{dim} = untreated value + tau_load_{dim} x tau (added after clip)")
    return out


def all_params() -> dict[str, Param]:
    return {**_outcome_params(), **_digital_params(), **_channel_params(), **_designation_params(),
            **_did_params()}


DESIG_YEARS: tuple[int, ...] = (2019, 2020, 2021, 2022, 2023)
