"""Word tables after a round trip through python-docx: never wider than the page's text, a real caption (Caption
style with a SEQ field), single spacing, landscape for wide tables (issue 12: the correlation matrix ran over seven
portrait pages of letter-by-letter labels)."""

from __future__ import annotations

import io

import docx
import pandas as pd
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Emu
from test_report_latex import _tables

from srdi.report.descriptive import correlations_table
from srdi.report.formats.docx import render_docx
from srdi.report.labels import Labels
from srdi.report.settings import TableSettings


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_table_fits_the_text_width_with_a_word_caption(tmp_path, language):
    tables = _tables(tmp_path, language)
    assert {"correlations", "variables", "wide"} <= {t.name for t in tables}
    for table in tables:
        document = docx.Document(io.BytesIO(render_docx(table, language)))
        section = document.sections[0]
        text_width = Emu(section.page_width - section.left_margin - section.right_margin)
        grid = document.tables[0]
        widths = [int(c.get(qn("w:w"))) for c in grid._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert len(widths) == table.n_columns
        assert sum(widths) / 20 <= text_width.pt + 0.5, (table.name, sum(widths) / 20, text_width.pt)
        assert grid._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        caption = document.paragraphs[0]
        assert caption.style.name == "Caption", table.name
        assert "SEQ Table" in caption._p.find(qn("w:fldSimple")).get(qn("w:instr"))
        assert caption.text.endswith(table.title)
        assert document.styles["Normal"].paragraph_format.line_spacing == 1.0
        landscape = section.orientation == WD_ORIENT.LANDSCAPE
        assert landscape == (table.n_columns >= 8), table.name
        assert section.page_width < section.page_height or landscape


def test_a_21_variable_correlation_matrix_is_one_landscape_page():
    names = [f"var{i}" for i in range(21)]  # describe.variables has 21
    rows = [{"var1": a, "var2": b, "r": -0.123, "p_value": 0.001} for i, a in enumerate(names) for b in names[: i + 1]]
    table = correlations_table(pd.DataFrame(rows), Labels({}), TableSettings(), None)
    document = docx.Document(io.BytesIO(render_docx(table)))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    widths = [int(c.get(qn("w:w"))) for c in document.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert sum(widths) / 20 <= Emu(section.page_width - section.left_margin - section.right_margin).pt + 0.5
    assert min(widths[1:-1]) / 20 >= 20  # no column squeezed to a letter a line (the last holds only "1")
