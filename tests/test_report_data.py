"""Hand-written estimates files of every model kind (docs/estimates_format.md), shared by the report tests,
and a check that they follow the format's column contract."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
HEAD = "model,outcome,term,estimate,std_error,statistic,p_value,conf_low,conf_high,nobs,r2_within,n_clusters,fe,vcov"
FE = "entity+time,cluster:stkcd"

ESTIMATES = {
    "baseline": f"""{HEAD}
baseline,srdi_index,coinnov,0.12345,0.04,3.08625,0.002,0.045,0.202,1000,0.2512,100,{FE}
baseline,srdi_index,size,-0.0206,0.01,-2.06,0.04,-0.04,-0.001,1000,0.2512,100,{FE}
""",
    "pooled_ols": f"""{HEAD}
pooled_ols,srdi_index,coinnov,0.5,0.03,16.7,0,0.44,0.56,1100,0.3,110,none,cluster:stkcd
""",
    "channel_spec": f"""{HEAD}
channel_spec,srdi_spec,ci_collab,0.031,0.012,2.58,0.011,0.007,0.055,990,0.11,99,{FE}
channel_spec,srdi_spec,size,0.01,0.01,1,0.3,-0.01,0.03,990,0.11,99,{FE}
""",
    "channel_refine": f"""{HEAD}
channel_refine,srdi_refine,ci_data,0.019,0.011,1.73,0.086,-0.003,0.041,990,0.08,99,{FE}
""",
    "channel_distinct": f"""{HEAD}
channel_distinct,srdi_distinct,ci_chain,0.16,0.05,3.2,0.0015,0.06,0.26,980,0.09,98,{FE}
""",
    "channel_novel": f"""{HEAD}
channel_novel,srdi_novel,ci_eco,-0.004,0.006,-0.67,0.51,-0.016,0.008,985,0.05,98,{FE}
""",
    "mechanism": f"""{HEAD},equation,method
mechanism,srdi_index,coinnov,0.2,0.05,4,0.0001,0.1,0.3,900,0.3,90,{FE},total,
mechanism,digital,coinnov,0.5,0.1,5,0.00001,0.3,0.7,900,0.2,90,{FE},mediator,
mechanism,srdi_index,coinnov,0.15,0.05,3,0.003,0.05,0.25,900,0.35,90,{FE},outcome,
mechanism,srdi_index,digital,0.1,0.04,2.5,0.012,0.02,0.18,900,0.35,90,{FE},outcome,
mechanism,srdi_index,indirect,0.05,0.0224,2.236,0.0253,0.006,0.094,900,,,{FE},indirect,sobel
mechanism,srdi_index,indirect,0.05,,,,0.012,0.095,900,,,{FE},indirect,bootstrap_percentile
mechanism,srdi_index,indirect,0.05,,,,0.011,0.093,900,,,{FE},indirect,bootstrap_bc
mechanism,srdi_index,proportion_mediated,0.25,,,,,,900,,,{FE},indirect,
mechanism,srdi_index,coinnov,0.2,0.05,4,0.0001,0.1,0.3,900,0.3,90,{FE},jiang_two_step,two_step
mechanism,digital,coinnov,0.5,0.1,5,0.00001,0.3,0.7,900,0.2,90,{FE},jiang_two_step,two_step
""",
    "endogeneity_iv": f"""{HEAD},equation,method
endogeneity_iv,coinnov,coinnov_loo,0.8,0.1,8,0,0.6,1,950,0.4,95,{FE},first_stage,
endogeneity_iv,srdi_index,coinnov,0.18,0.07,2.571,0.0101,0.043,0.317,950,0.2,95,{FE},second_stage,
endogeneity_iv,coinnov,kp_rk_wald_f,,,64.0,,,,950,,95,{FE},diagnostic,
endogeneity_iv,srdi_index,endogeneity_dwh,,,1.21,0.271,,,950,,95,{FE},diagnostic,
""",
    "moderation_env": f"""{HEAD},equation,method,at_quantile,at_value
moderation_env,srdi_index,coinnov,0.12,0.04,3,0.003,0.04,0.2,1000,0.26,100,{FE},main,,,
moderation_env,srdi_index,innov_env,0.002,0.001,2,0.046,0.00004,0.004,1000,0.26,100,{FE},main,,,
moderation_env,srdi_index,coinnov:innov_env,0.01,0.004,2.5,0.0125,0.002,0.018,1000,0.26,100,{FE},main,,,
moderation_env,srdi_index,coinnov@q0.25,0.06,0.045,1.33,0.183,-0.028,0.148,1000,,100,{FE},marginal_effect,delta,0.25,64
moderation_env,srdi_index,coinnov@q0.5,0.12,0.04,3,0.003,0.04,0.2,1000,,100,{FE},marginal_effect,delta,0.5,70
moderation_env,srdi_index,coinnov@q0.75,0.18,0.045,4,0.0001,0.092,0.268,1000,,100,{FE},marginal_effect,delta,0.75,76
""",
    "het_soe": f"""{HEAD},equation,method,group,group_a,group_b
het_soe,srdi_index,coinnov,0.15,0.05,3,0.003,0.05,0.25,700,0.25,70,{FE},group:0,,0,,
het_soe,srdi_index,coinnov,0.05,0.06,0.83,0.41,-0.07,0.17,300,0.22,30,{FE},group:1,,1,,
het_soe,srdi_index,coinnov,0.1,,,0.042,,,1000,,,{FE},difference,permutation,,0,1
""",
    "designation": f"""{HEAD},equation,method
