"""Values given on the command line, parsed within range: ids, years, windows, scoring sheets.

Each parser returns the value or raises ValueError ``FIELD: ... (rule: ...)``; the commands turn
that into the one-line exit-2 contract (shenbao.errors.refusals). Typer's own int conversion
takes ``١`` (an Arabic-Indic digit) as 1 and ``1_0`` as 10: ids and years are parsed here instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from deadlines import Window

T = TypeVar("T")
ID_MAX = 2_147_483_647  # INTEGER primary keys: PostgreSQL's int4, what SQLite stores alike
YEAR_MIN, YEAR_MAX = 2000, 2100  # years any edition of these programs can mean
CAMPAIGN_YEARS_AROUND = 1  # a campaign runs in its edition's year, or one year either side
MAX_CRITERIA = 100
MAX_POINTS = Decimal(1000)
MAX_WEIGHT = Decimal(1000)
MAX_TOP_K = 100_000
_ID_OF = {"APP": "an application id", "OBJECTION": "an objection id", "ID": "a contact id"}
_DIGITS = re.compile(r"[0-9]{1,10}")
_YEAR = re.compile(r"-?[0-9]{1,4}")


def quote(value: Any, limit: int = 40) -> str:
    from programs.safeload import quote as shown

    return shown(value, limit)


def record_id(text: str | int, field: str = "APP") -> int:
    """An id: ASCII digits only, 1..2147483647 (the column's range on PostgreSQL and SQLite)."""
    raw = str(text).strip() if isinstance(text, int) else text.strip()
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= ID_MAX:
        raise ValueError(
            f"{field}: {quote(text, 40)} is not {_ID_OF.get(field, 'an id')} "
            f"(ASCII digits, 1 to {ID_MAX}; rule: id)"
        )
    return int(raw)


def count(text: str | int, field: str, low: int = 1, high: int = 100_000) -> int:
    """A count (--top-k, --batch): ASCII digits from `low` to `high`."""
    raw = str(text).strip()
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ValueError(
            f"{field}: {quote(text, 40)} is not a whole number from {low} to {high} (rule: count)"
        )
    return int(raw)


def integer(text: str, field: str, low: int = -100_000, high: int = 100_000) -> int:
    """A whole number from `low` to `high`: ASCII digits with an optional sign."""
    raw = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,10}", raw) or not low <= int(raw) <= high:
        raise ValueError(
            f"{field}: {quote(text, 40)} is not an integer from {low} to {high} (rule: integer)"
        )
    return int(raw)


def cli(parse: Callable[[str, str], T], field: str) -> Callable[[str], T]:
    """A Typer ``parser=`` for `parse`: a bad value is the one-line exit-2 refusal."""

    def run(text: str) -> T:
        from shenbao.errors import parse_arg

        return parse_arg(lambda value: parse(value, field), text)

    return run


def year(text: str | int, field: str = "--year") -> int:
    """A year an edition can mean: ASCII digits, YEAR_MIN..YEAR_MAX."""
    raw = str(text).strip() if isinstance(text, int) else text.strip()
    if not _YEAR.fullmatch(raw) or not YEAR_MIN <= int(raw) <= YEAR_MAX:
        raise ValueError(
            f"{field}: {quote(text, 40)} is not a year from {YEAR_MIN} to {YEAR_MAX} (rule: year)"
        )
    return int(raw)


def optional_year(text: str | None, field: str = "--year") -> int | None:
    return None if text is None else year(text, field)


def campaign_year(edition_id: str, value: int | None, field: str = "--year") -> int | None:
    """--year of a campaign of `edition_id`: its edition's year, or one year either side."""
    if value is None:
        return None
    from programs.editions import load_edition

    base = load_edition(edition_id).year
    low, high = base - CAMPAIGN_YEARS_AROUND, base + CAMPAIGN_YEARS_AROUND
    if not low <= value <= high:
        raise ValueError(
            f"{field}: {value} is not a year edition {edition_id} can run in ({low} to {high}) "
            "(rule: year)"
        )
    return value


