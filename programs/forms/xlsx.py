"""Excel intake: write the fill-in template of a form (one sheet per section, Chinese labels, units,
choice lists) and read a filled one back into a typed form, refusing cells that hold formulas."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet

from exports.cells import safe_cell
from programs.forms.issues import FormIssue, FormLoadError
from programs.forms.schema import Field, FormSchema, Section, form_schema, functional_area_tree
from programs.forms.validate import parse_with_schema, show

META_SHEET = "_meta"
OPTIONS_SHEET = "选项"
README_SHEET = "填写说明"
TREE_SHEET = "功能领域（表格2）"
TABLE_FIRST_ROW = 3
MAX_TEMPLATE_ROWS = 200
MAX_READ_ROWS = 5000
MAX_XLSX_BYTES = 5 * 1024 * 1024
_TEXTLIKE = frozenset({"text", "email", "mobile", "phone", "uscc"})
_HEADER_FONT = Font(bold=True)
_CODE_FONT = Font(color="808080", size=9)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_CODE = re.compile(r"^([a-z][a-z0-9_]*)(?:\[(\d{4})\])?$")

TYPE_HELP = {
    "text": "文字",
    "int": "整数",
    "decimal": "数值",
    "percent": "百分比数值（如60表示60%）",
    "date": "日期（如2020-05-27）",
    "year": "四位年份",
    "bool": "是/否",
    "choice": "单选",
    "multichoice": "多选，用“；”分隔",
    "email": "电子邮箱",
    "mobile": "11位手机号码",
    "phone": "电话号码（如010-65197104）",
    "uscc": "18位统一社会信用代码",
    "attachment": "附件文件名，多个文件每行一个",
}


def write_template_xlsx(edition_id: str, kind: str, path: Path | str) -> None:
    """An empty fill-in workbook for the form of `kind` in `edition_id`."""
    write_form_xlsx(edition_id, kind, path, None)


def write_form_xlsx(
    edition_id: str, kind: str, path: Path | str | IO[bytes], data: Mapping[str, Any] | None
) -> None:
    """The template, filled with `data` when given (values as typed by the schema)."""
    schema = form_schema(edition_id, kind)
    typed: Mapping[str, Any] = {}
    if data is not None:
        typed = parse_with_schema(schema, data, keep_invalid=True)[0]
    _Writer(schema).build(typed).save(path)


def read_form_xlsx(path: Path | str | IO[bytes], edition_id: str, kind: str) -> dict[str, Any]:
    """The form in a filled template, values typed per schema (invalid ones kept as written, for
    validate_form to report). FormLoadError for an unreadable file, a template of another form,
    or any cell holding a formula (each named)."""
    schema = form_schema(edition_id, kind)
    return _Reader(schema).read(path)


# ---------------------------------------------------------------- layout


def _sheet_name(label: str, used: set[str]) -> str:
    name = _INVALID_SHEET_CHARS.sub("", label.split("（")[0] or label)[:31] or "表"
    base, counter = name, 2
    while name in used or name in (META_SHEET, OPTIONS_SHEET, README_SHEET, TREE_SHEET):
        suffix = f"{counter}"
        name = base[: 31 - len(suffix)] + suffix
        counter += 1
    used.add(name)
    return name


def _layout(schema: FormSchema) -> list[tuple[str, str, Section, Field | None]]:
    """(sheet name, layout, section, table field) for every sheet, in form order."""
    used: set[str] = set()
    sheets: list[tuple[str, str, Section, Field | None]] = []
    for section in schema.sections:
        plain = [f for f in section.fields if f.type != "table"]
        tables = [f for f in section.fields if f.type == "table"]
        if section.years:
            sheets.append((_sheet_name(section.label_zh, used), "yearly", section, None))
            continue
        if plain:
            sheets.append((_sheet_name(section.label_zh, used), "fields", section, None))
        for table in tables:
            label = section.label_zh if not plain and len(tables) == 1 else table.label_zh
            sheets.append((_sheet_name(label, used), "table", section, table))
    return sheets


def _help(item: Field) -> str:
    parts = ["必填" if item.required else "选填"]
    if item.required_if is not None:
        parts[0] = f"{item.required_if.when_zh}必填"
    parts.append(TYPE_HELP.get(item.type, item.type))
    if item.type in ("choice", "multichoice") and len(item.choices) <= 8:
        parts.append("可选：" + "、".join(item.choices))
    elif item.type in ("choice", "multichoice"):
        parts.append(f"选项见“{OPTIONS_SHEET}”表")
    if item.type == "multichoice" and item.min_items:
        parts.append(f"至少{item.min_items}项")
    if item.type == "multichoice" and item.max_items:
        parts.append(f"最多{item.max_items}项")
    if item.type == "text" and item.max_chars:
        parts.append(f"不超过{item.max_chars}字")
    if item.help_zh:
        parts.append(item.help_zh)
    return "；".join(parts)


def _label(item: Field) -> str:
    return ("* " if item.required else "") + item.label_zh


# ---------------------------------------------------------------- writing


def _cell_value(value: Any, item: Field) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | Decimal | date):
        return value
    if isinstance(value, list | tuple):
        if all(isinstance(part, str) for part in value):
            return ("\n" if item.type == "attachment" else "；").join(value)
        return str(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))


def _put(ws: Worksheet, row: int, column: int, value: Any, item: Field) -> Cell:
    cell = ws.cell(row=row, column=column)
    safe_cell(cell, _cell_value(value, item))  # text that starts with "=" stays text
    if item.type in _TEXTLIKE or item.type in ("choice", "multichoice", "attachment"):
        cell.number_format = "@"
    elif item.type == "date":
        cell.number_format = "yyyy-mm-dd"
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def print_a4_landscape(ws: Worksheet) -> None:
    """Print on A4 landscape, all columns on one page width (as many pages tall as needed)."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True


