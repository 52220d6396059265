"""Shipped example forms and synthetic applicants."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from programs.forms import (
    available_forms,
    eligibility,
    example_annual_report,
    example_form,
    synthetic_form,
    validate_annual_report,
    validate_form,
)
from programs.forms.examples import EXAMPLES_DIR

FORMS = [(edition, kind) for edition, kinds in available_forms().items() for kind in kinds]


@pytest.mark.parametrize(("edition", "kind"), FORMS)
def test_shipped_example_is_valid_and_meets_every_threshold(edition: str, kind: str) -> None:
    path = EXAMPLES_DIR / edition / f"{kind}.json"
    form = json.loads(path.read_text(encoding="utf-8"))
    assert form == example_form(edition, kind)
    assert validate_form(edition, kind, form) == []
    report = eligibility(edition, kind, form)
    assert report.thresholds_status == "met"
    assert {c.status for c in report.criteria} <= {"met", "needs_review"}


def test_example_overrides_merge_replace_and_remove() -> None:
    form = example_form(
        "liangrong-2026",
        "ito",
        ito={"mofcom_registered": False, "ito_execution": {"2024": "1"}},
        business=None,
    )
    assert form["ito"]["mofcom_registered"] is False
    assert form["ito"]["ito_execution"] == {"2023": "6200", "2024": "1", "2025": "8120"}
    assert "business" not in form
    assert example_form("liangrong-2026", "ito")["ito"]["mofcom_registered"] is True, (
        "the shipped example is untouched"
    )


@pytest.mark.parametrize(("edition", "kind"), FORMS)
def test_synthetic_forms_are_deterministic_and_valid(edition: str, kind: str) -> None:
    first = synthetic_form(edition, kind, random.Random(7))
    assert first == synthetic_form(edition, kind, random.Random(7))
    assert first != synthetic_form(edition, kind, random.Random(8))
    rng = random.Random(2026)
    for _ in range(25):
        form = synthetic_form(edition, kind, rng)
        assert validate_form(edition, kind, form) == []
        json.dumps(form, ensure_ascii=False)


@pytest.mark.parametrize(("edition", "kind"), FORMS)
def test_synthetic_invalid_forms_have_problems(edition: str, kind: str) -> None:
    rng = random.Random(99)
    for _ in range(25):
        assert validate_form(edition, kind, synthetic_form(edition, kind, rng, valid=False))


def test_two_hundred_applicants_mix_met_and_not_met() -> None:
    rng = random.Random(1)
    outcome: Counter[tuple[str, str]] = Counter()
    for _ in range(200):
        edition, kind = rng.choice(FORMS)
        form = synthetic_form(edition, kind, rng)
        outcome[(kind, eligibility(edition, kind, form).thresholds_status)] += 1
    statuses = {status for _kind, status in outcome}
    assert statuses == {"met", "not_met"}
    names = {
        synthetic_form("szzx-2026-2", "center", random.Random(i))["basic"]["lead_name"]
        for i in range(50)
    }
    assert len(names) > 30


@pytest.mark.parametrize("edition", sorted(available_forms()))
def test_example_annual_report_is_valid(edition: str) -> None:
    assert validate_annual_report(edition, example_annual_report(edition)) == []
