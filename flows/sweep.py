"""`deadline-sweep`: every few minutes, apply what is due and send what is queued."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task

from flows.common import clock, drain_outbox, lifecycle
from flows.reporting import instant_label, publish, sweep_run_name
from store.sweeps import Sweeper


@task(name="apply-due")
def apply_due(now: str | None, campaign_id: int | None = None) -> dict[str, Any]:
    """Windows closing, reminders, notices ending, reports overdue: applied in batches."""
    report = Sweeper(lifecycle()).run(clock(now), campaign_id=campaign_id)
    return {
        "lapsed": report.lapsed,
        "notices_closed": report.notices_closed,
        "recertifications_opened": report.recertifications_opened,
        "reminders": dict(report.reminders),
        "problems": report.problems,
    }


@task(name="drain-outbox")
def send_queued(now: str | None) -> dict[str, Any]:
    return drain_outbox(now)


@flow(name="deadline-sweep", flow_run_name=sweep_run_name, log_prints=True)
def deadline_sweep(now: str | None = None, send: bool = True) -> dict[str, Any]:
    """Find what is due now, apply it, enqueue its messages and drain the outbox."""
    applied = apply_due(now)
    sent = send_queued(now) if send else {}
    logger = get_run_logger()
    for problem in applied["problems"]:
        logger.warning(problem)
    done = {k: v for k, v in applied.items() if k != "problems"}
    publish("deadline-sweep", f"deadline-sweep · {instant_label(now)}", done, sent, None)
    return {"applied": applied, "mail": sent}
