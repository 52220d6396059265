"""The form editor generated from an edition's form schema: inputs per field, posted values back to
the form's data, and each validation issue placed at its field. Presentation only: the rules are
the schema's (programs.forms)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from programs.editions import load_edition
from programs.forms import FormIssue, FormSchema, form_schema, validate_form
from programs.forms.resolve import forms_edition_id
from programs.safeload import load_structured

NUMERIC = {"int", "decimal", "percent", "year"}
_PATH = re.compile(
    r"^(?P<sec>[A-Za-z_][\w]*)(?:\[(?P<year>\d{4})\])?(?:\.(?P<field>[A-Za-z_]\w*))?"
)


_NOT_DOM = re.compile(r"[^A-Za-z0-9_-]")


@lru_cache(maxsize=4096)
def _dom_id(key: str) -> str:
    """A field key as an HTML id (a page asks for each field's several times)."""
    return _NOT_DOM.sub("-", key)


@dataclass(frozen=True)
class Input:
    key: str  # the posted name: section.field or section.year.field
    label: str
    type: str
    widget: str  # text | textarea | select | multiselect | date | lines | json
    required: bool
    choices: tuple[str, ...]
    value: Any
    help: str | None
    max_chars: int | None

    @property
    def dom(self) -> str:
        return _dom_id(self.key)


@dataclass(frozen=True)
class SectionView:
    id: str
    label: str
    years: tuple[int, ...]
    help: str | None
    inputs: tuple[Input, ...]


def schema_for(edition_id: str, category: str) -> tuple[str, FormSchema]:
    forms_id = forms_edition_id(load_edition(edition_id))
    return forms_id, form_schema(forms_id, category)


def _widget(ftype: str, multiline: bool) -> str:
    if ftype == "text":
        return "textarea" if multiline else "text"
    if ftype in ("bool", "choice"):
        return "select"
    if ftype == "multichoice":
        return "multiselect"
    if ftype == "date":
        return "date"
    if ftype == "attachment":
        return "lines"
    if ftype == "table":
        return "json"
    return "text"


def _shown(value: Any, widget: str) -> Any:
    if value is None:
        return [] if widget == "multiselect" else ""
    if widget == "select" and isinstance(value, bool):
        return "是" if value else "否"
    if widget == "multiselect":
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if widget == "lines":
        return "\n".join(value) if isinstance(value, list) else str(value)
    if widget == "json":
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)
    return str(value)


def sections(schema: FormSchema, form: Mapping[str, Any]) -> list[SectionView]:
    out = []
    for sec in schema.sections:
        data = form.get(sec.id) if isinstance(form.get(sec.id), Mapping) else {}
        inputs = []
        for year in sec.years or (None,):
            row = data.get(str(year), data.get(year, {})) if year is not None else data
            row = row if isinstance(row, Mapping) else {}
            for f in sec.fields:
                widget = _widget(f.type, f.multiline)
                key = f"{sec.id}.{year}.{f.id}" if year is not None else f"{sec.id}.{f.id}"
                label = f.label_with_unit if year is None else f"{year}年 {f.label_with_unit}"
                choices = ("是", "否") if f.type == "bool" else tuple(f.choices)
                if f.type == "table":
                    cols = "、".join(c.label_zh for c in f.columns)
                    help_text = f"JSON 列表，每行一个对象，列：{cols}"
                else:
                    help_text = f.help_zh
                inputs.append(
                    Input(
                        key,
                        label,
                        f.type,
                        widget,
                        f.required,
                        choices,
                        _shown(row.get(f.id), widget),
                        help_text,
                        f.max_chars,
                    )  # fmt: skip
                )
        out.append(SectionView(sec.id, sec.label_zh, sec.years, sec.help_zh, tuple(inputs)))
    return out


def posted_form(schema: FormSchema, posted: Any) -> dict[str, Any]:
    """The form's data from posted fields (empty fields left out, so `required` can speak)."""
    data: dict[str, Any] = {}
    for sec in schema.sections:
        body: dict[str, Any] = {}
        for year in sec.years or (None,):
            row: dict[str, Any] = {}
            for f in sec.fields:
                key = f"{sec.id}.{year}.{f.id}" if year is not None else f"{sec.id}.{f.id}"
                widget = _widget(f.type, f.multiline)
                if widget == "multiselect":
                    values = [str(v) for v in posted.getlist(key) if str(v).strip()]
                    if values:
                        row[f.id] = values
                    continue
                raw = str(posted.get(key) or "").replace("\r\n", "\n")
                if not raw.strip():
                    continue
                if widget == "json":
                    try:
                        row[f.id] = load_structured(raw.encode(), field=key, fmt="json")
                    except ValueError:
                        row[f.id] = raw  # the validator names the field and its type
                elif widget == "lines":
                    row[f.id] = [x.strip() for x in raw.split("\n") if x.strip()]
                else:
                    row[f.id] = raw
            if year is None:
                body.update(row)
            elif row:
                body[str(year)] = row
        if body:
            data[sec.id] = body
    return data


def issue_key(issue: FormIssue, schema: FormSchema) -> str:
    m = _PATH.match(issue.path)
    if m is None:
        return ""
    sec, year, fid = m.group("sec"), m.group("year"), m.group("field")
    try:
        section = schema.section(sec)
    except KeyError:
        return ""
    if fid is None:
        return sec
    if section.years and year is not None:
        return f"{sec}.{year}.{fid}"
    return f"{sec}.{fid}"


def issues_by_key(
    forms_id: str, category: str, schema: FormSchema, data: Mapping[str, Any]
) -> tuple[dict[str, list[FormIssue]], list[FormIssue]]:
    """Each issue at its field; the list of all of them (pure validation, nothing stored)."""
    found = validate_form(forms_id, category, data)
    by: dict[str, list[FormIssue]] = {}
    for issue in found:
        by.setdefault(issue_key(issue, schema), []).append(issue)
    return by, found
