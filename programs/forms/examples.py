"""Valid example forms shipped as data (examples/<edition>/<kind>.json) and deterministic synthetic
applicants built from them, valid or with chosen mistakes, for the CLI, the demo and tests."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from programs.forms.schema import (
    Field,
    FormSchema,
    annual_report_schema,
    form_schema,
    normalize_kind,
    taxonomies,
)
from programs.forms.uscc import ALPHABET, make_uscc

EXAMPLES_DIR = Path(__file__).with_name("examples")
_REGIONS = (
    "110108",
    "310115",
    "440305",
    "320505",
    "330106",
    "420111",
    "510107",
    "370212",
    "350203",
    "210211",
    "430104",
    "410105",
    "130102",
    "500112",
    "610113",
)
_CITIES = (
    "京华",
    "浦江",
    "鹏城",
    "姑苏",
    "钱塘",
    "江城",
    "蓉城",
    "琴岛",
    "鹭岛",
    "滨城",
    "星城",
    "商都",
    "燕赵",
    "山城",
    "长安",
    "金陵",
    "羊城",
    "泉城",
    "榕城",
    "春城",
)
_CORES = (
    "智联",
    "数创",
    "云帆",
    "恒信",
    "启明",
    "博远",
    "华拓",
    "精工",
    "天衡",
    "睿达",
    "新锐",
    "中科",
    "远景",
    "同创",
    "瑞丰",
    "明德",
    "安捷",
    "卓越",
    "汇通",
    "凯盛",
)
_SUFFIX = {
    "manufacturing": ("智能装备股份有限公司", "精密制造有限公司", "汽车零部件有限公司"),
    "ito": ("信息技术有限公司", "软件股份有限公司", "数字科技有限公司"),
    "supplier": ("信息服务有限公司", "软件外包股份有限公司", "数据科技有限公司"),
    "park": ("软件园", "服务外包产业园", "数字经济产业园"),
    "training": ("服务外包培训学院", "信息技术职业学院", "软件人才培训中心"),
    "center": ("数字化转型服务有限公司", "工业互联网研究院有限公司", "智造服务有限公司"),
}
_USCC_HEAD = {"park": "12", "training": "52"}


def example_form(edition_id: str, kind: str, **overrides: Any) -> dict[str, Any]:
    """A valid form of `kind` in `edition_id` (JSON-safe: amounts as strings).

    Keyword arguments are sections merged into the example: a mapping merges key by key (nested
    mappings too), anything else replaces, None removes. E.g.
    `example_form("liangrong-2026", "ito", ito={"mofcom_registered": False})`.
    """
    form = copy.deepcopy(_example(edition_id, normalize_kind(kind)))
    return _merge(form, overrides)


def example_annual_report(edition_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid yearly report of `edition_id` (first year of its span)."""
    schema = annual_report_schema(edition_id)
    section = schema.section("report")
    year_field = section.field("year")
    report: dict[str, Any] = {
        "year": int(year_field.min) if year_field.min is not None else 2026,
        "revenue": "52000",
        "outsourcing_amount": "8600",
        "employees": 1200,
        "progress": "本年度持续推进数字化服务能力建设，新增制造业客户12家，完成重点项目8个。",
    }
    if any(item.id == "enterprises_served" for item in section.fields):
        report["enterprises_served"] = 150
    return _merge({"report": report}, overrides)


@cache
def _example(edition_id: str, kind: str) -> dict[str, Any]:
    path = EXAMPLES_DIR / edition_id / f"{kind}.json"
    if not path.is_file():
        form_schema(edition_id, kind)  # raises UnknownForm naming what exists
        raise FileNotFoundError(f"{path}: 缺少示例表单 (example form missing)")
    return json.loads(path.read_text(encoding="utf-8"))


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in overrides.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


# ---------------------------------------------------------------- synthetic applicants


def synthetic_form(
    edition_id: str, kind: str, rng: random.Random, valid: bool = True
) -> dict[str, Any]:
    """A plausible applicant drawn with `rng` (same seed, same form).

    valid=True: passes validate_form; about a third miss some eligibility threshold. valid=False:
    one to three mistakes of the kinds validation reports (bad USCC, mobile, e-mail, negative
    amount, percentage over 100, missing required field, over-long text, ...).
    """
    kind = normalize_kind(kind)
    schema = form_schema(edition_id, kind)
    form = example_form(edition_id, kind)
    _identity(form, schema, kind, rng)
    filler = {
        "manufacturing": _manufacturing,
        "ito": _ito,
        "supplier": _supplier,
        "park": _park,
        "training": _training,
        "center": _center,
    }[kind]
    filler(form, schema, rng)
    if not valid:
        _spoil(form, schema, rng)
    return form


def _money(value: float | int) -> str:
    return str(Decimal(str(round(value, 1))).normalize().quantize(Decimal("0.1")))


