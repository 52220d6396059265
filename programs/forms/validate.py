"""Form validation: type every value by its schema and report every problem at once, each with
its field path and a message in Chinese and English."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
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


# ---------------------------------------------------------------- the reference path

_REFERENCE: ContextVar[bool] = ContextVar("forms_reference_path", default=False)


def reference_path_active() -> bool:
    """True inside `reference_path()`: forms are checked by the full methods only."""
    return _REFERENCE.get()


@contextmanager
def reference_path() -> Iterator[None]:
    """Within it, forms are parsed and their criteria evaluated by the full methods only, without
    the fast path compiled per schema (which gives the same result, typed values and issues for
    the common valid values and leaves everything else to those methods): the reference the fast
    path is checked and timed against."""
    token = _REFERENCE.set(True)
    try:
        yield
    finally:
        _REFERENCE.reset(token)


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


def _raw_at(data: Mapping[str, Any], path: str) -> Any:
    """The value at section.field of a form as given (None when absent)."""
    section_id, _, field_id = path.partition(".")
    raw_section = data.get(section_id)
    if not isinstance(raw_section, Mapping):
        return None
    raw = raw_section.get(field_id)
    return None if is_absent(raw) else raw


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
        self.fast = not _REFERENCE.get()

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
        index = schema_index(self.schema) if self.fast else None
        if index is not None:
            known: frozenset[str] | set[str] = index.section_ids
        else:
            known = {section.id for section in self.schema.sections}
        if index is None or not known.issuperset(data):
            for key in data:
                if key not in known:
                    self.issue(
                        show(key, 40),
                        "unknown_section",
                        f"“{show(key)}”不是本表的组成部分",
                        f"unknown section; expected one of {', '.join(sorted(known))}",
                    )
        typed: dict[str, Any] = {}
        for position, section in enumerate(self.schema.sections):
            raw = data.get(section.id)
            # a whole section typed at once when every value in it is usual and valid
            value = index.section_fasts[position](raw, data) if index is not None else MISS
            if value is MISS:
                value = self.section(section, raw)
            if value:
                typed[section.id] = value
        self.cross_checks(typed)
        return typed, self.issues

    # -- sections

    def section(self, section: Section, raw: Any) -> Any:
        """The typed section (None when absent or not a mapping, reported)."""
        if is_absent(raw):
            if section.required:
                self.issue(
                    section.id,
                    "section_missing",
                    f"缺少“{section.label_zh}”部分",
                    f"section missing: {section.label_en}",
                )
            return None
        if not isinstance(raw, Mapping):
            self.issue(
                section.id,
                "type",
                f"“{section.label_zh}”部分应为填写项的映射",
                "section must be a mapping of fields",
            )
            return None
        if section.years:
            return self.yearly_section(section, raw)
        return self.fields(section.fields, raw, section.id)

    def yearly_section(self, section: Section, raw: Mapping[Any, Any]) -> dict[int, Any]:
        result: dict[int, Any] = {}
        given: dict[int, Any] = {}
        years = _year_keys(section.years) if self.fast else None
        for key, value in raw.items():
            year = years.get(key) if years is not None and type(key) is str else None
            if year is None:
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
        known, plan = _fast_plan(fields, self.schema) if self.fast else (_ids(fields), None)
        if plan is None or not known.issuperset(raw):
            for key in raw:
                if key not in known:
                    self.issue(
                        f"{prefix}.{show(key, 40)}",
                        "unknown_field",
                        f"“{show(key)}”不是本部分的填写项",
                        "unknown field",
                    )
        result: dict[str, Any] = {}
        if plan is not None:
            # the compiled fast path: a usual valid value typed at once, an optional field left
            # empty passed over; anything else (MISS) goes the full way, issues and all
            for field_id, item, fast, quiet in plan:
                value = raw.get(field_id)
                parsed = fast(value)
                if parsed is not MISS:
                    result[field_id] = parsed
                elif value is None and quiet(self.data):
                    continue
                else:
                    self.field(item, value, f"{prefix}.{field_id}", result)
            return result
        for item in fields:
            self.field(item, raw.get(item.id), f"{prefix}.{item.id}", result)
        return result

    def field(self, item: Field, value: Any, path: str, result: dict[str, Any]) -> None:
        """One field's value typed into `result` (left out when absent or invalid), its issues
        recorded."""
        if is_absent(value):
            self.require(item, path)
            return
        parsed = (
            self.yearly_field(item, value, path) if item.years else self.value(item, value, path)
        )
        if parsed is INVALID:
            if self.keep_invalid:
                result[item.id] = value
            return
        if not is_absent(parsed):
            result[item.id] = parsed

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
        return _raw_at(self.data, path)

    def peek(self, path: str) -> Any:
        """The typed value at section.field, parsed on its own (None when absent or invalid)."""
        raw = self.raw_at(path)
        if raw is None:
            return None
        section_id, _, field_id = path.partition(".")
        section = self.schema.section(section_id)
        item = section.field(field_id)
        if self.fast:
            value = _fast_single(item)(raw)
            if value is not MISS:
                return value
        probe = _Parser(self.schema, keep_invalid=False)
        value = probe.value(item, raw, path)
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
        years = _year_keys(item.years) if self.fast else None
        for key, value in raw.items():
            year = years.get(key) if years is not None and type(key) is str else None
            if year is None:
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


# ---------------------------------------------------------------- the fast path, per schema
#
# For each field a closure compiled once from its schema entry types the common valid values at
# once (a number within its bounds, a clean text, a known choice, ...) and returns MISS for
# anything else: absent, invalid, or merely unusual (fullwidth digits, commas, spaces, floats).
# Whatever it accepts, the full method above accepts with the same typed value and no issue; on
# MISS that method runs and reports as it always does.


class _Miss:
    """Marker of a value the fast path leaves to the full method."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISS"


