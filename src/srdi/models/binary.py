"""Binary outcome (SRDI designation, 0/1): linear probability model and conditional logit.

* `lpm`: `fit_panel` unchanged (firm and year effects, reghdfe-style SE), so it is the `panel`
  model on a 0/1 outcome.
* `clogit`: Chamberlain's (1980) fixed-effects logit, statsmodels `ConditionalLogit` grouped by firm
  with year dummies as regressors when `time` is in `fe` (their coefficients are not reported).
  Firms whose outcome never changes in the sample carry no information in the conditional
  likelihood and are dropped before the fit; their observations are counted in `n_singletons`.
  A term constant within every remaining firm (or collinear with the year dummies and earlier
  terms) is dropped with a `CollinearityWarning`, as in `fit_panel`.
  Covariance: `vcov: {type: unadjusted}` gives statsmodels' default, the inverse of the (numerical)
  observed information; `cluster` (by the firm or a column in which firms are nested) and `robust`
  give the cluster sandwich H⁻¹ (Σ_c s_c s_c') H⁻¹ · G/(G-1) built from statsmodels' per-firm scores
  (`score_grp`), which is Stata's `clogit, vce(cluster)`; `robust` clusters on the firm, as Stata's
  `clogit, vce(robust)` does. statsmodels' `ConditionalLogit.fit` itself offers no robust option.
  Inference is z-based (normal p-values and CIs), as for any ML estimator.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from srdi.models import dist
from srdi.models.moderation import estimation_rows, panel_spec
from srdi.models.panel import CollinearityWarning, _independent_columns, fit_panel
from srdi.models.spec import ModelSpec, check_columns, check_entry
from srdi.models.tidy import TIDY_COLUMNS, term_lag, tidy
from srdi.models.within import codes_of, demean, is_nested

BINARY_KEYS = frozenset({"kind", "outcome", "regressors", "controls", "fe", "vcov", "lag", "sample", "methods"})
METHODS = ("lpm", "clogit")
EXTRA_COLUMNS = ("equation", "method")


@dataclass(frozen=True)
class ClogitResult:
    params: pd.Series
    std_errors: pd.Series
    cov: pd.DataFrame
    nobs: int
    n_groups: int
    n_dropped: int  # observations without information: firms (or years) whose outcome never changes
    n_clusters: int | None
    vcov_label: str
    dropped_terms: tuple[str, ...]
    converged: bool


def parse_binary(raw: Mapping[str, Any], name: str, entity: str, time: str) -> tuple[ModelSpec, tuple[str, ...]]:
    check_entry(raw, BINARY_KEYS, "binary", name)
    methods = raw.get("methods", list(METHODS))
    if isinstance(methods, str) or not isinstance(methods, Sequence) or not methods:
        raise ValueError(f"model {name!r}: methods must be a non-empty list among {list(METHODS)}, got {methods!r}")
    bad = [m for m in methods if m not in METHODS]
    if bad or len(set(methods)) != len(methods):
        raise ValueError(f"model {name!r}: methods must be distinct values among {list(METHODS)}, got {list(methods)}")
    spec = panel_spec(raw, raw.get("regressors", []), name, entity, time)
    effects = spec.fe_terms(entity, time)
    if "clogit" in methods and (entity not in effects or not set(effects) <= {entity, time}):
        raise ValueError(
            f"model {name!r}: clogit conditions on the firm ({entity!r}) and takes year dummies ({time!r}); "
            f"fe must be [entity] or [entity, time], got {list(spec.fe)}"
        )
    return replace(spec, kind="binary"), tuple(methods)


def _check_binary(y: pd.Series, spec: ModelSpec) -> None:
    values = pd.unique(y.astype(float))
    if not set(values) <= {0.0, 1.0}:
        shown = sorted(values)[:5]
        raise ValueError(f"model {spec.name!r}: outcome {spec.outcome!r} must be 0/1, found values {shown}")


def _clogit_design(
    rows: pd.DataFrame, spec: ModelSpec, entity: str, time: str
) -> tuple[np.ndarray, list[str], list[str]]:
    """Firm-demeaned [year dummies, terms] minus columns not identified given firm effects; year dummies
    come first so that, as in `fit_panel`, a term absorbed by the year effects is the one dropped."""
    terms = list(spec.terms)
    x_terms = rows[terms].astype(float).to_numpy()
    if time in spec.fe_terms(entity, time):
        years = pd.get_dummies(rows[time], dtype=float)
        x_all = np.column_stack([years.to_numpy(), x_terms])
        names = [f"_year_{y}" for y in years.columns] + terms
    else:
        x_all, names = x_terms, terms
    x_within = demean(x_all, [codes_of(rows[entity])])
    kept = _independent_columns(x_within, x_all)
    dropped = [names[j] for j in range(len(names)) if j not in kept and names[j] in terms]
    # The conditional likelihood is unchanged by a firm-specific shift of x; demeaned x keeps
    # statsmodels' exp(x'b) recursion from overflowing on levels such as log assets.
    return x_within[:, kept], [names[j] for j in kept], dropped


def _cluster_codes(rows: pd.DataFrame, spec: ModelSpec, entity: str) -> tuple[np.ndarray | None, str]:
    if spec.vcov_type == "unadjusted":
        return None, "unadjusted"
    by = spec.cluster_by if spec.vcov_type == "cluster" else (entity,)
    if len(by) != 1:
        raise ValueError(f"model {spec.name!r}: clogit supports one cluster variable, got {list(by)}")
    codes = codes_of(rows[by[0]])
    if not is_nested(codes_of(rows[entity]), codes):
        raise ValueError(
            f"model {spec.name!r}: clogit can only cluster by a column in which firms are nested, not {by[0]!r}"
        )
    return codes, f"cluster:{by[0]}"


def informative_rows(rows: pd.DataFrame, spec: ModelSpec, entity: str, time: str) -> pd.DataFrame:
    """Drop, until nothing changes, firms whose outcome never changes and (with year effects) years whose
    outcome is the same for every remaining firm: such a year dummy predicts the outcome perfectly (its
    coefficient runs off to infinity), so Stata's clogit drops those observations too. An absorbing
    designation that starts in some calendar year makes every earlier year such a case."""
    while True:
        firm_varies = rows.groupby(entity)[spec.outcome].transform("nunique").to_numpy() > 1
        year_varies = (
            rows.groupby(time)[spec.outcome].transform("nunique").to_numpy() > 1
            if time in spec.fe_terms(entity, time)
            else np.ones(len(rows), dtype=bool)
        )
        keep = firm_varies & year_varies
        if keep.all():
            return rows
        rows = rows[keep]


def fit_clogit(rows: pd.DataFrame, spec: ModelSpec, entity: str, time: str) -> ClogitResult:
    """Conditional logit on the complete rows (see module docstring for the conventions)."""
    rows_in = rows
    rows = informative_rows(rows, spec, entity, time)
    n_dropped = len(rows_in) - len(rows)
    if rows.empty and not (rows_in.groupby(entity)[spec.outcome].nunique() > 1).any():
        raise ValueError(f"model {spec.name!r}: no firm's outcome {spec.outcome!r} changes; clogit is not identified")
    if rows.empty:
        raise ValueError(
            f"model {spec.name!r}: clogit has no informative observations left after dropping years in which "
            f"{spec.outcome!r} does not vary (they predict it perfectly) and firms in which it never changes; "
            "an absorbing 0->1 outcome with year effects is not identified by a conditional logit "
            "(use fe: [entity], or methods: [lpm])"
        )
    x, names, dropped = _clogit_design(rows, spec, entity, time)
    if dropped:
        warnings.warn(
            f"model {spec.name!r}: clogit dropped term(s) {dropped} (constant within firms or collinear)",
            CollinearityWarning,
            stacklevel=3,
        )
    kept_terms = [n for n in names if n in spec.terms]
    if not kept_terms:
        raise ValueError(f"model {spec.name!r}: every regressor is collinear or absorbed in clogit: {list(spec.terms)}")
    firm = codes_of(rows[entity])
    y = rows[spec.outcome].to_numpy(dtype=float)
    from statsmodels.discrete.conditional_models import ConditionalLogit  # clogit only: statsmodels is slow to import

    model = ConditionalLogit(y, x, groups=firm)
    # BFGS is robust from zero but stops early (statsmodels does not forward gtol); Newton polishes.
    clusters, label = _cluster_codes(rows, spec, entity)
    try:
        start = model.fit(method="bfgs", maxiter=1000, disp=False).params
        res = model.fit(method="newton", start_params=start, maxiter=100, disp=False)
        params = np.asarray(res.params)
        if clusters is None:
            cov = np.asarray(res.cov_params())
            n_clusters = None
        else:
            cov, n_clusters = _cluster_cov(model, params, firm, clusters)
    except (ValueError, np.linalg.LinAlgError) as err:
        # statsmodels cannot invert the information matrix: the likelihood is flat in some direction, which
        # happens when too few firms change their outcome for this many regressors.
        raise ValueError(
            f"model {spec.name!r}: the conditional logit's information matrix is singular at the estimate "
            f"({int(firm.max()) + 1} firms with a change in {spec.outcome!r}, {x.shape[1]} regressors); "
            f"use fewer regressors, a larger sample or methods: [lpm] ({err})"
        ) from err
    idx = [names.index(t) for t in kept_terms]
    sub = cov[np.ix_(idx, idx)]
    if not (np.isfinite(params[idx]).all() and np.isfinite(np.diag(sub)).all()):
        # statsmodels' likelihood overflows when coefficients run off (quasi-separation): no estimate exists.
        raise ValueError(
            f"model {spec.name!r}: the conditional logit has no finite estimate (the likelihood overflows as "
            f"coefficients grow: {spec.outcome!r} is (nearly) separated by the regressors within firms); "
            "use fewer or non-trending regressors, or methods: [lpm]"
        )
    return ClogitResult(
        params=pd.Series(params[idx], index=kept_terms),
        std_errors=pd.Series(np.sqrt(np.diag(sub)), index=kept_terms),
        cov=pd.DataFrame(sub, index=kept_terms, columns=kept_terms),
        nobs=len(rows),
        n_groups=int(firm.max()) + 1,
        n_dropped=n_dropped,
        n_clusters=n_clusters,
        vcov_label=label,
        dropped_terms=tuple(t for t in spec.terms if t in dropped),
        converged=_converged(model, params),
    )


def _converged(model: Any, params: np.ndarray) -> bool:
    """statsmodels drops the optimiser's report, so check the first-order condition instead."""
    score = np.asarray(model.score(params))
    return bool(np.isfinite(params).all() and np.abs(score).max() <= 1e-4 * max(1.0, np.sqrt(model.nobs)))


