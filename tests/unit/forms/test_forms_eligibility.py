"""Eligibility: every threshold exactly at its bound passes and one unit below fails."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from programs.forms import eligibility, example_form, validate_form

A, B, C, D, E = "liangrong-2026", "liangrong-2021", "cciip-2023", "cciip-2018", "szzx-2026-2"
YEARS = {A: ("2023", "2024", "2025"), B: ("2018", "2019", "2020")}
SMALL_STAFF = {"bachelor_or_above": 500, "mid_title_or_above": 200}


def check(edition: str, kind: str, criterion: str, *, valid: bool = True, **overrides: Any):
    form = example_form(edition, kind, **overrides)
    if valid:
        assert validate_form(edition, kind, form) == [], "boundary forms must be valid forms"
    return eligibility(edition, kind, form).criterion(criterion)


# ---------------------------------------------------------------- 两融 manufacturing


@pytest.mark.parametrize("edition", [A, B])
@pytest.mark.parametrize("index", [0, 1, 2])
@pytest.mark.parametrize(("share", "status"), [("5", "met"), ("4.99", "not_met")])
def test_informatization_share_each_year(edition: str, index: int, share: str, status: str) -> None:
    year = YEARS[edition][index]
    result = check(
        edition,
        "manufacturing",
        "informatization_share",
        manufacturing={"informatization_share": {year: share}},
    )
    assert result.status == status
    assert result.values[f"manufacturing.informatization_share[{year}]"] == Decimal(share)


def test_informatization_text_lists_failing_year() -> None:
    result = check(
        A,
        "manufacturing",
        "informatization_share",
        manufacturing={"informatization_share": {"2024": "4.99"}},
    )
    assert (
        result.text == "信息化建设投入占营业收入比例 2024年: 4.99% < 5%（申报工作方案 五（二）4）"
    )


@pytest.mark.parametrize("edition", [A, B])
@pytest.mark.parametrize(("rate", "status"), [("60", "met"), ("59.99", "not_met")])
def test_networked_rate(edition: str, rate: str, status: str) -> None:
    assert (
        check(
            edition, "manufacturing", "networked_rate", manufacturing={"networked_rate": rate}
        ).status
        == status
    )


@pytest.mark.parametrize("edition", [A, B])
@pytest.mark.parametrize(("employees", "status"), [(1000, "met"), (999, "not_met")])
def test_employees(edition: str, employees: int, status: str) -> None:
    result = check(
        edition, "manufacturing", "employees", staff={"employees": employees, **SMALL_STAFF}
    )
    assert result.status == status


@pytest.mark.parametrize("edition", [A, B])
@pytest.mark.parametrize(
    ("revenue", "status"), [("50000", "met"), ("49999", "not_met"), ("49999.9999", "not_met")]
)
def test_revenue(edition: str, revenue: str, status: str) -> None:
    assert (
        check(edition, "manufacturing", "revenue", economics={"revenue": revenue}).status == status
    )


def test_revenue_text() -> None:
    result = check(B, "manufacturing", "revenue", economics={"revenue": "49999"})
    assert result.text == "年营业收入: 49,999 万元 < 50,000 万元（申报工作方案（试行） 五（二）6）"
    assert result.threshold == "≥ 50,000 万元"


# ---------------------------------------------------------------- 两融 ITO


def test_ito_execution_text_as_the_issue_words_it() -> None:
    result = check(A, "ito", "ito_execution", ito={"ito_execution": {"2024": "4800"}})
    assert result.status == "not_met"
    assert result.text == "ITO执行额 2024年: 4,800 万元 < 5,000 万元（申报工作方案 五（三）2）"


@pytest.mark.parametrize("edition", [A, B])
@pytest.mark.parametrize("index", [0, 1, 2])
@pytest.mark.parametrize(("amount", "status"), [("5000", "met"), ("4999.9999", "not_met")])
def test_ito_execution_each_year(edition: str, index: int, amount: str, status: str) -> None:
    year = YEARS[edition][index]
    assert (
        check(edition, "ito", "ito_execution", ito={"ito_execution": {year: amount}}).status
        == status
    )


@pytest.mark.parametrize("edition", [A, B])
@pytest.mark.parametrize(("customers", "status"), [(10, "met"), (9, "not_met")])
def test_manufacturing_customers(edition: str, customers: int, status: str) -> None:
    assert check(edition, "ito", "mfg_customers", ito={"mfg_customers": customers}).status == status


@pytest.mark.parametrize("edition", [A, B])
@pytest.mark.parametrize(("share", "status"), [("20", "met"), ("19.99", "not_met")])
def test_manufacturing_revenue_share(edition: str, share: str, status: str) -> None:
    assert (
        check(edition, "ito", "mfg_revenue_share", ito={"mfg_revenue_share": share}).status
        == status
    )


@pytest.mark.parametrize("edition", [A, B])
@pytest.mark.parametrize(("flag", "status"), [(True, "met"), (False, "not_met")])
def test_registered_and_own_ip(edition: str, flag: bool, status: str) -> None:
    assert (
        check(edition, "ito", "mofcom_registered", ito={"mofcom_registered": flag}).status == status
    )
    assert check(edition, "ito", "own_software_ip", ito={"own_software_ip": flag}).status == status


@pytest.mark.parametrize(
    ("total", "copyrights", "status"), [(1, 0, "met"), (0, 1, "met"), (0, 0, "not_met")]
)
def test_patents_or_copyrights_more_than_zero(total: int, copyrights: int, status: str) -> None:
    ito = {
        "patents_total": total,
        "patents_invention": 0,
        "patents_utility": 0,
        "patents_design": 0,
        "software_copyrights": copyrights,
    }
    assert check(A, "ito", "manufacturing_ip", ito=ito).status == status


def test_edition_b_counts_patents_without_copyrights() -> None:
    ito = {
        "patents_total": 1,
        "patents_invention": 1,
        "patents_utility": 0,
        "patents_design": 0,
        "software_copyrights": None,
    }
    result = check(B, "ito", "manufacturing_ip", ito=ito)
    assert result.status == "met"
    assert (
        result.text
        == "与制造业有关的专利、软件著作权: 专利数 1 = 1 个 > 0 个（申报工作方案（试行） 五（三）6）"
    )


def test_clauses_follow_each_editions_numbering() -> None:
    assert check(A, "ito", "mfg_customers").clause == "申报工作方案 五（三）5"
    assert check(B, "ito", "mfg_customers").clause == "申报工作方案（试行） 五（三）4"


# ---------------------------------------------------------------- 推介 suppliers


@pytest.mark.parametrize("edition", [C, D])
@pytest.mark.parametrize(("revenue", "status"), [("3000", "met"), ("2999.9999", "not_met")])
def test_outsourcing_revenue(edition: str, revenue: str, status: str) -> None:
    business = {"outsourcing_revenue": revenue, "offshore_revenue": "1000"}
    assert check(edition, "supplier", "outsourcing_revenue", business=business).status == status


@pytest.mark.parametrize("edition", [C, D])
@pytest.mark.parametrize(
    ("staff", "revenue", "status"),
    [
        (300, "3000", "met"),  # 300 staff: the size criterion alone
        (299, "10465", "met"),  # 299 staff x 35 万元 = 10,465
        (299, "10464.9999", "not_met"),
        (100, "3500", "met"),  # 35.00 per head
        (100, "3499", "not_met"),  # 34.99 per head
    ],
)
def test_scale_staff_or_revenue_per_head(
    edition: str, staff: int, revenue: str, status: str
) -> None:
    business = {"outsourcing_staff": staff, "outsourcing_revenue": revenue, "offshore_revenue": "0"}
    assert check(edition, "supplier", "scale", business=business).status == status


@pytest.mark.parametrize(
    ("edition", "size_clause", "per_head_clause"),
    [
        (C, "推荐及申报说明 一（一）3", "推荐及申报说明 一（一）4"),
        (D, "推荐说明 一（一）3", "推荐说明 一（一）3"),
    ],
)
def test_no_outsourcing_staff_meets_neither_test(
    edition: str, size_clause: str, per_head_clause: str
) -> None:
    """Seed 002 一（一）3、4: 300 outsourcing staff, or 35 万元 per head below 300; with nobody
    doing outsourcing work neither holds — a fact to report, not missing data."""
    business = {"outsourcing_staff": 0, "outsourcing_revenue": "5000", "offshore_revenue": "0"}
    result = check(edition, "supplier", "scale", business=business)
    assert result.status == "not_met"

    def leaves(r: Any) -> list[Any]:
        return [leaf for child in r.children for leaf in leaves(child)] if r.children else [r]

    assert all(leaf.status in ("met", "not_met") for leaf in leaves(result))
    per_head = [leaf for leaf in leaves(result) if leaf.id == "revenue_per_head"]
    assert [leaf.status for leaf in per_head] == ["not_met"]
    assert per_head[0].clause == per_head_clause
    assert "为0 人，无人均可计，未达到35 万元" in per_head[0].text
    assert size_clause in result.text and per_head_clause in result.text
    report = eligibility(edition, "supplier", example_form(edition, "supplier", business=business))
    assert report.thresholds_status == "not_met"


def test_per_head_text_rounds_down_so_it_never_contradicts_the_sign() -> None:
    business = {
        "outsourcing_staff": 299,
        "outsourcing_revenue": "10464.9999",
        "offshore_revenue": "0",
    }
    result = check(C, "supplier", "scale", business=business)
    assert (
        "人均外包业务收入: 10,464.9999 万元 / 299 人 = 34.99 万元 < 35 万元（推荐及申报说明 一（一）4）"
        in result.text
    )
    assert result.values["ratio"] == Decimal("34.99")


@pytest.mark.parametrize(
    ("hq", "delivery", "status"),
    [(True, True, "met"), (False, True, "not_met"), (True, False, "not_met")],
)
def test_edition_c_needs_headquarters_and_delivery_in_china(
    hq: bool, delivery: bool, status: str
) -> None:
    assert (
        check(
            C,
            "supplier",
            "headquarters_in_china",
            basic={"hq_in_china": hq, "delivery_in_china": delivery},
        ).status
        == status
    )


@pytest.mark.parametrize(
    ("hq", "delivery", "centre", "status"),
    [
        (True, True, None, "met"),
        (False, False, True, "met"),  # headquarters abroad with a delivery or R&D centre in China
        (False, False, False, "not_met"),
        (False, True, False, "not_met"),
    ],
)
def test_edition_d_accepts_headquarters_abroad_with_a_centre_in_china(
    hq: bool, delivery: bool, centre: bool | None, status: str
) -> None:
    basic = {"hq_in_china": hq, "delivery_in_china": delivery, "china_centre": centre}
    assert check(D, "supplier", "presence_in_china", basic=basic).status == status


# ---------------------------------------------------------------- 数促中心


@pytest.mark.parametrize(
    ("industries", "status", "valid"),
    [(["汽车", "机械", "医药"], "met", True), (["汽车", "机械", "医药", "钢铁"], "not_met", False)],
)
def test_at_most_three_industries(industries: list[str], status: str, valid: bool) -> None:
    result = check(
        E, "center", "main_industries", valid=valid, basic={"main_industries": industries}
    )
    assert result.status == status


@pytest.mark.parametrize(("years", "status"), [("2", "met"), ("1.9", "not_met")])
def test_two_years_serving_the_industries(years: str, status: str) -> None:
    assert check(E, "center", "service_years", basic={"service_years": years}).status == status


@pytest.mark.parametrize(("count", "status"), [(6, "met"), (7, "not_met")])
def test_at_most_six_members(count: int, status: str) -> None:
    members = [{"name": f"成员{i}", "type": "服务商"} for i in range(count)]
    result = check(
        E, "center", "consortium_members", valid=count <= 6, consortium={"members": members}
    )
    assert result.status == status
    assert result.text.startswith(
        f"联合体其他成员单位: {count} 家 {'≤' if count <= 6 else '>'} 6 家"
    )


def test_consortium_agreement() -> None:
    assert check(E, "center", "consortium_agreement").status == "met"
    missing = check(
        E, "center", "consortium_agreement", valid=False, attachments={"consortium_agreement": None}
    )
    assert missing.status == "not_met"
    alone = check(
        E,
        "center",
        "consortium_agreement",
        consortium=None,
        attachments={"consortium_agreement": None},
    )
    assert alone.status == "met" and "单独申报" in alone.text


@pytest.mark.parametrize(
    ("items", "status"),
    [(["评估咨询", "方案开发", "项目实施"], "met"), (["评估咨询", "方案开发"], "not_met")],
)
def test_three_of_eight_contents(items: list[str], status: str) -> None:
    result = check(
        E, "center", "content_items", valid=status == "met", plan={"content_items": items}
    )
    assert result.status == status


def test_legal_person() -> None:
    assert check(E, "center", "legal_person", basic={"is_legal_person": False}).status == "not_met"


# ---------------------------------------------------------------- qualitative, missing, report


def test_qualitative_criteria_list_the_evidence_given() -> None:
    result = check(
        A,
        "manufacturing",
        "transformation_plan",
        business={"transformation_plan": "一二三 四五"},
        attachments={"other_evidence": ["计划.pdf"]},
    )
    assert result.status == "needs_review"
    assert result.text == (
        "制订数字化转型整体推进计划: 需评审判断；申请人提供：推进企业数字化转型的整体推进计划（5字）；"
        "本方案第五条有关证明材料：计划.pdf（申报工作方案 五（二）1）"
    )
    assert result.evidence == (
        "推进企业数字化转型的整体推进计划（5字）",
        "本方案第五条有关证明材料：计划.pdf",
    )


def test_qualitative_without_evidence_is_missing() -> None:
    result = check(C, "park", "legal_person", valid=False, attachments={"legal_person_proof": None})
    assert result.status == "missing"
    assert "申请人未提供相关说明或附件" in result.text


def test_absent_and_invalid_values_are_told_apart() -> None:
    absent = check(A, "ito", "mfg_customers", valid=False, ito={"mfg_customers": None})
    invalid = check(A, "ito", "mfg_customers", valid=False, ito={"mfg_customers": "很多"})
    assert (absent.status, invalid.status) == ("missing", "missing")
    assert absent.text == "数字化解决方案覆盖制造业客户: 未填写（申报工作方案 五（三）5）"
    assert invalid.text == "数字化解决方案覆盖制造业客户: 填写有误（申报工作方案 五（三）5）"


def test_missing_year_is_named() -> None:
    result = check(A, "ito", "ito_execution", valid=False, ito={"ito_execution": {"2025": None}})
    assert result.status == "missing"
    assert "2025年: 未填写" in result.text


def test_report_statuses_and_json() -> None:
    report = eligibility(A, "ito", example_form(A, "ito", ito={"ito_execution": {"2024": "4800"}}))
    assert report.status == "not_met" and report.thresholds_status == "not_met"
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    ito = next(c for c in data["criteria"] if c["id"] == "ito_execution")
    assert ito["values"]["ito.ito_execution[2024]"] == "4800"
    assert ito["status_zh"] == "不满足"
    assert data["form_valid"] is True
    ok = eligibility(A, "ito", example_form(A, "ito"))
    assert ok.status == "needs_review" and ok.thresholds_status == "met"


def test_eligibility_never_blocks_an_invalid_form() -> None:
    report = eligibility(E, "center", {"basic": {"uscc": "bad"}})
    assert report.issues and report.to_dict()["issue_count"] == len(report.issues)
    assert report.criterion("legal_person").status == "missing"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(
        [(A, "ito"), (B, "manufacturing"), (C, "supplier"), (D, "supplier"), (E, "center")]
    ),
    st.dictionaries(
        st.sampled_from(
            ["basic", "staff", "ito", "business", "finance", "plan", "consortium", "x"]
        ),
        json_values,
        max_size=5,
    ),
)
def test_garbage_never_crashes_validation_or_eligibility(
    form_id: tuple[str, str], data: dict
) -> None:
    edition, kind = form_id
    issues = validate_form(edition, kind, data)
    report = eligibility(edition, kind, data)
    json.dumps(report.to_dict(), ensure_ascii=False)
    assert issues == list(report.issues)
