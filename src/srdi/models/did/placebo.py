"""Placebo (randomisation) tests: re-estimate with fake treatment assignments and see where the real estimate falls.

Three designs, all seeded (the same seed gives identical draws):

* `placebo_did(design="entities")`: the entity-level first-treated years (0 = never treated) are permuted across
  *all* entities of the estimation sample, so every cohort keeps its size (and the never-treated group too) while
  which entities are treated is random;
* `placebo_did(design="timing")`: the first-treated years are permuted among the treated entities only, so the
  treated set and the set (with multiplicities) of treatment years are kept and only the timing is random;
* `placebo_regressor`: a continuous regressor of an ordinary `fit_panel` model is permuted across the estimation
  rows of the same calendar year (the values as they enter the model, i.e. after the model's lag). Draw b uses
  its own stream `draws.draw_rng(seed, b)` and the draws go through `draws.resample` (step `placebo:<term>`),
  so they can run in shards (`resampling.shards`) with identical results.

Each draw gives one estimate b*; the summary reports the real estimate b, the draws, and the shares of draws at
least as extreme: two-sided P(|b*| >= |b|), upper P(b* >= b), lower P(b* <= b), over the valid draws (a draw whose
placebo regressor is collinear with the fixed effects and controls is NaN and left out), with a relative tolerance
of 1e-10 so that a draw equal to b up to rounding counts as extreme. No +1 correction is added (the share itself,
as Lian & Liao's permutation test in `heterogeneity.py`).

Fast path (no refit per draw). With the estimation sample, fixed effects and controls fixed, Frisch-Waugh-Lovell
gives b* = z̃'ỹ / z̃'z̃, where ỹ is the outcome residualised once on the absorbed effects and the controls, and z̃
is the draw's placebo column residualised the same way: one `hdfe.Absorber` pass on that one column plus a
projection on the k demeaned controls. Draws are processed in blocks of columns. The estimation sample is the one
`fit_panel` uses (listwise deletion, iterated singletons), so the real estimate equals `twfe_static` /
`fit_panel`; tests check every draw against a `fit_panel` refit on the same permutation at 1e-10.

Any other estimator: `placebo_did(estimator=f)` calls `f(frame)` for each draw on the input rows with the
placebo first-treated column, and takes the float it returns (e.g. an imputation or Callaway-Sant'Anna ATT).

Draw i of `placebo_did` permutes the cohorts with its own stream, `srdi.models.draws.draw_rng(seed, i)`, and the
draws are asked of `srdi.models.draws.resample` (step "placebo:<design>"), so they can run in shard jobs with the
same result (docs/estimation.md, "Resampling in shards"); `permute_cohorts(..., indices)` rebuilds any of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from srdi.blas_threads import limit_blas
from srdi.models.did._regdid import prepare
from srdi.models.draws import draw_rng, resample
from srdi.models.hdfe import Absorber
from srdi.models.moderation import estimation_rows, fe_codes
from srdi.models.panel import _independent_by_scale
from srdi.models.rows import numeric_matrix
from srdi.models.spec import ModelSpec, check_columns, parse_spec
from srdi.models.within import codes_of, singleton_mask

DESIGNS = ("entities", "timing")
BLOCK = 128  # regressor placebo columns residualised at once (N x BLOCK float64); DID draws: draws.BLOCK
COLLINEAR_TOL = 1e-9  # residual norm of a placebo column below this share of its raw norm: the draw is NaN
TIE_RTOL = 1e-10  # a draw within this relative distance of the real estimate counts as at least as extreme
SUMMARY_COLUMNS = ("term", "design", "estimate", "n_draws", "draws_mean", "draws_sd", "draws_q025", "draws_q975",
                   "p_two_sided", "p_upper", "p_lower", "seed")


@dataclass(frozen=True)
class PlaceboResult:
    """The real estimate, every placebo draw, and the summary row (`table`)."""

    design: str  # "entities", "timing" or "regressor"
    term: str
    estimate: float
    draws: np.ndarray  # (reps,) placebo estimates, NaN for degenerate draws
    seed: int
    table: pd.DataFrame  # one row: SUMMARY_COLUMNS
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def draws_frame(self) -> pd.DataFrame:
        """Tidy draws: one row per draw (draw = 0..reps-1, estimate)."""
        return pd.DataFrame({"term": self.term, "design": self.design, "draw": np.arange(self.draws.size),
                             "estimate": self.draws})


def extreme_shares(estimate: float, draws: np.ndarray) -> tuple[float, float, float, int]:
    """(two-sided, upper, lower) shares of valid draws at least as extreme as `estimate`, and the valid count."""
    d = np.asarray(draws, dtype=float)
    d = d[~np.isnan(d)]
    if d.size == 0 or not np.isfinite(estimate):
        return float("nan"), float("nan"), float("nan"), int(d.size)
    tol = TIE_RTOL * max(abs(estimate), np.finfo(float).tiny)
    two = float(np.mean(np.abs(d) >= abs(estimate) - tol))
    upper = float(np.mean(d >= estimate - tol))
    lower = float(np.mean(d <= estimate + tol))
    return two, upper, lower, int(d.size)


def _summary(term: str, design: str, estimate: float, draws: np.ndarray, seed: int) -> pd.DataFrame:
    two, upper, lower, n = extreme_shares(estimate, draws)
    valid = draws[~np.isnan(draws)]
    q = np.quantile(valid, [0.025, 0.975]) if valid.size else [np.nan, np.nan]
    row = {"term": term, "design": design, "estimate": estimate, "n_draws": n,
           "draws_mean": float(valid.mean()) if n else np.nan,
           "draws_sd": float(valid.std(ddof=1)) if n > 1 else np.nan,
           "draws_q025": float(q[0]), "draws_q975": float(q[1]),
           "p_two_sided": two, "p_upper": upper, "p_lower": lower, "seed": seed}
    return pd.DataFrame([row], columns=list(SUMMARY_COLUMNS))


def _check_reps(reps: int) -> None:
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 1:
        raise ValueError(f"reps must be a positive integer, got {reps!r}")


# ---------------------------------------------------------------------------------------------
# draws


def permute_cohorts(g: np.ndarray, design: str, reps: int, seed: int,
                    indices: np.ndarray | None = None) -> np.ndarray:
    """(draws x n) placebo first-treated years for the n entities whose real ones are `g` (0 = never treated).

    "entities": each row is a random permutation of g (cohort sizes kept); "timing": the treated entries (g > 0)
    are permuted among themselves, never-treated entities stay 0. Row i is draw i of `reps`, permuted with its
    own stream `draw_rng(seed, i)`, so any subset of draws (`indices`, default all) can be computed alone.
    """
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")
    _check_reps(reps)
    g = np.asarray(g, dtype=np.int64)
    indices = np.arange(reps) if indices is None else np.asarray(indices, dtype=np.int64)
    out = np.broadcast_to(g, (indices.size, g.size)).copy()
    moved = slice(None) if design == "entities" else np.flatnonzero(g > 0)
    values = g[moved]
    for row, i in zip(out, indices, strict=True):
        row[moved] = draw_rng(seed, int(i)).permutation(values)
    return out


def within_group_permutations(groups: np.ndarray, draws: int | np.ndarray, seed: int) -> Iterator[np.ndarray]:
    """Yield one index array p (length N) per draw: the permuted column is x[p], rows exchanged only within a group.

    `draws`: the draw indices (an int n means 0..n-1). Draw b uses only its own stream `draw_rng(seed, b)`:
    it shuffles each group's rows in order of the sorted group values, one `permutation` per group, so a
    draw is the same whichever other draws are computed with it (shards of a cluster run).
    """
    if isinstance(draws, (int, np.integer)):
        _check_reps(draws)
        draws = np.arange(draws)
    codes = codes_of(np.asarray(groups))
    order = np.argsort(codes, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(codes))]
    for b in draws:
        rng = draw_rng(seed, int(b))
        perm = np.empty(codes.size, dtype=np.int64)
        for lo, hi in itertools.pairwise(bounds):
            rows = order[lo:hi]
            perm[rows] = rows[rng.permutation(hi - lo)]
        yield perm


# ---------------------------------------------------------------------------------------------
# the Frisch-Waugh-Lovell core


class PartialledOut:
    """Coefficients of one column at a time on a fixed outcome, absorbed effects and controls.

    Built once: ỹ = M y with M the residual maker of the absorbed effects and the (collinear-free) controls.
    `coefficients(Z)` returns b_j = z̃_j'ỹ / z̃_j'z̃_j for every column of Z (N x c), NaN where z̃_j is
    (numerically) zero, i.e. the placebo column is absorbed by the effects and controls.
    """

    def __init__(self, codes: Sequence[np.ndarray], y: np.ndarray, controls: np.ndarray) -> None:
        self.absorber = Absorber(list(codes))
        data = np.asfortranarray(np.column_stack([y, controls]).astype(float))
        norms = np.linalg.norm(data, axis=0)
        self.absorber.demean(data)
        xd = data[:, 1:]
        kept = _independent_by_scale(xd, norms[1:]) if xd.shape[1] else []
        self.n_controls_dropped = xd.shape[1] - len(kept)
        self.q = np.linalg.qr(xd[:, kept])[0] if kept else np.zeros((data.shape[0], 0))
        yd = data[:, 0]
        self.y_resid = yd - self.q @ (self.q.T @ yd)

    def coefficients(self, z: np.ndarray, overwrite: bool = False) -> np.ndarray:
        """One coefficient per column of `z`; `overwrite=True` lets the residualisation work in `z` itself."""
        z = np.asfortranarray(z, dtype=float) if overwrite else np.array(z, dtype=float, order="F")
        raw = np.linalg.norm(z, axis=0)
        self.absorber.demean(z)
        if self.q.shape[1]:
            z -= self.q @ (self.q.T @ z)
        ss = np.einsum("ij,ij->j", z, z)
        with np.errstate(invalid="ignore", divide="ignore"):
            beta = (z.T @ self.y_resid) / ss
        beta[np.sqrt(ss) <= COLLINEAR_TOL * raw] = np.nan
        return beta


def _blocks(reps: int) -> Iterator[slice]:
    for start in range(0, reps, BLOCK):
        yield slice(start, min(start + BLOCK, reps))


# ---------------------------------------------------------------------------------------------
# staggered DID placebo


@dataclass(frozen=True)
class _DidSample:
    """The static TWFE estimation sample, in a form the draws can reuse."""

    core: PartialledOut
    t: np.ndarray  # (N,) year of each row
    unit: np.ndarray  # (N,) position of the row's entity in `entities`
    entities: np.ndarray  # sorted distinct entities of the estimation sample
    g: np.ndarray  # their real first-treated years
    nobs: int


def _did_sample(df: pd.DataFrame, entity: str, time: str, outcome: str, first_treat: str,
                controls: Sequence[str]) -> _DidSample:
    """Rows `twfe_static` uses: `prepare`'s checks and listwise deletion, then iterated singletons (unit, year)."""
    panel = prepare(df, entity, time, outcome, first_treat, controls)
    frame = panel.frame
    codes = [codes_of(frame["unit"].to_numpy()), codes_of(frame["t"].to_numpy())]
    keep = singleton_mask(codes)
    frame = frame.loc[keep]
    unit = codes_of(frame["unit"].to_numpy())
    codes = [unit, codes_of(frame["t"].to_numpy())]
    entities = np.unique(frame["unit"].to_numpy())
    g_rows = frame["g"].to_numpy(np.int64)
    g = np.zeros(entities.size, dtype=np.int64)
    g[unit] = g_rows
    x = frame[panel.control_cols].to_numpy(float) if panel.controls else np.zeros((len(frame), 0))
    core = PartialledOut(codes, frame["y"].to_numpy(float), x)
    return _DidSample(core, frame["t"].to_numpy(np.int64), unit, entities, g, len(frame))


