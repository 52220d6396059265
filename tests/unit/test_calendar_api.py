"""The working-day API: examples from the 2026 notice, properties, and the loader's refusals."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deadlines import (
    SHANGHAI,
    CalendarError,
    MissingCalendarYear,
    Window,
    annual_report_due,
    default_calendar,
    load_calendar,
    recertification_due,
    reminder_at,
)
from deadlines.calendar import DATA_DIR, parse_notice
from tests.fixtures.calendar import GOOD

CAL = default_calendar()
D = date


class TestExamples:
    def test_is_working_day_on_2026_adjusted_weekend(self) -> None:
        assert CAL.is_working_day(D(2026, 10, 10)) is True  # Saturday made a working day
        assert CAL.is_working_day(D(2026, 10, 1)) is False
        assert CAL.is_working_day(D(2026, 10, 11)) is False  # ordinary Sunday

    def test_add_working_days_across_national_day(self) -> None:
        assert CAL.add_working_days(D(2026, 9, 28), 5) == D(2026, 10, 10)

    def test_start_day_not_counted(self) -> None:
        assert CAL.add_working_days(D(2026, 9, 28), 1) == D(2026, 9, 29)
        # from a holiday the count starts at the next working day
        assert CAL.add_working_days(D(2026, 10, 3), 1) == D(2026, 10, 8)

    def test_negative_counts_back(self) -> None:
        assert CAL.add_working_days(D(2026, 10, 8), -1) == D(2026, 9, 30)
        assert CAL.add_working_days(D(2026, 10, 10), -5) == D(2026, 9, 28)

    def test_zero_is_refused(self) -> None:
        with pytest.raises(CalendarError, match="n: must not be 0"):
            CAL.add_working_days(D(2026, 9, 28), 0)

    def test_notice_period_over_national_day(self) -> None:
        p = CAL.notice_period(D(2026, 9, 28), 5)
        assert (p.first, p.last) == (D(2026, 9, 28), D(2026, 10, 9))
        assert p.ends_at == datetime(2026, 10, 10, tzinfo=SHANGHAI)
        assert p.label() == "9月28日至10月9日（5个工作日）"
        assert p.calendar_version == CAL.version

    def test_notice_period_starting_on_a_holiday(self) -> None:
        p = CAL.notice_period(D(2026, 10, 1), 5)
        # 10/8, 10/9, 10/10 (working Saturday), 10/12, 10/13
        assert (p.first, p.last) == (D(2026, 10, 8), D(2026, 10, 13))

    def test_notice_period_from_an_instant_uses_shanghai_day(self) -> None:
        # 2026-09-27 17:00 UTC is 2026-09-28 01:00 in Shanghai
        p = CAL.notice_period(datetime(2026, 9, 27, 17, 0, tzinfo=timezone.utc), 5)
        assert p.first == D(2026, 9, 28)

    def test_working_days_between_both_ends_included(self) -> None:
        days = CAL.working_days_between(D(2026, 9, 28), D(2026, 10, 10))
        assert days == [D(2026, 9, 28), D(2026, 9, 29), D(2026, 9, 30)] + [
            D(2026, 10, 8),
            D(2026, 10, 9),
            D(2026, 10, 10),
        ]
        assert CAL.count_working_days(D(2026, 1, 1), D(2026, 12, 31)) == 248

    def test_backwards_range_refused(self) -> None:
        with pytest.raises(CalendarError, match="before"):
            CAL.working_days_between(D(2026, 2, 1), D(2026, 1, 1))

    def test_missing_year_fails_loudly(self) -> None:
        with pytest.raises(MissingCalendarYear, match="2031") as info:
            CAL.is_working_day(D(2031, 3, 3))
        assert info.value.year == 2031
        assert "calendar import" in str(info.value)
        last = max(CAL.years)
        with pytest.raises(MissingCalendarYear, match=str(last + 1)):
            CAL.add_working_days(D(last, 12, 20), 30)
        with pytest.raises(MissingCalendarYear):
            CAL.working_days_between(D(last, 12, 1), D(last + 1, 1, 10))


class TestWindow:
    W = Window(D(2026, 5, 27), D(2026, 6, 20))

    def test_both_days_included_to_the_second(self) -> None:
        assert self.W.contains(datetime(2026, 5, 27, 0, 0, tzinfo=SHANGHAI))
        assert self.W.contains(datetime(2026, 6, 20, 23, 59, 59, tzinfo=SHANGHAI))
        assert not self.W.contains(datetime(2026, 6, 21, 0, 0, tzinfo=SHANGHAI))
        assert not self.W.contains(datetime(2026, 5, 26, 23, 59, 59, tzinfo=SHANGHAI))

    def test_other_time_zones(self) -> None:
        # 2026-06-20 16:00 UTC == 2026-06-21 00:00 Shanghai: closed
        assert not self.W.contains(datetime(2026, 6, 20, 16, 0, tzinfo=timezone.utc))
        assert self.W.contains(datetime(2026, 6, 20, 15, 59, 59, tzinfo=timezone.utc))

    def test_naive_refused(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            self.W.contains(datetime(2026, 6, 1, 12, 0))

    def test_labels_and_parse(self) -> None:
        assert self.W.closing_label() == "2026-06-20 23:59:59 +08:00"
        assert Window.parse("2026-05-27 to 2026-06-20") == self.W
        assert Window.parse("2026-05-27..2026-06-20") == self.W
        with pytest.raises(ValueError, match="window.closes"):
            Window(D(2026, 6, 20), D(2026, 5, 27))


class TestDueDates:
    def test_annual_report(self) -> None:
        a = annual_report_due(2026, month=2, day=1, same_year=False)
        assert a.day == D(2027, 2, 1) and a.ends_at == datetime(2027, 2, 2, tzinfo=SHANGHAI)
        b = annual_report_due(2022, month=11, day=30, same_year=True)
        assert b.day == D(2022, 11, 30)
        assert b.calendar_version == CAL.version

    def test_recertification(self) -> None:
        assert recertification_due(D(2026, 10, 20)).day == D(2029, 10, 20)
        assert recertification_due(D(2024, 2, 29), 3).day == D(2027, 2, 28)

    def test_reminders(self) -> None:
        assert reminder_at(D(2026, 6, 20), 7) == datetime(2026, 6, 13, 9, tzinfo=SHANGHAI)
        # 3 working days before 2026-06-30 (Tue): 6/29, 6/26, 6/25
        at = reminder_at(D(2026, 6, 30), 3, unit="working_days")
        assert at == datetime(2026, 6, 25, 9, tzinfo=SHANGHAI)
        with pytest.raises(ValueError, match="unit"):
            reminder_at(D(2026, 6, 30), 3, unit="weeks")


YEARS = sorted(CAL.years)
dates = st.dates(min_value=D(min(YEARS), 1, 1), max_value=D(max(YEARS), 11, 30))
ns = st.integers(min_value=1, max_value=20)


class TestProperties:
    @given(dates, st.integers(min_value=-20, max_value=20).filter(bool))
    def test_result_is_a_working_day(self, d: date, n: int) -> None:
        if d < D(min(YEARS), 2, 1) and n < 0:
            return
        assert CAL.is_working_day(CAL.add_working_days(d, n))

    @given(dates, ns)
    def test_strictly_monotonic_in_n(self, d: date, n: int) -> None:
        assert CAL.add_working_days(d, n) < CAL.add_working_days(d, n + 1)
        assert CAL.add_working_days(d, n) > d

    @given(dates.filter(lambda d: d > D(min(YEARS), 3, 1)), ns)
    def test_forward_then_back_returns(self, d: date, n: int) -> None:
        start = CAL.next_working_day(d)
        assert CAL.add_working_days(CAL.add_working_days(start, n), -n) == start

    @given(dates, ns)
    def test_count_matches_add(self, d: date, n: int) -> None:
        end = CAL.add_working_days(d, n)
        assert CAL.count_working_days(d + timedelta(days=1), end) == n

    @settings(max_examples=50)
    @given(st.lists(dates, min_size=1, max_size=50), ns)
    def test_vectorised_equals_scalar(self, ds: list[date], n: int) -> None:
        arr = np.array([d.isoformat() for d in ds], dtype="datetime64[D]")
        out = CAL.add_working_days_array(arr, n)
        assert [str(x) for x in out] == [CAL.add_working_days(d, n).isoformat() for d in ds]
        flags = CAL.is_working_day_array(arr)
        assert list(flags) == [CAL.is_working_day(d) for d in ds]


def write(tmp_path: Path, text: str, name: str = "2027.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


class TestLoaderRefusesBadData:
    def test_good_file_loads(self, tmp_path: Path) -> None:
        n = parse_notice(write(tmp_path, GOOD))
        assert n.year == 2027 and n.working_days[0].day == D(2027, 1, 9)

    @pytest.mark.parametrize(
        ("old", "new", "message"),
        [
            ("date = 2027-01-09", "date = 2027-01-08", "2027-01-08 is a Fri.*Saturday or Sunday"),
            ("date = 2027-01-09", "date = 2027-01-02", "both a working day and a day off"),
            ("end = 2027-01-03", "end = 2026-12-30", "end 2026-12-30 is before start"),
            ("start = 2027-01-01", "start = 2026-11-20", "outside what the 2027 notice can cover"),
            ("date = 2027-01-09", "date = 2028-01-08", "outside what the 2027 notice"),
            ('document_number = "国办发明电〔2026〕1号"\n', "", "missing field 'document_number'"),
            ("published = 2026-11-01", 'published = "soon"', "published: must be a TOML date"),
            ("year = 2027", "year = 2028", "does not match the file name"),
            ("[[holidays]]", "[[holidays]", "not valid TOML"),
        ],
    )
    def test_each_kind_of_bad_entry(self, tmp_path: Path, old: str, new: str, message: str) -> None:
        assert old in GOOD
        with pytest.raises(CalendarError, match=message) as info:
            parse_notice(write(tmp_path, GOOD.replace(old, new, 1)))
        assert "2027.toml" in str(info.value)

    def test_non_utf8_refused(self, tmp_path: Path) -> None:
        p = tmp_path / "2027.toml"
        p.write_bytes(GOOD.encode("gb18030"))
        with pytest.raises(CalendarError, match="2027.toml: not UTF-8"):
            parse_notice(p)

    def test_conflict_across_files(self, tmp_path: Path) -> None:
        # a 2028 notice naming 2027-12-26 (Sunday) a working day, while 2027 puts it in a holiday
        write(tmp_path, GOOD.replace("end = 2027-01-03", "end = 2027-01-03") + "")
        (tmp_path / "2027.toml").write_text(
            GOOD.replace(
                "[[working_days]]",
                '[[holidays]]\nname = "x"\nstart = 2027-12-25\nend = 2027-12-27\n[[working_days]]',
            ),
            encoding="utf-8",
        )
        write(
            tmp_path,
            GOOD.replace("2027", "2028")
            .replace("2028-01-09", "2027-12-26")
            .replace("〔2026〕", "〔2027〕")
            .replace("published = 2026-11-01", "published = 2027-11-01"),
            "2028.toml",
        )
        with pytest.raises(CalendarError, match="both a working day and a day off"):
            load_calendar(tmp_path)

    def test_extra_directory_adds_a_year(self, tmp_path: Path) -> None:
        write(tmp_path, GOOD)
        cal = load_calendar(DATA_DIR, tmp_path)
        assert cal.is_working_day(D(2027, 1, 9)) is True
        assert cal.is_working_day(D(2027, 1, 1)) is False
        assert cal.version != CAL.version
