"""The balance table of a staggered DID's matching (PSM-DID, entropy balancing): covariate means of treated and
controls, standardized differences and Welch t-tests, before and after, read from the model's estimates
(`equation` = "balance"). A referee checks it before trusting the matched DID."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from srdi.report.labels import Labels, zh_punct
from srdi.report.numbers import fixed, pvalue, significant
from srdi.report.settings import TableSettings, table_title
from srdi.report.stamp import Stamp
from srdi.report.table_model import Cell, Panel, Table

TEXT: dict[str, tuple[str, str]] = {
    "covariate": ("Covariate (year before treatment)", "协变量(处理前一年)"),
    "treated": ("Treated mean", "处理组均值"),
    "control": ("Control mean", "对照组均值"),
    "std_diff": ("Std. diff. (%)", "标准化差异(%)"),
    "p": ("t-test p", "t检验p值"),
    "before": ("Before matching", "匹配前"),
    "psm": ("After PSM (nearest neighbour)", "PSM匹配后(最近邻)"),
    "ebal": ("After entropy balancing", "熵平衡加权后"),
    "note": ("Treated firms in the year before their first treated year against never-treated firms of the same "
             "year. Standardized difference: 100 × (mean treated − mean control) / √((var treated + var control)/2), "
             "variances before matching; Welch t-test (weighted: effective sample sizes).",
             "处理组为首次处理前一年的企业，对照组为同年从未处理企业。标准化差异 = 100 ×(处理组均值 − 对照组均值)/"
             "√((处理组方差 + 对照组方差)/2)，方差取匹配前；Welch t检验(加权时用有效样本量)。"),
}


def _t(key: str, labels: Labels) -> str:
    return TEXT[key][0] if labels.language == "en" else zh_punct(TEXT[key][1])


def balance_table(name: str, spec: Mapping[str, Any], estimates: Mapping[str, pd.DataFrame], labels: Labels,
                  settings: TableSettings, stamp: Stamp | None) -> Table:
    """One row per covariate; column blocks: before, then each matching method's after."""
    frames = [f[f["equation"] == "balance"] for f in estimates.values()]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    failed = [str(n) for f in estimates.values() for n in f.loc[f["term"] == "matching_failed", "note"]]
    if rows.empty and failed:  # the matching could not be done: the table says why instead of vanishing
        return Table(name=name, title=table_title(spec, name, labels.language), header=[[Cell(""), Cell("")]],
                     panels=[Panel([[labels.word("not_estimable"), "; ".join(failed)]])],
                     notes=_notes(labels, stamp)).check()
    if rows.empty:
        raise ValueError(f"table {name!r}: its models have no balance rows (set matching: in the did model)")
    d = settings.digits
    methods = [m for m in ("psm", "ebal") if m in set(rows["method"])]
    blocks = [("before", rows[(rows["stage"] == "before") & (rows["method"] == methods[0])])]
    blocks += [(m, rows[(rows["stage"] == "after") & (rows["method"] == m)]) for m in methods]
    covariates = list(dict.fromkeys(rows["term"]))
    heads = [_t(k, labels) for k in ("treated", "control", "std_diff", "p")]
    header = [[Cell("")] + [Cell(_t(b, labels), 4) for b, _ in blocks],
              [Cell(_t("covariate", labels))] + [Cell(h) for _ in blocks for h in heads]]
    body = []
    for cov in covariates:
        cells = [labels.sym(cov)]
        for _, block in blocks:
            r = block[block["term"] == cov]
            if r.empty:
                cells += ["", "", "", ""]
                continue
            r = r.iloc[0]
            cells += [significant(r["mean_treated"], d), significant(r["mean_control"], d),
                      fixed(100 * r["std_diff"], 1), pvalue(r["p_value"])]
        body.append(cells)
    return Table(name=name, title=table_title(spec, name, labels.language), header=header, panels=[Panel(body)],
                 notes=[_t("note", labels), *_notes(labels, stamp)]).check()


def _notes(labels: Labels, stamp: Stamp | None) -> list[str]:
    if stamp is None:
        return []
    return [labels.provenance(stamp)]