def _treatment_columns(sample: _DidSample, assignments: np.ndarray) -> np.ndarray:
    """(N x c) D_it = 1[g_i > 0 and t >= g_i] for each row of `assignments` (c x entities)."""
    g_rows = assignments[:, sample.unit].T
    return ((g_rows > 0) & (sample.t[:, None] >= g_rows)).astype(float, order="F")


@limit_blas()
def placebo_did(
    df: pd.DataFrame,
    entity: str,
    time: str,
    outcome: str,
    first_treat: str,
    controls: Sequence[str] = (),
    design: str = "entities",
    reps: int = 1000,
    seed: int = 0,
    estimator: Callable[[pd.DataFrame], float] | None = None,
) -> PlaceboResult:
    """Placebo distribution of a staggered-DID estimate under random cohorts (see the module docstring).

    Default estimator: the static TWFE coefficient of `twfe_static` (unit and year effects, `controls`), by the
    fast FWL path on its estimation sample; `permute_cohorts(g, design, reps, seed)` gives the (reps x entities)
    placebo cohorts of `info["entities"]`. With `estimator=f`, `f` gets the input rows with `first_treat`
    replaced and returns the estimate; the cohorts are permuted over every entity of `df`.
    """
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")
    _check_reps(reps)
    if estimator is None:
        sample = _did_sample(df, entity, time, outcome, first_treat, controls)
        real = sample.g[None, :]
        estimate = float(sample.core.coefficients(_treatment_columns(sample, real))[0])

        def fast(indices: np.ndarray) -> np.ndarray:
            assignments = permute_cohorts(sample.g, design, reps, seed, indices)
            return sample.core.coefficients(_treatment_columns(sample, assignments), overwrite=True)

        draws = resample(f"placebo:{design}", reps, fast)
        info = {"entities": sample.entities, "nobs": sample.nobs, "estimator": "twfe_static",
                "n_controls_dropped": sample.core.n_controls_dropped}
        return PlaceboResult(design, "ATT", estimate, draws, seed,
                             _summary("ATT", design, estimate, draws, seed), info)
    for c in (entity, first_treat):
        if c not in df.columns:
            raise ValueError(f"column {c!r} not in the panel")
    per_entity = df.groupby(entity, sort=True)[first_treat]
    if (per_entity.nunique(dropna=False) > 1).any():
        raise ValueError(f"first-treated column {first_treat!r} is not constant within entity")
    g_entity = per_entity.first()
    entities = g_entity.index.to_numpy()
    pos = pd.Index(entities).get_indexer(df[entity])
    g = g_entity.to_numpy(np.int64)
    estimate = float(estimator(df))

    def refits(indices: np.ndarray) -> np.ndarray:
        return np.array([float(estimator(df.assign(**{first_treat: row[pos]})))
                         for row in permute_cohorts(g, design, reps, seed, indices)])

    draws = resample(f"placebo:{design}", reps, refits)
    info = {"entities": entities, "nobs": len(df), "estimator": "custom"}
    return PlaceboResult(design, "ATT", estimate, draws, seed, _summary("ATT", design, estimate, draws, seed), info)


