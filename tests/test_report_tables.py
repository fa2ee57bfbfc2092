"""Regression and descriptive tables from hand-written estimates: stars, parentheses, rows and their order,
every format (LaTeX compiles or at least balances, the .docx opens), provenance footnote, zh labels."""

from __future__ import annotations

import hashlib
import re

import docx
import pytest
from test_report_data import example_config, write_examples

from srdi.report.formats.csv import render_csv
from srdi.report.formats.latex import render_latex
from srdi.report.formats.markdown import render_markdown
from srdi.report.stamp import Stamp, read_provenance, stamp_from
from srdi.report.tables import build_describe_tables, build_regression_table, write_regression_table

CONFIG_HASH16 = hashlib.sha256(b'{"seed":1}').hexdigest()[:16]
STAMP_NOTE = f"Commit 0123456789ab; config SHA-256 {CONFIG_HASH16}."


@pytest.fixture
def paths(tmp_path):
    return write_examples(tmp_path)


def _build(paths, name, language="en", **tables):
    config = example_config(language)
    config["tables"].update(tables)
    stamp = stamp_from(read_provenance(paths["provenance"]))
    return build_regression_table(config, name, paths["estimates"], paths["codebook"], stamp)


def _grid(table):
    return [[c.text for c in row] for row in table.header], [p.rows for p in table.panels]


def test_baseline_table_cells_and_notes(paths):
    table = _build(paths, "baseline")
    header, panels = _grid(table)
    assert header == [["", "(1)"], ["Dependent variable", "SRDI development"]]
    assert panels[0] == [["Co-innovation", "0.123***"], ["", "(0.040)"]]
    assert panels[1] == [["Controls", "Yes"], ["Firm FE", "Yes"], ["Year FE", "Yes"], ["Observations", "1,000"],
                         ["Within R²", "0.251"], ["Clusters", "100"]]
    assert table.notes == ["Standard errors in parentheses, clustered by firm.",
                           "* p<0.1, ** p<0.05, *** p<0.01.", STAMP_NOTE]


def test_channels_table_one_column_per_model_in_config_order(paths):
    _, panels = _grid(_build(paths, "channels"))
    assert panels[0] == [
        ["Collaborative innovation", "0.031**", "", "", ""], ["", "(0.012)", "", "", ""],
        ["Data integration", "", "0.019*", "", ""], ["", "", "(0.011)", "", ""],
        ["Chain integration", "", "", "0.160***", ""], ["", "", "", "(0.050)", ""],
        ["Ecosystem", "", "", "", "-0.004"], ["", "", "", "", "(0.006)"],
    ]
    assert panels[1][0] == ["Controls", "Yes", "No", "No", "No"]
    assert panels[1][3] == ["Observations", "990", "990", "980", "985"]
    assert panels[1][5] == ["Clusters", "99", "99", "98", "98"]


def test_stars_and_t_statistics_are_configurable(paths):
    table = _build(paths, "channels", stars={"+": 0.1, "*": 0.05}, beneath="t")
    _, panels = _grid(table)
    assert panels[0][:4] == [["Collaborative innovation", "0.031*", "", "", ""], ["", "(2.58)", "", "", ""],
                             ["Data integration", "", "0.019+", "", ""], ["", "", "(1.73)", "", ""]]
    assert table.notes[:2] == ["t statistics in parentheses, clustered by firm.", "+ p<0.1, * p<0.05."]


def test_mediation_stepwise_columns_and_indirect_panel(paths):
    table = _build(paths, "mechanism")
    header, panels = _grid(table)
    # Jiang (2022) leads: X -> Y and X -> M are the two-step evidence; the outcome equation is the supplement
    assert header[1:] == [["", "Two-step test (Jiang 2022)", "Stepwise test (supplementary)"],
                          ["Dependent variable", "SRDI development", "Digital transformation", "SRDI development"],
                          ["", "Total effect (c)", "Mediator (a)", "Outcome (c′, b)"]]
    assert [c.span for c in table.header[1]] == [1, 2, 1]
    assert panels[0] == [["Co-innovation", "0.200***", "0.500***", "0.150***"], ["", "(0.050)", "(0.100)", "(0.050)"],
                         ["Digital transformation", "", "", "0.100**"], ["", "", "", "(0.040)"]]
    assert table.panels[2].title == "Indirect effect"
    assert panels[2] == [["Indirect effect a×b (Sobel SE)", "", "", "0.050**"], ["", "", "", "(0.022)"],
                         ["Sobel z [p]", "", "", "2.24 [0.025]"],
                         ["Bootstrap 95% CI (percentile)", "", "", "[0.012, 0.095]"],
                         ["Bootstrap 95% CI (bias-corrected)", "", "", "[0.011, 0.093]"],
                         ["Proportion mediated", "", "", "0.250"]]