def _cluster_cov(
    model: Any, params: np.ndarray, firm: np.ndarray, clusters: np.ndarray
) -> tuple[np.ndarray, int]:
    """G/(G-1) H⁻¹ M H⁻¹ with M from per-firm scores summed within clusters (firms nested in clusters)."""
    # statsmodels stores groups in order of first appearance of the group code
    order = pd.unique(firm)
    cluster_of_firm = pd.Series(clusters).groupby(firm).first()
    scores = np.array([model.score_grp(g, params) for g in range(len(order))])
    ccodes = codes_of(cluster_of_firm.loc[order].to_numpy())
    g = int(ccodes.max()) + 1
    sums = np.zeros((g, scores.shape[1]))
    np.add.at(sums, ccodes, scores)
    h_inv = np.linalg.inv(-model.hessian(params))
    cov = g / (g - 1) * h_inv @ (sums.T @ sums) @ h_inv
    return (cov + cov.T) / 2, g


def tidy_clogit(res: ClogitResult, spec: ModelSpec, name: str) -> pd.DataFrame:
    terms = list(res.params.index)
    b, se = res.params.to_numpy(), res.std_errors.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = b / se
    crit = dist.norm_ppf(0.975)
    n = len(terms)
    frame = pd.DataFrame(
        {
            "model": name,
            "outcome": spec.outcome,
            "term": terms,
            "lag": [term_lag(spec, t) for t in terms],
            "estimate": b,
            "std_error": se,
            "statistic": z,
            "p_value": 2 * dist.norm_sf(np.abs(z)),
            "conf_low": b - crit * se,
            "conf_high": b + crit * se,
            "nobs": res.nobs,
            "r2_within": np.nan,
            "n_clusters": pd.array([res.n_clusters] * n, dtype="Int64"),
            "fe": spec.fe_label,
            "vcov": res.vcov_label,
            "n_singletons": res.n_dropped,
            "dropped_terms": ";".join(res.dropped_terms),
            "equation": "clogit",
            "method": np.nan,
        }
    )
    return frame


def fit_binary(df: pd.DataFrame, raw: Mapping[str, Any], name: str, entity: str, time: str) -> pd.DataFrame:
    spec, methods = parse_binary(raw, name, entity, time)
    check_columns(spec, df.columns, entity, time)
    rows = estimation_rows(df, spec, entity, time)
    _check_binary(rows[spec.outcome], spec)
    frames = []
    if "lpm" in methods:
        frames.append(tidy(fit_panel(df, spec, entity, time, name=name), name).assign(equation="lpm", method=np.nan))
    if "clogit" in methods:
        res = fit_clogit(rows, spec, entity, time)
        if not res.converged:
            warnings.warn(f"model {name!r}: conditional logit did not converge", RuntimeWarning, stacklevel=2)
        frames.append(tidy_clogit(res, spec, name))
    out = pd.concat(frames, ignore_index=True)
    out["n_clusters"] = out["n_clusters"].astype("Int64")
    return out[[*TIDY_COLUMNS, *EXTRA_COLUMNS]].astype({"nobs": "int64", "n_singletons": "int64"})


def fit(panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int) -> pd.DataFrame:
    """Registry entry (`kind: binary`); `seed` is unused (nothing random)."""
    return fit_binary(panel, spec, name, entity, time)
