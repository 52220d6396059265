"""Validation: every problem at once, values typed exactly, text kept as written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from programs.forms import (
    FormIssue,
    FormValidationError,
    clean_form,
    example_form,
    parse_form,
    validate_annual_report,
    validate_form,
)
from programs.forms.examples import example_annual_report

A, B, C, D, E = "liangrong-2026", "liangrong-2021", "cciip-2023", "cciip-2018", "szzx-2026-2"


def codes(issues: list[FormIssue]) -> list[tuple[str, str]]:
    return [(issue.path, issue.code) for issue in issues]


def test_issue_text_names_path_and_both_languages() -> None:
    issue = FormIssue("basic.uscc", "uscc_check", "校验码错误", "check character wrong")
    assert str(issue) == "basic.uscc: 校验码错误 (check character wrong)"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("4800", Decimal("4800")),
        ("4,800", Decimal("4800")),
        ("1,234,567.5", Decimal("1234567.5")),
        (" 4800 ", Decimal("4800")),
        ("４８００", Decimal("4800")),  # full-width digits
        (4800, Decimal("4800")),
        (4800.5, Decimal("4800.5")),  # a float goes through its shortest repr
        (Decimal("4800.25"), Decimal("4800.25")),
    ],
)
def test_amounts_accept_numbers_and_numeric_strings(raw: object, expected: Decimal) -> None:
    typed, issues = parse_form(
        A, "manufacturing", example_form(A, "manufacturing", economics={"revenue": raw})
    )
    assert issues == []
    assert typed["economics"]["revenue"] == expected
    assert isinstance(typed["economics"]["revenue"], Decimal)


@pytest.mark.parametrize(
    "raw", ["4,80", "4800万", "1e5", "", "NaN", "inf", True, [4800], float("nan")]
)
def test_amounts_refuse_non_numbers(raw: object) -> None:
    issues = validate_form(
        A, "manufacturing", example_form(A, "manufacturing", economics={"revenue": raw})
    )
    expected = "required" if raw == "" else "type"
    assert codes(issues) == [("economics.revenue", expected)]


def test_binary_float_noise_is_refused() -> None:
    form = example_form(A, "ito", ito={"mfg_revenue_share": 0.1 + 0.2})
    assert codes(validate_form(A, "ito", form)) == [("ito.mfg_revenue_share", "precision")]


def test_amount_precision_is_to_the_yuan() -> None:
    ok = example_form(A, "ito", economics={"revenue": "86200.0001"})
    assert validate_form(A, "ito", ok) == []
    bad = example_form(A, "ito", economics={"revenue": "86200.00001"})
    assert codes(validate_form(A, "ito", bad)) == [("economics.revenue", "precision")]


def test_magnitude_bound_is_inclusive() -> None:
    at_cap = example_form(A, "ito", economics={"revenue": "1000000000"})
    assert validate_form(A, "ito", at_cap) == []
    over = example_form(A, "ito", economics={"revenue": "1000000000.0001"})
    assert codes(validate_form(A, "ito", over)) == [("economics.revenue", "magnitude")]


@pytest.mark.parametrize(
    ("raw", "ok"), [("0", True), ("100", True), ("60%", True), ("-0.01", False), ("100.01", False)]
)
def test_percent_bounds(raw: str, ok: bool) -> None:
    issues = validate_form(
        A, "manufacturing", example_form(A, "manufacturing", manufacturing={"networked_rate": raw})
    )
    assert codes(issues) == ([] if ok else [("manufacturing.networked_rate", "percent_range")])


def test_signed_fields_take_losses() -> None:
    economics = {"profit": "-1200.5", "profit_growth": "-250", "profitable_3_years": "否"}
    form = example_form(A, "ito", economics=economics)
    assert validate_form(A, "ito", form) == []


# ---------------------------------------------------------------- rules between fields


@pytest.mark.parametrize("edition", [A, B])
@pytest.mark.parametrize(
    ("kinds", "total", "ok"),
    [
        ((31, 22, 5), 58, True),  # the three kinds add up to the total
        ((20, 10, 5), 58, True),  # fewer: a patent of another kind is not asked for
        ((31, 22, 6), 58, False),  # each kind below the total, together one more
        ((1, 1, 1), 2, False),
    ],
)
def test_patent_kinds_together_do_not_exceed_the_total(
    edition: str, kinds: tuple[int, int, int], total: int, ok: bool
) -> None:
    """专利法 第二条: 发明创造是指发明、实用新型和外观设计 — the three kinds are parts of 专利数."""
    invention, utility, design = kinds
    ito = {
        "patents_total": total,
        "patents_invention": invention,
        "patents_utility": utility,
        "patents_design": design,
    }
    issues = validate_form(edition, "ito", example_form(edition, "ito", ito=ito))
    if ok:
        assert issues == []
        return
    assert codes(issues) == [("ito.patents_total", "parts_exceed_total")]
    (issue,) = issues
    shown = sum(kinds)
    assert issue.message_zh == (
        f"发明专利 + 实用新型专利 + 外观设计专利（{invention} + {utility} + {design} = {shown} 个）"
        f"不得大于专利数（{total} 个）（专利法 第二条）"
    )
    assert "专利法 第二条" in issue.message_en and "ito.patents_total" in issue.message_en


def test_one_kind_above_the_total_is_reported_once() -> None:
    ito = {"patents_total": 10, "patents_invention": 11, "patents_utility": 0, "patents_design": 0}
    issues = validate_form(A, "ito", example_form(A, "ito", ito=ito))
    assert codes(issues) == [("ito.patents_invention", "part_exceeds_total")]


@pytest.mark.parametrize("edition", [A, B])
@pytest.mark.parametrize("kind", ["ito", "manufacturing"])
@pytest.mark.parametrize(
    ("profit", "profitable", "ok"),
    [
        ("-0.01", True, False),
        ("-0.01", "是", False),
        ("0", True, True),  # break-even is no loss
        ("9650.25", True, True),
        ("-1200", False, True),
    ],
)
def test_a_loss_contradicts_three_profitable_years(
    edition: str, kind: str, profit: str, profitable: object, ok: bool
) -> None:
    """申报表 上年度经济效益: 利润总额 beside 是否三年连续盈利; a loss last year makes 是 false."""
    economics = {"profit": profit, "profitable_3_years": profitable}
    issues = validate_form(edition, kind, example_form(edition, kind, economics=economics))
    if ok:
        assert issues == []
        return
    assert codes(issues) == [("economics.profit", "loss_contradicts")]
    clause = "商办服贸函〔2021〕360号 附件2" if edition == B else "申报表“上年度经济效益”"
    assert issues[0].message_zh.startswith(
        "利润总额为亏损（-0.01 万元），与“是否三年连续盈利：是”矛盾（"
    )
    assert clause in issues[0].message_zh and clause in issues[0].message_en
    assert "economics.profitable_3_years = yes" in issues[0].message_en


def test_rule_gaps_are_reported_with_every_other_problem() -> None:
    form = example_form(
        B,
        "ito",
        basic={"contact_mobile": "10086"},
        economics={"profit": "-3", "profitable_3_years": True},
        ito={"patents_total": 2, "patents_invention": 1, "patents_utility": 1, "patents_design": 1},
    )
    assert codes(validate_form(B, "ito", form)) == [
        ("basic.contact_mobile", "mobile"),
        ("ito.patents_total", "parts_exceed_total"),
        ("economics.profit", "loss_contradicts"),
    ]


def test_every_problem_is_reported_at_once_in_form_order() -> None:
    form = example_form(
        A,
        "ito",
        basic={"uscc": "91350100M000100Y44", "contact_mobile": "10086", "email": "a@b"},
        staff={"employees": "many"},
        economics={"total_assets": "-3"},
        ito={"ito_execution": {"2022": "1", "2025": None}, "mfg_revenue_share": "120"},
        attachments={"audited_statements": None},
    )
    assert codes(validate_form(A, "ito", form)) == [
        ("basic.uscc", "uscc_check"),
        ("basic.contact_mobile", "mobile"),
        ("basic.email", "email"),
        ("staff.employees", "type"),
        ("economics.total_assets", "negative"),
        ("ito.ito_execution[2022]", "year_span"),
        ("ito.ito_execution[2025]", "year_missing"),
        ("ito.mfg_revenue_share", "percent_range"),
        ("attachments.audited_statements", "required"),
    ]


def test_missing_sections_each_reported() -> None:
    issues = validate_form(E, "center", {})
    required = [
        "basic",
        "head",
        "finance",
        "service",
        "resources",
        "plan",
        "targets",
        "attachments",
    ]
    assert codes(issues) == [(section, "section_missing") for section in required]


def test_root_must_be_a_mapping() -> None:
    assert codes(validate_form(E, "center", ["basic"])) == [("form", "type")]


@pytest.mark.parametrize(
    "mobile", ["13800138000", "+8613800138000", "138 0013 8000", "138-0013-8000", 13800138000]
)
def test_mobile_forms_accepted_and_normalized(mobile: object) -> None:
    typed, issues = parse_form(E, "center", example_form(E, "center", head={"mobile": mobile}))
    assert issues == []
    assert typed["head"]["mobile"] == "13800138000"


@pytest.mark.parametrize(
    "mobile", ["12800138000", "1380013800", "138001380000", "23800138000", "1380013800a"]
)
def test_mobile_malformed(mobile: str) -> None:
    issues = validate_form(E, "center", example_form(E, "center", head={"mobile": mobile}))
    assert codes(issues) == [("head.mobile", "mobile")]


@pytest.mark.parametrize(
    "email", ["a@b", "a.example.com", "a@@example.com", "a b@example.com", "<a@example.com>"]
)
def test_email_malformed(email: str) -> None:
    issues = validate_form(E, "center", example_form(E, "center", head={"email": email}))
    assert codes(issues) == [("head.email", "email")]


def test_uscc_lower_case_is_normalized() -> None:
    code = example_form(A, "ito")["basic"]["uscc"]
    typed, issues = parse_form(A, "ito", example_form(A, "ito", basic={"uscc": code.lower()}))
    assert issues == [] and typed["basic"]["uscc"] == code


def test_three_industries_pass_four_fail() -> None:
    three = example_form(E, "center", basic={"main_industries": ["汽车", "机械", "医药"]})
    assert validate_form(E, "center", three) == []
    four = example_form(E, "center", basic={"main_industries": "汽车；机械；医药；钢铁"})
    assert codes(validate_form(E, "center", four)) == [("basic.main_industries", "max_choices")]


def test_six_members_pass_seven_fail() -> None:
    members = [{"name": f"成员{i}", "type": "服务商"} for i in range(7)]
    assert (
        validate_form(E, "center", example_form(E, "center", consortium={"members": members[:6]}))
        == []
    )
    issues = validate_form(E, "center", example_form(E, "center", consortium={"members": members}))
    assert codes(issues) == [("consortium.members", "max_rows")]


def test_single_applicant_needs_no_agreement() -> None:
    form = example_form(E, "center", consortium=None, attachments={"consortium_agreement": None})
    assert validate_form(E, "center", form) == []


def test_invalid_member_rows_still_make_a_consortium_needing_its_agreement() -> None:
    form = example_form(
        E,
        "center",
        consortium={"members": [{"name": "成员", "type": "合作方"}]},
        attachments={"consortium_agreement": None},
    )
    assert codes(validate_form(E, "center", form)) == [
        ("consortium.members[1].type", "choice"),
        ("attachments.consortium_agreement", "required_if"),
    ]


@pytest.mark.parametrize(
    ("field", "limit"),
    [("foundation", 1000), ("goals", 500), ("contents", 2500), ("organization", 500)],
)
def test_plan_limits_exactly_at_the_limit_pass(field: str, limit: int) -> None:
    text = "字" * limit + "\n\n  "  # whitespace and line breaks are not counted
    assert validate_form(E, "center", example_form(E, "center", plan={field: text})) == []
    issues = validate_form(E, "center", example_form(E, "center", plan={field: "字" * (limit + 1)}))
    assert codes(issues) == [(f"plan.{field}", "max_chars")]


def test_three_contents_pass_two_fail() -> None:
    ok = example_form(E, "center", plan={"content_items": ["评估咨询", "方案开发", "政策宣贯"]})
    assert validate_form(E, "center", ok) == []
    bad = example_form(E, "center", plan={"content_items": ["评估咨询", "方案开发"]})
    assert codes(validate_form(E, "center", bad)) == [("plan.content_items", "min_choices")]


@pytest.mark.parametrize("year", ["2026", "2027", "2028"])
def test_every_target_year_up_to_2028_is_required(year: str) -> None:
    issues = validate_form(E, "center", example_form(E, "center", targets={year: None}))
    assert codes(issues) == [(f"targets[{year}]", "year_missing")]


def test_year_keys_may_be_numbers_or_strings() -> None:
    form = example_form(E, "center")
    form["finance"] = {2024: form["finance"]["2024"], 2025: form["finance"]["2025"]}
    typed, issues = parse_form(E, "center", form)
    assert issues == [] and set(typed["finance"]) == {2024, 2025}


def test_text_is_kept_exactly_as_written_markup_included() -> None:
    text = "<script>alert('x')</script>\n<b>粗体</b> & =SUM(A1:A3) {{ jinja }} ${shell}"
    typed, issues = parse_form(E, "center", example_form(E, "center", plan={"foundation": text}))
    assert issues == []
    assert typed["plan"]["foundation"] == text


def test_control_characters_refused_but_line_breaks_and_tabs_kept() -> None:
    ok = example_form(A, "ito", business={"cases": "案例一\r\n\t案例二"})
    assert validate_form(A, "ito", ok) == []
    bad = example_form(A, "ito", business={"cases": "案例\x1b[31m"})
    assert codes(validate_form(A, "ito", bad)) == [("business.cases", "control_char")]


def test_typed_values() -> None:
    typed = clean_form(E, "center", example_form(E, "center"))
    assert typed["basic"]["founded"] == date(2019, 4, 12)
    assert typed["basic"]["is_legal_person"] is True
    assert typed["finance"][2025]["main_revenue"] == Decimal("23400")
    assert typed["service"][2024]["enterprises_served"] == 86
    assert typed["attachments"]["licence"] == ["营业执照副本.pdf"]
    assert typed["lists"]["contracts"][0]["date"] == date(2025, 3, 18)


@pytest.mark.parametrize(
    ("raw", "value"), [("是", True), ("否", False), ("yes", True), ("FALSE", False), (False, False)]
)
def test_bool_spellings(raw: object, value: bool) -> None:
    typed = clean_form(A, "ito", example_form(A, "ito", ito={"own_software_ip": raw}))
    assert typed["ito"]["own_software_ip"] is value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2019/4/12", date(2019, 4, 12)),
        ("2019年4月12日", date(2019, 4, 12)),
        (date(2019, 4, 12), date(2019, 4, 12)),
    ],
)
def test_date_spellings(raw: object, value: date) -> None:
    assert (
        clean_form(E, "center", example_form(E, "center", basic={"founded": raw}))["basic"][
            "founded"
        ]
        == value
    )


def test_attachment_lines_are_files() -> None:
    typed = clean_form(
        E, "center", example_form(E, "center", attachments={"statements": "a.pdf\nb.pdf\n"})
    )
    assert typed["attachments"]["statements"] == ["a.pdf", "b.pdf"]


def test_required_if_on_a_choice() -> None:
    form = example_form(C, "supplier", business={"industry_category": "其它"})
    assert codes(validate_form(C, "supplier", form)) == [
        ("business.industry_category_other", "required_if")
    ]
    form["business"]["industry_category_other"] = "区块链服务"
    assert validate_form(C, "supplier", form) == []


def test_listed_company_needs_audit_report_in_edition_d() -> None:
    form = example_form(D, "supplier", attachments={"audit_report": None})
    assert codes(validate_form(D, "supplier", form)) == [
        ("attachments.audit_report", "required_if")
    ]


def test_parts_may_equal_the_total() -> None:
    form = example_form(
        A,
        "manufacturing",
        staff={"employees": 1000, "bachelor_or_above": 1000, "mid_title_or_above": 1000},
    )
    assert validate_form(A, "manufacturing", form) == []
    form["staff"]["bachelor_or_above"] = 1001
    assert codes(validate_form(A, "manufacturing", form)) == [
        ("staff.bachelor_or_above", "part_exceeds_total")
    ]


def test_clean_form_raises_with_every_issue() -> None:
    form = example_form(A, "ito", basic={"email": "x", "contact_mobile": "1"})
    with pytest.raises(FormValidationError) as caught:
        clean_form(A, "ito", form)
    assert [issue.code for issue in caught.value.issues] == ["mobile", "email"]
    assert "表单有2处错误" in str(caught.value)


def test_annual_reports_validate_per_edition() -> None:
    for edition in (A, B, C, D, E):
        assert validate_annual_report(edition, example_annual_report(edition)) == []
    assert codes(validate_annual_report(A, example_annual_report(A, report={"year": 2025}))) == [
        ("report.year", "year_span")
    ]
    assert validate_annual_report(A, example_annual_report(A, report={"year": 2028})) == []
    bad = example_annual_report(B, report={"outsourcing_amount": "60000", "revenue": "52000"})
    assert codes(validate_annual_report(B, bad)) == [
        ("report.outsourcing_amount", "part_exceeds_total")
    ]