def test_iv_first_and_second_stage_with_diagnostics(paths):
    table = _build(paths, "endogeneity")
    header, panels = _grid(table)
    assert header[1:] == [["Dependent variable", "Co-innovation", "SRDI development"],
                          ["", "First stage", "Second stage"]]
    assert panels[0] == [["coinnov_loo", "0.800***", ""], ["", "(0.100)", ""],
                         ["Co-innovation", "", "0.180**"], ["", "", "(0.070)"]]
    assert panels[2] == [["Kleibergen-Paap rk Wald F", "64.00", ""], ["Endogeneity test (DWH) p", "", "0.271"]]


def test_heterogeneity_groups_and_permutation_difference(paths):
    header, panels = _grid(_build(paths, "heterogeneity"))  # het_region is not defined: left out
    assert header[-1] == ["", "0", "1"]
    assert panels[0] == [["Co-innovation", "0.150***", "0.050"], ["", "(0.050)", "(0.060)"]]
    assert panels[2] == [["Difference of Co-innovation (0 − 1) [permutation p]", "", "0.100 [0.042]"]]


def test_moderation_interaction_and_marginal_effects(paths):
    table = _build(paths, "moderation")
    _, panels = _grid(table)
    assert [r[0] for r in panels[0][::2]] == ["Co-innovation", "Innovation environment",
                                                "Co-innovation × Innovation environment"]
    assert table.panels[2].title == "Marginal effect of Co-innovation"
    assert panels[2][:2] == [["at p25 of Innovation environment", "0.060"], ["", "(0.045)"]]
    assert panels[2][2] == ["at p50 of Innovation environment", "0.120***"]


def test_binary_lpm_and_clogit_columns(paths):
    header, panels = _grid(_build(paths, "designation"))
    assert header[-1] == ["", "LPM", "Cond. logit"]
    assert panels[1] == [["Controls", "No", "No"], ["Firm FE", "Yes", "Yes"], ["Year FE", "Yes", "No"],
                         ["Observations", "1,000", "600"], ["Within R²", "0.050", ""], ["Clusters", "100", "100"]]


def test_pooled_columns_report_r2_and_fe_columns_within_r2(paths):
    config = example_config()
    config["tables"]["regressions"]["grid"] = {"title": "Grid", "models": ["pooled_ols", "baseline"],
                                              "terms": ["coinnov"]}
    table = build_regression_table(config, "grid", paths["estimates"], paths["codebook"], None)
    assert table.panels[1].rows == [["Controls", "No", "Yes"], ["Firm FE", "No", "Yes"], ["Year FE", "No", "Yes"],
                                    ["Observations", "1,100", "1,000"], ["R²", "0.300", ""],
                                    ["Within R²", "", "0.251"], ["Clusters", "110", "100"]]


def test_column_labels_span_their_model(paths):
    config = example_config()
    config["tables"]["regressions"]["mix"] = {"title": "Mix", "models": ["baseline", "mechanism"],
                                             "terms": ["coinnov"], "column_labels": ["Baseline", "Mechanism"]}
    table = build_regression_table(config, "mix", paths["estimates"], paths["codebook"], None)
    assert [(c.text, c.span) for c in table.header[1]] == [("", 1), ("Baseline", 1), ("Mechanism", 3)]
    assert "\\multicolumn{3}{c}{Mechanism} \\\\ \\cmidrule(lr){3-5}" in render_latex(table)


