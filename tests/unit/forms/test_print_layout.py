"""The documents as they print: the 申报表 on A4 with the GB/T 9704 margins (through LibreOffice),
the xlsx template on A4 landscape fitted to one page width."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from programs.forms import example_form
from programs.forms.docx_export import export_docx
from programs.forms.xlsx import write_template_xlsx

FORMS = [("liangrong-2021", "manufacturing"), ("liangrong-2026", "ito"), ("szzx-2026-2", "center")]


@pytest.mark.parametrize(("edition", "kind"), FORMS)
def test_docx_is_a4_with_official_margins_and_east_asian_font(
    tmp_path: Path, edition: str, kind: str
) -> None:
    path = tmp_path / "form.docx"
    export_docx(edition, kind, example_form(edition, kind), path, applicant_name="示例单位")
    doc = Document(str(path))
    for section in doc.sections:
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
        margins = (section.top_margin, section.bottom_margin, section.left_margin,
                   section.right_margin)  # fmt: skip
        assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "仿宋"
    assert doc.styles["Normal"].font.size.pt == 15


def _pdfinfo(pdf: Path) -> tuple[int, tuple[float, float]]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", out, re.M)
    assert size is not None
    return pages, (float(size.group(1)), float(size.group(2)))


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice (soffice) or poppler's pdfinfo is not installed")  # fmt: skip
@pytest.mark.parametrize(("edition", "kind"), FORMS[:2])
def test_docx_prints_on_a4_through_libreoffice(tmp_path: Path, edition: str, kind: str) -> None:
    path = tmp_path / "form.docx"
    export_docx(edition, kind, example_form(edition, kind), path, applicant_name="示例单位")
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pages, (width, height) = _pdfinfo(tmp_path / "form.pdf")
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    assert 2 <= pages <= 30


def test_xlsx_template_prints_a4_landscape_fitted_to_width(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    write_template_xlsx("liangrong-2021", "manufacturing", path)
    wb = load_workbook(path)
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.orientation == "landscape"
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
