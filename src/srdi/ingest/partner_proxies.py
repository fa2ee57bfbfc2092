"""Partner-based proxies per firm-year (top-5 large shares for ci_chain, joint applications for ci_collab) and
the match report that says which rule classified how many names.

Names are classified once per distinct name (srdi.ingest.partners.PartnerMatcher), then mapped back, so the cost
follows the number of distinct names, not of rows.

Disclosure policy for the top-5 tables (docs/proxies.md, "Partner names"):
- a rank whose name is blank (not disclosed) or a total row (前五名客户合计) names no partner;
- an anonymised rank (客户一, 第二名) counts as not large: its name could be anyone, and the named ranks of
  the same firm-year are still informative (a lower bound of the large share);
- a firm-year side with no named rank at all (aggregate-only or fully anonymised) has a missing large share,
  never a zero; ci_chain is then the other side's share (the mean skips a missing side) or missing;
- `<side>_top5` is the sum of the ranks' shares, or the total row's share when only the total is given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .partners import Match, PartnerMatcher, name_core, own_affiliate_keys

KEY = ["stkcd", "year"]
TOP_N = 5
NAMED = ("large", "university", "institute", "other")
REPORT_COLUMNS = ["source", "rule", "occurrences", "distinct_names", "examples"]
N_EXAMPLES = 10


def _row_matches(codes: np.ndarray, uniq: object, matcher: PartnerMatcher) -> dict[str, np.ndarray]:
    """Per row: cls, rule, related, from the rows' codes into their distinct names `uniq` (each name is
    classified once; no string column is mapped or re-hashed)."""
    found: list[Match] = [matcher.match(n) for n in uniq]
    return {"cls": np.array([m.cls for m in found], dtype=object)[codes],
            "rule": np.array([m.rule for m in found], dtype=object)[codes],
            "related": np.array([m.related for m in found], dtype=bool)[codes]}


def classify_rows(partners: pd.DataFrame, matcher: PartnerMatcher) -> pd.DataFrame:
    """The top-5 rows (rank <= 5, or no rank for a total row) with their class and rule."""
    rows = partners.loc[partners["rank"].isna() | (partners["rank"] <= TOP_N)].copy()
    codes, uniq = pd.factorize(rows["partner_name"].fillna("").astype(str))
    for col, values in _row_matches(codes, uniq, matcher).items():
        rows[col] = values
    return rows


def partner_shares(partners: pd.DataFrame, matcher: PartnerMatcher, prefix: str) -> pd.DataFrame:
    """Per firm-year: `<prefix>_top5` (sum of the top-5 shares) and `<prefix>_large_share` (share of those going
    to large enterprises; missing when no rank is named), under the policy of the module docstring."""
    rows = classify_rows(partners, matcher)
    is_total = (rows["cls"] == "aggregate").to_numpy()
    share = rows["share"].astype("float64")
    rows["rank_share"] = share.where(~is_total)
    rows["total_share"] = share.where(is_total)
    rows["large_part"] = share.where(rows["cls"] == "large", 0.0).where(~is_total, 0.0)
    rows["named"] = rows["cls"].isin(NAMED).astype("int64")
    g = rows.groupby(KEY, sort=True)
    out = pd.DataFrame({
        "rank_sum": g["rank_share"].sum(min_count=1),
        "total": g["total_share"].max(),
        "large": g["large_part"].sum(),
        "named": g["named"].sum(),
    })
    top5 = out["rank_sum"].where(out["rank_sum"].notna(), out["total"])
    large = out["large"].where(out["named"] > 0)
    res = pd.DataFrame({f"{prefix}_top5": top5, f"{prefix}_large_share": large}).reset_index()
    return res.astype({"year": "int64"})


def _applicant_pairs(patents: pd.DataFrame) -> pd.DataFrame:
    """One row per (patent row, applicant name), from the ';'-joined `applicants` (split by Arrow, in order)."""
    pats = patents.dropna(subset=["app_year"]).reset_index(drop=True)
    lists = pc.split_pattern(pa.array(pats["applicants"].astype(object), type=pa.string(), from_pandas=True), ";")
    flat = pc.list_flatten(lists)
    keep = pc.greater(pc.binary_length(flat), 0)
    row = pc.list_parent_indices(lists).filter(keep).to_numpy()
    names = flat.filter(keep).dictionary_encode()
    return pd.DataFrame({"row": row, "stkcd": pats["stkcd"].to_numpy()[row],
                         "name": pd.Categorical.from_codes(names.indices.to_numpy(),
                                                           names.dictionary.to_numpy(zero_copy_only=False))})


def classify_applicants(patents: pd.DataFrame, firms: pd.DataFrame, matcher: PartnerMatcher) -> pd.DataFrame:
    """Every co-applicant with its class; the firm itself is `own_firm`, its subsidiaries and branches (names
    containing the firm's core or short name) `own_affiliate`: neither counts as a partner."""
    pairs = _applicant_pairs(patents)
    names = pairs["name"].cat.categories.to_numpy(dtype=object)
    name_codes = pairs["name"].cat.codes.to_numpy()
    found = _row_matches(name_codes, names, matcher)
    short = firms["short_name"] if "short_name" in firms else pd.Series("", index=firms.index)
    keys = {s: own_affiliate_keys(c, n) for s, c, n in zip(firms["stkcd"], firms["company_name"], short,
                                                           strict=True)}
    firm_codes, firm_ids = pd.factorize(pairs["stkcd"])
    firm_keys = [keys.get(s, ()) for s in firm_ids]
    cores = [name_core(n) for n in names]
    # The own-firm test once per distinct (firm, name) pair.
    pair_ids, pair_of_row = np.unique(firm_codes.astype(np.int64) * len(names) + name_codes, return_inverse=True)
    own_of_pair = np.full(len(pair_ids), "", dtype=object)
    for i, (f, n) in enumerate(zip(*np.divmod(pair_ids, len(names)), strict=True)):
        k, core = firm_keys[f], cores[n]
        if k and core == k[0]:
            own_of_pair[i] = "own_firm"
        elif k and core and any(part in core for part in k):  # is_own_affiliate on the cached core
            own_of_pair[i] = "own_affiliate"
    own = own_of_pair[pair_of_row.reshape(-1)]
    mask = own != ""
    found["rule"][mask] = own[mask]
    found["cls"][mask] = "own"
    for col, values in found.items():
        pairs[col] = values
    return pairs


def patent_counts(patents: pd.DataFrame, firms: pd.DataFrame, matcher: PartnerMatcher,
                  pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per firm-year of application: n_patents, n_invention, and applications with a co-applicant (other than
    the firm and its own subsidiaries) that is a large enterprise / university / research institute.
    `pairs`: classify_applicants of the same tables, when the caller has it already."""
    pats = patents.dropna(subset=["app_year"]).reset_index(drop=True)
    pairs = classify_applicants(patents, firms, matcher) if pairs is None else pairs
    n = len(pats)
    has = {}
    for cls in ("large", "university", "institute"):
        rows = pairs.loc[pairs["cls"] == cls, "row"].to_numpy()
        flag = np.zeros(n, dtype=np.int64)
        flag[rows] = 1
        has[cls] = flag
    out = pd.DataFrame({"stkcd": pats["stkcd"], "year": pats["app_year"].astype("int64")})
    out["n_patents"] = 1
    out["n_invention"] = (pats["patent_type"] == "invention").astype("int64").to_numpy()
    out["n_joint_large"] = has["large"]
    out["n_joint_univ"] = has["university"]
    out["n_joint_inst"] = has["institute"]
    out["n_joint"] = has["large"] | has["university"] | has["institute"]
    cols = ["n_patents", "n_invention", "n_joint_large", "n_joint_univ", "n_joint_inst", "n_joint"]
    return out.groupby(KEY, as_index=False)[cols].sum()


def _summarise(source: str, names: pd.Series, rules: pd.Series, related: pd.Series) -> list[dict[str, object]]:
    frame = pd.DataFrame({"name": names.astype(str).to_numpy(), "rule": rules.to_numpy()})
    out: list[dict[str, object]] = []
    for rule, grp in frame.groupby("rule", sort=True):
        freq = grp["name"].value_counts(sort=True)
        freq = freq.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        examples = " | ".join(f"{n or '(no name)'} ({c})" for n, c in freq.head(N_EXAMPLES).items())
        out.append({"source": source, "rule": rule, "occurrences": len(grp),
                    "distinct_names": int(freq.size), "examples": examples})
    rel = frame.loc[related.to_numpy(dtype=bool), "name"]
    if len(rel):  # not a rule: names of any rule that carried '及其关联方' (dropped before matching)
        out.append({"source": source, "rule": "related_party_suffix", "occurrences": len(rel),
                    "distinct_names": int(rel.nunique()), "examples": " | ".join(rel.value_counts().index[:3])})
    return out


def match_report(customers: pd.DataFrame, suppliers: pd.DataFrame, patents: pd.DataFrame, firms: pd.DataFrame,
                 matcher: PartnerMatcher, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts by rule per source (customers, suppliers, patent co-applicants other than the firm itself) with
    the most frequent names of each rule; the `unmatched` rows list the frequent names no rule classified."""
    rows: list[dict[str, object]] = []
    for source, frame in (("customers", customers), ("suppliers", suppliers)):
        c = classify_rows(frame, matcher)
        rows += _summarise(source, c["partner_name"].fillna(""), c["rule"], c["related"])
    pairs = classify_applicants(patents, firms, matcher) if pairs is None else pairs
    pairs = pairs.loc[pairs["rule"] != "own_firm"]
    rows += _summarise("patent_coapplicants", pairs["name"], pairs["rule"], pairs["related"])
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)
