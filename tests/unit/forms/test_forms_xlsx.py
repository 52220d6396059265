"""Excel intake: the template as written, a filled template read back equal to the original form."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from programs.forms import (
    available_forms,
    example_form,
    parse_form,
    read_form_xlsx,
    validate_form,
    write_form_xlsx,
    write_template_xlsx,
)

FORMS = [(edition, kind) for edition, kinds in available_forms().items() for kind in kinds]
A, E = "liangrong-2026", "szzx-2026-2"


def user_value(value: Any) -> Any:
    """What a person types into a cell for a JSON value."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return (
            "\n".join(value)
            if all(v.endswith((".pdf", ".xlsx")) for v in value)
            else "；".join(value)
        )
    return value


def fill_like_a_user(template: Path, form: dict[str, Any], out: Path) -> None:
    """Type the form into the template's cells, found by their field codes, as a person would."""
    wb = load_workbook(template)
    layout = [row for row in wb["_meta"].iter_rows(min_row=4, values_only=True)]
    for _tag, sheet, kind, section_id, table_id in layout:
        ws = wb[sheet]
        data = form.get(section_id) or {}
        if kind == "fields":
            for row in range(2, ws.max_row + 1):
                code = ws.cell(row=row, column=5).value
                if not code:
                    continue
                field_id, _, year = code.rstrip("]").partition("[")
                value = data.get(field_id)
                if year and isinstance(value, dict):
                    value = value.get(year)
                if value is not None and not isinstance(value, dict):
                    ws.cell(row=row, column=2, value=user_value(value))
        elif kind == "yearly":
            headers = [cell.value for cell in ws[1]]
            for row in range(2, ws.max_row + 1):
                field_id = ws.cell(row=row, column=len(headers)).value
                for column, header in enumerate(headers, start=1):
                    if isinstance(header, str) and header.endswith("年") and header[:4].isdigit():
                        value = (data.get(header[:4]) or {}).get(field_id)
                        if value is not None:
                            ws.cell(row=row, column=column, value=user_value(value))
        else:
            codes = [cell.value for cell in ws[2]]
            for offset, record in enumerate(data.get(table_id) or []):
                for column, code in enumerate(codes, start=1):
                    if code in record:
                        ws.cell(row=3 + offset, column=column, value=user_value(record[code]))
    wb.save(out)


@pytest.mark.parametrize(("edition", "kind"), FORMS)
def test_template_filled_by_hand_reads_back_as_the_original_form(
    edition: str, kind: str, tmp_path: Path
) -> None:
    original = example_form(edition, kind)
    expected, issues = parse_form(edition, kind, original)
    assert issues == []
    template = tmp_path / "template.xlsx"
    write_template_xlsx(edition, kind, template)
    filled = tmp_path / "filled.xlsx"
    fill_like_a_user(template, original, filled)
    read = read_form_xlsx(filled, edition, kind)
    assert validate_form(edition, kind, read) == []
    assert parse_form(edition, kind, read)[0] == expected
    assert read == expected


@pytest.mark.parametrize(("edition", "kind"), FORMS)
def test_written_form_reads_back_equal(edition: str, kind: str, tmp_path: Path) -> None:
    original = example_form(edition, kind)
    path = tmp_path / "form.xlsx"
    write_form_xlsx(edition, kind, path, original)
    assert read_form_xlsx(path, edition, kind) == parse_form(edition, kind, original)[0]


