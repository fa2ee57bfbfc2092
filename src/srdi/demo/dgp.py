"""The data-generating process: latent effects -> observable counts and shares -> proxies -> SRDI ratios.

Every array is (n_firms, n_years_internal), years `first_year - BURN_IN .. last_year`; the burn-in years only
supply lags and are never written. docs/demo_dgp.md states each equation; parameter values live in params.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from srdi.demo import names as nm
from srdi.demo.moves import firm_year_groups
from srdi.demo.params import (
    CBAR_SCALE,
    CHANNELS,
    DESIG_YEARS,
    DID_DIMENSIONS,
    DID_EFFECT_A,
    DIMENSIONS,
    ENV_CENTER,
    ENV_SCALE,
    Param,
)
from srdi.demo.scales import BURN_IN, Scale

# Shares of the DT mentions by group (firm-level Dirichlet around these) and other text rates.
DT_GROUP_BASE = np.array([0.22, 0.25, 0.20, 0.05, 0.28])
OVERLAP_SHARE = 0.2  # probability a ci_data mention is 工业互联网平台 (capped by DT app mentions)
NEG_RATES = {"dt": 0.5, "data": 0.25, "eco": 0.25}
MISSING_REPORT_SHARE = 0.05
MAX_DT = 400
ENV_LEVEL_SHIFT = 3.6  # added to every province's base level, so that mean(env_c) stays about 0


@dataclass
class Sim:
    """Everything later table builders need: firms, province-years and firm-year arrays."""

    scale: Scale
    firms: pd.DataFrame
    years: np.ndarray  # internal years incl. burn-in
    env: pd.DataFrame  # Province, Year, InnovEnv (written years only)
    a: dict[str, np.ndarray] = field(default_factory=dict)  # (N, K) arrays
    clipped_share: dict[str, float] = field(default_factory=dict)

    @property
    def written(self) -> np.ndarray:
        """Mask of firm-years that appear in the raw tables."""
        return self.a["active"] & (self.years[None, :] >= self.scale.first_year)


def _firm_effect(rng: np.random.Generator, eta: np.ndarray, sd: float, rho: float) -> np.ndarray:
    return sd * (rho * eta + np.sqrt(1.0 - rho**2) * rng.standard_normal(eta.size))


def _env_table(rng: np.random.Generator, years: np.ndarray) -> pd.DataFrame:
    """Province innovation-environment index: base level + persistent province noise, no common trend.

    env_c enters the outcomes through delta_k ci x env_c: a common trend in env would give firms with more
    co-innovation (which designation selects) steeper untreated SRDI paths, breaking parallel trends.
    """
    rows = []
    for prov, _, _, base, _ in nm.PROVINCES:
        walk = np.cumsum(rng.normal(0.0, 0.8, years.size))
        level = base + ENV_LEVEL_SHIFT + walk + rng.normal(0.0, 0.8, years.size)
        for y, v in zip(years, np.clip(np.round(level, 2), 0.0, 100.0), strict=True):
            rows.append((prov, int(y), float(v)))
    return pd.DataFrame(rows, columns=["Province", "Year", "InnovEnv"])


def _top5_shares(rng: np.random.Generator, total: np.ndarray, p_large: np.ndarray) -> tuple[np.ndarray, ...]:
    """Top-5 partner shares (percent, 2 decimals, descending) and which ranks are large enterprises."""
    shape = total.shape
    w = rng.dirichlet([5.0, 3.0, 2.0, 1.5, 1.0], size=shape)
    w = -np.sort(-w, axis=-1)
    ratio = np.round(w * total[..., None] * 100.0, 2)
    n_large = rng.binomial(5, p_large)
    order = np.argsort(rng.random((*shape, 5)), axis=-1)
    ranks = np.argsort(order, axis=-1)
    is_large = ranks < n_large[..., None]
    large_share = (ratio * is_large).sum(axis=-1) / 100.0
    return ratio, is_large, large_share


def simulate(streams: dict[str, np.random.Generator], scale: Scale, firms: pd.DataFrame,
             p: dict[str, Param]) -> Sim:
    v = {k: float(x.value) for k, x in p.items()}
    n = len(firms)
    years = np.arange(scale.first_year - BURN_IN, scale.last_year + 1)
    k_all = years.size
    t_rel = (years - scale.first_year)[None, :].astype(float)
    a: dict[str, np.ndarray] = {}

    list_year = firms["list_year"].to_numpy()
    delist_year = firms["delist_year"].to_numpy()
    a["active"] = (years[None, :] >= list_year[:, None]) & (
        (delist_year[:, None] == 0) | (years[None, :] < delist_year[:, None])
    )

    # --- firm capability eta; distressed firms are weaker (firm-level, absorbed by FE) ---
    rng = streams["effects"]
    eta = rng.standard_normal(n) - 1.0 * firms["distressed"].to_numpy()
    a["eta"] = np.repeat(eta[:, None], k_all, axis=1)

    # --- registered province and industry of each year (a few firms move or are reclassified) ---
    written = a["active"] & (years[None, :] >= scale.first_year)
    a["province"], a["industry"] = firm_year_groups(streams["moves"], firms, written)
    cols = np.arange(k_all)[None, :]

    # --- province innovation environment of the year's province (written table = first..last year) ---
    env_all = _env_table(streams["env"], years)
    env_map = env_all.pivot(index="Province", columns="Year", values="InnovEnv")[years]
    env = env_map.to_numpy()[env_map.index.get_indexer(a["province"].ravel()).reshape(n, k_all), cols]
    a["innov_env"] = env
    a["env_c"] = (env - ENV_CENTER) / ENV_SCALE

    # --- industry-year shock z_jt of the year's industry (the excluded instrument) ---
    rng = streams["channels"]
    inds = sorted(firms["Nnindcd"].unique())
    z_tab = rng.normal(0.0, v["sd_z_industry_year"], size=(len(inds), k_all))
    ind_pos = np.searchsorted(np.array(inds), a["industry"].astype(str))
    a["z"] = z_tab[ind_pos, cols]

    # --- channel intensities m_c = mu + a_i + trend*t + pi*z + xi ---
    for ch in CHANNELS:
        a_i = _firm_effect(rng, eta, v[f"sd_a_ch_{ch}"], v[f"rho_a_ch_{ch}"])
        xi = rng.normal(0.0, v[f"sd_xi_ch_{ch}"], size=(n, k_all))
        a[f"m_{ch}"] = (v[f"mu_ch_{ch}"] + a_i[:, None] + v[f"trend_ch_{ch}"] * t_rel
                        + v[f"pi_ch_{ch}"] * a["z"] + xi)
        a[f"a_ch_{ch}"] = np.repeat(a_i[:, None], k_all, axis=1)
    cap = int(v["max_count"])
    a["n_collab"] = np.minimum(rng.poisson(np.exp(a["m_collab"])), cap)
    a["n_data_pos"] = np.minimum(rng.poisson(np.exp(a["m_data"])), cap)
    a["n_eco_pos"] = np.minimum(rng.poisson(np.exp(a["m_eco"])), cap)

    # --- supply chain: top-5 customers / suppliers; the large-enterprise share is the chain channel ---
    rng = streams["chain"]
    p_large = 1.0 / (1.0 + np.exp(-a["m_chain"]))
    cus_tot = np.clip(rng.normal(0.32, 0.13, n)[:, None] + rng.normal(0.0, 0.04, (n, k_all)), 0.06, 0.85)
    sup_tot = np.clip(rng.normal(0.36, 0.14, n)[:, None] + rng.normal(0.0, 0.04, (n, k_all)), 0.08, 0.90)
    a["cus_ratio"], a["cus_large"], a["cus_large_share"] = _top5_shares(rng, cus_tot, p_large)
    a["sup_ratio"], a["sup_large"], a["sup_large_share"] = _top5_shares(rng, sup_tot, p_large)

    # --- observable proxies (exactly as the pipeline constructs them) ---
    a["ci_collab"] = np.log1p(a["n_collab"])
    a["ci_data"] = np.log1p(a["n_data_pos"])
    a["ci_eco"] = np.log1p(a["n_eco_pos"])
    a["ci_chain"] = (a["cus_large_share"] + a["sup_large_share"]) / 2.0
    a["cbar"] = sum(a[f"ci_{ch}"] / CBAR_SCALE[ch] for ch in CHANNELS) / len(CHANNELS)

    # --- digital transformation: d* linear in lagged cbar; DT count = round(exp(d*) - 1) ---
    rng = streams["digital"]
    alpha_d = _firm_effect(rng, eta, v["sd_alpha_digital"], v["rho_alpha_digital"])
    lam_d = v["trend_digital"] * (years - scale.first_year) + rng.normal(0.0, v["sd_lambda_digital"], k_all)
    cbar_lag = np.concatenate([a["cbar"][:, :1], a["cbar"][:, :-1]], axis=1)
    u = rng.normal(0.0, v["sd_u_digital"], (n, k_all))
    a["d_star"] = v["mu_digital"] + alpha_d[:, None] + lam_d[None, :] + v["a_digital_cbar"] * cbar_lag + u
    a["alpha_digital"] = np.repeat(alpha_d[:, None], k_all, axis=1)
    a["n_dt_pos"] = np.clip(np.rint(np.expm1(a["d_star"])), 0, MAX_DT).astype(np.int64)
    a["digital"] = np.log1p(a["n_dt_pos"])
    a["lambda_digital"] = np.repeat(lam_d[None, :], n, axis=0)

    # --- split mentions: DT groups; 工业互联网平台 share of data mentions (also a DT 数字技术运用 mention) ---
    rng = streams["mentions"]
    group_p = rng.dirichlet(DT_GROUP_BASE * 20.0, size=(n, 1))
    groups = rng.multinomial(a["n_dt_pos"], np.broadcast_to(group_p, (n, k_all, 5)))
    for g, label in enumerate(("ai", "bigdata", "cloud", "blockchain", "application")):
        a[f"n_dt_pos_{label}"] = groups[..., g]
    a["n_data_pos_overlap"] = np.minimum(rng.binomial(a["n_data_pos"], OVERLAP_SHARE), a["n_dt_pos_application"])
    a["n_dt_neg_plain"] = rng.poisson(NEG_RATES["dt"], (n, k_all))
    a["n_data_neg"] = rng.poisson(NEG_RATES["data"], (n, k_all))
    a["n_data_neg_overlap"] = rng.binomial(a["n_data_neg"], OVERLAP_SHARE)
    a["n_dt_neg"] = a["n_dt_neg_plain"] + a["n_data_neg_overlap"]
    a["n_eco_neg"] = rng.poisson(NEG_RATES["eco"], (n, k_all))
    a["has_report"] = a["active"] & (rng.random((n, k_all)) >= MISSING_REPORT_SHARE)

    # --- SRDI dimensions: linear in lagged proxies + firm/year effects + noise, then clipped ---
    rng = streams["outcomes"]
    clipped: dict[str, float] = {}
    written = a["active"] & (years[None, :] >= scale.first_year)
    dig_lag = np.concatenate([a["digital"][:, :1], a["digital"][:, :-1]], axis=1)
    env_lag = np.concatenate([a["env_c"][:, :1], a["env_c"][:, :-1]], axis=1)
    a["digital_lag1"], a["env_c_lag1"], a["cbar_lag1"] = dig_lag, env_lag, cbar_lag
    for dim, ch in DIMENSIONS:
        alpha = _firm_effect(rng, eta, v[f"sd_alpha_{dim}"], v[f"rho_alpha_{dim}"])
        lam = rng.normal(0.0, v[f"sd_lambda_{dim}"], k_all)
        e = rng.normal(0.0, v[f"sd_e_{dim}"], (n, k_all))
        ci = a[f"ci_{ch}"]
        ci_lag = np.concatenate([ci[:, :1], ci[:, :-1]], axis=1)
        a[f"ci_{ch}_lag1"] = ci_lag
        star = (v[f"mu_{dim}"] + alpha[:, None] + lam[None, :] + v[f"beta_{dim}_{ch}"] * ci_lag
                + v[f"theta_{dim}_digital"] * dig_lag + v[f"delta_{dim}_{ch}_x_env"] * ci_lag * env_lag
                + v[f"gamma_{dim}_env"] * env_lag + e)
        lo, hi = v[f"clip_lo_{dim}"], v[f"clip_hi_{dim}"]
        a[f"srdi_{dim}_star"] = star
        a[f"srdi_{dim}"] = np.clip(star, lo, hi)
        a[f"alpha_{dim}"] = np.repeat(alpha[:, None], k_all, axis=1)
        a[f"lambda_{dim}"] = np.repeat(lam[None, :], n, axis=0)
        a[f"e_{dim}"] = e
        clipped[dim] = float(((star < lo) | (star > hi))[written].mean()) if written.any() else 0.0

    sim = Sim(scale=scale, firms=firms, years=years,
              env=env_all[env_all["Year"] >= scale.first_year].reset_index(drop=True), a=a,
              clipped_share=clipped)
    _designation(streams["designation"], sim, v)
    _designation_effect(sim, v)
    _financial_scale(streams["finance"], sim, eta)
    _special_treatment(streams["st"], sim)
    return sim


def _designation(rng: np.random.Generator, sim: Sim, v: dict[str, float]) -> None:
    """小巨人: first year in 2019-2023 whose latent logit index crosses zero (absorbing).

    The index uses lagged co-innovation and the SRDI dimensions' firm effects, never the outcomes' transitory
    shocks: selecting on e_k would give designated firms a pre-designation dip (Ashenfelter) and break parallel
    trends. A firm is eligible from its second listed year, so every designated firm has an untreated year.
    """
    a, years = sim.a, sim.years
    n, k_all = a["active"].shape
    capability = sum(a[f"a_ch_{ch}"] / v[f"sd_a_ch_{ch}"] for ch in CHANNELS) / len(CHANNELS)
    a["coinnov_capability"] = capability
    index = v["desig_const"] + v["desig_coinnov"] * capability
    for dim, _ in DIMENSIONS:
        index = index + v[f"desig_{dim}"] * a[f"alpha_{dim}"] / v[f"sd_alpha_{dim}"]
    noise = rng.logistic(0.0, 1.0, (n, k_all))
    a["desig_index"] = index + noise
    listed_before = years[None, :] > sim.firms["list_year"].to_numpy()[:, None]
    eligible = (a["active"] & listed_before & ~sim.firms["is_finance"].to_numpy()[:, None]
                & np.isin(years, DESIG_YEARS)[None, :])
    cross = eligible & (a["desig_index"] > 0)
    first = np.where(cross.any(axis=1), cross.argmax(axis=1), -1)
    batch_year = np.where(first >= 0, years[np.maximum(first, 0)], 0)
    a["batch_year"] = np.repeat(batch_year[:, None], k_all, axis=1)
    a["designated"] = (batch_year[:, None] > 0) & (years[None, :] >= batch_year[:, None])


def designation_tau(batch_year: np.ndarray, year: np.ndarray, v: dict[str, float]) -> np.ndarray:
    """tau_g(e) = a_g + b e for e = year - g >= 0 (g > 0), else 0: a function of (cohort, year) only."""
    g = np.asarray(batch_year)
    e = np.asarray(year) - g
    a_g = np.zeros(np.broadcast(g, e).shape)
    for cohort in DID_EFFECT_A:
        a_g = np.where(g == cohort, v[f"tau_a_{cohort}"], a_g)
    return np.where((g > 0) & (e >= 0), a_g + v["tau_b"] * e, 0.0)


def _designation_effect(sim: Sim, v: dict[str, float]) -> None:
    """Add the designation effect to the DID dimensions after clipping, so each firm-year's effect is exactly
    load_k x tau_g(t - g): the same for every firm of a cohort in a year, whichever firms a sample keeps."""
    a = sim.a
    a["desig_tau"] = designation_tau(a["batch_year"], sim.years[None, :], v)
    for dim in DID_DIMENSIONS:
        a[f"srdi_{dim}_untreated"] = a[f"srdi_{dim}"]
        a[f"srdi_{dim}"] = a[f"srdi_{dim}"] + v[f"tau_load_{dim}"] * a["desig_tau"]


def _financial_scale(rng: np.random.Generator, sim: Sim, eta: np.ndarray) -> None:
    """Revenue, assets, leverage and other levels; none enters an outcome equation (docs/demo_dgp.md)."""
    a, years, firms = sim.a, sim.years, sim.firms
    n, k_all = a["active"].shape
    t_rel = (years - sim.scale.first_year)[None, :]
    ln_r0 = rng.normal(20.9 + 0.25 * eta, 0.9)
    growth = rng.normal(0.08, 0.05, n)
    ln_r = ln_r0[:, None] + growth[:, None] * t_rel + rng.normal(0.0, 0.12, (n, k_all))
    fin = firms["is_finance"].to_numpy()[:, None]
    a["revenue"] = np.round(np.exp(ln_r), 2)
    turnover = np.exp(rng.normal(np.log(0.55), 0.35, n))[:, None] * np.exp(rng.normal(0.0, 0.08, (n, k_all)))
    turnover = np.where(fin, turnover * 0.15, turnover)  # financial firms: large balance sheets
    a["total_assets"] = np.round(a["revenue"] / turnover, 2)
    lev_i = np.clip(rng.normal(0.42, 0.15, n) - 0.04 * eta, 0.05, 0.9)
    lev = np.clip(lev_i[:, None] + rng.normal(0.0, 0.05, (n, k_all)), 0.02, 0.97)
    lev = np.where(fin, np.clip(lev + 0.45, 0.5, 0.95), lev)
    # Distressed firms: one spell of 1-3 years with liabilities above assets (Lev > 1).
    distressed = firms["distressed"].to_numpy()
    spell_start = rng.integers(0, k_all, n)
    spell_len = rng.integers(1, 4, n)
    in_spell = (np.arange(k_all)[None, :] >= spell_start[:, None]) & (
        np.arange(k_all)[None, :] < (spell_start + spell_len)[:, None]
    )
    over = rng.uniform(1.02, 1.6, (n, k_all))
    a["lev"] = np.where(distressed[:, None] & in_spell & rng.random(n)[:, None].__lt__(0.6), over, lev)
    a["total_liab"] = np.round(a["total_assets"] * a["lev"], 2)
    a["fixed_share"] = np.clip(rng.uniform(0.08, 0.45, n)[:, None] * np.exp(rng.normal(0, 0.1, (n, k_all))),
                               0.01, 0.8)
    a["intang_share"] = np.clip(rng.uniform(0.01, 0.08, n)[:, None] * np.exp(rng.normal(0, 0.1, (n, k_all))),
                                0.001, 0.3)
    # Selling + administrative expenses close the income statement: gross margin - R&D - expenses is about the
    # pre-tax margin (net margin / 0.85), so the statements read coherently. Not a control of any model.
    # Where that would be implausibly small, a 3-7% floor leaves the rest to other income (subsidies, investment).
    expense = np.clip(a["srdi_distinct"] - a["srdi_novel"] - a["srdi_refine"] / 0.85
                      + rng.normal(0.0, 0.015, (n, k_all)), rng.uniform(0.03, 0.07, (n, k_all)), 0.6)
    sell_w = rng.uniform(0.3, 0.6, n)[:, None]
    a["selling_share"] = sell_w * expense
    a["admin_share"] = (1.0 - sell_w) * expense
    # Operating cash flow margin depends on the firm effect only, never on this year's outcome noise.
    refine_fe = a["alpha_refine"] + 0.02
    a["ocf_margin"] = 0.5 * refine_fe + rng.normal(0.03, 0.03, n)[:, None] + rng.normal(0, 0.04, (n, k_all))
    a["employees"] = np.maximum(30, np.rint(a["revenue"] / np.exp(rng.normal(np.log(1.2e6), 0.5, n))[:, None]))
    a["parent_share"] = np.clip(rng.uniform(0.2, 0.9, n)[:, None] * np.exp(rng.normal(0, 0.05, (n, k_all))),
                                0.05, 1.0)


def _special_treatment(rng: np.random.Generator, sim: Sim) -> None:
    """ST/*ST in year t from the annual reports of t-1 and t-2 (docs/demo_dgp.md, "Special treatment")."""
    a = sim.a
    n, k_all = a["active"].shape
    loss = a["srdi_refine"] < 0
    st = np.zeros((n, k_all), dtype=object)
    st[:] = ""
    draws = rng.random((n, k_all))
    for k in range(2, k_all):
        prev1 = a["active"][:, k - 1]
        prev2 = a["active"][:, k - 2]
        two_losses = prev1 & prev2 & loss[:, k - 1] & loss[:, k - 2] & (draws[:, k] < 0.55)
        star = a["active"][:, k] & (two_losses | (prev1 & (a["lev"][:, k - 1] > 1)))
        plain = a["active"][:, k] & ~star & (
            (prev1 & loss[:, k - 1] & (draws[:, k] > 0.85)) | (draws[:, k] < 0.004)
        )
        st[star, k] = "*ST"
        st[plain, k] = "ST"
    a["st"] = st
