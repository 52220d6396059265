"""The corpus of bad forms: every file is refused with exactly the problems recorded for it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from programs.forms.issues import ISSUE_CODES
from tests.unit.forms.intake import intake

CORPUS = Path(__file__).with_name("corpus")
EXPECTED: dict[str, dict] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
# Rules no shipped form can trip from a file of normal size.
NOT_IN_CORPUS = {"min_rows", "too_large", "unreadable"}


def test_corpus_has_at_least_40_bad_forms() -> None:
    files = sorted(p.name for p in CORPUS.iterdir() if p.name[:2].isdigit())
    assert len(files) >= 40
    assert files == sorted(EXPECTED)


def test_every_rule_is_tripped_by_some_corpus_file() -> None:
    codes = {line.split(" | ")[0] for case in EXPECTED.values() for line in case["issues"]}
    assert codes | NOT_IN_CORPUS == set(ISSUE_CODES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gives_exactly_the_expected_errors(name: str) -> None:
    case = EXPECTED[name]
    issues = intake(CORPUS / name, case["edition"], case["kind"])
    assert case["issues"], "a corpus file must be bad"
    assert [f"{issue.code} | {issue}" for issue in issues] == case["issues"]


def test_markup_in_text_fields_is_kept_not_reported() -> None:
    # 49: only the e-mail is wrong; the plan text with <script> is a valid text field.
    assert [line.split(" | ")[0] for line in EXPECTED["49_script_in_email.json"]["issues"]] == [
        "email"
    ]
