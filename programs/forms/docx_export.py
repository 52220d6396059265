"""Word export of a filled form, laid out like the seed template (cover, field tables, plan text)
with the recommendation-opinion blocks left blank for signatures and seals."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from programs.forms.schema import Field, FormSchema, Section, form_schema
from programs.forms.validate import clean_form, field_value, format_number

BODY_FONT = "仿宋"
TITLE_FONT = "黑体"
BODY_SIZE = Pt(15)  # 小三
TABLE_SIZE = Pt(12)  # 小四
TITLE_SIZE = Pt(18)  # 小二
SEAL_LINES = ("（公  章）", "负责人（签字）：", "年    月    日")
BLANK_LINES = 4
_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)?)\}")


def export_docx(
    edition_id: str,
    kind: str,
    data: Mapping[str, Any],
    path: Path | str | IO[bytes],
    *,
    applicant_name: str,
) -> None:
    """Write the filled form as .docx. FormValidationError when the form has errors."""
    schema = form_schema(edition_id, kind)
    typed = clean_form(edition_id, kind, data)
    _Exporter(schema, typed, applicant_name).build().save(path)


def display(value: Any, item: Field, *, with_unit: bool = True) -> str:
    """A typed value as printed on the form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | Decimal):
        text = format_number(value)
        if with_unit and item.unit == "%":
            return f"{text}%"
        return f"{text} {item.unit}" if with_unit and item.unit else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        joiner = "\n" if item.type == "attachment" else "、"
        return joiner.join(str(part) for part in value)
    return str(value)


def _style_run(
    run: Any, *, font: str = BODY_FONT, size: Pt = BODY_SIZE, bold: bool = False
) -> None:
    run.font.name = font
    run.font.size = size
    run.font.bold = bold
    r_pr = run._element.get_or_add_rPr()
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(r_fonts)
    r_fonts.set(qn("w:eastAsia"), font)


# GB/T 9704-2012 (党政机关公文格式) 5.2.1: A4, 天头 37 mm, 订口 28 mm; the type area 156 x 225 mm
# leaves 35 mm at the foot and 26 mm at the outer edge.
PAGE = {"width": Mm(210), "height": Mm(297), "top": Mm(37), "bottom": Mm(35),
        "left": Mm(28), "right": Mm(26)}  # fmt: skip
FALLBACK_FONTS = {"仿宋": "FangSong", "黑体": "SimHei"}  # Latin name each CJK font falls back to


def a4_official(doc: Any) -> None:
    """Every section A4 portrait with the GB/T 9704 margins; Normal in 仿宋 小三 (w:eastAsia)."""
    for section in doc.sections:
        section.page_width, section.page_height = PAGE["width"], PAGE["height"]
        section.top_margin, section.bottom_margin = PAGE["top"], PAGE["bottom"]
        section.left_margin, section.right_margin = PAGE["left"], PAGE["right"]
    normal = doc.styles["Normal"]
    normal.font.name = FALLBACK_FONTS[BODY_FONT]
    normal.font.size = BODY_SIZE
    r_pr = normal.element.get_or_add_rPr()
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(r_fonts)
    r_fonts.set(qn("w:eastAsia"), BODY_FONT)
    r_fonts.set(qn("w:hAnsi"), FALLBACK_FONTS[BODY_FONT])


