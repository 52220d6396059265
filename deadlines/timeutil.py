"""Instants and calendar days in Asia/Shanghai, the zone every policy deadline is stated in."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

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


INSTANT_MARGIN_YEARS = 20  # before the first and after the last year of calendar data
_SHOWN = 60


def _shown(text: str) -> str:
    short = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    return repr(short)


def instant_span() -> tuple[int, int]:
    """(first, last) year an instant may fall in: the calendar data's years plus a margin."""
    from deadlines.calendar import CALENDAR_DIR_ENV, DATA_DIR

    years = {int(p.stem) for p in DATA_DIR.glob("*.toml") if p.stem.isdigit()}
    extra = os.environ.get(CALENDAR_DIR_ENV)
    if extra and Path(extra).is_dir():
        years |= {int(p.stem) for p in Path(extra).glob("*.toml") if p.stem.isdigit()}
    years = {y for y in years if 1900 < y < 2200} or {2026}
    return min(years) - INSTANT_MARGIN_YEARS, max(years) + INSTANT_MARGIN_YEARS


def parse_instant(text: str, field: str = "--now") -> datetime:
    """Parse ISO 8601; a bare date or a time without offset is read in Asia/Shanghai. Instants
    outside the calendar data's years plus INSTANT_MARGIN_YEARS are refused (one line, never an
    OverflowError)."""
    if not isinstance(text, str) or len(text) > 64 or not text.isascii():
        raise ValueError(
            f"{field}: {_shown(str(text))} is not an ISO 8601 date or instant (rule: instant)"
        )
    try:
        parsed = pendulum.parse(text.strip(), tz=SHANGHAI)
        if not isinstance(parsed, datetime):
            if not isinstance(parsed, date):
                raise ValueError("not a date")
            parsed = day_start(parsed)
    except Exception as exc:  # pendulum raises several parser errors
        raise ValueError(
            f"{field}: {_shown(text)} is not an ISO 8601 date or instant (rule: instant)"
        ) from exc
    first, last = instant_span()
    # the year as written first: converting 9999-12-31T23:59:59-08:00 would overflow
    if not first <= parsed.year <= last or not first <= to_shanghai(parsed).year <= last:
        raise ValueError(
            f"{field}: {_shown(text)} is outside {first}-01-01..{last}-12-31, the years the "
            "calendar data can speak for (rule: instant_range)"
        )
    return parsed


def parse_date(text: str, field: str = "date") -> date:
    """Strict YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"{field}: '{text}' is not a date in the form YYYY-MM-DD") from exc
