"""deadline_event: one VEVENT ending at the deadline, written in Asia/Shanghai with VTIMEZONE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from notifications.ics import deadline_event

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_event_ends_at_the_deadline_and_shows_on_the_last_day() -> None:
    deadline = datetime(2026, 6, 21, tzinfo=SHANGHAI)
    data = deadline_event("申报截止", deadline, uid="a1@shenbao", description="广东 <b>")
    cal = icalendar.Calendar.from_ical(data)
    (event,) = cal.walk("VEVENT")
    assert event.decoded("DTEND") == deadline
    assert event.decoded("DTSTART") == deadline - timedelta(hours=1)
    assert event.decoded("DTSTART").date().isoformat() == "2026-06-20"
    assert str(event["SUMMARY"]) == "申报截止" and str(event["DESCRIPTION"]) == "广东 <b>"
    assert str(event["UID"]) == "a1@shenbao"
    assert b"BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai" in data
    assert b"DTEND;TZID=Asia/Shanghai:20260621T000000" in data


def test_utc_input_is_converted_to_shanghai() -> None:
    data = deadline_event("x", datetime(2026, 11, 30, 15, 30, tzinfo=UTC), uid="u@s")
    assert b"DTEND;TZID=Asia/Shanghai:20261130T233000" in data
    (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert event.decoded("DTEND") == datetime(2026, 11, 30, 15, 30, tzinfo=UTC)


def test_fixed_stamp_gives_identical_bytes() -> None:
    stamp = datetime(2026, 5, 1, tzinfo=UTC)
    deadline = datetime(2026, 6, 21, tzinfo=SHANGHAI)
    first = deadline_event("s", deadline, uid="u@s", stamp=stamp)
    assert first == deadline_event("s", deadline, uid="u@s", stamp=stamp)
    assert b"DTSTAMP:20260501T000000Z" in first


def test_summary_with_line_breaks_stays_one_property() -> None:
    data = deadline_event("a\r\nBEGIN:VALARM", datetime(2026, 6, 21, tzinfo=SHANGHAI), uid="u@s")
    assert b"\r\nBEGIN:VALARM" not in data
    (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert "BEGIN:VALARM" in str(event["SUMMARY"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"deadline": datetime(2026, 6, 21)}, "naive"),
        ({"uid": ""}, "uid"),
        ({"uid": "a\nb"}, "uid"),
        ({"stamp": datetime(2026, 5, 1)}, "stamp"),
    ],
)
def test_refusals(kwargs: dict, match: str) -> None:
    args = {"deadline": datetime(2026, 6, 21, tzinfo=SHANGHAI), "uid": "u@s"} | kwargs
    with pytest.raises(ValueError, match=match):
        deadline_event("s", **args)
