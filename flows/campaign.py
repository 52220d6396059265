"""`campaign`: one edition in one program year, run from its stored timetable.

Each run does what is due at its instant — close the application window (drafts are told and
locked), send screening reminders and, once screening closes, the per-province report to the
ministry; open expert scoring; publish the notice once the ministry has decided the shortlist;
close the notice — then schedules the next run of the same deployment at the next milestone.
No run waits for days in a process: the database and Prefect's schedule carry the time.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.runtime import deployment as current_deployment
from sqlalchemy import func, select

from deadlines import format_instant
from flows.common import clock, drain_outbox, lifecycle
from flows.reporting import campaign_run_name, instant_label, publish
from programs.editions import load_edition
from states.actors import SYSTEM
from states.lifecycle import State
from store.models import Application
from store.sweeps import Sweeper, campaign_timetable, next_milestone
from store.transitions import windows_of


@task(name="open-campaign")
def open_campaign(edition: str, year: int | None, now: str | None) -> dict[str, Any]:
    campaign = lifecycle().open_campaign(edition, now=clock(now), actor=SYSTEM, year=year)
    timetable = campaign_timetable(lifecycle().db, campaign.id)
    return {
        "campaign_id": campaign.id,
        "year": campaign.year,
        "timetable": [format_instant(m) for m in timetable],
    }


def _count(campaign_id: int, state: State) -> int:
    with lifecycle().db.sessions() as s:
        return int(
            s.scalar(
                select(func.count()).where(
                    Application.campaign_id == campaign_id, Application.status == state.value
                )
            )
            or 0
        )


@task(name="advance-campaign")
def advance(campaign_id: int, now: str | None) -> dict[str, Any]:
    """Apply everything due for this campaign at `now` (each step safe to repeat)."""
    from store.review import Review

    at = clock(now)
    lc = lifecycle()
    report = Sweeper(lc).run(at, campaign_id=campaign_id)
    done: dict[str, Any] = {
        "lapsed": report.lapsed,
        "reminders": dict(report.reminders),
        "notices_closed": report.notices_closed,
    }
    with lc.db.sessions() as s:
        from store.models import Campaign

        campaign = s.get(Campaign, campaign_id)
        assert campaign is not None
    _, screening = windows_of(campaign)
    review = Review(lc)
    if (screening is None or screening.has_closed(at)) and _count(campaign_id, State.RECOMMENDED):
        opened = review.open_scoring(campaign_id, now=at, actor=SYSTEM)
        done["scoring_opened"] = sum(1 for r in opened if r.accepted)
    if _count(campaign_id, State.SHORTLISTED) and not _count(campaign_id, State.EXPERT_SCORING):
        if load_edition(campaign.edition_id).has_notice:
            published = review.publish_notice(campaign_id, at=at, actor=SYSTEM)
            done["notice"] = published.period.label()
        else:  # 推介: no 公示, the shortlist is the announced result
            confirmed = review.confirm_results(campaign_id, actor=SYSTEM, now=at)
            done["confirmed"] = sum(1 for r in confirmed if r.accepted)
    return done


@task(name="schedule-next-run")
def schedule_next(edition: str, year: int, campaign_id: int, now: str | None) -> str | None:
    """Ask Prefect for a run of this deployment at the next milestone (once per milestone)."""
    nxt = next_milestone(lifecycle().db, campaign_id, clock(now))
    if nxt is None:
        return None
    deployment_id = current_deployment.id
    if deployment_id is not None and now is None:
        from prefect.deployments import run_deployment

        run_deployment(
            deployment_id,
            parameters={"edition": edition, "year": year},
            scheduled_time=nxt,
            timeout=0,
            as_subflow=False,
            idempotency_key=f"campaign:{edition}:{year}:{nxt.isoformat()}",
        )
    return format_instant(nxt)


@flow(name="campaign", flow_run_name=campaign_run_name, log_prints=True)
def campaign(edition: str, year: int | None = None, now: str | None = None) -> dict[str, Any]:
    """Open (or find) the campaign of EDITION for YEAR, do what is due, schedule what is next."""
    logger = get_run_logger()
    opened = open_campaign(edition, year, now)
    logger.info("campaign %s (%s %s) at %s", opened["campaign_id"], edition, opened["year"],
                instant_label(now))  # fmt: skip
    done = advance(opened["campaign_id"], now)
    mail = drain_outbox(now)
    nxt = schedule_next(edition, opened["year"], opened["campaign_id"], now)
    logger.info("next run %s", nxt or "none: the timetable is done")
    title = f"campaign · {edition} · {opened['year']} · {instant_label(now)}"
    publish(f"campaign-{edition}-{opened['year']}", title, {**done, "next run": nxt}, mail,
            opened["campaign_id"])  # fmt: skip
    return {**opened, "done": done, "mail": mail, "next_run": nxt}
