"""Figures of a staggered DID model (`kind: did`): the event study with every estimator overlaid.

Referees of the little-giant literature read pre-trends off this figure, so each estimator's event-time
coefficients are drawn with their 95% intervals, side by side at each event time, the reference period e = -1 and
zero marked. Estimators normalise differently: TWFE and Sun-Abraham fix e = -1 at zero; Callaway-Sant'Anna's
pre-period points are its (varying-base) placebo ATTs; the imputation estimator's leads come from its pre-trend
regression on untreated firm-years. The note under the figure says so.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from srdi.report.figure_style import INK, MUTED, new_figure
from srdi.report.labels import Labels

MARKERS = {"twfe": ("o", INK), "sun_abraham": ("s", "#2166ac"), "callaway_santanna": ("D", "#b2182b"),
           "imputation": ("^", "#1b7837")}
TEXT: dict[str, tuple[str, str]] = {
    "x": ("Years relative to the first treated year (e = t − g)", "相对首次处理年份的年数(e = t − g)"),
    "y": ("Effect on {y} (95% CI)", "对{y}的影响(95%置信区间)"),
    "note": ("e = −1 is the reference period (TWFE, Sun–Abraham); end points binned.",
             "e = −1 为基期(TWFE、Sun–Abraham)；两端期数合并。"),
}


def _t(key: str, labels: Labels, **fill: str) -> str:
    return TEXT[key][0 if labels.language == "en" else 1].format(**fill)


def event_times(frame: pd.DataFrame) -> pd.DataFrame:
    """The event-study rows ("e=k" terms with an event time) of a did model's estimates, every estimator."""
    rows = frame[frame["equation"].isin(list(MARKERS)) & frame["event_time"].notna()]
    return rows[rows["term"].astype(str).str.startswith("e=")]


def draw_event_study(frame: pd.DataFrame, labels: Labels) -> Figure:
    """Event-time coefficients of every estimator in `frame` (a did model's estimates), dodged horizontally."""
    rows = event_times(frame)
    present = [e for e in MARKERS if e in set(rows["equation"])]
    fig, ax = new_figure(3.6)
    width = 0.6 / max(len(present), 1)
    for i, est in enumerate(present):
        r = rows[rows["equation"] == est].sort_values("event_time")
        x = r["event_time"].astype(float).to_numpy() + (i - (len(present) - 1) / 2) * width
        y = r["estimate"].to_numpy(dtype=float)
        lo, hi = r["conf_low"].to_numpy(dtype=float), r["conf_high"].to_numpy(dtype=float)
        marker, color = MARKERS[est]
        ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt=marker, color=color, ecolor=color, elinewidth=1.0, capsize=2,
                    ms=4, label=labels.word(est))
    ax.axhline(0, color=MUTED, lw=0.8, ls="--", zorder=0)
    ax.axvline(-0.5, color=MUTED, lw=0.8, ls=":", zorder=0)
    ticks = sorted({int(v) for v in rows["event_time"].dropna()})
    ax.set_xticks(ticks)
    outcome = str(frame["outcome"].dropna().iloc[0]) if frame["outcome"].notna().any() else ""
    ax.set_xlabel(_t("x", labels))
    ax.set_ylabel(_t("y", labels, y=labels.var(outcome)))
    ax.legend(loc="upper left", ncols=2, fontsize=8)
    ax.set_title(_t("note", labels), loc="left", fontsize=7, color=MUTED)  # above the axes: nothing to overlap
    return fig


PLACEBO_TEXT: dict[str, tuple[str, str]] = {
    "placebo_entities": ("DID: treated firms reassigned", "DID：随机分配处理企业"),
    "placebo_timing": ("DID: treatment years reassigned", "DID：随机分配处理年份"),
    "placebo_regressor": ("{x} permuted within year", "年度内随机置换{x}"),
    "x": ("Placebo estimate", "安慰剂估计值"),
    "y": ("Density", "密度"),
    "real": ("actual {b}\n{p}", "真实值 {b}\n{p}"),
}


def draw_placebo(estimates: dict[str, pd.DataFrame], labels: Labels) -> Figure:
    """One panel per (model, placebo design): histogram and density of the draws, the actual estimate marked
    (p: share of placebo estimates at least as large in absolute value)."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    from srdi.report.density import gaussian_density
    from srdi.report.figure_style import WIDTH_IN, p_text
    from srdi.report.numbers import fixed

    i = 0 if labels.language == "en" else 1
    panels = []
    for frame in estimates.values():
        for r in frame[frame["equation"] == "placebo"].itertuples(index=False):
            draws = frame.loc[(frame["equation"] == "placebo_draw") & (frame["term"] == r.term), "estimate"]
            panels.append((r, draws.dropna().to_numpy(dtype=float)))
    ncols = min(len(panels), 2)
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH_IN, 2.4 * nrows), layout="constrained", squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (r, draws) in zip(axes.flat, panels, strict=False):
        lo, hi = min(draws.min(), r.estimate), max(draws.max(), r.estimate)
        pad = 0.05 * (hi - lo or 1.0)
        ax.hist(draws, bins=30, density=True, color="#d9d9d9", edgecolor="white")
        if draws.size > 1 and np.std(draws) > 0:
            grid = np.linspace(lo - pad, hi + pad, 200)
            ax.plot(grid, gaussian_density(draws, grid), color=INK, lw=1.0)
        ax.axvline(r.estimate, color="#b2182b", lw=1.4)
        ax.set_xlim(lo - pad, hi + pad)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        note = str(r.note)
        x = note.split("permuted ", 1)[1] if "permuted " in note else ""
        ax.set_title(PLACEBO_TEXT.get(str(r.term), (str(r.term), str(r.term)))[i].format(x=labels.var(x)),
                     fontsize=9, loc="left")
        ax.set_xlabel(PLACEBO_TEXT["x"][i])
        ax.set_ylabel(PLACEBO_TEXT["y"][i])
        ax.text(0.98, 0.96, PLACEBO_TEXT["real"][i].format(b=fixed(r.estimate, 3), p=p_text(r.p_value)),
                transform=ax.transAxes, ha="right", va="top", fontsize=7, color="#b2182b")
    return fig
