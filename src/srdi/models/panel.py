"""Linear panel regression with absorbed firm/year effects, reghdfe-style inference.

Pipeline of `fit_panel`, in the order Stata users expect from `reghdfe y L.x controls if ...`:

1. lag the named terms by one *calendar* year within entity (on the full panel, so the first
   sample year can use a pre-sample year, as `L.x` does);
2. keep the rows the panel stage flagged `in_sample` (if the column exists), then apply the `sample` query
   (evaluated on the unlagged columns);
3. listwise deletion over outcome, regressors, controls, cluster variables, the columns of the
   absorbed effects (and the panel keys);
4. drop singletons iteratively over the absorbed effects, and count them;
5. within-transform outcome and regressors (`hdfe.Absorber`: any set of effects, e.g. firm, year,
   industry^year, province^year; exact for one or two effects, alternating projections to a relative
   change of 1e-12 beyond); refuse an outcome with no variation;
6. drop exactly collinear terms, judged on the demeaned design, with a warning naming them
   (regressors of interest are kept in preference to controls);
7. point estimates by least squares on the demeaned data (Frisch-Waugh-Lovell; pooled OLS centres
   the columns for its constant). tests/test_models_hdfe.py pins them to linearmodels `PanelOLS`
   and to statsmodels LSDV with explicit dummies at 1e-10;
8. covariance with reghdfe's small-sample convention (`vcov.compute_vcov`; documented there and in
   docs/estimation.md), t-based p-values and 95% CIs with G-1 (clustered) or N-K degrees of freedom.

Analytic weights (`weights: column`, Stata aweights, pyfixest `feols(weights=)`): every estimation row must have a
finite, positive weight (else a ValueError naming the model, the column and example rows; judged after steps 1-3);
step 5 uses weighted group means, step 7 is least squares on the demeaned columns times sqrt(w) (WLS), step 8 the
same formulas on those columns with N = observations (not the sum of weights); means for `_cons` and the TSS of R²
are weighted. HC3 is refused with weights.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg

from srdi.blas_threads import limit_blas
from srdi.models.hdfe import Absorber, interact
from srdi.models.lags import lag_by_time
from srdi.models.rows import sample_mask, t_inference
from srdi.models.spec import ModelSpec, check_columns, parse_spec
from srdi.models.unobserved import no_rows_error
from srdi.models.vcov import compute_vcov, cov_with_constant, score_meat
from srdi.models.within import absorbed_dof, codes_of, singleton_mask

CONS = "_cons"  # Stata's name for the constant's row
COLLINEAR_TOL = 1e-9  # residual norm of a term, relative to its raw norm, below which it is dropped


class CollinearityWarning(UserWarning):
    """A regressor or control was dropped because it is collinear (or absorbed by the effects)."""


@dataclass(frozen=True)
class PanelResult:
    """Estimates and the model-level facts a results table reports."""

    spec: ModelSpec
    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    conf_low: pd.Series
    conf_high: pd.Series
    cov: pd.DataFrame
    nobs: int
    df_resid: int  # degrees of freedom of the t distribution used for inference
    r2_within: float  # 1 - RSS / TSS of the within-transformed outcome (centred R² for pooled OLS)
    n_clusters: int | None
    cluster_counts: tuple[int, ...]
    n_singletons: int
    n_missing: int  # rows of the sample removed by listwise deletion
    dropped_terms: tuple[str, ...]
    df_a: int  # absorbed FE parameters counted in K
    k_total: int  # K = kept regressors + df_a
    vcov_scale: float  # small-sample factor applied
    # Stata's `_cons` (reghdfe/areg): ybar - xbar'b on the estimation sample (pooled OLS: its intercept), with the
    # SE of the regression of (ỹ + ȳ) on [1, X̃ + x̄] under the slopes' small-sample factor; t, p, CI as the slopes
    cons: float = float("nan")
    cons_se: float = float("nan")
    cov_cons: pd.DataFrame | None = None  # covariance of ["_cons", *terms] (slopes' block = `cov`)
    r2: float = float("nan")  # overall R²: 1 - RSS / sum (y - ybar)² on the estimation sample
    r2_adj: float = float("nan")  # reghdfe e(r2_a): 1 - (RSS / df_r_used) / (TSS / (N - 1))
    r2_within_adj: float = float("nan")  # reghdfe e(r2_a_within): 1 - (RSS / df_r_used) / (TSS_w / (df_r_used + k))
    df_r_used: int = 0  # N - k - (every absorbed level counted, nested ones included): the R² adjustment's df

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(self.params.index)

    def cons_inference(self) -> dict[str, float]:
        """estimate, std_error, statistic, p_value, conf_low, conf_high of `_cons` (t with `df_resid`)."""
        inf = t_inference(np.array([self.cons]), np.array([[self.cons_se**2]]), self.df_resid, [CONS])
        keys = ("params", "std_errors", "tstats", "pvalues", "conf_low", "conf_high")
        names = ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")
        return {name: float(inf[key].iloc[0]) for key, name in zip(keys, names, strict=True)}


def _independent_columns(xd: np.ndarray, x_raw: np.ndarray) -> list[int]:
    """Indices of columns kept, in order, each not in the span of the earlier kept ones."""
    return _independent_by_scale(xd, np.linalg.norm(x_raw, axis=0))


def _independent_by_scale(xd: np.ndarray, scales: np.ndarray, gram: np.ndarray | None = None) -> list[int]:
    """As `_independent_columns`, given the raw columns' norms (so the raw matrix need not be kept) and,
    optionally, X̃'X̃ (`gram`) when the caller has it already.

    Fast path: sequential residual norms from the Gram matrix (Cholesky). It decides only when every
    column is far from the threshold (residual above 1e-6 of its raw norm and 1e-4 of its demeaned
    norm, where Gram rounding errors are orders of magnitude too small to matter); otherwise the
    exact Gram-Schmidt below decides, as before.
    """
    gram = xd.T @ xd if gram is None else gram
    k = gram.shape[0]
    clear = k > 0
    for j in range(k):
        g_ss, g_sj = gram[:j, :j], gram[:j, j]
        r2 = gram[j, j] - (g_sj @ np.linalg.solve(g_ss, g_sj) if j else 0.0)
        r = np.sqrt(max(r2, 0.0))
        if not (r > 1e-6 * scales[j] and r > 1e-4 * np.sqrt(gram[j, j])):
            clear = False
            break
    if clear:
        return list(range(k))
    basis = np.zeros((xd.shape[0], 0))
    kept: list[int] = []
    for j in range(k):
        r = xd[:, j].copy()
        for _ in range(2):  # re-orthogonalise once: classical Gram-Schmidt loses orthogonality
            r -= basis @ (basis.T @ r)
        norm = np.linalg.norm(r)
        if scales[j] > 0 and norm > COLLINEAR_TOL * scales[j]:
            kept.append(j)
            basis = np.column_stack([basis, r / norm])
    return kept


def _solve_ls(
    xd: np.ndarray, yd: np.ndarray, gram: np.ndarray | None = None, xty: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Least squares of yd on xd by the normal equations plus one step of iterative refinement.

    The refinement (re-solving on the residuals) brings the normal equations' error down to
    lstsq/QR level for any reasonably conditioned design, at the cost of one more pass over the data.
    `gram` (X̃'X̃) and `xty` (X̃'ỹ) may be passed when the caller has them already.
    """
    gram = xd.T @ xd if gram is None else gram
    if np.linalg.cond(gram) > 1e8:  # nearly collinear design: QR-based lstsq, as linearmodels does
        beta = np.linalg.lstsq(xd, yd, rcond=None)[0]
        return beta, yd - xd @ beta
    chol = linalg.cho_factor(gram)
    beta = linalg.cho_solve(chol, xd.T @ yd if xty is None else xty)
    resid = yd - xd @ beta
    step = linalg.cho_solve(chol, xd.T @ resid)
    beta = beta + step
    resid -= xd @ step
    return beta, resid


