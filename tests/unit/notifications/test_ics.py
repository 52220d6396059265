"""deadline_event: one VEVENT ending at the deadline, written in Asia/Shanghai with VTIMEZONE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _icalendar_event(
    summary: str, deadline: datetime, uid: str, description: str, stamp: datetime
) -> bytes:
    """The same event built and serialised by the icalendar library: the reference."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//shenbao//notifications//ZH")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add_component(icalendar.Timezone.from_tzid("Asia/Shanghai"))
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    end = deadline.astimezone(ZoneInfo("Asia/Shanghai"))
    event.add("dtstart", end - timedelta(hours=1))
    event.add("dtend", end)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    event.add("transp", "TRANSPARENT")
    cal.add_component(event)
    return cal.to_ical()


# any text, Chinese and emoji included, with the characters TEXT escapes (\ ; , CR LF);
# icalendar reads a literal backslash-N as a line break, so that pair is left out
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("\\;,\r\n :\"'截止申报提醒—（）")),
        st.characters(blacklist_categories=("Cs", "Cc")),
    ),
    max_size=200,
).filter(lambda t: "\\N" not in t)


@settings(max_examples=300, deadline=None)
@given(summary=_TEXT, description=_TEXT, uid_tail=st.text("abcXYZ0-9-_;,", max_size=90))
def test_bytes_equal_the_icalendar_librarys_for_any_text(
    summary: str, description: str, uid_tail: str
) -> None:
    deadline = datetime(2026, 6, 21, tzinfo=ZoneInfo("Asia/Shanghai"))
    stamp = datetime(2026, 6, 1, 1, 2, 3, tzinfo=UTC)
    uid = f"u{uid_tail}@shenbao"
    ours = deadline_event(summary, deadline, uid=uid, description=description, stamp=stamp)
    assert ours == _icalendar_event(summary, deadline, uid, description, stamp)
    for line in ours.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # never folded inside a character
    event = icalendar.Calendar.from_ical(ours).walk("VEVENT")[0]
    expected = summary.replace("\r\n", "\n").replace("\r", "\n")
    assert str(event["SUMMARY"]) == expected


@pytest.mark.parametrize("escape", ["\\", ";", ",", "\n"])
@pytest.mark.parametrize("offset", range(60, 80))
def test_an_escape_at_the_fold_is_never_split_from_its_backslash(escape: str, offset: int) -> None:
    summary = "a" * offset + escape + "b" * 20
    deadline = datetime(2026, 6, 21, tzinfo=ZoneInfo("Asia/Shanghai"))
    stamp = datetime(2026, 6, 1, tzinfo=UTC)
    ours = deadline_event(summary, deadline, uid="x@shenbao", stamp=stamp)
    assert ours == _icalendar_event(summary, deadline, "x@shenbao", "", stamp)
    event = icalendar.Calendar.from_ical(ours).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == summary
