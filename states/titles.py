"""Confirmed titles over time: the term of a title, when recertification is due, which years
must be reported, and how many working days an annual report is late."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from deadlines.schedules import years_later
from states.lifecycle import State, held_from

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A title's status follows its application's state in the one transition table: it stands
# (`active`) in every state held from confirmation except the revocation, which ends it.
TITLE_REVOKED = State.REVOKED.value
TITLE_ACTIVE = "active"
TITLE_STATUSES: dict[State, str] = {
    state: TITLE_REVOKED if state is State.REVOKED else TITLE_ACTIVE
    for state in held_from(State.CONFIRMED)
}


def title_status(state: State | str) -> str:
    """The status of the title of an application in `state` (ValueError: it holds none)."""
    try:
        return TITLE_STATUSES[State(state)]
    except (KeyError, ValueError):
        raise ValueError(
            f"state: {state} 无称号 (an application in {state} holds no title)"
        ) from None


@dataclass(frozen=True, order=True)
class Term:
    """The calendar years a title covers, both included (e.g. 2026–2028)."""

    first_year: int
    last_year: int

    def __post_init__(self) -> None:
        if self.last_year < self.first_year:
            raise ValueError(
                f"term: 结束年份不得早于起始年份 (last_year {self.last_year} is before "
                f"first_year {self.first_year})"
            )

    @property
    def years(self) -> int:
        return self.last_year - self.first_year + 1

    def contains(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def label(self) -> str:
        return f"{self.first_year}–{self.last_year}"

    def __str__(self) -> str:
        return self.label()


def _check_cycle(cycle_years: int) -> None:
    if isinstance(cycle_years, bool) or not isinstance(cycle_years, int) or cycle_years < 1:
        raise ValueError(
            f"cycle_years: 必须是正整数 (must be an integer >= 1, got {cycle_years!r})"
        )


def title_term(
    confirmed_on: date, cycle_years: int, edition_term: tuple[int, int] | None = None
) -> Term:
    """The term of a title confirmed on ``confirmed_on``.

    An edition that names its term (e.g. 2026–2028) gives that term; a title confirmed after
    the edition's last year is refused. Otherwise (e.g. a renewal) the term is ``cycle_years``
    calendar years starting with the year of confirmation.
    """
    _check_cycle(cycle_years)
    if edition_term is not None:
        term = Term(*edition_term)
        if confirmed_on.year > term.last_year:
            raise ValueError(
                f"confirmed_on: {confirmed_on.isoformat()} 晚于本批次称号期限 {term.label()} "
                f"(confirmation after the edition's term {term.label()})"
            )
        return term
    return Term(confirmed_on.year, confirmed_on.year + cycle_years - 1)


def recertification_due(confirmed_on: date, cycle_years: int) -> date:
    """The same calendar day ``cycle_years`` later (29 February falls back to 28 February)."""
    _check_cycle(cycle_years)
    return years_later(confirmed_on, cycle_years)


def report_years(confirmed_on: date, first_offset: int, until_year: int) -> list[int]:
    """Years for which an annual report is owed, from ``confirmed_on.year + first_offset`` up to
    ``until_year`` included (empty when that is before the first)."""
    if isinstance(first_offset, bool) or not isinstance(first_offset, int) or first_offset < 0:
        raise ValueError(
            f"first_offset: 必须是非负整数 (must be an integer >= 0, got {first_offset!r})"
        )
    return list(range(confirmed_on.year + first_offset, until_year + 1))


def lateness(
    due: date,
    submitted_at: datetime,
    working_days_between: Callable[[date, date], int],
) -> int:
    """Working days a report submitted at ``submitted_at`` is late for ``due`` (0 when on time).

    On time means before the end of the due day in Asia/Shanghai. Otherwise it is the number of
    working days from the day after ``due`` to the day of submission (both included, counted by
    ``working_days_between``, e.g. ``Calendar.count_working_days``), and at least 1: a report
    filed on the weekend right after the due day is still late.
    """
    if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
        raise ValueError(
            f"submitted_at: 时间必须带时区 (must be time-zone-aware, got naive "
            f"{submitted_at.isoformat()})"
        )
    submitted_on = submitted_at.astimezone(SHANGHAI).date()
    if submitted_on <= due:
        return 0
    return max(1, working_days_between(due + timedelta(days=1), submitted_on))
