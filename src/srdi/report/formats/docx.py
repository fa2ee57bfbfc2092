"""Word (.docx) with python-docx: a three-line (booktabs-style) table, title above, notes below.

python-docx stamps zip entries with the current time; the package is re-zipped with a fixed date so two builds
give identical bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from srdi.report.table_model import Table

FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _border(cell, edge: str, size: int) -> None:  # type: ignore[no-untyped-def]
    """Set one border of a cell (size in eighths of a point)."""
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    el = OxmlElement(f"w:{edge}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(size))
    el.set(qn("w:space"), "0")
    el.set(qn("w:color"), "000000")
    borders.append(el)


def _set_fonts(document, language: str) -> None:  # type: ignore[no-untyped-def]
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(10)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), "SimSun" if language == "zh" else "Times New Roman")


def _deterministic_zip(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def render_docx(table: Table, language: str = "en") -> bytes:
    document = Document()
    props = document.core_properties
    props.author = "srdi-pipeline"
    props.last_modified_by = "srdi-pipeline"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.revision = 1
    props.title = table.title
    _set_fonts(document, language)

    title = document.add_paragraph()
    title.add_run(table.title).bold = True
    n = table.n_columns
    grid = document.add_table(rows=0, cols=n)
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    top_rows, rule_rows = [], []

    def add_row(cells: list[tuple[str, int]], italic: bool = False) -> int:
        row = grid.add_row()
        col = 0
        for text, span in cells:
            cell = row.cells[col]
            if span > 1:
                cell = cell.merge(row.cells[col + span - 1])
            para = cell.paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.LEFT if col == 0 else WD_ALIGN_PARAGRAPH.CENTER
            run = para.add_run(text)
            run.italic = italic
            col += span
        return len(grid.rows) - 1

    for hrow in table.header:
        add_row([(c.text, c.span) for c in hrow])
    header_end = len(grid.rows) - 1
    for panel in table.panels:
        if not panel.rows:
            continue
        first = len(grid.rows)
        if panel.title:
            add_row([(panel.title, n)], italic=True)
        for row in panel.rows:
            add_row([(c, 1) for c in row])
        rule_rows.append(first)
    top_rows.append(0)
    for cell in grid.rows[0].cells:
        _border(cell, "top", 12)
    for cell in grid.rows[header_end].cells:
        _border(cell, "bottom", 6)
    for idx in rule_rows[1:]:
        for cell in grid.rows[idx].cells:
            _border(cell, "top", 6)
    for cell in grid.rows[len(grid.rows) - 1].cells:
        _border(cell, "bottom", 12)
    for note in table.notes:
        para = document.add_paragraph()
        run = para.add_run(note)
        run.font.size = Pt(8)
    buf = io.BytesIO()
    document.save(buf)
    return _deterministic_zip(buf.getvalue())
