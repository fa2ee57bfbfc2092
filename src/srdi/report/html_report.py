"""results/report.html: one self-contained page (inline CSS, figures as base64 PNG, the CJK glyphs it shows as
an embedded font subset) with every table and figure, a caption for each, and the run's provenance. No
timestamp: the same inputs give the same bytes."""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from srdi.atomic import write_text
from srdi.report.captions import fill, hypothesis_text, load_captions, model_facts
from srdi.report.descriptive import TITLES
from srdi.report.estimates import read_models
from srdi.report.fonts import EMBEDDED_FAMILY, cjk_font_face
from srdi.report.formats.html import TABLE_CSS, extract_fragment
from srdi.report.labels import Labels
from srdi.report.plan import (
    coefficient_pairs,
    describe_tables,
    placebo_models,
    planned_figures,
    planned_tables,
    table_models,
)
from srdi.report.settings import TableSettings, table_title
from srdi.report.stamp import inputs_digest, read_provenance, stamp_from

TEXT = {
    "title": ("Co-innovation and SME SRDI development: replication report", "融通创新与中小企业专精特新发展：复现报告"),
    "tables": ("Tables", "表格"),
    "figures": ("Figures", "图"),
    "provenance": ("Provenance", "可追溯信息"),
    "commit": ("Git commit", "代码版本(git commit)"),
    "config": ("Config SHA-256", "配置SHA-256"),
    "seed": ("Master seed", "主随机种子"),
    "inputs": ("Input files hashed", "已记录哈希的输入文件"),
    "inputs_digest": ("Digest of all input hashes", "全部输入哈希的摘要"),
    "python": ("Python", "Python"),
    "packages": ("Package versions", "软件包版本"),
    "source": ("Data source", "数据来源"),
    "dirty": ("uncommitted changes in the work tree", "工作区有未提交的修改"),
    "files": ("Inputs by folder: files and digest of their SHA-256", "按文件夹汇总的输入：文件数及其SHA-256摘要"),
}


def _folders(hashes: Mapping[str, str]) -> list[tuple[str, int, str]]:
    """Input hashes summarised per folder (count and one digest): a demo has tens of thousands of text files."""
    groups: dict[str, dict[str, str]] = {}
    for path, digest in hashes.items():
        groups.setdefault(str(Path(path).parent), {})[path] = digest
    return [(folder, len(files), inputs_digest(files)) for folder, files in sorted(groups.items())]


def _figure_models(name: str, config: Mapping[str, Any]) -> tuple[list[str], list[str] | None]:
    fig = config.get("figures", {})
    if name == "coefficients":
        pairs = coefficient_pairs(config)
        return list(dict.fromkeys(p["model"] for p in pairs)), [p["term"] for p in pairs]
    if name == "mediation_path":
        return [fig["mediation"]], None
    if name == "marginal_effects":
        return [fig["moderation"]], None
    if name == "heterogeneity_forest":
        return [m for m in fig.get("heterogeneity", []) if m in config.get("models", {})], None
    if name == "event_study":
        return [fig["event_study"]], ["ATT"]
    if name == "placebo":
        return placebo_models(config), None
    return sorted(config.get("models", {})), None


def build_report(config: Mapping[str, Any], tables_dir: str | Path, figures_dir: str | Path,
                 estimates_dir: str | Path, codebook: str | Path | None, provenance: str | Path,
                 captions_path: str | Path, template_path: str | Path) -> str:
    settings = TableSettings.from_config(config)
    lang = settings.language
    i = 0 if lang == "en" else 1
    labels = Labels.from_csv(codebook, lang)
    captions = load_captions(captions_path)
    models = config.get("models", {})
    tables_dir, figures_dir = Path(tables_dir), Path(figures_dir)

    tables = []
    for name in describe_tables(config):
        fragment = extract_fragment((tables_dir / f"{name}.html").read_text(encoding="utf-8"))
        caption = fill(captions[name][lang], title=TITLES[name][i])
        tables.append({"id": name, "html": fragment, "caption": caption})
    for name in planned_tables(config):
        spec = config["tables"]["regressions"][name]
        names = table_models(config, name)
        facts = model_facts(read_models(estimates_dir, names), models, labels, spec.get("terms"))
        hyp = spec.get("hypothesis", "")
        template = captions["balance" if spec.get("content") == "balance" else "regression"][lang]
        caption = fill(template, title=table_title(spec, name, lang), hypothesis=hyp,
                       hypothesis_text=hypothesis_text(captions, hyp, lang), **facts)
        fragment = extract_fragment((tables_dir / f"{name}.html").read_text(encoding="utf-8"))
        tables.append({"id": name, "html": fragment, "caption": caption})

    figures = []
    for name in planned_figures(config):
        names, terms = _figure_models(name, config)
        facts = model_facts(read_models(estimates_dir, names), models, labels, terms)
        hyp = captions["figure_hypotheses"].get(name, "")
        title = captions["figure_titles"][name][lang]
        caption = fill(captions["figure"][lang], title=title, hypothesis=hyp,
                       hypothesis_text=hypothesis_text(captions, hyp, lang), **facts)
        png = base64.b64encode((figures_dir / f"{name}.png").read_bytes()).decode("ascii")
        figures.append({"id": name, "title": title, "png": png, "caption": caption})

    prov = read_provenance(provenance)
    stamp = stamp_from(prov)
    inputs = prov.get("inputs_sha256", {})
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(template_path).parent)),
                             autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    page = functools.partial(env.get_template(Path(template_path).name).render,
        lang="zh-CN" if lang == "zh" else "en",
        cjk_family=EMBEDDED_FAMILY,
        text={k: v[i] for k, v in TEXT.items()},
        css=TABLE_CSS,
        tables=tables,
        figures=figures,
        provenance={
            "commit": stamp.commit, "dirty": stamp.dirty, "config_sha256": stamp.config_sha256,
            "seed": prov.get("seed"), "python": prov.get("python", ""),
            "source": prov.get("config", {}).get("data", {}).get("source", ""),
            "n_inputs": len(inputs), "inputs_digest": inputs_digest(inputs),
            "inputs": _folders(inputs), "packages": sorted(prov.get("packages", {}).items(),
                               key=lambda kv: kv[0].lower()),
        },
    )
    # The page is rendered once to learn its characters, then with the CJK font's subset for them embedded.
    return page(font_face=cjk_font_face(page(font_face="")))


def write_report(config: Mapping[str, Any], tables_dir: str | Path, figures_dir: str | Path,
                 estimates_dir: str | Path, codebook: str | Path | None, provenance: str | Path,
                 captions_path: str | Path, template_path: str | Path, out: str | Path) -> None:
    write_text(out, build_report(config, tables_dir, figures_dir, estimates_dir, codebook, provenance,
                                 captions_path, template_path))
