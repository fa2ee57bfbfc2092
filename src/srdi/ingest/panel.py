"""First firm-year panel from the interim tables: levels, controls, SRDI ratios and the text-free
co-innovation proxies (ci_chain from top-5 partners, ci_collab from joint patent applications).

Firm-years are those with an annual consolidated balance sheet or income statement. Every ratio with a
zero or missing denominator is missing, never infinite; `growth` uses the true previous calendar year.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_csv, write_parquet
from .errors import IngestError, make_problem
from .partner_proxies import classify_applicants, match_report, partner_shares, patent_counts
from .partners import PartnerMatcher, read_aliases

KEY = ["stkcd", "year"]


def _read(interim_dir: Path, key: str) -> pd.DataFrame:
    return pd.read_parquet(interim_dir / f"{key}.parquet")


def assert_unique(frame: pd.DataFrame, keys: list[str], what: str) -> None:
    """Raise IngestError listing the repeated keys (positions are 1-based rows of `what`)."""
    dup = frame.duplicated(subset=keys, keep=False)
    if dup.any():
        bad = frame.loc[dup]
        rows = [int(i) + 1 for i in np.flatnonzero(dup.to_numpy())]
        values = [tuple(r) for r in bad[keys].itertuples(index=False)]
        raise IngestError([make_problem(what, "panel", f"duplicate {'/'.join(keys)}",
                                        column=", ".join(keys), rows=rows, values=values)], stage="Base panel")


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    out = num.astype("float64") / den.astype("float64")
    return out.replace([np.inf, -np.inf], np.nan)


def _log_pos(x: pd.Series) -> pd.Series:
    x = x.astype("float64")
    return np.log(x.where(x > 0))


def _firm_years(balance: pd.DataFrame, income: pd.DataFrame) -> pd.DataFrame:
    assert_unique(balance, KEY, "balance.parquet")
    assert_unique(income, KEY, "income.parquet")
    base = balance.merge(income, on=KEY, how="outer", validate="one_to_one")
    base["year"] = base["year"].astype("int64")
    return base


def _left(base: pd.DataFrame, right: pd.DataFrame, on: list[str], cols: list[str], what: str) -> pd.DataFrame:
    assert_unique(right, on, what)
    right = right[[*on, *cols]].copy()
    if "year" in on:
        right = right.dropna(subset=["year"]).astype({"year": "int64"})
    return base.merge(right, on=on, how="left", validate="many_to_one")


def by_year_info(p: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """Province and industry of each firm-year from the annual basic-information table where it has the
    firm-year, else the firm table's (latest) values; `info_source` says which."""
    cols = ["province", "industry_code", "industry_name"]
    info = info[[*KEY, *cols]].dropna(subset=["year"]).astype({"year": "int64"})
    assert_unique(info, KEY, "firm_info.parquet")
    merged = p.merge(info.rename(columns={c: f"_{c}" for c in cols}), on=KEY, how="left", validate="one_to_one")
    has = merged["_industry_code"].notna() | merged["_province"].notna()
    for c in cols:
        merged[c] = merged.pop(f"_{c}").where(has, merged[c])
    merged["info_source"] = np.where(has, "firm_info", "firms")
    return merged


def _add_ratios(p: pd.DataFrame) -> pd.DataFrame:
    p["lev"] = _ratio(p["total_liabilities"], p["total_assets"])
    p["size"] = _log_pos(p["total_assets"])
    p["roa"] = _ratio(p["net_profit"], p["total_assets"])
    p["srdi_spec"] = _ratio(p["main_revenue"], p["revenue"])
    p["srdi_refine"] = _ratio(p["net_profit"], p["revenue"])
    p["srdi_distinct"] = _ratio(p["revenue"] - p["cost_of_sales"], p["revenue"])
    p["srdi_novel"] = _ratio(p["rd_expense"], p["revenue"])
    years_old = (p["year"] - p["found_date"].dt.year).astype("float64")
    p["age"] = np.log1p(years_old.where(years_old >= 0))
    prev = p[[*KEY, "revenue"]].assign(year=p["year"] + 1).rename(columns={"revenue": "_rev_prev"})
    p = p.merge(prev, on=KEY, how="left", validate="one_to_one")
    p["growth"] = _ratio(p["revenue"], p.pop("_rev_prev")) - 1
    p["cashflow"] = _ratio(p["op_cashflow"], p["total_assets"])
    p["board"] = _log_pos(p["board_size"])
    p["indep"] = _ratio(p["indep_directors"], p["board_size"])
    p["dual"] = p.pop("duality").astype("float64")
    return p