class _Writer:
    def __init__(self, schema: FormSchema) -> None:
        self.schema = schema
        self.wb = Workbook()
        self.options: dict[tuple[str, ...], str] = {}  # choices -> range on the options sheet
        self.option_labels: list[str] = []

    def build(self, typed: Mapping[str, Any]) -> Workbook:
        readme = self.wb.active
        assert readme is not None
        readme.title = README_SHEET
        self.readme(readme)
        layout = _layout(self.schema)
        for sheet, kind, section, table in layout:
            ws = self.wb.create_sheet(sheet)
            section_data = typed.get(section.id)
            if kind == "fields":
                self.fields_sheet(
                    ws, section, section_data if isinstance(section_data, Mapping) else {}
                )
            elif kind == "yearly":
                self.yearly_sheet(
                    ws, section, section_data if isinstance(section_data, Mapping) else {}
                )
            else:
                assert table is not None
                rows = section_data.get(table.id) if isinstance(section_data, Mapping) else None
                self.table_sheet(ws, table, rows if isinstance(rows, list) else [])
        self.options_sheet()
        if any(f.choices_from == "functional_areas" for _s, f in self.all_fields()):
            self.tree_sheet()
        meta = self.wb.create_sheet(META_SHEET)
        meta.append(["edition_id", self.schema.edition_id])
        meta.append(["kind", self.schema.kind])
        meta.append(["schema_version", self.schema.version])
        for sheet, kind, section, table in layout:
            meta.append(["sheet", sheet, kind, section.id, table.id if table else ""])
        meta.sheet_state = "hidden"
        for ws in self.wb.worksheets:
            print_a4_landscape(ws)
        return self.wb

    def all_fields(self) -> list[tuple[Section, Field]]:
        result: list[tuple[Section, Field]] = []
        for section, item in self.schema.iter_fields():
            result.append((section, item))
            result.extend((section, column) for column in item.columns)
        return result

    def readme(self, ws: Worksheet) -> None:
        ws.column_dimensions["A"].width = 100
        lines = [
            self.schema.title_zh,
            f"申报类别：{self.schema.kind_label_zh}（{self.schema.edition_id} / {self.schema.kind}）",
            "",
            "填写说明：",
            "一、每个部分一张工作表，在“填写内容”列（分年度的部分在对应年度列）填写；带 * 的为必填项。",
            "二、金额单位为万元；百分比填写数字，如60表示60%；日期填写为2020-05-27。",
            "三、多选项之间用“；”分隔，可选项见“选项”表；附件填写文件名，多个文件每行一个。",
            "四、请勿使用公式：含公式的单元格不予接受。",
            "五、请勿修改“字段代码”列、表格第二行的字段代码和隐藏的 _meta 表。",
        ]
        for line in lines:
            ws.append([line])
        ws["A1"].font = Font(bold=True, size=14)

    def header(self, ws: Worksheet, values: list[str], widths: list[int]) -> None:
        ws.append(values)
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
            cell = ws.cell(row=1, column=index)
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.freeze_panes = "B2"

    def fields_sheet(self, ws: Worksheet, section: Section, data: Mapping[str, Any]) -> None:
        self.header(ws, ["填写项", "填写内容", "单位", "填写说明", "字段代码"], [44, 56, 8, 56, 30])
        row = 2
        for item in section.fields:
            if item.type == "table":
                continue
            value = data.get(item.id)
            cells = [(_label(item), item.id, value)]
            if item.years:
                per_year = value if isinstance(value, Mapping) else {}
                cells = [
                    (f"{_label(item)}（{year}年）", f"{item.id}[{year}]", per_year.get(year))
                    for year in item.years
                ]
            for label, code, cell_value in cells:
                ws.cell(row=row, column=1, value=label).alignment = Alignment(wrap_text=True)
                value_cell = _put(ws, row, 2, cell_value, item)
                ws.cell(row=row, column=3, value=item.unit or "")
                ws.cell(row=row, column=4, value=_help(item)).alignment = Alignment(wrap_text=True)
                ws.cell(row=row, column=5, value=code).font = _CODE_FONT
                self.validation(ws, item, value_cell.coordinate)
                if item.multiline:
                    ws.row_dimensions[row].height = 90
                row += 1

    def yearly_sheet(self, ws: Worksheet, section: Section, data: Mapping[Any, Any]) -> None:
        years = list(section.years)
        headers = ["填写项", *[f"{year}年" for year in years], "单位", "填写说明", "字段代码"]
        self.header(ws, headers, [40, *[24] * len(years), 8, 48, 24])
        for row, item in enumerate(section.fields, start=2):
            ws.cell(row=row, column=1, value=_label(item)).alignment = Alignment(wrap_text=True)
            for offset, year in enumerate(years):
                year_data = data.get(year)
                value = year_data.get(item.id) if isinstance(year_data, Mapping) else None
                cell = _put(ws, row, 2 + offset, value, item)
                self.validation(ws, item, cell.coordinate)
            ws.cell(row=row, column=2 + len(years), value=item.unit or "")
            help_cell = ws.cell(row=row, column=3 + len(years), value=_help(item))
            help_cell.alignment = Alignment(wrap_text=True)
            ws.cell(row=row, column=4 + len(years), value=item.id).font = _CODE_FONT
            if item.multiline:
                ws.row_dimensions[row].height = 60

    def table_sheet(self, ws: Worksheet, table: Field, rows: list[Any]) -> None:
        labels = [column.label_with_unit for column in table.columns]
        labels = [
            ("* " if c.required else "") + label
            for c, label in zip(table.columns, labels, strict=True)
        ]
        self.header(ws, labels, [max(14, min(48, len(label) * 2 + 4)) for label in labels])
        ws.freeze_panes = f"A{TABLE_FIRST_ROW}"
        for index, column in enumerate(table.columns, start=1):
            ws.cell(row=2, column=index, value=column.id).font = _CODE_FONT
        limit = min(table.max_items or MAX_TEMPLATE_ROWS, MAX_TEMPLATE_ROWS)
        for offset, row_data in enumerate(rows):
            if not isinstance(row_data, Mapping):
                continue
            for index, column in enumerate(table.columns, start=1):
                _put(ws, TABLE_FIRST_ROW + offset, index, row_data.get(column.id), column)
        last = TABLE_FIRST_ROW + max(limit, len(rows)) - 1
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            self.validation(ws, column, f"{letter}{TABLE_FIRST_ROW}:{letter}{last}")
            if column.type in _TEXTLIKE or column.type in ("choice", "multichoice"):
                for row in range(TABLE_FIRST_ROW, last + 1):
                    ws.cell(row=row, column=index).number_format = "@"

    def validation(self, ws: Worksheet, item: Field, ref: str) -> None:
        if item.type == "multichoice":
            self.option_range(item)  # listed on the options sheet; no list check for several
            return
        if item.type == "bool":
            rule = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
        elif item.type == "choice":
            rule = DataValidation(type="list", formula1=self.option_range(item), allow_blank=True)
            rule.error = f"请从“{OPTIONS_SHEET}”表中选择"
        elif item.type in ("int", "year") and item.min is not None:
            rule = DataValidation(
                type="whole", operator="greaterThanOrEqual", formula1=str(item.min)
            )
        elif item.type == "percent":
            rule = DataValidation(type="decimal", operator="between", formula1="0", formula2="100")
        else:
            return
        rule.showErrorMessage = True
        rule.errorTitle = item.label_zh[:32]
        ws.add_data_validation(rule)
        rule.add(ref)

    def option_range(self, item: Field) -> str:
        """The range on the options sheet listing the item's choices (written by options_sheet)."""
        key = item.choices
        if key not in self.options:
            letter = get_column_letter(len(self.options) + 1)
            self.option_labels.append(item.label_zh)
            last = len(item.choices) + 1
            self.options[key] = f"{quote_sheetname(OPTIONS_SHEET)}!${letter}$2:${letter}${last}"
        return self.options[key]

    def options_sheet(self) -> None:
        if not self.options:
            return
        ws = self.wb.create_sheet(OPTIONS_SHEET)
        for column, (choices, label) in enumerate(
            zip(self.options, self.option_labels, strict=True), start=1
        ):
            ws.cell(row=1, column=column, value=label).font = _HEADER_FONT
            ws.column_dimensions[get_column_letter(column)].width = 30
            for row, choice in enumerate(choices, start=2):
                ws.cell(row=row, column=column, value=choice)

    def tree_sheet(self) -> None:
        ws = self.wb.create_sheet(TREE_SHEET)
        ws.append(["类别", "功能领域", "子项（填写时使用）"])
        for index, width in enumerate((22, 22, 36), start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
            ws.cell(row=1, column=index).font = _HEADER_FONT
        for group, area, items in functional_area_tree():
            for item in items:
                ws.append([group, area, item])


# ---------------------------------------------------------------- intake caps
#
# A workbook is a zip of XML: a 1 MB file can expand to hundreds of megabytes and millions of
# cells. Before openpyxl expands anything, the archive is inspected (member sizes as the zip
# directory states them, each sheet's <dimension>, then its cells counted by streaming the XML)
# against caps derived from the form's schema: the template's own sheets, plus every table
# filled to its max_items.

ROW_SLACK = 100  # rows beyond the schema's (notes under a table, blank lines)
COLUMN_SLACK = 20
CELL_SLACK = 5000
BYTES_PER_CELL = 160  # a cell's XML with a long reference and style: generous
XML_SLACK = 4 * 1024 * 1024  # shared strings, styles, workbook parts
MAX_MEMBERS = 200
_CHUNK = 1 << 20
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_CELL_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br=\"([A-Z]+)(\d+)\"")
_ROW_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*?\br=\"(\d+)\"")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref=\"([A-Z]*)(\d*):?([A-Z]*)(\d*)\"")
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)


