"""Cross-checks the shipped working-day calendar against the holidays and chinesecalendar packages.

Every disagreement with `holidays` must be listed, and explained, in a data file's [[differences]].
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import holidays
import pytest

import deadlines
from deadlines.calendar import Calendar, load_calendar

DATA_DIR = Path(deadlines.__file__).resolve().parent / "data"
NOTICE_YEARS = range(2018, 2027)

# Days where chinesecalendar is known to contradict the State Council notices. Its one known
# error, 2005-12-31, lies outside the span we ship, so inside it the package must agree exactly.
CHINESECALENDAR_KNOWN_ERRORS: dict[date, str] = {}


@pytest.fixture(scope="module")
def calendar() -> Calendar:
    return load_calendar(DATA_DIR)


@pytest.fixture(scope="module")
def cn_holidays() -> holidays.HolidayBase:
    # holidays 0.109 has no "workday" category for CN: its 调休 working weekend days live in
    # `weekend_workdays`, and `is_working_day` combines them with the public holidays.
    return holidays.country_holidays(
        "CN", years=range(min(NOTICE_YEARS) - 1, max(NOTICE_YEARS) + 2)
    )


def _differences() -> dict[date, tuple[str, str]]:
    """Every [[differences]] entry of the shipped files: date -> (file name, "off" | "working")."""
    found: dict[date, tuple[str, str]] = {}
    for path in sorted(DATA_DIR.glob("*.toml")):
        for entry in tomllib.loads(path.read_text(encoding="utf-8")).get("differences", []):
            assert entry["date"] not in found, (
                f"{path.name}: difference {entry['date']} listed twice"
            )
            assert entry["ours"] in ("off", "working"), f"{path.name}: {entry}"
            assert entry["explanation"].strip(), f"{path.name}: {entry['date']} has no explanation"
            found[entry["date"]] = (path.name, entry["ours"])
    return found


def _days(years: list[int]) -> Iterator[date]:
    for year in years:
        d = date(year, 1, 1)
        while d.year == year:
            yield d
            d += timedelta(days=1)


def test_covers_every_notice_year(calendar: Calendar) -> None:
    assert set(NOTICE_YEARS) <= set(calendar.years)


def test_agrees_with_holidays_package_except_listed_differences(
    calendar: Calendar, cn_holidays: holidays.HolidayBase
) -> None:
    differences = _differences()
    covered = set(calendar.years)
    for day, (file_name, _) in differences.items():
        assert day.year in covered, f"{file_name}: difference {day} lies in no covered year"

    mismatches: list[str] = []
    stale: list[str] = []
    for day in _days(calendar.years):
        ours = calendar.is_working_day(day)
        theirs = cn_holidays.is_working_day(day)
        if day in differences:
            file_name, listed = differences[day]
            if ours != (listed == "working"):
                stale.append(f"{file_name}: {day} says ours={listed} but the calendar says {ours}")
            if ours == theirs:
                stale.append(f"{file_name}: {day} is listed as a difference but holidays agrees")
        elif ours != theirs:
            mismatches.append(
                f"{day} ({day:%a}): ours={'working' if ours else 'off'}, "
                f"holidays={'working' if theirs else 'off'} ({cn_holidays.get(day)})"
            )
    assert not stale, "stale [[differences]] entries:\n" + "\n".join(stale)
    assert not mismatches, "unexplained disagreements with holidays:\n" + "\n".join(mismatches)


def test_agrees_with_chinesecalendar(calendar: Calendar) -> None:
    mismatches = []
    for day in _days([y for y in calendar.years if y <= 2026]):  # chinesecalendar 1.11 stops here
        expected = chinese_calendar.is_workday(day)
        if day in CHINESECALENDAR_KNOWN_ERRORS:
            expected = not expected
        if calendar.is_working_day(day) != expected:
            mismatches.append(f"{day} ({day:%a}): {chinese_calendar.get_holiday_detail(day)}")
    assert not mismatches, "disagreements with chinesecalendar:\n" + "\n".join(mismatches)


# Working days per calendar year, worked out by hand from the notices:
# Monday-to-Friday days, minus weekdays inside a 放假 range, plus the 调休 working weekend days.
#   2018: 261 - 18 + 7 (includes 12-29 worked and 12-31 off, named by the 2019 notice)
#   2020: 262 - 19 + 6 (the 1-31..2-2 extension, 国办发明电〔2020〕1号, cancels 2-1 as a working day)
#   2023: 260 - 18 + 7
#   2024: 262 - 19 + 8
#   2025: 261 - 18 + 5
#   2026: 261 - 19 + 6
OFFICIAL_WORKING_DAY_COUNTS = {2018: 250, 2020: 249, 2023: 249, 2024: 251, 2025: 248, 2026: 248}


@pytest.mark.parametrize(("year", "expected"), sorted(OFFICIAL_WORKING_DAY_COUNTS.items()))
def test_working_days_per_year(calendar: Calendar, year: int, expected: int) -> None:
    assert calendar.count_working_days(date(year, 1, 1), date(year, 12, 31)) == expected


# Single days whose status the notice text states outright, chosen where a naive calendar errs.
NOTICE_ANCHORS = [
    (date(2018, 12, 29), True, "2019 notice: 2018年12月29日（星期六）上班"),
    (date(2018, 12, 31), False, "2019 notice: 2018年12月30日至2019年1月1日放假"),
    (date(2019, 5, 2), False, "国办发明电〔2019〕3号: 5月1日至4日放假"),
    (date(2019, 5, 5), True, "国办发明电〔2019〕3号: 5月5日（星期日）上班"),
    (date(2020, 1, 31), False, "国办发明电〔2020〕1号: 春节假期延长至2月2日"),
    (date(2020, 2, 1), False, "国办发明电〔2020〕1号 cancels the 2月1日（星期六） working day"),
    (date(2020, 2, 3), True, "国办发明电〔2020〕1号: 2月3日（星期一）起正常上班"),
    (date(2023, 1, 2), False, "2023 notice: 2022年12月31日至2023年1月2日放假调休"),
    (date(2024, 2, 9), True, "2024 notice only encourages rest on 除夕; it is a working day"),
    (date(2026, 1, 4), True, "2026 notice: 1月4日（周日）上班"),
    (date(2026, 2, 23), False, "2026 notice: 2月15日至23日放假调休"),
    (date(2026, 9, 20), True, "2026 notice: 9月20日（周日）上班"),
]


@pytest.mark.parametrize(
    ("day", "working", "source"), NOTICE_ANCHORS, ids=[str(a[0]) for a in NOTICE_ANCHORS]
)
def test_notice_anchor_days(calendar: Calendar, day: date, working: bool, source: str) -> None:
    assert calendar.is_working_day(day) is working, source
