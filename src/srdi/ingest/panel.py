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

from ..atomic import write_parquet
from .errors import IngestError, make_problem
from .partners import classify_partner, normalize_name, normalize_names

KEY = ["stkcd", "year"]
TOP_N = 5  # top-5 customers / suppliers


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


def _grouped_sum(keys: pd.DataFrame, values: np.ndarray) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Per group of `keys` (sorted, missing keys dropped, as groupby): sum of each column of `values` in
    row order with min_count=1 (NaN when every value is missing). The additions are numpy's for fewer
    than 8 values (left to right from the first), so the bits equal groupby(...).agg(lambda s:
    s.sum(min_count=1)); None for a group of 8 or more rows (numpy sums those pairwise)."""
    gid = keys.groupby(list(keys.columns), sort=True).ngroup().to_numpy()
    rows = np.flatnonzero(gid >= 0)
    rows = rows[np.argsort(gid[rows], kind="stable")]
    group = gid[rows]
    starts = np.flatnonzero(np.r_[True, np.diff(group) != 0]) if rows.size else np.zeros(0, dtype=np.int64)
    sizes = np.diff(np.r_[starts, rows.size])
    if sizes.size and sizes.max() >= 8:
        return None
    slot = np.repeat(np.arange(starts.size), sizes)  # the group of each sorted row
    pos = np.arange(rows.size) - np.repeat(starts, sizes)  # its place within the group
    vals = values[rows]
    sums = np.zeros((starts.size, values.shape[1]))
    seen = np.zeros((starts.size, values.shape[1]), dtype=bool)
    for k in range(int(sizes.max()) if sizes.size else 0):
        at = pos == k
        present = ~np.isnan(vals[at])
        sums[slot[at]] += np.where(present, vals[at], 0.0)
        seen[slot[at]] |= present
    return keys.iloc[rows[starts]].reset_index(drop=True), np.where(seen, sums, np.nan)


def partner_shares(partners: pd.DataFrame, large_names: frozenset[str], prefix: str) -> pd.DataFrame:
    """Per firm-year: `<prefix>_top5` = sum of top-5 shares, `<prefix>_large_share` = share of those
    partners that are large enterprises (exact normalized name match)."""
    top = partners.loc[partners["rank"] <= TOP_N]
    codes, names = pd.factorize(top["partner_name"])  # each distinct name classified once
    large = np.array([classify_partner(n, large_names) == "large" for n in names] + [False])
    share = top["share"].to_numpy(dtype="float64", na_value=np.nan)
    large_part = np.where(large[codes], share, 0.0)
    names_out = [f"{prefix}_top5", f"{prefix}_large_share"]
    grouped = _grouped_sum(top[KEY], np.column_stack([share, large_part]))
    if grouped is None:  # a firm-year with 8+ partners of rank <= 5: pandas' own (pairwise) sums
        frame = top[KEY].assign(**{names_out[0]: share, names_out[1]: large_part})
        out = frame.groupby(KEY, as_index=False)[names_out].agg(lambda s: s.sum(min_count=1))
    else:
        keys, sums = grouped
        out = keys.assign(**{names_out[0]: sums[:, 0], names_out[1]: sums[:, 1]})
    return out.astype({"year": "int64"})


def patent_counts(patents: pd.DataFrame, firms: pd.DataFrame, large_names: frozenset[str]) -> pd.DataFrame:
    """Per firm-year of application: n_patents, n_invention, and applications with a co-applicant
    (other than the firm itself) that is a large enterprise / university / research institute."""
    own = dict(zip(firms["stkcd"], firms["company_name"].map(normalize_name), strict=False))
    cache: dict[str, tuple[str, str]] = {}  # raw name -> (normalized, class): each name is normalized once

    def classes(stkcd: str, applicants: object) -> set[str]:
        found: set[str] = set()
        if not isinstance(applicants, str):
            return found
        for name in applicants.split(";"):
            if name not in cache:
                norm = normalize_name(name)
                cache[name] = (norm, classify_partner(norm, large_names) if norm else "")
            norm, kind = cache[name]
            if not norm or norm == own.get(stkcd):
                continue
            found.add(kind)
        return found

    pats = patents.dropna(subset=["app_year"]).copy()
    found = [classes(s, a) for s, a in zip(pats["stkcd"].tolist(), pats["applicants"].tolist(), strict=True)]
    pats["year"] = pats["app_year"].astype("int64")
    pats["n_patents"] = 1
    pats["n_invention"] = (pats["patent_type"] == "invention").astype("int64")
    pats["n_joint_large"] = [int("large" in f) for f in found]
    pats["n_joint_univ"] = [int("university" in f) for f in found]
    pats["n_joint_inst"] = [int("institute" in f) for f in found]
    pats["n_joint"] = [int(bool(f & {"large", "university", "institute"})) for f in found]
    cols = ["n_patents", "n_invention", "n_joint_large", "n_joint_univ", "n_joint_inst", "n_joint"]
    return pats.groupby(KEY, as_index=False)[cols].sum()


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


def build_base_panel(interim_dir: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> pd.DataFrame:
    """Join the interim tables into one row per stkcd-year, add ratios and proxies, write parquet."""
    d = Path(interim_dir)
    firms = _read(d, "firms")
    p = _firm_years(_read(d, "balance"), _read(d, "income"))
    p = _left(p, _read(d, "cashflow"), KEY, ["op_cashflow"], "cashflow.parquet")
    p = _left(p, _read(d, "main_business"), KEY, ["main_revenue"], "main_business.parquet")
    firm_cols = ["industry_code", "industry_name", "province", "found_date", "list_date", "delist_date"]
    p = _left(p, firms, ["stkcd"], firm_cols, "firms.parquet")
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
    des = _read(d, "designation").rename(columns={"batch_year": "designation_year"})
    p = _left(p, des, ["stkcd"], ["designation_year"], "designation.parquet")
    p["designation_year"] = p["designation_year"].astype("float64")
    p["srdi_designated"] = (p["year"] >= p["designation_year"]).astype("int64")
    p = _add_ratios(p)

    large = normalize_names(_read(d, "large_firms")["name"])
    cust = partner_shares(_read(d, "customers"), large, "cust")
    supp = partner_shares(_read(d, "suppliers"), large, "supp")
    p = _left(p, cust, KEY, ["cust_top5", "cust_large_share"], "customers.parquet")
    p = _left(p, supp, KEY, ["supp_top5", "supp_large_share"], "suppliers.parquet")
    p["ci_chain"] = p[["cust_large_share", "supp_large_share"]].mean(axis=1, skipna=True)
    counts = patent_counts(_read(d, "patents"), firms, large)
    count_cols = [c for c in counts.columns if c not in KEY]
    p = _left(p, counts, KEY, count_cols, "patents.parquet")
    for col in count_cols:
        p[col] = p[col].fillna(0).astype("int64")  # a listed firm-year without applications has 0
    p["ci_collab"] = np.log1p(p["n_joint"].astype("float64"))

    p = p.sort_values(KEY, kind="mergesort").reset_index(drop=True)
    assert_unique(p, KEY, "base panel")
    write_parquet(out_path, p)
    return p
