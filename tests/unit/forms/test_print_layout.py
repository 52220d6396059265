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


def _texts(doc: object) -> list[str]:
    out = [p.text for p in doc.paragraphs]  # type: ignore[attr-defined]
    for table in doc.tables:  # type: ignore[attr-defined]
        for row in table.rows:
            out += [cell.text for cell in row.cells]
    return out


def test_official_grid_ticks_choices_and_has_the_instructions_page(tmp_path: Path) -> None:
    """Edition B (附件2 of 商办服贸函〔2021〕360号): 通讯地址 | 邮编 on one row, 企业性质 with every
    option and the chosen one ticked, the 填写说明 before the form, the title whole."""
    from programs.forms.docx_export import title_lines

    form = example_form("liangrong-2021", "manufacturing")
    path = tmp_path / "form.docx"
    export_docx("liangrong-2021", "manufacturing", form, path, applicant_name="示例单位")
    doc = Document(str(path))
    texts = _texts(doc)
    assert "填写说明" in texts
    assert any(t.startswith("四、格式要求") and "A4" in t for t in texts)
    basic = doc.tables[0]
    row_of = {c.text: [x.text for x in r.cells] for r in basic.rows for c in r.cells}
    address_row = row_of["通讯地址"]
    assert "邮编" in address_row and len(basic.columns) == 6
    nature = next(t for t in texts if "中央管理" in t)
    assert nature.count("☑") == 1 and nature.count("☐") == 4
    assert f"☑{4}.民营" in nature or form["basic"]["nature"] in nature.split("☑", 1)[1]
    for title in ("信息技术外包和制造业融合发展重点企业申报表",
                  "2026-2028年度信息技术外包和制造业融合发展重点企业申报表"):  # fmt: skip
        lines = title_lines(title)
        assert "".join(lines) == title.replace(" ", "") and lines[-1].endswith("申报表")
        assert all(len(line) <= 20 for line in lines)
    seals = [t for t in texts if "负责人（签字）" in t]
    assert len(seals) == 3  # 省级商务, 省级工信, （或）中央企业集团
    for seal in seals:  # the opinion, the seal and the signature left blank
        opinion, rest = seal.split("：", 1)
        assert opinion.endswith("意见")
        assert [line for line in rest.split("\n") if line] == [
            "（公  章）",
            "负责人（签字）：",
            "年    月    日",
        ]


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice (soffice) or poppler's pdfinfo is not installed")  # fmt: skip
def test_xlsx_template_prints_one_page_width_per_sheet_through_libreoffice(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    write_template_xlsx("liangrong-2021", "manufacturing", path)
    visible = [ws for ws in load_workbook(path).worksheets if ws.sheet_state == "visible"]
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pages, (width, height) = _pdfinfo(tmp_path / "form.pdf")
    assert (round(width), round(height)) == (842, 595)  # A4 landscape
    assert pages == len(visible)  # each sheet one page wide, none split into columns
