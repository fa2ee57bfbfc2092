"""Top-5 customers and suppliers (one combined table, as CSMAR's) and patent applications (CNRDS style).

The large-enterprise ranks and the joint applications with large firms, universities and institutes are the
ones the DGP drew. Names are spelled as real exports spell them (docs/demo_dgp.md, "Partner names"): a large
partner appears under its listed name, a formatting variant, a former name, a branch or subsidiary
(国网江苏省电力有限公司苏州供电公司) or with "及其关联方"; some firm-years anonymise their ordinary partners
(客户二) or disclose only the total rows (前五名客户合计, no ranks or names), and most joint applications are
co-filed with the firm's own subsidiaries. Every other name is an ordinary company, so the documented matching rules
(srdi.ingest.partners) recover ci_chain and ci_collab exactly where names are disclosed.
"""

from __future__ import annotations

import bisect
import functools

import numpy as np
import pandas as pd

from srdi.demo import names as nm
from srdi.demo.dgp import Sim
from srdi.ingest.partners import read_aliases

_CN_NUM = ("一", "二", "三", "四", "五")
LARGE_POOL = 5
ORDINARY_POOL = 8
# Rates of the messy spellings (modelled; docs/demo_dgp.md, "Partner names").
AGGREGATE_ONLY = 0.08  # firm-years that disclose only the top-5 totals, no ranks or names (both types)
ANONYMISED = 0.15  # firm-years that anonymise their ordinary partners below rank 1 (客户二, 供应商三)
# Spelling of a large partner: listed name, formatting variant, alias, branch/subsidiary, "及其关联方".
LARGE_FORMS = (0.40, 0.12, 0.08, 0.30, 0.10)
_FORM_CUM: list[float] = np.cumsum(LARGE_FORMS).tolist()
OWN_COFILING = 0.45  # own-subsidiary co-filings per firm-year, relative to the solo applications' rate
_RELATED_SUFFIX = ("及其关联方", "及其关联公司", "及其子公司")


@functools.cache
def _alias_table() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Former names and branch prefixes per listed firm, from the shipped alias list that ingestion uses."""
    aliases: dict[str, list[str]] = {}
    prefixes: dict[str, list[str]] = {}
    for a in read_aliases():
        (aliases if a.rule == "alias" else prefixes).setdefault(a.canonical, []).append(a.name)
    return aliases, prefixes


def _format_variant(rng: np.random.Generator, name: str) -> str:
    """The same name as another export spells it: half-width brackets, a space, 有限责任公司 for 有限公司."""
    r = rng.random()
    if "（" in name and r < 0.5:
        return name.replace("（", "(").replace("）", ")")
    if r < 0.7 and name.endswith("有限公司") and not name.endswith("股份有限公司"):
        return name[:-4] + "有限责任公司"
    cut = 2 + int(rng.integers(max(1, len(name) - 4)))
    return name[:cut] + " " + name[cut:]


def messy_large_name(rng: np.random.Generator, canonical: str, related: bool = True) -> str:
    """One spelling of a large partner, drawn at the LARGE_FORMS rates ('及其关联方' only if `related`)."""
    aliases, prefixes = _alias_table()
    form = bisect.bisect_right(_FORM_CUM, rng.random())
    city = nm.CITIES[int(rng.integers(len(nm.CITIES)))]
    prov = nm.PROVINCES[int(rng.integers(len(nm.PROVINCES)))][1]
    if form == 1:
        return _format_variant(rng, canonical)
    if form == 2 and canonical in aliases:
        pool = aliases[canonical]
        return pool[int(rng.integers(len(pool)))]
    if form == 3 and canonical in prefixes:
        if canonical == "国家电网有限公司":
            tpl = nm.GRID_FORMS[int(rng.integers(len(nm.GRID_FORMS)))]
            return tpl.format(c=city, s=prov)
        pool = prefixes[canonical]
        tpl = nm.BRANCH_FORMS[int(rng.integers(len(nm.BRANCH_FORMS)))]
        return tpl.format(p=pool[int(rng.integers(len(pool)))], c=city, s=prov)
    if form == 4 and related:
        return canonical + _RELATED_SUFFIX[int(rng.integers(len(_RELATED_SUFFIX)))]
    return canonical


def _messy_large(rng: np.random.Generator, names: np.ndarray, is_large: np.ndarray) -> np.ndarray:
    out = names.copy()
    for idx in zip(*np.nonzero(is_large), strict=True):
        out[idx] = messy_large_name(rng, str(names[idx]))
    return out


def own_subsidiary_names(rng: np.random.Generator, short: str, full: str, k: int) -> list[str]:
    """k names of the firm's own subsidiaries and branches (华锐电子（苏州）科技有限公司, 苏州华锐电子精密机械
    有限公司, 江苏华锐电子股份有限公司北京分公司)."""
    core = full.removesuffix("股份有限公司")
    out = []
    for _ in range(k):
        city = nm.CITIES[int(rng.integers(len(nm.CITIES)))]
        trade = nm.ORDINARY_TRADES[int(rng.integers(len(nm.ORDINARY_TRADES)))]
        forms = (f"{city}{short}{trade}有限公司", f"{short}（{city}）科技有限公司", f"{full}{city}分公司",
                 f"{core}{city}有限公司")
        out.append(forms[int(rng.integers(len(forms)))])
    return out


def _pick_names(rng: np.random.Generator, is_large: np.ndarray, large_pool: np.ndarray,
                ord_pool: np.ndarray) -> np.ndarray:
    """Names for (m, 5) ranks: large ranks from the firm's large pool, others from its ordinary pool."""
    m = is_large.shape[0]
    perm_l = np.argsort(rng.random((m, LARGE_POOL)), axis=1)
    perm_o = np.argsort(rng.random((m, ORDINARY_POOL)), axis=1)
    j_l = np.cumsum(is_large, axis=1) - 1
    j_o = np.cumsum(~is_large, axis=1) - 1
    rows = np.arange(m)[:, None]
    large_names = large_pool[rows, perm_l[rows, np.clip(j_l, 0, None)]]
    ord_names = ord_pool[rows, perm_o[rows, np.clip(j_o, 0, None)]]
    return np.where(is_large, large_names, ord_names)