def _estimation_rows(
    df: pd.DataFrame, spec: ModelSpec, entity: str, time: str, column: Callable[[str], pd.Series]
) -> tuple[np.ndarray, int]:
    """Positions of the rows in the sample with every needed column present, and the rows lost to missing."""
    keep = sample_mask(df, spec.name, spec.sample)
    complete = keep.copy()
    for col in spec.required_columns(entity, time):
        complete &= column(col).notna().to_numpy()
    return np.flatnonzero(complete), int(keep.sum() - complete.sum())


def _no_rows_error(
    df: pd.DataFrame, spec: ModelSpec, entity: str, time: str, column: Callable[[str], pd.Series]
) -> ValueError:
    """The error naming the needed column(s) with no value on the sample rows (lagged values where lagged)."""
    years = f"{spec.lag_years} year{'s' if spec.lag_years > 1 else ''}"
    needed = {(f"{c} (lagged {years})" if c in spec.lag else c): column(c) for c in spec.required_columns(entity, time)}
    return no_rows_error(spec.name, sample_mask(df, spec.name, spec.sample), needed, df[[entity, time]], spec.sample)


@limit_blas()
def fit_panel(
    df: pd.DataFrame, spec: ModelSpec | Mapping[str, Any], entity: str, time: str, name: str = "model"
) -> PanelResult:
    """Estimate one linear panel model; see the module docstring for the steps and conventions.

    Memory: no copy of the frame is made; each needed column is gathered once into one float64
    (N x (1 + k)) matrix that is demeaned in place.
    """
    spec = parse_spec(spec, name, entity, time) if not isinstance(spec, ModelSpec) else spec
    check_columns(spec, df.columns, entity, time)
    df = df.reset_index(drop=True)  # copy-on-write: no data is copied
    lagged = lag_by_time(df, spec.lag, entity, time, k=spec.lag_years) if spec.lag else None

    def column(col: str) -> pd.Series:
        return lagged[col] if lagged is not None and col in spec.lag else df[col]

    rows, n_missing = _estimation_rows(df, spec, entity, time, column)
    if rows.size == 0:
        raise _no_rows_error(df, spec, entity, time, column)
    if spec.weights is not None:
        if spec.vcov_type == "hc3":
            raise ValueError(f"model {spec.name!r}: vcov type 'hc3' is not available with weights")
        _check_weights(df, spec, rows, entity, time)

    def values(col: str) -> np.ndarray:
        return column(col).to_numpy()[rows]

    fe_keys = ["^".join(parts) for parts in spec.fe_columns(entity, time)]
    by_column: dict[str, np.ndarray] = {}  # year in both "year" and "industry^year": coded once
    for c in dict.fromkeys(c for key in fe_keys for c in key.split("^")):
        by_column[c] = codes_of(values(c))
    fe_codes = [interact([by_column[c] for c in key.split("^")]) for key in fe_keys]
    n_singletons = 0
    if fe_codes:
        keep = singleton_mask(fe_codes)
        n_singletons = int((~keep).sum())
        if n_singletons:
            rows = rows[keep]
            if rows.size == 0:
                raise ValueError(f"model {spec.name!r}: no observations left after dropping singletons")
            fe_codes = [_compact(c[keep]) for c in fe_codes]
    known = dict(zip(fe_keys, fe_codes, strict=True))  # a cluster variable that is also an effect: same codes

    terms = list(spec.terms)
    data = np.empty((rows.size, 1 + len(terms)), order="F")  # outcome, then terms; demeaned in place
    for j, col in enumerate([spec.outcome, *terms]):
        _numeric_values(column(col), rows, col, spec.name, out=data[:, j])
    wt = None if spec.weights is None else df[spec.weights].to_numpy(dtype=float)[rows]
    if wt is None:
        norms = np.sqrt([np.dot(data[:, j], data[:, j]) for j in range(data.shape[1])])
        means = data.mean(axis=0)  # ybar, xbar on the estimation sample: for `_cons`
        tss = float(np.sum((data[:, 0] - means[0]) ** 2))
    else:  # WLS: the same quantities weighted (norms of the sqrt(w)-scaled raw columns)
        norms = np.sqrt([np.dot(wt * data[:, j], data[:, j]) for j in range(data.shape[1])])
        means = wt @ data / wt.sum()
        tss = float(np.sum(wt * (data[:, 0] - means[0]) ** 2))
    absorber = Absorber(fe_codes, weights=wt)
    absorber.demean(data)
    intercept = np.ones(rows.size) if wt is None else np.sqrt(wt)  # the constant's column (WLS: sqrt(w))
    if wt is not None:
        data *= intercept[:, None]
    gram = data.T @ data  # the one pass of cross-products: [ỹ, X̃]'[ỹ, X̃]
    yd = data[:, 0]
    if np.sqrt(max(gram[0, 0], 0.0)) <= 1e-12 * max(norms[0], np.finfo(float).tiny):
        raise ValueError(
            f"model {spec.name!r}: outcome {spec.outcome!r} has no variation after absorbing "
            f"fixed effects ({spec.fe_label})"
        )
    kept = _independent_by_scale(data[:, 1:], norms[1:], gram=gram[1:, 1:])
    dropped = [terms[j] for j in range(len(terms)) if j not in kept]
    kept_terms = [terms[j] for j in kept]
    if not kept_terms:
        raise ValueError(f"model {spec.name!r}: every regressor is collinear or absorbed: {terms}")
    if dropped:
        warnings.warn(
            f"model {spec.name!r}: dropped collinear term(s) {dropped} "
            "(collinear with other regressors or absorbed by the fixed effects)",
            CollinearityWarning,
            stacklevel=2,
        )

    idx = [1 + j for j in kept]
    xd = data[:, 1:] if len(kept) == len(terms) else data[:, idx]
    xtx = gram[np.ix_(idx, idx)]
    beta, resid = _solve_ls(xd, yd, gram=xtx, xty=gram[idx, 0])
    by = spec.cluster_by if spec.vcov_type == "cluster" else ()
    clusters = [known[c] if c in known else codes_of(values(c)) for c in by]
    components = absorber.pair_components  # shared by both counts below, so each pair is counted once
    dof = absorbed_dof(fe_codes, clusters, rows.size, components)
    lev = _leverage(xd, fe_codes, spec.name) if spec.vcov_type == "hc3" else None
    # W = [intercept, X̃]: W'W from the gram and one more product; one meat serves slopes and `_cons`
    cross = intercept @ xd
    gram_w = np.block([[np.array([[intercept @ intercept]]), cross[None, :]], [cross[:, None], xtx]])
    meat_w = score_meat([intercept, *(xd[:, j] for j in range(xd.shape[1]))], resid, spec.vcov_type, clusters, lev)
    meat = None if meat_w is None else meat_w[1:, 1:]
    vc = compute_vcov(xd, resid, spec.vcov_type, dof.df_a, clusters, leverage=lev, xtx=xtx, meat=meat)
    xbar = means[1:][kept]
    cov_c = cov_with_constant(
        xd, resid, spec.vcov_type, xbar, vc, clusters, leverage=lev, intercept=intercept, gram=gram_w, meat=meat_w
    )
    names_c = [CONS, *kept_terms]
    rss, tss_within = float(resid @ resid), float(gram[0, 0])
    df_a_all = absorbed_dof(fe_codes, [], rows.size, components).df_a if clusters else dof.df_a
    df_r_used = rows.size - len(kept_terms) - df_a_all

    return PanelResult(
        spec=spec,
        **t_inference(beta, vc.cov, vc.df_resid, kept_terms),
        cov=pd.DataFrame(vc.cov, index=kept_terms, columns=kept_terms),
        nobs=int(rows.size),
        df_resid=vc.df_resid,
        r2_within=float(1 - rss / tss_within),
        n_clusters=vc.n_clusters,
        cluster_counts=vc.cluster_counts,
        n_singletons=n_singletons,
        n_missing=n_missing,
        dropped_terms=tuple(dropped),
        df_a=dof.df_a,
        k_total=vc.k_total,
        vcov_scale=vc.scale,
        cons=float(means[0] - xbar @ beta),
        cons_se=float(np.sqrt(cov_c[0, 0])) if cov_c[0, 0] >= 0 else float("nan"),  # two-way: may be < 0
        cov_cons=pd.DataFrame(cov_c, index=names_c, columns=names_c),
        r2=float(1 - rss / tss),
        r2_adj=float(1 - (rss / df_r_used) / (tss / (rows.size - 1))) if df_r_used > 0 else float("nan"),
        r2_within_adj=(float(1 - (rss / df_r_used) / (tss_within / (df_r_used + len(kept_terms))))
                       if df_r_used > 0 else float("nan")),
        df_r_used=int(df_r_used),
    )


