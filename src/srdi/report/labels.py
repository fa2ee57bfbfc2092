"""Human labels of variables and table furniture in English or Chinese, from results/codebook.csv: the label
(for prose and figures), the short symbol a journal uses as a row or column head (CoInno, L.CoInno), and the
labels of a grouping variable's values (国有企业 / 非国有企业). Chinese text gets full-width punctuation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from srdi.report.stamp import Stamp

# Table furniture that is not a variable: (English, Chinese).
WORDS: dict[str, tuple[str, str]] = {
    "controls": ("Controls", "控制变量"),
    "fe_entity": ("Firm FE", "企业固定效应"),
    "fe_time": ("Year FE", "年份固定效应"),
    "nobs": ("Observations", "观测值"),
    "r2_within": ("Within R²", "组内R²"),
    "r2": ("R²", "R²"),
    "r2_adj": ("Adjusted R²", "调整R²"),
    "r2_within_adj": ("Adjusted within R²", "调整组内R²"),
    "n_clusters": ("Clusters", "聚类数"),
    "yes": ("Yes", "是"),
    "no": ("No", "否"),
    "dep_var": ("Dependent variable", "被解释变量"),
    "const": ("Constant", "常数项"),
    "total": ("Total effect (c)", "总效应（c）"),
    "mediator": ("Mediator (a)", "中介方程（a）"),
    "outcome": ("Outcome (c′, b)", "结果方程（c′，b）"),
    "first_stage": ("First stage", "第一阶段"),
    "second_stage": ("Second stage", "第二阶段"),
    "lpm": ("LPM", "线性概率模型"),
    "clogit": ("Cond. logit", "条件Logit"),
    "indirect_panel": ("Indirect effect", "间接效应"),
    "indirect": ("Indirect effect a×b (Sobel SE)", "间接效应a×b（Sobel标准误）"),
    "sobel": ("Sobel z [p]", "Sobel z [p]"),
    "bootstrap_percentile": ("Bootstrap 95% CI (percentile)", "Bootstrap 95%置信区间(百分位)"),
    "bootstrap_bc": ("Bootstrap 95% CI (bias-corrected)", "Bootstrap 95%置信区间(偏差校正)"),
    "proportion_mediated": ("Proportion mediated", "中介效应占比"),
    "kp_rk_wald_f": ("Kleibergen-Paap rk Wald F", "Kleibergen-Paap rk Wald F"),
    "kp_rk_lm": ("Kleibergen-Paap rk LM (under-identification) [p]", "Kleibergen-Paap rk LM(识别不足检验) [p]"),
    "cd_wald_f": ("Cragg-Donald Wald F", "Cragg-Donald Wald F"),
    "sy_size": ("Stock-Yogo critical value: {pct}% maximal IV size", "Stock-Yogo临界值：{pct}%最大IV偏误规模"),
    "sy_bias": ("Stock-Yogo critical value: {pct}% maximal IV relative bias", "Stock-Yogo临界值：{pct}%最大IV相对偏误"),
    "sargan": ("Sargan over-identification χ² [p]", "Sargan过度识别检验χ² [p]"),
    "hansen_j": ("Hansen J over-identification χ² [p]", "Hansen J过度识别检验χ² [p]"),
    "ar_wald_f": ("Anderson-Rubin Wald F [p]", "Anderson-Rubin Wald F [p]"),
    "ar_set": ("Anderson-Rubin 95% confidence set", "Anderson-Rubin 95%置信集"),
    "reduced_form": ("Reduced form", "简约式"),
    "random_effects": ("Random effects", "随机效应"),
    "matching_failed": ("{method}", "{method}"),
    "not_estimable": ("not estimable (see log)", "无法估计(见日志)"),
    "not_pd": ("V_FE − V_RE not positive definite", "V_FE − V_RE 非正定"),
    "two_step": ("Two-step test (Jiang 2022)", "两步法检验(江艇 2022)"),
    "stepwise": ("Stepwise test (supplementary)", "逐步法检验(补充)"),
    "loo": ("Leave-one-out mean of {x}", "{x}的留一均值"),
    "fe_re_entity": ("Firm RE", "企业随机效应"),
    "hausman_fe_re": ("Hausman test FE vs RE χ² [p]", "Hausman检验（固定效应与随机效应）χ² [p]"),
    "mundlak": ("Mundlak test (cluster-robust) [p]", "Mundlak检验(聚类稳健) [p]"),
    "oster_beta_star": ("Oster β* (δ = {delta}, R_max = {r_max})", "Oster β*(δ = {delta}，R_max = {r_max})"),
    "oster_delta_star": ("Oster δ for β = 0 (R_max = {r_max})", "Oster δ(使β = 0，R_max = {r_max})"),
    "wild_bootstrap": ("Wild cluster bootstrap p [95% CI]: {term}", "野聚类自助法p值 [95%置信区间]：{term}"),
    "endogeneity_dwh": ("Endogeneity test (DWH) p", "内生性检验(DWH) p值"),
    "difference": ("Difference of {term}{groups} [permutation p]", "{term}系数差异{groups}[置换检验p值]"),
    "fe_other": ("{x} FE", "{x}固定效应"),
    "marginal_panel": ("Marginal effect of {term}", "{term}的边际效应"),
    "at_quantile": ("at p{q} of {moderator}", "{moderator}的p{q}分位"),
    "diagnostics_panel": ("Diagnostics", "检验"),
    "se_note": ("Standard errors in parentheses", "括号内为标准误"),
    "t_note": ("t statistics in parentheses", "括号内为t值"),
    "cluster": ("clustered by {by}", "{by}层面聚类稳健标准误"),
    "robust": ("heteroskedasticity-robust", "异方差稳健标准误"),
    "hc3": ("heteroskedasticity-robust (HC3)", "异方差稳健标准误（HC3）"),
    "unadjusted": ("conventional (unadjusted)", "普通标准误"),
    "provenance": ("Commit {commit}; config SHA-256 {config_hash}.", "代码版本 {commit}；配置SHA-256 {config_hash}。"),
    "entity": ("firm", "企业"),
    "time": ("year", "年份"),
    # staggered DID (kind: did)
    "ATT": ("Average effect on the treated (ATT)", "平均处理效应(ATT)"),
    "twfe": ("TWFE", "双向固定效应"),
    "sun_abraham": ("Sun–Abraham", "Sun–Abraham"),
    "callaway_santanna": ("Callaway–Sant'Anna", "Callaway–Sant'Anna"),
    "imputation": ("Imputation (BJS)", "插补估计(BJS)"),
    "pretrend": ("Pre-trend test p (joint, e < 0)", "平行趋势检验p值(e < 0联合)"),
    "n_treated": ("Treated firms", "处理组企业数"),
    "n_cohorts": ("Cohorts", "处理批次数"),
    "n_never_treated": ("Never-treated firms", "从未处理企业数"),
    "comparison": ("Comparison group", "对照组"),
    "never treated": ("never treated", "从未处理"),
    "not yet treated": ("not yet treated", "尚未处理"),
    "implicit (not-yet, never and already treated)": ("implicit (incl. already treated)", "隐含(含已处理)"),
    "untreated firm-years (never and not-yet treated)": ("untreated firm-years", "未处理观测"),
    "bacon_panel": ("Goodman-Bacon decomposition of the TWFE estimate (without controls): estimate [weight]",
                    "TWFE估计量的Goodman-Bacon分解(不含控制变量)：估计值 [权重]"),
    "treated_vs_never": ("Treated vs never treated", "处理组 vs 从未处理组"),
    "earlier_vs_later": ("Earlier vs later treated", "较早处理组 vs 较晚处理组"),
    "later_vs_earlier": ("Later vs earlier treated (forbidden)", "较晚处理组 vs 较早处理组(禁止比较)"),
    "later_vs_always": ("Later vs always treated", "较晚处理组 vs 始终处理组"),
    "twfe_without_controls": ("TWFE without controls (sum)", "不含控制变量的TWFE(合计)"),
    "psm": ("PSM-DID", "PSM-DID"),
    "ebal": ("Entropy-balanced DID", "熵平衡DID"),
    "matched never treated": ("matched never treated", "匹配的从未处理组"),
    "reweighted never treated": ("reweighted never treated", "加权的从未处理组"),
    "placebo_entities": ("Placebo p: treated firms reassigned", "安慰剂检验p值：随机分配处理企业"),
    "placebo_timing": ("Placebo p: treatment years reassigned", "安慰剂检验p值：随机分配处理年份"),
    "placebo_regressor": ("Placebo p: regressor permuted within year", "安慰剂检验p值：年度内随机置换解释变量"),
}

# Short names of the columns fixed effects and clusters are usually built from (industry × year FE, 行业×年份固定效应).
UNIT_NAMES: dict[str, tuple[str, str]] = {
    "entity": ("firm", "企业"), "time": ("year", "年份"), "industry_code": ("industry", "行业"),
    "industry_sector": ("sector", "行业门类"), "province": ("province", "省份"), "region": ("region", "地区"),
    "year": ("year", "年份"), "stkcd": ("firm", "企业"),
}
_CJK = "\u3400-\u9fff\uff01-\uff5e\u3000-\u303f"
_PAREN = re.compile(r"\(([^()]*)\)")


def zh_punct(text: str) -> str:
    """Full-width （）：， where they touch Chinese text; (1), p<0.1 and formulas stay half-width."""
    def paren(m: re.Match[str]) -> str:
        start, end = m.start(), m.end()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if re.search(f"[{_CJK}]", before + m.group(1) + after):
            return f"（{m.group(1)}）"
        return m.group(0)

    out = _PAREN.sub(paren, text)
    out = re.sub(f"(?<=[{_CJK}]):\\s?", "：", out)
    out = re.sub(f"(?<=[{_CJK}]),\\s?|,\\s?(?=[{_CJK}])", "，", out)
    return out


def parse_values(text: str) -> dict[str, str]:
    """Value labels written "0: Non-SOEs; 1: SOEs" (codebook fields values_en / values_zh)."""
    out = {}
    for part in str(text or "").split(";"):
        key, sep, label = part.partition(":")
        if sep and key.strip() and label.strip():
            out[key.strip()] = label.strip()
    return out


class Labels:
    """Variable name -> label in one language; unknown names fall back to the name itself."""

    def __init__(self, codebook: Mapping[str, tuple[str, str]], language: str = "en",
                 symbols: Mapping[str, str] | None = None, values: Mapping[str, Mapping[str, str]] | None = None,
                 definitions: Mapping[str, tuple[str, str]] | None = None) -> None:
        if language not in ("en", "zh"):
            raise ValueError(f"tables.language must be en or zh, not {language!r}")
        self.codebook = dict(codebook)
        self.language = language
        self._i = 0 if language == "en" else 1
        self.symbols = dict(symbols or {})
        self.values = {k: dict(v) for k, v in (values or {}).items()}
        self.definitions = dict(definitions or {})  # name -> (definition, source)

    @classmethod
    def from_csv(cls, path: str | Path | None, language: str = "en") -> Labels:
        if path is None or not Path(path).exists():
            return cls({}, language)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        labels = {r.name: (r.label_en or r.name, zh_punct(r.label_zh or r.label_en or r.name))
                  for r in frame.itertuples(index=False)}
        column = "values_zh" if language == "zh" else "values_en"
        get = {c: frame[c] if c in frame.columns else pd.Series("", index=frame.index)
               for c in ("symbol", "values_en", column, "definition", "source")}
        symbols = {n: s for n, s in zip(frame["name"], get["symbol"], strict=True) if s}
        values = {n: parse_values(v or en) for n, v, en in zip(frame["name"], get[column], get["values_en"],
                                                                strict=True) if v or en}
        definitions = dict(zip(frame["name"], zip(get["definition"], get["source"], strict=True), strict=True))
        return cls(labels, language, symbols, values, definitions)

    def word(self, key: str, **fill: str) -> str:
        text = WORDS[key][self._i].format(**fill)
        return zh_punct(text) if self._i else text

    def provenance(self, stamp: Stamp) -> str:
        """The footnote naming the commit and the config hash the table was built from."""
        return self.word("provenance", commit=stamp.commit_in(self.language), config_hash=stamp.config_text)

    def unit(self, name: str) -> str:
        """A fixed effect's or cluster's unit in words: firm, industry; 企业, 行业 (else the variable's symbol)."""
        pair = UNIT_NAMES.get(name)
        return pair[self._i] if pair else self.sym(name)

    def value(self, name: str, value: str) -> str:
        """The label of one value of a grouping variable (SOEs, 东部), else "SOE = 1"."""
        known = self.values.get(name, {})
        for key in (str(value), str(value).removesuffix(".0")):
            if key in known:
                return known[key]
        return f"{self.sym(name)} = {value}"

    def sym(self, name: str) -> str:
        """The short symbol of a variable (CoInno; L.CoInno lagged; CoInno × InnEnv), else its label."""
        if name in self.symbols:
            return self.symbols[name]
        head, dot, rest = name.partition(".")
        if dot and rest and (head == "L" or (head[:1] == "L" and head[1:].isdigit())):
            return f"{head}.{self.sym(rest)}"
        if name.startswith("loo_") and name not in self.codebook:
            return self.word("loo", x=self.sym(name[4:]))
        for sep in (":", "^"):
            if sep in name and name not in self.codebook:
                return " × ".join(self.sym(part) for part in name.split(sep))
        return self.var(name)

    def var(self, name: str) -> str:
        """A variable or an interaction `a:b` (shown as a × b); the intercept as Constant."""
        if name in ("const", "Intercept", "_cons"):
            return self.word("const")
        if name == "ATT" and name not in self.codebook:
            return self.word("ATT")
        head, dot, rest = name.partition(".")
        if dot and rest and (head == "L" or (head[:1] == "L" and head[1:].isdigit())):
            return f"{head}.{self.var(rest)}"  # a lagged term: L.Co-innovation, L2.融通创新
        if name.startswith("loo_") and name not in self.codebook:  # the leave-one-out instrument of an IV model
            return self.word("loo", x=self.var(name[4:]))
        for sep in (":", "^"):  # an interaction term, or interacted fixed effects (industry^year)
            if sep in name and name not in self.codebook:
                return " × ".join(self.var(part) for part in name.split(sep))
        pair = self.codebook.get(name)
        return pair[self._i] if pair else name
