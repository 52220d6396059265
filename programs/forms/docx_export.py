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
TICK, BOX = "☑", "☐"
MAX_TICKED_OPTIONS = 12  # longer lists (a taxonomy) print only what was chosen
FULL_ROW = 2  # grid width class: 0 short, 1 wide, 2 a row of its own (the year columns)
GRID_COLUMNS = 6  # label | value, three times a row, as the official 申报表
WIDE_CHARS = 60  # a text field allowed more than this takes a wide value cell
TITLE_CHARS_PER_LINE = 20  # 二号 (22 pt) characters in the 156 mm type area
# 附件2 填写说明 (商办服贸函〔2021〕360号); the other editions' documents state the same format
INSTRUCTIONS = (
    "一、申报表内容要逐项填写，内容要真实，表达要明确。",
    "二、申报表要加盖申报单位公章、推荐部门意见及公章。",
    "三、申报单位对所填写内容的真实性负责。推荐单位要对申报单位的申报材料认真审核。一发现有故意隐瞒、虚报等行为，将取消申报资格。",
    "四、格式要求：申报书中各项内容以 Word 文档格式填写，表格中的字体为小四号仿宋体，其他部分字体为小三号仿宋体，单倍行距；相关证明材料作为附件附在最后；均用 A4 纸双面打印，于左侧胶印装订成册。",
)
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


