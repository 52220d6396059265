"""Unit tests for the public notice (公示) rules in states.notice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deadlines import default_calendar
from states.notice import (
    Objection,
    ObjectionError,
    ObjectionRefused,
    accept_objection,
    notice_outcome,
    resolve_objection,
)

SH = ZoneInfo("Asia/Shanghai")
FIRST = date(2026, 9, 28)
# Five working days from Monday 28 September 2026 across the National Day holiday (1–7 October):
# 28, 29, 30 September, 8 and 9 October, so the period ends at 10 October 00:00 (exclusive).
ENDS_AT = datetime(2026, 10, 10, 0, 0, tzinfo=SH)


def _objection(**changes: object) -> Objection:
    fields: dict[str, object] = {
        "id": "O1",
        "app_id": "A1",
        "filed_at": datetime(2026, 9, 29, 10, 0, tzinfo=SH),
        "objector_contact": "13800000000",
        "reason": "申报数据与年报不符",
    }
    fields.update(changes)
    return Objection(**fields)  # type: ignore[arg-type]


class TestNoticePeriodFromCalendar:
    def test_period_spanning_national_day_ends_as_assumed(self) -> None:
        period = default_calendar().notice_period(FIRST, 5)
        assert period.last == date(2026, 10, 9)
        assert period.ends_at == ENDS_AT


class TestAcceptObjection:
    def test_last_second_accepted(self) -> None:
        accept_objection(FIRST, ENDS_AT, ENDS_AT - timedelta(seconds=1))

    def test_one_second_after_the_end_refused(self) -> None:
        with pytest.raises(ObjectionRefused) as info:
            accept_objection(FIRST, ENDS_AT, ENDS_AT + timedelta(seconds=1))
        assert str(info.value).startswith(
            "公示期已结束: the notice period ended at 2026-10-09 23:59:59 +08:00"
        )

    def test_end_instant_itself_refused(self) -> None:
        with pytest.raises(ObjectionRefused, match="公示期已结束"):
            accept_objection(FIRST, ENDS_AT, ENDS_AT)

    def test_other_time_zones_compare_as_instants(self) -> None:
        last_second_utc = datetime(2026, 10, 9, 15, 59, 59, tzinfo=UTC)
        accept_objection(FIRST, ENDS_AT, last_second_utc)
        with pytest.raises(ObjectionRefused):
            accept_objection(FIRST, ENDS_AT, last_second_utc + timedelta(seconds=1))

    def test_with_the_calendars_period(self) -> None:
        period = default_calendar().notice_period(FIRST, 5)
        accept_objection(period.first, period.ends_at, datetime(2026, 10, 4, 12, tzinfo=SH))
        with pytest.raises(ObjectionRefused, match="2026-10-09 23:59:59 \\+08:00"):
            accept_objection(period.first, period.ends_at, period.ends_at + timedelta(seconds=1))

    def test_before_the_first_day_refused(self) -> None:
        accept_objection(FIRST, ENDS_AT, datetime(2026, 9, 28, 0, 0, tzinfo=SH))
        with pytest.raises(ObjectionRefused, match="公示期尚未开始.*2026-09-28 00:00:00 \\+08:00"):
            accept_objection(FIRST, ENDS_AT, datetime(2026, 9, 27, 23, 59, 59, tzinfo=SH))

    def test_publication_instant_starts_the_period_when_later(self) -> None:
        published = datetime(2026, 9, 28, 15, 0, tzinfo=SH)
        accept_objection(FIRST, ENDS_AT, published, published_at=published)
        with pytest.raises(ObjectionRefused, match="2026-09-28 15:00:00"):
            accept_objection(
                FIRST, ENDS_AT, published - timedelta(seconds=1), published_at=published
            )

    def test_naive_instant_refused(self) -> None:
        with pytest.raises(ObjectionError, match="filed_at: .*time-zone-aware"):
            accept_objection(FIRST, ENDS_AT, datetime(2026, 9, 29, 10, 0))


class TestObjection:
    def test_contact_and_reason_required(self) -> None:
        with pytest.raises(ObjectionError, match="^objector_contact:"):
            _objection(objector_contact=" ")
        with pytest.raises(ObjectionError, match="^reason:"):
            _objection(reason="")

    def test_resolution_needs_reason_and_valid_outcome(self) -> None:
        with pytest.raises(ObjectionError, match="^resolution_reason:"):
            _objection(resolution="upheld")
        with pytest.raises(ObjectionError, match="^resolution:"):
            _objection(resolution="accepted", resolution_reason="x")


class TestResolveObjection:
    def test_upheld_with_reason(self) -> None:
        at = datetime(2026, 10, 12, 9, tzinfo=SH)
        resolved = resolve_objection(_objection(), "upheld", " 核实数据造假 ", at)
        assert resolved.resolution == "upheld"
        assert resolved.resolution_reason == "核实数据造假"
        assert resolved.resolved_at == at
        assert resolved.resolved

    def test_reason_required(self) -> None:
        with pytest.raises(ObjectionError, match="^resolution_reason:"):
            resolve_objection(_objection(), "dismissed", "  ")

    def test_invalid_outcome_refused(self) -> None:
        with pytest.raises(ObjectionError, match="upheld or dismissed, got 'rejected'"):
            resolve_objection(_objection(), "rejected", "理由")

    def test_resolved_objection_cannot_be_resolved_again(self) -> None:
        resolved = resolve_objection(_objection(), "dismissed", "经核实不成立")
        with pytest.raises(ObjectionError, match="already resolved as dismissed"):
            resolve_objection(resolved, "upheld", "重新处理")


class TestNoticeOutcome:
    AFTER = ENDS_AT + timedelta(seconds=1)

    def test_running_until_the_end(self) -> None:
        assert notice_outcome(ENDS_AT - timedelta(seconds=1), ENDS_AT, []) == "running"
        assert notice_outcome(ENDS_AT, ENDS_AT, []) == "confirm"

    def test_no_objection_confirms(self) -> None:
        assert notice_outcome(self.AFTER, ENDS_AT, []) == "confirm"

    def test_all_dismissed_confirms(self) -> None:
        dismissed = resolve_objection(_objection(), "dismissed", "不成立")
        other = resolve_objection(_objection(id="O2"), "dismissed", "不成立")
        assert notice_outcome(self.AFTER, ENDS_AT, [dismissed, other]) == "confirm"

    def test_unresolved_holds(self) -> None:
        dismissed = resolve_objection(_objection(), "dismissed", "不成立")
        assert notice_outcome(self.AFTER, ENDS_AT, [dismissed, _objection(id="O2")]) == "hold"

    def test_upheld_removes_even_with_open_ones(self) -> None:
        upheld = resolve_objection(_objection(), "upheld", "成立")
        assert notice_outcome(self.AFTER, ENDS_AT, [_objection(id="O2"), upheld]) == "remove"

    def test_objections_of_one_application_only(self) -> None:
        with pytest.raises(ObjectionError, match="one application"):
            notice_outcome(self.AFTER, ENDS_AT, [_objection(), _objection(id="O2", app_id="A2")])
