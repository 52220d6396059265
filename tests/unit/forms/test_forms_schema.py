"""Form schemas as data: what the seeds fix is what the schemas say."""

from __future__ import annotations

import pytest

from programs.forms import UnknownForm, annual_report_schema, available_forms, form_schema
from programs.forms.schema import (
    SchemaError,
    _check,
    _criterion,
    _field,
    _section,
    functional_area_tree,
    taxonomies,
)

EDITIONS = {
    "liangrong-2026": ("ito", "manufacturing"),
    "liangrong-2021": ("ito", "manufacturing"),
    "cciip-2023": ("park", "supplier", "training"),
    "cciip-2018": ("park", "supplier", "training"),
    "szzx-2026-2": ("center",),
}


def test_every_edition_and_kind_has_a_form() -> None:
    assert available_forms() == EDITIONS
    for edition, kinds in EDITIONS.items():
        annual_report_schema(edition)
        for kind in kinds:
            schema = form_schema(edition, kind)
            assert schema.edition_id == edition and schema.kind == kind
            assert schema.title_zh and schema.sections


def test_unknown_edition_or_kind_is_refused_naming_what_exists() -> None:
    with pytest.raises(UnknownForm, match="liangrong-2026"):
        form_schema("liangrong-2029", "ito")
    with pytest.raises(UnknownForm, match="ito, manufacturing"):
        form_schema("liangrong-2026", "park")
    with pytest.raises(UnknownForm):
        form_schema("../etc", "passwd")


def test_training_institution_is_an_alias() -> None:
    assert form_schema("cciip-2023", "training_institution") is form_schema(
        "cciip-2023", "training"
    )


@pytest.mark.parametrize(
    ("edition", "kind", "path", "years"),
    [
        (
            "liangrong-2026",
            "manufacturing",
            "manufacturing.informatization_share",
            (2023, 2024, 2025),
        ),
        ("liangrong-2026", "ito", "ito.ito_execution", (2023, 2024, 2025)),
        (
            "liangrong-2021",
            "manufacturing",
            "manufacturing.informatization_share",
            (2018, 2019, 2020),
        ),
        ("liangrong-2021", "ito", "ito.ito_execution", (2018, 2019, 2020)),
    ],
)
def test_liangrong_years(edition: str, kind: str, path: str, years: tuple[int, ...]) -> None:
    assert form_schema(edition, kind).field(path).years == years


def test_center_years_and_targets_to_2028() -> None:
    schema = form_schema("szzx-2026-2", "center")
    for section in ("finance", "service", "resources"):
        assert schema.section(section).years == (2024, 2025)
    assert schema.section("targets").years[-1] == 2028


def test_center_plan_limits_and_contents() -> None:
    schema = form_schema("szzx-2026-2", "center")
    limits = {
        item.label_zh: item.max_chars
        for item in schema.section("plan").fields
        if item.type == "text"
    }
    assert limits == {
        "（一）基础条件": 1000,
        "（二）建设目标": 500,
        "（三）建设内容": 2500,
        "（四）组织保障": 500,
    }
    contents = schema.field("plan.content_items")
    assert contents.min_items == 3
    assert contents.choices == (
        "评估咨询",
        "方案开发",
        "项目实施",
        "供需对接",
        "设施联通",
        "数据共享",
        "人才培养",
        "政策宣贯",
    )
    industries = schema.field("basic.main_industries")
    assert industries.max_items == 3 and len(industries.choices) == 14
    assert schema.field("consortium.members").max_items == 6


def test_taxonomies_from_the_seeds() -> None:
    tax = taxonomies()
    assert tax["enterprise_nature"] == ("中央管理", "地方国有集体", "外商投资", "民营", "其他")
    assert tax["outsourcing_industries"] == (
        "金融和保险",
        "政府和教育",
        "制造",
        "零售",
        "信息服务业",
        "能源",
        "交通运输",
        "卫生健康",
    )
    assert len(tax["national_industry_categories"]) == 13
    tree = functional_area_tree()
    assert [group for group, _area, _items in tree[::3]] == [
        "信息技术外包（ITO）",
        "业务流程外包（BPO）",
        "知识流程外包（KPO）",
    ]
    assert [area for _g, area, _i in tree] == [
        "软件研发外包",
        "信息技术服务外包",
        "运营和维护服务",
        "内部管理外包服务",
        "业务运营外包服务",
        "供应链外包服务",
        "商务服务外包",
        "技术服务外包",
        "研发服务外包",
    ]
    assert sum(len(items) for _g, _a, items in tree) == len(tax["functional_areas"]) == 40