@dataclass(frozen=True)
class IntakeCaps:
    """What a filled workbook of one form may hold."""

    rows: int
    columns: int
    cells: int
    sheet_bytes: int
    total_bytes: int


@lru_cache(maxsize=64)
def intake_caps(edition_id: str, kind: str) -> IntakeCaps:
    """The caps for a filled template of `kind` in `edition_id`, measured on its own template."""
    schema = form_schema(edition_id, kind)
    buffer = io.BytesIO()
    _Writer(schema).build({}).save(buffer)
    rows = columns = cells = 0
    with zipfile.ZipFile(buffer) as archive:
        total = sum(info.file_size for info in archive.infolist())
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                count, max_row, max_column = _scan_sheet(archive, info, None)
                cells += count
                rows, columns = max(rows, max_row), max(columns, max_column)
    table_rows = 0
    for _section, item in schema.iter_fields():
        if item.type == "table":
            allowed = item.max_items or MAX_TEMPLATE_ROWS
            table_rows = max(table_rows, allowed)
            cells += (allowed + ROW_SLACK) * max(len(item.columns), 1)
    # never below the extent the writer gives any table sheet
    rows = max(rows, TABLE_FIRST_ROW + max(table_rows, MAX_TEMPLATE_ROWS)) + ROW_SLACK
    columns += COLUMN_SLACK
    cells += CELL_SLACK
    sheet_bytes = cells * BYTES_PER_CELL
    return IntakeCaps(rows, columns, cells, sheet_bytes, total + sheet_bytes + XML_SLACK)