MISS: Any = _Miss()
_Fast = Callable[[Any], Any]

# strict ASCII forms: no sign but "-", no spaces, no group commas, nothing NFKC would change
_PLAIN_INT = re.compile(r"-?[0-9]{1,18}")
_PLAIN_YEAR = re.compile(r"[0-9]{1,18}")
_PLAIN_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_PLAIN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PLAIN_PHONE = re.compile(
    r"0[0-9]{2,3}-?[0-9]{7,8}(?:-[0-9]{1,6})?|1[3-9][0-9]{9}|400-?[0-9]{3}-?[0-9]{4}"
)
_PLAIN_EMAIL = re.compile(_EMAIL.pattern[1:-1])
_PLAIN_USCC = re.compile(r"[0-9A-HJ-NP-RTUWXY]{18}")
# a file name as given and as kept: no surrounding whitespace, no leading dot, no path or control
# characters, no line separators (one name per line in a cell)
_PLAIN_NAME = re.compile(
    r"[^\s./\\\x00-\x1f\x7f-\x9f](?:[^/\\\x00-\x1f\x7f-\x9f\u2028\u2029]*"
    r"[^\s/\\\x00-\x1f\x7f-\x9f])?"
)
_BOOL_WORDS = {word: True for word in _TRUE} | {word: False for word in _FALSE}
_INFINITY = Decimal("Infinity")


def _decline(raw: Any) -> Any:
    return MISS


def _bounds(item: Field) -> tuple[Decimal, Decimal]:
    """The range `_number` accepts for `item`: its cap, percentage range, min and max at once."""
    low, high = -_INFINITY, _INFINITY
    if item.cap is not None:
        low, high = max(low, -item.cap), min(high, item.cap)
    if item.type == "percent":
        low, high = max(low, Decimal(0)), min(high, Decimal(100))
    if item.min is not None:
        low = max(low, item.min)
    if item.max is not None:
        high = min(high, item.max)
    return low, high


def _fast_int(item: Field) -> _Fast:
    low, high = _bounds(item)

    def fast(raw: Any) -> Any:
        if type(raw) is int:
            return raw if low <= raw <= high else MISS
        if type(raw) is str and _PLAIN_INT.fullmatch(raw):
            number = int(raw)
            return number if low <= number <= high else MISS
        return MISS

    return fast


def _fast_decimal(item: Field) -> _Fast:
    low, high = _bounds(item)
    places = item.decimals
    if places is None:
        digits = r"[0-9]+(?:\.[0-9]+)?"
    elif places > 0:
        digits = rf"[0-9]+(?:\.[0-9]{{1,{places}}})?"
    elif places == 0:
        digits = r"[0-9]+"
    else:
        return _decline  # no number has fewer than no decimal places: the full method reports
    suffix = "%?" if item.type == "percent" else ""
    plain = re.compile(rf"(-?{digits}){suffix}")

    def fast(raw: Any) -> Any:
        kind = type(raw)
        if kind is str:
            match = plain.fullmatch(raw)
            if match is None:
                return MISS
            number = Decimal(match.group(1))
        elif kind is int:
            number = Decimal(raw)
        elif kind is Decimal:
            if not raw.is_finite():
                return MISS
            exponent = raw.as_tuple().exponent
            if places is not None and isinstance(exponent, int) and -exponent > places:
                return MISS
            number = raw
        else:
            return MISS
        return number if low <= number <= high else MISS

    return fast


