"""Eligibility of an application against the checkable criteria of its edition: each criterion on
its own, with the values used, the threshold and the clause; qualitative ones left to reviewers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from functools import partial
from typing import Any

from programs.forms.issues import FormIssue
from programs.forms.schema import CriterionSpec, Field, FormSchema, Section, form_schema
from programs.forms.validate import (
    count_chars,
    field_value,
    format_number,
    format_quantity,
    is_absent,
    parse_with_schema,
    reference_path_active,
    schema_index,
    split_choices,
    to_jsonable,
)

MET = "met"
NOT_MET = "not_met"
NEEDS_REVIEW = "needs_review"
MISSING = "missing"
STATUS_ZH = {MET: "满足", NOT_MET: "不满足", NEEDS_REVIEW: "需评审判断", MISSING: "缺少数据"}
_RATIO_PLACES = Decimal("0.01")
_ABSENCE = frozenset({"required", "required_if", "year_missing", "section_missing"})


@dataclass(frozen=True)
class CriterionResult:
    id: str
    label_zh: str
    status: str  # met | not_met | needs_review | missing
    clause: str
    text: str  # e.g. "ITO执行额 2024年: 4,800 万元 < 5,000 万元（申报工作方案 五（三）2）"
    threshold: str | None = None  # e.g. "≥ 5,000 万元"
    values: Mapping[str, Any] = field(default_factory=dict)  # field path -> value used
    evidence: tuple[str, ...] = ()  # what the applicant gave for a qualitative criterion
    children: tuple[CriterionResult, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label_zh": self.label_zh,
            "status": self.status,
            "status_zh": STATUS_ZH[self.status],
            "clause": self.clause,
            "text": self.text,
            "threshold": self.threshold,
            "values": to_jsonable(dict(self.values)),
            "evidence": list(self.evidence),
            "children": [child.to_dict() for child in self.children],
        }


def combined_status(statuses: list[str]) -> str:
    """not_met beats missing beats needs_review beats met."""
    for status in (NOT_MET, MISSING, NEEDS_REVIEW):
        if status in statuses:
            return status
    return MET


@dataclass(frozen=True)
class EligibilityReport:
    edition_id: str
    kind: str
    criteria: tuple[CriterionResult, ...]
    issues: tuple[FormIssue, ...] = ()  # validation problems of the form evaluated
    schema_version: str = ""

    @property
    def status(self) -> str:
        """Over every criterion: not_met, missing, needs_review (qualitative left) or met."""
        return combined_status([c.status for c in self.criteria])

    @property
    def thresholds_status(self) -> str:
        """Over the checkable criteria only (qualitative ones left out)."""
        return combined_status([c.status for c in self.criteria if c.status != NEEDS_REVIEW])

    def criterion(self, criterion_id: str) -> CriterionResult:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def lines(self) -> list[str]:
        return [f"[{STATUS_ZH[c.status]}] {c.text}" for c in self.criteria]

    def to_dict(self) -> dict[str, Any]:
        return {
            "edition_id": self.edition_id,
            "kind": self.kind,
            "status": self.status,
            "status_zh": STATUS_ZH[self.status],
            "thresholds_status": self.thresholds_status,
            "form_valid": not self.issues,
            "issue_count": len(self.issues),
            "schema_version": self.schema_version,
            "criteria": [c.to_dict() for c in self.criteria],
        }


def eligibility(edition_id: str, kind: str, data: Mapping[str, Any]) -> EligibilityReport:
    """Evaluate every criterion of the edition and kind on `data` (raw or typed form).

    Never refuses: invalid or absent values make a criterion "missing"; the province decides.
    """
    schema = form_schema(edition_id, kind)
    typed, issues = parse_with_schema(schema, data)
    return eligibility_of(schema, data, typed, issues)


def eligibility_of(
    schema: FormSchema, data: Any, typed: Mapping[str, Any], issues: list[FormIssue]
) -> EligibilityReport:
    """`eligibility` on a form already parsed with `schema` (`parse_with_schema`: one parse for
    the validation and the criteria)."""
    evaluator = _Evaluator(schema, typed, data if isinstance(data, Mapping) else {}, issues)
    return EligibilityReport(
        edition_id=schema.edition_id,
        kind=schema.kind,
        criteria=tuple(evaluator.evaluate(spec) for spec in schema.criteria),
        issues=tuple(issues),
        schema_version=schema.version,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


_COMPARE: dict[str, tuple[Callable[[Decimal, Decimal], bool], str, str]] = {
    "at_least": (lambda v, t: v >= t, "≥", "<"),
    "at_most": (lambda v, t: v <= t, "≤", ">"),
    "greater_than": (lambda v, t: v > t, ">", "≤"),
    "less_than": (lambda v, t: v < t, "<", "≥"),
}


class _Evaluator:
    def __init__(
        self,
        schema: FormSchema,
        typed: Mapping[str, Any],
        raw: Mapping[str, Any],
        issues: list[FormIssue],
    ) -> None:
        self.schema = schema
        self.typed = typed
        self.raw = raw
        self.invalid_paths = [issue.path for issue in issues if issue.code not in _ABSENCE]
        self.reference = reference_path_active()
        self.section: Callable[[str], Section]
        self.field: Callable[[str], Field]
        self.value: Callable[[str], Any]
        self.limit: Callable[..., str]  # a threshold as shown: format_quantity(threshold, unit)
        if self.reference:  # the lookups as the schema answers them, every time
            self.section = schema.section
            self.field = schema.field
            self.value = partial(field_value, schema, typed)
            self.limit = _limit
        else:  # the same answers from the schema's index, built once per schema
            index = schema_index(schema)
            self.section = index.section
            self.field = index.field
            self.value = partial(index.value, typed)
            self.limit = _shown_threshold

    def evaluate(self, spec: CriterionSpec) -> CriterionResult:
        if self.reference:
            method = getattr(self, f"_{spec.rule}", None)
            if method is None:
                method = self._compare
            return method(spec)
        rule = _RULE_METHODS.get(spec.rule)
        if rule is None:
            rule = _RULE_METHODS[spec.rule] = getattr(_Evaluator, f"_{spec.rule}", None) or (
                _Evaluator._compare
            )
        return rule(self, spec)

    # -- helpers

    def unit(self, spec: CriterionSpec, path: str) -> str | None:
        return spec.unit or self.field(path).unit

    def absent_word(self, path: str) -> str:
        """未填写 (nothing given) or 填写有误 (given but invalid)."""
        for issue_path in self.invalid_paths:
            if issue_path == path or issue_path.startswith((f"{path}[", f"{path}.")):
                return "填写有误"
        return "未填写"

    def result(self, spec: CriterionSpec, status: str, body: str, **extra: Any) -> CriterionResult:
        return CriterionResult(
            id=spec.id,
            label_zh=spec.label_zh,
            status=status,
            clause=spec.clause,
            text=f"{body}（{spec.clause}）",
            **extra,
        )

    # -- numeric comparisons, yearly or single

    def _compare(self, spec: CriterionSpec) -> CriterionResult:
        assert spec.field is not None and spec.threshold is not None
        test, ok_sign, bad_sign = _COMPARE[spec.rule]
        unit = self.unit(spec, spec.field)
        threshold = spec.threshold
        threshold_text = f"{ok_sign} {self.limit(threshold, unit)}"
        value = self.value(spec.field)
        years = self.years_of(spec.field)
        if years:
            per_year = value if isinstance(value, Mapping) else {}
            parts_ok: list[str] = []
            parts_bad: list[str] = []
            parts_missing: list[str] = []
            values: dict[str, Any] = {}
            for year in years:
                path = self.year_path(spec.field, year)
                item = per_year.get(year)
                if not _is_number(item):
                    parts_missing.append(f"{year}年: {self.absent_word(path)}")
                    continue
                values[path] = item
                shown = f"{year}年: {format_quantity(item, unit)}"
                if test(Decimal(item), threshold):
                    parts_ok.append(f"{shown} {ok_sign} {self.limit(threshold, unit)}")
                else:
                    parts_bad.append(f"{shown} {bad_sign} {self.limit(threshold, unit)}")
            if parts_bad:
                status, parts = NOT_MET, parts_bad + parts_missing
            elif parts_missing:
                status, parts = MISSING, parts_missing
            else:
                status, parts = MET, parts_ok
            body = f"{spec.label_zh} " + "；".join(parts)
            return self.result(spec, status, body, threshold=threshold_text, values=values)
        if not _is_number(value):
            body = f"{spec.label_zh}: {self.absent_word(spec.field)}"
            return self.result(spec, MISSING, body, threshold=threshold_text)
        met = test(Decimal(value), threshold)
        sign = ok_sign if met else bad_sign
        body = (
            f"{spec.label_zh}: {format_quantity(value, unit)} {sign} {self.limit(threshold, unit)}"
        )
        return self.result(
            spec,
            MET if met else NOT_MET,
            body,
            threshold=threshold_text,
            values={spec.field: value},
        )

    def years_of(self, path: str) -> tuple[int, ...]:
        section_id = path.split(".")[0]
        section = self.section(section_id)
        return section.years or self.field(path).years

    def year_path(self, path: str, year: int) -> str:
        section_id, _, field_id = path.partition(".")
        if self.section(section_id).years:
            return f"{section_id}[{year}].{field_id}"
        return f"{path}[{year}]"

    # -- yes / no

    def _is_true(self, spec: CriterionSpec) -> CriterionResult:
        assert spec.field is not None
        value = self.value(spec.field)
        if not isinstance(value, bool):
            body = f"{spec.label_zh}: {self.absent_word(spec.field)}"
            return self.result(spec, MISSING, body, threshold="是")
        body = f"{spec.label_zh}: {'是' if value else '否'}"
        return self.result(
            spec, MET if value else NOT_MET, body, threshold="是", values={spec.field: value}
        )

    # -- counts of choices or rows

    def count(self, path: str) -> int | None:
        value = self.value(path)
        if isinstance(value, list):
            return len(value)
        section_id, _, field_id = path.partition(".")
        raw_section = self.raw.get(section_id)
        raw = raw_section.get(field_id) if isinstance(raw_section, Mapping) else None
        if is_absent(raw):
            return None
        if isinstance(raw, str):
            return len(split_choices(raw))
        if isinstance(raw, list | tuple):
            return len([part for part in raw if not is_absent(part)])
        return None

    def _count(self, spec: CriterionSpec, at_most: bool) -> CriterionResult:
        assert spec.field is not None and spec.threshold is not None
        unit = spec.unit or "项"
        ok_sign, bad_sign = ("≤", ">") if at_most else ("≥", "<")
        threshold_text = f"{ok_sign} {self.limit(spec.threshold)} {unit}"
        count = self.count(spec.field)
        if count is None:
            if self.field(spec.field).required:
                body = f"{spec.label_zh}: {self.absent_word(spec.field)}"
                return self.result(spec, MISSING, body, threshold=threshold_text)
            count = 0
        met = count <= spec.threshold if at_most else count >= spec.threshold
        body = (
            f"{spec.label_zh}: {count} {unit} {ok_sign if met else bad_sign} "
            f"{self.limit(spec.threshold)} {unit}"
        )
        return self.result(
            spec,
            MET if met else NOT_MET,
            body,
            threshold=threshold_text,
            values={spec.field: count},
        )

    def _count_at_most(self, spec: CriterionSpec) -> CriterionResult:
        return self._count(spec, at_most=True)

    def _count_at_least(self, spec: CriterionSpec) -> CriterionResult:
        return self._count(spec, at_most=False)

    # -- derived values

    def _ratio_at_least(self, spec: CriterionSpec) -> CriterionResult:
        assert spec.numerator and spec.denominator and spec.threshold is not None
        unit = spec.unit or self.field(spec.numerator).unit
        threshold_text = f"≥ {self.limit(spec.threshold, unit)}"
        top = self.value(spec.numerator)
        bottom = self.value(spec.denominator)
        top_field = self.field(spec.numerator)
        bottom_field = self.field(spec.denominator)
        for path, value in ((spec.numerator, top), (spec.denominator, bottom)):
            if not _is_number(value):
                label = self.field(path).label_zh
                body = f"{spec.label_zh}: {label}{self.absent_word(path)}"
                return self.result(spec, MISSING, body, threshold=threshold_text)
        values: dict[str, Any] = {spec.numerator: top, spec.denominator: bottom}
        if bottom == 0:
            # nothing to divide by is a fact, not a gap: with no one (or nothing) to count there
            # is no per-head amount that could reach the threshold
            body = (
                f"{spec.label_zh}: {bottom_field.label_zh}为"
                f"{format_quantity(bottom, bottom_field.unit)}，无人均可计，"
                f"未达到{self.limit(spec.threshold, unit)}"
            )
            return self.result(spec, NOT_MET, body, threshold=threshold_text, values=values)
        ratio = Decimal(top) / Decimal(bottom)
        shown = ratio.quantize(_RATIO_PLACES, rounding=ROUND_DOWN)
        values["ratio"] = shown
        met = ratio >= spec.threshold
        body = (
            f"{spec.label_zh}: {format_quantity(top, top_field.unit)} / "
            f"{format_quantity(bottom, bottom_field.unit)} = {format_quantity(shown, unit)} "
            f"{'≥' if met else '<'} {self.limit(spec.threshold, unit)}"
        )
        return self.result(
            spec, MET if met else NOT_MET, body, threshold=threshold_text, values=values
        )

    def _sum_greater_than(self, spec: CriterionSpec) -> CriterionResult:
        assert spec.threshold is not None
        unit = spec.unit
        threshold_text = f"> {self.limit(spec.threshold, unit)}"
        values = {path: value for path in spec.fields if _is_number(value := self.value(path))}
        if not values:
            labels = "、".join(self.field(path).label_zh for path in spec.fields)
            body = f"{spec.label_zh}: {labels}{self.absent_word(spec.fields[0])}"
            return self.result(spec, MISSING, body, threshold=threshold_text)
        total = sum(values.values(), Decimal(0))
        met = total > spec.threshold
        terms = " + ".join(
            f"{self.field(path).label_zh} {format_number(value)}" for path, value in values.items()
        )
        body = (
            f"{spec.label_zh}: {terms} = {format_quantity(total, unit)} "
            f"{'>' if met else '≤'} {self.limit(spec.threshold, unit)}"
        )
        return self.result(
            spec, MET if met else NOT_MET, body, threshold=threshold_text, values=values
        )

    def _attached_if_present(self, spec: CriterionSpec) -> CriterionResult:
        assert spec.field is not None
        attachment_path = spec.fields[0]
        count = self.count(spec.field) or 0
        condition_label = self.field(spec.field).label_zh
        if count == 0:
            body = f"{spec.label_zh}: 单独申报，不适用"
            return self.result(spec, MET, body, values={spec.field: 0})
        names = self.value(attachment_path)
        values: dict[str, Any] = {spec.field: count}
        if isinstance(names, list) and names:
            values[attachment_path] = names
            body = f"{spec.label_zh}: 联合体申报（{count}家成员单位），已提供{'、'.join(names)}"
            return self.result(spec, MET, body, values=values)
        body = (
            f"{spec.label_zh}: 联合体申报（{condition_label}{count}家），"
            f"{self.absent_word(attachment_path)}"
        )
        return self.result(spec, NOT_MET, body, values=values)

    # -- combinations

    def _combine(self, spec: CriterionSpec, any_of: bool) -> CriterionResult:
        children = tuple(self.evaluate(child) for child in spec.children)
        statuses = [child.status for child in children]
        if any_of:
            if MET in statuses:
                status = MET
            elif all(s == NOT_MET for s in statuses):
                status = NOT_MET
            else:
                status = combined_status([s for s in statuses if s != NOT_MET])
        else:
            status = combined_status(statuses)
        joiner = "；或 " if any_of else "；"
        shown = children
        if any_of and status == MET:
            shown = tuple(child for child in children if child.status == MET)
        body = f"{spec.label_zh}: {STATUS_ZH[status]}——" + joiner.join(c.text for c in shown)
        values: dict[str, Any] = {}
        for child in children:
            values.update(child.values)
        return CriterionResult(
            id=spec.id,
            label_zh=spec.label_zh,
            status=status,
            clause=spec.clause,
            text=body,
            values=values,
            children=children,
        )

    def _all_of(self, spec: CriterionSpec) -> CriterionResult:
        return self._combine(spec, any_of=False)

    def _any_of(self, spec: CriterionSpec) -> CriterionResult:
        return self._combine(spec, any_of=True)

    # -- qualitative

    def _qualitative(self, spec: CriterionSpec) -> CriterionResult:
        evidence: list[str] = []
        for path in spec.evidence:
            item = self.field(path)
            value = self.value(path)
            if is_absent(value):
                continue
            if item.type == "attachment":
                evidence.append(f"{item.label_zh}：{'、'.join(value)}")
            elif item.type == "text" and item.multiline:
                evidence.append(f"{item.label_zh}（{count_chars(value)}字）")
            elif _is_number(value):
                evidence.append(f"{item.label_zh}：{format_quantity(value, item.unit)}")
            else:
                evidence.append(f"{item.label_zh}：{value}")
        if evidence:
            status = NEEDS_REVIEW
            body = f"{spec.label_zh}: 需评审判断；申请人提供：" + "；".join(evidence)
        else:
            status = MISSING
            body = f"{spec.label_zh}: 需评审判断；申请人未提供相关说明或附件"
        return self.result(spec, status, body, evidence=tuple(evidence))


# thresholds as shown, formatted once: a threshold comes from the schema, and format_quantity
# gives equal numbers (2, Decimal("2"), Decimal("2.0")) the same text
_THRESHOLDS: dict[tuple[Decimal, str | None], str] = {}


def _limit(threshold: Decimal, unit: str | None = None) -> str:
    return format_quantity(threshold, unit)


def _shown_threshold(threshold: Decimal, unit: str | None = None) -> str:
    if type(threshold) is not Decimal or not threshold.is_finite():
        return format_quantity(threshold, unit)
    key = (threshold, unit)
    text = _THRESHOLDS.get(key)
    if text is None:
        if len(_THRESHOLDS) >= 4096:
            _THRESHOLDS.clear()
        text = _THRESHOLDS[key] = format_quantity(threshold, unit)
    return text


# the evaluator's method of each rule, looked up once
_RULE_METHODS: dict[str, Callable[[_Evaluator, CriterionSpec], CriterionResult]] = {}