def _pct(rng: random.Random, low: float, high: float) -> str:
    return str(Decimal(rng.randint(int(low * 100), int(high * 100))) / 100)


def _mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def _identity(form: dict[str, Any], schema: FormSchema, kind: str, rng: random.Random) -> None:
    name = rng.choice(_CITIES) + rng.choice(_CORES) + rng.choice(_SUFFIX[kind])
    head = _USCC_HEAD.get(kind, "91")
    org = "".join(rng.choice(ALPHABET) for _ in range(9))
    uscc = make_uscc(head + rng.choice(_REGIONS) + org)
    basic = form["basic"]
    for key in ("company_name", "park_name", "name", "lead_name"):
        if key in basic:
            basic[key] = name
    basic["uscc"] = uscc
    number = rng.randrange(10**6)
    for key in ("email", "contact_email"):
        if key in basic:
            basic[key] = f"apply{number:06d}@example.com"
    for key in ("contact_mobile", "legal_rep_mobile"):
        if key in basic:
            basic[key] = _mobile(rng)
    if "head" in form:
        form["head"]["mobile"] = _mobile(rng)
        form["head"]["email"] = f"head{number:06d}@example.com"


def _manufacturing(form: dict[str, Any], schema: FormSchema, rng: random.Random) -> None:
    _liangrong_common(form, rng)
    years = schema.field("manufacturing.informatization_share").years
    form["manufacturing"]["informatization_share"] = {
        str(year): _pct(rng, 4.5, 12) for year in years
    }
    form["manufacturing"]["networked_rate"] = _pct(rng, 55, 98)
    form["manufacturing"]["rd_spend"] = _money(rng.uniform(800, 20000))


def _ito(form: dict[str, Any], schema: FormSchema, rng: random.Random) -> None:
    _liangrong_common(form, rng)
    years = schema.field("ito.ito_execution").years
    ito = form["ito"]
    ito["ito_execution"] = {str(year): _money(rng.uniform(4500, 30000)) for year in years}
    ito["mfg_customers"] = rng.randint(8, 90)
    ito["mfg_revenue_share"] = _pct(rng, 15, 75)
    ito["mofcom_registered"] = rng.random() < 0.95
    ito["own_software_ip"] = rng.random() < 0.95
    parts = [rng.randint(0, 40), rng.randint(0, 30), rng.randint(0, 10)]
    ito["patents_invention"], ito["patents_utility"], ito["patents_design"] = parts
    ito["patents_total"] = sum(parts) + rng.randint(0, 5)
    if "software_copyrights" in ito:
        ito["software_copyrights"] = rng.randint(0, 300)


