"""The path a submitted form file takes in the tests: read it, then validate it."""

from __future__ import annotations

from pathlib import Path

from programs.forms import (
    FormIssue,
    FormLoadError,
    load_form_file,
    load_form_text,
    validate_annual_report,
    validate_form,
)

ANNUAL_REPORT = "annual_report"


def intake(path: Path, edition: str, kind: str) -> list[FormIssue]:
    """Every problem of the file at `path` as a form of `kind` (or a yearly report)."""
    try:
        if kind == ANNUAL_REPORT:
            return validate_annual_report(edition, load_form_text(path.read_bytes(), path.suffix))
        data = load_form_file(path, edition, kind)
    except FormLoadError as exc:
        return exc.issues
    return validate_form(edition, kind, data)
