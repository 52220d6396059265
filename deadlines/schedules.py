"""Due dates a campaign needs: annual reports, recertification, and when reminders fall due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pendulum

from deadlines.calendar import Calendar, default_calendar
from deadlines.timeutil import SHANGHAI, day_end_exclusive, format_instant, last_second


@dataclass(frozen=True)
class Deadline:
    """A due day, the instant it ends (exclusive), and the calendar data version used."""

    day: date
    ends_at: datetime
    calendar_version: str

    def label(self) -> str:
        return format_instant(last_second(self.ends_at))


def deadline_on(day: date, calendar: Calendar | None = None) -> Deadline:
    cal = calendar or default_calendar()
    return Deadline(day, day_end_exclusive(day), cal.version)


def annual_report_due(
    report_year: int, *, month: int, day: int, same_year: bool, calendar: Calendar | None = None
) -> Deadline:
    """Due date of the report on `report_year`: edition A 2/1 of the next year, B 11/30 same year."""
    year = report_year if same_year else report_year + 1
    try:
        due = date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"annual_report: {year}-{month}-{day} is not a date") from exc
    return deadline_on(due, calendar)


def recertification_due(
    confirmed_on: date, cycle_years: int = 3, calendar: Calendar | None = None
) -> Deadline:
    """Every `cycle_years` from confirmation, same day and month (29 February becomes 28)."""
    if cycle_years < 1:
        raise ValueError(f"cycle_years: must be >= 1, got {cycle_years}")
    return deadline_on(years_later(confirmed_on, cycle_years), calendar)


def years_later(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February falls back to 28 February)."""
    target = day.year + years
    try:
        return day.replace(year=target)
    except ValueError:  # 29 February into a common year
        return date(target, 2, 28)


def reminder_at(
    deadline_day: date,
    n: int,
    *,
    unit: str = "days",
    at: time = time(9, 0),
    calendar: Calendar | None = None,
) -> datetime:
    """When a reminder "n days before" the last day of a window falls due: `at` o'clock, Shanghai.

    `unit` is "days" (calendar days) or "working_days" (official working days, the start day not
    counted, as add_working_days counts).
    """
    if n < 0:
        raise ValueError(f"n: must be >= 0, got {n}")
    if unit == "days":
        day = deadline_day - timedelta(days=n)
    elif unit == "working_days":
        cal = calendar or default_calendar()
        day = deadline_day if n == 0 else cal.add_working_days(deadline_day, -n)
    else:
        raise ValueError(f"unit: must be 'days' or 'working_days', got {unit!r}")
    return pendulum.datetime(day.year, day.month, day.day, at.hour, at.minute, tz=SHANGHAI)
