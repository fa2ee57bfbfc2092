"""Captions of the report: templates from workflow/report/captions.yaml filled with facts read off the
estimates (what is estimated, on which sample, with which FE and SE) and the hypothesis tested."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from srdi.report.estimates import DERIVED_EQUATIONS
from srdi.report.labels import Labels
from srdi.report.numbers import integer

FIELDS = {"title", "hypothesis", "hypothesis_text", "estimated", "sample", "fe", "se"}
FE_WORDS = {"entity": ("firm", "企业"), "time": ("year", "年份")}


def load_captions(path: str | Path) -> dict[str, Any]:
    with Path(path).open(encoding="utf-8") as fh:
        captions = yaml.safe_load(fh)
    for key, value in captions.items():
        if isinstance(value, dict) and "en" in value and isinstance(value["en"], str):
            for text in value.values():
                unknown = {f for _, f, _, _ in string.Formatter().parse(text) if f} - FIELDS
                if unknown:
                    raise ValueError(f"{path}: caption {key!r} uses unknown placeholder(s) {sorted(unknown)}")
    return captions


def model_facts(estimates: Mapping[str, pd.DataFrame], model_specs: Mapping[str, Any], labels: Labels,
                terms: list[str] | None = None) -> dict[str, str]:
    """Plain-language facts of a set of models, for {estimated}, {sample}, {fe} and {se}."""
    zh = labels.language == "zh"
    pairs, nobs, fes, ses, queries = {}, [], {}, {}, []
    for model, frame in estimates.items():
        rows = frame[~frame["equation"].isin(DERIVED_EQUATIONS)]
        controls = set(model_specs.get(model, {}).get("controls", []))
        for r in rows.itertuples(index=False):
            if (terms and r.term in terms) or (not terms and r.term not in controls and r.term != "const"):
                pairs[(getattr(r, "shown", r.term), r.outcome)] = None
        nobs += [int(v) for v in rows["nobs"].dropna()]
        for fe in rows["fe"].dropna().astype(str):
            fes[fe] = None
        for v in rows["vcov"].dropna().astype(str):
            ses[v] = None
        if model_specs.get(model, {}).get("sample"):
            queries.append(f"{model}: {model_specs[model]['sample']}")
    arrow = "对" if zh else " on "
    estimated = ("；" if zh else "; ").join(
        (f"{labels.var(o)}{arrow}{labels.var(t)}" if zh else f"{labels.var(t)}{arrow}{labels.var(o)}")
        for t, o in pairs)
    lo, hi = (min(nobs), max(nobs)) if nobs else (0, 0)
    n_text = integer(lo) if lo == hi else f"{integer(lo)}–{integer(hi)}"
    sample = (f"估计样本{n_text}个公司-年度观测" if zh else f"{n_text} firm-years of the estimation sample")
    if queries:
        sample += ("，限定 " if zh else ", restricted to ") + ", ".join(queries)
    fe_texts = []
    for fe in fes:
        parts = [p for p in fe.split("+") if p and p != "none"]
        words = [FE_WORDS[p][1 if zh else 0] if p in FE_WORDS else p for p in parts]
        fe_texts.append(("、".join(words) if zh else " and ".join(words)) or ("无" if zh else "none"))
    se_texts = []
    for v in ses:
        kind, _, by = v.partition(":")
        if kind == "cluster":
            se_texts.append(f"聚类到{by}" if zh else f"clustered by {by}")
        else:
            se_texts.append(v)
    sep = "；" if zh else "; "
    return {"estimated": estimated or "-", "sample": sample, "fe": sep.join(fe_texts) or "-",
            "se": sep.join(se_texts) or "-"}


def fill(template: str, **values: str) -> str:
    return template.format(**{k: values.get(k, "") for k in FIELDS})


def hypothesis_text(captions: Mapping[str, Any], hypothesis: str | None, language: str) -> str:
    if not hypothesis:
        return ""
    base = re.match(r"H\d+", hypothesis)
    key = hypothesis if hypothesis in captions["hypotheses"] or base is None else base.group(0)
    entry = captions["hypotheses"].get(key)
    return entry[language] if entry else hypothesis
