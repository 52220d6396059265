"""`shenbao calendar ...`: query the working-day calendar and install next year's notice."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from deadlines import calendar as cal
from deadlines.timeutil import parse_date
from shenbao import args
from shenbao.commands.common import NOW, acting, as_option, db, now_at
from shenbao.errors import refusals

app = typer.Typer(help="The official working-day calendar (State Council holiday notices).")
_WEEKDAYS_ZH = "一二三四五六日"


def _int(text: str, field: str) -> int:
    return args.cli(args.integer, field)(text)


@app.command("is-working-day")
def is_working_day(day: str = typer.Argument(..., help="YYYY-MM-DD")) -> None:
    """Print `true` or `false`."""
    with refusals():
        print("true" if cal.default_calendar().is_working_day(parse_date(day)) else "false")


@app.command("add-working-days", context_settings={"ignore_unknown_options": True})
def add_working_days(
    day: str = typer.Argument(..., help="YYYY-MM-DD"),
    n: str = typer.Argument(..., help="working days to add (negative counts back)"),
) -> None:
    """The n-th working day after DAY, DAY itself not counted (民法典 第二百零一条)."""
    with refusals():
        d = parse_date(day)
        print(cal.default_calendar().add_working_days(d, _int(n, "n")).isoformat())


@app.command("notice-period")
def notice_period(
    start: str = typer.Argument(..., help="YYYY-MM-DD: the day the notice is published"),
    working_days: str = typer.Argument(..., help="length in working days"),
) -> None:
    """Print the first and last day of a 公示 period."""
    with refusals():
        p = cal.default_calendar().notice_period(
            parse_date(start), _int(working_days, "working_days")
        )
        print(f"{p.first.isoformat()} {p.last.isoformat()}")


@app.command("working-days")
def working_days(
    a: str = typer.Argument(..., help="first day YYYY-MM-DD (included)"),
    b: str = typer.Argument(..., help="last day YYYY-MM-DD (included)"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON list of ISO dates"),
) -> None:
    """List the working days from A to B, both included."""
    with refusals():
        days = cal.default_calendar().working_days_between(parse_date(a, "a"), parse_date(b, "b"))
    if as_json:
        print(json.dumps([d.isoformat() for d in days]))
    else:
        for d in days:
            print(d.isoformat())


@app.command("show")
def show(year: str = typer.Argument(..., help="notice year, e.g. 2027")) -> None:
    """Print a year's days off and working weekend days, to compare with the notice text."""
    y = _int(year, "year")
    with refusals():
        calendar = cal.default_calendar()
        if y not in calendar.notices:
            raise cal.MissingCalendarYear(y)
        n = calendar.notices[y]
        print(f"{n.title}（{n.document_number}）")
        print(f"published {n.published.isoformat()}  {n.url}")
        print(f"file {n.path}  calendar version {calendar.version}")
        print("days off (放假):")
        for h in n.holidays:
            print(f"  {h.name}\t{h.start.isoformat()}..{h.end.isoformat()}\t{h.days}天")
        print("working weekend days (调休上班):")
        for w in n.working_days:
            print(f"  {w.day.isoformat()} 星期{_WEEKDAYS_ZH[w.day.weekday()]}\t{w.holiday}")
        from datetime import date

        total = calendar.count_working_days(date(y, 1, 1), date(y, 12, 31))
        print(f"working days in {y}: {total}")


@app.command("import")
def import_notice(
    file: Path = typer.Argument(..., help="a YYYY.toml file in the calendar data format"),
    replace: bool = typer.Option(False, "--replace", help="replace an installed file of that year"),
    actor: str | None = as_option("calendar.import"),
    now: str | None = NOW,
) -> None:
    """Validate a notice file, then install it where the loader finds it (audited)."""
    who = acting("calendar.import", actor)
    from services import handlers

    with refusals():
        done = handlers.import_calendar(db(), who, file, now=now_at(now), replace=replace)
    print(f"installed {done.year} ({done.document_number}) at {done.path}")
