"""LaTeX: a standalone booktabs document that compiles as-is (pdflatex for en; xelatex with ctex for zh) and fits
an A4 page: numbers aligned on the decimal point in siunitx S columns, stars as superscripts (\\sym{***}, as
esttab writes them), tables with many columns set in landscape (pdflscape) and any table still wider than the
text scaled down to it (adjustbox `max width`), long text columns wrapped (tabularx).
The tabular sits between `% table:begin` and `% table:end` so it can be cut out and \\input elsewhere (it then
needs the preamble's \\sym, siunitx and, for wrapped columns, tabularx)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from srdi.report.table_model import Table

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "<": r"$<$", ">": r"$>$", "²": r"$^2$", "×": r"$\times$", "′": r"$'$", "−": r"$-$", "≠": r"$\neq$",
            "≥": r"$\geq$", "≤": r"$\leq$", "∪": r"$\cup$", "√": r"$\surd$", "β": r"$\beta$", "δ": r"$\delta$",
            "χ": r"$\chi$", "→": r"$\rightarrow$", "–": "--", "—": "---", "∞": r"$\infty$"}
_SPECIAL_RE = re.compile("|".join(re.escape(k) for k in _SPECIAL))
_MINUS_RE = re.compile(r"(?<![\w.])-(?=\d)")
# A number siunitx can align: optional parentheses (SE beneath), sign, decimals, trailing stars. No thousands commas.
NUMBER = re.compile(r"^(?P<open>\()?(?P<sign>-)?(?P<int>\d+)(?:\.(?P<dec>\d+))?(?P<close>\))?(?P<stars>\*+)?$")
LANDSCAPE = 8  # columns (stub included) from which a table is set on a landscape page
WRAP = 40  # characters beyond which a text column of a narrow table wraps
NARROW = 5  # columns up to which long text columns wrap instead of the table being scaled
LONG = (15, 20)  # body rows of a wrapped table beyond which it is set in \footnotesize, \scriptsize (one page)
CJK = re.compile("[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


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


@dataclass
class _Column:
    """What one body column holds: numbers to align (an S column with its table-format), or wrapped text."""

    numeric: bool = False
    neg: bool = False
    int_digits: int = 1
    decimals: int = 0
    parens: bool = False
    stars: int = 0
    wrap: bool = False

    def spec(self) -> str:
        if self.wrap:
            return r">{\raggedright\arraybackslash}X"
        if not self.numeric:
            return "c"
        fmt = f"{'-' if self.neg else ''}{self.int_digits}" + (f".{self.decimals}" if self.decimals else "")
        post = (")" if self.parens else "") + (r"\sym{" + "*" * self.stars + "}" if self.stars else "")
        opts = [f"table-format={fmt}"]
        if self.parens:
            opts.append("table-space-text-pre={(}")
        if post:
            opts.append("table-space-text-post={" + post + "}")
        return "S[" + ",".join(opts) + "]"


def _columns(table: Table) -> list[_Column]:
    n = table.n_columns
    cols = [_Column() for _ in range(n)]
    for panel in table.panels:
        for row in panel.rows:
            for j, cell in enumerate(row):
                c = cols[j]
                m = NUMBER.match(cell)
                if j > 0 and m:
                    c.numeric = True
                    c.neg |= bool(m["sign"])
                    c.int_digits = max(c.int_digits, len(m["int"]))
                    c.decimals = max(c.decimals, len(m["dec"] or ""))
                    c.parens |= bool(m["open"])
                    c.stars = max(c.stars, len(m["stars"] or ""))
                elif len(cell) > WRAP and n <= NARROW:
                    c.wrap = True
    for c in cols:
        if c.wrap:
            c.numeric = False
    return cols


def _breakable(text: str) -> str:
    """Escaped text of a wrapped column that may also break after . _ / (long table.field names of sources)."""
    return re.sub(r"(\.|\\_|/)(?=\S)", r"\1\\allowbreak{}", escape(text))


def _cjk(table: Table) -> bool:
    cells = [table.title, *table.notes, *(c.text for r in table.header for c in r),
             *(c for p in table.panels for r in p.rows for c in r)]
    return any(CJK.search(c) for c in cells)


def _body_cell(text: str, column: _Column) -> str:
    m = NUMBER.match(text) if column.numeric else None
    if m:
        core = text[: len(text) - len(m["stars"] or "")]
        return core + (r"\sym{" + m["stars"] + "}" if m["stars"] else "")
    if column.numeric:
        return "{" + escape(text) + "}" if text else ""
    return _breakable(text) if column.wrap else escape(text)


def tabular(table: Table) -> list[str]:
    n = table.n_columns
    cols = _columns(table)
    wrap = any(c.wrap for c in cols)
    spec = "l" + "".join(c.spec() for c in cols[1:]) if not cols[0].wrap else "".join(c.spec() for c in cols)
    begin = _cmd(r"\begin", "tabularx", r"\linewidth", spec) if wrap else _cmd(r"\begin", "tabular", spec)
    lines = [begin, r"\toprule"]
    for hrow in table.header:
        cells, rules, col = [], [], 1
        for cell in hrow:
            text = escape(cell.text)
            if cell.span > 1:
                cells.append(_cmd(r"\multicolumn", str(cell.span), "c", text))
                rules.append(_cmd(r"\cmidrule(lr)", f"{col}-{col + cell.span - 1}"))
            else:
                cells.append("{" + text + "}" if col > 1 and cols[col - 1].numeric else text)
            col += cell.span
        lines.append(_row(cells) + (" " + " ".join(rules) if rules else ""))
    for panel in table.panels:
        if not panel.rows:
            continue
        lines.append(r"\midrule")
        if panel.title:
            lines.append(_row([_cmd(r"\multicolumn", str(n), "l", _cmd(r"\textit", escape(panel.title)))]))
        lines += [_row([_body_cell(c, cols[j]) for j, c in enumerate(row)]) for row in panel.rows]
    lines += [r"\bottomrule", r"\end{tabularx}" if wrap else r"\end{tabular}"]
    return lines


def engine(table: Table, language: str = "en") -> str:
    """pdflatex for English; xelatex (ctex) for Chinese, and for an English table holding Chinese text (a keyword)."""
    return "xelatex" if language == "zh" or _cjk(table) else "pdflatex"


def render_latex(table: Table, language: str = "en") -> str:
    n = table.n_columns
    zh = engine(table, language) == "xelatex"
    landscape = n >= LANDSCAPE
    body = tabular(table)
    if not body[0].startswith(r"\begin{tabularx}"):
        body = [r"\begin{adjustbox}{max width=\linewidth}", *body, r"\end{adjustbox}"]
    elif (rows := sum(len(p.rows) for p in table.panels)) > LONG[0]:
        body = [r"\scriptsize" if rows > LONG[1] else r"\footnotesize", *body]
    notes = " ".join(escape(note) for note in table.notes)
    lines = [
        f"% {table.title} -- written by srdi-pipeline (results/tables/{table.name}.tex); compile with "
        f"{engine(table, language)}.",
        r"\documentclass[UTF8]{ctexart}" if zh else r"\documentclass{article}",
        *([] if zh else [r"\usepackage[utf8]{inputenc}", r"\usepackage[T1]{fontenc}"]),
        r"\usepackage{booktabs}",
        r"\usepackage{adjustbox}",
        r"\usepackage{tabularx}",
        r"\usepackage{pdflscape}",
        r"\usepackage{siunitx}",
        r"\sisetup{input-open-uncertainty=, input-close-uncertainty=, table-align-text-after=false}",
        r"\newcommand{\sym}[1]{\ensuremath{^{#1}}}",
        r"\usepackage[a4paper,margin=2.5cm]{geometry}",
        r"\begin{document}",
        *([r"\begin{landscape}"] if landscape else []),
        r"\begin{table}[htbp]",
        r"\centering",
        _cmd(r"\caption", escape(table.title)),
        _cmd(r"\label", f"tab:{table.name}"),
        "% table:begin",
        *body,
        "% table:end",
        r"\par\medskip",
        r"\begin{minipage}{\linewidth}\footnotesize",
        (r"\textit{Notes:} " if language != "zh" else r"注：") + notes,
        r"\end{minipage}",
        r"\end{table}",
        *([r"\end{landscape}"] if landscape else []),
        r"\end{document}",
    ]
    return "\n".join(lines) + "\n"
