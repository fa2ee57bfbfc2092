"""Read estimates files (docs/estimates_format.md) into one normalised shape: `equation` and `method` always
present, so code downstream never asks whether a model kind has them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

# Equations holding derived quantities or tests rather than a regression's coefficients.
DERIVED_EQUATIONS = ("indirect", "diagnostic", "difference", "marginal_effect", "decomposition", "placebo",
                     "placebo_draw", "balance", "oster", "wild_bootstrap")
DERIVED_TERMS = ("indirect", "proportion_mediated")
# Rows repeating other equations for another presentation (mediation's Jiang (2022) two-step rows repeat the
# total and mediator equations, which the table already shows as columns): dropped on reading.
REPEATED_EQUATIONS = ("jiang_two_step",)


def shown_term(term: str, lag: float) -> str:
    """`L.x` for a term lagged one year, `L2.x` for two, `x` otherwise (Stata's time-series operators)."""
    if lag != lag or lag <= 0:  # NaN or contemporaneous
        return term
    return f"L.{term}" if lag == 1 else f"L{int(lag)}.{term}"


def base_term(shown: str) -> str:
    """The term of a shown row: `L2.x` -> `x`."""
    head, dot, rest = shown.partition(".")
    lagged = head == "L" or (head[:1] == "L" and head[1:].isdigit())
    return rest if dot and lagged else shown



def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if "equation" not in out.columns:
        out["equation"] = "main"
    out["equation"] = out["equation"].astype(object).fillna("main").astype(str)
    out = out[~out["equation"].isin(REPEATED_EQUATIONS)].reset_index(drop=True)
    if "method" not in out.columns:
        out["method"] = ""
    out["method"] = out["method"].astype(object).fillna("").astype(str)
    for col in ("fe", "vcov"):
        if col in out.columns:
            out[col] = out[col].astype(object).fillna("").astype(str)
    # The row a table shows: the term with Stata's lag prefix (L.x, L2.x) when the estimates say it is lagged.
    lag = pd.to_numeric(out["lag"], errors="coerce") if "lag" in out.columns else pd.Series(float("nan"), out.index)
    out["shown"] = [shown_term(t, k) for t, k in zip(out["term"].astype(str), lag, strict=True)]
    # Mediation's indirect rows may carry the outcome equation's name; what they are is told by the term.
    derived = out["term"].isin(DERIVED_TERMS) & ~out["equation"].isin(DERIVED_EQUATIONS)
    out.loc[derived, "equation"] = "indirect"
    return out


TEXT_COLUMNS = ("model", "outcome", "term", "fe", "vcov", "dropped_terms", "equation", "method", "group", "group_a",
                "group_b", "applies_to", "note", "stage")


def read_estimates(path: str | Path) -> pd.DataFrame:
    """Text columns stay text (a group value 0 must not become 0.0)."""
    return normalise(pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS}))


def read_models(directory: str | Path, names: Iterable[str]) -> dict[str, pd.DataFrame]:
    """The estimates of the named models that exist under `directory`, in the given order."""
    out = {}
    for name in names:
        path = Path(directory) / f"{name}.csv"
        if path.exists():
            out[name] = read_estimates(path)
    return out


def coefficient_equations(frame: pd.DataFrame) -> list[str]:
    """Equations that are regressions (one table column each), in file order."""
    eqs = [e for e in dict.fromkeys(frame["equation"]) if e not in DERIVED_EQUATIONS]
    return eqs
