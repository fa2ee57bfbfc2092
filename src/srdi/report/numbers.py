"""Number formatting of the tables: fixed decimals, thousands separators, no locale dependence."""

from __future__ import annotations

import math


def missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fixed(x: float | None, digits: int) -> str:
    """Fixed decimals; -0.000 prints as 0.000 so signs never flip between builds."""
    if missing(x):
        return ""
    text = f"{float(x):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def integer(x: float | None) -> str:
    return "" if missing(x) else f"{round(float(x)):,}"


def interval(low: float | None, high: float | None, digits: int) -> str:
    return "" if missing(low) or missing(high) else f"[{fixed(low, digits)}, {fixed(high, digits)}]"
