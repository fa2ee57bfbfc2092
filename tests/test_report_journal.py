"""What a journal's referee reads on the face of a table (issue 12): caption direction, digits, stars, symbols,
idiomatic Chinese, per-column SE notes, no config identifiers, the variable-definition table."""

from __future__ import annotations

import re

import pytest
from test_report_data import example_config, write_examples

from srdi.report.captions import model_facts
from srdi.report.estimates import read_models
from srdi.report.formats.latex import render_latex
from srdi.report.labels import Labels
from srdi.report.numbers import pvalue, significant
from srdi.report.tables import build_describe_tables, build_regression_table

HEAD = ("model,outcome,term,estimate,std_error,statistic,p_value,conf_low,conf_high,nobs,r2_within,n_clusters,fe,"
        "vcov,lag")
CODEBOOK = """name,label_en,label_zh,symbol,definition,source,values_en,values_zh
srdi_index,SRDI development,专精特新发展,SRDI,weighted index,derived,,
coinnov,Co-innovation,融通创新,CoInno,weighted index,derived,,
size,Firm size,企业规模,Size,ln(total assets),FS_Combas,,
soe,State-owned,产权性质(国有),SOE,1 if state-owned,EN_EquityNatureAll,0: Non-SOEs; 1: SOEs,0: 非国有企业; 1: 国有企业
year,Fiscal year,会计年度,Year,year,FS_Combas,,
industry_code,Industry (CSRC 2012),行业代码(证监会2012),Ind,letter + two digits,TRD_Co,,
"""
ROB = {
    "rob_lag2": "rob_lag2,srdi_index,coinnov,0.11,0.0004,3,0.001,0.1,0.2,900,0.2,90,entity+time,cluster:stkcd,2",
    "rob_excl2020": "rob_excl2020,srdi_index,coinnov,0.12,0.04,3,0.002,0.04,0.2,800,0.2,80,entity+time,"
                    "cluster:stkcd,1",
    "rob_ind": "rob_ind,srdi_index,coinnov,0.13,0.05,2.6,0.01,0.03,0.23,950,0.2,95,entity+industry_code^year,"
               "cluster:stkcd,1",
    "rob_cl": "rob_cl,srdi_index,coinnov,0.0004,0.00005,8,0.0000001,0.0003,0.0005,1000,0.2,60,entity+time,"
              "cluster:industry_code,1",
    "het": None,
}
HET = f"""{HEAD},equation,method,group,group_a,group_b
het,srdi_index,coinnov,0.15,0.05,3,0.003,0.05,0.25,700,0.25,70,entity+time,cluster:stkcd,1,group:0,,0,,
het,srdi_index,coinnov,0.05,0.06,0.83,0.41,-0.07,0.17,300,0.22,30,entity+time,cluster:stkcd,1,group:1,,1,,
het,srdi_index,coinnov,0.1,,,0.042,,,1000,,,entity+time,cluster:stkcd,,difference,permutation,,0,1
"""
MODELS = {"rob_lag2": {"kind": "panel", "controls": ["size"], "lag_years": 2},
          "rob_excl2020": {"kind": "panel", "controls": ["size"], "sample": "year != 2020"},
          "rob_ind": {"kind": "panel", "controls": ["size"], "fe": ["entity", "industry_code^year"]},
          "rob_cl": {"kind": "panel", "controls": ["size"], "vcov": {"type": "cluster", "by": ["industry_code"]}},
          "het": {"kind": "heterogeneity", "controls": ["size"], "group_by": "soe"}}
IDENTIFIERS = ("rob_", "loo_", "stkcd", "industry_code", "!=", "describe.", "panel.sample", "truth_recovery", "^")


@pytest.fixture
def rob(tmp_path):
    paths = write_examples(tmp_path)
    for name, line in ROB.items():
        text = HET if line is None else f"{HEAD}\n{line}\n"
        (paths["estimates"] / f"{name}.csv").write_text(text, encoding="utf-8")
    paths["codebook"].write_text(CODEBOOK, encoding="utf-8")
    return paths


def _config(language, models):
    config = example_config(language)
    config["models"].update(MODELS)
    config["tables"]["regressions"] = {"t": {"title": "Robustness", "title_zh": "稳健性检验", "models": models}}
    return config


def test_significant_digits_never_print_zero_for_a_nonzero_value():
    assert significant(0.12345, 3) == "0.123"
    assert significant(0.0004, 3) == "0.00040"
    assert significant(-0.0000512, 3) == "-0.000051" and significant(0.004, 3) == "0.004"
    assert significant(0.0, 3) == "0.000"
    assert significant(12.5, 3) == "12.500"
    assert pvalue(0.0004) == "<0.001" and pvalue(0.0123) == "0.012"


def test_caption_reads_outcome_on_regressor_with_its_lag(rob):
    estimates = read_models(rob["estimates"], ["rob_excl2020"])
    en = model_facts(estimates, MODELS, Labels.from_csv(rob["codebook"], "en"))
    zh = model_facts(estimates, MODELS, Labels.from_csv(rob["codebook"], "zh"))
    assert en["estimated"] == "SRDI development (SRDI) on lagged co-innovation (L.CoInno)"
    assert zh["estimated"] == "滞后一期融通创新（L.CoInno）对专精特新发展（SRDI）的影响"
    for text in (*en.values(), *zh.values()):
        assert not any(i in text for i in IDENTIFIERS), text
    assert "year ≠ 2020" in en["sample"].lower() and "会计年度 ≠ 2020" in zh["sample"]
    assert en["se"] == "clustered by firm" and zh["se"] == "企业层面聚类稳健标准误"


