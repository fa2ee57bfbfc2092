r"""Oster (2019) coefficient-stability bounds, as Stata `psacalc` computes them.

Why: a referee's "how much selection on unobservables would it take?" is answered by δ* (the selection on
unobservables, relative to the controls, that would drive the coefficient to `beta`, default 0) and β* (the
bias-adjusted coefficient under proportional selection δ, default 1), with R_max the R² a regression on all
observables and unobservables would reach (Oster's suggestion: 1.3 R̃).

Inputs (psacalc's, over one sample: the long model's rows after lags, `in_sample`, `sample`, listwise deletion
and singletons, exactly as `fit_panel` selects them):

* β̊, R̊: the uncontrolled regression of Y on X; β̃, R̃: the controlled one, Y on X and the controls W;
* absorbed effects (`fe`) enter **both** regressions, as psacalc's `mcontrol()` ("controls to be included in all
  regressions", Oster's W2), and R̊, R̃ are the R² *including* the effects (`areg`'s e(r2)), 1 - SSR / Σ(y - ȳ)²;
* σ²_y = var(Y); σ²_x = var of X residualised on the effects (var(X) without effects); τ_x = var of X
  residualised on W and the effects. The divisor (N - 1) cancels from every formula.

Only (R̃ - R̊)σ²_y and (R_max - R̃)σ²_y enter, i.e. explained-variance increments: with R_max = 1 the numbers are
the same whether R² counts the effects or is the within R²; only a proportional R_max (1.3 R̃) depends on that
choice, and we follow psacalc/areg. `r_max` defaults to min(1.3 R̃, 1) (`r_max_factor`); an explicit `r_max`
overrides it.

Formulas (Oster 2019, Proposition 2; psacalc): with Δ = β̊ - β̃, a = (R_max - R̃)σ²_y, b = (R̃ - R̊)σ²_y:

* δ* for a target β, with d = β̃ - β:
  [d·b·τ_x + d·σ²_x τ_x Δ² + 2d²τ_xΔσ²_x + d³(τ_xσ²_x - τ_x²)] /
  [a·Δ·σ²_x + d·a·(σ²_x - τ_x) + d²τ_xΔσ²_x + d³(τ_xσ²_x - τ_x²)].
* β* = β̃ - ν. For δ = 1, ν solves the quadratic -2τ_xΔσ²_x ν = -Θ ± sqrt(Θ² + 4aΔ²σ⁴_xτ_x),
  Θ = a(σ²_x - τ_x) - bτ_x - σ²_xτ_xΔ²; for δ ≠ 1 the cubic ν³ + Aν² + Bν + C = 0 with
  A = τ_xΔσ²_x(δ - 2)/D, B = (δa(σ²_x - τ_x) - bτ_x - σ²_xτ_xΔ²)/D, C = δaΔσ²_x/D, D = (δ - 1)(τ_xσ²_x - τ_x²).
* Root selection (psacalc, as robomit documents it): δ = 1: the root closest to β̃, unless the bias changes
  direction there (sign(β* - β̃) ≠ sign(β̃ - β̊)), then the other root; δ ≠ 1 with three real roots
  (trigonometric formula, in its k = 0, +2π, -2π order): roots changing the direction get distance
  max + 1, then the smallest distance wins (ties in that order); one real root (Cardano): that root. The other
  roots are reported as alternative solutions, each with its direction flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from srdi.models.hdfe import interact
from srdi.models.lags import lag_by_time
from srdi.models.rows import numeric_matrix, sample_mask
from srdi.models.spec import ModelSpec, check_columns, parse_spec
from srdi.models.tidy import TIDY_COLUMNS
from srdi.models.within import codes_of, demean, singleton_mask

DEFAULT_RMAX_FACTOR = 1.3
OSTER_COLUMNS = ("equation", "method", "note", "r_max", "delta")


@dataclass(frozen=True)
class OsterInputs:
    """psacalc's "Inputs from Regressions" and the variances behind them."""

    beta_short: float  # β̊, uncontrolled
    r2_short: float  # R̊
    beta_long: float  # β̃, controlled
    r2_long: float  # R̃
    var_y: float  # σ²_y
    var_x: float  # σ²_x (X residualised on the effects)
    tau_x: float  # τ_x (X residualised on the controls and the effects)
    nobs: int


@dataclass(frozen=True)
class BetaStar:
    beta: float
    alternatives: tuple[float, ...]
    bias_changes_direction: tuple[bool, ...]  # for beta, then each alternative


@dataclass(frozen=True)
class OsterResult:
    spec: ModelSpec
    treatment: str
    inputs: OsterInputs
    r_max: float
    delta: float
    beta_star: BetaStar
    beta_target: float
    delta_star: float
    n_singletons: int


