"""A form's validation and eligibility, computed once when the form is saved.

The result is stored on the application with a key naming what it was computed from (form set,
form version, schema data version); a trigger uses it when the key still matches and recomputes
it otherwise, so a changed schema can never leave a stale verdict in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from programs.editions import Edition
from programs.forms import form_schema
from programs.forms.eligibility import eligibility_of
from programs.forms.resolve import forms_data_version, forms_edition_id
from programs.forms.validate import parse_with_schema


def check_key(edition: Edition, kind: str, form_version: int) -> str:
    return f"{forms_edition_id(edition)}:{kind}:{form_version}:{forms_data_version()}"


def compute(
    edition: Edition, kind: str, form: Mapping[str, Any], form_version: int
) -> dict[str, Any]:
    schema = form_schema(forms_edition_id(edition), kind)
    typed, issues = parse_with_schema(schema, form)  # one parse: the errors and the criteria
    errors = [str(issue) for issue in issues]
    try:
        report = eligibility_of(schema, form, typed, issues)
        summary: dict[str, Any] = {
            "status": report.status,
            "thresholds_status": report.thresholds_status,
            # one line per criterion, as the reviewer reads it (values, threshold, clause)
            "criteria": [[c.id, c.status, c.text] for c in report.criteria],
        }
    except (ValueError, KeyError, TypeError) as exc:
        summary = {"status": "error", "error": str(exc)}
    return {
        "key": check_key(edition, kind, form_version),
        "errors": errors,
        "eligibility": summary,
    }


def current(
    edition: Edition,
    kind: str,
    form: Mapping[str, Any],
    form_version: int,
    stored: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The stored check when it is still about this form and these schemas; else a fresh one."""
    if stored and stored.get("key") == check_key(edition, kind, form_version):
        return dict(stored)
    return compute(edition, kind, form, form_version)


def eligibility_status(check: Mapping[str, Any]) -> str | None:
    """The eligibility verdict of a form check (`application.eligibility_status`, stored beside
    the check wherever the check is written)."""
    summary = check.get("eligibility")
    status = summary.get("status") if isinstance(summary, Mapping) else None
    return status if isinstance(status, str) else None