@pytest.mark.parametrize(
    ("edition", "kind", "blocks"),
    [
        (
            "liangrong-2026",
            "ito",
            ("省级商务主管部门意见", "省级工业和信息化主管部门意见", "中央企业集团意见"),
        ),
        (
            "liangrong-2021",
            "manufacturing",
            ("省级商务主管部门意见", "省级工业和信息化主管部门意见", "中央企业集团意见"),
        ),
        ("szzx-2026-2", "center", ("推荐单位意见",)),
        ("cciip-2023", "supplier", ("当地商务主管部门意见",)),
    ],
)
def test_opinion_blocks(edition: str, kind: str, blocks: tuple[str, ...]) -> None:
    assert form_schema(edition, kind).opinion_blocks() == blocks


def test_units_on_amounts_people_and_percentages() -> None:
    schema = form_schema("liangrong-2021", "ito")
    assert schema.field("economics.revenue").unit == "万元"
    assert schema.field("staff.employees").unit == "人"
    assert schema.field("ito.mfg_customers").unit == "个"
    assert schema.field("ito.mfg_revenue_share").unit == "%"


def test_criteria_cite_clauses() -> None:
    for edition, kinds in EDITIONS.items():
        for kind in kinds:
            for spec in form_schema(edition, kind).criteria:
                assert spec.clause and spec.label_zh


def test_bad_field_definitions_are_refused_naming_the_entry() -> None:
    with pytest.raises(SchemaError, match=r"x\.yaml.*type"):
        _field({"id": "a", "label_zh": "甲", "type": "money"}, "x.yaml")
    with pytest.raises(SchemaError, match="unit"):
        _field({"id": "a", "label_zh": "甲", "type": "decimal", "unit": "元"}, "x.yaml")
    with pytest.raises(SchemaError, match="choices"):
        _field({"id": "a", "label_zh": "甲", "type": "choice"}, "x.yaml")
    with pytest.raises(SchemaError, match="unknown keys"):
        _field({"id": "a", "label_zh": "甲", "type": "text", "maxchars": 5}, "x.yaml")
    with pytest.raises(SchemaError, match="pattern_zh"):
        _field({"id": "a", "label_zh": "甲", "type": "text", "pattern": "^1$"}, "x.yaml")


def test_bad_sections_and_criteria_are_refused() -> None:
    with pytest.raises(SchemaError, match="years"):
        _section(
            {
                "id": "s",
                "label_zh": "部分",
                "label_en": "S",
                "years": [2025, 2024],
                "fields": [{"id": "a", "label_zh": "甲", "type": "int"}],
            },
            "x.yaml",
        )
    with pytest.raises(SchemaError, match="threshold"):
        _criterion(
            {"id": "c", "label_zh": "条件", "rule": "at_least", "clause": "一", "field": "s.a"},
            "x.yaml",
        )
    with pytest.raises(SchemaError, match="evidence"):
        _criterion({"id": "c", "label_zh": "条件", "rule": "qualitative", "clause": "一"}, "x.yaml")


def test_checks_between_fields_name_their_rule_and_clause() -> None:
    """The seeds' rules between fields are data: 其中 parts, kinds of one total, loss vs 盈利."""
    checks = {c.rule: c for c in form_schema("liangrong-2021", "ito").checks}
    assert checks["sum_of"].parts == (
        "ito.patents_invention",
        "ito.patents_utility",
        "ito.patents_design",
    )
    assert (checks["sum_of"].whole, checks["sum_of"].clause) == (
        "ito.patents_total",
        "专利法 第二条",
    )
    loss = checks["no_loss_if"]
    assert (loss.part, loss.whole) == ("economics.profit", "economics.profitable_3_years")
    assert "商办服贸函〔2021〕360号 附件2" in loss.clause
    with pytest.raises(SchemaError, match=r"x\.yaml.*no_loss_if, part_of, sum_of"):
        _check({"rule": "less_than", "part": "a.b", "whole": "a.c"}, "x.yaml")
    with pytest.raises(SchemaError, match="parts"):
        _check({"rule": "sum_of", "parts": ["a.b"], "whole": "a.c"}, "x.yaml")
    with pytest.raises(SchemaError, match="flag"):
        _check({"rule": "no_loss_if", "field": "a.b"}, "x.yaml")