def _fast_year(item: Field) -> _Fast:
    low = int(item.min) if item.min is not None else MIN_DATE.year
    high = int(item.max) if item.max is not None else MAX_DATE.year

    def fast(raw: Any) -> Any:
        if type(raw) is int:
            return raw if low <= raw <= high else MISS
        if type(raw) is str and _PLAIN_YEAR.fullmatch(raw):
            year = int(raw)
            return year if low <= year <= high else MISS
        return MISS

    return fast


def _fast_text(item: Field) -> _Fast:
    limit = item.max_chars
    pattern = re.compile(item.pattern) if item.pattern is not None else None

    def fast(raw: Any) -> Any:
        if type(raw) is not str or not raw or raw[0].isspace() or _CONTROL.search(raw):
            return MISS
        if limit is not None and len(raw) > limit and count_chars(raw) > limit:
            return MISS
        if pattern is not None and not pattern.fullmatch(raw.strip()):
            return MISS
        return raw

    return fast


def _fast_matching(plain: re.Pattern[str]) -> _Fast:
    def fast(raw: Any) -> Any:
        return raw if type(raw) is str and plain.fullmatch(raw) else MISS

    return fast


def _fast_email(item: Field) -> _Fast:
    def fast(raw: Any) -> Any:
        if type(raw) is str and len(raw) <= 254 and _PLAIN_EMAIL.fullmatch(raw):
            return raw
        return MISS

    return fast


def _fast_uscc(item: Field) -> _Fast:
    def fast(raw: Any) -> Any:
        if type(raw) is str and _PLAIN_USCC.fullmatch(raw) and check_character(raw[:17]) == raw[17]:
            return raw
        return MISS

    return fast


def _fast_date(item: Field) -> _Fast:
    def fast(raw: Any) -> Any:
        if type(raw) is str:
            match = _PLAIN_DATE.fullmatch(raw)
            if match is None:
                return MISS
            year, month, day = match.groups()
            try:
                value = date(int(year), int(month), int(day))
            except ValueError:
                return MISS
        elif type(raw) is date:
            value = raw
        else:
            return MISS
        return value if MIN_DATE <= value <= MAX_DATE else MISS

    return fast


def _fast_bool(item: Field) -> _Fast:
    def fast(raw: Any) -> Any:
        if type(raw) is bool:
            return raw
        if type(raw) is str:
            return _BOOL_WORDS.get(raw, MISS)
        return MISS

    return fast


def _clean_choices(item: Field) -> frozenset[str]:
    """The choices a value can name exactly as given (kept as given, stripped or not)."""
    return frozenset(choice for choice in item.choices if choice and choice == choice.strip())


def _fast_choice(item: Field) -> _Fast:
    choices = _clean_choices(item)

    def fast(raw: Any) -> Any:
        return raw if type(raw) is str and raw in choices else MISS

    return fast


def _fast_multichoice(item: Field) -> _Fast:
    choices = _clean_choices(item)
    most = item.max_items
    least = max(item.min_items or 0, 1)

    def fast(raw: Any) -> Any:
        kind = type(raw)
        if kind is list or kind is tuple:
            parts = list(raw)
            if not all(type(part) is str for part in parts):
                return MISS
        elif kind is str:
            parts = split_choices(raw)
        else:
            return MISS
        count = len(parts)
        if count < least or (most is not None and count > most):
            return MISS
        if not choices.issuperset(parts) or len(set(parts)) != count:
            return MISS
        return parts

    return fast


def _fast_attachment(item: Field) -> _Fast:
    def clean(name: Any) -> bool:
        return (
            type(name) is str
            and len(name) <= MAX_ATTACHMENT_NAME
            and _PLAIN_NAME.fullmatch(name) is not None
        )

    def fast(raw: Any) -> Any:
        if type(raw) is str:
            return [raw] if clean(raw) else MISS
        if type(raw) is list or type(raw) is tuple:
            return list(raw) if raw and all(clean(name) for name in raw) else MISS
        return MISS

    return fast


def _fast_fields(
    fields: tuple[Field, ...], schema: FormSchema | None
) -> Callable[[Any, Mapping[str, Any]], Any]:
    """A non-empty mapping of known fields, each fast or left out where that is no issue (what
    `_Parser.fields` gives when it finds no issue); `data` is the whole form, for conditions."""
    known, plan = _fast_plan(fields, schema)

    def fast(raw: Any, data: Mapping[str, Any]) -> Any:
        if type(raw) is not dict or not raw or not known.issuperset(raw):
            return MISS
        typed: dict[str, Any] = {}
        for field_id, _item, each, quiet in plan:
            value = raw.get(field_id)
            parsed = each(value)
            if parsed is not MISS:
                typed[field_id] = parsed
            elif value is not None or not quiet(data):
                return MISS
        return typed

    return fast


