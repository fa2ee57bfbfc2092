"""Sample construction as this literature does it: drop financial firms, special-treatment (ST, *ST)
firm-years, insolvent firm-years (Lev > 1) and firm-years missing key variables, then winsorize; every step's
removals are counted for the sample-construction table.

Rows are flagged (`in_sample`), not deleted: a model lags its regressors on the full panel first and keeps the
sample rows afterwards, so a firm-year after a dropped ST year still has its true previous-year value.
Winsorization bounds come from the sample rows and are applied to every row, so a lagged value is clipped
with the same bounds as a current one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class SampleRules:
    drop_finance: bool = True
    drop_st: bool = True
    drop_insolvent: bool = True
    require: Sequence[str] = ()
    winsorize: Sequence[str] = ()
    limits: tuple[float, float] = (0.01, 0.99)
    entity: str = "stkcd"


def winsorize_bounds(series: pd.Series, lower: float, upper: float) -> tuple[float, float]:
    """Empirical quantiles with linear interpolation (pandas' default; Stata's winsor2 uses the same)."""
    lo, hi = series.quantile([lower, upper])
    return float(lo), float(hi)


def construct_sample(panel: pd.DataFrame, rules: SampleRules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the panel with `in_sample` and winsorized columns, and the sample-construction table."""
    missing = [c for c in (*rules.require, *rules.winsorize) if c not in panel.columns]
    if missing:
        raise ValueError(f"sample settings name column(s) {sorted(set(missing))} that the panel does not have")

    keep = pd.Series(True, index=panel.index)
    steps: list[dict[str, object]] = []

    def record(step: str, drop: pd.Series) -> None:
        nonlocal keep
        removed = int((keep & drop).sum())
        keep = keep & ~drop
        steps.append({"step": step, "removed": removed, "observations": int(keep.sum()),
                      "firms": int(panel.loc[keep, rules.entity].nunique())})

    record("firm-years with annual consolidated statements", pd.Series(False, index=panel.index))
    if rules.drop_finance:
        record("drop financial industry (CSRC-2012 J)", panel["industry_sector"].eq("J"))
    if rules.drop_st:
        record("drop special-treatment firm-years (ST, *ST)", panel["st"].fillna(0).eq(1))
    if rules.drop_insolvent:
        record("drop firm-years with Lev > 1", panel["lev"].gt(1))
    if rules.require:
        record(f"drop firm-years missing {', '.join(rules.require)}", panel[list(rules.require)].isna().any(axis=1))

    out = panel.copy()
    lower, upper = rules.limits
    for col in rules.winsorize:
        lo, hi = winsorize_bounds(out.loc[keep, col], lower, upper)
        out[col] = out[col].clip(lo, hi)
    out["in_sample"] = keep.to_numpy()
    return out, pd.DataFrame(steps)