class _Exporter:
    def __init__(self, schema: FormSchema, typed: Mapping[str, Any], applicant_name: str) -> None:
        self.schema = schema
        self.typed = typed
        self.applicant_name = applicant_name
        self.doc = Document()
        a4_official(self.doc)

    def para(
        self,
        text: str = "",
        *,
        bold: bool = False,
        size: Pt = BODY_SIZE,
        font: str = BODY_FONT,
        align: Any = None,
        container: Any = None,
    ) -> Paragraph:
        target = container if container is not None else self.doc
        paragraph = target.add_paragraph()
        if text:
            _style_run(paragraph.add_run(text), font=font, size=size, bold=bold)
        if align is not None:
            paragraph.alignment = align
        return paragraph

    def build(self) -> Any:
        self.cover()
        self.para(
            self.schema.title_zh,
            bold=True,
            size=TITLE_SIZE,
            font=TITLE_FONT,
            align=WD_ALIGN_PARAGRAPH.CENTER,
        )
        self.para(f"申报类别：{self.schema.kind_label_zh}", size=TABLE_SIZE)
        for section in self.schema.sections:
            if section.id not in self.typed and not section.required:
                continue
            self.para(section.label_zh, bold=True)
            if section.layout == "prose":
                self.prose(section)
            elif section.years:
                self.yearly(section)
            else:
                self.fields(section)
        self.opinions()
        return self.doc

    # -- cover

    def placeholder(self, match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "applicant_name":
            return self.applicant_name
        try:
            item = self.schema.field(name)
        except KeyError:
            return match.group(0)
        return display(field_value(self.schema, self.typed, name), item)

    def cover(self) -> None:
        for _ in range(3):
            self.para()
        self.para(
            self.schema.title_zh,
            bold=True,
            size=Pt(22),
            font=TITLE_FONT,
            align=WD_ALIGN_PARAGRAPH.CENTER,
        )
        for _ in range(3):
            self.para()
        for line in self.schema.cover:
            self.para(_PLACEHOLDER.sub(self.placeholder, line))
        self.para().add_run().add_break(WD_BREAK.PAGE)

    # -- tables

    def table(self, rows: int, columns: int) -> Table:
        table = self.doc.add_table(rows=rows, cols=columns)
        table.style = "Table Grid"
        return table

    def fill(self, cell: Any, text: str, *, bold: bool = False) -> None:
        paragraph = cell.paragraphs[0]
        lines = text.split("\n")
        for index, line in enumerate(lines):
            if index:
                paragraph = cell.add_paragraph()
            if line:
                _style_run(paragraph.add_run(line), size=TABLE_SIZE, bold=bold)

    def fields(self, section: Section) -> None:
        data = self.typed.get(section.id) or {}
        rows: list[tuple[str, str]] = []
        tables: list[Field] = []
        for item in section.fields:
            if item.type == "table":
                tables.append(item)
                continue
            value = data.get(item.id)
            if item.years:
                per_year = value if isinstance(value, Mapping) else {}
                rows += [
                    (f"{item.label_zh}（{year}年）", display(per_year.get(year), item))
                    for year in item.years
                ]
            else:
                rows.append((item.label_zh, display(value, item)))
        if rows:
            table = self.table(len(rows), 2)
            for (label, text), row in zip(rows, table.rows, strict=True):
                self.fill(row.cells[0], label, bold=True)
                self.fill(row.cells[1], text)
        for item in tables:
            self.rows_table(item, data.get(item.id) or [])

    def rows_table(self, item: Field, rows: list[Any]) -> None:
        self.para(item.label_zh, size=TABLE_SIZE, bold=True)
        table = self.table(len(rows) + 1, len(item.columns) + 1)
        self.fill(table.rows[0].cells[0], "序号", bold=True)
        for index, column in enumerate(item.columns, start=1):
            self.fill(table.rows[0].cells[index], column.label_with_unit, bold=True)
        for number, (row, record) in enumerate(zip(table.rows[1:], rows, strict=True), start=1):
            self.fill(row.cells[0], str(number))
            for index, column in enumerate(item.columns, start=1):
                self.fill(row.cells[index], display(record.get(column.id), column, with_unit=False))

    def yearly(self, section: Section) -> None:
        data = self.typed.get(section.id) or {}
        years = section.years
        table = self.table(len(section.fields) + 1, len(years) + 1)
        self.fill(table.rows[0].cells[0], "项目", bold=True)
        for index, year in enumerate(years, start=1):
            self.fill(table.rows[0].cells[index], f"{year}年", bold=True)
        for item, row in zip(section.fields, table.rows[1:], strict=True):
            self.fill(row.cells[0], item.label_zh, bold=True)
            for index, year in enumerate(years, start=1):
                value = (data.get(year) or {}).get(item.id)
                self.fill(row.cells[index], display(value, item))

    def prose(self, section: Section) -> None:
        data = self.typed.get(section.id) or {}
        for item in section.fields:
            value = data.get(item.id)
            if item.type == "text":
                limit = f"（{item.max_chars}字）" if item.max_chars and item.multiline else ""
                self.para(f"{item.label_zh}{limit}", bold=True, size=TABLE_SIZE)
                for line in str(value or "").split("\n"):
                    self.para(line, size=TABLE_SIZE)
            else:
                self.para(f"{item.label_zh}：{display(value, item)}", size=TABLE_SIZE)

    # -- opinions

    def opinions(self) -> None:
        if not self.schema.opinions:
            return
        self.para().add_run().add_break(WD_BREAK.PAGE)
        for group in self.schema.opinions:
            if group.alternative:
                self.para("（或）", align=WD_ALIGN_PARAGRAPH.CENTER)
            self.para(group.heading, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            for block in group.blocks:
                table = self.table(1, 1)
                cell = table.rows[0].cells[0]
                self.fill(cell, f"{block}：", bold=True)
                for _ in range(BLANK_LINES):
                    cell.add_paragraph()
                for line in SEAL_LINES:
                    paragraph = cell.add_paragraph()
                    _style_run(paragraph.add_run(line), size=TABLE_SIZE)
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                self.para()