def test_template_has_one_sheet_per_section_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template_xlsx(A, "manufacturing", path)
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "填写说明",
        "企业基本情况",
        "从业人员",
        "上年度经济效益",
        "申请制造业类重点企业填写",
        "业务开展情况",
        "附件",
        "选项",
        "_meta",
    ]
    assert wb["_meta"].sheet_state == "hidden"
    ws = wb["上年度经济效益"]
    assert [c.value for c in ws[1]] == ["填写项", "填写内容", "单位", "填写说明", "字段代码"]
    rows = {row[4]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["revenue"][0] == "* 营业收入" and rows["revenue"][2] == "万元"
    shares = [
        row[0] for row in wb["申请制造业类重点企业填写"].iter_rows(min_row=2, values_only=True)
    ]
    assert "* 信息化建设投入占营业收入比例（2024年）" in shares


def test_template_offers_choices_as_data_validation(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template_xlsx(A, "manufacturing", path)
    wb = load_workbook(path)
    ws = wb["企业基本情况"]
    nature_row = next(
        r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=5).value == "nature"
    )
    formulas = {
        str(rule.formula1): str(rule.sqref)
        for rule in ws.data_validations.dataValidation
        if rule.type == "list"
    }
    options_range = next(f for f in formulas if f.startswith("'选项'!"))
    assert f"B{nature_row}" in formulas[options_range]
    column = options_range.split("$")[1]
    choices = [c.value for c in wb["选项"][column][1:6]]
    assert choices == ["中央管理", "地方国有集体", "外商投资", "民营", "其他"]
    assert '"是,否"' in {
        str(rule.formula1) for rule in wb["上年度经济效益"].data_validations.dataValidation
    }


def test_center_template_yearly_and_table_sheets(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template_xlsx(E, "center", path)
    wb = load_workbook(path)
    assert [c.value for c in wb["近两年财务经营情况"][1]][:3] == ["填写项", "2024年", "2025年"]
    assert [c.value for c in wb["建设目标年度分解"][1]][1:4] == ["2026年", "2027年", "2028年"]
    members = wb["联合体其他成员单位"]
    assert [c.value for c in members[1]] == ["* 名称", "* 类型", "统一社会信用代码"]
    assert [c.value for c in members[2]] == ["name", "type", "uscc"]


def test_empty_template_reads_as_an_empty_form(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template_xlsx(E, "center", path)
    assert read_form_xlsx(path, E, "center") == {}


def test_cell_values_are_typed_by_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template_xlsx(A, "ito", path)
    wb = load_workbook(path)

    def put(sheet: str, code: str, value: Any) -> None:
        ws = wb[sheet]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=5).value == code)
        ws.cell(row=row, column=2, value=value)

    put("上年度经济效益", "revenue", 86200.5)  # a float cell
    put("从业人员", "employees", 1680.0)
    put("企业基本情况", "contact_mobile", 13812345678)  # typed as a number
    put("企业基本情况", "postcode", "310012")
    put("企业基本情况", "company_name", '=HYPERLINK("x")')  # typed as text, see below
    wb["企业基本情况"].cell(row=2, column=2).data_type = "s"
    put("申请信息技术外包类重点企业填写", "ito_execution[2024]", "7,450.5")
    put("申请信息技术外包类重点企业填写", "own_software_ip", "否")
    wb.save(path)
    read = read_form_xlsx(path, A, "ito")
    assert read["economics"]["revenue"] == Decimal("86200.5")
    assert read["staff"]["employees"] == 1680 and isinstance(read["staff"]["employees"], int)
    assert read["basic"]["contact_mobile"] == "13812345678"
    assert read["basic"]["company_name"] == '=HYPERLINK("x")'
    assert read["ito"]["ito_execution"] == {2024: Decimal("7450.5")}
    assert read["ito"]["own_software_ip"] is False


def test_text_starting_with_equals_round_trips_as_text(tmp_path: Path) -> None:
    form = example_form(A, "ito", business={"cases": "=SUM(A1:A9) 不是公式，是案例名"})
    path = tmp_path / "f.xlsx"
    write_form_xlsx(A, "ito", path, form)
    assert read_form_xlsx(path, A, "ito")["business"]["cases"] == "=SUM(A1:A9) 不是公式，是案例名"


def test_invalid_cells_are_kept_for_validation_to_report(tmp_path: Path) -> None:
    form = example_form(A, "ito", economics={"revenue": "很多"}, basic={"contact_mobile": "12345"})
    path = tmp_path / "f.xlsx"
    write_form_xlsx(A, "ito", path, form)
    read = read_form_xlsx(path, A, "ito")
    assert read["economics"]["revenue"] == "很多"
    assert [(i.path, i.code) for i in validate_form(A, "ito", read)] == [
        ("basic.contact_mobile", "mobile"),
        ("economics.revenue", "type"),
    ]
