"""Checks every shipped State Council notice file: schema, dates, and the notice text it quotes."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import deadlines
from deadlines.calendar import CalendarError, load_calendar, parse_notice

DATA_DIR = Path(deadlines.__file__).resolve().parent / "data"
FILES = sorted(DATA_DIR.glob("*.toml"))
TOP_LEVEL_KEYS = {
    "year",
    "title",
    "document_number",
    "published",
    "url",
    "holidays",
    "working_days",
    "differences",
}
REQUIRED_KEYS = TOP_LEVEL_KEYS - {"working_days", "differences"}


def _load(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _span(year: int) -> tuple[date, date]:
    return date(year - 1, 12, 1), date(year, 12, 31)


def test_ships_one_file_per_notice_year_from_2018_to_2026() -> None:
    years = sorted(int(p.stem) for p in FILES)
    assert years[0] <= 2018 and years[-1] >= 2026
    assert years == list(range(years[0], years[-1] + 1)), f"a notice year is missing: {years}"


def test_all_files_load_together() -> None:
    calendar = load_calendar(DATA_DIR)
    assert calendar.years == sorted(int(p.stem) for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_parses_with_the_schema(path: Path) -> None:
    data = _load(path)
    notice = parse_notice(path)
    assert notice.year == data["year"] == int(path.stem)
    assert set(data) <= TOP_LEVEL_KEYS, f"unknown keys: {set(data) - TOP_LEVEL_KEYS}"
    assert REQUIRED_KEYS <= set(data), f"missing keys: {REQUIRED_KEYS - set(data)}"
    year = data["year"]
    assert data["title"] == f"国务院办公厅关于{year}年部分节假日安排的通知"
    assert re.fullmatch(rf"国办发明电〔{year - 1}〕\d+号", data["document_number"])
    assert isinstance(data["published"], date)
    assert date(year - 1, 1, 1) <= data["published"] < date(year, 1, 1)
    assert data["url"].startswith("https://www.gov.cn/")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_holiday_ranges(path: Path) -> None:
    data = _load(path)
    lo, hi = _span(data["year"])
    assert data["holidays"], "a notice names at least one holiday"
    for h in data["holidays"]:
        assert set(h) == {"name", "start", "end"}, h
        assert h["name"].strip()
        assert h["start"] <= h["end"], f"{h['name']}: start {h['start']} after end {h['end']}"
        assert lo <= h["start"] and h["end"] <= hi, f"{h['name']} outside {lo}..{hi}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_working_days_are_weekend_days_of_a_named_holiday(path: Path) -> None:
    data = _load(path)
    lo, hi = _span(data["year"])
    names = {h["name"] for h in data["holidays"]}
    dates = [w["date"] for w in data.get("working_days", [])]
    assert len(dates) == len(set(dates)), "a working day is listed twice"
    for w in data.get("working_days", []):
        assert set(w) == {"date", "holiday"}, w
        d = w["date"]
        assert d.weekday() in (5, 6), f"{d} is a {d:%A}, not a Saturday or Sunday"
        assert lo <= d <= hi, f"{d} outside {lo}..{hi}"
        assert w["holiday"] in names, f"{d}: holiday {w['holiday']!r} is not in [[holidays]]"
        for h in data["holidays"]:
            assert not h["start"] <= d <= h["end"], f"{d} is also inside {h['name']}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_differences_are_well_formed(path: Path) -> None:
    data = _load(path)
    lo, hi = _span(data["year"])
    for diff in data.get("differences", []):
        assert set(diff) == {"date", "ours", "explanation"}, diff
        assert diff["ours"] in ("off", "working")
        assert len(diff["explanation"].strip()) > 20, f"{diff['date']}: explain the difference"
        assert lo <= diff["date"] <= hi


_TOTAL = re.compile(r"共(\d+)天")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_ranges_match_the_quoted_day_counts(path: Path) -> None:
    """Each [[holidays]] entry is preceded by the notice sentence; its 共N天 must fit the range."""
    lines = path.read_text(encoding="utf-8").splitlines()
    holidays = iter(_load(path)["holidays"])
    checked = 0
    for i, line in enumerate(lines):
        if line.strip() != "[[holidays]]":
            continue
        entry = next(holidays)
        comment: list[str] = []
        j = i - 1
        while j >= 0 and lines[j].startswith("#"):
            comment.insert(0, lines[j])
            j -= 1
        totals = _TOTAL.findall(" ".join(comment))
        if totals:
            days = (entry["end"] - entry["start"]).days + 1
            assert int(totals[-1]) == days, f"{entry['name']}: notice says 共{totals[-1]}天"
            checked += 1
    assert next(holidays, None) is None
    assert checked >= 3, "too few quoted 共N天 sentences found"


def test_loader_rejects_a_weekday_listed_as_working_day(tmp_path: Path) -> None:
    text = (DATA_DIR / "2026.toml").read_text(encoding="utf-8")
    bad = text.replace("date = 2026-01-04", "date = 2026-01-05", 1)
    assert bad != text
    (tmp_path / "2026.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(CalendarError, match="2026.toml"):
        load_calendar(tmp_path)


def test_loader_rejects_a_reversed_range(tmp_path: Path) -> None:
    text = (DATA_DIR / "2026.toml").read_text(encoding="utf-8")
    bad = text.replace("end = 2026-01-03", "end = 2025-12-30", 1)
    assert bad != text
    (tmp_path / "2026.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(CalendarError, match="2026.toml"):
        load_calendar(tmp_path)
