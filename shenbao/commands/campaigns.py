"""`shenbao campaign list` and `shenbao campaign show EDITION [--year]`: where each campaign stands.

`show` prints the timetable with each milestone (window opens, reminders, window closes, screening
reminders and close, the 公示 end, the annual-report due day), marks what is due next at `--now`,
and counts the applications per state.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import typer
from sqlalchemy import func, select

from deadlines import day_start, format_instant, reminder_at
from programs.editions import load_edition
from shenbao.commands.lifecycle import campaign_app
from shenbao.errors import fail, refusals
from shenbao.wiring import lifecycle, now_from
from states.lifecycle import State


def timetable(campaign: Any) -> list[tuple[datetime, str]]:
    """Each milestone of a campaign with what happens at it, in order."""
    from store.review_models import Notice
    from store.transitions import windows_of

    edition = load_edition(campaign.edition_id)
    app_w, screening = windows_of(campaign)
    out: list[tuple[datetime, str]] = []
    if app_w is not None:
        out.append((app_w.opens_at, "申报开始 application window opens"))
        for n in edition.reminders.application_close_days:
            out.append(
                (
                    reminder_at(app_w.closes, n),
                    f"申报截止前{n}天提醒 reminder, {n} day{'s' if n != 1 else ''} left",
                )
            )
        out.append((app_w.ends_at, "申报截止 window closes: drafts locked"))
    if screening is not None:
        for n in edition.reminders.screening_close_working_days:
            when = reminder_at(screening.closes, n, unit="working_days")
            out.append((when, f"推荐截止前{n}个工作日提醒 screening reminder"))
        out.append((screening.ends_at, "推荐截止 screening closes: report to the ministry"))
    confirmed_in = campaign.year  # titles are confirmed when the 公示 ends
    with lifecycle().db.sessions() as s:
        for notice in s.scalars(select(Notice).where(Notice.campaign_id == campaign.id)):
            out.append((notice.ends_at, f"公示截止 notice {notice.label} ends"))
            confirmed_in = max(confirmed_in, notice.last_day.year)
    rule = edition.annual_report
    if rule is not None:
        due = rule.due_date(rule.first_report_year(confirmed_in))
        out.append((day_start(due + timedelta(days=1)), f"报告截止 first annual reports due {due}"))
    return sorted(out, key=lambda m: m[0])


def _campaigns(edition: str | None, year: int | None) -> list[Any]:
    from store.models import Campaign

    with lifecycle().db.sessions() as s:
        stmt = select(Campaign).order_by(Campaign.edition_id, Campaign.year)
        if edition:
            stmt = stmt.where(Campaign.edition_id == edition)
        if year:
            stmt = stmt.where(Campaign.year == year)
        return list(s.scalars(stmt))


def _states(campaign_id: int) -> Counter[str]:
    from store.models import Application

    with lifecycle().db.sessions() as s:
        stmt = (
            select(Application.status, func.count())
            .where(Application.campaign_id == campaign_id)
            .group_by(Application.status)
        )
        return Counter(dict(s.execute(stmt).tuples().all()))


@campaign_app.command("list")
def list_campaigns(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every campaign: edition, year, status, applications."""
    rows = []
    for c in _campaigns(None, None):
        states = _states(c.id)
        rows.append({"id": c.id, "edition": c.edition_id, "year": c.year, "status": c.status,
                     "title": load_edition(c.edition_id).title,
                     "applications": sum(states.values())})  # fmt: skip
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        print("no campaigns yet: `shenbao campaign open EDITION`")
    for r in rows:
        print(f"{r['id']:>4}  {r['edition']:<16} {r['year']}  {r['status']:<8} "
              f"{r['applications']:>5} applications  {r['title']}")  # fmt: skip


@campaign_app.command("show")
def show(
    edition: str = typer.Argument(..., help="edition id"),
    year: int | None = typer.Option(None, "--year", help="program year (default: the newest)"),
    now: str | None = typer.Option(None, "--now", help="the instant to read 'next' at"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The timetable with each milestone, what is due next, and counts per state."""
    with refusals():
        ed = load_edition(edition)
        at = now_from(now)
    found = _campaigns(ed.id, year)
    if not found:
        fail(f"EDITION: no campaign of {ed.id}" + (f" for {year}" if year else "")
             + f"; open one with `shenbao campaign open {ed.id}`")  # fmt: skip
    campaign = found[-1]
    milestones = timetable(campaign)
    nxt = next(((w, what) for w, what in milestones if w > at), None)
    states = _states(campaign.id)
    if as_json:
        print(json.dumps({
            "id": campaign.id, "edition": ed.id, "year": campaign.year, "status": campaign.status,
            "timetable": [{"at": format_instant(w), "what": what} for w, what in milestones],
            "next": {"at": format_instant(nxt[0]), "what": nxt[1]} if nxt else None,
            "states": dict(states),
        }, ensure_ascii=False, indent=2))  # fmt: skip
        return
    print(f"{ed.id} · {campaign.year} · {ed.title} (campaign {campaign.id}, {campaign.status})")
    print("timetable:")
    for when, what in milestones:
        mark = "→" if nxt is not None and when == nxt[0] else ("✓" if when <= at else " ")
        print(f"  {mark} {format_instant(when)}  {what}")
    print(
        f"next: {format_instant(nxt[0])}  {nxt[1]}"
        if nxt
        else "next: nothing left on the timetable"
    )
    print("applications by state:")
    for state in State:
        if states.get(state.value):
            print(f"  {state.staff_name} {state.value}: {states[state.value]}")
    if not states:
        print("  (none yet)")


def register(root: typer.Typer) -> None:
    """`list` and `show` hang on the campaign group that the lifecycle commands mount."""
