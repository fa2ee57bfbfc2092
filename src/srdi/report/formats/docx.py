"""Word (.docx) with python-docx: a three-line (booktabs-style) table, a real Word caption above ("Table {SEQ}",
so Word numbers and lists it), notes below, single-spaced, on an A4 page: landscape from 8 columns, the font
stepped down and the columns fixed so the table is never wider than the text (tests/test_report_latex.py checks
every table's width after a round trip).

python-docx stamps zip entries with the current time; the package is re-zipped with a fixed date so two builds
give identical bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt

from srdi.report.table_model import Table

FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
A4 = (Mm(210), Mm(297))
MARGIN = Mm(25)
LANDSCAPE = 8  # columns (stub included) from which the page turns
FONT_SIZES = (10, 9, 8, 7)  # tried in turn until the table's natural width fits the text
CELL_MARGIN_PT = 2.0  # left and right margin of each cell (Word's default 5.76 pt wastes a wide table's width)
STARS = re.compile(r"^(?P<text>.*?)(?P<stars>\*+)$")
CAPTION = {"en": ("Table ", ": "), "zh": ("表", "  ")}


def _text_pt(text: str, size: float) -> float:
    """Approximate printed width: CJK full width, Latin about half the font size, superscript stars smaller."""
    m = STARS.match(text)
    body, stars = (m["text"], m["stars"]) if m else (text, "")
    return sum(size if ord(ch) > 0x2E80 else 0.5 * size for ch in body) + 0.35 * size * len(stars)


def column_widths(table: Table, text_width_pt: float) -> tuple[int, list[float]]:
    """Font size and column widths (pt) that fit `text_width_pt`: the largest font at which the natural widths fit,
    else the smallest font with widths scaled down (cells then wrap)."""
    n = table.n_columns
    texts: list[list[str]] = [[] for _ in range(n)]
    for row in (r for p in table.panels for r in p.rows):
        for j, cell in enumerate(row):
            texts[j].append(cell)
    for hrow in table.header:
        col = 0
        for cell in hrow:
            if cell.span == 1:
                texts[col].append(cell.text)
            col += cell.span
    for size in FONT_SIZES:
        widths = [max((_text_pt(s, size) for s in col), default=0.0) + 2 * CELL_MARGIN_PT + 1 for col in texts]
        if sum(widths) <= text_width_pt:
            return size, widths
    capped = [min(w, text_width_pt / 2) for w in widths]
    scale = text_width_pt / sum(capped)
    return FONT_SIZES[-1], [w * scale for w in capped]


def _caption(document, table: Table, language: str) -> None:  # type: ignore[no-untyped-def]
    """A caption paragraph in Word's Caption style with a SEQ Table field, as Insert > Caption makes."""
    para = document.add_paragraph(style="Caption")
    before, after = CAPTION["zh" if language == "zh" else "en"]
    para.add_run(before)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), r" SEQ Table \* ARABIC ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    para._p.append(field)
    para.add_run(after + table.title)
    para.paragraph_format.keep_with_next = True


def _page(document, landscape: bool) -> float:  # type: ignore[no-untyped-def]
    """A4 (landscape when asked) with 2.5 cm margins; returns the text width in points."""
    section = document.sections[0]
    width, height = (A4[1], A4[0]) if landscape else A4
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = width, height
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
    return Emu(width - 2 * MARGIN).pt


def _fix_widths(grid, widths: list[float]) -> None:  # type: ignore[no-untyped-def]
    """Fixed layout: Word then keeps the given widths instead of autofitting to the content."""
    grid.autofit = False
    tbl_pr = grid._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(round(CELL_MARGIN_PT * 20)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.append(margins)
    for col, w in zip(grid._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(round(w * 20)))  # twentieths of a point
    for row in grid.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Pt(w)


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


def _set_fonts(document, language: str, size: int = 10) -> None:  # type: ignore[no-untyped-def]
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(size)
    style.paragraph_format.line_spacing = 1.0  # single spacing, no gap after each paragraph (cell)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)
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
    n = table.n_columns
    text_width = _page(document, n >= LANDSCAPE)
    size, widths = column_widths(table, text_width)
    _set_fonts(document, language, size)
    _caption(document, table, language)
    grid = document.add_table(rows=0, cols=n)
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    top_rows, rule_rows = [], []

    def add_row(cells: list[tuple[str, int]], italic: bool = False) -> int:
        row = grid.add_row()
        row_cells = row.cells  # python-docx rebuilds this list on every access; merging keeps later cells valid
        col = 0
        for text, span in cells:
            cell = row_cells[col]
            if span > 1:
                cell = cell.merge(row_cells[col + span - 1])
            para = cell.paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.LEFT if col == 0 else WD_ALIGN_PARAGRAPH.CENTER
            m = STARS.match(text) if col else None
            run = para.add_run(m["text"] if m else text)
            run.italic = italic
            if m:  # significance stars as superscripts, as in the LaTeX version
                para.add_run(m["stars"]).font.superscript = True
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
    _fix_widths(grid, widths)
    for note in table.notes:
        para = document.add_paragraph()
        run = para.add_run(note)
        run.font.size = Pt(min(size, 8))
    buf = io.BytesIO()
    document.save(buf)
    return _deterministic_zip(buf.getvalue())