def window(
    text: str | None, edition_id: str, campaign_year: int | None, field: str = "--window"
) -> Window | None:
    """A window `2026-05-27..2026-06-20` inside the campaign's year (the edition's by default)."""
    if text is None:
        return None
    from deadlines import Window

    return window_in_year(Window.parse(text, field), edition_id, campaign_year, field)


def window_in_year(
    parsed: Window | None, edition_id: str, campaign_year: int | None, field: str = "--window"
) -> Window | None:
    """`parsed` if it lies inside the campaign's year (the edition's by default)."""
    if parsed is None:
        return None
    if campaign_year is None:
        from programs.editions import load_edition

        campaign_year = load_edition(edition_id).year
    for name, day in (("opens", parsed.opens), ("closes", parsed.closes)):
        if day.year != campaign_year:
            raise ValueError(
                f"{field}.{name}: {day.isoformat()} is outside the campaign's year "
                f"{campaign_year} (rule: window_year)"
            )
    return parsed


def campaign_bounds(
    edition_id: str, run_year: int | None, application: Window | None, screening: Window | None
) -> None:
    """A campaign's year and windows within range, whoever opens it (CLI, web, flows)."""
    if run_year is not None:
        campaign_year(edition_id, year(run_year), "--year")
    window_in_year(application, edition_id, run_year, "--window")
    window_in_year(screening, edition_id, run_year, "--screening")


# ----------------------------------------------------------------------- scoring sheets


def _number(value: Any, where: str, limit: Decimal) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return  # not a number: the sheet's own check names it
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        return
    if number.is_finite() and abs(number) > limit:
        raise ValueError(f"{where}: {quote(str(value), 40)} is above {limit} (rule: max_points)")


def points(text: str, field: str = "--min-score") -> str:
    """A number of points as given (the cut's own rule checks its range): a finite decimal of
    ASCII digits, at most MAX_POINTS in size."""
    raw = text.strip()
    try:
        number = Decimal(raw) if raw.isascii() and len(raw) <= 40 else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) > MAX_POINTS:
        raise ValueError(
            f"{field}: {quote(text, 40)} is not a number of points up to {MAX_POINTS} "
            "(rule: points)"
        )
    return raw


def scoring_sheet(data: Mapping[str, Any], field: str = "FILE") -> Mapping[str, Any]:
    """A scoring sheet within bounds before it is read: at most MAX_CRITERIA criteria, each worth
    at most MAX_POINTS points (weights at most MAX_WEIGHT), a default cut of at most MAX_TOP_K."""
    top_k = data.get("top_k")
    if isinstance(top_k, int) and not isinstance(top_k, bool) and not 1 <= top_k <= MAX_TOP_K:
        raise ValueError(
            f"{field}: top_k: {quote(str(top_k), 40)} is not 1 to {MAX_TOP_K} (rule: count)"
        )
    criteria = data.get("criteria")
    if isinstance(criteria, list):
        if len(criteria) > MAX_CRITERIA:
            raise ValueError(
                f"{field}: criteria: {len(criteria)} criteria; at most {MAX_CRITERIA} "
                "(rule: max_criteria)"
            )
        for index, item in enumerate(criteria):
            if isinstance(item, Mapping):
                if "max_points" in item:
                    _number(
                        item["max_points"], f"{field}: criteria[{index}].max_points", MAX_POINTS
                    )
                if "weight" in item:
                    _number(item["weight"], f"{field}: criteria[{index}].weight", MAX_WEIGHT)
    return data


def scores(data: Mapping[str, Any], field: str = "--file") -> Mapping[str, Any]:
    """Scores within bounds: at most MAX_CRITERIA of them, none above MAX_POINTS."""
    if len(data) > MAX_CRITERIA:
        raise ValueError(
            f"{field}: {len(data)} scores; at most {MAX_CRITERIA} (rule: max_criteria)"
        )
    for key, value in data.items():
        _number(value, f"{field}: {quote(str(key), 40)}", MAX_POINTS)
    return data