def display(value: Any, item: Field, *, with_unit: bool = True, ticks: bool = True) -> str:
    """A typed value as printed on the form; choices with every option, the chosen ticked."""
    if value is None and not (ticks and item.choices):
        return ""
    if ticks and item.type == "bool" and isinstance(value, bool):
        return f"{TICK if value else BOX}是  {BOX if value else TICK}否"
    if isinstance(value, bool):
        return "是" if value else "否"
    if ticks and item.choices and len(item.choices) <= MAX_TICKED_OPTIONS:
        chosen = set(value) if isinstance(value, list) else {value}
        return "  ".join(
            f"{TICK if option in chosen else BOX}{n}.{option}"
            for n, option in enumerate(item.choices, start=1)
        )
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
        for line in title_lines(self.schema.title_zh, TITLE_CHARS_PER_LINE * 22 // 18):
            self.para(line, bold=True, size=TITLE_SIZE, font=TITLE_FONT,
                      align=WD_ALIGN_PARAGRAPH.CENTER)  # fmt: skip
        self.para(f"申报类别：{self.schema.kind_label_zh}", size=TABLE_SIZE)
        for section in self.schema.sections:
            if section.id not in self.typed and not section.required:
                continue
            heading = self.para(section.label_zh, bold=True)
            heading.paragraph_format.space_before = Pt(12)
            heading.paragraph_format.keep_with_next = True
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
        for line in title_lines(self.schema.title_zh):
            self.para(line, bold=True, size=Pt(22), font=TITLE_FONT,
                      align=WD_ALIGN_PARAGRAPH.CENTER)  # fmt: skip
        for _ in range(3):
            self.para()
        for line in self.schema.cover:
            self.para(_PLACEHOLDER.sub(self.placeholder, line))
        self.para().add_run().add_break(WD_BREAK.PAGE)
        self.instructions()

    def instructions(self) -> None:
        """The 填写说明 page, before the form itself."""
        self.para("填写说明", bold=True, font=TITLE_FONT, align=WD_ALIGN_PARAGRAPH.CENTER)
        for line in INSTRUCTIONS:
            self.para(line)
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
        """The official grid: short fields three to a row (label | value), a wide field (long
        text, choices) with its value across the row or beside one short field."""
        data = self.typed.get(section.id) or {}
        cells: list[tuple[str, str, int]] = []  # label, value, width class
        tables: list[Field] = []
        for item in section.fields:
            if item.type == "table":
                tables.append(item)
                continue
            value = data.get(item.id)
            if item.years:
                per_year = value if isinstance(value, Mapping) else {}
                years = "  ".join(f"{y}年：{display(per_year.get(y), item)}" for y in item.years)
                cells.append((item.label_zh, years, FULL_ROW))
            else:
                cells.append((item.label_zh, display(value, item), int(_is_wide(item))))
        rows = grid_rows(cells)
        if rows:
            table = self.table(len(rows), GRID_COLUMNS)
            table.autofit = False
            for index, column in enumerate(table.columns):  # label 24 mm, value 28 mm
                width = Mm(24) if index % 2 == 0 else Mm(28)
                for cell in column.cells:
                    cell.width = width
            for spans, row in zip(rows, table.rows, strict=True):
                column = 0
                for label, value, width in spans:
                    self.fill(row.cells[column], label, bold=True)
                    target = row.cells[column + 1]
                    if width > 1:
                        target = target.merge(row.cells[column + width])
                    self.fill(target, value)
                    column += 1 + width
                if column < GRID_COLUMNS:  # a short last row: the remainder stays one cell
                    row.cells[column - 1].merge(row.cells[GRID_COLUMNS - 1])
        for item in tables:
            self.rows_table(item, data.get(item.id) or [])

    def rows_table(self, item: Field, rows: list[Any]) -> None:
        label = self.para(item.label_zh, size=TABLE_SIZE, bold=True)
        label.paragraph_format.space_before = Pt(9)
        label.paragraph_format.keep_with_next = True
        table = self.table(len(rows) + 1, len(item.columns) + 1)
        self.fill(table.rows[0].cells[0], "序号", bold=True)
        for index, column in enumerate(item.columns, start=1):
            self.fill(table.rows[0].cells[index], column.label_with_unit, bold=True)
        for number, (row, record) in enumerate(zip(table.rows[1:], rows, strict=True), start=1):
            self.fill(row.cells[0], str(number))
            for index, column in enumerate(item.columns, start=1):
                self.fill(
                    row.cells[index],
                    display(record.get(column.id), column, with_unit=False, ticks=False),
                )

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


def _is_wide(item: Field) -> bool:
    if item.choices or item.type == "bool" or item.multiline or item.years:
        return True
    return item.type == "text" and (item.max_chars or 0) > WIDE_CHARS


def grid_rows(cells: list[tuple[str, str, int]]) -> list[list[tuple[str, str, int]]]:
    """Pack (label, value, wide) into rows of GRID_COLUMNS cells: (label, value, value width).

    A wide field takes the whole row, or three value cells when a short field follows it (通讯地址
    | 邮编); short fields go three to a row.
    """
    rows: list[list[tuple[str, str, int]]] = []
    i = 0
    while i < len(cells):
        label, value, wide = cells[i]
        if wide:
            nxt = cells[i + 1] if i + 1 < len(cells) else None
            fits = wide != FULL_ROW and len(value) <= WIDE_CHARS
            if nxt is not None and not nxt[2] and fits:
                rows.append([(label, value, 3), (nxt[0], nxt[1], 1)])
                i += 2
            else:
                rows.append([(label, value, GRID_COLUMNS - 1)])
                i += 1
            continue
        row = []
        while i < len(cells) and not cells[i][2] and len(row) < GRID_COLUMNS // 2:
            row.append((cells[i][0], cells[i][1], 1))
            i += 1
        rows.append(row)
    return rows


def title_lines(title: str, per_line: int = TITLE_CHARS_PER_LINE) -> list[str]:
    """A title in lines that never break inside 申报表 (or 建设方案 / 推介表)."""
    if len(title) <= per_line:
        return [title]
    n = per_line
    tail = next((t for t in ("申报表", "建设方案", "推介表", "申报书") if title.endswith(t)), "")
    last = len(title) - len(tail)  # never cut after this: the tail stays whole
    fits = [c for c in range(1, last + 1) if c <= n and len(title) - c <= n]
    natural = [
        c for c in fits if title[c - 1] in "和暨、）" or title[c : c + 2] in ("重点", "领军")
    ]
    best = natural or fits or [min(n, last)]
    cut = min(best, key=lambda c: abs(c - len(title) / 2))
    return [title[:cut].rstrip(), title[cut:].lstrip()]