# ---------------------------------------------------------------------------------------------
# continuous regressor placebo


@limit_blas()
def placebo_regressor(
    df: pd.DataFrame,
    spec: ModelSpec | Mapping[str, Any],
    entity: str,
    time: str,
    regressor: str | None = None,
    reps: int = 1000,
    seed: int = 0,
    name: str = "placebo",
) -> PlaceboResult:
    """Placebo distribution of one regressor's coefficient in a `fit_panel` model, permuted within year.

    The estimation sample is `fit_panel`'s (lags on the full panel, in_sample flag and `sample` query, listwise
    deletion, iterated singletons); the values of `regressor` (default: the first regressor) as they enter the
    model, lagged if the model lags it, are permuted among the sample's rows of the same calendar year (`time`).
    Every other regressor, control and absorbed effect stays as it is. `info["rows"]` holds the positions (in
    `df`) of the estimation rows in the order the permutations index them (`within_group_permutations`).
    """
    spec = parse_spec(spec, name, entity, time) if not isinstance(spec, ModelSpec) else spec
    check_columns(spec, df.columns, entity, time)
    term = spec.regressors[0] if regressor is None else regressor
    if term not in spec.terms:
        raise ValueError(f"model {spec.name!r}: {term!r} is not a regressor or control of the model")
    _check_reps(reps)
    rows = estimation_rows(df, spec, entity, time)
    codes = fe_codes(rows, spec, entity, time)
    if codes:
        keep = singleton_mask(codes)
        rows = rows.loc[keep]
        codes = fe_codes(rows, spec, entity, time)
    others = [c for c in spec.terms if c != term]
    y = numeric_matrix(rows, [spec.outcome], spec.name)[:, 0]
    x = numeric_matrix(rows, [term], spec.name)[:, 0]
    core = PartialledOut(codes, y, numeric_matrix(rows, others, spec.name))
    estimate = float(core.coefficients(x[:, None])[0])
    if np.isnan(estimate):
        raise ValueError(f"model {spec.name!r}: {term!r} is collinear with the fixed effects and other terms")
    years = rows[time].to_numpy()

    def compute(indices: np.ndarray) -> np.ndarray:
        """b* of these draws: one column per draw, residualised together (a block of `draws.BLOCK`)."""
        z = np.empty((x.size, indices.size), order="F")
        for j, perm in enumerate(within_group_permutations(years, indices, seed)):
            z[:, j] = x[perm]
        return core.coefficients(z, overwrite=True)

    draws = resample(f"placebo:{term}", reps, compute)
    info = {"rows": rows.index.to_numpy(), "nobs": len(rows), "model": spec.name,
            "n_controls_dropped": core.n_controls_dropped}
    return PlaceboResult("regressor", term, estimate, draws, seed,
                         _summary(term, "regressor", estimate, draws, seed), info)
