"""The figures: channel coefficient plot, mediation path diagram, moderation marginal effects, heterogeneity
forest plot and (demo) estimates against the data-generating process's true values.

Each `draw_*` takes estimates and labels and returns a matplotlib Figure; `write_figures` decides which the
config allows (srdi.report.plan) and saves them. A figure whose models are absent is skipped, never faked.
"""

from __future__ import annotations

import json
import logging
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from srdi.report.estimates import DERIVED_EQUATIONS, read_models
from srdi.report.figure_style import (
    ACCENT,
    DEFAULT_DPI,
    INK,
    MUTED,
    apply_style,
    new_figure,
    new_panels,
    p_text,
    save_figure,
)
from srdi.report.labels import Labels
from srdi.report.numbers import fixed
from srdi.report.plan import FIGURE_FORMATS, coefficient_pairs, placebo_models, planned_figures
from srdi.report.settings import TableSettings

log = logging.getLogger(__name__)

TEXT: dict[str, tuple[str, str]] = {
    "coef_x": ("Coefficient with 95% CI", "系数估计值及95%置信区间"),
    "outcome": ("Outcome: {y}", "被解释变量：{y}"),
    "estimate": ("Estimate (95% CI)", "估计值(95%置信区间)"),
    "truth": ("True value (DGP)", "真实值(数据生成过程)"),
    "unmatched": ("no configured model estimates this", "当前配置的模型未估计该参数"),
    "me_y": ("Marginal effect of {x}", "{x}的边际效应"),
    "indirect": ("Indirect effect a×b = {ab}; Sobel {p}", "间接效应 a×b = {ab}；Sobel检验 {p}"),
    "boot": ("bootstrap 95% CI {ci}", "bootstrap 95%置信区间 {ci}"),
    "perm": ("{by}: difference between groups {d}, permutation {p}", "{by}：组间差异 {d}，置换检验 {p}"),
}


def _t(key: str, labels: Labels, **fill: str) -> str:
    return TEXT[key][0 if labels.language == "en" else 1].format(**fill)


def _row(frame: pd.DataFrame, term: str, equation: str | None = None) -> pd.Series | None:
    rows = frame[(frame["term"] == term) & ~frame["equation"].isin(DERIVED_EQUATIONS)]
    if equation is not None:
        rows = rows[rows["equation"] == equation]
    return rows.iloc[0] if len(rows) else None


def _ci_axes(ax: Any, ys: Sequence[float], est: Sequence[float], lo: Sequence[float], hi: Sequence[float],
             names: Sequence[str], xlabel: str, label: str | None = None) -> None:
    ax.axvline(0, color=MUTED, lw=0.8, ls="--", zorder=0)
    ax.errorbar(est, ys, xerr=[np.subtract(est, lo), np.subtract(hi, est)], fmt="o", color=INK, ecolor=INK,
                elinewidth=1.2, capsize=3, ms=5, label=label, zorder=3)
    ax.set_yticks(list(ys), list(names))
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)


Row = tuple[str, float, float, float]  # name, estimate, CI low, CI high


def _by_outcome(rows: Sequence[tuple[str, str, Row]]) -> dict[str, list[Row]]:
    """(outcome, term, row) -> rows per outcome, in order of first appearance."""
    out: dict[str, list[Row]] = {}
    for outcome, _, row in rows:
        out.setdefault(outcome, []).append(row)
    return out


def _ci_panels(groups: Mapping[str, Sequence[Row]], labels: Labels, xlabel: str, row_in: float,
               title: str = "") -> tuple[Figure, list[Any]]:
    """One coefficient panel per outcome when there are several (each its own x scale), else one plain panel."""
    fig, axes = new_panels([len(rows) for rows in groups.values()], row_in, 0.75 if len(groups) > 1 else 0.9)
    for ax, (outcome, rows) in zip(axes, groups.items(), strict=True):
        names, est, lo, hi = (list(col) for col in zip(*rows, strict=True)) if rows else ([], [], [], [])
        _ci_axes(ax, range(len(names)), est, lo, hi, names, xlabel if ax is axes[-1] else "")
        if len(groups) > 1:
            ax.set_title(_t("outcome", labels, y=labels.var(outcome)), fontsize=9, loc="left")
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=8)
    return fig, axes


