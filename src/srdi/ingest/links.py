"""Steps that join two raw tables before the interim tables are written, each with its counts.

- R&D: the income statement's 研发费用 line (B001216000) exists only from about 2018; earlier years, and later
  firm-years that left the line blank, take the expensed R&D of the R&D table. `rd_source` records which.
- Little giants: the MIIT lists name firms, not stock codes. A name is matched (normalized, partners.py) to a
  listed firm's full name, else to a subsidiary in the subsidiaries table (then it counts for the parent); a
  stock code in the list, where the list has one, is used as it is. Unmatched names are unlisted firms. A firm
  named more than once keeps its earliest designation; a revocation is kept as `revoke_year` (the treatment
  stays absorbing: designation_year is the first designation, as the DID models assume).
"""

from __future__ import annotations

import pandas as pd

from .partners import normalize_name

STATEMENT, RD_TABLE = "statement", "rd_table"


def fill_rd(income: pd.DataFrame, rd: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """income with rd_expense from the statement where filled, else from the R&D table; adds rd_source."""
    out = income.drop(columns=[c for c in ("rd_source",) if c in income.columns])
    other = rd[["stkcd", "year", "rd_expensed"]].dropna(subset=["year"]).astype({"year": income["year"].dtype})
    out = out.merge(other, on=["stkcd", "year"], how="left", validate="one_to_one")
    from_statement = out["rd_expense"].notna()
    from_table = ~from_statement & out["rd_expensed"].notna()
    out["rd_source"] = pd.Series(None, index=out.index, dtype=object)
    out.loc[from_statement, "rd_source"] = STATEMENT
    out.loc[from_table, "rd_source"] = RD_TABLE
    out["rd_expense"] = out["rd_expense"].where(from_statement, out.pop("rd_expensed"))
    counts = {"rd_from_statement": int(from_statement.sum()), "rd_from_rd_table": int(from_table.sum()),
              "rd_missing": int((~from_statement & ~from_table).sum())}
    return out, counts


def match_designations(listed: pd.DataFrame, firms: pd.DataFrame, subsidiaries: pd.DataFrame
                       ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Little-giant list (name_norm, batch, batch_year, revoke_year, optional stkcd) -> one row per listed
    firm: stkcd, batch, batch_year (earliest), revoke_year, matched_by."""
    own = dict(zip(firms["company_name"].map(normalize_name), firms["stkcd"], strict=False))
    own.pop("", None)
    parent = dict(zip(subsidiaries["name_norm"], subsidiaries["stkcd"], strict=False))
    rows = listed.copy()
    code = rows["stkcd"] if "stkcd" in rows.columns else pd.Series(None, index=rows.index, dtype=object)
    by_name = rows["name_norm"].map(own)
    by_sub = rows["name_norm"].map(parent)
    rows["matched_by"] = None
    rows.loc[code.notna(), "matched_by"] = "stock_code"
    rows.loc[code.isna() & by_name.notna(), "matched_by"] = "company_name"
    rows.loc[code.isna() & by_name.isna() & by_sub.notna(), "matched_by"] = "subsidiary"
    rows["stkcd"] = code.fillna(by_name).fillna(by_sub)
    matched = rows.dropna(subset=["stkcd"]).sort_values(["stkcd", "batch_year"], kind="mergesort")
    first = matched.drop_duplicates("stkcd", keep="first").copy()
    revoked = matched.groupby("stkcd")["revoke_year"].min() if "revoke_year" in matched else pd.Series(dtype=float)
    first["revoke_year"] = first["stkcd"].map(revoked).astype("Int64")
    counts = {
        "names_listed": len(rows),
        "matched_stock_code": int((rows["matched_by"] == "stock_code").sum()),
        "matched_company_name": int((rows["matched_by"] == "company_name").sum()),
        "matched_subsidiary": int((rows["matched_by"] == "subsidiary").sum()),
        "unmatched_unlisted": int(rows["stkcd"].isna().sum()),
        "later_designations_of_a_matched_firm": len(matched) - len(first),
        "firms_designated": len(first),
        "firms_revoked": int(first["revoke_year"].notna().sum()),
    }
    cols = ["stkcd", "batch", "batch_year", "revoke_year", "matched_by"]
    return first[cols].sort_values("stkcd", kind="mergesort").reset_index(drop=True), counts
