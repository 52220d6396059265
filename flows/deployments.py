"""The deployments `shenbao serve` registers, with their schedules in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from prefect.schedules import Cron, RRule

from flows.campaign import campaign
from flows.sweep import deadline_sweep
from flows.yearly import annual_report_collection, recertification
from programs.editions import Edition, all_editions

TZ = "Asia/Shanghai"
SWEEP_CRON = "*/5 * * * *"
OPEN_DAYS_BEFORE_DUE = 30


def report_cron(edition: Edition) -> str:
    """Open collection 30 days before the due day at 09:00 (A: 2 January for 1 February)."""
    rule = edition.annual_report
    assert rule is not None
    opens = date(2001, rule.month, rule.day) - timedelta(days=OPEN_DAYS_BEFORE_DUE)
    return f"0 9 {opens.day} {opens.month} *"


def recert_rrule(edition: Edition) -> str:
    """Every `cycle` years from the edition's year + cycle, 9:00 on 2 January."""
    assert edition.recert_cycle_years is not None
    first = edition.year + edition.recert_cycle_years
    return f"DTSTART:{first}0102T090000\nRRULE:FREQ=YEARLY;INTERVAL={edition.recert_cycle_years}"


def tags_of(edition: Edition, year: int | None = None) -> list[str]:
    """The tags a coordinator filters runs by in the UI: the edition, its program and the year."""
    return [f"edition:{edition.id}", f"program:{edition.program}", f"year:{year or edition.year}"]


def deployments() -> list[Any]:
    """Sweep every 5 minutes; per edition: its campaign, yearly reports, triennial recert."""
    out = [
        deadline_sweep.to_deployment(
            name="deadline-sweep",
            schedules=[Cron(SWEEP_CRON, timezone=TZ)],
            description="Apply what is due (windows, reminders, notices, reports); send mail.",
        )
    ]
    for edition in all_editions().values():
        out.append(
            campaign.to_deployment(
                name=f"campaign-{edition.id}",
                parameters={"edition": edition.id, "year": edition.year},
                tags=tags_of(edition),
                description=f"{edition.title}: timetable runs (launched per program year).",
            )
        )
        if edition.annual_report is not None:
            out.append(
                annual_report_collection.to_deployment(
                    name=f"annual-reports-{edition.id}",
                    parameters={"edition": edition.id},
                    tags=tags_of(edition),
                    schedules=[Cron(report_cron(edition), timezone=TZ)],
                )
            )
        if edition.recert_cycle_years:
            out.append(
                recertification.to_deployment(
                    name=f"recertification-{edition.id}",
                    parameters={"edition": edition.id},
                    tags=tags_of(edition),
                    schedules=[RRule(recert_rrule(edition), timezone=TZ)],
                )
            )
    return out