def draw_coefficients(estimates: Mapping[str, pd.DataFrame], pairs: Sequence[Mapping[str, str]],
                      labels: Labels, settings: TableSettings) -> Figure:
    """Coefficients with 95% CIs; one panel per outcome where the pairs have several (their scales differ)."""
    rows = []
    for pair in pairs:
        row = _row(estimates[pair["model"]], pair["term"])
        if row is None:
            log.warning("figure coefficients: %s has no term %s; left out", pair["model"], pair["term"])
            continue
        rows.append((str(row["outcome"]), pair["term"], row))
    several = len({outcome for outcome, _, _ in rows}) > 1
    named = []
    for outcome, term, row in rows:
        stars = settings.stars_for(row["p_value"])
        name = labels.var(term) if several else f"{labels.var(term)} → {labels.var(outcome)}"
        named.append((outcome, term, (f"{name} {stars}".rstrip(), row["estimate"], row["conf_low"],
                                      row["conf_high"])))
    fig, _ = _ci_panels(_by_outcome(named) or {"": []}, labels, _t("coef_x", labels), 0.55)
    return fig


BOX_W, BOX_H = 0.30, 0.17


def _wrap(text: str, labels: Labels, width: int = 22) -> str:
    """Break a long label over lines (Chinese has no spaces: break by characters)."""
    if labels.language == "zh":
        width = round(width * 0.55)
        return "\n".join(text[i:i + width] for i in range(0, len(text), width))
    return textwrap.fill(text, width)


def _box(ax: Any, xy: tuple[float, float], text: str) -> None:
    ax.add_patch(FancyBboxPatch((xy[0] - BOX_W / 2, xy[1] - BOX_H / 2), BOX_W, BOX_H, boxstyle="round,pad=0.01",
                                fc="white", ec=INK, lw=1.2))
    ax.text(*xy, text, ha="center", va="center")


def _arrow(ax: Any, a: tuple[float, float], b: tuple[float, float], text: str, offset: tuple[float, float]) -> None:
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=14, color=INK, lw=1.2))
    mid = ((a[0] + b[0]) / 2 + offset[0], (a[1] + b[1]) / 2 + offset[1])
    ax.text(*mid, text, ha="center", va="center", fontsize=9)


def draw_mediation(frame: pd.DataFrame, labels: Labels, settings: TableSettings) -> Figure:
    """Boxes X, M, Y with a, b, c′ (and total c) on the arrows and the indirect effect beneath."""
    med = frame[frame["equation"] == "mediator"].iloc[0]
    x, m, y = str(med["term"]), str(med["outcome"]), str(frame[frame["equation"] == "outcome"]["outcome"].iloc[0])
    d = settings.digits

    def coef(term: str, eq: str) -> str:
        r = _row(frame, term, eq)
        return "" if r is None else fixed(r["estimate"], d) + settings.stars_for(r["p_value"])

    fig, ax = new_figure(3.4)
    ax.set_xlim(0, 1), ax.set_ylim(0, 1), ax.axis("off")
    px, pm, py = (0.17, 0.32), (0.5, 0.8), (0.83, 0.32)
    for xy, name in ((px, x), (pm, m), (py, y)):
        _box(ax, xy, _wrap(labels.var(name), labels))
    _arrow(ax, (0.25, px[1] + BOX_H / 2), (pm[0] - BOX_W / 2, pm[1] - 0.02), f"a = {coef(x, 'mediator')}",
           (-0.1, 0.03))
    _arrow(ax, (pm[0] + BOX_W / 2, pm[1] - 0.02), (0.75, py[1] + BOX_H / 2), f"b = {coef(m, 'outcome')}",
           (0.1, 0.03))
    total = coef(x, "total")
    _arrow(ax, (px[0] + BOX_W / 2, px[1]), (py[0] - BOX_W / 2, py[1]),
           f"c′ = {coef(x, 'outcome')}" + (f"\n(c = {total})" if total else ""), (0, -0.09))
    sobel = frame[(frame["equation"] == "indirect") & (frame["term"] == "indirect") & (frame["method"] == "sobel")]
    lines = []
    if len(sobel):
        s = sobel.iloc[0]
        lines.append(_t("indirect", labels, ab=fixed(s["estimate"], d) + settings.stars_for(s["p_value"]),
                        p=p_text(s["p_value"])))
    for method in ("bootstrap_percentile", "bootstrap_bc"):
        boot = frame[(frame["equation"] == "indirect") & (frame["method"] == method)]
        if len(boot):
            b = boot.iloc[0]
            ci = f"[{fixed(b['conf_low'], d)}, {fixed(b['conf_high'], d)}]"
            lines.append(_t("boot", labels, ci=ci) + (" (BC)" if method == "bootstrap_bc" else ""))
    ax.text(0.5, 0.0, "\n".join(lines), ha="center", va="bottom", fontsize=9)
    return fig