class _TooMuch(Exception):
    def __init__(self, what: str, zh: str) -> None:
        self.what, self.zh = what, zh


def _scan_sheet(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, caps: IntakeCaps | None
) -> tuple[int, int, int]:
    """(cells, last row, last column) of a worksheet part, streamed; stops at the first cap."""
    cells = max_row = max_column = 0
    tail = b""
    first = True
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            data = tail + chunk
            if _DOCTYPE.search(data):
                raise _TooMuch(
                    f"{info.filename} declares a DOCTYPE", f"{info.filename}含有DOCTYPE声明"
                )
            if first and caps is not None:
                first = False
                dimension = _DIMENSION.search(data[:8192])
                if dimension is not None:
                    letters = dimension.group(3) or dimension.group(1)
                    digits = dimension.group(4) or dimension.group(2)
                    _check_extent(
                        int(digits) if digits else 0,
                        column_index_from_string(letters.decode()) if letters else 0,
                        caps,
                        "<dimension>",
                    )
            # a tag cut by the chunk boundary is completed by the next chunk: count it there
            cut = data.rfind(b"<") if len(chunk) == _CHUNK else len(data)
            if cut < 0 or len(data) - cut > 4096:
                cut = len(data)
            body, tail = data[:cut], data[cut:]
            cells += len(_CELL_TAG.findall(body))
            for letters, digits in _CELL_REF.findall(body):
                max_row = max(max_row, int(digits))
                max_column = max(max_column, column_index_from_string(letters.decode()))
            for digits in _ROW_REF.findall(body):
                max_row = max(max_row, int(digits))
            if caps is not None:
                if cells > caps.cells:
                    raise _TooMuch(f"more than {caps.cells} cells", f"单元格超过{caps.cells}个")
                _check_extent(max_row, max_column, caps, "cells")
    return cells, max_row, max_column


