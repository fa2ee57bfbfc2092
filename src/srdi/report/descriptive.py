"""The sample-construction, variable-definition, descriptive-statistics and correlation tables, rendered from the
CSVs the `panel` and `describe` rules write (those CSVs stay the machine-readable versions)."""

from __future__ import annotations

import re

import pandas as pd

from srdi.report.labels import Labels, zh_punct
from srdi.report.numbers import fixed, integer, significant
from srdi.report.settings import TableSettings
from srdi.report.stamp import Stamp
from srdi.report.table_model import Cell, Panel, Table, plain_header

TITLES = {
    "sample_construction": ("Sample construction", "样本构建"),
    "variables": ("Variable definitions", "变量定义表"),
    "descriptives": ("Descriptive statistics (baseline estimation sample)", "描述性统计（基准回归估计样本）"),
    "descriptives_panel": ("Descriptive statistics (full sample)", "描述性统计（全样本）"),
    "correlations": ("Pearson correlations (baseline estimation sample)", "Pearson相关系数矩阵（基准回归估计样本）"),
}
HEADS = {
    "sample_construction": (["Step", "Removed", "Firm-years", "Firms"], ["步骤", "剔除", "公司-年度观测", "公司数"]),
    "variables": (["Symbol", "Variable", "Definition", "Source"], ["符号", "变量名称", "变量定义", "数据来源"]),
    "descriptives": (["Variable", "N", "Mean", "SD", "Min", "P25", "Median", "P75", "Max"],
                     ["变量", "观测值", "均值", "标准差", "最小值", "P25", "中位数", "P75", "最大值"]),
}
# The steps of srdi.sample.construct_sample, as a paper's sample-construction table words them.
STEPS: list[tuple[str, tuple[str, str]]] = [
    (r"firm-years with annual consolidated statements", ("Firm-years with annual consolidated statements",
                                                         "具有年度合并报表的公司-年度观测")),
    (r"drop financial industry \(CSRC-2012 J\)", ("Drop financial industry (CSRC-2012 J)",
                                                  "剔除金融业（证监会2012行业分类J）")),
    (r"drop special-treatment firm-years \(ST, \*ST\)", ("Drop special-treatment firm-years (ST, *ST)",
                                                        "剔除ST、*ST公司-年度观测")),
    (r"drop firm-years with Lev > 1", ("Drop insolvent firm-years (Lev > 1)", "剔除资不抵债（Lev > 1）的观测")),
    (r"drop firm-years missing (?P<cols>.+)", ("Drop firm-years missing {cols}", "剔除{cols}缺失的观测")),
]
NOTES = {
    "descriptives": ("The firm-years of the baseline regression's estimation sample (after the sample filters, the "
                     "lag of the regressor, listwise deletion and the fixed effects' singletons), N = {n}. Variables "
                     "as defined in the variable-definition table.",
                     "基准回归的估计样本（经样本筛选、解释变量滞后、缺失值剔除并剔除固定效应单例观测），N = {n}。"
                     "变量定义见变量定义表。"),
    "descriptives_panel": ("All firm-years that pass the sample filters (before lags and the baseline model's "
                           "listwise deletion); N differs by variable. Variables as defined in the variable-definition "
                           "table.",
                           "通过样本筛选的全部公司-年度观测（未经滞后与基准回归的缺失值剔除），各变量观测值可能不同。"
                           "变量定义见变量定义表。"),
}


def labels_zh(text: str) -> str:
    return zh_punct(text)


def _i(labels: Labels) -> int:
    return 0 if labels.language == "en" else 1


def _title(name: str, labels: Labels) -> str:
    return TITLES[name][_i(labels)]


def _stamp_note(labels: Labels, stamp: Stamp | None) -> list[str]:
    if stamp is None:
        return []
    return [labels.provenance(stamp)]


def step_text(step: str, labels: Labels) -> str:
    """A sample-construction step in the report language, columns by their symbols; unknown steps as written."""
    for pattern, words in STEPS:
        m = re.fullmatch(pattern, step)
        if m:
            cols = [labels.sym(c.strip()) for c in m.groupdict().get("cols", "").split(",") if c.strip()]
            return words[_i(labels)].format(cols=("、" if _i(labels) else ", ").join(cols))
    return step


def sample_construction_table(frame: pd.DataFrame, labels: Labels, stamp: Stamp | None) -> Table:
    head = HEADS["sample_construction"][_i(labels)]
    rows = [[step_text(str(r.step), labels), integer(r.removed), integer(r.observations), integer(r.firms)]
            for r in frame.itertuples(index=False)]
    return Table("sample_construction", _title("sample_construction", labels), [plain_header(head)],
                 [Panel(rows)], _stamp_note(labels, stamp)).check()


def variables_table(frame: pd.DataFrame, labels: Labels, stamp: Stamp | None) -> Table:
    """变量定义表: symbol, name, definition and source of the described variables (variables.csv, from the
    codebook); the Chinese definition where the codebook gives one."""
    head = HEADS["variables"][_i(labels)]
    zh = labels.language == "zh"
    frame = frame.fillna("")
    rows = [[str(r.symbol or r.name), str((r.label_zh if zh else r.label_en) or r.name),
             str((getattr(r, "definition_zh", "") if zh else "") or r.definition), str(r.source)]
            for r in frame.itertuples(index=False)]
    rows = [[labels_zh(c) if zh else c for c in row] for row in rows]
    return Table("variables", _title("variables", labels), [plain_header(head)], [Panel(rows)],
                 _stamp_note(labels, stamp)).check()


def descriptives_table(frame: pd.DataFrame, labels: Labels, settings: TableSettings, stamp: Stamp | None,
                       name: str = "descriptives", model: str | None = None) -> Table:
    head = HEADS["descriptives"][_i(labels)]
    d = settings.digits
    rows = [[labels.sym(str(r.variable)), integer(r.n), *(significant(getattr(r, k), d) for k in
             ("mean", "sd", "min", "p25", "median", "p75", "max"))] for r in frame.itertuples(index=False)]
    title = _title(name, labels)
    if name == "descriptives" and model is None:  # no baseline model: the sample-filtered panel
        title = TITLES["descriptives_panel"][_i(labels)]
    n = integer(frame["n"].max()) if len(frame) else "0"
    note = NOTES["descriptives" if model else "descriptives_panel"][_i(labels)].format(n=n)
    return Table(name, title, [plain_header(head)], [Panel(rows)], [note, *_stamp_note(labels, stamp)]).check()


def correlations_table(frame: pd.DataFrame, labels: Labels, settings: TableSettings,
                       stamp: Stamp | None) -> Table:
    """Lower-triangular matrix with stars, variables by their symbols (rows) and numbers (1)..(k) (columns)."""
    variables = list(dict.fromkeys([*frame["var1"], *frame["var2"]]))
    k = len(variables)
    pos = {v: i for i, v in enumerate(variables)}
    grid = [[""] * k for _ in range(k)]
    for r in frame.itertuples(index=False):
        i, j = sorted((pos[r.var1], pos[r.var2]), reverse=True)
        grid[i][j] = "1" if i == j else fixed(r.r, 2 if k > 8 else 3) + settings.stars_for(r.p_value)
    rows = [[f"({i + 1}) {labels.sym(v)}", *grid[i]] for i, v in enumerate(variables)]
    header = [[Cell("")] + [Cell(f"({i + 1})") for i in range(k)]]
    end = "。" if labels.language == "zh" else "."
    notes = [settings.stars_note() + end, *_stamp_note(labels, stamp)]
    return Table("correlations", _title("correlations", labels), header, [Panel(rows)], notes).check()
