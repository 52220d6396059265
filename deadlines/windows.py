"""Windows built from calendar dates, open from 00:00 of the first day to the end of the last."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from deadlines.timeutil import (
    day_end_exclusive,
    day_start,
    format_instant,
    last_second,
    parse_date,
    require_aware,
)

_SPLIT = re.compile(r"\s*(?:\.\.|to|至|~|/)\s*")


@dataclass(frozen=True)
class Window:
    """`Window(2026-05-27, 2026-06-20)`: both days included, Asia/Shanghai."""

    opens: date
    closes: date

    def __post_init__(self) -> None:
        for name in ("opens", "closes"):
            value = getattr(self, name)
            if isinstance(value, datetime) or not isinstance(value, date):
                raise ValueError(f"window.{name}: expected a calendar date, got {value!r}")
        if self.closes < self.opens:
            raise ValueError(f"window.closes: {self.closes} is before window.opens: {self.opens}")

    @cached_property
    def opens_at(self) -> datetime:
        return day_start(self.opens)

    @cached_property
    def ends_at(self) -> datetime:
        """Exclusive end: 00:00 of the day after `closes`."""
        return day_end_exclusive(self.closes)

    def contains(self, instant: datetime) -> bool:
        require_aware(instant)
        return self.opens_at <= instant < self.ends_at

    def has_opened(self, instant: datetime) -> bool:
        return require_aware(instant) >= self.opens_at

    def has_closed(self, instant: datetime) -> bool:
        return require_aware(instant) >= self.ends_at

    def opening_label(self) -> str:
        return format_instant(self.opens_at)

    def closing_label(self) -> str:
        """`2026-06-20 23:59:59 +08:00`: the last second of the window."""
        return format_instant(last_second(self.ends_at))

    def __str__(self) -> str:
        return f"{self.opens.isoformat()}..{self.closes.isoformat()}"

    @classmethod
    def parse(cls, text: str, field: str = "window") -> Window:
        parts = _SPLIT.split(text.strip())
        if len(parts) != 2:
            raise ValueError(f"{field}: '{text}' is not a window like 2026-05-27..2026-06-20")
        return cls(parse_date(parts[0], f"{field}.opens"), parse_date(parts[1], f"{field}.closes"))