def _no_doctype(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            if _DOCTYPE.search(tail + chunk):
                raise _TooMuch(
                    f"{info.filename} declares a DOCTYPE", f"{info.filename}含有DOCTYPE声明"
                )
            tail = chunk[-16:]


def _check_extent(rows: int, columns: int, caps: IntakeCaps, where: str) -> None:
    if rows > caps.rows:
        raise _TooMuch(
            f"{where} reach row {rows}; at most {caps.rows} rows",
            f"表格行数达到{rows}行，上限{caps.rows}行",
        )
    if columns > caps.columns:
        raise _TooMuch(
            f"{where} reach column {columns}; at most {caps.columns} columns",
            f"表格列数达到{columns}列，上限{caps.columns}列",
        )


def check_archive(source: Path | str | IO[bytes], caps: IntakeCaps) -> None:
    """Refuse (_TooMuch) a workbook beyond `caps`, or holding external links, unexpanded."""
    with zipfile.ZipFile(source) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise _TooMuch(
                f"{len(members)} parts in the archive; at most {MAX_MEMBERS}",
                f"压缩包含{len(members)}个部件，上限{MAX_MEMBERS}个",
            )
        total = sum(info.file_size for info in members)
        if total > caps.total_bytes:
            raise _TooMuch(
                f"expands to {total} bytes; at most {caps.total_bytes}",
                f"解压后{total}字节，上限{caps.total_bytes}字节",
            )
        sheets = [
            info
            for info in members
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        ]
        sheet_bytes = sum(info.file_size for info in sheets)
        if sheet_bytes > caps.sheet_bytes:
            raise _TooMuch(
                f"sheets expand to {sheet_bytes} bytes; at most {caps.sheet_bytes}",
                f"工作表解压后{sheet_bytes}字节，上限{caps.sheet_bytes}字节",
            )
        for info in members:
            if info.filename.startswith("xl/externalLinks/"):
                raise _External(info.filename)
            if info.filename.endswith((".xml", ".rels")) and info not in sheets:
                _no_doctype(archive, info)
        cells = 0
        for info in sheets:
            count, _rows, _columns = _scan_sheet(archive, info, caps)
            cells += count
            if cells > caps.cells:
                raise _TooMuch(f"more than {caps.cells} cells", f"单元格超过{caps.cells}个")


class _External(Exception):
    pass


# ---------------------------------------------------------------- reading


def _is_formula(cell: Any) -> bool:
    return getattr(cell, "data_type", None) == "f" or isinstance(
        cell.value, ArrayFormula | DataTableFormula
    )


def _formula_text(cell: Any) -> str:
    value = cell.value
    if isinstance(value, ArrayFormula):
        return str(value.text)
    if isinstance(value, DataTableFormula):
        return "TABLE()"
    return str(value)


def _raw(value: Any, item: Field | None) -> Any:
    """A cell value as form data: numbers exact (via repr), dates as dates, empty as None."""
    if value is None:
        return None
    kind = item.type if item is not None else "text"
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, date | time):
        return value
    if isinstance(value, int):
        return str(value) if kind in _TEXTLIKE else value
    if isinstance(value, float):
        if kind in _TEXTLIKE:
            return str(int(value)) if value.is_integer() else repr(value)
        return Decimal(repr(value))
    return value


