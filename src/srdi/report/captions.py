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

from srdi.report.estimates import DERIVED_EQUATIONS, coefficient_equations
from srdi.report.labels import Labels
from srdi.report.numbers import integer
from srdi.report.regression import by_column, column_ranges, se_by_column

FIELDS = {"title", "hypothesis", "hypothesis_text", "estimated", "sample", "fe", "se"}


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


LAG_WORDS = {"L": ("lagged ", "滞后一期"), "L2": ("two-year lagged ", "滞后两期"),
             "L3": ("three-year lagged ", "滞后三期")}
QUERY_WORDS = {"!=": "≠", ">=": "≥", "<=": "≤", "==": "=", "&": ("and", "且"), "|": ("or", "或"),
               "~": ("not", "非")}
_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|[A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?"
                    r"|!=|>=|<=|==|\S")


def _lower_first(text: str) -> str:
    """co-innovation, but SRDI development stays as written (an acronym keeps its case)."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def regressor_text(labels: Labels, shown: str) -> str:
    """lagged co-innovation (L.CoInno); 滞后一期融通创新（L.CoInno）."""
    zh = labels.language == "zh"
    head, _, rest = shown.partition(".")
    lag = LAG_WORDS.get(head) if rest else None
    name = rest if lag else shown
    label = labels.var(name) if zh else _lower_first(labels.var(name))
    prefix = (lag[1] if zh else lag[0]) if lag else ""
    return f"{prefix}{_with_symbol(label, _symbol_suffix(labels, shown, name))}"


def _symbol_suffix(labels: Labels, shown: str, name: str) -> str:
    """ (L.CoInno) after a label, when the codebook gives a symbol."""
    sym = labels.sym(shown)
    if sym in (labels.var(shown), labels.var(name)) or name not in labels.symbols:
        return ""
    return f"（{sym}）" if labels.language == "zh" else f" ({sym})"


def _with_symbol(label: str, suffix: str) -> str:
    """SRDI development (composite) + (SRDI) -> SRDI development (composite, SRDI); 融通创新（综合指数，CoInno）."""
    for close, comma in ((")", ", "), ("）", "，")):
        if suffix and label.endswith(close):
            return f"{label[:-1]}{comma}{suffix.strip()[1:-1]}{close}"
    return label + suffix


def query_text(labels: Labels, query: str) -> str:
    """A model's sample filter in words: `year != 2020` -> Fiscal year ≠ 2020 (会计年度 ≠ 2020)."""
    i = 1 if labels.language == "zh" else 0
    out = []
    for tok in _TOKEN.findall(query):
        word = QUERY_WORDS.get(tok)
        if word is not None:
            out.append(word if isinstance(word, str) else word[i])
        elif tok in ("and", "or", "not"):
            out.append(QUERY_WORDS[{"and": "&", "or": "|", "not": "~"}[tok]][i])
        elif re.fullmatch(r"[A-Za-z_]\w*", tok) and tok not in ("between", "isin", "True", "False"):
            out.append(labels.var(tok))
        else:
            out.append(tok)
    text = " ".join(out)
    for a, b in ((" . between (", " between ("), (" . isin (", " in ("), ("( ", "("), (" )", ")"), (" ,", ","),
                 ("[ ", "["), (" ]", "]")):
        text = text.replace(a, b)
    return text


def fe_text(labels: Labels, fe: str) -> str:
    """An estimates file's `fe` ("entity+time", "entity+industry_code^year", "random(entity)+time") in words."""
    zh = labels.language == "zh"
    words = []
    for part in (p for p in fe.split("+") if p and p != "none"):
        m = re.fullmatch(r"random\((.+)\)", part)
        unit = ("×" if zh else " × ").join(labels.unit(q) for q in (m.group(1) if m else part).split("^"))
        words.append((f"{unit}随机效应" if zh else f"{unit} random effects") if m else unit)
    return ("、".join(words) if zh else " and ".join(words)) or ("无" if zh else "none")


