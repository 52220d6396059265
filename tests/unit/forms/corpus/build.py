"""Rebuild the corpus of bad forms and expected.yaml: `.venv/bin/python -m tests.unit.forms.corpus.build`.

Each case is a whole form file (one mistake, or a listed few) made from the shipped valid example.
The rule each case must trip (path, code) is written here by hand; the build stops if validation
reports anything else, and records the exact messages for test_forms_corpus.py to compare.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook

from programs.forms import example_annual_report, example_form, make_uscc, write_form_xlsx
from programs.forms.uscc import ALPHABET
from tests.unit.forms.intake import ANNUAL_REPORT, intake

HERE = Path(__file__).parent
A, B, C, D, E = "liangrong-2026", "liangrong-2021", "cciip-2023", "cciip-2018", "szzx-2026-2"


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))


def as_json(form: Any) -> bytes:
    return (json.dumps(form, ensure_ascii=False, indent=1, default=str) + "\n").encode("utf-8")


def as_yaml(form: Any) -> bytes:
    text = yaml.dump(form, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    return text.encode("utf-8")


def wrong_check(code: str) -> str:
    return code[:-1] + ALPHABET[(ALPHABET.index(code[-1]) + 1) % len(ALPHABET)]


def ex(edition: str, kind: str, **overrides: Any) -> dict[str, Any]:
    return example_form(edition, kind, **overrides)


def without(form: dict[str, Any], section: str, *keys: str) -> dict[str, Any]:
    target = form[section] if section else form
    for key in keys:
        del target[key]
    return form


def xlsx_with_formulas(edition: str, kind: str, cells: list[tuple[str, str, int, str]]) -> bytes:
    """The example written to its template, then formulas put in cells.

    cells: (sheet, field code, column or 0 for the value column, formula); a code of "@B3" names
    a cell directly.
    """
    buffer = io.BytesIO()
    write_form_xlsx(edition, kind, buffer, example_form(edition, kind))
    buffer.seek(0)
    wb = load_workbook(buffer)
    for sheet, code, column, formula in cells:
        ws = wb[sheet]
        if code.startswith("@"):
            ws[code[1:]] = formula
            continue
        target = None
        for row in ws.iter_rows():
            for cell in row:
                if cell.value == code:
                    target = (cell.row, cell.column)
        assert target is not None, (sheet, code)
        row_index, code_column = target
        if sheet.endswith("清单"):  # a table: codes in row 2, data from row 3
            ws.cell(row=3, column=code_column, value=formula)
        else:
            ws.cell(row=row_index, column=column or 2, value=formula)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_of(edition: str, kind: str) -> bytes:
    buffer = io.BytesIO()
    write_form_xlsx(edition, kind, buffer, example_form(edition, kind))
    return buffer.getvalue()


def with_member(data: bytes, name: str, content: bytes) -> bytes:
    """A workbook's bytes with one more (or one replaced) archive member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info.filename), zipfile.ZIP_DEFLATED)
        dst.writestr(name, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def with_dimension(data: bytes, sheet_part: str, ref: str) -> bytes:
    """A workbook whose sheet part states another <dimension> (nothing else changed)."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        xml = src.read(sheet_part)
    start = xml.index(b"<dimension ")
    end = xml.index(b"/>", start) + 2
    return with_member(
        data, sheet_part, xml[:start] + f'<dimension ref="{ref}"/>'.encode() + xml[end:]
    )


def center_with(**changes: Any) -> dict[str, Any]:
    return ex(E, "center", **changes)


Maker = Callable[[], bytes]
# (file, edition, kind, what is wrong, make the bytes, [(path, code)] expected)
CASES: list[tuple[str, str, str, str, Maker, list[tuple[str, str]]]] = [
    (
        "01_int_in_words.json",
        A,
        "manufacturing",
        "从业人数写成汉字",
        lambda: as_json(ex(A, "manufacturing", staff={"employees": "一千"})),
        [("staff.employees", "type")],
    ),
    (
        "02_amount_with_unit.json",
        A,
        "ito",
        "营业收入带单位文字",
        lambda: as_json(ex(A, "ito", economics={"revenue": "86200万"})),
        [("economics.revenue", "type")],
    ),
    (
        "03_bool_maybe.yaml",
        B,
        "manufacturing",
        "是否三年连续盈利填“maybe”",
        lambda: as_yaml(ex(B, "manufacturing", economics={"profitable_3_years": "maybe"})),
        [("economics.profitable_3_years", "type")],
    ),
    (
        "04_date_impossible.json",
        E,
        "center",
        "成立时间为2月30日",
        lambda: as_json(center_with(basic={"founded": "2019-02-30"})),
        [("basic.founded", "type")],
    ),
    (
        "05_list_for_text.json",
        C,
        "supplier",
        "企业名称给成列表",
        lambda: as_json(ex(C, "supplier", basic={"company_name": ["甲公司", "乙公司"]})),
        [("basic.company_name", "type")],
    ),
    (
        "06_negative_assets.json",
        A,
        "manufacturing",
        "资产总额为负数",
        lambda: as_json(ex(A, "manufacturing", economics={"total_assets": "-1"})),
        [("economics.total_assets", "negative")],
    ),
    (
        "07_negative_patents.json",
        A,
        "ito",
        "外观设计专利数为负数",
        lambda: as_json(ex(A, "ito", ito={"patents_design": -2})),
        [("ito.patents_design", "negative")],
    ),
    (
        "08_percent_over_100.json",
        A,
        "manufacturing",
        "联网率超过100%",
        lambda: as_json(ex(A, "manufacturing", manufacturing={"networked_rate": "100.01"})),
        [("manufacturing.networked_rate", "percent_range")],
    ),
    (
        "09_percent_negative.yaml",
        B,
        "manufacturing",
        "信息化投入占比为负",
        lambda: as_yaml(
            ex(
                B,
                "manufacturing",
                manufacturing={"informatization_share": {"2019": Decimal("-0.5")}},
            )
        ),
        [("manufacturing.informatization_share[2019]", "percent_range")],
    ),
    (
        "10_year_before_span_a.json",
        A,
        "manufacturing",
        "A批次填报了2022年（要求2023—2025年）",
        lambda: as_json(
            ex(A, "manufacturing", manufacturing={"informatization_share": {"2022": "6"}})
        ),
        [("manufacturing.informatization_share[2022]", "year_span")],
    ),
    (
        "11_year_after_span_b.json",
        B,
        "ito",
        "B批次填报了2021年（要求2018—2020年）",
        lambda: as_json(ex(B, "ito", ito={"ito_execution": {"2021": "9000"}})),
        [("ito.ito_execution[2021]", "year_span")],
    ),
    (
        "12_year_before_span_e.json",
        E,
        "center",
        "财务情况填报了2023年（要求2024、2025年）",
        lambda: as_json(center_with(finance={"2023": {"main_revenue": "1"}})),
        [("finance[2023]", "year_span")],
    ),
    (
        "13_year_missing_a.json",
        A,
        "ito",
        "ITO执行额缺2024年",
        lambda: as_json(ex(A, "ito", ito={"ito_execution": {"2024": None}})),
        [("ito.ito_execution[2024]", "year_missing")],
    ),
    (
        "14_targets_without_2028.json",
        E,
        "center",
        "年度目标缺2028年",
        lambda: as_json(center_with(targets={"2028": None})),
        [("targets[2028]", "year_missing")],
    ),
    (
        "15_targets_2029.json",
        E,
        "center",
        "年度目标多出2029年",
        lambda: as_json(center_with(targets={"2029": {"service_target": "服务企业300家"}})),
        [("targets[2029]", "year_span")],
    ),
    (
        "16_uscc_check_character.json",
        A,
        "ito",
        "统一社会信用代码校验码错",
        lambda: as_json(ex(A, "ito", basic={"uscc": wrong_check(ex(A, "ito")["basic"]["uscc"])})),
        [("basic.uscc", "uscc_check")],
    ),
    (
        "17_uscc_17_chars.json",
        C,
        "supplier",
        "统一社会信用代码只有17位",
        lambda: as_json(ex(C, "supplier", basic={"uscc": ex(C, "supplier")["basic"]["uscc"][:17]})),
        [("basic.uscc", "uscc_format")],
    ),
    (
        "18_uscc_letter_o.json",
        E,
        "center",
        "统一社会信用代码含字母O",
        lambda: as_json(center_with(basic={"uscc": "91420100760O789AB1"})),
        [("basic.uscc", "uscc_format")],
    ),
    (
        "19_mobile_10_digits.json",
        A,
        "manufacturing",
        "联系人手机只有10位",
        lambda: as_json(ex(A, "manufacturing", basic={"contact_mobile": "1381234567"})),
        [("basic.contact_mobile", "mobile")],
    ),
    (
        "20_mobile_prefix_12.json",
        E,
        "center",
        "负责人手机以12开头",
        lambda: as_json(center_with(head={"mobile": "12812345678"})),
        [("head.mobile", "mobile")],
    ),
    (
        "21_email_no_tld.json",
        C,
        "park",
        "联系人邮箱缺顶级域名",
        lambda: as_json(ex(C, "park", basic={"contact_email": "park@example"})),
        [("basic.contact_email", "email")],
    ),
    (
        "22_phone_garbage.json",
        A,
        "manufacturing",
        "法人代表电话格式错误",
        lambda: as_json(ex(A, "manufacturing", basic={"legal_rep_phone": "12-34"})),
        [("basic.legal_rep_phone", "phone")],
    ),
    (
        "23_four_industries.json",
        E,
        "center",
        "主要行业4个（不超过3个）",
        lambda: as_json(center_with(basic={"main_industries": ["汽车", "机械", "钢铁", "医药"]})),
        [("basic.main_industries", "max_choices")],
    ),
    (
        "24_industry_not_in_14.json",
        E,
        "center",
        "主要行业“软件”不在14个行业内",
        lambda: as_json(center_with(basic={"main_industries": ["汽车", "软件"]})),
        [("basic.main_industries", "choice")],
    ),
    (
        "25_seven_members.json",
        E,
        "center",
        "联合体成员7家（不超过6家）",
        lambda: as_json(
            center_with(
                consortium={
                    "members": [{"name": f"成员单位{i}", "type": "服务商"} for i in range(1, 8)]
                }
            )
        ),
        [("consortium.members", "max_rows")],
    ),
    (
        "26_consortium_without_agreement.json",
        E,
        "center",
        "联合体申报未附合作协议",
        lambda: as_json(center_with(attachments={"consortium_agreement": None})),
        [("attachments.consortium_agreement", "required_if")],
    ),
    (
        "27_foundation_1001.json",
        E,
        "center",
        "基础条件1001字（上限1000）",
        lambda: as_json(center_with(plan={"foundation": "基" * 1001})),
        [("plan.foundation", "max_chars")],
    ),
    (
        "28_goals_501.json",
        E,
        "center",
        "建设目标501字（上限500）",
        lambda: as_json(center_with(plan={"goals": "目" * 501})),
        [("plan.goals", "max_chars")],
    ),
    (
        "29_contents_2501.json",
        E,
        "center",
        "建设内容2501字（上限2500）",
        lambda: as_json(center_with(plan={"contents": "建" * 2501})),
        [("plan.contents", "max_chars")],
    ),
    (
        "30_organization_501.json",
        E,
        "center",
        "组织保障501字（上限500）",
        lambda: as_json(center_with(plan={"organization": "保" * 501})),
        [("plan.organization", "max_chars")],
    ),
    (
        "31_two_contents.json",
        E,
        "center",
        "建设内容只选了2项（至少3项）",
        lambda: as_json(center_with(plan={"content_items": ["评估咨询", "方案开发"]})),
        [("plan.content_items", "min_choices")],
    ),
    (
        "32_content_not_in_8.json",
        E,
        "center",
        "建设内容“智能制造”不在八项内",
        lambda: as_json(center_with(plan={"content_items": ["评估咨询", "方案开发", "智能制造"]})),
        [("plan.content_items", "choice")],
    ),
    (
        "33_plan_missing.json",
        E,
        "center",
        "缺少建设方案部分",
        lambda: as_json(center_with(plan=None)),
        [("plan", "section_missing")],
    ),
    (
        "34_name_missing.json",
        A,
        "ito",
        "缺企业名称",
        lambda: as_json(ex(A, "ito", basic={"company_name": None})),
        [("basic.company_name", "required")],
    ),
    (
        "35_typo_field.json",
        B,
        "ito",
        "填写项拼错（revenu）",
        lambda: as_json(ex(B, "ito", economics={"revenu": "1"})),
        [("economics.revenu", "unknown_field")],
    ),
    (
        "36_extra_section.yaml",
        C,
        "training",
        "多出本表没有的部分",
        lambda: as_yaml(ex(C, "training", notes={"remark": "无"})),
        [("notes", "unknown_section")],
    ),
    (
        "37_absurd_revenue.json",
        A,
        "manufacturing",
        "营业收入100亿万元（超过10^9万元）",
        lambda: as_json(ex(A, "manufacturing", economics={"revenue": "10000000000"})),
        [("economics.revenue", "magnitude")],
    ),
    (
        "38_absurd_staff.json",
        C,
        "supplier",
        "外包员工5000万人",
        lambda: as_json(ex(C, "supplier", business={"outsourcing_staff": 50000000})),
        [("business.outsourcing_staff", "magnitude")],
    ),
    (
        "39_float_noise.yaml",
        A,
        "manufacturing",
        "联网率带浮点误差72.50000000000001",
        lambda: as_yaml(
            ex(A, "manufacturing", manufacturing={"networked_rate": Decimal("72.50000000000001")})
        ),
        [("manufacturing.networked_rate", "precision")],
    ),
    (
        "40_gbk.json",
        A,
        "ito",
        "文件为GBK编码",
        lambda: json.dumps(ex(A, "ito"), ensure_ascii=False).encode("gbk"),
        [("file", "encoding")],
    ),
    (
        "41_utf16.json",
        A,
        "ito",
        "文件为UTF-16编码",
        lambda: json.dumps(ex(A, "ito"), ensure_ascii=False).encode("utf-16"),
        [("file", "encoding")],
    ),
    (
        "42_truncated.json",
        A,
        "ito",
        "JSON被截断",
        lambda: as_json(ex(A, "ito"))[:200],
        [("file", "syntax")],
    ),
    (
        "43_duplicate_key.json",
        C,
        "park",
        "同一键出现两次",
        lambda: b'{"basic": {"park_name": "A"}, "basic": {"park_name": "B"}}',
        [("file", "duplicate_key")],
    ),
    ("44_top_level_list.json", C, "park", "顶层为数组", lambda: b"[1, 2, 3]\n", [("form", "type")]),
    (
        "45_yaml_alias.yaml",
        C,
        "park",
        "YAML锚点别名（可用于膨胀攻击）",
        lambda: b"a: &x [1, 2]\nb: [*x, *x]\n",
        [("file", "yaml_alias")],
    ),
    ("46_empty.yaml", C, "park", "空文件", lambda: b"", [("form", "type")]),
    (
        "47_nan.json",
        A,
        "manufacturing",
        "JSON中出现NaN",
        lambda: as_json(ex(A, "manufacturing")).replace(b'"128600"', b"NaN"),
        [("file", "syntax")],
    ),
    (
        "48_nul_in_text.json",
        A,
        "manufacturing",
        "文字中含NUL控制字符",
        lambda: as_json(ex(A, "manufacturing", business={"transformation_plan": "计划\u0000全文"})),
        [("business.transformation_plan", "control_char")],
    ),
    (
        "49_script_in_email.json",
        E,
        "center",
        "邮箱填入脚本；基础条件含标记（照录不报错）",
        lambda: as_json(
            center_with(
                head={"email": "<script>alert(1)</script>"},
                plan={"foundation": "<b>基础条件</b><script>alert('x')</script>&amp;"},
            )
        ),
        [("head.email", "email")],
    ),
    (
        "50_markup_in_uscc.json",
        C,
        "supplier",
        "统一社会信用代码外包了HTML标记",
        lambda: as_json(
            ex(C, "supplier", basic={"uscc": "<b>" + make_uscc("91210200760012300") + "</b>"})
        ),
        [("basic.uscc", "uscc_format")],
    ),
    (
        "51_markup_in_choice.json",
        A,
        "manufacturing",
        "企业性质带HTML标记",
        lambda: as_json(ex(A, "manufacturing", basic={"nature": "<i>民营</i>"})),
        [("basic.nature", "choice")],
    ),
    (
        "52_formula_in_value.xlsx",
        A,
        "manufacturing",
        "营业收入单元格为公式",
        lambda: xlsx_with_formulas(
            A, "manufacturing", [("上年度经济效益", "revenue", 2, "=SUM(60000,68600)")]
        ),
        [("economics.revenue", "formula")],
    ),
    (
        "53_formulas_yearly_and_table.xlsx",
        E,
        "center",
        "年度列和清单表中各有一个公式",
        lambda: xlsx_with_formulas(
            E,
            "center",
            [
                ("近两年财务经营情况", "main_revenue", 2, "=B3*2"),
                ("汇聚的数字化转型服务商清单", "capability", 0, '=CONCATENATE("设备","联网")'),
            ],
        ),
        [("finance[2024].main_revenue", "formula"), ("lists.providers[1].capability", "formula")],
    ),
    (
        "54_formula_outside_form.xlsx",
        C,
        "park",
        "说明表中的公式也不接受",
        lambda: xlsx_with_formulas(C, "park", [("填写说明", "@B3", 0, "=1+1")]),
        [("'填写说明'!B3", "formula")],
    ),
    (
        "55_not_a_workbook.xlsx",
        A,
        "ito",
        "扩展名为xlsx但不是Excel文件",
        lambda: b"PK\x03\x04 this is not really a zip archive",
        [("file", "xlsx_unreadable")],
    ),
    (
        "56_other_template.xlsx",
        A,
        "manufacturing",
        "用数促中心模板申报两融制造业类",
        lambda: template_of(E, "center"),
        [("file", "template_mismatch")],
    ),
    (
        "57_nature_not_listed.json",
        A,
        "manufacturing",
        "企业性质“国企”不在选项内",
        lambda: as_json(ex(A, "manufacturing", basic={"nature": "国企"})),
        [("basic.nature", "choice")],
    ),
    (
        "58_functional_area_unknown.json",
        C,
        "supplier",
        "功能领域“区块链”不在表格2内",
        lambda: as_json(
            ex(C, "supplier", business={"functional_areas": ["软件研发及开发服务", "区块链"]})
        ),
        [("business.functional_areas", "choice")],
    ),
    (
        "59_unlisted_without_statements.json",
        D,
        "supplier",
        "非上市公司未附资产负债表、利润表和审计报告",
        lambda: as_json(ex(D, "supplier", basic={"listed": False})),
        [
            ("attachments.balance_sheet", "required_if"),
            ("attachments.income_statement", "required_if"),
            ("attachments.third_party_audit", "required_if"),
        ],
    ),
    (
        "60_bachelor_exceeds_staff.json",
        A,
        "manufacturing",
        "本科以上人数大于从业人数",
        lambda: as_json(ex(A, "manufacturing", staff={"bachelor_or_above": 3000})),
        [("staff.bachelor_or_above", "part_exceeds_total")],
    ),
    (
        "61_invention_exceeds_total.json",
        A,
        "ito",
        "发明专利数大于专利总数",
        lambda: as_json(ex(A, "ito", ito={"patents_invention": 70})),
        [("ito.patents_invention", "part_exceeds_total")],
    ),
    (
        "62_provider_row.json",
        E,
        "center",
        "服务商清单：核心能力51字、服务行业4个",
        lambda: as_json(
            center_with(
                lists={
                    "providers": [
                        {
                            "name": "楚天工业互联网有限公司",
                            "industries": ["汽车", "机械", "钢铁", "医药"],
                            "capability": "能" * 51,
                        }
                    ]
                }
            )
        ),
        [
            ("lists.providers[1].industries", "max_choices"),
            ("lists.providers[1].capability", "max_chars"),
        ],
    ),
    (
        "63_attachment_path.json",
        A,
        "manufacturing",
        "附件名含路径",
        lambda: as_json(
            ex(A, "manufacturing", attachments={"other_evidence": ["../../etc/passwd"]})
        ),
        [("attachments.other_evidence", "attachment_name")],
    ),
    (
        "64_section_is_text.json",
        A,
        "ito",
        "基本情况部分是一段文字",
        lambda: as_json(ex(A, "ito", basic="hello")),
        [("basic", "type")],
    ),
    (
        "65_bool_for_int.json",
        B,
        "manufacturing",
        "从业人数填true",
        lambda: as_json(ex(B, "manufacturing", staff={"employees": True})),
        [("staff.employees", "type")],
    ),
    (
        "66_lead_type_other_blank.json",
        E,
        "center",
        "牵头单位类型选“其它”未注明",
        lambda: as_json(center_with(basic={"lead_type": "其它"})),
        [("basic.lead_type_other", "required_if")],
    ),
    (
        "67_debt_ratio_101.json",
        E,
        "center",
        "资产负债率101%",
        lambda: as_json(center_with(finance={"2025": {"debt_ratio": "101"}})),
        [("finance[2025].debt_ratio", "percent_range")],
    ),
    (
        "68_many_at_once.json",
        E,
        "center",
        "六处错误一次报全",
        lambda: as_json(
            center_with(
                basic={
                    "uscc": wrong_check(ex(E, "center")["basic"]["uscc"]),
                    "main_industries": ["汽车", "机械", "钢铁", "医药"],
                },
                head={"mobile": "1361234567", "email": "x@y"},
                plan={"content_items": ["评估咨询"]},
                targets={"2027": None},
            )
        ),
        [
            ("basic.uscc", "uscc_check"),
            ("basic.main_industries", "max_choices"),
            ("head.mobile", "mobile"),
            ("head.email", "email"),
            ("plan.content_items", "min_choices"),
            ("targets[2027]", "year_missing"),
        ],
    ),
    (
        "69_hq_abroad_no_centre.json",
        D,
        "supplier",
        "总部在境外但未说明在华交付或研发中心",
        lambda: as_json(ex(D, "supplier", basic={"hq_in_china": False, "china_centre": None})),
        [("basic.china_centre", "required_if")],
    ),
    (
        "70_year_key_in_words.json",
        E,
        "center",
        "年度写成“二〇二四”",
        lambda: as_json(
            center_with(service={"二〇二四": ex(E, "center")["service"]["2024"], "2024": None})
        ),
        [("service[二〇二四]", "year_format"), ("service[2024]", "year_missing")],
    ),
    (
        "71_postcode_five_digits.json",
        A,
        "manufacturing",
        "邮编只有5位",
        lambda: as_json(ex(A, "manufacturing", basic={"postcode": "21510"})),
        [("basic.postcode", "pattern")],
    ),
    (
        "72_industry_twice.json",
        E,
        "center",
        "同一行业选了两次",
        lambda: as_json(center_with(basic={"main_industries": ["汽车", "汽车"]})),
        [("basic.main_industries", "duplicate_choice")],
    ),
    (
        "73_growth_below_minus_100.json",
        A,
        "manufacturing",
        "营业收入增长-120%",
        lambda: as_json(ex(A, "manufacturing", economics={"revenue_growth": "-120"})),
        [("economics.revenue_growth", "out_of_range")],
    ),
    (
        "74_wrong_suffix.txt",
        A,
        "manufacturing",
        "提交了.txt文件",
        lambda: as_json(ex(A, "manufacturing")),
        [("file", "format")],
    ),
    (
        "75_annual_report_year_2030.json",
        A,
        ANNUAL_REPORT,
        "年度报告年份2030（两融2026—2028）",
        lambda: as_json(example_annual_report(A, report={"year": 2030})),
        [("report.year", "year_span")],
    ),
    (
        "76_annual_report_negative.yaml",
        B,
        ANNUAL_REPORT,
        "年度报告营业收入为负、缺进展",
        lambda: as_yaml(example_annual_report(B, report={"revenue": "-5", "progress": None})),
        [("report.revenue", "negative"), ("report.progress", "required")],
    ),
    (
        "77_founded_1850.json",
        E,
        "center",
        "成立时间早于1900年",
        lambda: as_json(center_with(basic={"founded": "1850-01-01"})),
        [("basic.founded", "out_of_range")],
    ),
    (
        "78_nested_too_deep.json",
        C,
        "park",
        "数组嵌套十万层（解析器递归溢出）",
        lambda: b"[" * 100_000,
        [("file", "too_deep")],
    ),
    (
        "79_yaml_tag.yaml",
        C,
        "park",
        "YAML使用python标签",
        lambda: b"basic: !!python/object/apply:os.system [echo hi]\n",
        [("file", "yaml_tag")],
    ),
    (
        "80_yaml_merge.yaml",
        C,
        "park",
        "YAML合并键",
        lambda: b"basic:\n  <<: {park_name: A}\n",
        [("file", "yaml_merge")],
    ),
    (
        "81_dimension_whole_sheet.xlsx",
        A,
        "ito",
        "工作表声明的范围为整张表（1048576行×16384列）",
        lambda: with_dimension(template_of(A, "ito"), "xl/worksheets/sheet2.xml", "A1:XFD1048576"),
        [("file", "xlsx_limit")],
    ),
    (
        "82_external_link.xlsx",
        A,
        "ito",
        "含有外部工作簿链接",
        lambda: with_member(
            template_of(A, "ito"),
            "xl/externalLinks/externalLink1.xml",
            b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
        ),
        [("file", "external_link")],
    ),
]


def main() -> int:
    expected: dict[str, Any] = {}
    names = [case[0] for case in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    for old in HERE.iterdir():
        if old.name[:2].isdigit():
            old.unlink()
    failed = False
    for name, edition, kind, about, make, intent in CASES:
        path = HERE / name
        path.write_bytes(make())
        issues = intake(path, edition, kind)
        found = [(issue.path, issue.code) for issue in issues]
        if found != intent:
            failed = True
            print(f"{name}: expected {intent}\n    got {found}", file=sys.stderr)
            for issue in issues:
                print(f"      {issue}", file=sys.stderr)
        expected[name] = {
            "edition": edition,
            "kind": kind,
            "about": about,
            "issues": [f"{issue.code} | {issue}" for issue in issues],
        }
    text = yaml.safe_dump(expected, allow_unicode=True, sort_keys=False, width=200)
    header = "# Generated by build.py from the cases written there; each line: code | path: 中文 (English)\n"
    (HERE / "expected.yaml").write_text(header + text, encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
