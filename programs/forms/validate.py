"""Form validation: type every value by its schema and report every problem at once, each with
its field path and a message in Chinese and English."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from programs.forms.issues import FormIssue, FormValidationError
from programs.forms.schema import (
    FIELD_TYPES,
    MULTI_SEPARATORS,
    Check,
    Field,
    FormSchema,
    Section,
    annual_report_schema,
    form_schema,
    taxonomy_source,
)
from programs.forms.uscc import check_character, is_well_formed

ROOT = "form"
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE = re.compile(r"^(?:0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|1[3-9]\d{9}|400-?\d{3}-?\d{4})$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_SPLIT = re.compile("[" + re.escape(MULTI_SEPARATORS) + "]")
_TRUE = frozenset({"是", "true", "yes", "y"})
_FALSE = frozenset({"否", "false", "no", "n"})
_ALLOWED_CONTROLS = frozenset("\n\r\t")
# the characters of category Cc (U+0000-001F, U+007F-009F), without and with tab and line breaks
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
MAX_ATTACHMENT_NAME = 255


class _Invalid:
    """Marker for a value that failed validation (the issue is already recorded)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()


def validate_form(edition_id: str, kind: str, data: Any) -> list[FormIssue]:
    """Every problem in `data` against the form of `kind` in `edition_id`, in form order."""
    return parse_with_schema(form_schema(edition_id, kind), data)[1]


def validate_annual_report(edition_id: str, data: Any) -> list[FormIssue]:
    """Every problem in a yearly report of `edition_id`."""
    return parse_with_schema(annual_report_schema(edition_id), data)[1]


def parse_form(
    edition_id: str, kind: str, data: Any, *, keep_invalid: bool = False
) -> tuple[dict[str, Any], list[FormIssue]]:
    """The form with values typed by the schema (Decimal, int, date, bool, lists; years as int
    keys), and its issues. Invalid values are left out, or kept as given with `keep_invalid`."""
    return parse_with_schema(form_schema(edition_id, kind), data, keep_invalid=keep_invalid)


def clean_form(edition_id: str, kind: str, data: Any) -> dict[str, Any]:
    """The typed form; FormValidationError listing every problem when there is any."""
    typed, issues = parse_form(edition_id, kind, data)
    if issues:
        raise FormValidationError(issues)
    return typed


def clean_annual_report(edition_id: str, data: Any) -> dict[str, Any]:
    typed, issues = parse_with_schema(annual_report_schema(edition_id), data)
    if issues:
        raise FormValidationError(issues)
    return typed


def parse_with_schema(
    schema: FormSchema, data: Any, *, keep_invalid: bool = False
) -> tuple[dict[str, Any], list[FormIssue]]:
    return _Parser(schema, keep_invalid).run(data)


# ---------------------------------------------------------------- helpers shared with others


def show(value: Any, limit: int = 30) -> str:
    """A value echoed in a message: shortened, control characters made visible."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    text = "".join(
        f"\\x{ord(ch):02x}" if unicodedata.category(ch) == "Cc" and ch not in " " else ch
        for ch in text
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_number(value: Decimal | int) -> str:
    """4800 -> "4,800"; Decimal("4800.50") -> "4,800.5"."""
    if isinstance(value, int):
        return f"{value:,}"
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def format_quantity(value: Decimal | int, unit: str | None) -> str:
    if unit == "%":
        return f"{format_number(value)}%"
    return f"{format_number(value)} {unit}" if unit else format_number(value)


def count_chars(text: str) -> int:
    """Characters counted against a 字数 limit: every character except whitespace."""
    return len("".join(text.split()))


def is_absent(value: Any) -> bool:
    if value is None:
        return True
    kind = type(value)
    if kind is int or kind is Decimal:  # the usual values first, as the checks below decide
        return False
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return len(value) == 0
    return False


def to_decimal(raw: Any, *, percent: bool = False) -> Decimal | None:
    """A number from a JSON/YAML/xlsx value, or None. Floats go through repr, never binary."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return None
        return Decimal(repr(raw))
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip()
        if percent and text.endswith("%"):
            text = text[:-1].rstrip()
        if not _NUMBER.match(text):
            return None
        try:
            return Decimal(text.replace(",", ""))
        except InvalidOperation:
            return None
    return None


def split_choices(text: str) -> list[str]:
    """Choices written in one cell: separated by ；;，,、 or line breaks."""
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]


