"""The official Chinese working-day calendar: State Council notices as data, indexed for fast queries.

A day is a working day when it is Monday to Friday and in no holiday range of a notice, or when a
notice names it as a 调休 working weekend day. A year with no notice loaded is never guessed.
"""

from __future__ import annotations

import bisect
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from deadlines.timeutil import SHANGHAI, day_start, local_date
from programs.safeload import LoadError, load_structured, read_capped

DATA_DIR = Path(__file__).resolve().parent / "data"
CALENDAR_DIR_ENV = "SHENBAO_CALENDAR_DIR"
_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_FILE_BYTES = 256 * 1024  # a year's notice is a few kilobytes


class CalendarError(ValueError):
    """A calendar data file is malformed, or a calendar computation cannot be done."""


class MissingCalendarYear(CalendarError):
    """A computation needs a year for which no State Council notice is loaded."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"calendar: no working-day schedule for {year} (缺少{year}年节假日安排数据); "
            f"add the State Council notice for {year} with `shenbao calendar import {year}.toml` "
            f"(or put {year}.toml in ${CALENDAR_DIR_ENV})"
        )


@dataclass(frozen=True)
class HolidayRange:
    name: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class WorkingWeekendDay:
    day: date
    holiday: str


@dataclass(frozen=True)
class Difference:
    day: date
    ours: str
    explanation: str


@dataclass(frozen=True)
class Notice:
    """One State Council holiday notice (one data file)."""

    year: int
    title: str
    document_number: str
    published: date
    url: str
    holidays: tuple[HolidayRange, ...]
    working_days: tuple[WorkingWeekendDay, ...]
    differences: tuple[Difference, ...]
    path: Path
    sha256: str

    @property
    def span(self) -> tuple[date, date]:
        """Dates a notice for `year` may name: 1 December of the year before to 31 December."""
        return date(self.year - 1, 12, 1), date(self.year, 12, 31)


def _req(data: dict[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise CalendarError(f"{where}: missing field '{key}'")
    value = data[key]
    if typ is date:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise CalendarError(
                f"{where}.{key}: must be a TOML date like 2026-01-01, got {value!r}"
            )
    elif not isinstance(value, typ) or isinstance(value, bool) and typ is int:
        raise CalendarError(f"{where}.{key}: wrong type {type(value).__name__}, got {value!r}")
    return value


def parse_notice(path: Path, raw: bytes | None = None) -> Notice:
    """Parse and check one data file on its own; errors name the file and the entry."""
    name = path.name
    try:
        raw = read_capped(path, field=name, max_bytes=MAX_FILE_BYTES) if raw is None else raw
        raw.decode("utf-8")
        data = load_structured(raw, field=name, fmt="toml", max_bytes=MAX_FILE_BYTES, exact=False)
    except UnicodeDecodeError as exc:
        raise CalendarError(f"{name}: not UTF-8 text ({exc})") from exc
    except LoadError as exc:
        what = "not valid TOML" if exc.rule == "syntax" else "refused"
        raise CalendarError(f"{name}: {what} ({exc.en}; rule: {exc.rule})") from None
    year = _req(data, "year", int, name)
    if not 1949 < year < 2200:
        raise CalendarError(f"{name}: year: {year} is not a plausible notice year")
    if path.suffix == ".toml" and path.stem.isdigit() and int(path.stem) != year:
        raise CalendarError(f"{name}: year: {year} does not match the file name")
    title = _req(data, "title", str, name)
    document_number = _req(data, "document_number", str, name)
    published = _req(data, "published", date, name)
    url = _req(data, "url", str, name)
    lo, hi = date(year - 1, 12, 1), date(year, 12, 31)
    if not date(year - 1, 1, 1) <= published <= hi:
        raise CalendarError(f"{name}: published: {published} is implausible for the {year} notice")

    def in_span(d: date, where: str) -> None:
        if not lo <= d <= hi:
            raise CalendarError(
                f"{name}: {where}: {d} lies outside what the {year} notice can cover ({lo} to {hi})"
            )

    holidays: list[HolidayRange] = []
    for i, entry in enumerate(data.get("holidays", [])):
        where = f"{name}: holidays[{i}]"
        if not isinstance(entry, dict):
            raise CalendarError(f"{where}: must be a table with name, start, end")
        hname = _req(entry, "name", str, where)
        start = _req(entry, "start", date, where)
        end = _req(entry, "end", date, where)
        if end < start:
            raise CalendarError(f"{where} ({hname}): end {end} is before start {start}")
        in_span(start, f"holidays[{i}] ({hname}).start")
        in_span(end, f"holidays[{i}] ({hname}).end")
        holidays.append(HolidayRange(hname, start, end))
    if not holidays:
        raise CalendarError(f"{name}: holidays: a notice names at least one holiday")
    working: list[WorkingWeekendDay] = []
    for i, entry in enumerate(data.get("working_days", [])):
        where = f"{name}: working_days[{i}]"
        if not isinstance(entry, dict):
            raise CalendarError(f"{where}: must be a table with date and holiday")
        d = _req(entry, "date", date, where)
        in_span(d, f"working_days[{i}].date")
        if d.weekday() < 5:
            raise CalendarError(
                f"{where}: {d} is a {_WEEKDAY_NAMES[d.weekday()]}, "
                "but a 调休 working day must be a Saturday or Sunday"
            )
        working.append(WorkingWeekendDay(d, str(entry.get("holiday", ""))))
    differences: list[Difference] = []
    for i, entry in enumerate(data.get("differences", [])):
        where = f"{name}: differences[{i}]"
        d = _req(entry, "date", date, where)
        ours = _req(entry, "ours", str, where)
        if ours not in ("off", "working"):
            raise CalendarError(f"{where}.ours: must be 'off' or 'working', got {ours!r}")
        differences.append(Difference(d, ours, _req(entry, "explanation", str, where)))
    notice = Notice(
        year=year,
        title=title,
        document_number=document_number,
        published=published,
        url=url,
        holidays=tuple(holidays),
        working_days=tuple(working),
        differences=tuple(differences),
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    _check_overlaps([notice])
    return notice


def _check_overlaps(notices: Sequence[Notice]) -> None:
    off: dict[date, str] = {}
    for n in notices:
        for i, h in enumerate(n.holidays):
            d = h.start
            while d <= h.end:
                off.setdefault(d, f"{n.path.name}: holidays[{i}] ({h.name})")
                d += timedelta(days=1)
    seen: dict[date, str] = {}
    for n in notices:
        for i, w in enumerate(n.working_days):
            where = f"{n.path.name}: working_days[{i}]"
            if w.day in off:
                raise CalendarError(
                    f"{where}: {w.day} is both a working day and a day off ({off[w.day]})"
                )
            if w.day in seen:
                raise CalendarError(f"{where}: {w.day} is listed twice (also {seen[w.day]})")
            seen[w.day] = where


class NoticePeriod(NamedTuple):
    """A 公示 period as notices publish it: first and last day, both working days."""

    first: date
    last: date
    working_days: int
    calendar_version: str

    @property
    def ends_at(self) -> datetime:
        """The instant the period is over: 00:00 Asia/Shanghai of the day after `last`."""
        end = self.last + timedelta(days=1)
        return datetime(end.year, end.month, end.day, tzinfo=SHANGHAI)

    @property
    def starts_at(self) -> datetime:
        return day_start(self.first)

    def label(self) -> str:
        return (
            f"{self.first.month}月{self.first.day}日至{self.last.month}月{self.last.day}日"
            f"（{self.working_days}个工作日）"
        )


@dataclass
class Calendar:
    """Working days of every covered year, held as a sorted index of ordinals."""

    notices: dict[int, Notice]
    _workdays: list[int] = field(init=False, repr=False)
    _workset: frozenset[int] = field(init=False, repr=False)
    _through: list[int] = field(init=False, repr=False)
    _workdates: list[date] = field(init=False, repr=False)
    version: str = field(init=False)

    def __post_init__(self) -> None:
        ordered = [self.notices[y] for y in sorted(self.notices)]
        _check_overlaps(ordered)
        off: set[int] = set()
        extra: set[int] = set()
        for n in ordered:
            for h in n.holidays:
                off.update(range(h.start.toordinal(), h.end.toordinal() + 1))
            extra.update(w.day.toordinal() for w in n.working_days)
        days: list[int] = []
        for y in ordered:
            first = date(y.year, 1, 1).toordinal()
            last = date(y.year, 12, 31).toordinal()
            for o in range(first, last + 1):
                weekday = (o + 6) % 7  # date.fromordinal(o).weekday()
                if o in extra or (weekday < 5 and o not in off):
                    days.append(o)
        self._workdays = days
        self._workset = frozenset(days)
        # fast path: the covered years form one run, so coverage is a range check on ordinals
        years = sorted(self.notices)
        contiguous = years == list(range(years[0], years[-1] + 1))
        self._lo = date(years[0], 1, 1).toordinal() if contiguous else 0
        self._hi = date(years[-1], 12, 31).toordinal() if contiguous else -1
        # by day ordinal over a contiguous span: working days up to and including the day (no search)
        through: list[int] = []
        if contiguous:
            count, k = 0, 0
            for o in range(self._lo, self._hi + 1):
                if k < len(days) and days[k] == o:
                    count += 1
                    k += 1
                through.append(count)
        self._through = through
        self._workdates = [date.fromordinal(o) for o in days]
        digest = hashlib.sha256()
        for n in ordered:
            digest.update(f"{n.year}:{n.sha256}\n".encode())
        self.version = digest.hexdigest()[:16]

    # -- coverage ---------------------------------------------------------------------------
    @property
    def years(self) -> list[int]:
        return sorted(self.notices)

    def require(self, *days: date) -> None:
        """Raise MissingCalendarYear unless every year from min(days) to max(days) is covered."""
        if all(self._lo <= d.toordinal() <= self._hi for d in days):
            return
        lo = min(d.year for d in days)
        hi = max(d.year for d in days)
        for y in range(lo, hi + 1):
            if y not in self.notices:
                raise MissingCalendarYear(y)

    # -- queries ----------------------------------------------------------------------------
    def is_working_day(self, d: date | datetime) -> bool:
        d = _as_date(d)
        self.require(d)
        return d.toordinal() in self._workset

    def add_working_days(self, d: date | datetime, n: int) -> date:
        """The n-th working day after `d`, `d` itself not counted (民法典 第二百零一条)."""
        d = _as_date(d)
        if isinstance(n, bool) or not isinstance(n, int):
            raise CalendarError(f"n: must be an integer, got {n!r}")
        if n == 0:
            raise CalendarError(
                "n: must not be 0 (第0个工作日无意义; give a positive or negative count)"
            )
        o = d.toordinal()
        if self._lo <= o <= self._hi:
            t = self._through[o - self._lo]
            idx = t + n - 1 if n > 0 else t - (o in self._workset) + n
        else:
            self.require(d)
            if n > 0:
                idx = bisect.bisect_right(self._workdays, o) + n - 1
            else:
                idx = bisect.bisect_left(self._workdays, o) + n
        if idx >= len(self._workdays):
            raise MissingCalendarYear(max(self.notices) + 1)
        if idx < 0:
            raise MissingCalendarYear(min(self.notices) - 1)
        found = self._workdays[idx]
        if not self._lo <= found <= self._hi:
            self.require(d, date.fromordinal(found))
        return self._workdates[idx]

    def next_working_day(self, d: date, *, inclusive: bool = True) -> date:
        if inclusive and self.is_working_day(d):
            return d
        return self.add_working_days(d, 1)

    def notice_period(self, start: date | datetime, working_days: int) -> NoticePeriod:
        """A 公示 period: day 1 is `start` if it is a working day, else the next working day."""
        if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 1:
            raise CalendarError(f"working_days: must be a positive integer, got {working_days!r}")
        start_day = _as_date(start)
        o = start_day.toordinal()
        if self._lo <= o <= self._hi:
            idx = self._through[o - self._lo] - (o in self._workset)
        else:
            self.require(start_day)
            idx = bisect.bisect_left(self._workdays, o)
        if idx + working_days - 1 >= len(self._workdays):
            raise MissingCalendarYear(max(self.notices) + 1)
        last_o = self._workdays[idx + working_days - 1]
        last = self._workdates[idx + working_days - 1]
        if not self._lo <= last_o <= self._hi:
            self.require(start_day, last)
        # tuple.__new__ skips NamedTuple's Python-level constructor on this hot path
        return tuple.__new__(NoticePeriod, (self._workdates[idx], last, working_days, self.version))

    def working_days_between(self, a: date | datetime, b: date | datetime) -> list[date]:
        """Working days from `a` to `b`, both ends included."""
        lo, hi = self._span_indexes(a, b)
        return [date.fromordinal(o) for o in self._workdays[lo:hi]]

    def count_working_days(self, a: date | datetime, b: date | datetime) -> int:
        lo, hi = self._span_indexes(a, b)
        return hi - lo

    def _span_indexes(self, a: date | datetime, b: date | datetime) -> tuple[int, int]:
        a, b = _as_date(a), _as_date(b)
        if b < a:
            raise CalendarError(f"b: {b} is before a: {a} (the range must run forwards)")
        self.require(a, b)
        lo = bisect.bisect_left(self._workdays, a.toordinal())
        hi = bisect.bisect_right(self._workdays, b.toordinal())
        return lo, hi

    # -- vectorised ---------------------------------------------------------------------------
    def _np_tables(self) -> _DayTables:
        """Lookup tables by day ordinal over the covered span, built once per calendar."""
        cached = getattr(self, "_np_cache", None)
        if cached is None:
            cached = _DayTables.build(self)
            object.__setattr__(self, "_np_cache", cached)
        return cached

    def is_working_day_array(self, dates: Any) -> Any:
        """Vectorised is_working_day over an array of numpy datetime64[D] (or ISO strings)."""
        t = self._np_tables()
        off = t.offsets(self, dates)
        return t.state[off] == 1

    def add_working_days_array(self, dates: Any, n: int | Any) -> Any:
        """Vectorised add_working_days; returns datetime64[D]. `n` is a scalar or an array."""
        import numpy as np

        t = self._np_tables()
        off = t.offsets(self, dates)
        ns = np.asarray(n, dtype=np.int64)
        if np.any(ns == 0):
            raise CalendarError("n: must not be 0 (第0个工作日无意义)")
        if ns.ndim == 0:  # one count for every date: one gather, one add
            k = int(ns)
            pos = (t.through[off] + (k - 1)) if k > 0 else (t.before[off] + k)
        else:
            ns = np.broadcast_to(ns, off.shape)
            pos = np.where(ns > 0, t.through[off] + (ns - 1), t.before[off] + ns)
        if pos.size:
            if pos.max() >= t.days.size:
                raise MissingCalendarYear(max(self.notices) + 1)
            if pos.min() < 0:
                raise MissingCalendarYear(min(self.notices) - 1)
        out = t.days[pos]
        if not t.contiguous and out.size:
            # a result past a missing year would skip it: every year in between must be covered
            lo = min(int(off.min()), int(out.view(np.int64).min()) - t.base) + t.base
            hi = max(int(off.max()), int(out.view(np.int64).max()) - t.base) + t.base
            self.require(_EPOCH_DATE + timedelta(days=lo), _EPOCH_DATE + timedelta(days=hi))
        return out


_EPOCH_DATE = date(1970, 1, 1)


@dataclass(frozen=True)
class _DayTables:
    """Per-day tables over [1 Jan of the first year, 31 Dec of the last], indexed by day offset.

    `state` is 1 (working), 0 (day off) or -1 (year not covered); `before[i]` counts the working
    days strictly before day i and `through[i]` those up to and including it, so the n-th working
    day after day i is `days[through[i] + n - 1]` and the n-th before it `days[before[i] + n]`.
    """

    base: int  # epoch-day number of the first day of the span
    state: Any
    before: Any
    through: Any
    days: Any  # working days as datetime64[D], sorted
    contiguous: bool

    @classmethod
    def build(cls, cal: Calendar) -> _DayTables:
        import numpy as np

        years = sorted(cal.notices)
        epoch = _EPOCH_DATE.toordinal()
        first = date(years[0], 1, 1).toordinal()
        last = date(years[-1], 12, 31).toordinal()
        state = np.full(last - first + 1, -1, dtype=np.int8)
        for y in years:
            state[date(y, 1, 1).toordinal() - first : date(y, 12, 31).toordinal() - first + 1] = 0
        work = np.asarray(cal._workdays, dtype=np.int64)
        state[work - first] = 1
        through = np.cumsum(state == 1, dtype=np.int64)
        before = through - (state == 1)
        days = (work - epoch).astype("datetime64[D]")
        return cls(
            first - epoch,
            state,
            before,
            through,
            days,
            years == list(range(years[0], years[-1] + 1)),
        )

    def offsets(self, cal: Calendar, dates: Any) -> Any:
        """Day offsets into the tables; MissingCalendarYear for any date outside covered years."""
        import numpy as np

        days = np.asarray(dates, dtype="datetime64[D]")
        off = days.view(np.int64) - self.base
        if off.size:
            lo, hi = int(off.min()), int(off.max())
            if lo < 0 or hi >= self.state.size:
                bad = lo if lo < 0 else hi
                raise MissingCalendarYear((_EPOCH_DATE + timedelta(days=bad + self.base)).year)
            if not self.contiguous and (self.state[off] < 0).any():
                bad = int(off[self.state[off] < 0][0])
                raise MissingCalendarYear((_EPOCH_DATE + timedelta(days=bad + self.base)).year)
        return off


def _as_date(d: date | datetime) -> date:
    if type(d) is date:
        return d
    if isinstance(d, datetime):
        return local_date(d)
    if not isinstance(d, date):
        raise CalendarError(f"date: expected a date, got {d!r}")
    return d


def calendar_dirs() -> list[Path]:
    dirs = [DATA_DIR]
    extra = os.environ.get(CALENDAR_DIR_ENV)
    if extra:
        dirs.append(Path(extra))
    return dirs


def load_notices(dirs: Iterable[Path]) -> dict[int, Notice]:
    """Read every YYYY.toml in `dirs`; a later directory replaces an earlier one's year."""
    notices: dict[int, Notice] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.toml")):
            n = parse_notice(path)
            notices[n.year] = n
    return notices