def build_base_panel(interim_dir: str | os.PathLike[str], out_path: str | os.PathLike[str],
                     aliases: str | os.PathLike[str] | None = None,
                     match_report_path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Join the interim tables into one row per stkcd-year, add ratios and proxies, write parquet.

    `aliases`: the large firms' alias and prefix list (None: the shipped one, srdi.ingest.partners); the partner
    match report (counts by rule, frequent unmatched names) goes to `match_report_path` if given."""
    d = Path(interim_dir)
    firms = _read(d, "firms")
    p = _firm_years(_read(d, "balance"), _read(d, "income"))
    p = _left(p, _read(d, "cashflow"), KEY, ["op_cashflow"], "cashflow.parquet")
    p = _left(p, _read(d, "main_business"), KEY, ["main_revenue"], "main_business.parquet")
    firm_cols = ["industry_code", "industry_name", "province", "found_date", "list_date", "delist_date"]
    p = _left(p, firms, ["stkcd"], firm_cols, "firms.parquet")
    p = by_year_info(p, _read(d, "firm_info"))
    p.insert(p.columns.get_loc("industry_code") + 1, "industry_sector",
             p["industry_code"].astype("str").str[:1].str.upper())
    p = _left(p, _read(d, "ownership"), KEY, ["ownership", "soe"], "ownership.parquet")
    p["soe"] = p["soe"].astype("float64")
    st = _read(d, "st_status")
    st = st.loc[st["st_type"].isin(["ST", "*ST"]), KEY].drop_duplicates().assign(st=1)
    p = _left(p, st, KEY, ["st"], "st_status.parquet")
    p["st"] = p["st"].fillna(0).astype("int64")
    gov_cols = ["employees", "duality", "board_size", "indep_directors", "top1"]
    p = _left(p, _read(d, "governance"), KEY, gov_cols, "governance.parquet")
    for col in ["employees", "board_size", "indep_directors", "top1"]:
        p[col] = p[col].astype("float64")
    env = _read(d, "innovation_env")
    p = _left(p, env, ["province", "year"], ["innov_env"], "innovation_env.parquet")
    des = _read(d, "designation").rename(columns={"batch_year": "designation_year",
                                                   "revoke_year": "designation_revoked_year"})
    p = _left(p, des, ["stkcd"], ["designation_year", "designation_revoked_year"], "designation.parquet")
    p["designation_year"] = p["designation_year"].astype("float64")
    p["designation_revoked_year"] = p["designation_revoked_year"].astype("float64")
    p["srdi_designated"] = (p["year"] >= p["designation_year"]).astype("int64")
    p = _add_ratios(p)

    matcher = PartnerMatcher(_read(d, "large_firms")["name"],
                             read_aliases(aliases) if aliases is not None else read_aliases())
    customers, suppliers, patents = _read(d, "customers"), _read(d, "suppliers"), _read(d, "patents")
    cust = partner_shares(customers, matcher, "cust")
    supp = partner_shares(suppliers, matcher, "supp")
    p = _left(p, cust, KEY, ["cust_top5", "cust_large_share"], "customers.parquet")
    p = _left(p, supp, KEY, ["supp_top5", "supp_large_share"], "suppliers.parquet")
    p["ci_chain"] = p[["cust_large_share", "supp_large_share"]].mean(axis=1, skipna=True)
    pairs = classify_applicants(patents, firms, matcher)  # once, for the counts and the match report
    counts = patent_counts(patents, firms, matcher, pairs)
    count_cols = [c for c in counts.columns if c not in KEY]
    p = _left(p, counts, KEY, count_cols, "patents.parquet")
    for col in count_cols:
        p[col] = p[col].fillna(0).astype("int64")  # a listed firm-year without applications has 0
    p["ci_collab"] = np.log1p(p["n_joint"].astype("float64"))

    p = p.sort_values(KEY, kind="mergesort").reset_index(drop=True)
    assert_unique(p, KEY, "base panel")
    if match_report_path is not None:
        write_csv(match_report_path, match_report(customers, suppliers, patents, firms, matcher, pairs))
    write_parquet(out_path, p)
    return p
