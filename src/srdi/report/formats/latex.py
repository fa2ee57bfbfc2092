"""LaTeX: a standalone booktabs document that compiles as-is (pdflatex; xelatex with ctex for Chinese).
The tabular sits between `% table:begin` and `% table:end` so it can be cut out and \\input elsewhere."""

from __future__ import annotations

import re

from srdi.report.table_model import Table

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "<": r"$<$", ">": r"$>$", "²": r"$^2$", "×": r"$\times$", "′": r"$'$"}
_SPECIAL_RE = re.compile("|".join(re.escape(k) for k in _SPECIAL))
_MINUS_RE = re.compile(r"(?<![\w.])-(?=\d)")
WIDE = 8  # columns beyond which the tabular is scaled to the line width
LANDSCAPE = 12


def escape(text: str) -> str:
    out = _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group(0)], text)
    return _MINUS_RE.sub(r"$-$", out)


def _cmd(name: str, *args: str) -> str:
    """A command with braced arguments: _cmd(r"\\caption", "T") is \\caption{T}."""
    return name + "".join("{" + a + "}" for a in args)


def _row(cells: list[str]) -> str:
    # After the previous row's \\, a leading [ or * would be read as its optional argument or star form.
    if cells and cells[0][:1] in ("[", "*"):
        cells = ["{}" + cells[0], *cells[1:]]
    return " & ".join(cells) + r" \\"


def tabular(table: Table) -> list[str]:
    n = table.n_columns
    lines = [_cmd(r"\begin", "tabular", f"l*{{{n - 1}}}{{c}}"), r"\toprule"]
    for hrow in table.header:
        cells, rules, col = [], [], 1
        for cell in hrow:
            text = escape(cell.text)
            if cell.span > 1:
                cells.append(_cmd(r"\multicolumn", str(cell.span), "c", text))
                rules.append(_cmd(r"\cmidrule(lr)", f"{col}-{col + cell.span - 1}"))
            else:
                cells.append(text)
            col += cell.span
        lines.append(_row(cells) + (" " + " ".join(rules) if rules else ""))
    for panel in table.panels:
        if not panel.rows:
            continue
        lines.append(r"\midrule")
        if panel.title:
            lines.append(_row([_cmd(r"\multicolumn", str(n), "l", _cmd(r"\textit", escape(panel.title)))]))
        lines += [_row([escape(c) for c in row]) for row in panel.rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return lines


def render_latex(table: Table, language: str = "en") -> str:
    n = table.n_columns
    documentclass = r"\documentclass[UTF8]{ctexart}" if language == "zh" else r"\documentclass{article}"
    geometry = "landscape,margin=1.5cm" if n > LANDSCAPE else "margin=2cm"
    body = tabular(table)
    if n > WIDE:
        body = [r"\resizebox{\linewidth}{!}{%", *body, "}"]
    notes = " ".join(escape(note) for note in table.notes)
    engine = "xelatex" if language == "zh" else "pdflatex"
    lines = [
        f"% {table.title} -- written by srdi-pipeline (results/tables/{table.name}.tex); compile with {engine}.",
        documentclass,
        r"\usepackage{booktabs}",
        r"\usepackage{graphicx}",
        rf"\usepackage[{geometry}]{{geometry}}",
        r"\begin{document}",
        r"\begin{table}[htbp]",
        r"\centering",
        _cmd(r"\caption", escape(table.title)),
        _cmd(r"\label", f"tab:{table.name}"),
        "% table:begin",
        *body,
        "% table:end",
        r"\par\medskip",
        r"\begin{minipage}{\linewidth}\footnotesize",
        (r"\textit{Notes:} " if language == "en" else r"注：") + notes,
        r"\end{minipage}",
        r"\end{table}",
        r"\end{document}",
    ]
    return "\n".join(lines) + "\n"
