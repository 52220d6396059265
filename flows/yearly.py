"""Yearly annual-report collection and triennial recertification, per edition."""

from __future__ import annotations

from typing import Any

from prefect import flow, task

from deadlines import local_date
from flows.common import clock, drain_outbox, lifecycle
from flows.reporting import instant_label, publish, recert_run_name, reports_run_name
from programs.editions import load_edition
from states.actors import SYSTEM


def _review() -> Any:
    from store.review import Review

    return Review(lifecycle())


@task(name="open-annual-reports")
def open_reports(edition: str, report_year: int, now: str | None) -> dict[str, Any]:
    """Open the year's reports and tell each enterprise (one message per report, ever)."""
    from store.sweeps import Sweeper, SweepReport

    opened = _review().open_reports(edition, report_year, actor=SYSTEM, now=clock(now))
    told = Sweeper(lifecycle()).remind_reports(clock(now), SweepReport())
    return {"edition": edition, "report_year": report_year, "opened": _count(opened), "told": told}


@flow(name="annual-report-collection", flow_run_name=reports_run_name, log_prints=True)
def annual_report_collection(
    edition: str, report_year: int | None = None, now: str | None = None
) -> dict[str, Any]:
    """Open report collection for every confirmed, unrevoked title of `edition`.

    Without `report_year`: the year whose report falls due this collection season (edition A,
    run in January: last year; edition B, run in autumn: this year).
    """
    rule = load_edition(edition).annual_report
    if rule is None:
        raise ValueError(f"edition: {edition} states no annual report; nothing to collect")
    if report_year is None:
        report_year = rule.report_year_due_in(local_date(clock(now)).year)
    result = open_reports(edition, report_year, now)
    result["mail"] = drain_outbox(now)
    done = {k: v for k, v in result.items() if k != "mail"}
    title = f"annual-reports · {edition} {report_year} · {instant_label(now)}"
    publish(f"annual-reports-{edition}", title, done, result["mail"], None)
    return result


@task(name="open-recertifications")
def open_recerts(edition: str | None, now: str | None) -> int:
    results = _review().open_recertification(actor=SYSTEM, now=clock(now), edition_id=edition)
    return sum(1 for r in results if r.accepted)


@flow(name="recertification", flow_run_name=recert_run_name, log_prints=True)
def recertification(edition: str | None = None, now: str | None = None) -> dict[str, Any]:
    """Open the recertification of every title due (every 3 years from confirmation)."""
    opened = open_recerts(edition, now)
    mail = drain_outbox(now)
    title = f"recertification · {edition or 'all'} · {instant_label(now)}"
    publish(f"recertification-{edition or 'all'}", title, {"opened": opened}, mail, None)
    return {"opened": opened, "mail": mail}


def _count(value: Any) -> int:
    for attr in ("opened", "count", "reports"):
        if hasattr(value, attr):
            inner = getattr(value, attr)
            return len(inner) if hasattr(inner, "__len__") else int(inner)
    return len(value) if hasattr(value, "__len__") else int(value)