def _year_key(key: Any) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str) and re.fullmatch(r"\s*\d{4}\s*", key):
        return int(key)
    return None


def _years_zh(years: tuple[int, ...]) -> str:
    return "、".join(str(y) for y in years)


def _years_en(years: tuple[int, ...]) -> str:
    return ", ".join(str(y) for y in years)


# ---------------------------------------------------------------- the parser


class _Parser:
    def __init__(self, schema: FormSchema, keep_invalid: bool) -> None:
        self.schema = schema
        self.keep_invalid = keep_invalid
        self.issues: list[FormIssue] = []
        self.data: Mapping[str, Any] = {}

    def issue(self, path: str, code: str, zh: str, en: str) -> None:
        self.issues.append(FormIssue(path, code, zh, en))

    def run(self, data: Any) -> tuple[dict[str, Any], list[FormIssue]]:
        if not isinstance(data, Mapping):
            self.issue(
                ROOT,
                "type",
                f"表单应为按部分组织的映射（JSON对象），实际为{type(data).__name__}",
                f"the form must be a mapping of sections, got {type(data).__name__}",
            )
            return {}, self.issues
        self.data = data
        known = {section.id for section in self.schema.sections}
        for key in data:
            if key not in known:
                self.issue(
                    show(key, 40),
                    "unknown_section",
                    f"“{show(key)}”不是本表的组成部分",
                    f"unknown section; expected one of {', '.join(sorted(known))}",
                )
        typed: dict[str, Any] = {}
        for section in self.schema.sections:
            raw = data.get(section.id)
            if is_absent(raw):
                if section.required:
                    self.issue(
                        section.id,
                        "section_missing",
                        f"缺少“{section.label_zh}”部分",
                        f"section missing: {section.label_en}",
                    )
                continue
            if not isinstance(raw, Mapping):
                self.issue(
                    section.id,
                    "type",
                    f"“{section.label_zh}”部分应为填写项的映射",
                    "section must be a mapping of fields",
                )
                continue
            if section.years:
                value = self.yearly_section(section, raw)
            else:
                value = self.fields(section.fields, raw, section.id)
            if value:
                typed[section.id] = value
        self.cross_checks(typed)
        return typed, self.issues

    # -- sections

    def yearly_section(self, section: Section, raw: Mapping[Any, Any]) -> dict[int, Any]:
        result: dict[int, Any] = {}
        given: dict[int, Any] = {}
        for key, value in raw.items():
            year = _year_key(key)
            if year is None:
                self.issue(
                    f"{section.id}[{show(key, 20)}]",
                    "year_format",
                    f"“{section.label_zh}”的年度“{show(key)}”应为四位年份",
                    "year keys must be four-digit years",
                )
            elif year not in section.years:
                self.issue(
                    f"{section.id}[{year}]",
                    "year_span",
                    f"“{section.label_zh}”：{year}年不在本次申报要求的年份"
                    f"（{_years_zh(section.years)}）内",
                    f"year {year} is outside the years asked ({_years_en(section.years)})",
                )
            else:
                given[year] = value
        for year in section.years:
            prefix = f"{section.id}[{year}]"
            value = given.get(year)
            if is_absent(value):
                self.issue(
                    prefix,
                    "year_missing",
                    f"“{section.label_zh}”缺少{year}年",
                    f"year {year} missing",
                )
                continue
            if not isinstance(value, Mapping):
                self.issue(
                    prefix,
                    "type",
                    f"“{section.label_zh}”{year}年应为填写项的映射",
                    "each year must be a mapping of fields",
                )
                continue
            parsed = self.fields(section.fields, value, prefix)
            if parsed:
                result[year] = parsed
        return result

    def fields(
        self, fields: tuple[Field, ...], raw: Mapping[Any, Any], prefix: str
    ) -> dict[str, Any]:
        known = _ids(fields)
        for key in raw:
            if key not in known:
                self.issue(
                    f"{prefix}.{show(key, 40)}",
                    "unknown_field",
                    f"“{show(key)}”不是本部分的填写项",
                    "unknown field",
                )
        result: dict[str, Any] = {}
        for item in fields:
            path = f"{prefix}.{item.id}"
            value = raw.get(item.id)
            if is_absent(value):
                self.require(item, path)
                continue
            parsed = (
                self.yearly_field(item, value, path)
                if item.years
                else self.value(item, value, path)
            )
            if parsed is INVALID:
                if self.keep_invalid:
                    result[item.id] = value
                continue
            if not is_absent(parsed):
                result[item.id] = parsed
        return result

    def require(self, item: Field, path: str) -> None:
        if item.required:
            self.issue(path, "required", f"{item.label_zh}为必填项", "required")
            return
        condition = item.required_if
        if condition is None:
            return
        value = self.raw_at(condition.path) if condition.present else self.peek(condition.path)
        if condition.holds(value):
            self.issue(
                path,
                "required_if",
                f"{item.label_zh}为必填项（{condition.when_zh}）",
                f"required {condition.when_en}".rstrip(),
            )

    def raw_at(self, path: str) -> Any:
        """The value at section.field as given (None when absent)."""
        section_id, _, field_id = path.partition(".")
        raw_section = self.data.get(section_id)
        if not isinstance(raw_section, Mapping):
            return None
        raw = raw_section.get(field_id)
        return None if is_absent(raw) else raw

    def peek(self, path: str) -> Any:
        """The typed value at section.field, parsed on its own (None when absent or invalid)."""
        raw = self.raw_at(path)
        if raw is None:
            return None
        section_id, _, field_id = path.partition(".")
        section = self.schema.section(section_id)
        probe = _Parser(self.schema, keep_invalid=False)
        value = probe.value(section.field(field_id), raw, path)
        return None if value is INVALID else value

    def yearly_field(self, item: Field, raw: Any, path: str) -> Any:
        if not isinstance(raw, Mapping):
            self.issue(
                path,
                "type",
                f"{item.label_zh}应按年度填写（{_years_zh(item.years)}年）",
                f"must be given per year ({_years_en(item.years)})",
            )
            return INVALID
        result: dict[int, Any] = {}
        given: dict[int, Any] = {}
        for key, value in raw.items():
            year = _year_key(key)
            if year is None:
                self.issue(
                    f"{path}[{show(key, 20)}]",
                    "year_format",
                    f"{item.label_zh}的年度“{show(key)}”应为四位年份",
                    "year keys must be four-digit years",
                )
            elif year not in item.years:
                self.issue(
                    f"{path}[{year}]",
                    "year_span",
                    f"{item.label_zh}：{year}年不在本次申报要求的年份（{_years_zh(item.years)}）内",
                    f"year {year} is outside the years asked ({_years_en(item.years)})",
                )
            else:
                given[year] = value
        for year in item.years:
            value = given.get(year)
            year_path = f"{path}[{year}]"
            if is_absent(value):
                if item.required:
                    self.issue(
                        year_path,
                        "year_missing",
                        f"{item.label_zh}缺少{year}年数据",
                        f"year {year} missing",
                    )
                continue
            parsed = self.value(item, value, year_path)
            if parsed is not INVALID:
                result[year] = parsed
            elif self.keep_invalid:
                result[year] = value
        return result

    # -- single values

    def value(self, item: Field, raw: Any, path: str) -> Any:
        return _BY_TYPE[item.type](self, item, raw, path)

    def _type_error(self, item: Field, raw: Any, path: str, zh: str, en: str) -> _Invalid:
        self.issue(
            path,
            "type",
            f"{item.label_zh}应为{zh}，实际为“{show(raw)}”",
            f"must be {en}, got {show(raw)!r}",
        )
        return INVALID

    def _number(self, item: Field, raw: Any, path: str, *, integer: bool) -> Any:
        number = to_decimal(raw, percent=item.type == "percent")
        if number is None:
            if integer:
                return self._type_error(item, raw, path, "整数", "a whole number")
            return self._type_error(item, raw, path, "数值", "a number")
        if integer and number != number.to_integral_value():
            return self._type_error(item, raw, path, "整数", "a whole number")
        if item.cap is not None and abs(number) > item.cap:
            self.issue(
                path,
                "magnitude",
                f"{item.label_zh}数值异常（{format_quantity(number, item.unit)}），超过上限{format_quantity(item.cap, item.unit)}",
                f"implausible magnitude {number}: above {item.cap}"
                + (f" {item.unit}" if item.unit else ""),
            )
            return INVALID
        exponent = number.as_tuple().exponent
        if not integer and isinstance(exponent, int) and item.decimals is not None:
            if -exponent > item.decimals:
                self.issue(
                    path,
                    "precision",
                    f"{item.label_zh}最多保留{item.decimals}位小数，实际为“{show(raw)}”",
                    f"at most {item.decimals} decimal places, got {show(raw)!r}",
                )
                return INVALID
        if item.type == "percent" and not Decimal(0) <= number <= Decimal(100):
            self.issue(
                path,
                "percent_range",
                f"{item.label_zh}应在0%至100%之间，实际为{format_quantity(number, item.unit)}",
                f"percentage must be between 0 and 100, got {number}",
            )
            return INVALID
        if item.min == 0 and number < 0:
            self.issue(
                path,
                "negative",
                f"{item.label_zh}不得为负数，实际为{format_quantity(number, item.unit)}",
                f"must not be negative, got {number}",
            )
            return INVALID
        if item.min is not None and number < item.min:
            self.issue(
                path,
                "out_of_range",
                f"{item.label_zh}不得小于{format_quantity(item.min, item.unit)}，实际为{format_quantity(number, item.unit)}",
                f"must be at least {item.min}, got {number}",
            )
            return INVALID
        if item.max is not None and number > item.max:
            self.issue(
                path,
                "out_of_range",
                f"{item.label_zh}不得大于{format_quantity(item.max, item.unit)}，实际为{format_quantity(number, item.unit)}",
                f"must be at most {item.max}, got {number}",
            )
            return INVALID
        return int(number) if integer else number

    def _int(self, item: Field, raw: Any, path: str) -> Any:
        return self._number(item, raw, path, integer=True)

    def _decimal(self, item: Field, raw: Any, path: str) -> Any:
        return self._number(item, raw, path, integer=False)

    def _percent(self, item: Field, raw: Any, path: str) -> Any:
        return self._number(item, raw, path, integer=False)

    def _year(self, item: Field, raw: Any, path: str) -> Any:
        number = to_decimal(raw)
        if number is None or number != number.to_integral_value():
            return self._type_error(item, raw, path, "四位年份", "a four-digit year")
        year = int(number)
        low = int(item.min) if item.min is not None else MIN_DATE.year
        high = int(item.max) if item.max is not None else MAX_DATE.year
        if not low <= year <= high:
            self.issue(
                path,
                "year_span",
                f"{item.label_zh}：{year}年不在本批次的年份范围（{low}—{high}年）内",
                f"year {year} is outside {low}-{high}",
            )
            return INVALID
        return year

    def _text(self, item: Field, raw: Any, path: str) -> Any:
        if not isinstance(raw, str):
            return self._type_error(item, raw, path, "文字", "text")
        found = _CONTROL.search(raw)
        if found is not None:
            bad = found.group()
            self.issue(
                path,
                "control_char",
                f"{item.label_zh}含有不可见的控制字符（U+{ord(bad):04X}）",
                f"contains the control character U+{ord(bad):04X}",
            )
            return INVALID
        if item.max_chars is not None:
            count = count_chars(raw)
            if count > item.max_chars:
                self.issue(
                    path,
                    "max_chars",
                    f"{item.label_zh}不得超过{item.max_chars}字，实际{count}字",
                    f"at most {item.max_chars} characters, got {count}",
                )
                return INVALID
        if item.pattern is not None and not re.fullmatch(item.pattern, raw.strip()):
            self.issue(
                path,
                "pattern",
                f"{item.label_zh}格式不正确：{item.pattern_zh}，实际为“{show(raw)}”",
                f"does not match {item.pattern}",
            )
            return INVALID
        return raw

    def _digits(self, raw: Any) -> str | None:
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int):
            return str(raw)
        if isinstance(raw, str):
            return unicodedata.normalize("NFKC", raw).strip()
        return None

    def _mobile(self, item: Field, raw: Any, path: str) -> Any:
        text = self._digits(raw)
        if text is not None:
            compact = re.sub(r"[\s-]", "", text)
            compact = re.sub(r"^(?:\+?86)(?=1\d{10}$)", "", compact)
            if _MOBILE.match(compact):
                return compact
        self.issue(
            path,
            "mobile",
            f"{item.label_zh}不是有效的手机号码（应为11位数字，以13—19开头），实际为“{show(raw)}”",
            f"not a mainland mobile number (11 digits 1[3-9]…), got {show(raw)!r}",
        )
        return INVALID

    def _phone(self, item: Field, raw: Any, path: str) -> Any:
        text = self._digits(raw)
        if text is not None:
            compact = re.sub(r"\s", "", text)
            if _PHONE.match(compact):
                return compact
        self.issue(
            path,
            "phone",
            f"{item.label_zh}不是有效的电话号码（如010-65197104或手机号），实际为“{show(raw)}”",
            f"not a valid phone number (e.g. 010-65197104), got {show(raw)!r}",
        )
        return INVALID

    def _email(self, item: Field, raw: Any, path: str) -> Any:
        if isinstance(raw, str):
            text = raw.strip()
            if len(text) <= 254 and _EMAIL.match(text):
                return text
        self.issue(
            path,
            "email",
            f"{item.label_zh}不是有效的电子邮箱地址，实际为“{show(raw)}”",
            f"not a valid e-mail address, got {show(raw)!r}",
        )
        return INVALID

    def _uscc(self, item: Field, raw: Any, path: str) -> Any:
        text = raw.strip().upper() if isinstance(raw, str) else None
        if text is None or not is_well_formed(text):
            self.issue(
                path,
                "uscc_format",
                f"{item.label_zh}应为18位，由数字和大写字母（不含I、O、S、V、Z）组成，"
                f"实际为“{show(raw)}”",
                "must be 18 characters of 0-9 and A-Z without I, O, S, V, Z "
                f"(GB 32100-2015), got {show(raw)!r}",
            )
            return INVALID
        expected = check_character(text[:17])
        if text[17] != expected:
            self.issue(
                path,
                "uscc_check",
                f"{item.label_zh}校验码错误：第18位应为{expected}，实际为{text[17]}"
                "（GB 32100-2015）",
                f"check character wrong (GB 32100-2015): expected {expected}, got {text[17]}",
            )
            return INVALID
        return text

    def _date(self, item: Field, raw: Any, path: str) -> Any:
        value: date | None = None
        if isinstance(raw, datetime):
            if raw.time() == datetime.min.time() and raw.tzinfo is None:
                value = raw.date()
        elif isinstance(raw, date):
            value = raw
        elif isinstance(raw, str):
            text = unicodedata.normalize("NFKC", raw).strip()
            for form in _DATE_FORMS:
                match = form.match(text)
                if match:
                    try:
                        value = date(*(int(part) for part in match.groups()))
                    except ValueError:
                        value = None
                    break
        if value is None:
            return self._type_error(item, raw, path, "日期（如2020-05-27）", "a date (2020-05-27)")
        if not MIN_DATE <= value <= MAX_DATE:
            self.issue(
                path,
                "out_of_range",
                f"{item.label_zh}应在{MIN_DATE.year}年至{MAX_DATE.year}年之间，实际为{value}",
                f"date must be between {MIN_DATE} and {MAX_DATE}, got {value}",
            )
            return INVALID
        return value

    def _bool(self, item: Field, raw: Any, path: str) -> Any:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str):
            text = raw.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        return self._type_error(item, raw, path, "“是”或“否”", "yes/no (是/否)")

    def _choice(self, item: Field, raw: Any, path: str) -> Any:
        if isinstance(raw, str) and raw.strip() in item.choices:
            return raw.strip()
        self.issue(
            path,
            "choice",
            f"{item.label_zh}的选项“{show(raw)}”不在可选范围内（{self._choices_zh(item)}）",
            f"{show(raw)!r} is not one of the allowed choices",
        )
        return INVALID

    def _choices_zh(self, item: Field) -> str:
        if len(item.choices) <= 14:
            return "、".join(item.choices)
        source = taxonomy_source(item.choices_from) if item.choices_from else ""
        return f"共{len(item.choices)}项，见{source or '选项表'}"

    def _multichoice(self, item: Field, raw: Any, path: str) -> Any:
        if isinstance(raw, str):
            items = split_choices(raw)
        elif isinstance(raw, list | tuple):
            if not all(isinstance(part, str) for part in raw):
                return self._type_error(item, raw, path, "选项列表", "a list of choices")
            items = [part.strip() for part in raw]
        else:
            return self._type_error(item, raw, path, "选项列表", "a list of choices")
        items = [part for part in items if part]
        ok = True
        seen: list[str] = []
        for part in items:
            if part not in item.choices:
                ok = False
                self.issue(
                    path,
                    "choice",
                    f"{item.label_zh}的选项“{show(part)}”不在可选范围内（{self._choices_zh(item)}）",
                    f"{show(part)!r} is not one of the allowed choices",
                )
            elif part in seen:
                ok = False
                self.issue(
                    path,
                    "duplicate_choice",
                    f"{item.label_zh}重复选择了“{part}”",
                    f"{part!r} chosen twice",
                )
            else:
                seen.append(part)
        if item.max_items is not None and len(items) > item.max_items:
            ok = False
            self.issue(
                path,
                "max_choices",
                f"{item.label_zh}最多选择{item.max_items}项，实际{len(items)}项",
                f"at most {item.max_items} choices, got {len(items)}",
            )
        if item.min_items is not None and len(items) < item.min_items:
            ok = False
            self.issue(
                path,
                "min_choices",
                f"{item.label_zh}至少选择{item.min_items}项，实际{len(items)}项",
                f"at least {item.min_items} choices, got {len(items)}",
            )
        return seen if ok else INVALID

    def _attachment(self, item: Field, raw: Any, path: str) -> Any:
        if isinstance(raw, str):
            names = raw.splitlines()  # one file per line, as in an xlsx cell
        elif isinstance(raw, list | tuple) and all(isinstance(n, str) for n in raw):
            names = list(raw)
        else:
            return self._type_error(item, raw, path, "附件文件名或文件名列表", "file name(s)")
        names = [name.strip() for name in names if name.strip()]
        ok = True
        for name in names:
            bad = (
                len(name) > MAX_ATTACHMENT_NAME
                or "/" in name
                or "\\" in name
                or name.startswith(".")
                or _ANY_CONTROL.search(name) is not None
            )
            if bad:
                ok = False
                self.issue(
                    path,
                    "attachment_name",
                    f"{item.label_zh}的文件名“{show(name)}”不合法（不得含路径、控制字符，"
                    f"不得以“.”开头，不超过{MAX_ATTACHMENT_NAME}字符）",
                    f"invalid file name {show(name)!r}: no paths, control characters or "
                    "leading dot",
                )
        return names if ok else INVALID

    def _table(self, item: Field, raw: Any, path: str) -> Any:
        if not isinstance(raw, list | tuple):
            return self._type_error(item, raw, path, "行的列表", "a list of rows")
        rows = [row for row in raw if not is_absent(row)]
        if item.max_items is not None and len(rows) > item.max_items:
            self.issue(
                path,
                "max_rows",
                f"{item.label_zh}最多填写{item.max_items}项，实际{len(rows)}项",
                f"at most {item.max_items} rows, got {len(rows)}",
            )
            return INVALID
        if item.min_items is not None and len(rows) < item.min_items:
            self.issue(
                path,
                "min_rows",
                f"{item.label_zh}至少填写{item.min_items}项，实际{len(rows)}项",
                f"at least {item.min_items} rows, got {len(rows)}",
            )
            return INVALID
        result: list[Any] = []
        for index, row in enumerate(rows, start=1):
            row_path = f"{path}[{index}]"
            if not isinstance(row, Mapping):
                self.issue(
                    row_path,
                    "type",
                    f"{item.label_zh}第{index}行应为填写项的映射",
                    "each row must be a mapping of columns",
                )
                if self.keep_invalid:
                    result.append(row)
                continue
            result.append(self.fields(item.columns, row, row_path))
        return result

    # -- cross-field rules

    def cross_checks(self, typed: Mapping[str, Any]) -> None:
        exceeded: set[tuple[str, str]] = set()  # (part, whole) already reported by part_of
        for check in self.schema.checks:
            if check.rule == "part_of":
                if self.part_of(check, typed):
                    exceeded.add((check.part, check.whole))
        for check in self.schema.checks:
            if check.rule == "sum_of":
                if not any((part, check.whole) in exceeded for part in check.parts):
                    self.sum_of(check, typed)
            elif check.rule == "no_loss_if":
                self.no_loss_if(check, typed)

    @staticmethod
    def _cite(check: Check) -> tuple[str, str]:
        return (f"（{check.clause}）", f" ({check.clause})") if check.clause else ("", "")

    def part_of(self, check: Check, typed: Mapping[str, Any]) -> bool:
        part = _lookup(typed, check.part)
        whole = _lookup(typed, check.whole)
        if not _is_number(part) or not _is_number(whole) or part <= whole:
            return False
        part_field = self.schema.field(check.part)
        whole_field = self.schema.field(check.whole)
        zh_cite, en_cite = self._cite(check)
        self.issue(
            check.part,
            "part_exceeds_total",
            f"{part_field.label_zh}（{format_quantity(part, part_field.unit)}）"
            f"不得大于{whole_field.label_zh}（{format_quantity(whole, whole_field.unit)}）{zh_cite}",
            f"must not exceed {check.whole} ({part} > {whole}){en_cite}",
        )
        return True

    def sum_of(self, check: Check, typed: Mapping[str, Any]) -> None:
        """The kinds of one total, added up, may not exceed it (reported at the total)."""
        parts = [_lookup(typed, path) for path in check.parts]
        whole = _lookup(typed, check.whole)
        if not all(_is_number(p) for p in parts) or not _is_number(whole):
            return
        total = sum(parts, Decimal(0))
        if total <= whole:
            return
        whole_field = self.schema.field(check.whole)
        labels = [_part_label(self.schema.field(path).label_zh) for path in check.parts]
        terms_zh = " + ".join(labels)
        sum_zh = " + ".join(format_number(p) for p in parts)
        zh_cite, en_cite = self._cite(check)
        self.issue(
            check.whole,
            "parts_exceed_total",
            f"{terms_zh}（{sum_zh} = {format_quantity(total, whole_field.unit)}）"
            f"不得大于{whole_field.label_zh}（{format_quantity(whole, whole_field.unit)}）"
            f"{zh_cite}",
            f"{' + '.join(check.parts)} = {format_number(total)} must not exceed "
            f"{check.whole} ({format_number(whole)}): they are parts of it{en_cite}",
        )

    def no_loss_if(self, check: Check, typed: Mapping[str, Any]) -> None:
        """An amount given as a loss while a yes/no field states continuous profit."""
        amount = _lookup(typed, check.part)
        flag = _lookup(typed, check.whole)
        if flag is not True or not _is_number(amount) or amount >= 0:
            return
        amount_field = self.schema.field(check.part)
        flag_field = self.schema.field(check.whole)
        zh_cite, en_cite = self._cite(check)
        self.issue(
            check.part,
            "loss_contradicts",
            f"{amount_field.label_zh}为亏损（{format_quantity(amount, amount_field.unit)}），"
            f"与“{flag_field.label_zh}：是”矛盾{zh_cite}",
            f"a loss ({format_number(amount)}) contradicts {check.whole} = yes: "
            f"not profitable three years in a row{en_cite}",
        )


