"""Propensity-score matching for a staggered DID (PSM-DID): who is compared with whom, before the DID is re-run.

Conventions (docs/estimation.md, "Staggered DID: placebo tests and matching"):

* **Matching rows** (`matching_rows`). A treated entity (first treated year g > 0) is described by its covariates
  in year g - 1, the year before its first treated year; it is compared with never-treated entities (g = 0)
  measured in the *same calendar year* g - 1. So every matching row belongs to one calendar year and hence one
  cohort (cohort = year + 1). Not-yet-treated entities are not used as controls. A treated entity without a row in
  g - 1, or with a missing covariate there, cannot be matched and is listed in `unmatchable`; control rows with a
  missing covariate are dropped (counted). Entities without a pre-period are dropped by `validate_first_treat`.
* **Propensity score** (`logit`): maximum-likelihood logit of the treated indicator on an intercept and the
  covariates, by Newton-Raphson (converged when the largest Newton step is below 1e-10 of the parameter scale).
  `by="year"` (default, year-by-year matching): one logit per calendar year on that year's matching rows; `by=
  "pooled"`: one logit on all matching rows (no year dummies). In both cases treated rows are matched only to
  control rows of the same calendar year.
* **Nearest neighbour** (`nearest_neighbors`), 1:k (`k`, default 1): distance |p_i - p_j| on the score
  (`caliper_scale="score"`, default, caliper 0.05 on the probability scale as psmatch2's `caliper(0.05)`), or
  |logit p_i - logit p_j| with the caliper in standard deviations of the logit of the score over the matching
  problem's rows (`caliper_scale="logit_sd"`, Austin 2011's 0.2). A pair is admissible when distance <= caliper
  (`caliper=None`: no caliper). With replacement (default, psmatch2's default) each treated row takes its k
  nearest admissible controls; without replacement, matching is greedy in rounds as MatchIt's nearest
  neighbour: treated rows in `order` ("largest" score first, default; "smallest"; "random" with `seed`) each take
  their nearest still-unused admissible control, and a second round starts only after every treated row had its
  first. Ties in distance go to the control row that comes first (rows sorted by entity). Treated rows with no
  admissible control are unmatched (off common support) and listed in `unmatched`.
* **Weights** (psmatch2's `_weight`): a matched treated row has weight 1; a control row has the sum, over the
  treated rows it is matched to, of 1 / (that treated row's number of matches). Entity weights (for the DID
  sample) sum the row weights of the entity over years; unmatched entities have weight 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from srdi.models.did.cohorts import validate_first_treat

BY = ("year", "pooled")
CALIPER_SCALES = ("score", "logit_sd")
ORDERS = ("largest", "smallest", "random")
NEWTON_TOL = 1e-10
NEWTON_MAXITER = 100
CHUNK = 2_000  # treated rows per distance block (bounds memory at CHUNK x controls)


# ---------------------------------------------------------------------------------------------
# logit


@dataclass(frozen=True)
class LogitResult:
    """Maximum-likelihood logit: coefficients (intercept first), their inverse-information covariance, fit."""

    params: pd.Series
    cov: pd.DataFrame
    llf: float
    nobs: int
    iterations: int

    def predict(self, x: np.ndarray) -> np.ndarray:
        """P(treated | x) for covariate rows x (without the intercept column)."""
        return _sigmoid(self.params.iloc[0] + np.asarray(x, dtype=float) @ self.params.iloc[1:].to_numpy())


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


def logit(d: np.ndarray, x: np.ndarray, names: Sequence[str] | None = None) -> LogitResult:
    """Logit of 0/1 `d` on an intercept and the columns of `x` by Newton-Raphson with step halving.

    Raises ValueError when the design is rank deficient, when the outcome has one value, or when the fit does not
    converge (complete or quasi-complete separation: the likelihood has no finite maximum).
    """
    d = np.asarray(d, dtype=float)
    x = np.asarray(x, dtype=float).reshape(d.size, -1)
    names = [f"x{j}" for j in range(x.shape[1])] if names is None else list(names)
    z = np.column_stack([np.ones(d.size), x])
    if d.min() == d.max():
        raise ValueError("logit: the treatment indicator has one value only (need treated and control rows)")
    if np.linalg.matrix_rank(z) < z.shape[1]:
        raise ValueError(f"logit: the covariates {names} (with the intercept) are collinear on these rows")

    def loglik(b: np.ndarray) -> float:
        eta = z @ b
        return float(np.sum(d * eta - np.logaddexp(0.0, eta)))

    beta = np.zeros(z.shape[1])
    beta[0] = np.log(d.mean() / (1 - d.mean()))
    ll = loglik(beta)
    n_iter = 0
    for _ in range(NEWTON_MAXITER):
        n_iter += 1
        p = _sigmoid(z @ beta)
        info = z.T @ (z * (p * (1 - p))[:, None])
        try:
            step = np.linalg.solve(info, z.T @ (d - p))
        except np.linalg.LinAlgError:
            raise ValueError("logit: singular information matrix (perfect separation of treated and controls)") \
                from None
        size = 1.0
        while True:
            cand = beta + size * step
            ll_new = loglik(cand)
            if ll_new >= ll - 1e-12 * abs(ll) or size < 1e-8:
                break
            size /= 2
        beta, ll = cand, ll_new
        if np.max(np.abs(size * step)) <= NEWTON_TOL * max(1.0, float(np.max(np.abs(beta)))):
            break
    else:
        raise ValueError("logit: Newton-Raphson did not converge (perfect separation of treated and controls?)")
    p = _sigmoid(z @ beta)
    if np.max(np.abs(beta)) > 50 or np.min(p * (1 - p)) < 1e-14:
        raise ValueError("logit: fitted probabilities of 0 or 1 (perfect separation of treated and controls)")
    info = z.T @ (z * (p * (1 - p))[:, None])
    terms = ["const", *names]
    cov = np.linalg.inv(info)
    return LogitResult(pd.Series(beta, index=terms), pd.DataFrame(cov, index=terms, columns=terms), ll, d.size, n_iter)


# ---------------------------------------------------------------------------------------------
# nearest neighbours


def nearest_neighbors(
    treated: np.ndarray,
    controls: np.ndarray,
    k: int = 1,
    caliper: float | None = None,
    replace: bool = True,
    order: str = "largest",
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Match treated to control positions on one distance scale; returns (treated_pos, control_pos) pairs.

    Pairs are listed by round (the r-th match of every treated row) then treated position; see the module
    docstring for the greedy order, the ties and the caliper (inclusive).
    """
    t = np.asarray(treated, dtype=float)
    c = np.asarray(controls, dtype=float)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if order == "random" and not replace and seed is None:
        raise ValueError("order='random' needs a seed (reproducible matching)")
    limit = np.inf if caliper is None else float(caliper)
    if c.size == 0 or t.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if replace:
        return _with_replacement(t, c, k, limit)
    if order == "largest":
        seq = np.argsort(-t, kind="stable")
    elif order == "smallest":
        seq = np.argsort(t, kind="stable")
    else:
        seq = np.random.default_rng(seed).permutation(t.size)
    used = np.zeros(c.size, dtype=bool)
    done = np.zeros(t.size, dtype=bool)  # no admissible control left: skip in later rounds
    pairs_t, pairs_c = [], []
    for _ in range(k):
        for i in seq:
            if done[i]:
                continue
            dist = np.abs(c - t[i])
            dist[used] = np.inf
            j = int(np.argmin(dist))  # first minimum: ties go to the earlier control
            if used[j] or not dist[j] <= limit:  # every control used, or none within the caliper
                done[i] = True
                continue
            used[j] = True
            pairs_t.append(int(i))
            pairs_c.append(j)
    return np.asarray(pairs_t, dtype=np.int64), np.asarray(pairs_c, dtype=np.int64)


