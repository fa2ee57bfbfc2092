"""Static TWFE DID with entity weights: re-running the DID on an entropy-balanced or PSM-weighted sample.

`fit_panel` has no weights, so this is the one weighted estimator of the DID family, restricted to what the
matching weights need: weights constant within entity (entropy-balancing or psmatch2 weights per firm), unit and
year effects, controls, clustered SE. Because the weight is constant within an entity, the weighted projection
on the entity dummies is the plain within-entity demeaning; the year effects are then estimated explicitly as
demeaned year dummies in the weighted least squares (exact Frisch-Waugh-Lovell, no iteration).

Convention: weighted least squares with analytic weights (`reghdfe [aw=w]`, pyfixest `weights=`); rows with zero
weight are dropped first, then iterated singletons as `fit_panel`. Clustered covariance
V = G/(G-1)·(N-1)/(N-K) · B⁻¹ (Σ_g s_g s_g') B⁻¹ with B = X̃'WX̃, s_g = Σ_{i∈g} w_i x̃_i e_i, K counting D, the
controls and all T year levels (the unit effects are nested in the clusters and not counted: reghdfe's and
`fit_panel`'s count, so unit weights give `twfe_static` exactly), t inference with G-1 df.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from srdi.models.did._regdid import DidResult, prepare, tidy_frame
from srdi.models.within import codes_of, singleton_mask


def _entity_demean(a: np.ndarray, unit: np.ndarray) -> np.ndarray:
    counts = np.bincount(unit).astype(float)
    sums = np.stack([np.bincount(unit, weights=a[:, j]) for j in range(a.shape[1])], axis=1)
    return a - (sums / counts[:, None])[unit]


def weighted_twfe_static(
    df: pd.DataFrame,
    entity: str,
    time: str,
    outcome: str,
    first_treat: str,
    weight: str,
    controls: Sequence[str] = (),
    cluster: str | None = None,
) -> DidResult:
    """y_it = a_i + l_t + b·D_it + controls by WLS with entity-constant weights `weight` (term "ATT").

    `cluster` must be constant within entity (default: the entity). Errors: a weight that is missing, negative or
    varies within an entity.
    """
    if weight not in df.columns:
        raise ValueError(f"weight column {weight!r} not in the panel")
    w_raw = df[weight]
    if w_raw.isna().any() or (w_raw < 0).any():
        raise ValueError(f"weight column {weight!r} must be non-missing and >= 0")
    if (w_raw.groupby(df[entity]).nunique() > 1).any():
        raise ValueError(f"weight column {weight!r} must be constant within entity")
    data = df.loc[w_raw.to_numpy() > 0]
    panel = prepare(data, entity, time, outcome, first_treat, controls, cluster)
    per_entity = data.groupby(entity, sort=False)[weight].first()
    frame = panel.frame.assign(w=panel.frame["unit"].map(per_entity).to_numpy(float))
    keep = singleton_mask([codes_of(frame["unit"].to_numpy()), codes_of(frame["t"].to_numpy())])
    frame = frame.loc[keep].reset_index(drop=True)
    unit = codes_of(frame["unit"].to_numpy())
    year = codes_of(frame["t"].to_numpy())
    cl = codes_of(frame["cl"].to_numpy())
    if (pd.Series(cl).groupby(unit).nunique() > 1).any():
        raise ValueError("the cluster variable must be constant within entity (the unit effects are nested in it)")
    d = ((frame["g"] > 0) & (frame["t"] >= frame["g"])).to_numpy(float)
    years = np.eye(int(year.max()) + 1)[year][:, 1:]
    x = np.column_stack([d, frame[panel.control_cols].to_numpy(float), years])
    both = _entity_demean(np.column_stack([frame["y"].to_numpy(float), x]), unit)
    yd, xd = both[:, 0], both[:, 1:]
    w = frame["w"].to_numpy(float)
    bread = np.linalg.inv(xd.T @ (xd * w[:, None]))
    beta = bread @ (xd.T @ (w * yd))
    resid = yd - xd @ beta
    scores = np.zeros((int(cl.max()) + 1, xd.shape[1]))
    np.add.at(scores, cl, xd * (w * resid)[:, None])
    n, k, g = len(frame), xd.shape[1] + 1, scores.shape[0]  # + 1: all T year levels count (reghdfe, fit_panel)
    scale = g / (g - 1) * (n - 1) / (n - k)
    cov = scale * bread @ (scores.T @ scores) @ bread
    est = tidy_frame(["ATT"], beta[:1], np.sqrt(cov[:1, :1].diagonal()), g - 1)
    return DidResult("weighted_twfe_static", est, n, g, None, pd.DataFrame(cov[:1, :1], index=["ATT"],
                                                                              columns=["ATT"]),
                     {"df": g - 1, "vcov_scale": scale, "n_singletons": int((~keep).sum()),
                      "n_missing": panel.n_missing, "n_zero_weight": int((w_raw.to_numpy() == 0).sum()),
                      "controls": dict(zip(panel.controls, beta[1:1 + len(panel.controls)], strict=True))})