def _fast_table(item: Field) -> _Fast:
    """Rows given as mappings, as many as allowed, every row fast; the typed rows."""
    row_fast = _fast_fields(item.columns, None)
    most = item.max_items
    least = max(item.min_items or 0, 1)

    def fast(raw: Any) -> Any:
        if type(raw) is not list and type(raw) is not tuple:
            return MISS
        count = len(raw)
        if count < least or (most is not None and count > most):
            return MISS
        rows: list[dict[str, Any]] = []
        for row in raw:
            typed = row_fast(row, _NO_FORM)  # a column's condition on the form: the full way
            if typed is MISS:
                return MISS
            rows.append(typed)
        return rows

    return fast


_Section = Callable[[Any, Mapping[str, Any]], Any]


def _fast_section(section: Section, schema: FormSchema) -> _Section:
    """A whole section (every year of a yearly one) typed at once, None when it is absent and
    optional, or MISS."""
    each = _fast_fields(section.fields, schema)
    optional = not section.required
    if not section.years:

        def fast_fields(raw: Any, data: Mapping[str, Any]) -> Any:
            if raw is None:
                return None if optional else MISS
            return each(raw, data)

        return fast_fields
    keys = _year_keys(section.years)
    asked = frozenset(section.years)

    def fast(raw: Any, data: Mapping[str, Any]) -> Any:
        if raw is None:
            return None if optional else MISS
        if type(raw) is not dict or len(raw) != len(asked):
            return MISS
        given: dict[int, Any] = {}
        for key, value in raw.items():
            year = keys.get(key) if type(key) is str else key if type(key) is int else None
            if year not in asked or year in given:
                return MISS
            given[year] = value
        result: dict[int, Any] = {}
        for year in section.years:
            parsed = each(given[year], data)
            if parsed is MISS:
                return MISS
            if parsed:
                result[year] = parsed
        return result

    return fast


def _fast_yearly(item: Field, each: _Fast) -> _Fast:
    """A field given per year: every year asked given once (as "2024" or 2024), each fast."""
    keys = _year_keys(item.years)
    asked = frozenset(item.years)

    def fast(raw: Any) -> Any:
        if type(raw) is not dict or len(raw) != len(asked):
            return MISS
        given: dict[int, Any] = {}
        for key, value in raw.items():
            year = keys.get(key) if type(key) is str else key if type(key) is int else None
            if year not in asked or year in given:
                return MISS
            given[year] = value
        result: dict[int, Any] = {}
        for year in item.years:
            parsed = each(given[year])
            if parsed is MISS:
                return MISS
            result[year] = parsed
        return result

    return fast


_FAST_BY_TYPE: dict[str, Callable[[Field], _Fast]] = {
    "int": _fast_int,
    "decimal": _fast_decimal,
    "percent": _fast_decimal,
    "year": _fast_year,
    "text": _fast_text,
    "mobile": lambda item: _fast_matching(_PLAIN_MOBILE),
    "phone": lambda item: _fast_matching(_PLAIN_PHONE),
    "email": _fast_email,
    "uscc": _fast_uscc,
    "date": _fast_date,
    "bool": _fast_bool,
    "choice": _fast_choice,
    "multichoice": _fast_multichoice,
    "attachment": _fast_attachment,
    "table": _fast_table,
}


def fast_value(item: Field) -> _Fast:
    """The fast path of one field as its section gives it (per year when it has years): the
    typed value of a usual valid raw value, else MISS."""
    each = _fast_single(item)
    if item.years and each is not _decline:
        return _fast_yearly(item, each)
    return each


def _fast_single(item: Field) -> _Fast:
    """The fast path of one value of `item` (what `_Parser.value` types)."""
    hit = _SINGLES.get(id(item))
    if hit is None or hit[0] is not item:
        if len(_SINGLES) >= _CACHE_LIMIT:
            _SINGLES.clear()
        make = _FAST_BY_TYPE.get(item.type)
        hit = _SINGLES[id(item)] = (item, make(item) if make is not None else _decline)
    return hit[1]


# the fast path of each tuple of fields of a schema (sections, yearly sections, table columns):
# their ids, and per field (id, field, closure, whether leaving it out is no issue)
_Quiet = Callable[[Mapping[str, Any]], bool]
_Plan = tuple[frozenset[str], tuple[tuple[str, Field, _Fast, _Quiet], ...]]
_PLANS: dict[tuple[int, int], tuple[tuple[Field, ...], FormSchema | None, _Plan]] = {}
_SINGLES: dict[int, tuple[Field, _Fast]] = {}
_YEAR_KEYS: dict[tuple[int, ...], dict[str, int]] = {}
_CACHE_LIMIT = 4096  # entries per cache; schemas are few, but tests build many of their own


