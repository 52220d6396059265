"""iCalendar (.ics) events for deadlines, in Asia/Shanghai with its VTIMEZONE.

The event ends at the deadline instant and starts one hour earlier, so that a calendar shows it
on the last day (a deadline at 00:00 of 21 June shows as 23:00–24:00 on 20 June).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRODID = "-//shenbao//notifications//ZH"
EVENT_LENGTH = timedelta(hours=1)

_FORBIDDEN_UID = ("\r", "\n", "\x00")


@functools.cache
def _vtimezone() -> icalendar.Timezone:
    return icalendar.Timezone.from_tzid("Asia/Shanghai")


@functools.cache
def _vtimezone_ical() -> bytes:
    """The VTIMEZONE serialised once: it is the same in every message and costs more than the
    event itself."""
    return _vtimezone().to_ical()


def deadline_event(
    summary: str,
    deadline: datetime,
    *,
    uid: str,
    description: str = "",
    stamp: datetime | None = None,
) -> bytes:
    """Return a VCALENDAR (METHOD:PUBLISH) with one VEVENT whose DTEND is ``deadline``.

    ``deadline`` must be time-zone-aware; it is written with TZID=Asia/Shanghai. ``uid`` should
    stay the same for every reminder about the same deadline, so calendars update one event.
    ``stamp`` (DTSTAMP) defaults to now; pass a fixed value for byte-identical output.
    """
    if not isinstance(deadline, datetime):
        raise TypeError(f"deadline: expected datetime, got {type(deadline).__name__}")
    if deadline.tzinfo is None or deadline.utcoffset() is None:
        raise ValueError(
            "deadline: naive datetime refused (截止时间必须带时区 / must be time-zone-aware)"
        )
    if not uid or any(ch in uid for ch in _FORBIDDEN_UID):
        raise ValueError("uid: must be non-empty and single-line (UID 不能为空或含换行)")
    if stamp is None:
        stamp = datetime.now(UTC)
    elif stamp.tzinfo is None:
        raise ValueError("stamp: naive datetime refused (must be time-zone-aware)")
    end = deadline.astimezone(SHANGHAI)

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", end - EVENT_LENGTH)
    event.add("dtend", end)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    event.add("transp", "TRANSPARENT")
    cal.add_component(event)
    head, begin, rest = cal.to_ical().partition(b"BEGIN:VEVENT\r\n")
    return head + _vtimezone_ical() + begin + rest