def test_symbols_digits_and_per_column_se_notes(rob):
    models = ["rob_lag2", "rob_excl2020", "rob_ind", "rob_cl"]
    table = build_regression_table(_config("en", models), "t", rob["estimates"], rob["codebook"], None)
    body = table.panels[0].rows
    assert body[0][:3] == ["L2.CoInno", "0.110***", ""] and body[1][1] == "(0.00040)"
    assert body[2][:5] == ["L.CoInno", "", "0.120***", "0.130**", "0.00040***"] and body[3][4] == "(0.000050)"
    assert table.header[-1][1].text == "SRDI"
    facts = [r[0] for r in table.panels[1].rows]
    assert "Industry × year FE" in facts
    assert table.notes[0] == ("Standard errors in parentheses: columns (1)–(3) clustered by firm; column (4) "
                              "clustered by industry.")
    text = " ".join([table.title, *table.notes, *(c for p in table.panels for r in p.rows for c in r)])
    assert not any(i in text for i in IDENTIFIERS), text


def test_chinese_table_is_idiomatic(rob):
    models = ["rob_lag2", "rob_excl2020", "rob_ind", "rob_cl"]
    table = build_regression_table(_config("zh", models), "t", rob["estimates"], rob["codebook"], None)
    facts = [r[0] for r in table.panels[1].rows]
    assert facts[:4] == ["控制变量", "企业固定效应", "年份固定效应", "行业×年份固定效应"]
    assert table.notes[0] == ("括号内为标准误：第（1）—（3）列为企业层面聚类稳健标准误；"
                              "第（4）列为行业层面聚类稳健标准误。")
    het = build_regression_table(_config("zh", ["het"]), "t", rob["estimates"], rob["codebook"], None)
    assert [c.text for c in het.header[-1]] == ["", "非国有企业", "国有企业"]
    assert het.panels[2].rows[0][0] == "L.CoInno系数差异（非国有企业 − 国有企业）[置换检验p值]"
    cells = [c for t in (table, het) for p in t.panels for r in p.rows for c in r] + table.notes + het.notes
    for cell in cells:
        assert "FE" not in cell and not re.search(r"[\u4e00-\u9fff][(:,]|[(:,][\u4e00-\u9fff]", cell), cell


def test_english_groups_come_from_value_labels(rob):
    het = build_regression_table(_config("en", ["het"]), "t", rob["estimates"], rob["codebook"], None)
    assert [c.text for c in het.header[-1]] == ["", "Non-SOEs", "SOEs"]


def test_stars_are_superscripts_and_numbers_align_in_latex(rob):
    table = build_regression_table(_config("en", ["rob_lag2", "rob_excl2020"]), "t", rob["estimates"],
                                   rob["codebook"], None)
    tex = render_latex(table)
    assert r"0.110\sym{***}" in tex and "S[table-format=" in tex
    assert r"{Yes}" in tex  # text in an S column is braced


@pytest.mark.parametrize("language", ["en", "zh"])
def test_variable_definition_table_and_translated_sample_steps(rob, language):
    config = example_config(language)
    config["describe"] = {"variables": ["srdi_index", "coinnov", "size"]}
    (rob["tables"] / "sample_construction.csv").write_text(
        "step,removed,observations,firms\nfirm-years with annual consolidated statements,0,1200,120\n"
        "\"drop special-treatment firm-years (ST, *ST)\",200,1000,100\n"
        "\"drop firm-years missing srdi_index, size\",10,990,99\n", encoding="utf-8")
    tables = {t.name: t for t in build_describe_tables(config, rob["tables"], rob["codebook"], None)}
    defs = tables["variables"]
    zh = language == "zh"
    assert [c.text for c in defs.header[0]] == (["符号", "变量名称", "变量定义", "数据来源"] if zh else
                                                ["Symbol", "Variable", "Definition", "Source"])
    assert defs.panels[0].rows[1] == ["CoInno", "融通创新" if zh else "Co-innovation", "weighted index", "derived"]
    steps = [r[0] for r in tables["sample_construction"].panels[0].rows]
    assert steps == (["具有年度合并报表的公司-年度观测", "剔除ST、*ST公司-年度观测", "剔除SRDI、Size缺失的观测"]
                     if zh else ["Firm-years with annual consolidated statements",
                                 "Drop special-treatment firm-years (ST, *ST)", "Drop firm-years missing SRDI, Size"])
    assert tables["descriptives"].panels[0].rows[0][0] == "SRDI"


def test_uncommitted_changes_are_said_in_chinese():
    from srdi.report.stamp import Stamp

    stamp = Stamp("0123456789abcdef", True, "f" * 64)
    assert Labels({}, "zh").provenance(stamp) == ("代码版本 0123456789ab（含未提交的修改）；"
                                                  "配置SHA-256 ffffffffffffffff。")
    assert Labels({}, "en").provenance(stamp) == ("Commit 0123456789ab (uncommitted changes); config SHA-256 "
                                                  "ffffffffffffffff.")


def test_caption_states_fixed_effects_by_column_in_words(rob):
    models = ["rob_excl2020", "rob_ind"]
    estimates = read_models(rob["estimates"], models)
    en = model_facts(estimates, MODELS, Labels.from_csv(rob["codebook"], "en"))
    zh = model_facts(estimates, MODELS, Labels.from_csv(rob["codebook"], "zh"))
    assert en["fe"] == "column (1) firm and year; column (2) firm and industry × year"
    assert zh["fe"] == "第（1）列为企业、年份；第（2）列为企业、行业×年份"
    from srdi.report.captions import fe_text

    assert fe_text(Labels({}, "en"), "random(entity)+time") == "firm random effects and year"