TOP5_CODES = ("Stkcd", "Accper", "CusSupType", "Rank", "PartnerName", "Amount", "Ratio")
_SIDES = (("客户", "前五名客户合计"), ("供应商", "前五名供应商合计"))


def _top5_side(sim: Sim, ii: np.ndarray, kk: np.ndarray, side: int, names: np.ndarray, ratio: np.ndarray,
               base: np.ndarray, undisclosed: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """One side's rows of the combined table: ranks 1-5 (none where only the total is disclosed) and the total
    row (Rank blank, 前五名客户合计). Returns the rows and their sort key (firm-year, side, rank; total last)."""
    m = ii.size
    kind, total_name = _SIDES[side]
    amount = np.round(ratio / 100.0 * base[:, None], 2) + 0.0
    keep = np.repeat(~undisclosed, 5)
    fy = np.concatenate([np.repeat(np.arange(m), 5)[keep], np.arange(m)])
    pos = np.concatenate([np.tile(np.arange(5), m)[keep], np.full(m, 5)])
    stk = sim.firms["Stkcd"].to_numpy()[ii]
    acc = np.array([f"{y}-12-31" for y in sim.years[kk]], dtype=object)
    rank = np.array([*(pos[: keep.sum()] + 1).tolist(), *([None] * m)], dtype=object)
    frame = pd.DataFrame({
        "Stkcd": stk[fy], "Accper": acc[fy], "CusSupType": kind, "Rank": rank,
        "PartnerName": np.concatenate([names.reshape(-1)[keep], np.full(m, total_name, dtype=object)]),
        "Amount": np.concatenate([amount.reshape(-1)[keep], np.round(amount.sum(axis=1), 2) + 0.0]),
        "Ratio": np.concatenate([ratio.reshape(-1)[keep], np.round(ratio.sum(axis=1), 2) + 0.0]),
    })
    return frame, (fy * 2 + side) * 6 + pos


def top5_table(sim: Sim, ii: np.ndarray, kk: np.ndarray, sides: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
               undisclosed: np.ndarray) -> pd.DataFrame:
    """The combined top-5 customer/supplier table, sorted by firm-year, type (customers first) and rank."""
    parts = [_top5_side(sim, ii, kk, j, *side, undisclosed) for j, side in enumerate(sides)]
    frame = pd.concat([f for f, _ in parts], ignore_index=True)
    order = np.argsort(np.concatenate([k for _, k in parts]), kind="stable")
    return frame.iloc[order].reset_index(drop=True)[list(TOP5_CODES)]


def build_relations(rng: np.random.Generator, sim: Sim, ordinary: list[str]) -> dict[str, pd.DataFrame]:
    """Customers, suppliers and patents; `ordinary` is a pool of ordinary company names."""
    a = sim.a
    n = len(sim.firms)
    large = np.array([name for name, _ in nm.LARGE_ENTERPRISES], dtype=object)
    ordinary_arr = np.array(ordinary, dtype=object)
    cus_large_pool = large[np.argsort(rng.random((n, large.size)), axis=1)[:, :LARGE_POOL]]
    sup_large_pool = large[np.argsort(rng.random((n, large.size)), axis=1)[:, :LARGE_POOL]]
    cus_ord_pool = ordinary_arr[rng.integers(0, ordinary_arr.size, (n, ORDINARY_POOL))]
    sup_ord_pool = ordinary_arr[rng.integers(0, ordinary_arr.size, (n, ORDINARY_POOL))]

    ii, kk = np.nonzero(sim.written)
    m = ii.size
    cus_large, sup_large = a["cus_large"][ii, kk], a["sup_large"][ii, kk]
    cus_names = _pick_names(rng, cus_large, cus_large_pool[ii], cus_ord_pool[ii])
    sup_names = _pick_names(rng, sup_large, sup_large_pool[ii], sup_ord_pool[ii])
    cus_names = _messy_large(rng, cus_names, cus_large)
    sup_names = _messy_large(rng, sup_names, sup_large)
    # Anonymised ordinary partners below rank 1 (客户二, 供应商三): still not large, and rank 1 stays named so
    # the firm-year's large share is known. Aggregate-only firm-years: ratios without any name.
    anon = (rng.random(m) < ANONYMISED)[:, None] & (rng.random((m, 5)) < 0.7) & (np.arange(5) > 0)
    cus_anon = np.array([[f"客户{c}" for c in _CN_NUM]] * m, dtype=object)
    sup_anon = np.array([[f"供应商{c}" for c in _CN_NUM]] * m, dtype=object)
    cus_names = np.where(anon & ~cus_large, cus_anon, cus_names)
    sup_names = np.where(anon & ~sup_large, sup_anon, sup_names)
    undisclosed = rng.random(m) < AGGREGATE_ONLY  # only the total rows: no rank, no name
    revenue = a["revenue"][ii, kk]
    purchases = (1.0 - a["srdi_distinct"][ii, kk]) * revenue * rng.uniform(0.8, 1.1, m)
    top5 = top5_table(sim, ii, kk, [(cus_names, a["cus_ratio"][ii, kk], revenue),
                                    (sup_names, a["sup_ratio"][ii, kk], purchases)], undisclosed)
    patents = _patents(rng, sim, ii, kk, cus_large_pool, ordinary_arr)
    return {"top5": top5, "patents": patents}


_CHECK_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_CHECK_CHARS = np.array([*(str(d) for d in range(10)), "X"], dtype=object)


def check_digits(number: np.ndarray) -> np.ndarray:
    """Check characters of 12-digit CN application numbers (weights 2-9, 2-5 over the digits; mod 11; 10 -> X)."""
    number = np.asarray(number, dtype=np.int64)
    total = np.zeros(number.shape, dtype=np.int64)
    for p, w in enumerate(_CHECK_WEIGHTS):
        total += (number // 10 ** (11 - p)) % 10 * w
    return _CHECK_CHARS[total % 11]


def _joined(base: np.ndarray, *parts: tuple[np.ndarray, np.ndarray]) -> list[str]:
    """base + ';' + value for every (present, value) part whose flag is set, row by row."""
    out = base.astype(object)
    for present, value in parts:
        out = out + np.where(present, ";" + value.astype(object), "")
    return out.tolist()


_TYPE_NAME = {1: "发明", 2: "实用新型", 3: "外观设计"}


def _patents(rng: np.random.Generator, sim: Sim, ii: np.ndarray, kk: np.ndarray,
             large_pool: np.ndarray, ordinary: np.ndarray) -> pd.DataFrame:
    """One row per application; joint ones with qualifying partners number exactly n_collab."""
    a, firms = sim.a, sim.firms
    fin = firms["is_finance"].to_numpy()
    lam_solo = np.exp(rng.normal(1.6 + 0.3 * a["eta"][:, 0], 0.8)) * np.where(fin, 0.05, 1.0)
    years = sim.years[kk]
    growth = np.exp(0.05 * (years - sim.scale.first_year))
    n_qual = a["n_collab"][ii, kk]
    n_solo = np.minimum(rng.poisson(lam_solo[ii] * growth), 150)
    n_ordj = rng.poisson(0.12 * lam_solo[ii] * growth)
    n_own = rng.poisson(OWN_COFILING * lam_solo[ii] * growth)
    univ = np.array(nm.UNIVERSITIES, dtype=object)
    inst = np.array(nm.INSTITUTES, dtype=object)
    large = np.array([name for name, _ in nm.LARGE_ENTERPRISES], dtype=object)

    # Rows per firm-year in a fixed order: qualifying joint (kind 2), solo (0), joint with an ordinary firm (1),
    # joint with the firm's own subsidiary (3).
    parts = ((2, n_qual), (0, n_solo), (1, n_ordj), (3, n_own))
    fy = np.concatenate([np.repeat(np.arange(ii.size), cnt) for _, cnt in parts])
    kind = np.concatenate([np.full(int(cnt.sum()), k, dtype=np.int64) for k, cnt in parts])
    rank = np.concatenate([np.full(int(cnt.sum()), j, dtype=np.int64) for j, (_, cnt) in enumerate(parts)])
    order = np.lexsort((rank, fy))
    fy, kind = fy[order], kind[order]
    f = ii[fy].astype(np.int64)
    y = years[fy].astype(np.int64)
    r = f.size

    ptype = np.where(
        kind == 2,
        rng.choice([1, 2, 3], size=r, p=[0.6, 0.35, 0.05]),
        rng.choice([1, 2, 3], size=r, p=[0.35, 0.5, 0.15]),
    )
    day = rng.integers(0, 365, r)
    app_date = (pd.to_datetime(pd.Series(y.astype(str)) + "-01-01") + pd.to_timedelta(day, unit="D"))
    app_date = app_date.dt.strftime("%Y-%m-%d").to_numpy()
    serial = np.zeros(r, dtype=np.int64)
    for key in sorted(set(zip(y.tolist(), ptype.tolist(), strict=True))):
        sel = np.nonzero((y == key[0]) & (ptype == key[1]))[0]
        serial[sel] = rng.choice(9_999_999, size=sel.size, replace=False) + 1
    with_cn = rng.random(r) < 0.6

    # Qualifying partner: the firm's large customers (or any large firm), a university or an institute.
    partner_type = rng.choice(3, size=r, p=[0.4, 0.35, 0.25])
    own_large = large_pool[f, rng.integers(0, LARGE_POOL, r)]
    any_large = large[rng.integers(0, large.size, r)]
    large_pick = np.where(rng.random(r) < 0.5, own_large, any_large)
    partner = np.where(partner_type == 0, large_pick,
                       np.where(partner_type == 1, univ[rng.integers(0, univ.size, r)],
                                inst[rng.integers(0, inst.size, r)]))
    second = univ[rng.integers(0, univ.size, r)]
    has_second = rng.random(r) < 0.15
    extra_ord = ordinary[rng.integers(0, ordinary.size, r)]
    has_extra = rng.random(r) < 0.15
    conme = firms["Conme"].to_numpy()
    short = firms["Stknme"].to_numpy()
    own_pool = [own_subsidiary_names(rng, short[i], conme[i], 3) for i in range(len(firms))]
    own_pick = rng.integers(0, 3, r)
    has_own = (kind == 3) | ((kind == 2) & (rng.random(r) < 0.3))
    large_form = [messy_large_name(rng, str(name), related=False) if partner_type[t] == 0 else ""
                  for t, name in enumerate(partner)]

    number = y * 10**8 + ptype.astype(np.int64) * 10**7 + serial
    digits = pd.Series(number).astype(str).to_numpy(dtype=object)
    app_no = (np.where(with_cn, "CN", "").astype(object) + digits + "." + check_digits(number)).tolist()
    joint = kind == 2
    qualifying = np.where(partner_type == 0, np.array(large_form, dtype=object), partner)
    applicants = _joined(
        conme[f],
        (has_own, np.array(own_pool, dtype=object)[f, own_pick]),
        (joint, qualifying),
        (joint & has_second & (second != partner), second),
        ((joint & has_extra) | (kind == 1), extra_ord),
    )
    out = pd.DataFrame(
        {
            "Stkcd": firms["Stkcd"].to_numpy()[f],
            "AppNo": app_no,
            "AppDate": app_date,
            "PatentType": [_TYPE_NAME[int(p)] for p in ptype],
            "Applicants": applicants,
        }
    )
    return out.sort_values(["Stkcd", "AppDate", "AppNo"], kind="stable").reset_index(drop=True)
