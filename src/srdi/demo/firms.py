"""The firm universe: codes, names, industry, province, founding, listing and delisting dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from srdi.demo import names as nm
from srdi.demo.scales import Scale

# Boards: ordered code prefixes; a board uses its first prefixes and spills into later (partly fictitious)
# ones only at scales beyond the real market (about 5,000 firms).
_BOARDS: dict[str, tuple[str, ...]] = {
    "sh_old": ("600", "601", "602", "604", "606"),
    "sh_new": ("603", "605", "607", "608", "609"),
    "sz_main": ("000", "005", "006", "007"),
    "sz_new": ("001", "004"),
    "sme": ("002", "003", "008", "009", "010"),
    "chinext": ("300", "301", "302", "303", "304"),
    "star": ("688", "689", "687", "686"),
}
# Listing era -> board weights.
_ERAS: tuple[tuple[int, int, tuple[tuple[str, float], ...]], ...] = (
    (1990, 1996, (("sh_old", 0.5), ("sz_main", 0.5))),
    (1997, 2003, (("sh_old", 0.6), ("sz_main", 0.4))),
    (2004, 2008, (("sh_old", 0.4), ("sme", 0.6))),
    (2009, 2010, (("sh_old", 0.2), ("sme", 0.45), ("chinext", 0.35))),
    (2011, 2018, (("sh_new", 0.4), ("sme", 0.3), ("chinext", 0.3))),
    (2019, 2100, (("star", 0.3), ("chinext", 0.35), ("sh_new", 0.2), ("sz_new", 0.1), ("sme", 0.05))),
)


def _random_date(rng: np.random.Generator, year: int) -> dt.date:
    start = dt.date(year, 1, 1)
    days = (dt.date(year, 12, 31) - start).days
    return start + dt.timedelta(days=int(rng.integers(0, days + 1)))


def _listing_years(rng: np.random.Generator, n: int, scale: Scale) -> np.ndarray:
    """About half listed before the panel, the rest in IPO waves during it (2017, 2020-2021 heavy)."""
    pre = np.arange(1993, scale.first_year)
    pre_w = np.linspace(0.4, 1.6, pre.size)
    during = np.arange(scale.first_year, scale.last_year + 1)
    wave = {2017: 2.2, 2020: 2.0, 2021: 2.4, 2016: 1.3, 2019: 1.2, 2022: 1.5, 2012: 0.6, 2013: 0.1, 2014: 0.5}
    during_w = np.array([wave.get(int(y), 1.0) for y in during])
    years = np.concatenate([pre, during])
    weights = np.concatenate([pre_w / pre_w.sum() * 0.5, during_w / during_w.sum() * 0.5])
    return rng.choice(years, size=n, p=weights)


def _assign_codes(rng: np.random.Generator, list_dates: list[dt.date]) -> list[str]:
    """Codes follow listing order within each board, with random gaps, as on the real exchanges."""
    n = len(list_dates)
    board_of: list[str] = []
    for d in list_dates:
        era = next(e for e in _ERAS if e[0] <= d.year <= e[1])
        w = np.array([b[1] for b in era[2]])
        board_of.append(era[2][int(rng.choice(len(w), p=w / w.sum()))][0])
    codes: list[str] = [""] * n
    for board, prefixes in _BOARDS.items():
        idx = sorted((i for i in range(n) if board_of[i] == board), key=lambda i: (list_dates[i], i))
        if not idx:
            continue
        # ceil(1.3 n / 999) prefixes; the old Shanghai board always spans 600 and 601 (601 from the 2000s).
        n_prefixes = min(len(prefixes), max(2 if board == "sh_old" else 1, -(-len(idx) * 13 // 9990)))
        capacity = 999 * n_prefixes
        if len(idx) > capacity:
            raise ValueError(f"too many firms for the {board} stock-code prefixes")
        serials = np.sort(rng.choice(capacity, size=len(idx), replace=False))
        for i, s in zip(idx, serials, strict=True):
            codes[i] = f"{prefixes[int(s) // 999]}{int(s) % 999 + 1:03d}"
    return codes


def _firm_names(rng: np.random.Generator, industries: list[str], provinces: list[str]) -> tuple[list, list]:
    ind_words = {code: words for code, _, _, words in nm.INDUSTRIES}
    large = {name for name, _ in nm.LARGE_ENTERPRISES}
    chars = "".join(nm.STEMS)
    short_names: list[str] = []
    full_names: list[str] = []
    seen: set[str] = set()
    for ind, prov in zip(industries, provinces, strict=True):
        words = ind_words[ind]
        for attempt in range(1000):
            word = words[int(rng.integers(len(words)))]
            if attempt < 20:
                stem = nm.STEMS[int(rng.integers(len(nm.STEMS)))]
            else:
                stem = chars[int(rng.integers(len(chars)))] + chars[int(rng.integers(len(chars)))]
            short = stem + word[:2]
            if short in seen:
                continue
            place = nm.province_short(prov) if rng.random() < 0.55 else ""
            full = f"{place}{stem}{word}股份有限公司"
            if full in large or nm.is_research_partner(full):
                continue
            seen.add(short)
            short_names.append(short)
            full_names.append(full)
            break
        else:  # pragma: no cover - astronomically unlikely
            raise RuntimeError("could not draw a unique firm name")
    return short_names, full_names


def make_firms(rng: np.random.Generator, scale: Scale) -> pd.DataFrame:
    """One row per firm, sorted by stock code; `list_year`/`delist_year` define the active years."""
    n = scale.n_firms
    ind_w = np.array([w for _, _, w, _ in nm.INDUSTRIES])
    ind_idx = rng.choice(len(nm.INDUSTRIES), size=n, p=ind_w / ind_w.sum())
    prov_w = np.array([p[2] for p in nm.PROVINCES])
    prov_idx = rng.choice(len(nm.PROVINCES), size=n, p=prov_w / prov_w.sum())
    industries = [nm.INDUSTRIES[i][0] for i in ind_idx]
    provinces = [nm.PROVINCES[i][0] for i in prov_idx]

    list_years = _listing_years(rng, n, scale)
    list_dates = [_random_date(rng, int(y)) for y in list_years]
    found_dates = [_random_date(rng, d.year - int(rng.integers(3, 23))) for d in list_dates]
    codes = _assign_codes(rng, list_dates)
    short, full = _firm_names(rng, industries, provinces)

    # Distress is a firm-level trait (drives losses through the firm effect, Lev > 1 spells and delisting),
    # so attrition never selects on the idiosyncratic outcome noise.
    distressed = rng.random(n) < 0.05
    p_delist = np.where(distressed, 0.45, 0.03)
    delist_year = np.full(n, 0, dtype=int)
    for i in range(n):
        lo = max(int(list_years[i]) + 2, scale.first_year + 1)
        if lo <= scale.last_year and rng.random() < p_delist[i]:
            delist_year[i] = int(rng.integers(lo, scale.last_year + 1))
    delist_dates = [_random_date(rng, int(y)).isoformat() if y else "" for y in delist_year]

    firms = pd.DataFrame(
        {
            "Stkcd": codes,
            "Stknme": short,
            "Conme": full,
            "Nnindcd": industries,
            "Nnindnme": [nm.INDUSTRIES[i][1] for i in ind_idx],
            "PROVINCE": provinces,
            "Estbdt": [d.isoformat() for d in found_dates],
            "Listdt": [d.isoformat() for d in list_dates],
            "Delistdt": delist_dates,
            "list_year": list_years.astype(int),
            "delist_year": delist_year,
            "distressed": distressed,
            "is_finance": [code in nm.FINANCE_CODES for code in industries],
        }
    )
    return firms.sort_values("Stkcd", kind="stable").reset_index(drop=True)
