"""The firm universe: codes, names, industry, province, founding, listing and delisting dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from srdi.demo import names as nm
from srdi.demo.scales import Scale

# Exchange/board code pools by listing era: (first year, last year, [(weight, [prefixes...])]).
# A pool's later prefixes only fill up at scales beyond the real market (about 5,000 firms).
_ERAS: tuple[tuple[int, int, tuple[tuple[float, tuple[str, ...]], ...]], ...] = (
    (1990, 1996, ((0.5, ("600", "601", "602")), (0.5, ("000", "004", "005")))),
    (1997, 2003, ((0.6, ("600", "601", "602")), (0.4, ("000", "004", "005")))),
    (2004, 2008, ((0.4, ("601", "600", "602")), (0.6, ("002", "003")))),
    (2009, 2010, ((0.2, ("601", "602")), (0.45, ("002", "003")), (0.35, ("300", "301")))),
    (2011, 2018, ((0.35, ("603", "605")), (0.05, ("601", "602")), (0.3, ("002", "003")), (0.3, ("300", "301")))),
    (2019, 2100, ((0.3, ("688", "689")), (0.35, ("300", "301")), (0.2, ("603", "605")), (0.1, ("001", "004")),
                  (0.05, ("002", "003")))),
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
    """Codes follow listing order within each prefix, with random gaps, as on the real exchanges."""
    n = len(list_dates)
    pool_of = np.empty(n, dtype=object)
    for i, d in enumerate(list_dates):
        for first, last, pools in _ERAS:
            if first <= d.year <= last:
                w = np.array([p[0] for p in pools])
                pool_of[i] = pools[int(rng.choice(len(pools), p=w / w.sum()))][1]
                break
    codes: list[str] = [""] * n
    for pool in sorted({p for p in pool_of}):
        idx = [i for i in range(n) if pool_of[i] == pool]
        idx.sort(key=lambda i: (list_dates[i], i))
        capacity = 999 * len(pool)
        if len(idx) > capacity:
            raise ValueError("too many firms for the stock-code pools")
        serials = np.sort(rng.choice(capacity, size=len(idx), replace=False))
        for i, s in zip(idx, serials, strict=True):
            prefix = pool[int(s) // 999]
            codes[i] = f"{prefix}{int(s) % 999 + 1:03d}"
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
