"""Instants and calendar days in Asia/Shanghai, the zone every policy deadline is stated in."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pendulum

SHANGHAI = pendulum.timezone("Asia/Shanghai")


def require_aware(instant: datetime, field: str = "instant") -> datetime:
    """Refuse naive datetimes: a deadline compared with a naive time is a guess."""
    if not isinstance(instant, datetime):
        raise ValueError(f"{field}: expected a datetime, got {instant!r}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"{field}: naive datetime {instant.isoformat()} refused; give a time zone "
            "(e.g. +08:00 for Asia/Shanghai)"
        )
    return instant


def to_shanghai(instant: datetime) -> datetime:
    return require_aware(instant).astimezone(SHANGHAI)


def local_date(instant: datetime) -> date:
    """The Asia/Shanghai calendar day of an aware instant."""
    return to_shanghai(instant).date()


def day_start(d: date) -> datetime:
    """00:00 of `d` in Asia/Shanghai."""
    return pendulum.datetime(d.year, d.month, d.day, tz=SHANGHAI)


def day_end_exclusive(d: date) -> datetime:
    """00:00 of the day after `d` in Asia/Shanghai: the first instant no longer on `d`."""
    return day_start(d + timedelta(days=1))


def now_shanghai() -> datetime:
    return pendulum.now(SHANGHAI)


def format_instant(instant: datetime) -> str:
    """`2026-06-20 23:59:59 +08:00`."""
    local = to_shanghai(instant)
    off = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {off[:3]}:{off[3:]}"


def last_second(exclusive_end: datetime) -> datetime:
    """The last whole second before an exclusive end, for messages ("closed at ... 23:59:59")."""
    return to_shanghai(exclusive_end) - timedelta(seconds=1)


def parse_instant(text: str, field: str = "--now") -> datetime:
    """Parse ISO 8601; a bare date or a time without offset is read in Asia/Shanghai."""
    try:
        parsed = pendulum.parse(text.strip(), tz=SHANGHAI)
    except Exception as exc:  # pendulum raises several parser errors
        raise ValueError(f"{field}: '{text}' is not an ISO 8601 date or instant") from exc
    if not isinstance(parsed, datetime):
        if isinstance(parsed, date):
            return day_start(parsed)
        raise ValueError(f"{field}: '{text}' is not an ISO 8601 date or instant")
    return parsed


def parse_date(text: str, field: str = "date") -> date:
    """Strict YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"{field}: '{text}' is not a date in the form YYYY-MM-DD") from exc
