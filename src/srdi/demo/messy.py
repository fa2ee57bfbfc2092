"""Export quirks of real CSMAR / CNRDS / MIIT downloads, planted in the demo's raw tables at documented rates
(docs/raw_tables.md, "Quirks"; docs/demo_dgp.md, "Raw-table quirks"). Every quirk leaves the planted values
recoverable by the mapping's rules, so the proxies still equal truth_latent.parquet.

All draws come from the demo's `messy` random stream, the last one, so no other table's draws change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from srdi.demo import names as nm
from srdi.demo.dgp import Sim
from srdi.demo.moves import INDUSTRY_NAMES

EXPORT_DATE = "20250403"  # the date suffix CSMAR-style split downloads carry
RD_LINE_FROM = 2018  # the income statement's 研发费用 line (B001216000) is filled from this year on
RATES = {
    "rd_line_blank_after": 0.04,  # firm-years >= 2018 whose statement line is blank (R&D in 管理费用)
    "rd_table_blank_after": 0.03,  # R&D-table rows >= 2018 with RDExpenses blank (the statement has it)
    "rd_table_after": 0.6,  # share of firm-years >= 2018 (statement filled) also in the R&D table
    "intangible_blank": 0.02,  # A001218000 blank
    "selling_blank": 0.01,  # B001209000 blank
    "soe_combined": 0.45,  # SOE firm-years written as a combination (国家,央企) or a sub-type (地方国企)
    "private_combined": 0.05,  # 民营 firm-years written 民营,外资
    "relocated_after_panel": 0.02,  # firms whose TRD_Co province is the one after a move in the download year
    "reclassified_after_panel": 0.015,  # firms whose TRD_Co industry is the one after a reclassification
    "info_duplicate": 0.005,  # firm-years listed twice in STK_LISTEDCOINFOANL (a stale row first)
    "info_short_province": 0.1,  # STK_LISTEDCOINFOANL province written without 省 / 市 / 自治区
    "env_short_province": 0.4,  # innovation-index rows with the province written without 省
    "giant_by_subsidiary": 0.35,  # designated listed firms listed under a subsidiary's name
    "giant_again_later": 0.08,  # designated listed firms named again (a subsidiary) in a later batch
    "giant_revoked": 0.03,  # designations revoked later
    "unlisted_per_listed": 4.0,  # unlisted little giants per listed one in the list
    "firms_with_subsidiaries": 0.3,  # firms with other subsidiaries in FN_Subsidiary
}
SOE_SPELLINGS = ("国家,央企", "地方国企", "国企,外资", "央企")


def split_years(years: list[int]) -> list[tuple[int, int]]:
    """Two download ranges that overlap in their middle year (first-mid, mid-last), as users download them."""
    mid = years[len(years) // 2]
    return [(years[0], mid), (mid, years[-1])]


def split_by_years(frame: pd.DataFrame, date_col: str, years: list[int]) -> list[tuple[str, pd.DataFrame]]:
    """(file-name infix, rows) per range; rows of the overlap year are in both files."""
    y = frame[date_col].str[:4].astype(int)
    out = []
    for lo, hi in split_years(years):
        part = frame.loc[(y >= lo) & (y <= hi)].reset_index(drop=True)
        out.append((f"{lo}-{hi}_{EXPORT_DATE}", part))
    return out


def blank(rng: np.random.Generator, frame: pd.DataFrame, col: str, rate: float) -> pd.DataFrame:
    out = frame.copy()
    out.loc[rng.random(len(out)) < rate, col] = np.nan
    return out


def income_rd(rng: np.random.Generator, income: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank the 研发费用 line before 2018 and in a few later firm-years; return (income, annual R&D rows of
    the firm-years the R&D table must cover: every earlier year and the later blanks)."""
    out = income.copy()
    year = out["Accper"].str[:4].astype(int)
    annual = (out["Typrep"] == "A") & out["Accper"].str.endswith("12-31")
    late_blank = annual & (year >= RD_LINE_FROM) & (rng.random(len(out)) < RATES["rd_line_blank_after"])
    keep_in_table = annual & ((year < RD_LINE_FROM) | late_blank)
    also = annual & (year >= RD_LINE_FROM) & ~late_blank & (rng.random(len(out)) < RATES["rd_table_after"])
    rd_rows = out.loc[keep_in_table | also, ["Stkcd", "Accper", "B001216000"]].copy()
    rd_rows["statement_has_it"] = also[keep_in_table | also].to_numpy()
    out.loc[(year < RD_LINE_FROM) | late_blank, "B001216000"] = np.nan
    return out, rd_rows