def draw_marginal_effects(frame: pd.DataFrame, labels: Labels) -> Figure:
    me = frame[frame["equation"] == "marginal_effect"].copy()
    x = str(me["term"].iloc[0]).split("@")[0]
    xs = me["at_value"] if "at_value" in me.columns and me["at_value"].notna().all() else me["at_quantile"]
    order = np.argsort(xs.to_numpy(dtype=float), kind="stable")
    xv = xs.to_numpy(dtype=float)[order]
    est, lo, hi = (me[c].to_numpy(dtype=float)[order] for c in ("estimate", "conf_low", "conf_high"))
    moderator = next((t.split(":") for t in frame.loc[frame["equation"] == "main", "term"].astype(str)
                      if ":" in t and x in t.split(":")), [x, "M"])
    mod_name = moderator[1] if moderator[0] == x else moderator[0]
    fig, ax = new_figure(3.0)
    ax.fill_between(xv, lo, hi, color=MUTED, alpha=0.3, lw=0)
    ax.plot(xv, est, "o-", color=INK, ms=4)
    ax.axhline(0, color=MUTED, lw=0.8, ls="--")
    ax.set_xlabel(labels.var(mod_name))
    ax.set_ylabel(_wrap(_t("me_y", labels, x=labels.var(x)), labels, width=34))
    return fig


def draw_heterogeneity(estimates: Mapping[str, pd.DataFrame], labels: Labels, settings: TableSettings,
                       model_specs: Mapping[str, Any] | None = None) -> Figure:
    """One row per subgroup; the grouping variable (spec key `group_by`) names the rows and the test notes above
    the plot (one line each, wrapped to the figure's width); one panel per outcome where the models have several."""
    rows, notes = [], []
    for model, frame in estimates.items():
        spec = (model_specs or {}).get(model, {})
        by = spec.get("group_by") or spec.get("by")
        name = labels.var(by) if isinstance(by, str) else labels.var(model)
        diff = frame[frame["equation"] == "difference"]
        groups = [e for e in dict.fromkeys(frame["equation"]) if e.startswith("group:")]
        term = str(diff["term"].iloc[0]) if len(diff) else str(frame[frame["equation"] == groups[0]]["term"].iloc[0])
        for g in groups:
            r = _row(frame, term, g)
            if r is None:
                continue
            group = r["group"] if "group" in r.index and pd.notna(r["group"]) else g.split(":", 1)[1]
            rows.append((str(r["outcome"]), term, (f"{name} = {group}", r["estimate"], r["conf_low"],
                                                   r["conf_high"])))
        if len(diff):
            notes.append(_t("perm", labels, by=name, d=fixed(diff["estimate"].iloc[0], settings.digits),
                            p=p_text(diff["p_value"].iloc[0])))
    title = "\n".join(_wrap(note, labels, width=100) for note in notes)
    fig, _ = _ci_panels(_by_outcome(rows) or {"": []}, labels, _t("coef_x", labels), 0.45, title)
    return fig


