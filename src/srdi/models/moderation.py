"""Moderation: a centred interaction of the regressor of interest with a moderator.

Hypothesis H4 says obstacles (e.g. a poor provincial innovation environment) weaken the effect of
co-innovation, so the estimand is how the slope of X moves with the moderator M:

    y = b_X (X - mean X) + b_M (M - mean M) + b_XM (X - mean X)(M - mean M) + controls + FE

Both are centred at their *estimation-sample* means, so b_X is the effect of X at the mean
moderator (not at M = 0, which may lie outside the data). The interaction is built from the lagged
X and M (lags taken on the full panel, as `fit_panel` does), and the fit itself is `fit_panel` with
`lag: []`, so fixed effects, singletons, covariance and collinearity follow the panel conventions.
Marginal effects of X at moderator quantiles m_q are b_X + b_XM (m_q - mean M), with the SE of that
linear combination from the full covariance matrix and t-based CIs with the model's df.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from srdi.models import dist
from srdi.models.hdfe import interact
from srdi.models.lags import lag_by_time
from srdi.models.panel import PanelResult, fit_panel
from srdi.models.rows import SAMPLE_FLAG, sample_mask
from srdi.models.spec import ModelSpec, check_columns, check_entry, column_name, parse_spec
from srdi.models.tidy import TIDY_COLUMNS, term_lag, tidy
from srdi.models.within import codes_of, singleton_mask

PANEL_KEYS = frozenset({"outcome", "controls", "fe", "vcov", "lag", "sample"})
MODERATION_KEYS = PANEL_KEYS | {"kind", "regressor", "moderator", "quantiles"}
DEFAULT_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
EXTRA_COLUMNS = ("equation", "method", "at_quantile", "at_value")


def panel_spec(raw: Mapping[str, Any], regressors: Sequence[str], name: str, entity: str, time: str) -> ModelSpec:
    """Parse the keys a kind shares with `panel` through `parse_spec`, so defaults and errors are identical."""
    base = {k: v for k, v in raw.items() if k in PANEL_KEYS}
    return parse_spec({**base, "kind": "panel", "regressors": list(regressors)}, name, entity, time)


def estimation_rows(
    df: pd.DataFrame, spec: ModelSpec, entity: str, time: str, extra: Sequence[str] = ()
) -> pd.DataFrame:
    """Steps 1-3 of `fit_panel` (calendar lags on the full panel, in_sample flag and `sample`
    query on the unlagged columns, listwise deletion), for kinds that need the rows themselves.

    Columns in `spec.lag` hold their lagged values; the index is the row position in `df`.
    """
    df = df.reset_index(drop=True)
    data = df.copy()
    if spec.lag:
        data[list(spec.lag)] = lag_by_time(df, spec.lag, entity, time)
    keep = sample_mask(df, spec.name, spec.sample)
    data = data[keep]
    needed = list(dict.fromkeys([*spec.required_columns(entity, time), *extra]))
    complete = data[needed].notna().all(axis=1)
    data = data[complete]
    data.attrs["n_missing"] = int((~complete).sum())  # rows of the sample removed by listwise deletion
    if data.empty:
        raise ValueError(f"model {spec.name!r}: no complete observations in the sample")
    return data


def fe_codes(rows: pd.DataFrame, spec: ModelSpec, entity: str, time: str) -> list[np.ndarray]:
    """Integer codes of each absorbed effect on `rows` ("a^b" effects interacted), as `fit_panel` builds them."""
    return [interact([codes_of(rows[c]) for c in parts]) for parts in spec.fe_columns(entity, time)]


def _quantiles(raw: Any, name: str) -> tuple[float, ...]:
    if raw is None:
        return DEFAULT_QUANTILES
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence) or not raw:
        raise ValueError(f"model {name!r}: quantiles must be a non-empty list of numbers in (0, 1), got {raw!r}")
    qs = []
    for q in raw:
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
            raise ValueError(f"model {name!r}: quantiles must lie strictly between 0 and 1, got {q!r}")
        qs.append(float(q))
    if len(set(qs)) != len(qs):
        raise ValueError(f"model {name!r}: quantiles lists a value twice: {qs}")
    return tuple(qs)


def parse_moderation(
    raw: Mapping[str, Any], name: str, entity: str, time: str
) -> tuple[ModelSpec, str, str, tuple[float, ...]]:
    """Validate a moderation entry; return the panel spec of (X, M), X, M and the quantiles.

    `lag` defaults to both X and M: the interaction is then a product of same-year values and the
    moderator is predetermined like X. `lag: [X]` keeps the moderator contemporaneous.
    """
    check_entry(raw, MODERATION_KEYS, "moderation", name)
    x = column_name(raw.get("regressor"), "regressor", name)
    m = column_name(raw.get("moderator"), "moderator", name)
    if x == m:
        raise ValueError(f"model {name!r}: regressor and moderator are the same column {x!r}")
    raw = dict(raw)
    if raw.get("lag") is None:
        raw["lag"] = [x, m]
    spec = panel_spec(raw, [x, m], name, entity, time)
    return replace(spec, kind="moderation"), x, m, _quantiles(raw.get("quantiles"), name)


def interaction_name(x: str, m: str) -> str:
    return f"{x}:{m}"


def _estimation_sample(rows: pd.DataFrame, spec: ModelSpec, entity: str, time: str) -> pd.DataFrame:
    """The rows `fit_panel` will use: complete rows minus iterated singletons."""
    codes = fe_codes(rows, spec, entity, time)
    if not codes:
        return rows
    keep = singleton_mask(codes)
    if not keep.any():
        raise ValueError(f"model {spec.name!r}: no observations left after dropping singletons")
    return rows[keep]


def fit_moderation(
    df: pd.DataFrame, raw: Mapping[str, Any], name: str, entity: str, time: str
) -> tuple[PanelResult, dict[str, Any]]:
    """Fit the centred interaction model; return the panel result and the centring facts."""
    spec, x, m, qs = parse_moderation(raw, name, entity, time)
    check_columns(spec, df.columns, entity, time)
    rows = estimation_rows(df, spec, entity, time)
    used = _estimation_sample(rows, spec, entity, time)
    mean_x, mean_m = float(used[x].mean()), float(used[m].mean())
    inter = interaction_name(x, m)
    if inter in df.columns:
        raise ValueError(f"model {name!r}: the panel already has a column {inter!r}")
    frame = rows.drop(columns=[SAMPLE_FLAG], errors="ignore").copy()
    frame[x] = frame[x].astype(float) - mean_x
    frame[m] = frame[m].astype(float) - mean_m
    frame[inter] = frame[x] * frame[m]
    fit_spec = replace(spec, regressors=(x, m, inter), lag=(), sample=None)
    res = fit_panel(frame, fit_spec, entity, time, name=name)
    res = replace(res, n_singletons=len(rows) - len(used) + res.n_singletons, n_missing=rows.attrs["n_missing"])
    for term in (x, inter):
        if term not in res.params.index:
            raise ValueError(f"model {name!r}: {term!r} was dropped as collinear; no marginal effects")
    at = np.quantile(used[m].to_numpy(dtype=float), qs)
    lags = {t: term_lag(spec, t) for t in spec.terms}  # fit_spec saw pre-lagged columns; X:M: X's lag if M's equal
    lags[inter] = lags[x] if lags[x] == lags[m] else None
    return res, {"x": x, "m": m, "inter": inter, "mean_m": mean_m, "quantiles": qs, "at": at, "lags": lags}


def marginal_effects(res: PanelResult, facts: Mapping[str, Any]) -> pd.DataFrame:
    """b_X + b_XM d with d = m_q - mean M; SE = sqrt(V_X + d² V_XM + 2 d C), exact for a linear combination."""
    x, inter = facts["x"], facts["inter"]
    d = np.asarray(facts["at"], dtype=float) - facts["mean_m"]
    b = res.params[x] + d * res.params[inter]
    var = res.cov.loc[x, x] + d**2 * res.cov.loc[inter, inter] + 2 * d * res.cov.loc[x, inter]
    se = np.sqrt(np.clip(var, 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = b / se
    crit = dist.t_ppf(0.975, res.df_resid)
    return pd.DataFrame(
        {
            "term": [f"{x}@q{q:g}" for q in facts["quantiles"]],
            "estimate": b,
            "std_error": se,
            "statistic": t,
            "p_value": 2 * dist.t_sf(np.abs(t), res.df_resid),
            "conf_low": b - crit * se,
            "conf_high": b + crit * se,
            "at_quantile": list(facts["quantiles"]),
            "at_value": np.asarray(facts["at"], dtype=float),
        }
    )


def tidy_moderation(res: PanelResult, facts: Mapping[str, Any], name: str) -> pd.DataFrame:
    """Main-equation rows (X, M, X:M, controls) then one marginal-effect row per quantile."""
    main = tidy(res, name).assign(equation="main", method=np.nan, at_quantile=np.nan, at_value=np.nan)
    main["lag"] = pd.array(main["term"].map(facts["lags"]), dtype="Int64")  # marginal effects copy X's (row 0)
    me = marginal_effects(res, facts)
    model_cols = [c for c in TIDY_COLUMNS if c not in me.columns]
    for col in model_cols:
        me[col] = main[col].iloc[0]
    me["equation"], me["method"] = "marginal_effect", "delta"
    out = pd.concat([main, me[main.columns]], ignore_index=True)
    out["n_clusters"] = out["n_clusters"].astype("Int64")
    return out[[*TIDY_COLUMNS, *EXTRA_COLUMNS]].astype({"nobs": "int64", "n_singletons": "int64"})


def fit(panel: pd.DataFrame, spec: Mapping[str, Any], name: str, entity: str, time: str, seed: int) -> pd.DataFrame:
    """Registry entry (`kind: moderation`); `seed` is unused (nothing random)."""
    res, facts = fit_moderation(panel, spec, name, entity, time)
    return tidy_moderation(res, facts, name)