_NO_FORM: Mapping[str, Any] = MappingProxyType({})


def _quiet_always(data: Mapping[str, Any]) -> bool:
    return True


def _quiet_never(data: Mapping[str, Any]) -> bool:
    return False


def _quiet(item: Field, schema: FormSchema | None) -> _Quiet:
    """Whether leaving `item` out of the form `data` is no issue: not required, and its condition,
    if any, surely not holding (`_Parser.require` decides whenever this cannot)."""
    if item.required:
        return _quiet_never
    condition = item.required_if
    if condition is None:
        return _quiet_always
    path = condition.path
    if condition.present:

        def present(data: Mapping[str, Any]) -> bool:
            return data is not _NO_FORM and not condition.holds(_raw_at(data, path))

        return present
    if schema is None:
        return _quiet_never
    section_id, _, field_id = path.partition(".")
    try:  # the field `_Parser.peek` types the condition's value by
        typed_by = _fast_single(schema.section(section_id).field(field_id))
    except KeyError:
        return _quiet_never
    absent_holds = condition.holds(None)

    def equals(data: Mapping[str, Any]) -> bool:
        if data is _NO_FORM:
            return False
        raw = _raw_at(data, path)
        if raw is None:
            return not absent_holds
        value = typed_by(raw)
        return value is not MISS and not condition.holds(value)

    return equals


def _fast_plan(fields: tuple[Field, ...], schema: FormSchema | None) -> _Plan:
    """The plan of `fields` of `schema` (None: conditions on the form left to the full way)."""
    key = (id(fields), id(schema))
    hit = _PLANS.get(key)
    if hit is None or hit[0] is not fields or hit[1] is not schema:
        if len(_PLANS) >= _CACHE_LIMIT:
            _PLANS.clear()
        entries = tuple((item.id, item, fast_value(item), _quiet(item, schema)) for item in fields)
        hit = _PLANS[key] = (fields, schema, (_ids(fields), entries))
    return hit[2]


def _year_keys(years: tuple[int, ...]) -> dict[str, int]:
    """ "2024" -> 2024 for the years asked (the usual keys; others go through `_year_key`)."""
    hit = _YEAR_KEYS.get(years)
    if hit is None:
        if len(_YEAR_KEYS) >= _CACHE_LIMIT:
            _YEAR_KEYS.clear()
        hit = _YEAR_KEYS[years] = {str(year): year for year in years}
    return hit


class SchemaIndex:
    """A schema's sections and fields by id and path, looked up once (the same objects and the
    same KeyError as `FormSchema.section` and `FormSchema.field`)."""

    def __init__(self, schema: FormSchema) -> None:
        self.schema = schema
        self.sections: dict[str, Section] = {}
        for section in schema.sections:
            self.sections.setdefault(section.id, section)
        self.section_ids = frozenset(self.sections)
        self.section_fasts = tuple(_fast_section(section, schema) for section in schema.sections)
        self.fields: dict[str, Field] = {}
        self.places: dict[str, tuple[Section, str]] = {}

    def section(self, section_id: str) -> Section:
        found = self.sections.get(section_id)
        return found if found is not None else self.schema.section(section_id)

    def field(self, path: str) -> Field:
        found = self.fields.get(path)
        if found is None:
            found = self.fields[path] = self.schema.field(path)
        return found

    def value(self, typed: Mapping[str, Any], path: str) -> Any:
        """`field_value(schema, typed, path)`."""
        place = self.places.get(path)
        if place is None:
            section_id, _, field_id = path.partition(".")
            place = self.places[path] = (self.section(section_id), field_id)
        section, field_id = place
        data = typed.get(section.id)
        if type(data) is dict and not section.years:
            return data.get(field_id)
        return _value_in(section, field_id, typed)


_INDEXES: dict[int, SchemaIndex] = {}


def schema_index(schema: FormSchema) -> SchemaIndex:
    hit = _INDEXES.get(id(schema))
    if hit is None or hit.schema is not schema:
        if len(_INDEXES) >= _CACHE_LIMIT:
            _INDEXES.clear()
        hit = _INDEXES[id(schema)] = SchemaIndex(schema)
    return hit


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
    return _value_in(schema.section(section_id), field_id, typed)


def _value_in(section: Section, field_id: str, typed: Mapping[str, Any]) -> Any:
    data = typed.get(section.id)
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