def _with_replacement(t: np.ndarray, c: np.ndarray, k: int, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest controls of every treated row (stable ties), kept when within the caliper."""
    kk = min(k, c.size)
    pt, pc, pr = [], [], []
    for lo in range(0, t.size, CHUNK):
        dist = np.abs(t[lo:lo + CHUNK, None] - c[None, :])
        nearest = np.argsort(dist, axis=1, kind="stable")[:, :kk]
        m, r = np.nonzero(np.take_along_axis(dist, nearest, axis=1) <= limit)
        pt.append(lo + m)
        pc.append(nearest[m, r])
        pr.append(r)
    rows, cols, rounds = (np.concatenate(a) for a in (pt, pc, pr))
    order = np.lexsort((rows, rounds))  # round-major, as the greedy matching lists its pairs
    return rows[order], cols[order]


# ---------------------------------------------------------------------------------------------
# the panel design


@dataclass(frozen=True)
class MatchingRows:
    """Treated rows in g - 1 and never-treated rows in the same calendar years, complete covariates."""

    frame: pd.DataFrame  # columns: entity, time, cohort, treated, the covariates; sorted by (time, entity)
    unmatchable: tuple  # treated entities with no complete row in g - 1
    n_control_missing: int  # control rows dropped for a missing covariate
    dropped_no_pre: tuple  # treated entities without a pre-period (validate_first_treat)


def matching_rows(
    df: pd.DataFrame, entity: str, time: str, first_treat: str, covariates: Sequence[str], model: str = "psm"
) -> MatchingRows:
    """The rows the propensity score and the balancing weights are computed on (module docstring)."""
    covariates = list(covariates)
    if not covariates:
        raise ValueError(f"model {model!r}: at least one covariate is needed")
    cohorts = validate_first_treat(df, entity, time, first_treat, model)
    data = cohorts.frame
    missing = [c for c in covariates if c not in data.columns]
    if missing:
        raise ValueError(f"model {model!r}: covariate column(s) {missing} not in the data")
    g = data[first_treat].to_numpy(np.int64)
    t = data[time].to_numpy(np.int64)
    treated_years = np.unique(g[g > 0] - 1)
    is_t = (g > 0) & (t == g - 1)
    is_c = (g == 0) & np.isin(t, treated_years)
    complete = data[covariates].notna().all(axis=1).to_numpy()
    for c in covariates:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise ValueError(f"model {model!r}: covariate {c!r} is not numeric")
    if not (is_c & complete).any():
        raise ValueError(f"model {model!r}: no never-treated entity with complete covariates in the years before "
                         "treatment: nothing to match with")
    keep = (is_t | is_c) & complete
    frame = pd.DataFrame({"entity": data[entity].to_numpy()[keep], "time": t[keep], "cohort": t[keep] + 1,
                          "treated": is_t[keep]})
    for c in covariates:
        frame[c] = data[c].to_numpy(dtype=float)[keep]
    if not np.isfinite(frame[covariates].to_numpy()).all():
        raise ValueError(f"model {model!r}: covariates have infinite values")
    frame = frame.sort_values(["time", "entity"], kind="stable").reset_index(drop=True)
    all_treated = pd.unique(data.loc[g > 0, entity])
    unmatchable = tuple(np.setdiff1d(all_treated, frame.loc[frame["treated"], "entity"]).tolist())
    return MatchingRows(frame, unmatchable, int((is_c & ~complete).sum()), cohorts.dropped_no_pre)


@dataclass(frozen=True)
class MatchResult:
    """Propensity scores, pairs, row and entity weights of a PSM on the panel."""

    rows: pd.DataFrame  # matching rows + score, weight (0 when not used), matched
    pairs: pd.DataFrame  # treated, control, time, cohort, rank, score_treated, score_control, distance
    weights: pd.DataFrame  # entity, treated, weight (entities with weight > 0: the matched sample)
    logits: dict[Any, LogitResult]  # by calendar year (by="year") or {"pooled": ...}
    unmatched: tuple  # treated entities without an admissible control (off support) or without a g-1 row
    info: dict[str, Any] = field(default_factory=dict)

    def sample(self, df: pd.DataFrame, entity: str, weight: str = "match_weight") -> pd.DataFrame:
        """The rows of `df` whose entity is in the matched sample, with the entity weight in column `weight`."""
        return weighted_rows(self.weights, df, entity, weight)


def weighted_rows(weights: pd.DataFrame, df: pd.DataFrame, entity: str, weight: str) -> pd.DataFrame:
    """Rows of `df` whose entity is listed in `weights` (entity, weight), with that weight in column `weight`: the
    sample a matched or reweighted DID is re-run on."""
    w = weights.set_index("entity")["weight"]
    keep = df[entity].isin(w.index)
    return df.loc[keep].assign(**{weight: df.loc[keep, entity].map(w).to_numpy()})


def psm_match(
    df: pd.DataFrame,
    entity: str,
    time: str,
    first_treat: str,
    covariates: Sequence[str],
    by: str = "year",
    k: int = 1,
    replace: bool = True,
    caliper: float | None = 0.05,
    caliper_scale: str = "score",
    order: str = "largest",
    seed: int | None = None,
) -> MatchResult:
    """PSM for a staggered design: logit score, nearest-neighbour matching within calendar year, weights.

    Re-run the DID on `result.sample(df, entity)` (its entities, all years). See the module docstring.
    """
    if by not in BY:
        raise ValueError(f"by must be one of {BY}, got {by!r}")
    if caliper_scale not in CALIPER_SCALES:
        raise ValueError(f"caliper_scale must be one of {CALIPER_SCALES}, got {caliper_scale!r}")
    if caliper is not None and not caliper > 0:
        raise ValueError(f"caliper must be positive or None, got {caliper!r}")
    mr = matching_rows(df, entity, time, first_treat, covariates)
    rows = mr.frame
    x = rows[list(covariates)].to_numpy()
    d = rows["treated"].to_numpy()
    score = np.empty(len(rows))
    logits: dict[Any, LogitResult] = {}
    groups = rows.groupby("time").indices if by == "year" else {"pooled": np.arange(len(rows))}
    for key, idx in groups.items():
        if not d[idx].any():
            score[idx] = np.nan
            continue
        try:
            fit = logit(d[idx], x[idx], covariates)
        except ValueError as err:
            raise ValueError(f"propensity score for {'year ' + str(key) if by == 'year' else 'the pooled rows'}: "
                             f"{err}") from err
        logits[int(key) if by == "year" else key] = fit
        score[idx] = fit.predict(x[idx])
    rows = rows.assign(score=score)
    metric = score if caliper_scale == "score" else np.log(score) - np.log1p(-score)
    pair_t, pair_c, pair_r = [], [], []
    for year, idx in rows.groupby("time").indices.items():
        ti, ci = idx[d[idx]], idx[~d[idx]]
        if ti.size == 0:
            continue
        limit = caliper
        if caliper is not None and caliper_scale == "logit_sd":
            scope = idx if by == "year" else np.arange(len(rows))
            limit = caliper * float(np.std(metric[scope], ddof=1))
        seed_year = None if seed is None else seed + int(year)
        pt, pc = nearest_neighbors(metric[ti], metric[ci], k, limit, replace, order, seed_year)
        rank = np.zeros(pt.size, dtype=np.int64)
        counts: dict[int, int] = {}
        for n, i in enumerate(pt):
            counts[int(i)] = counts.get(int(i), 0) + 1
            rank[n] = counts[int(i)]
        pair_t.append(ti[pt])
        pair_c.append(ci[pc])
        pair_r.append(rank)
    pt = np.concatenate(pair_t) if pair_t else np.zeros(0, dtype=np.int64)
    pc = np.concatenate(pair_c) if pair_c else np.zeros(0, dtype=np.int64)
    rank = np.concatenate(pair_r) if pair_r else np.zeros(0, dtype=np.int64)
    n_matches = np.bincount(pt, minlength=len(rows))
    weight = np.zeros(len(rows))
    weight[n_matches > 0] = 1.0
    np.add.at(weight, pc, 1.0 / n_matches[pt])
    rows = rows.assign(weight=weight, matched=weight > 0)
    ent = rows["entity"].to_numpy()
    pairs = pd.DataFrame({"treated": ent[pt], "control": ent[pc], "time": rows["time"].to_numpy()[pt],
                          "cohort": rows["cohort"].to_numpy()[pt], "rank": rank,
                          "score_treated": score[pt], "score_control": score[pc],
                          "distance": np.abs(metric[pt] - metric[pc])})
    pairs = pairs.sort_values(["time", "treated", "rank"], kind="stable").reset_index(drop=True)
    used = rows[rows["weight"] > 0]
    weights = (used.groupby("entity", sort=True).agg(treated=("treated", "first"), weight=("weight", "sum"))
               .reset_index())
    off_support = rows.loc[d & (n_matches == 0), "entity"].tolist()
    info = {"by": by, "k": k, "replace": replace, "caliper": caliper, "caliper_scale": caliper_scale,
            "order": order, "seed": seed, "n_control_missing": mr.n_control_missing,
            "dropped_no_pre": mr.dropped_no_pre, "off_support": tuple(off_support),
            "no_pre_row": mr.unmatchable}
    return MatchResult(rows, pairs, weights, logits, tuple(off_support) + mr.unmatchable, info)