designation,srdi_designated,coinnov,0.09,0.03,3,0.003,0.031,0.149,1000,0.05,100,{FE},lpm,
designation,srdi_designated,coinnov,1.4,0.5,2.8,0.005,0.42,2.38,600,,100,entity,cluster:stkcd,clogit,
""",
}

KINDS = {"baseline": "panel", "mechanism": "mediation", "endogeneity_iv": "iv", "moderation_env": "moderation",
         "het_soe": "heterogeneity", "designation": "binary"}

CODEBOOK = """name,label_en,label_zh
srdi_index,SRDI development,专精特新发展
srdi_spec,Specialization,专业化
srdi_refine,Refinement,精细化
srdi_distinct,Distinctiveness,特色化
srdi_novel,Novelty,新颖化
srdi_designated,SRDI designation,专精特新认定
coinnov,Co-innovation,融通创新
ci_collab,Collaborative innovation,协同创新
ci_data,Data integration,数据资源整合
ci_chain,Chain integration,产业链融通
ci_eco,Ecosystem,融通创新生态
digital,Digital transformation,数字化转型
innov_env,Innovation environment,创新环境
size,Firm size,企业规模
"""

PROVENANCE = {"config": {"seed": 1}, "git": {"commit": "0123456789abcdef0123", "dirty": False}, "seed": 1,
              "python": "3.11.0", "created_utc": "2026-01-01T00:00:00+00:00",
              "inputs_sha256": {"data/raw/a.csv": "aa", "data/raw/mdna/x.txt": "bb"},
              "packages": {"pandas": "3.1.1", "matplotlib": "3.11.2", "mplfonts": "0.0.11"}}

TRUTH = {"estimands": [
    {"outcome": "srdi_spec", "term": "ci_collab", "value": 0.03, "hypothesis": "H2"},
    {"outcome": "srdi_distinct", "term": "ci_chain", "value": 0.15, "hypothesis": "H2"},
    {"outcome": "srdi_spec", "term": "ci_collab x env_c", "value": 0.008, "hypothesis": "H4"},
]}


def shipped_sections() -> dict:
    """The tables/figures/report sections of the shipped config.yaml (the default table set)."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    return {k: raw[k] for k in ("tables", "figures", "report")}


def example_config(language: str = "en") -> dict:
    models = {name: {"kind": KINDS.get(name, "panel"), "controls": ["size"]} for name in ESTIMATES}
    config = {"seed": 1, "data": {"source": "demo", "entity": "stkcd", "time": "year"}, "models": models,
              **shipped_sections()}
    config["tables"]["language"] = language
    config["report"] = {"captions": str(ROOT / "workflow/report/captions.yaml"),
                        "template": str(ROOT / "workflow/report/report.html.j2")}
    return config


def write_examples(root: Path) -> dict[str, Path]:
    """Estimates, codebook, provenance, truth and describe CSVs under `root`, as the DAG lays them out."""
    est = root / "estimates"
    est.mkdir(parents=True, exist_ok=True)
    for name, text in ESTIMATES.items():
        (est / f"{name}.csv").write_text(text, encoding="utf-8")
    tables = root / "tables"
    tables.mkdir(exist_ok=True)
    (tables / "sample_construction.csv").write_text(
        "step,removed,observations,firms\nall firm-years,0,1200,120\ndrop ST,200,1000,100\n", encoding="utf-8")
    (tables / "descriptives.csv").write_text(
        "variable,n,mean,sd,min,p25,median,p75,max\nsrdi_index,1000,0.41886,0.1,0.1,0.3,0.4,0.5,0.7\n"
        "coinnov,990,0.178,0.104,0,0.098,0.166,0.244,0.468\n", encoding="utf-8")
    (tables / "descriptives_panel.csv").write_text(
        "variable,n,mean,sd,min,p25,median,p75,max\nsrdi_index,1100,0.41,0.1,0.1,0.3,0.4,0.5,0.7\n"
        "coinnov,1080,0.178,0.104,0,0.098,0.166,0.244,0.468\n", encoding="utf-8")
    (tables / "variables.csv").write_text(
        "name,label_en,label_zh,symbol,definition,source\nsrdi_index,SRDI development,专精特新发展,SRDI,"
        "weighted index,derived\ncoinnov,Co-innovation,融通创新,CoInno,weighted index,derived\n", encoding="utf-8")
    (tables / "correlations.csv").write_text(
        "var1,var2,r,p_value,n\nsrdi_index,srdi_index,1,0,1000\ncoinnov,srdi_index,0.4111,0.0001,990\n"
        "coinnov,coinnov,1,0,990\n", encoding="utf-8")
    paths = {"estimates": est, "tables": tables, "figures": root / "figures",
             "codebook": root / "codebook.csv", "provenance": root / "provenance.json", "truth": root / "truth.json"}
    paths["codebook"].write_text(CODEBOOK, encoding="utf-8")
    paths["provenance"].write_text(json.dumps(PROVENANCE), encoding="utf-8")
    paths["truth"].write_text(json.dumps(TRUTH), encoding="utf-8")
    return paths


def test_examples_follow_the_estimates_format(tmp_path):
    contract = HEAD.split(",")
    for path in sorted(write_examples(tmp_path)["estimates"].glob("*.csv")):
        frame = pd.read_csv(path)
        assert list(frame.columns[: len(contract)]) == contract, path.name
        assert frame["model"].eq(path.stem).all()
