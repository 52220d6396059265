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

    lines = [
        "BEGIN:VEVENT",
        _text_line("SUMMARY", summary),
        f"DTSTART;TZID=Asia/Shanghai:{_local(end - EVENT_LENGTH)}",
        f"DTEND;TZID=Asia/Shanghai:{_local(end)}",
        f"DTSTAMP:{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        _text_line("UID", uid),
    ]
    if description:
        lines.append(_text_line("DESCRIPTION", description))
    lines += ["TRANSP:TRANSPARENT", "END:VEVENT", "END:VCALENDAR", ""]
    return _HEAD + _vtimezone_ical() + "\r\n".join(lines).encode("utf-8")


# The calendar's own lines, in the order icalendar writes them (VERSION, PRODID, METHOD).
_HEAD = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\nMETHOD:PUBLISH\r\n".encode()


def _local(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}"


def _text_line(name: str, value: str) -> str:
    """One TEXT property (RFC 5545 3.3.11 escaping), folded at 75 octets (3.1), never inside a
    UTF-8 character nor right after the backslash of an escape (as the icalendar library does)."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )
    line = f"{name}:{escaped}"
    if len(line.encode("utf-8")) < 75:
        return line
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if current and size + width >= 75:
            carry = current.pop() if len(current) > 1 and current[-1] == "\\" else None
            parts.append("".join(current))
            current, size = ([carry], 1) if carry else ([], 0)
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)