def _liangrong_common(form: dict[str, Any], rng: random.Random) -> None:
    employees = rng.randint(600, 9000)
    form["staff"] = {
        "employees": employees,
        "bachelor_or_above": rng.randint(employees // 5, employees * 3 // 5),
        "mid_title_or_above": rng.randint(employees // 20, employees // 4),
    }
    revenue = rng.uniform(30000, 600000)
    economics = form["economics"]
    economics["revenue"] = _money(revenue)
    economics["total_assets"] = _money(revenue * rng.uniform(0.8, 2.5))
    economics["total_liabilities"] = _money(revenue * rng.uniform(0.2, 0.8))
    economics["revenue_growth"] = _pct(rng, -10, 40)
    economics["profit"] = _money(revenue * rng.uniform(-0.03, 0.15))
    economics["profit_growth"] = _pct(rng, -30, 60)
    steady = rng.random() < 0.8
    # a loss last year is not three profitable years in a row
    economics["profitable_3_years"] = steady and Decimal(economics["profit"]) >= 0
    economics["bank_credit_rating"] = rng.choice(("AAA", "AA+", "AA", "A"))


def _supplier(form: dict[str, Any], schema: FormSchema, rng: random.Random) -> None:
    business = form["business"]
    staff = rng.randint(300, 8000) if rng.random() < 0.7 else rng.randint(40, 299)
    per_head = rng.uniform(9, 60) if staff >= 300 else rng.uniform(25, 70)
    revenue = staff * per_head
    business["outsourcing_staff"] = staff
    business["total_staff"] = staff + rng.randint(0, staff // 2 + 10)
    business["outsourcing_revenue"] = _money(revenue)
    business["total_revenue"] = _money(revenue * rng.uniform(1.0, 1.6) + 1)
    business["offshore_revenue"] = _money(revenue * rng.uniform(0, 0.6))
    areas = taxonomies()["functional_areas"]
    business["functional_areas"] = rng.sample(areas, rng.randint(1, 5))
    business["service_industries"] = rng.sample(taxonomies()["outsourcing_industries"], 3)
    form["basic"]["hq_in_china"] = rng.random() < 0.95
    if "china_centre" in form["basic"]:
        form["basic"]["china_centre"] = rng.random() < 0.9


def _park(form: dict[str, Any], schema: FormSchema, rng: random.Random) -> None:
    scale = form["scale"]
    scale["enterprises"] = rng.randint(80, 2000)
    scale["outsourcing_enterprises"] = rng.randint(10, scale["enterprises"])
    scale["outsourcing_staff"] = rng.randint(2000, 90000)
    scale["outsourcing_revenue"] = _money(scale["outsourcing_staff"] * rng.uniform(10, 40))


def _training(form: dict[str, Any], schema: FormSchema, rng: random.Random) -> None:
    scale = form["scale"]
    scale["trainees"] = rng.randint(200, 12000)
    scale["teachers"] = rng.randint(10, 300)
    scale["placement_rate"] = _pct(rng, 60, 99)


def _center(form: dict[str, Any], schema: FormSchema, rng: random.Random) -> None:
    basic = form["basic"]
    basic["main_industries"] = rng.sample(
        taxonomies()["manufacturing_industries"], rng.randint(1, 3)
    )
    basic["service_years"] = str(rng.randint(1, 15))
    basic["lead_type"] = rng.choice(("制造业企业", "服务商"))
    form["plan"]["content_items"] = rng.sample(
        taxonomies()["construction_contents"], rng.randint(3, 8)
    )
    if rng.random() < 0.4:
        count = rng.randint(1, 6)
        form["consortium"] = {
            "members": [
                {
                    "name": f"{rng.choice(_CITIES)}{rng.choice(_CORES)}成员单位{i}",
                    "type": rng.choice(taxonomies()["center_unit_types"]),
                }
                for i in range(1, count + 1)
            ]
        }
    else:
        form.pop("consortium", None)
        form["attachments"].pop("consortium_agreement", None)
    for year in ("2024", "2025"):
        revenue = rng.uniform(2000, 60000)
        form["finance"][year] = {
            "main_revenue": _money(revenue),
            "net_profit_margin": _pct(rng, -5, 20),
            "debt_ratio": _pct(rng, 10, 80),
        }
        form["service"][year]["enterprises_served"] = rng.randint(10, 400)
        form["service"][year]["contract_amount"] = _money(revenue * rng.uniform(0.2, 0.8))


# ---------------------------------------------------------------- mistakes


def _fields(schema: FormSchema, form: Mapping[str, Any]) -> list[tuple[str, Field]]:
    """(section id, field) pairs for plain (non-yearly) sections the form has."""
    return [
        (section.id, item)
        for section, item in schema.iter_fields()
        if not section.years and not item.years and isinstance(form.get(section.id), dict)
    ]


def _spoil(form: dict[str, Any], schema: FormSchema, rng: random.Random) -> None:
    fields = _fields(schema, form)

    def pick(predicate: Any) -> tuple[str, Field] | None:
        candidates = [(s, f) for s, f in fields if predicate(f)]
        return rng.choice(candidates) if candidates else None

    def bad_uscc() -> bool:
        code = form["basic"].get("uscc")
        if not code:
            return False
        wrong = ALPHABET[(ALPHABET.index(code[-1]) + 1) % len(ALPHABET)]
        form["basic"]["uscc"] = code[:-1] + wrong
        return True

    def set_field(predicate: Any, value: Any) -> bool:
        found = pick(predicate)
        if found is None:
            return False
        section_id, item = found
        form[section_id][item.id] = value(item) if callable(value) else value
        return True

    def drop_required() -> bool:
        found = pick(lambda f: f.required and f.type != "table")
        if found is None:
            return False
        form[found[0]].pop(found[1].id, None)
        return True

    mistakes = [
        bad_uscc,
        lambda: set_field(lambda f: f.type == "mobile", "1234567890"),
        lambda: set_field(lambda f: f.type == "email", "not-an-email"),
        lambda: set_field(lambda f: f.type == "decimal" and f.min == 0, "-100"),
        lambda: set_field(lambda f: f.type == "percent", "120"),
        lambda: set_field(lambda f: f.type == "int" and f.min == 0, "一千"),
        lambda: set_field(
            lambda f: f.type == "text" and f.multiline and f.max_chars,
            lambda f: "字" * (f.max_chars + 1),
        ),
        drop_required,
    ]
    if "plan" in form:
        mistakes.append(lambda: bool(form["plan"].update(content_items=["评估咨询"])) or True)
        mistakes.append(lambda: bool(form["targets"].pop("2028", None)) or True)
        mistakes.append(
            lambda: (
                bool(form["basic"].update(main_industries=["钢铁", "有色", "建材", "机械"])) or True
            )
        )
    wanted = rng.randint(1, 3)
    done = 0
    for mistake in rng.sample(mistakes, len(mistakes)):
        if done >= wanted:
            break
        if mistake():
            done += 1
