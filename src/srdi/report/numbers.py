"""Number formatting of the tables: decimals that never hide a nonzero value, thousands separators, no locale
dependence.

The rule (README, "Outputs"): estimates, standard errors and statistics get `tables.digits` decimals (3); a nonzero
value that would print as 0.000 gets the decimals that show two significant digits (0.00040, -0.000051), so no
estimate or SE prints as zero. p-values below 0.001 print as <0.001.
"""

from __future__ import annotations

import math

MAX_DECIMALS = 10


def missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fixed(x: float | None, digits: int) -> str:
    """Fixed decimals; -0.000 prints as 0.000 so signs never flip between builds."""
    if missing(x):
        return ""
    text = f"{float(x):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def significant(x: float | None, digits: int) -> str:
    """`digits` decimals, or, for a nonzero value those would round to zero, as many as two significant digits need."""
    if missing(x):
        return ""
    v = float(x)
    if v != 0 and math.isfinite(v) and float(fixed(v, digits)) == 0:
        digits = min(max(digits, 1 - math.floor(math.log10(abs(v)))), MAX_DECIMALS)
    return fixed(v, digits)


def pvalue(p: float | None) -> str:
    return "" if missing(p) else "<0.001" if float(p) < 0.001 else fixed(p, 3)


def integer(x: float | None) -> str:
    return "" if missing(x) else f"{round(float(x)):,}"


def interval(low: float | None, high: float | None, digits: int) -> str:
    if missing(low) or missing(high):
        return ""
    return f"[{significant(low, digits)}, {significant(high, digits)}]"
