"""CSV: the rendered grid as strings (what the reader sees), header spans expanded, notes as trailing rows."""

from __future__ import annotations

import csv
import io

from srdi.report.table_model import Table


def render_csv(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    n = table.n_columns
    for hrow in table.header:
        cells: list[str] = []
        for c in hrow:
            cells += [c.text] + [""] * (c.span - 1)
        writer.writerow(cells)
    for panel in table.panels:
        if panel.title:
            writer.writerow([panel.title] + [""] * (n - 1))
        writer.writerows(panel.rows)
    for note in table.notes:
        writer.writerow([note] + [""] * (n - 1))
    return buf.getvalue()