def oster_inputs_from_arrays(y: np.ndarray, x: np.ndarray, w: np.ndarray, fe_codes: list[np.ndarray]) -> OsterInputs:
    """β̊, R̊, β̃, R̃, σ²_y, σ²_x, τ_x with the effects absorbed in both regressions (module docstring)."""
    n = y.size
    data = demean(np.column_stack([y, x, w]), fe_codes)  # with no effect: centred
    yd, xd, wd = data[:, 0], data[:, 1], data[:, 2:]
    tss = float(((y - y.mean()) ** 2).sum())
    b_short = float(xd @ yd / (xd @ xd))
    e_short = yd - b_short * xd
    design = np.column_stack([xd, wd])
    coef = np.linalg.lstsq(design, yd, rcond=None)[0]
    e_long = yd - design @ coef
    x_res = xd - wd @ np.linalg.lstsq(wd, xd, rcond=None)[0] if wd.shape[1] else xd
    return OsterInputs(
        beta_short=b_short,
        r2_short=1.0 - float(e_short @ e_short) / tss,
        beta_long=float(coef[0]),
        r2_long=1.0 - float(e_long @ e_long) / tss,
        var_y=tss / (n - 1),
        var_x=float(xd @ xd) / (n - 1),
        tau_x=float(x_res @ x_res) / (n - 1),
        nobs=n,
    )


def delta_for_beta(inp: OsterInputs, r_max: float, beta: float = 0.0) -> float:
    """δ such that the bias-adjusted coefficient equals `beta` (psacalc `delta`, default beta(0))."""
    d, dl = inp.beta_long - beta, inp.beta_short - inp.beta_long
    a, b = (r_max - inp.r2_long) * inp.var_y, (inp.r2_long - inp.r2_short) * inp.var_y
    sx, tx = inp.var_x, inp.tau_x
    cube = d**3 * (tx * sx - tx**2)
    num = d * b * tx + d * sx * tx * dl**2 + 2 * d**2 * tx * dl * sx + cube
    den = a * dl * sx + d * a * (sx - tx) + d**2 * tx * dl * sx + cube
    return float(num / den)


def _changes(candidates: np.ndarray, inp: OsterInputs) -> np.ndarray:
    """Does the bias change direction: sign(β* - β̃) != sign(β̃ - β̊)?"""
    return np.sign(candidates - inp.beta_long) != np.sign(inp.beta_long - inp.beta_short)


def _cubic_roots(a: float, b: float, c: float) -> np.ndarray:
    """Real roots of ν³ + aν² + bν + c in psacalc's order: the trigonometric triple when three are real
    (k = 0, +2π, -2π), else Cardano's single root."""
    q, r = (a * a - 3 * b) / 9, (2 * a**3 - 9 * a * b + 27 * c) / 54
    disc = r * r - q**3
    if disc < 0:
        phi = np.arccos(r / np.sqrt(q**3))
        return -2 * np.sqrt(q) * np.cos((phi + np.array([0.0, 2 * np.pi, -2 * np.pi])) / 3) - a / 3
    return np.array([np.cbrt(-r + np.sqrt(disc)) + np.cbrt(-r - np.sqrt(disc)) - a / 3])


def beta_for_delta(inp: OsterInputs, r_max: float, delta: float = 1.0) -> BetaStar:
    """Bias-adjusted coefficient under proportional selection δ (psacalc `beta, delta(#)`)."""
    dl = inp.beta_short - inp.beta_long
    if dl == 0:  # the controls do not move the coefficient: no bias to extrapolate
        return BetaStar(inp.beta_long, (), (False,))
    a, b = (r_max - inp.r2_long) * inp.var_y, (inp.r2_long - inp.r2_short) * inp.var_y
    sx, tx = inp.var_x, inp.tau_x
    if delta == 1:
        theta = a * (sx - tx) - b * tx - sx * tx * dl**2
        root = np.sqrt(theta**2 + 4 * a * dl**2 * sx**2 * tx)
        cands = inp.beta_long - np.array([-theta - root, -theta + root]) / (-2 * tx * dl * sx)
        order = np.argsort((cands - inp.beta_long) ** 2, kind="stable")
        if _changes(cands[order[:1]], inp)[0]:  # psacalc: the other root if the closest changes the direction
            order = order[::-1]
    else:
        den = (delta - 1) * (tx * sx - tx**2)
        cands = inp.beta_long - _cubic_roots(tx * dl * sx * (delta - 2) / den,
                                              (delta * a * (sx - tx) - b * tx - sx * tx * dl**2) / den,
                                              delta * a * dl * sx / den)
        dist = (cands - inp.beta_long) ** 2
        dist = np.where(_changes(cands, inp), dist.max() + 1, dist)  # psacalc: such roots only as a last resort
        order = np.argsort(dist, kind="stable")
    chosen = cands[order]
    flags = tuple(bool(v) for v in _changes(chosen, inp))
    return BetaStar(float(chosen[0]), tuple(float(v) for v in chosen[1:]), flags)