def _leverage(xd: np.ndarray, fe_codes: list[np.ndarray], name: str) -> np.ndarray:
    """Diagonal of the full hat matrix for HC3: x̃_i'(X̃'X̃)⁻¹x̃_i plus that of the absorbed dummies (1/N for
    pooled OLS's constant, 1/N_g for one effect). With two or more effects that diagonal has no closed form here,
    so HC3 is refused (pyfixest refuses HC2/HC3 with any fixed effect)."""
    if len(fe_codes) > 1:
        raise ValueError(f"model {name!r}: vcov type 'hc3' supports pooled OLS or one absorbed effect, "
                         f"not {len(fe_codes)}")
    h_fe = (1.0 / xd.shape[0]) if not fe_codes else 1.0 / np.bincount(fe_codes[0])[fe_codes[0]]
    h = np.einsum("ij,ij->i", xd @ np.linalg.inv(xd.T @ xd), xd) + h_fe
    if np.any(h >= 1 - 1e-10):
        raise ValueError(f"model {name!r}: vcov type 'hc3' needs every leverage below 1")
    return h


def _check_weights(df: pd.DataFrame, spec: ModelSpec, rows: np.ndarray, entity: str, time: str) -> None:
    """Refuse missing, infinite, zero or negative weights on the estimation rows, naming up to five of them.

    Stata drops missing and zero aweights silently; here a weight that is not usable is an error, so a sample never
    shrinks without notice.
    """
    series = df[spec.weights]
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise ValueError(f"model {spec.name!r}: weights column {spec.weights!r} is not numeric (dtype {series.dtype})")
    w = series.to_numpy(dtype=float)[rows]
    bad = ~(np.isfinite(w) & (w > 0))
    if bad.any():
        where = rows[np.flatnonzero(bad)[:5]]
        examples = "; ".join(
            f"{entity}={df[entity].iat[i]}, {time}={df[time].iat[i]}: {w_i}"
            for i, w_i in zip(where, series.to_numpy(dtype=float)[where], strict=True)
        )
        raise ValueError(
            f"model {spec.name!r}: weights column {spec.weights!r} must be positive and finite on every estimation "
            f"row; {int(bad.sum())} row(s) are missing, zero, negative or infinite, e.g. {examples}"
        )


def _compact(codes: np.ndarray) -> np.ndarray:
    """Renumber codes 0..L'-1 after rows were dropped, keeping level order (what `codes_of` would give)."""
    present = np.bincount(codes) > 0
    if present.all():
        return codes
    return (np.cumsum(present) - 1)[codes]


def _numeric_values(
    series: pd.Series, rows: np.ndarray, col: str, name: str, out: np.ndarray | None = None
) -> np.ndarray:
    """float64 values of `series` at `rows` (written into `out` if given), refusing non-numeric and infinite values."""
    if pd.api.types.is_bool_dtype(series):
        series = series.astype(float)
    if not pd.api.types.is_numeric_dtype(series):
        raise ValueError(f"model {name!r}: column {col!r} is not numeric (dtype {series.dtype})")
    values = np.take(series.to_numpy(dtype=float), rows, out=out, mode="clip")  # rows are valid positions
    if not np.isfinite(values).all():
        raise ValueError(f"model {name!r}: column {col!r} has infinite values")
    return values