def rd_table(rng: np.random.Generator, rd_rows: pd.DataFrame) -> pd.DataFrame:
    """CSMAR 研发投入 (PT_LCRDSPENDING) with Chinese headers: total = expensed + capitalised R&D."""
    expensed = rd_rows["B001216000"].to_numpy(dtype=float)
    capitalised = np.round(expensed * rng.uniform(0.0, 0.3, expensed.size) * (rng.random(expensed.size) < 0.4), 2)
    out = pd.DataFrame({
        "证券代码": rd_rows["Stkcd"].to_numpy(),
        "会计期间": rd_rows["Accper"].to_numpy(),
        "研发投入金额": np.round(expensed + capitalised, 2) + 0.0,
        "费用化研发投入": expensed,
        "资本化研发投入": capitalised + 0.0,
    })
    gone = rd_rows["statement_has_it"].to_numpy() & (rng.random(len(out)) < RATES["rd_table_blank_after"])
    out.loc[gone, "费用化研发投入"] = np.nan
    return out.sort_values(["证券代码", "会计期间"], kind="stable").reset_index(drop=True)


def st_events(rng: np.random.Generator, sim: Sim) -> pd.DataFrame:
    """Dated ST events whose year-end status is the planted firm-year status (ST imposed / changed / removed
    in April-June, after the annual report that triggers it)."""
    st = sim.a["st"]
    written = sim.written
    codes = sim.firms["Stkcd"].to_numpy()
    short = sim.firms["Stknme"].to_numpy()
    kinds = {("", "ST"): "ST", ("", "*ST"): "*ST", ("ST", "*ST"): "ST变*ST", ("*ST", "ST"): "*ST变ST",
             ("ST", ""): "撤销ST", ("*ST", ""): "撤销*ST"}
    rows = []
    for i in np.flatnonzero((st != "").any(axis=1) & written.any(axis=1)):
        prev = ""
        for k in np.flatnonzero(written[i]):
            now = str(st[i, k])
            if now != prev:
                year = int(sim.years[k])
                day = pd.Timestamp(year, 4, 1) + pd.Timedelta(days=int(rng.integers(0, 91)))
                announce = day - pd.Timedelta(days=int(rng.integers(1, 6)))
                rows.append((codes[i], short[i], announce.strftime("%Y-%m-%d"), day.strftime("%Y-%m-%d"),
                             kinds[(prev, now)]))
                prev = now
    out = pd.DataFrame(rows, columns=["Stkcd", "ShortName", "Annoudt", "Execudt", "Chgtype"])
    return out.sort_values(["Stkcd", "Execudt"], kind="stable").reset_index(drop=True)


def ownership_values(rng: np.random.Generator, nature: np.ndarray) -> np.ndarray:
    """Planted natures as the export writes them: SOE firm-years often combined (国家,央企) or as a sub-type."""
    out = nature.astype(object).copy()
    u = rng.random(out.shape)
    pick = rng.integers(0, len(SOE_SPELLINGS), out.shape)
    soe = (nature == "国企") & (u < RATES["soe_combined"])
    out[soe] = np.asarray(SOE_SPELLINGS, dtype=object)[pick[soe]]
    out[(nature == "民营") & (u < RATES["private_combined"])] = "民营,外资"
    return out


def _short_province(name: str) -> str:
    return nm.province_short(name) if any(p[0] == name for p in nm.PROVINCES) else name


