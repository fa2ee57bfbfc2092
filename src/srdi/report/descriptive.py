"""The sample-construction, descriptive-statistics and correlation tables, rendered from the CSVs the
`panel` and `describe` rules write (those CSVs stay the machine-readable versions)."""

from __future__ import annotations

import pandas as pd

from srdi.report.labels import Labels
from srdi.report.numbers import fixed, integer
from srdi.report.settings import TableSettings
from srdi.report.stamp import Stamp
from srdi.report.table_model import Cell, Panel, Table, plain_header

TITLES = {
    "sample_construction": ("Sample construction", "样本构建"),
    "descriptives": ("Descriptive statistics (estimation sample)", "描述性统计(估计样本)"),
    "correlations": ("Pearson correlations (estimation sample)", "Pearson相关系数矩阵(估计样本)"),
}
HEADS = {
    "sample_construction": (["Step", "Removed", "Firm-years", "Firms"], ["步骤", "剔除", "公司-年度观测", "公司数"]),
    "descriptives": (["Variable", "N", "Mean", "SD", "Min", "P25", "Median", "P75", "Max"],
                     ["变量", "观测值", "均值", "标准差", "最小值", "P25", "中位数", "P75", "最大值"]),
}


def _title(name: str, labels: Labels) -> str:
    return TITLES[name][0 if labels.language == "en" else 1]


def _stamp_note(labels: Labels, stamp: Stamp | None) -> list[str]:
    if stamp is None:
        return []
    return [labels.word("provenance", commit=stamp.commit_text, config_hash=stamp.config_text)]


def sample_construction_table(frame: pd.DataFrame, labels: Labels, stamp: Stamp | None) -> Table:
    head = HEADS["sample_construction"][0 if labels.language == "en" else 1]
    rows = [[str(r.step), integer(r.removed), integer(r.observations), integer(r.firms)]
            for r in frame.itertuples(index=False)]
    return Table("sample_construction", _title("sample_construction", labels), [plain_header(head)],
                 [Panel(rows)], _stamp_note(labels, stamp)).check()


def descriptives_table(frame: pd.DataFrame, labels: Labels, settings: TableSettings,
                       stamp: Stamp | None) -> Table:
    head = HEADS["descriptives"][0 if labels.language == "en" else 1]
    d = settings.digits
    rows = [[labels.var(str(r.variable)), integer(r.n), *(fixed(getattr(r, k), d) for k in
             ("mean", "sd", "min", "p25", "median", "p75", "max"))] for r in frame.itertuples(index=False)]
    return Table("descriptives", _title("descriptives", labels), [plain_header(head)], [Panel(rows)],
                 _stamp_note(labels, stamp)).check()


def correlations_table(frame: pd.DataFrame, labels: Labels, settings: TableSettings,
                       stamp: Stamp | None) -> Table:
    """Lower-triangular matrix with stars, variables numbered (1)..(k) as in a paper's Table 2."""
    variables = list(dict.fromkeys([*frame["var1"], *frame["var2"]]))
    k = len(variables)
    pos = {v: i for i, v in enumerate(variables)}
    grid = [[""] * k for _ in range(k)]
    for r in frame.itertuples(index=False):
        i, j = sorted((pos[r.var1], pos[r.var2]), reverse=True)
        grid[i][j] = "1" if i == j else fixed(r.r, 2 if k > 8 else 3) + settings.stars_for(r.p_value)
    rows = [[f"({i + 1}) {labels.var(v)}", *grid[i]] for i, v in enumerate(variables)]
    header = [[Cell("")] + [Cell(f"({i + 1})") for i in range(k)]]
    end = "。" if labels.language == "zh" else "."
    notes = [settings.stars_note() + end, *_stamp_note(labels, stamp)]
    return Table("correlations", _title("correlations", labels), header, [Panel(rows)], notes).check()