def _rows(df: pd.DataFrame, spec: ModelSpec, entity: str, time: str) -> tuple[pd.DataFrame, list[np.ndarray], int]:
    """The long model's rows as `fit_panel` selects them (lags, sample, listwise deletion, singletons)."""
    check_columns(spec, df.columns, entity, time)
    df = df.reset_index(drop=True)
    data = df.copy()
    if spec.lag:
        data[list(spec.lag)] = lag_by_time(df, spec.lag, entity, time, k=spec.lag_years)
    data = data[sample_mask(df, spec.name, spec.sample)]
    data = data[data[list(spec.required_columns(entity, time))].notna().all(axis=1)]
    if data.empty:
        raise ValueError(f"model {spec.name!r}: no complete observations in the sample")
    codes = [interact([codes_of(data[c].to_numpy()) for c in parts]) for parts in spec.fe_columns(entity, time)]
    n_single = 0
    if codes:
        keep = singleton_mask(codes)
        n_single = int((~keep).sum())
        data = data[keep]
        codes = [interact([codes_of(data[c].to_numpy()) for c in parts]) for parts in spec.fe_columns(entity, time)]
    return data, codes, n_single


def oster_bounds(
    df: pd.DataFrame,
    spec: ModelSpec | Mapping[str, Any],
    entity: str,
    time: str,
    name: str = "model",
    *,
    treatment: str | None = None,
    r_max: float | None = None,
    r_max_factor: float = DEFAULT_RMAX_FACTOR,
    delta: float = 1.0,
    beta: float = 0.0,
) -> OsterResult:
    """δ* (for `beta`) and β* (for `delta`) of `treatment` (default the first regressor); the controls W are
    every other regressor and control of the spec; `fe` enters both regressions."""
    spec = parse_spec(spec, name, entity, time) if not isinstance(spec, ModelSpec) else spec
    x_name = treatment or spec.regressors[0]
    if x_name not in spec.terms:
        raise ValueError(f"model {spec.name!r}: treatment {x_name!r} is not a regressor of the model")
    controls = [t for t in spec.terms if t != x_name]
    if not controls:
        raise ValueError(f"model {spec.name!r}: Oster bounds need controls besides {x_name!r}")
    data, codes, n_single = _rows(df, spec, entity, time)
    values = numeric_matrix(data, [spec.outcome, x_name, *controls], spec.name)
    inp = oster_inputs_from_arrays(values[:, 0], values[:, 1], values[:, 2:], codes)
    rmax = min(r_max_factor * inp.r2_long, 1.0) if r_max is None else float(r_max)
    if not inp.r2_long < rmax <= 1:
        raise ValueError(f"model {spec.name!r}: R_max must lie in (R̃, 1] = ({inp.r2_long:.6g}, 1], got {rmax!r}")
    return OsterResult(spec, x_name, inp, rmax, float(delta), beta_for_delta(inp, rmax, delta), float(beta),
                       delta_for_beta(inp, rmax, beta), n_single)


def tidy_oster(result: OsterResult, model_name: str) -> pd.DataFrame:
    """Two rows, `equation = oster`: `term = <X>:beta_star` (estimate β*, note with the alternatives) and
    `term = <X>:delta_star` (estimate δ* for the target β); `r_max` and `delta` columns; no SE."""
    inp, bs = result.inputs, result.beta_star
    alts = ", ".join(f"{a:.6g}" + (" (bias changes direction)" if c else "")
                     for a, c in zip(bs.alternatives, bs.bias_changes_direction[1:], strict=True))
    base = {c: None for c in TIDY_COLUMNS}
    base.update(model=model_name, outcome=result.spec.outcome, nobs=inp.nobs, r2_within=None, fe=result.spec.fe_label,
                vcov="", n_singletons=result.n_singletons, dropped_terms="", equation="oster", method="psacalc",
                r_max=result.r_max, delta=result.delta)
    rows = [
        {**base, "term": f"{result.treatment}:beta_star", "estimate": bs.beta,
         "note": f"delta={result.delta:g}; alternative solutions: {alts or 'none'}"},
        {**base, "term": f"{result.treatment}:delta_star", "estimate": result.delta_star,
         "note": f"delta giving beta={result.beta_target:g}; inputs beta {inp.beta_short:.6g} -> {inp.beta_long:.6g}, "
                 f"R2 {inp.r2_short:.6g} -> {inp.r2_long:.6g}"},
    ]
    frame = pd.DataFrame(rows, columns=[*TIDY_COLUMNS, *OSTER_COLUMNS])
    return frame.astype({"nobs": "int64", "n_singletons": "int64", "n_clusters": "Int64"})
