"""Timing of a mediation model: one lag per variable, shared by all three equations.

The decomposition c = c' + a b is an algebraic identity (Frisch-Waugh-Lovell) only when the mediator
equation explains exactly the M that enters the outcome equation, with the same X, controls, rows and
effects. So a mediation model has ONE lag per variable: X(t - l_X), M(t - l_M) and each control are the
same columns in the total, mediator and outcome equations, and Y is always Y(t). The mediator equation's
dependent variable is M(t - l_M) itself (not M(t)), which is what keeps the timing coherent.

Named timings (k = `lag_years`, default 1):

    contemporaneous    X(t)    -> M(t)    -> Y(t)
    lagged_treatment   X(t-k)  -> M(t)    -> Y(t)      the default (the old default `lag: [treatment]`)
    lagged             X(t-2k) -> M(t-k)  -> Y(t)

or a mapping of columns (treatment, mediator, controls) to years, e.g. `{coinnov: 2, digital: 1, size: 1}`.
Controls are unlagged (t) in the named timings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from srdi.models.lags import lag_by_time
from srdi.models.spec import column_names

TIMINGS = ("contemporaneous", "lagged_treatment", "lagged")
DEFAULT_TIMING = "lagged_treatment"
CUSTOM = "custom"


@dataclass(frozen=True)
class Timing:
    """The lag (calendar years) of every variable of a mediation model; Y is always at t (lag 0)."""

    label: str  # one of TIMINGS, or "custom" for a mapping that matches none of them
    lags: dict[str, int]  # treatment, mediator and every control -> years (0 = contemporaneous)

    def of(self, col: str) -> int:
        return self.lags.get(col, 0)

    @property
    def lagged(self) -> dict[str, int]:
        """Only the columns with a positive lag."""
        return {c: k for c, k in self.lags.items() if k > 0}


def lag_label(col: str, k: int) -> str:
    """Stata's time-series operator spelling: x, L.x, L2.x."""
    return col if k == 0 else f"L.{col}" if k == 1 else f"L{k}.{col}"


def _name_of(lags: Mapping[str, int], x: str, m: str) -> str:
    """The named timing these lags are, or 'custom'."""
    rest = [k for c, k in lags.items() if c not in (x, m)]
    lx, lm = lags[x], lags[m]
    if any(rest):
        return CUSTOM
    if lx == 0 and lm == 0:
        return "contemporaneous"
    if lm == 0:
        return "lagged_treatment"
    return "lagged" if lx == 2 * lm else CUSTOM


def _years(raw: Any, key: str, name: str, minimum: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
        kind = "a positive integer" if minimum else "an integer >= 0"
        raise ValueError(f"model {name!r}: {key} must be {kind} (calendar years), got {raw!r}")
    return raw


def _old_lag_list(raw: Any, name: str, x: str, m: str, controls: Sequence[str], k: int) -> dict[str, int]:
    """The pre-`timing` spelling `lag: [...]`: each listed column lagged k years in every equation."""
    lag = column_names(raw, "lag", name)
    bad = [c for c in lag if c not in (x, m, *controls)]
    if bad:
        raise ValueError(f"model {name!r}: lag names {bad}, which are not the treatment, mediator or controls")
    if m in lag:
        raise ValueError(
            f"model {name!r}: `lag` lists the mediator {m!r}. It used to lag M only where it is a regressor "
            f"(outcome equation: L.{m} -> Y(t)) while the mediator equation explained {m}(t), so the three "
            f"equations had different timings and c != c' + a*b. Use `timing` instead: `timing: lagged` "
            f"(X(t-2) -> M(t-1) -> Y(t) in every equation), `timing: contemporaneous`, or a mapping of columns "
            f"to years such as `timing: {{{x}: 1, {m}: 1}}` (docs/estimation.md, Mediation)"
        )
    return {c: k for c in lag}


def parse_timing(raw: Mapping[str, Any], name: str, x: str, m: str, controls: Iterable[str]) -> Timing:
    """The timing of one mediation entry from its `timing`, `lag` (older spelling) and `lag_years` keys."""
    controls = tuple(controls)
    timing, old, years_raw = raw.get("timing"), raw.get("lag"), raw.get("lag_years")
    # lag_years: 1 is accepted everywhere (a config schema may fill it in); another value only where it has a meaning
    if timing is not None and old is not None:
        raise ValueError(f"model {name!r}: give either `timing` or the older `lag` list, not both")
    k = 1 if years_raw is None else _years(years_raw, "lag_years", name, 1)
    explicit: dict[str, int]
    if old is not None:
        explicit = _old_lag_list(old, name, x, m, controls, k)
    elif timing is None or isinstance(timing, str):
        timing = DEFAULT_TIMING if timing is None else timing
        if timing not in TIMINGS:
            raise ValueError(f"model {name!r}: timing must be one of {list(TIMINGS)} or a mapping of columns to "
                             f"years, got {timing!r}")
        if timing == "contemporaneous" and k != 1:
            raise ValueError(f"model {name!r}: lag_years does not apply to timing 'contemporaneous'")
        explicit = {"contemporaneous": {}, "lagged_treatment": {x: k}, "lagged": {x: 2 * k, m: k}}[timing]
    elif isinstance(timing, Mapping):
        if k != 1:
            raise ValueError(f"model {name!r}: lag_years does not apply to a timing mapping, whose values are "
                             "the lags in years")
        bad = [c for c in timing if c not in (x, m, *controls)]
        if bad:
            raise ValueError(f"model {name!r}: timing names {bad}, which are not the treatment, mediator or "
                             "controls (the outcome is always at t)")
        explicit = {c: _years(v, f"timing.{c}", name, 0) for c, v in timing.items()}
    else:
        raise ValueError(f"model {name!r}: timing must be one of {list(TIMINGS)} or a mapping of columns to "
                         f"years, got {timing!r}")
    lags = {c: explicit.get(c, 0) for c in (x, m, *controls)}
    if lags[x] < lags[m]:
        raise ValueError(f"model {name!r}: the treatment {lag_label(x, lags[x])} would be measured after the "
                         f"mediator {lag_label(m, lags[m])}; lag the treatment at least as much as the mediator")
    return Timing(_name_of(lags, x, m), lags)


def shifted_columns(df: pd.DataFrame, timing: Timing, cols: Sequence[str], entity: str, time: str) -> pd.DataFrame:
    """`cols` of `df` with each replaced by its value `timing.of(col)` calendar years earlier (same index).

    Lags are taken on the whole frame (a pre-sample year supplies the first sample year's lag, as L.x)."""
    out = df[list(cols)].copy()
    by_k: dict[int, list[str]] = {}
    for c in cols:
        if timing.of(c) > 0:
            by_k.setdefault(timing.of(c), []).append(c)
    for k, group in sorted(by_k.items()):
        out[group] = lag_by_time(df, group, entity, time, k=k)
    return out