def firm_tables(rng: np.random.Generator, sim: Sim) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(TRD_Co rows, STK_LISTEDCOINFOANL rows). The annual table holds each firm-year's province and industry
    (moves and reclassifications during the panel, moves.py); TRD_Co holds the values of the download year:
    those of the firm's last panel year, or later ones after moves and reclassifications that happened after
    the last panel year (so the firm table alone would be wrong for the panel years of those firms)."""
    firms = sim.firms
    n = len(firms)
    trd = firms[["Stkcd", "Stknme", "Conme", "Nnindcd", "Nnindnme", "PROVINCE", "Estbdt", "Listdt",
                 "Delistdt"]].copy()
    last = sim.written.shape[1] - 1 - np.argmax(sim.written[:, ::-1], axis=1)  # the firm's last written year
    trd["PROVINCE"] = sim.a["province"][np.arange(n), last]
    trd["Nnindcd"] = sim.a["industry"][np.arange(n), last]
    trd["Nnindnme"] = trd["Nnindcd"].map(INDUSTRY_NAMES)
    moved = rng.random(n) < RATES["relocated_after_panel"]
    provs = [p[0] for p in nm.PROVINCES]
    for i in np.flatnonzero(moved):
        trd.iat[i, 5] = provs[(provs.index(trd["PROVINCE"].iat[i]) + 1 + int(rng.integers(len(provs) - 1)))
                              % len(provs)]
    ordinary = [(c, name) for c, name, *_ in nm.INDUSTRIES if c not in nm.FINANCE_CODES]
    recl = (rng.random(n) < RATES["reclassified_after_panel"]) & ~firms["is_finance"].to_numpy()
    for i in np.flatnonzero(recl):
        choices = [x for x in ordinary if x[0] != trd["Nnindcd"].iat[i]]
        code, name = choices[int(rng.integers(len(choices)))]
        trd.iat[i, 3], trd.iat[i, 4] = code, name
    ii, kk = np.nonzero(sim.written)
    prov = sim.a["province"][ii, kk].astype(object)
    short = rng.random(ii.size) < RATES["info_short_province"]
    prov[short] = [_short_province(p) for p in prov[short]]
    info = pd.DataFrame({
        "Symbol": firms["Stkcd"].to_numpy()[ii],
        "ShortName": firms["Stknme"].to_numpy()[ii],
        "EndDate": [f"{y}-12-31" for y in sim.years[kk]],
        "IndustryCode": sim.a["industry"][ii, kk],
        "IndustryName": [INDUSTRY_NAMES[c] for c in sim.a["industry"][ii, kk]],
        "PROVINCE": prov,
        "EquityNature": sim.a["nature"][ii, kk],
    })
    dup = info.loc[rng.random(len(info)) < RATES["info_duplicate"]].copy()
    dup["PROVINCE"] = "香港特别行政区"  # the stale row, listed first; on_duplicate: last keeps the later one
    info = pd.concat([dup, info], ignore_index=True)
    return trd, info.sort_values(["Symbol", "EndDate"], kind="stable").reset_index(drop=True)


def innovation_index(rng: np.random.Generator, env: pd.DataFrame) -> pd.DataFrame:
    """Reports name the year they are published, one after the data year; 省 written or not."""
    prov = env["Province"].to_numpy().astype(object)
    short = rng.random(prov.size) < RATES["env_short_province"]
    prov[short] = [_short_province(p) for p in prov[short]]
    return pd.DataFrame({"Province": prov, "ReportYear": env["Year"].to_numpy() + 1,
                         "InnovEnv": env["InnovEnv"].to_numpy()})


def _subsidiary_name(rng: np.random.Generator, firm_name: str, province: str) -> str:
    stem = firm_name.removesuffix("股份有限公司")
    place = nm.province_short(province) if any(p[0] == province for p in nm.PROVINCES) else "江苏"
    trade = ("智能装备", "新材料", "精密制造", "电子科技", "软件技术", "生物科技")[int(rng.integers(6))]
    return f"{stem}({place}){trade}有限公司"


def little_giants(rng: np.random.Generator, sim: Sim, unlisted: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(MIIT little-giant list by name, subsidiaries table). Each designated listed firm appears under its own
    name or a subsidiary's at its planted batch; a few again later under a subsidiary (earliest counts); a few
    revoked later; unlisted names match no listed firm."""
    firms = sim.firms
    batch_year = sim.a["batch_year"][:, 0]
    last = int(sim.years[-1])
    rows, subs = [], []
    for i in range(len(firms)):
        name, prov, code = firms["Conme"].iat[i], firms["PROVINCE"].iat[i], firms["Stkcd"].iat[i]
        own_subs = [_subsidiary_name(rng, name, prov) for _ in range(int(rng.random() < RATES[
            "firms_with_subsidiaries"]) * 2)]
        by = int(batch_year[i])
        if by > 0:
            listed_as = name
            if rng.random() < RATES["giant_by_subsidiary"]:
                listed_as = _subsidiary_name(rng, name, prov)
                own_subs.append(listed_as)
            revoke = by + 2 if rng.random() < RATES["giant_revoked"] and by + 2 <= last + 1 else None
            rows.append((listed_as, prov, by - 2018, by, revoke))
            if rng.random() < RATES["giant_again_later"] and by < 2023:
                later = _subsidiary_name(rng, name, prov)
                own_subs.append(later)
                rows.append((later, prov, by + 1 - 2018, by + 1, None))
        subs += [(code, s, round(float(rng.uniform(51, 100)), 2)) for s in dict.fromkeys(own_subs)]
    n_unlisted = int(RATES["unlisted_per_listed"] * len(rows))
    provs = [p[0] for p in nm.PROVINCES]
    taken = set(firms["Conme"]) | {s for _, s, _ in subs}
    for name in [u for u in unlisted if u not in taken][:n_unlisted]:
        by = int(rng.integers(2019, 2024))
        rows.append((name, provs[int(rng.integers(len(provs)))], by - 2018, by, None))
    giants = pd.DataFrame(rows, columns=["企业名称", "省份", "批次", "BatchYear", "RevokeYear"])
    giants["RevokeYear"] = giants["RevokeYear"].astype("Int64")
    giants = giants.sort_values(["批次", "企业名称"], kind="stable").reset_index(drop=True)
    subsidiaries = pd.DataFrame(subs, columns=["Stkcd", "SubsidiaryName", "HoldingRatio"])
    return giants, subsidiaries.drop_duplicates("SubsidiaryName").reset_index(drop=True)