def load_calendar(*dirs: Path) -> Calendar:
    notices = load_notices(dirs or calendar_dirs())
    if not notices:
        raise CalendarError(f"calendar: no data files found in {', '.join(map(str, dirs))}")
    return Calendar(notices)


@lru_cache(maxsize=8)
def _cached(key: tuple[str, ...]) -> Calendar:
    return load_calendar(*(Path(p) for p in key))


def default_calendar() -> Calendar:
    """The calendar from the shipped data plus $SHENBAO_CALENDAR_DIR (cached per directory set)."""
    return _cached(tuple(str(p) for p in calendar_dirs()))


def reset_cache() -> None:
    _cached.cache_clear()


def is_working_day(d: date | datetime) -> bool:
    return default_calendar().is_working_day(d)


def add_working_days(d: date | datetime, n: int) -> date:
    return default_calendar().add_working_days(d, n)


def notice_period(start: date | datetime, working_days: int) -> NoticePeriod:
    return default_calendar().notice_period(start, working_days)


def working_days_between(a: date | datetime, b: date | datetime) -> list[date]:
    return default_calendar().working_days_between(a, b)


def count_working_days(a: date | datetime, b: date | datetime) -> int:
    return default_calendar().count_working_days(a, b)


__all__ = [
    "SHANGHAI",
    "Calendar",
    "CalendarError",
    "MissingCalendarYear",
    "Notice",
    "NoticePeriod",
    "add_working_days",
    "count_working_days",
    "default_calendar",
    "is_working_day",
    "load_calendar",
    "notice_period",
    "parse_notice",
    "working_days_between",
]