# the parser's method for each field type, looked up once
_BY_TYPE: dict[str, Callable[[_Parser, Field, Any, str], Any]] = {
    kind: getattr(_Parser, f"_{kind}") for kind in FIELD_TYPES
}
# the field ids of each tuple of fields (sections, yearly sections, table columns) of a schema
_IDS: dict[int, tuple[tuple[Field, ...], frozenset[str]]] = {}


def _ids(fields: tuple[Field, ...]) -> frozenset[str]:
    hit = _IDS.get(id(fields))
    if hit is None or hit[0] is not fields:
        hit = _IDS[id(fields)] = (fields, frozenset(item.id for item in fields))
    return hit[1]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _part_label(label: str) -> str:
    """ "其中：发明专利" -> "发明专利" (the 其中 of a printed form reads badly inside a sum)."""
    for prefix in ("其中：", "其中:"):
        if label.startswith(prefix):
            return label[len(prefix) :]
    return label


def _lookup(typed: Mapping[str, Any], path: str) -> Any:
    section_id, _, field_id = path.partition(".")
    section = typed.get(section_id)
    if not isinstance(section, Mapping):
        return None
    return section.get(field_id)


def field_value(schema: FormSchema, typed: Mapping[str, Any], path: str) -> Any:
    """The typed value at "section.field": for a yearly section, {year: value} across its years;
    None when absent."""
    section_id, _, field_id = path.partition(".")
    section = schema.section(section_id)
    data = typed.get(section_id)
    if not isinstance(data, Mapping):
        return None
    if section.years:
        values = {
            year: data[year][field_id]
            for year in section.years
            if isinstance(data.get(year), Mapping) and field_id in data[year]
        }
        return values or None
    return data.get(field_id)


def to_jsonable(value: Any) -> Any:
    """A typed form (or part) as JSON-safe data: Decimal -> str, date -> ISO, year keys -> str."""
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return value
