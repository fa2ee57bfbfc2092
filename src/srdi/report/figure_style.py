"""Matplotlib setup shared by every figure: Agg backend, print-friendly sizes, deterministic files.

Determinism: fixed DPI, a fixed svg.hashsalt, no CreationDate in PDF metadata, no Software stamp in PNG, so
two runs on the same inputs write the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from srdi.atomic import atomic_path
from srdi.report.fonts import font_families

WIDTH_IN = 6.5  # a journal's text width
DEFAULT_DPI = 300
INK = "#1a1a1a"
ACCENT = "#b2182b"  # red that stays distinguishable from black in grayscale print
MUTED = "#7f7f7f"


def apply_style(language: str) -> None:
    plt.rcdefaults()
    plt.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": font_families(language),
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": INK,
        "axes.unicode_minus": language != "zh",
        "legend.frameon": False,
        "svg.hashsalt": "srdi-pipeline",
        # TrueType (Type 42) keeps Latin text editable; the CJK font is CFF-flavoured OpenType, which PDF can
        # embed faithfully only as Type 3 outlines in matplotlib.
        "pdf.fonttype": 3 if language == "zh" else 42,
        "path.simplify": False,
    })


def new_figure(height_in: float) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(WIDTH_IN, height_in), layout="constrained")
    return fig, ax


def new_panels(rows: list[int], row_in: float, extra_in: float) -> tuple[Figure, list[plt.Axes]]:
    """One panel per entry of `rows` (its number of rows), stacked, each with its own x axis: coefficients of
    outcomes on different scales never share one. Heights follow the rows."""
    height = sum(row_in * max(n, 1) + extra_in for n in rows)
    fig, axes = plt.subplots(len(rows), 1, figsize=(WIDTH_IN, height), layout="constrained", squeeze=False,
                             gridspec_kw={"height_ratios": [row_in * max(n, 1) + extra_in for n in rows]})
    return fig, list(axes[:, 0])


def save_figure(fig: Figure, out_dir: str | Path, stem: str, formats: list[str], dpi: int) -> list[Path]:
    paths = []
    for ext in formats:
        path = Path(out_dir) / f"{stem}.{ext}"
        metadata = {"CreationDate": None, "Producer": None} if ext == "pdf" else {"Software": None}
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, dpi=dpi, metadata=metadata)
        paths.append(path)
    plt.close(fig)
    return paths


def p_text(p: float) -> str:
    """A p-value as a figure prints it: "p < 0.001" below a thousandth (never "p = 0.000"), else three decimals."""
    if p != p:  # NaN: no test
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
