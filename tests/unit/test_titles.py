"""Unit tests for title terms, recertification, annual-report years and lateness in states.titles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deadlines import default_calendar
from states.titles import Term, lateness, recertification_due, report_years, title_term

SH = ZoneInfo("Asia/Shanghai")


class WeekdayCounter:
    """Counts Monday–Friday days minus the given holidays, both ends included (for years the
    official calendar data does not cover yet)."""

    def __init__(self, holidays: set[date] | None = None) -> None:
        self.holidays = holidays or set()

    def __call__(self, a: date, b: date) -> int:
        days = (a + timedelta(days=i) for i in range((b - a).days + 1))
        return sum(1 for d in days if d.weekday() < 5 and d not in self.holidays)


class TestTerm:
    def test_label_and_length(self) -> None:
        term = Term(2026, 2028)
        assert str(term) == "2026–2028"
        assert term.years == 3
        assert term.contains(2028) and not term.contains(2029)

    def test_reversed_years_refused(self) -> None:
        with pytest.raises(ValueError, match="last_year 2025 is before first_year 2026"):
            Term(2026, 2025)


class TestTitleTerm:
    def test_edition_term_is_the_titles_term(self) -> None:
        assert title_term(date(2026, 12, 15), 3, (2026, 2028)) == Term(2026, 2028)
        assert title_term(date(2027, 3, 1), 3, (2026, 2028)) == Term(2026, 2028)

    def test_confirmation_after_the_edition_term_refused(self) -> None:
        with pytest.raises(ValueError, match="^confirmed_on: .*2026–2028"):
            title_term(date(2029, 1, 2), 3, (2026, 2028))

    def test_without_edition_term_cycle_years_from_confirmation(self) -> None:
        assert title_term(date(2029, 6, 1), 3) == Term(2029, 2031)
        assert title_term(date(2021, 12, 31), 1) == Term(2021, 2021)

    def test_cycle_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="^cycle_years:"):
            title_term(date(2026, 1, 1), 0)


class TestRecertificationDue:
    def test_same_day_three_years_later(self) -> None:
        assert recertification_due(date(2026, 11, 20), 3) == date(2029, 11, 20)

    def test_29_february_becomes_28_february(self) -> None:
        assert recertification_due(date(2028, 2, 29), 3) == date(2031, 2, 28)
        assert recertification_due(date(2028, 2, 29), 4) == date(2032, 2, 29)

    def test_cycle_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="^cycle_years:"):
            recertification_due(date(2026, 1, 1), -3)


class TestReportYears:
    def test_from_offset_to_until_year(self) -> None:
        assert report_years(date(2021, 12, 20), 1, 2024) == [2022, 2023, 2024]
        assert report_years(date(2026, 11, 1), 0, 2028) == [2026, 2027, 2028]

    def test_none_yet(self) -> None:
        assert report_years(date(2026, 11, 1), 1, 2026) == []

    def test_negative_offset_refused(self) -> None:
        with pytest.raises(ValueError, match="^first_offset:"):
            report_years(date(2026, 11, 1), -1, 2030)


class TestLateness:
    DUE = date(2027, 2, 1)  # a Monday
    COUNT = WeekdayCounter()

    def test_on_the_due_date_is_on_time(self) -> None:
        assert lateness(self.DUE, datetime(2027, 2, 1, 23, 59, 59, tzinfo=SH), self.COUNT) == 0
        assert lateness(self.DUE, datetime(2027, 1, 20, 9, tzinfo=SH), self.COUNT) == 0

    def test_one_working_day_late(self) -> None:
        assert lateness(self.DUE, datetime(2027, 2, 2, 0, 0, tzinfo=SH), self.COUNT) == 1
        assert lateness(self.DUE, datetime(2027, 2, 2, 18, 0, tzinfo=SH), self.COUNT) == 1

    def test_due_day_ends_in_shanghai_not_utc(self) -> None:
        # 16:00 UTC on 1 February is already 00:00 on 2 February in Shanghai.
        assert lateness(self.DUE, datetime(2027, 2, 1, 15, 59, 59, tzinfo=UTC), self.COUNT) == 0
        assert lateness(self.DUE, datetime(2027, 2, 1, 16, 0, tzinfo=UTC), self.COUNT) == 1

    def test_weekends_and_holidays_do_not_count(self) -> None:
        # Friday 5 February is late by 4 working days (2–5 February); the weekend adds none.
        assert lateness(self.DUE, datetime(2027, 2, 5, 10, tzinfo=SH), self.COUNT) == 4
        assert lateness(self.DUE, datetime(2027, 2, 7, 10, tzinfo=SH), self.COUNT) == 4
        assert lateness(self.DUE, datetime(2027, 2, 8, 10, tzinfo=SH), self.COUNT) == 5
        festival = WeekdayCounter({date(2027, 2, 8), date(2027, 2, 9)})
        assert lateness(self.DUE, datetime(2027, 2, 10, 10, tzinfo=SH), festival) == 5

    def test_weekend_right_after_a_friday_due_date_is_late(self) -> None:
        friday = date(2027, 1, 29)
        assert lateness(friday, datetime(2027, 1, 30, 10, tzinfo=SH), self.COUNT) == 1
        assert lateness(friday, datetime(2027, 2, 1, 10, tzinfo=SH), self.COUNT) == 1

    def test_with_the_official_calendar_over_national_day(self) -> None:
        count = default_calendar().count_working_days
        due = date(2026, 9, 30)
        # 1–7 October are holidays; 8 October is the first working day after the due date.
        assert lateness(due, datetime(2026, 10, 7, 20, tzinfo=SH), count) == 1
        assert lateness(due, datetime(2026, 10, 8, 9, tzinfo=SH), count) == 1
        # Saturday 10 October 2026 is a make-up working day.
        assert lateness(due, datetime(2026, 10, 10, 9, tzinfo=SH), count) == 3

    def test_edition_b_due_30_november(self) -> None:
        count = default_calendar().count_working_days
        due = date(2026, 11, 30)
        assert lateness(due, datetime(2026, 11, 30, 23, 59, tzinfo=SH), count) == 0
        assert lateness(due, datetime(2026, 12, 1, 8, tzinfo=SH), count) == 1

    def test_naive_submission_refused(self) -> None:
        with pytest.raises(ValueError, match="^submitted_at: .*time-zone-aware"):
            lateness(self.DUE, datetime(2027, 2, 2, 9), self.COUNT)

    @given(
        st.datetimes(
            min_value=datetime(2027, 1, 1),
            max_value=datetime(2027, 6, 30),
            timezones=st.just(SH),
        ),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
    )
    def test_later_is_never_less_late(self, submitted: datetime, extra: timedelta) -> None:
        early = lateness(self.DUE, submitted, self.COUNT)
        later = lateness(self.DUE, submitted + extra, self.COUNT)
        assert early <= later
        assert (early == 0) == (submitted.date() <= self.DUE)


class TestTitleStatusFromTheTable:
    """A title's status follows the application's state in the one transition table."""

    def test_a_title_stands_while_confirmed_and_under_recertification(self) -> None:
        from states.lifecycle import State
        from states.titles import TITLE_ACTIVE, title_status

        assert title_status(State.CONFIRMED) == TITLE_ACTIVE == "active"
        assert title_status("under_recertification") == "active"

    def test_revocation_ends_it(self) -> None:
        from states.titles import TITLE_REVOKED, title_status

        assert title_status("revoked") == TITLE_REVOKED == "revoked"

    def test_an_application_never_confirmed_holds_no_title(self) -> None:
        import pytest

        from states.titles import title_status

        for state in ("draft", "shortlisted", "removed_after_notice", "nonsense"):
            with pytest.raises(ValueError, match="holds no title"):
                title_status(state)
