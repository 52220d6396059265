"""What a coordinator reads in the Prefect UI: run names, a log line per step, a Markdown artifact.

Run names carry the campaign and the instant a run acts at (the simulated one under `now`), e.g.
`campaign · liangrong-2026 · 2026 · screening-closed @ 2026-07-16 00:00` and
`deadline-sweep · 2026-06-21 00:05`; the artifact of each run holds the counts per state, the
refusals by rule and the mail sent.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from deadlines import now_shanghai, parse_instant, to_shanghai


def instant_label(now: str | None) -> str:
    """`2026-06-21 00:05` (Asia/Shanghai): the run's `now` parameter, else the clock."""
    at = parse_instant(now, "now") if now else now_shanghai()
    return to_shanghai(at).strftime("%Y-%m-%d %H:%M")


def stage_at(edition_id: str, at: datetime) -> str:
    """Where the edition's campaign stands at `at`, by its stated windows (pure)."""
    from programs.editions import load_edition

    ed = load_edition(edition_id)
    app_w, screening = ed.application_window, ed.screening_window
    if app_w is None:
        return "running"
    if at < app_w.opens_at:
        return "before-window"
    if not app_w.has_closed(at):
        return "window-open"
    if screening is not None and not screening.has_closed(at):
        return "screening-open"
    return "screening-closed"


def campaign_run_name() -> str:
    from prefect.runtime import flow_run

    p = flow_run.parameters
    edition, year, now = p.get("edition", "?"), p.get("year"), p.get("now")
    at = parse_instant(now, "now") if now else now_shanghai()
    name = f"campaign · {edition} · {year or '-'} · {stage_at(edition, at)}"
    return f"{name} @ {instant_label(now)}" if now else name


def sweep_run_name() -> str:
    from prefect.runtime import flow_run

    return f"deadline-sweep · {instant_label(flow_run.parameters.get('now'))}"


def reports_run_name() -> str:
    from prefect.runtime import flow_run

    p = flow_run.parameters
    year = p.get("report_year") or ""
    return f"annual-reports · {p.get('edition', '?')} {year}".rstrip() + (
        f" · {instant_label(p.get('now'))}"
    )


def recert_run_name() -> str:
    from prefect.runtime import flow_run

    p = flow_run.parameters
    return f"recertification · {p.get('edition') or 'all'} · {instant_label(p.get('now'))}"


def campaign_counts(campaign_id: int | None) -> tuple[Counter[str], Counter[str]]:
    """Applications per state and refused attempts per rule (one campaign, or all)."""
    from flows.common import lifecycle
    from store.models import Application, AuditRecord

    states: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    with lifecycle().db.sessions() as s:
        q = select(Application.status, func.count()).group_by(Application.status)
        r = (
            select(AuditRecord.rule, func.count())
            .join(Application, Application.id == AuditRecord.application_id)
            .where(AuditRecord.accepted.is_(False))
            .group_by(AuditRecord.rule)
        )
        if campaign_id is not None:
            q = q.where(Application.campaign_id == campaign_id)
            r = r.where(Application.campaign_id == campaign_id)
        states.update(dict(s.execute(q).tuples().all()))
        refusals.update(dict(s.execute(r).tuples().all()))
    return states, refusals


def markdown(
    title: str, done: dict[str, Any], mail: dict[str, Any], campaign_id: int | None
) -> str:
    """The run's outcome as a Markdown page: what it did, counts per state, refusals, mail."""
    from states.lifecycle import State

    states, refusals = campaign_counts(campaign_id)
    lines = [f"# {title}", "", "## What this run did", ""]
    lines += [f"- {k}: {v}" for k, v in done.items()] or ["- nothing was due"]
    lines += ["", "## Applications per state", "", "| state | 状态 | count |", "|---|---|---:|"]
    for state in State:
        if states.get(state.value):
            lines.append(f"| {state.value} | {state.staff_name} | {states[state.value]} |")
    lines += ["", "## Refusals by rule", "", "| rule | count |", "|---|---:|"]
    lines += [f"| {rule} | {n} |" for rule, n in sorted(refusals.items())] or ["| (none) | 0 |"]
    lines += ["", "## Mail", ""]
    lines += [f"- {k}: {v}" for k, v in mail.items()]
    return "\n".join(lines) + "\n"


def publish(key: str, title: str, done: dict[str, Any], mail: dict[str, Any],
            campaign_id: int | None) -> str:  # fmt: skip
    """Log what the run did at INFO and attach the Markdown artifact to the run."""
    import re

    from prefect import get_run_logger
    from prefect.artifacts import create_markdown_artifact

    logger = get_run_logger()
    for k, v in done.items():
        logger.info("%s: %s", k, v)
    logger.info("mail: %s", mail)
    text = markdown(title, done, mail, campaign_id)
    slug = re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-")
    create_markdown_artifact(key=slug, markdown=text, description=title)
    return text