class _Reader:
    def __init__(self, schema: FormSchema) -> None:
        self.schema = schema
        self.issues: list[FormIssue] = []
        self.reported: set[tuple[str, str]] = set()

    def fail(self, path: str, code: str, zh: str, en: str) -> FormLoadError:
        return FormLoadError([FormIssue(path, code, zh, en)])

    def open(self, source: Path | str | IO[bytes]) -> Any:
        if isinstance(source, str | Path) and Path(source).stat().st_size > MAX_XLSX_BYTES:
            size = Path(source).stat().st_size
            raise self.fail(
                "file",
                "too_large",
                f"文件过大（{size}字节），上限{MAX_XLSX_BYTES}字节",
                f"file too large ({size} bytes; limit {MAX_XLSX_BYTES})",
            )
        try:
            check_archive(source, intake_caps(self.schema.edition_id, self.schema.kind))
        except _TooMuch as exc:
            raise self.fail(
                "file",
                "xlsx_limit",
                f"Excel文件超出本表的上限（{exc.zh}），请使用本系统生成的模板填写",
                f"workbook beyond what this form can hold ({exc.what})",
            ) from None
        except _External as exc:
            raise self.fail(
                "file",
                "external_link",
                f"Excel文件含有外部链接（{show(str(exc), 60)}），不予接受",
                f"workbook holds an external link ({show(str(exc), 60)})",
            ) from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise self.fail(
                "file",
                "xlsx_unreadable",
                f"无法读取Excel文件（{type(exc).__name__}），请使用本系统生成的.xlsx模板填写",
                f"not a readable .xlsx workbook ({type(exc).__name__}: {show(str(exc), 80)})",
            ) from None
        if not isinstance(source, str | Path):
            source.seek(0)
        try:
            return load_workbook(source, data_only=False)
        except Exception as exc:  # zip, xml and openpyxl errors alike: not a readable workbook
            raise self.fail(
                "file",
                "xlsx_unreadable",
                f"无法读取Excel文件（{type(exc).__name__}），请使用本系统生成的.xlsx模板填写",
                f"not a readable .xlsx workbook ({type(exc).__name__}: {show(str(exc), 80)})",
            ) from exc

    def cell(self, ws: Worksheet, row: int, column: int, path: str, item: Field | None) -> Any:
        cell = ws.cell(row=row, column=column)
        if _is_formula(cell):
            self.formula(ws, cell, path)
            return None
        return _raw(cell.value, item)

    def formula(self, ws: Worksheet, cell: Any, path: str) -> None:
        key = (ws.title, cell.coordinate)
        if key in self.reported:
            return
        self.reported.add(key)
        where = f"'{ws.title}'!{cell.coordinate}"
        self.issues.append(
            FormIssue(
                path or where,
                "formula",
                f"单元格{where}含有公式“{show(_formula_text(cell), 40)}”，不予接受：请直接填写数值或文字",
                f"cell {where} holds a formula; enter the value itself",
            )
        )

    def read(self, source: Path | str | IO[bytes]) -> dict[str, Any]:
        wb = self.open(source)
        if META_SHEET not in wb.sheetnames:
            raise self.fail(
                "file",
                "template_mismatch",
                "不是本系统生成的申报表模板（缺少 _meta 表），请先下载模板再填写",
                "not a template written by this system (no _meta sheet)",
            )
        meta = wb[META_SHEET]
        values = {
            str(row[0]): row[1:]
            for row in meta.iter_rows(max_row=3, values_only=True)
            if row and row[0] is not None
        }
        edition = (values.get("edition_id") or (None,))[0]
        kind = (values.get("kind") or (None,))[0]
        if (edition, kind) != (self.schema.edition_id, self.schema.kind):
            raise self.fail(
                "file",
                "template_mismatch",
                f"该模板属于{show(edition)}/{show(kind)}，"
                f"不是{self.schema.edition_id}/{self.schema.kind}的申报表",
                f"template of {show(edition)}/{show(kind)}, expected "
                f"{self.schema.edition_id}/{self.schema.kind}",
            )
        raw: dict[str, Any] = {}
        for row in meta.iter_rows(min_row=4, values_only=True):
            if not row or row[0] != "sheet" or row[1] not in wb.sheetnames:
                continue
            sheet, layout, section_id = row[1], row[2], row[3]
            try:
                section = self.schema.section(str(section_id))
            except KeyError:
                continue
            ws = wb[sheet]
            target = raw.setdefault(section.id, {})
            if layout == "fields":
                self.read_fields(ws, section, target)
            elif layout == "yearly":
                self.read_yearly(ws, section, target)
            elif layout == "table":
                try:
                    table = section.field(str(row[4]))
                except KeyError:
                    continue
                rows = self.read_table(ws, section, table)
                if rows:
                    target[table.id] = rows
        for ws in wb.worksheets:
            for cells in ws.iter_rows(max_row=MAX_READ_ROWS):
                for cell in cells:
                    if _is_formula(cell):
                        self.formula(ws, cell, "")
        if self.issues:
            raise FormLoadError(self.issues)
        raw = {key: value for key, value in raw.items() if value}
        return parse_with_schema(self.schema, raw, keep_invalid=True)[0]

    def find(self, section: Section, code: str) -> Field | None:
        try:
            return section.field(code)
        except KeyError:
            return None

    def read_fields(self, ws: Worksheet, section: Section, target: dict[str, Any]) -> None:
        for row in range(2, min(ws.max_row, MAX_READ_ROWS) + 1):
            code = ws.cell(row=row, column=5).value
            match = _CODE.match(str(code).strip()) if code is not None else None
            if match is None:
                continue
            field_id, year = match.group(1), match.group(2)
            item = self.find(section, field_id)
            path = f"{section.id}.{field_id}" + (f"[{year}]" if year else "")
            value = self.cell(ws, row, 2, path, item)
            if value is None:
                continue
            if year:
                target.setdefault(field_id, {})[int(year)] = value
            else:
                target[field_id] = value

    def read_yearly(self, ws: Worksheet, section: Section, target: dict[Any, Any]) -> None:
        year_columns: list[tuple[int, int]] = []
        for column in range(2, ws.max_column + 1):
            header = ws.cell(row=1, column=column).value
            match = (
                re.fullmatch(r"\s*(\d{4})\s*年?\s*", str(header)) if header is not None else None
            )
            if match:
                year_columns.append((column, int(match.group(1))))
        code_column = ws.max_column
        for column in range(1, ws.max_column + 1):
            if ws.cell(row=1, column=column).value == "字段代码":
                code_column = column
        for row in range(2, min(ws.max_row, MAX_READ_ROWS) + 1):
            code = ws.cell(row=row, column=code_column).value
            if code is None or not str(code).strip():
                continue
            field_id = str(code).strip()
            item = self.find(section, field_id)
            for column, year in year_columns:
                value = self.cell(ws, row, column, f"{section.id}[{year}].{field_id}", item)
                if value is not None:
                    target.setdefault(year, {})[field_id] = value

    def read_table(self, ws: Worksheet, section: Section, table: Field) -> list[dict[str, Any]]:
        codes: list[tuple[int, str, Field | None]] = []
        for column in range(1, ws.max_column + 1):
            code = ws.cell(row=2, column=column).value
            if code is not None and str(code).strip():
                code = str(code).strip()
                codes.append((column, code, next((c for c in table.columns if c.id == code), None)))
        rows: list[dict[str, Any]] = []
        for row in range(TABLE_FIRST_ROW, min(ws.max_row, MAX_READ_ROWS) + 1):
            index = len(rows) + 1
            record: dict[str, Any] = {}
            for column, code, item in codes:
                path = f"{section.id}.{table.id}[{index}].{code}"
                value = self.cell(ws, row, column, path, item)
                if value is not None:
                    record[code] = value
            if record:
                rows.append(record)
        return rows
