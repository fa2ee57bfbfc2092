"""Financial statements in CSMAR's layout: balance sheet, income, cash flow and main-business revenue.

Annual consolidated (Typrep A, YYYY-12-31) items are set so that the four SRDI ratios equal the latent
values exactly (up to cents); quarterly, opening-balance and parent-company rows are plausible noise around them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from srdi.demo.dgp import Sim


def _cents(x: np.ndarray) -> np.ndarray:
    """Round to cents; `+ 0.0` turns -0.0 into 0.0 so files never show '-0.00'."""
    return np.round(x, 2) + 0.0


def _keys(sim: Sim) -> tuple[np.ndarray, np.ndarray]:
    ii, kk = np.nonzero(sim.written)
    return ii, kk


def _frame(sim: Sim, ii: np.ndarray, kk: np.ndarray, suffix: str, typrep: str,
           items: dict[str, np.ndarray], short: bool = True) -> pd.DataFrame:
    years = sim.years[kk]
    data: dict[str, object] = {"Stkcd": sim.firms["Stkcd"].to_numpy()[ii]}
    if short:
        data["ShortName"] = sim.firms["Stknme"].to_numpy()[ii]
    data["Accper"] = [f"{y}-{suffix}" for y in years]
    data["Typrep"] = typrep
    data.update({k: _cents(v) for k, v in items.items()})
    return pd.DataFrame(data)


def _finish(frames: list[pd.DataFrame]) -> pd.DataFrame:
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["Stkcd", "Accper", "Typrep"], kind="stable").reset_index(drop=True)


def annual_items(sim: Sim) -> dict[str, np.ndarray]:
    """Typrep A, 12-31 items for every internal firm-year (the exact-ratio construction)."""
    a = sim.a
    rev = a["revenue"]
    return {
        "B001101000": rev,
        "B001201000": _cents((1.0 - a["srdi_distinct"]) * rev),
        "B001209000": _cents(a["selling_share"] * rev),
        "B001210000": _cents(a["admin_share"] * rev),
        "B001216000": _cents(a["srdi_novel"] * rev),
        "B002000000": _cents(a["srdi_refine"] * rev),
        "Fn05401": _cents(a["srdi_spec"] * rev),
        "C001000000": _cents(a["ocf_margin"] * rev),
        "A001000000": a["total_assets"],
        "A002000000": a["total_liab"],
        "A001212000": _cents(a["fixed_share"] * a["total_assets"]),
        "A001218000": _cents(a["intang_share"] * a["total_assets"]),
    }


INCOME_CODES = ("B001101000", "B001201000", "B001209000", "B001210000", "B001216000", "B002000000")
BALANCE_CODES = ("A001000000", "A002000000", "A001212000", "A001218000")


def build_statements(rng: np.random.Generator, sim: Sim) -> dict[str, pd.DataFrame]:
    ann = annual_items(sim)
    ii, kk = _keys(sim)
    m = ii.size
    parent = sim.a["parent_share"][ii, kk]
    # Year-to-date cumulative fractions of the annual flow at Q1, H1 and Q3.
    f1 = rng.uniform(0.19, 0.26, m)
    f2 = f1 + rng.uniform(0.22, 0.28, m)
    f3 = f2 + rng.uniform(0.23, 0.28, m)
    fracs = {"03-31": f1, "06-30": f2, "09-30": f3}

    def flows(codes: tuple[str, ...], frac: np.ndarray | None, share: np.ndarray | None,
              sd: float) -> dict[str, np.ndarray]:
        out = {}
        for c in codes:
            x = ann[c][ii, kk].copy()
            if frac is not None:
                x = x * frac * (1.0 + rng.normal(0.0, sd, m))
            if share is not None:
                x = x * share * (1.0 + rng.normal(0.0, 0.03, m))
            out[c] = x
        return out

    income, cash, balance, mainbiz = [], [], [], []
    for typ, share in (("A", None), ("B", parent)):
        for suffix, frac in (*fracs.items(), ("12-31", None)):
            income.append(_frame(sim, ii, kk, suffix, typ, flows(INCOME_CODES, frac, share, 0.03)))
            cash.append(_frame(sim, ii, kk, suffix, typ, flows(("C001000000",), frac, share, 0.25)))
        # Main business: half-year and annual; annual A equals srdi_spec x revenue exactly.
        h1 = flows(("Fn05401",), f2, share, 0.01)
        mainbiz.append(_frame(sim, ii, kk, "06-30", typ, h1, short=False))
        mainbiz.append(_frame(sim, ii, kk, "12-31", typ, flows(("Fn05401",), None, share, 0.0), short=False))
        # Balance sheet: opening balance (= last year's close), quarter ends interpolated, year end.
        b_share = None if share is None else share * rng.uniform(0.9, 1.1, m)
        close = {c: ann[c][ii, kk] for c in BALANCE_CODES}
        opening = {c: ann[c][ii, kk - 1] for c in BALANCE_CODES}
        scale = 1.0 if b_share is None else b_share
        balance.append(_frame(sim, ii, kk, "01-01", typ, {c: opening[c] * scale for c in BALANCE_CODES}))
        for q, suffix in ((1, "03-31"), (2, "06-30"), (3, "09-30")):
            items = {
                c: (opening[c] + (close[c] - opening[c]) * q / 4.0) * np.exp(rng.normal(0.0, 0.02, m)) * scale
                for c in BALANCE_CODES
            }
            balance.append(_frame(sim, ii, kk, suffix, typ, items))
        balance.append(_frame(sim, ii, kk, "12-31", typ, {c: close[c] * scale for c in BALANCE_CODES}))
    return {
        "balance": _finish(balance),
        "income": _finish(income),
        "cashflow": _finish(cash),
        "main_business": _finish(mainbiz),
    }