def _columns_of(estimates: Mapping[str, pd.DataFrame]) -> dict[str, list[int]]:
    """The table columns (1-based) each model fills: one per regression equation."""
    cols, k = {}, 0
    for model, frame in estimates.items():
        n = len(coefficient_equations(frame)) or 1
        cols[model] = list(range(k + 1, k + n + 1))
        k += n
    return cols


def model_facts(estimates: Mapping[str, pd.DataFrame], model_specs: Mapping[str, Any], labels: Labels,
                terms: list[str] | None = None) -> dict[str, str]:
    """Plain-language facts of a set of models, for {estimated}, {sample}, {fe} and {se}: the outcome regressed on
    the regressor of interest (with its lag), the sample and its restrictions by column, the absorbed effects and
    the SE type by column, in words (no config identifiers)."""
    zh = labels.language == "zh"
    pairs, nobs, fes, vcovs, queries = {}, [], [], [], []
    columns = _columns_of(estimates)
    entity, time = "stkcd", "year"
    for model, frame in estimates.items():
        rows = frame[~frame["equation"].isin(DERIVED_EQUATIONS)]
        controls = set(model_specs.get(model, {}).get("controls", []))
        for r in rows.itertuples(index=False):
            if (terms and r.term in terms) or (not terms and r.term not in controls and r.term != "const"):
                pairs[(getattr(r, "shown", r.term), r.outcome)] = None
        nobs += [int(v) for v in rows["nobs"].dropna()]
        for eq in (coefficient_equations(frame) or ["main"]):
            eq_rows = rows[rows["equation"] == eq] if eq in set(rows["equation"]) else rows
            fes.append(next(iter(eq_rows["fe"].dropna().astype(str)), ""))
        vcov = next(iter(rows["vcov"].dropna().astype(str)), "")
        vcovs += [vcov] * len(columns[model])
        query = model_specs.get(model, {}).get("sample")
        if query:
            queries.append((columns[model], query_text(labels, str(query))))
    if zh:
        estimated = "；".join(f"{regressor_text(labels, t)}对"
                             f"{_with_symbol(labels.var(o), _symbol_suffix(labels, o, o))}的影响" for t, o in pairs)
    else:
        estimated = "; ".join(f"{_with_symbol(labels.var(o), _symbol_suffix(labels, o, o))} on "
                              f"{regressor_text(labels, t)}" for t, o in pairs)
    lo, hi = (min(nobs), max(nobs)) if nobs else (0, 0)
    n_text = integer(lo) if lo == hi else f"{integer(lo)}–{integer(hi)}"
    sample = (f"估计样本{n_text}个公司-年度观测" if zh else f"{n_text} firm-years of the estimation sample")
    for cols, text in queries:
        where = column_ranges(cols, zh)
        if len(columns) == 1 and len(next(iter(columns.values()))) == len(cols):
            sample += f"，限定{text}" if zh else f", restricted to {text}"
        else:
            sample += f"，第{where}列限定{text}" if zh else f", column{'s' if len(cols) > 1 else ''} {where} " \
                f"restricted to {text}"
    fe_texts = [fe_text(labels, fe) for fe in fes]
    return {"estimated": estimated or "-", "sample": sample, "fe": by_column(labels, fe_texts) or "-",
            "se": se_by_column(labels, vcovs, entity, time) or "-"}


def fill(template: str, **values: str) -> str:
    return template.format(**{k: values.get(k, "") for k in FIELDS})


def hypothesis_text(captions: Mapping[str, Any], hypothesis: str | None, language: str) -> str:
    if not hypothesis:
        return ""
    base = re.match(r"H\d+", hypothesis)
    key = hypothesis if hypothesis in captions["hypotheses"] or base is None else base.group(0)
    entry = captions["hypotheses"].get(key)
    return entry[language] if entry else hypothesis
