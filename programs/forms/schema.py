"""Form schemas as data: one YAML file per edition and applicant kind under programs/forms/data,
checked when loaded into frozen FormSchema objects (sections -> fields, checks, criteria)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

DATA_DIR = Path(__file__).with_name("data")
TAXONOMY_FILE = DATA_DIR / "taxonomies.yaml"
FRAGMENT_DIR = DATA_DIR / "fragments"
ANNUAL_REPORT = "annual_report"

FIELD_TYPES = frozenset(
    {
        "text",
        "int",
        "decimal",
        "percent",
        "date",
        "year",
        "bool",
        "choice",
        "multichoice",
        "email",
        "mobile",
        "phone",
        "uscc",
        "table",
        "attachment",
    }
)
NUMERIC_TYPES = frozenset({"int", "decimal", "percent", "year"})
UNITS = frozenset({"万元", "%", "人", "个", "家", "人次", "年"})

# Ceiling above which a number is refused as implausible (typing error, unit confusion).
MAGNITUDE_CAPS: Mapping[str | None, Decimal] = {
    "万元": Decimal(10) ** 9,
    "人": Decimal(10) ** 7,
    "个": Decimal(10) ** 7,
    "家": Decimal(10) ** 7,
    "人次": Decimal(10) ** 9,
    "年": Decimal(200),
    "%": Decimal(10) ** 6,
    None: Decimal(10) ** 9,
}
# Decimal places allowed by unit: 万元 to the yuan, percentages to 0.01.
DEFAULT_DECIMALS: Mapping[str | None, int] = {"万元": 4, "%": 2, "年": 1, None: 4}
DEFAULT_TEXT_CHARS = 200
DEFAULT_TABLE_ROWS = 500
MULTI_SEPARATORS = "；;，,、\n"
KIND_ALIASES = {"training_institution": "training"}

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELD_KEYS = frozenset(
    {
        "id",
        "label_zh",
        "type",
        "unit",
        "required",
        "choices",
        "choices_from",
        "min",
        "max",
        "max_chars",
        "years",
        "columns",
        "min_items",
        "max_items",
        "decimals",
        "signed",
        "cap",
        "pattern",
        "pattern_zh",
        "required_if",
        "multiline",
        "help_zh",
    }
)
_SECTION_KEYS = frozenset(
    {"id", "label_zh", "label_en", "required", "years", "layout", "help_zh", "fields"}
)
_FORM_KEYS = frozenset(
    {
        "title_zh",
        "title_en",
        "kind_label_zh",
        "cover",
        "sections",
        "checks",
        "criteria",
        "opinions",
    }
)
CRITERION_RULES = frozenset(
    {
        "at_least",
        "at_most",
        "greater_than",
        "less_than",
        "is_true",
        "count_at_most",
        "count_at_least",
        "ratio_at_least",
        "sum_greater_than",
        "attached_if_present",
        "all_of",
        "any_of",
        "qualitative",
    }
)


class SchemaError(ValueError):
    """A form data file that cannot be used; the message names the file and the entry."""


class UnknownForm(LookupError):
    """No form exists for this edition and kind."""


@dataclass(frozen=True)
class Condition:
    """`path` (section.field) equals `value`, or (value unset) holds any value at all."""

    path: str
    when_zh: str
    when_en: str
    equals: Any = None
    present: bool = False

    def holds(self, value: Any) -> bool:
        if self.present:
            return value not in (None, "", [], {})
        return value == self.equals


@dataclass(frozen=True)
class Field:
    id: str
    label_zh: str
    type: str
    unit: str | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    choices_from: str | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    max_chars: int | None = None
    years: tuple[int, ...] = ()
    columns: tuple[Field, ...] = ()
    min_items: int | None = None
    max_items: int | None = None
    decimals: int | None = None
    cap: Decimal | None = None
    pattern: str | None = None
    pattern_zh: str | None = None
    required_if: Condition | None = None
    multiline: bool = False
    help_zh: str | None = None

    @property
    def label_with_unit(self) -> str:
        return f"{self.label_zh}（{self.unit}）" if self.unit else self.label_zh

    def column(self, column_id: str) -> Field:
        for column in self.columns:
            if column.id == column_id:
                return column
        raise KeyError(column_id)


@dataclass(frozen=True)
class Section:
    id: str
    label_zh: str
    label_en: str
    fields: tuple[Field, ...]
    required: bool = True
    years: tuple[int, ...] = ()  # a yearly section: data is {year: {field: value}}
    layout: str = "fields"  # fields | prose (long texts printed as paragraphs)
    help_zh: str | None = None

    def field(self, field_id: str) -> Field:
        for item in self.fields:
            if item.id == field_id:
                return item
        raise KeyError(f"{self.id}.{field_id}")


CHECK_RULES = frozenset({"part_of", "sum_of", "no_loss_if"})


@dataclass(frozen=True)
class Check:
    """A cross-field rule, with the clause it enforces when the data names one:

    - part_of: `part` may not exceed `whole` (其中 … 不得大于总数);
    - sum_of: `parts` together may not exceed `whole` (kinds that are parts of one total);
    - no_loss_if: `part` (an amount, `field:` in the data) may not be negative while the yes/no
      `whole` (`flag:` in the data) says 是.
    """

    rule: str
    part: str
    whole: str
    parts: tuple[str, ...] = ()
    clause: str = ""

    @property
    def paths(self) -> tuple[str, ...]:
        return (*(self.parts or (self.part,)), self.whole)


@dataclass(frozen=True)
class CriterionSpec:
    """One eligibility criterion as written in the data file (evaluated by eligibility.py)."""

    id: str
    label_zh: str
    rule: str
    clause: str
    field: str | None = None
    threshold: Decimal | None = None
    unit: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    fields: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    children: tuple[CriterionSpec, ...] = ()
    note_zh: str | None = None


@dataclass(frozen=True)
class OpinionGroup:
    heading: str
    blocks: tuple[str, ...]
    alternative: bool = False  # printed after "（或）": an alternative route to the groups above


@dataclass(frozen=True)
class FormSchema:
    edition_id: str
    kind: str
    title_zh: str
    title_en: str
    kind_label_zh: str
    sections: tuple[Section, ...]
    checks: tuple[Check, ...] = ()
    criteria: tuple[CriterionSpec, ...] = ()
    opinions: tuple[OpinionGroup, ...] = ()
    cover: tuple[str, ...] = ()
    source: str = field(default="", compare=False)
    version: str = field(default="", compare=False)

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def field(self, path: str) -> Field:
        """The field at "section.field" (years and row indexes in the path are ignored)."""
        section_id, _, rest = _strip_index(path).partition(".")
        section = self.section(section_id)
        field_id, _, column_id = rest.partition(".")
        item = section.field(field_id)
        return item.column(column_id) if column_id else item

    def iter_fields(self) -> Iterator[tuple[Section, Field]]:
        for section in self.sections:
            for item in section.fields:
                yield section, item

    def opinion_blocks(self) -> tuple[str, ...]:
        return tuple(block for group in self.opinions for block in group.blocks)


def _strip_index(path: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", path)


# ---------------------------------------------------------------- loading


def normalize_kind(kind: str) -> str:
    return KIND_ALIASES.get(kind, kind)


def available_forms() -> dict[str, tuple[str, ...]]:
    """Edition id -> applicant kinds that have a form."""
    result: dict[str, tuple[str, ...]] = {}
    for directory in sorted(p for p in DATA_DIR.iterdir() if p.is_dir()):
        if directory.name == FRAGMENT_DIR.name:
            continue
        kinds = tuple(sorted(p.stem for p in directory.glob("*.yaml") if p.stem != ANNUAL_REPORT))
        if kinds:
            result[directory.name] = kinds
    return result


def form_schema(edition_id: str, kind: str) -> FormSchema:
    """The application form of `kind` in edition `edition_id`."""
    kind = normalize_kind(kind)
    if kind == ANNUAL_REPORT:
        raise UnknownForm(f"{kind}: 年度报告请使用 annual_report_schema (use annual_report_schema)")
    return _load(edition_id, kind)


def annual_report_schema(edition_id: str) -> FormSchema:
    """The yearly report form of a confirmed applicant of `edition_id`."""
    return _load(edition_id, ANNUAL_REPORT)


@cache
def taxonomies() -> Mapping[str, tuple[str, ...]]:
    """Taxonomy name -> its choices (a tree's leaves, in order)."""
    raw = _read_yaml(TAXONOMY_FILE)
    result: dict[str, tuple[str, ...]] = {}
    for name, entry in raw.items():
        where = f"{TAXONOMY_FILE.name}: {name}"
        if not isinstance(entry, dict):
            raise SchemaError(f"{where}: 应为映射 (must be a mapping)")
        if "items" in entry:
            items = tuple(str(item) for item in entry["items"])
        elif "tree" in entry:
            items = tuple(leaf for _group, _area, leaf in _walk_tree(entry["tree"], where))
        else:
            raise SchemaError(f"{where}: 缺少 items 或 tree (needs items or tree)")
        if len(set(items)) != len(items):
            raise SchemaError(f"{where}: 选项重复 (duplicate items)")
        result[name] = items
    return MappingProxyType(result)


@cache
def functional_area_tree() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """表格2 as (group, area, items) rows, e.g. ("信息技术外包（ITO）", "软件研发外包", (...))."""
    raw = _read_yaml(TAXONOMY_FILE)["functional_areas"]["tree"]
    rows: list[tuple[str, str, tuple[str, ...]]] = []
    for group, areas in raw.items():
        for area, items in areas.items():
            rows.append((str(group), str(area), tuple(str(item) for item in items)))
    return tuple(rows)


def taxonomy_source(name: str) -> str:
    """Where a taxonomy comes from, e.g. "中投促函[2023]84号 附件 表格2「服务外包功能领域」"."""
    entry = _read_yaml(TAXONOMY_FILE).get(name) or {}
    return str(entry.get("source") or "")


def taxonomy_definitions(name: str) -> Mapping[str, str]:
    entry = _read_yaml(TAXONOMY_FILE).get(name) or {}
    return {str(k): str(v) for k, v in (entry.get("definitions") or {}).items()}


def _walk_tree(tree: Any, where: str) -> Iterator[tuple[str, str, str]]:
    if not isinstance(tree, dict):
        raise SchemaError(f"{where}: tree 应为映射 (tree must be a mapping)")
    for group, areas in tree.items():
        if not isinstance(areas, dict):
            raise SchemaError(f"{where}.{group}: 应为映射 (must be a mapping)")
        for area, items in areas.items():
            if not isinstance(items, list):
                raise SchemaError(f"{where}.{group}.{area}: 应为列表 (must be a list)")
            for item in items:
                yield str(group), str(area), str(item)


@cache
def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SchemaError(f"{path.name}: 无法读取 (cannot read: {exc})") from exc


@cache
def _load(edition_id: str, kind: str) -> FormSchema:
    path = DATA_DIR / edition_id / f"{kind}.yaml"
    if not re.fullmatch(r"[a-z0-9-]+", edition_id) or not re.fullmatch(r"[a-z_]+", kind):
        raise UnknownForm(f"{edition_id}/{kind}: 无此申报表 (no such form)")
    if not path.is_file():
        known = available_forms()
        if edition_id not in known:
            raise UnknownForm(
                f"{edition_id}: 无此申报批次的表单 (no forms for this edition; known: "
                f"{', '.join(known)})"
            )
        raise UnknownForm(
            f"{edition_id}/{kind}: 无此申报类别的表单 (no form for this kind; known: "
            f"{', '.join(known[edition_id])})"
        )
    raw = _read_yaml(path)
    where = f"{edition_id}/{path.name}"
    if not isinstance(raw, dict):
        raise SchemaError(f"{where}: 应为映射 (must be a mapping)")
    _no_unknown(raw, _FORM_KEYS, where)
    digest = hashlib.sha256(path.read_bytes())
    digest.update(TAXONOMY_FILE.read_bytes())
    sections: list[Section] = []
    for index, entry in enumerate(_list(raw.get("sections"), f"{where}: sections")):
        if isinstance(entry, dict) and set(entry) == {"include"}:
            fragment = FRAGMENT_DIR / f"{entry['include']}.yaml"
            if not fragment.is_file():
                raise SchemaError(f"{where}: sections[{index}]: 无此片段 {fragment.name}")
            digest.update(fragment.read_bytes())
            for sub_index, sub in enumerate(_list(_read_yaml(fragment), fragment.name)):
                sections.append(_section(sub, f"{fragment.name}: [{sub_index}]"))
        else:
            sections.append(_section(entry, f"{where}: sections[{index}]"))
    ids = [s.id for s in sections]
    if len(set(ids)) != len(ids):
        raise SchemaError(f"{where}: 部分标识重复 (duplicate section ids: {ids})")
    schema = FormSchema(
        edition_id=edition_id,
        kind=kind,
        title_zh=_text(raw, "title_zh", where),
        title_en=_text(raw, "title_en", where),
        kind_label_zh=str(raw.get("kind_label_zh") or ""),
        sections=tuple(sections),
        checks=tuple(
            _check(c, f"{where}: checks[{i}]") for i, c in enumerate(raw.get("checks") or [])
        ),
        criteria=tuple(
            _criterion(c, f"{where}: criteria[{i}]")
            for i, c in enumerate(raw.get("criteria") or [])
        ),
        opinions=tuple(
            _opinion(o, f"{where}: opinions[{i}]") for i, o in enumerate(raw.get("opinions") or [])
        ),
        cover=tuple(str(line) for line in raw.get("cover") or ()),
        source=str(path),
        version=digest.hexdigest()[:16],
    )
    _check_references(schema, where)
    return schema


def _check_references(schema: FormSchema, where: str) -> None:
    def known(path: str, label: str) -> Field:
        try:
            return schema.field(path)
        except KeyError as exc:
            raise SchemaError(f"{where}: {label}: 无此填写项 {path} (unknown field)") from exc

    for check in schema.checks:
        for path in check.paths:
            known(path, "checks")
    for _section_item, item in schema.iter_fields():
        if item.required_if is not None:
            known(item.required_if.path, f"{item.id}.required_if")

    def walk(spec: CriterionSpec) -> None:
        for path in (spec.field, spec.numerator, spec.denominator, *spec.fields, *spec.evidence):
            if path:
                known(path, f"criteria {spec.id}")
        for child in spec.children:
            walk(child)

    for spec in schema.criteria:
        walk(spec)


def _no_unknown(raw: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SchemaError(f"{where}: 未知键 {', '.join(map(str, unknown))} (unknown keys)")


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise SchemaError(f"{where}: 应为非空列表 (must be a non-empty list)")
    return value


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SchemaError(f"{where}: {key}: 应为非空文字 (must be non-empty text)")
    return value


def _years(value: Any, where: str) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        value = list(range(int(value["from"]), int(value["to"]) + 1))
    if not isinstance(value, list) or not all(
        isinstance(y, int) and 1900 < y < 2200 for y in value
    ):
        raise SchemaError(f"{where}: years: 应为年份列表 (must be a list of years)")
    if list(value) != sorted(set(value)):
        raise SchemaError(f"{where}: years: 应递增且不重复 (must be increasing)")
    return tuple(value)


def _decimal(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise SchemaError(f"{where}: 应为数值 (must be a number): {value!r}") from exc


def _section(raw: Any, where: str) -> Section:
    if not isinstance(raw, dict):
        raise SchemaError(f"{where}: 应为映射 (must be a mapping)")
    _no_unknown(raw, _SECTION_KEYS, where)
    section_id = raw.get("id")
    if not isinstance(section_id, str) or not _ID.match(section_id):
        raise SchemaError(f"{where}: id: 应为小写英文标识 (must be a lower-case identifier)")
    where = f"{where} ({section_id})"
    layout = raw.get("layout", "fields")
    if layout not in ("fields", "prose"):
        raise SchemaError(f"{where}: layout: 应为 fields 或 prose")
    fields = tuple(
        _field(f, f"{where}.fields[{i}]")
        for i, f in enumerate(_list(raw.get("fields"), f"{where}: fields"))
    )
    ids = [f.id for f in fields]
    if len(set(ids)) != len(ids):
        raise SchemaError(f"{where}: 填写项标识重复 (duplicate field ids)")
    years = _years(raw.get("years"), where)
    if years and any(f.years or f.type == "table" for f in fields):
        raise SchemaError(f"{where}: 分年度部分内不能再分年度或含表格 (nested years or table)")
    return Section(
        id=section_id,
        label_zh=_text(raw, "label_zh", where),
        label_en=_text(raw, "label_en", where),
        fields=fields,
        required=bool(raw.get("required", True)),
        years=years,
        layout=layout,
        help_zh=raw.get("help_zh"),
    )


def _field(raw: Any, where: str, *, in_table: bool = False) -> Field:
    if not isinstance(raw, dict):
        raise SchemaError(f"{where}: 应为映射 (must be a mapping)")
    _no_unknown(raw, _FIELD_KEYS, where)
    field_id = raw.get("id")
    if not isinstance(field_id, str) or not _ID.match(field_id):
        raise SchemaError(f"{where}: id: 应为小写英文标识 (must be a lower-case identifier)")
    where = f"{where} ({field_id})"
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise SchemaError(f"{where}: type: 未知类型 {kind!r} (unknown type)")
    unit = raw.get("unit")
    if kind == "percent":
        unit = unit or "%"
    if unit is not None and unit not in UNITS:
        raise SchemaError(f"{where}: unit: 未知单位 {unit!r} (unknown unit)")
    choices: tuple[str, ...] = tuple(str(c) for c in raw.get("choices") or ())
    choices_from = raw.get("choices_from")
    if choices_from is not None:
        try:
            choices = taxonomies()[choices_from]
        except KeyError as exc:
            raise SchemaError(f"{where}: choices_from: 无此分类 {choices_from!r}") from exc
    if kind in ("choice", "multichoice") and not choices:
        raise SchemaError(f"{where}: 缺少选项 (choices needed)")
    if kind == "multichoice":
        for choice in choices:
            if any(sep in choice for sep in MULTI_SEPARATORS):
                raise SchemaError(f"{where}: 选项含分隔符 {choice!r} (choice contains a separator)")
    columns: tuple[Field, ...] = ()
    if kind == "table":
        if in_table:
            raise SchemaError(f"{where}: 表格内不能嵌套表格 (nested table)")
        columns = tuple(
            _field(c, f"{where}.columns[{i}]", in_table=True)
            for i, c in enumerate(_list(raw.get("columns"), f"{where}: columns"))
        )
        if any(c.years for c in columns):
            raise SchemaError(f"{where}: 表格列不能分年度 (columns cannot have years)")
    max_chars = raw.get("max_chars")
    if kind == "text" and max_chars is None:
        max_chars = DEFAULT_TEXT_CHARS
    max_items = raw.get("max_items")
    if kind == "table" and max_items is None:
        max_items = DEFAULT_TABLE_ROWS
    minimum = _decimal(raw.get("min"), f"{where}: min")
    if minimum is None and kind in ("int", "decimal") and not raw.get("signed", False):
        minimum = Decimal(0)
    cap = _decimal(raw.get("cap"), f"{where}: cap")
    if cap is None and kind in ("int", "decimal"):
        cap = MAGNITUDE_CAPS.get(unit, MAGNITUDE_CAPS[None])
    decimals = raw.get("decimals")
    if decimals is None and kind in ("decimal", "percent"):
        decimals = DEFAULT_DECIMALS.get(unit, DEFAULT_DECIMALS[None])
    pattern = raw.get("pattern")
    if pattern is not None:
        re.compile(pattern)
        if not raw.get("pattern_zh"):
            raise SchemaError(f"{where}: pattern 需要 pattern_zh 说明 (pattern_zh needed)")
    condition = None
    if raw.get("required_if") is not None:
        cond = raw["required_if"]
        if not isinstance(cond, dict) or "path" not in cond or "when_zh" not in cond:
            raise SchemaError(f"{where}: required_if: 需要 path 和 when_zh")
        condition = Condition(
            path=str(cond["path"]),
            when_zh=str(cond["when_zh"]),
            when_en=str(cond.get("when_en", "")),
            equals=cond.get("equals"),
            present=bool(cond.get("present", False)),
        )
    return Field(
        id=field_id,
        label_zh=_text(raw, "label_zh", where),
        type=kind,
        unit=unit,
        required=bool(raw.get("required", False)),
        choices=choices,
        choices_from=choices_from,
        min=minimum,
        max=_decimal(raw.get("max"), f"{where}: max"),
        max_chars=max_chars,
        years=_years(raw.get("years"), where),
        columns=columns,
        min_items=raw.get("min_items"),
        max_items=max_items,
        decimals=decimals,
        cap=cap,
        pattern=pattern,
        pattern_zh=raw.get("pattern_zh"),
        required_if=condition,
        multiline=bool(raw.get("multiline", False)),
        help_zh=raw.get("help_zh"),
    )


def _check(raw: Any, where: str) -> Check:
    rules = ", ".join(sorted(CHECK_RULES))
    if not isinstance(raw, dict) or raw.get("rule") not in CHECK_RULES:
        raise SchemaError(f"{where}: 仅支持 rule: {rules} (only these checks)")
    rule = str(raw["rule"])
    clause = str(raw.get("clause") or "")
    if rule == "sum_of":
        parts = raw.get("parts")
        if not isinstance(parts, list) or len(parts) < 2 or "whole" not in raw:
            raise SchemaError(f"{where}: sum_of 需要 parts（至少两项）和 whole (parts and whole)")
        return Check(rule, str(parts[0]), str(raw["whole"]), tuple(map(str, parts)), clause)
    if rule == "no_loss_if":
        if "field" not in raw or "flag" not in raw:
            raise SchemaError(f"{where}: no_loss_if 需要 field 和 flag (field and flag)")
        return Check(rule, str(raw["field"]), str(raw["flag"]), clause=clause)
    if "part" not in raw or "whole" not in raw:
        raise SchemaError(f"{where}: {rule} 需要 part 和 whole (part and whole)")
    return Check(rule, str(raw["part"]), str(raw["whole"]), clause=clause)


def _criterion(raw: Any, where: str) -> CriterionSpec:
    if not isinstance(raw, dict):
        raise SchemaError(f"{where}: 应为映射 (must be a mapping)")
    allowed = frozenset(
        {
            "id",
            "label_zh",
            "rule",
            "clause",
            "field",
            "threshold",
            "unit",
            "numerator",
            "denominator",
            "fields",
            "evidence",
            "children",
            "note_zh",
        }
    )
    _no_unknown(raw, allowed, where)
    rule = raw.get("rule")
    if rule not in CRITERION_RULES:
        raise SchemaError(f"{where}: rule: 未知规则 {rule!r} (unknown rule)")
    spec = CriterionSpec(
        id=_text(raw, "id", where),
        label_zh=_text(raw, "label_zh", where),
        rule=rule,
        clause=_text(raw, "clause", where),
        field=raw.get("field"),
        threshold=_decimal(raw.get("threshold"), f"{where}: threshold"),
        unit=raw.get("unit"),
        numerator=raw.get("numerator"),
        denominator=raw.get("denominator"),
        fields=tuple(raw.get("fields") or ()),
        evidence=tuple(raw.get("evidence") or ()),
        children=tuple(
            _criterion(c, f"{where}.children[{i}]") for i, c in enumerate(raw.get("children") or [])
        ),
        note_zh=raw.get("note_zh"),
    )
    needs_threshold = rule not in ("is_true", "all_of", "any_of", "qualitative")
    needs_threshold = needs_threshold and rule != "attached_if_present"
    if needs_threshold and spec.threshold is None:
        raise SchemaError(f"{where}: 缺少 threshold (threshold needed)")
    if rule in ("all_of", "any_of") and len(spec.children) < 2:
        raise SchemaError(f"{where}: 组合规则至少需要两个子条件 (needs two children)")
    if rule == "qualitative" and not spec.evidence:
        raise SchemaError(f"{where}: 定性条件需列出 evidence (evidence needed)")
    if rule == "ratio_at_least" and not (spec.numerator and spec.denominator):
        raise SchemaError(f"{where}: 需要 numerator 和 denominator")
    if rule == "sum_greater_than" and not spec.fields:
        raise SchemaError(f"{where}: 需要 fields")
    if rule == "attached_if_present" and len(spec.fields) != 1:
        raise SchemaError(f"{where}: 需要 field（条件）和 fields（一个附件）")
    plain = rule not in ("all_of", "any_of", "qualitative", "ratio_at_least", "sum_greater_than")
    if plain and not spec.field:
        raise SchemaError(f"{where}: 需要 field (field needed)")
    return spec


def _opinion(raw: Any, where: str) -> OpinionGroup:
    if not isinstance(raw, dict) or not raw.get("blocks"):
        raise SchemaError(f"{where}: 需要 heading 和 blocks")
    return OpinionGroup(
        heading=str(raw.get("heading", "")),
        blocks=tuple(str(b) for b in raw["blocks"]),
        alternative=bool(raw.get("alternative", False)),
    )
