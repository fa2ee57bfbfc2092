"""HTML: a <figure> fragment (embedded by the report) and a standalone page around it."""

from __future__ import annotations

from html import escape

from srdi.report.table_model import Table

TABLE_CSS = """
figure.srdi-table { margin: 1.5em 0; overflow-x: auto; }
figure.srdi-table figcaption { font-weight: 600; margin-bottom: .4em; }
figure.srdi-table table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
figure.srdi-table thead { border-top: 2px solid #000; border-bottom: 1px solid #000; }
figure.srdi-table tbody + tbody { border-top: 1px solid #000; }
figure.srdi-table table { border-bottom: 2px solid #000; }
figure.srdi-table th, figure.srdi-table td { padding: .15em .7em; text-align: center; white-space: nowrap; }
figure.srdi-table th:first-child, figure.srdi-table td:first-child { text-align: left; }
figure.srdi-table th.panel-title { font-style: italic; font-weight: normal; text-align: left; }
figure.srdi-table th[colspan] { border-bottom: 1px solid #888; }
figure.srdi-table p.notes { font-size: .85em; margin: .4em 0 0; max-width: 60em; white-space: normal; }
"""


def render_fragment(table: Table) -> str:
    n = table.n_columns
    out = [f'<figure class="srdi-table" id="table-{escape(table.name)}">',
           f"<figcaption>{escape(table.title)}</figcaption>", "<table>", "<thead>"]
    for row in table.header:
        cells = "".join(f'<th colspan="{c.span}">{escape(c.text)}</th>' if c.span > 1 else f"<th>{escape(c.text)}</th>"
                        for c in row)
        out.append(f"<tr>{cells}</tr>")
    out.append("</thead>")
    for panel in table.panels:
        if not panel.rows:
            continue
        out.append("<tbody>")
        if panel.title:
            out.append(f'<tr><th class="panel-title" colspan="{n}">{escape(panel.title)}</th></tr>')
        for row in panel.rows:
            out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
        out.append("</tbody>")
    out.append("</table>")
    out += [f'<p class="notes">{escape(note)}</p>' for note in table.notes]
    out.append("</figure>")
    return "\n".join(out)


def render_html(table: Table, language: str = "en") -> str:
    lang = "zh-CN" if language == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(table.title)}</title>\n<style>{TABLE_CSS}</style>\n</head>\n<body>\n"
            f"{render_fragment(table)}\n</body>\n</html>\n")


def extract_fragment(page: str) -> str:
    """The table fragment of a page render_html wrote (the report embeds the files the DAG produced)."""
    start = page.index('<figure class="srdi-table"')
    end = page.index("</figure>", start) + len("</figure>")
    return page[start:end]
