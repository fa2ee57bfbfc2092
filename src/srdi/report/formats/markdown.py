"""Markdown (GitHub pipe table): one header line, further header rows and panel titles as body rows."""

from __future__ import annotations

from srdi.report.table_model import Cell, Table


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def _expand(row: list[Cell]) -> list[str]:
    out = []
    for cell in row:
        out += [cell.text] + [""] * (cell.span - 1)
    return out


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(escape(c) for c in cells) + " |"


def render_markdown(table: Table) -> str:
    n = table.n_columns
    align = "|" + "|".join(["---"] + [":-:"] * (n - 1)) + "|"
    lines = [f"**{escape(table.title)}**", "", _line(_expand(table.header[0])), align]
    lines += [_line(_expand(row)) for row in table.header[1:]]
    for panel in table.panels:
        if panel.title:
            lines.append("| *" + escape(panel.title) + "* |" + " |" * (n - 1))
        lines += [_line(row) for row in panel.rows]
    lines.append("")
    lines += [escape(note) + "  " for note in table.notes]
    return "\n".join(lines).rstrip() + "\n"
