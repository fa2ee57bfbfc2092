"""Writers of a Table: one module per format, all rendering the same object."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from srdi.atomic import write_bytes, write_text
from srdi.report.table_model import Table


def write_table(table: Table, out_dir: str | Path, formats: Iterable[str], language: str = "en") -> list[Path]:
    """Write `table` as <out_dir>/<name>.<ext> for each requested format; returns the paths."""
    out_dir = Path(out_dir)
    paths = []
    for ext in formats:
        path = out_dir / f"{table.name}.{ext}"
        if ext == "tex":
            from srdi.report.formats.latex import render_latex

            write_text(path, render_latex(table, language))
        elif ext == "docx":
            from srdi.report.formats.docx import render_docx

            write_bytes(path, render_docx(table, language))
        elif ext == "md":
            from srdi.report.formats.markdown import render_markdown

            write_text(path, render_markdown(table))
        elif ext == "csv":
            from srdi.report.formats.csv import render_csv

            write_text(path, render_csv(table))
        elif ext == "html":
            from srdi.report.formats.html import render_html

            write_text(path, render_html(table, language))
        else:
            raise ValueError(f"unknown table format {ext!r}")
        paths.append(path)
    return paths