def test_csv_and_markdown_exact(paths):
    table = _build(paths, "baseline")
    assert render_csv(table) == (
        ",(1)\nDependent variable,SRDI development\nCo-innovation,0.123***\n,(0.040)\nControls,Yes\n"
        'Firm FE,Yes\nYear FE,Yes\nObservations,"1,000"\nWithin R²,0.251\nClusters,100\n'
        '"Standard errors in parentheses, clustered by firm.",\n"* p<0.1, ** p<0.05, *** p<0.01.",\n'
        f'{STAMP_NOTE},\n')
    md = render_markdown(table).splitlines()
    assert md[:6] == ["**Co-innovation and SRDI development: baseline**", "", "|  | (1) |", "|---|:-:|",
                      "| Dependent variable | SRDI development |", "| Co-innovation | 0.123\\*\\*\\* |"]
    assert md[-1] == STAMP_NOTE


def _assert_balanced_booktabs(tex: str, n_columns: int) -> None:
    for env in ("document", "table", "tabular", "minipage"):
        assert tex.count(f"\\begin{{{env}}}") == tex.count(f"\\end{{{env}}}") == 1, env
    body = tex[tex.index("\\begin{tabular}"): tex.index("\\end{tabular}")]
    assert body.count("\\toprule") == 1 and body.count("\\bottomrule") == 1 and "\\midrule" in body
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    for line in body.splitlines()[2:]:
        if line.endswith("\\\\") and "\\multicolumn" not in line:
            assert line.count(" & ") == n_columns - 1, line


def test_latex_is_balanced_booktabs(paths):
    for name in ("baseline", "mechanism", "endogeneity"):
        table = _build(paths, name)
        _assert_balanced_booktabs(render_latex(table), table.n_columns)


def test_docx_opens_and_holds_the_table(paths, tmp_path):
    written = write_regression_table(example_config(), "channels", paths["estimates"], paths["codebook"],
                                     paths["provenance"], tmp_path)
    document = docx.Document(str(next(p for p in written if p.suffix == ".docx")))
    assert document.paragraphs[0].text.endswith(": Co-innovation dimensions and SRDI dimensions")
    assert document.paragraphs[0].style.name == "Caption"
    assert len(document.tables) == 1
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[0] == ["", "(1)", "(2)", "(3)", "(4)"]
    assert rows[2] == ["Collaborative innovation", "0.031**", "", "", ""]
    assert [p.text for p in document.paragraphs][-1] == STAMP_NOTE


def test_two_builds_write_identical_bytes(paths, tmp_path):
    a = write_regression_table(example_config(), "mechanism", paths["estimates"], paths["codebook"],
                               paths["provenance"], tmp_path / "a")
    b = write_regression_table(example_config(), "mechanism", paths["estimates"], paths["codebook"],
                               paths["provenance"], tmp_path / "b")
    assert [p.suffix for p in a] == [".tex", ".docx", ".md", ".csv", ".html"]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name


def test_chinese_labels(paths):
    table = _build(paths, "baseline", language="zh")
    header, panels = _grid(table)
    assert header[1] == ["被解释变量", "专精特新发展"]
    assert panels[0][0] == ["融通创新", "0.123***"]
    assert panels[1][:2] == [["控制变量", "是"], ["企业固定效应", "是"]]
    assert table.notes[0] == "括号内为企业层面聚类稳健标准误。"  # as Chinese journals write it
    assert "\\documentclass[UTF8]{ctexart}" in render_latex(table, "zh")


def test_describe_tables(paths):
    config = example_config()
    stamp = Stamp("0123456789abcdef0123", False, "f" * 64)
    sample, _, desc, _, corr = build_describe_tables(config, paths["tables"], paths["codebook"], stamp)
    assert sample.panels[0].rows == [["all firm-years", "0", "1,200", "120"], ["drop ST", "200", "1,000", "100"]]
    assert desc.panels[0].rows[0] == ["SRDI development", "1,000", "0.419", "0.100", "0.100", "0.300", "0.400",
                                      "0.500", "0.700"]
    assert corr.panels[0].rows == [["(1) SRDI development", "1", ""], ["(2) Co-innovation", "0.411***", "1"]]
    assert corr.notes[-1] == "Commit 0123456789ab; config SHA-256 ffffffffffffffff."


def test_table_title_follows_the_language():
    from srdi.report.settings import table_title

    spec = {"title": "Baseline", "title_zh": "基准回归"}
    assert table_title(spec, "t", "en") == "Baseline"
    assert table_title(spec, "t", "zh") == "基准回归"
    assert table_title({"title": "Baseline"}, "t", "zh") == "Baseline"
    assert table_title({}, "t", "en") == "t"