def truth_matches(estimates: Mapping[str, pd.DataFrame], estimands: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per true estimand: the first model whose coefficient rows have its (outcome, term)."""
    first: dict[tuple[Any, Any], tuple[str, pd.Series]] = {}  # (outcome, term) -> first model and row
    for model, frame in estimates.items():
        coefs = frame[~frame["equation"].isin(DERIVED_EQUATIONS)]
        for i, key in enumerate(zip(coefs["outcome"], coefs["term"], strict=True)):
            if key not in first:
                first[key] = (model, coefs.iloc[i])
    rows = []
    for e in estimands:
        hit = first.get((e["outcome"], e["term"]))
        rows.append({"outcome": e["outcome"], "term": e["term"], "truth": e["value"],
                     "hypothesis": e.get("hypothesis", ""), "model": hit[0] if hit else None,
                     "estimate": hit[1]["estimate"] if hit else np.nan,
                     "conf_low": hit[1]["conf_low"] if hit else np.nan,
                     "conf_high": hit[1]["conf_high"] if hit else np.nan})
    return pd.DataFrame(rows)


def draw_truth(matches: pd.DataFrame, labels: Labels) -> Figure:
    """Estimates with CIs against the DGP's true values (hollow diamonds beneath the estimates, so neither hides the
    other), one panel per outcome; estimands no model estimates show the truth alone."""
    matched = matches[matches["model"].notna()]
    shown = matched if len(matched) else matches
    outcomes = list(dict.fromkeys(shown["outcome"]))
    several = len(outcomes) > 1
    parts = {o: shown[shown["outcome"] == o] for o in outcomes}
    fig, axes = new_panels([len(p) for p in parts.values()], 0.45, 0.75 if several else 0.9)
    for ax, (outcome, part) in zip(axes, parts.items(), strict=True):
        names = [labels.var(t) if several else f"{labels.var(t)} → {labels.var(o)}"
                 for t, o in zip(part["term"], part["outcome"], strict=True)]
        ys = np.arange(len(part))
        xlabel = _t("coef_x", labels) if ax is axes[-1] else ""
        if len(matched):
            _ci_axes(ax, ys, part["estimate"], part["conf_low"], part["conf_high"], names, xlabel,
                     label=_t("estimate", labels))
        else:
            ax.set_yticks(ys, names)
            ax.invert_yaxis()
            ax.set_title(_t("unmatched", labels), fontsize=8, loc="left")
        ax.scatter(part["truth"], ys, marker="D", s=42, facecolors="none", edgecolors=ACCENT, linewidths=1.3,
                   zorder=2, label=_t("truth", labels))
        if several:
            ax.set_title(_t("outcome", labels, y=labels.var(outcome)), fontsize=9, loc="left")
    axes[0].legend(loc="best", fontsize=8)
    return fig


def write_figures(config: Mapping[str, Any], estimates_dir: str | Path, codebook: str | Path | None,
                  truth: str | Path | None, out_dir: str | Path) -> list[Path]:
    settings = TableSettings.from_config(config)
    labels = Labels.from_csv(codebook, settings.language)
    fig_cfg = config.get("figures", {})
    formats = list(fig_cfg.get("formats", FIGURE_FORMATS))
    dpi = int(fig_cfg.get("dpi", DEFAULT_DPI))
    apply_style(settings.language)
    paths: list[Path] = []
    for name in planned_figures(config):
        if name == "coefficients":
            pairs = coefficient_pairs(config)
            fig = draw_coefficients(read_models(estimates_dir, [p["model"] for p in pairs]), pairs, labels, settings)
        elif name == "mediation_path":
            fig = draw_mediation(read_models(estimates_dir, [fig_cfg["mediation"]])[fig_cfg["mediation"]], labels,
                                 settings)
        elif name == "marginal_effects":
            fig = draw_marginal_effects(read_models(estimates_dir, [fig_cfg["moderation"]])[fig_cfg["moderation"]],
                                        labels)
        elif name == "event_study":
            from srdi.report.did_figures import draw_event_study

            model = fig_cfg["event_study"]
            fig = draw_event_study(read_models(estimates_dir, [model])[model], labels)
        elif name == "placebo":
            from srdi.report.did_figures import draw_placebo

            fig = draw_placebo(read_models(estimates_dir, placebo_models(config)), labels)
        elif name == "heterogeneity_forest":
            models = [m for m in fig_cfg.get("heterogeneity", []) if m in config.get("models", {})]
            fig = draw_heterogeneity(read_models(estimates_dir, models), labels, settings, config.get("models"))
        else:
            with Path(truth).open(encoding="utf-8") as fh:  # type: ignore[arg-type]
                estimands = json.load(fh)["estimands"]
            fig = draw_truth(truth_matches(read_models(estimates_dir, sorted(config["models"])), estimands), labels)
        paths += save_figure(fig, out_dir, name, formats, dpi)
    return paths
