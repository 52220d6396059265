"""Query functions the faces show: applications (without their forms), a history, a queue.

Reads never take a write lock, never migrate and never load forms they do not show.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from store.db import Database
from store.models import Application, AuditRecord, Campaign


@dataclass(frozen=True)
class ApplicationRow:
    """One application as a list shows it."""

    id: int
    edition: str
    year: int
    uscc: str
    name: str
    province: str | None
    group: str | None
    category: str
    consortium: bool
    state: str
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HistoryRow:
    """One audit record of an application."""

    seq: int
    at: datetime
    trigger: str
    from_state: str
    to_state: str | None
    accepted: bool
    actor: str
    reason: str | None
    rule: str
    message: str
    details: dict[str, Any]
    hash: str


_COLUMNS = (
    Application.id,
    Campaign.edition_id,
    Campaign.year,
    Application.uscc,
    Application.name,
    Application.province,
    Application.group_name,
    Application.category,
    Application.consortium,
    Application.status,
    Application.updated_at,
)


def _check_state(state: str) -> None:
    from states.lifecycle import State

    try:
        State(state)
    except ValueError:
        raise ValueError(
            f"--state: '{state}' is not a state ({', '.join(s.value for s in State)})"
        ) from None


def list_applications(
    db: Database,
    *,
    edition: str | None = None,
    state: str | None = None,
    province: str | None = None,
    group: str | None = None,
    year: int | None = None,
) -> list[ApplicationRow]:
    """Applications in id order, filtered; the form column is never read."""
    stmt = select(*_COLUMNS).join(Campaign, Application.campaign_id == Campaign.id)
    if edition:
        from programs.editions import load_edition

        load_edition(edition)  # an unknown id names the known ones
        stmt = stmt.where(Campaign.edition_id == edition)
    if year is not None:
        stmt = stmt.where(Campaign.year == year)
    if state:
        _check_state(state)
        stmt = stmt.where(Application.status == state)
    if province:
        from programs.provinces import normalize_province

        stmt = stmt.where(
            Application.province == normalize_province(province), Application.group_name.is_(None)
        )
    if group:
        stmt = stmt.where(Application.group_name == group)
    with db.sessions() as s:
        rows = s.execute(stmt.order_by(Application.id)).all()
    return [
        ApplicationRow(
            id=r[0],
            edition=r[1],
            year=r[2],
            uscc=r[3],
            name=r[4],
            province=r[5],
            group=r[6],
            category=r[7],
            consortium=bool(r[8]),
            state=r[9],
            updated_at=r[10],
        )
        for r in rows
    ]


def queue(
    db: Database,
    edition: str,
    *,
    province: str | None = None,
    group: str | None = None,
    year: int | None = None,
) -> list[ApplicationRow]:
    """What a province (or group) has to review in a campaign: its submitted applications."""
    return list_applications(
        db, edition=edition, state="submitted", province=province, group=group, year=year
    )


def application(db: Database, app_id: int) -> ApplicationRow:
    """One application (without its form); LookupError naming the id when there is none."""
    stmt = (
        select(*_COLUMNS)
        .join(Campaign, Application.campaign_id == Campaign.id)
        .where(Application.id == app_id)
    )
    with db.sessions() as s:
        r = s.execute(stmt).first()
    if r is None:
        raise LookupError(f"APP: no application with id {app_id}")
    return ApplicationRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), r[9], r[10])


def history(db: Database, app_id: int) -> list[HistoryRow]:
    """Every act tried on an application, accepted or refused, in order."""
    stmt = select(AuditRecord).where(AuditRecord.application_id == app_id)
    with db.sessions() as s:
        records = list(s.scalars(stmt.order_by(AuditRecord.seq)))
    if not records:  # every application has its create record: look it up only when none
        application(db, app_id)  # LookupError naming an unknown id
    return [
        HistoryRow(
            seq=r.seq,
            at=r.at,
            trigger=r.trigger,
            from_state=r.from_state,
            to_state=r.to_state,
            accepted=r.accepted,
            actor=f"{r.actor_role}:{r.actor_scope}" if r.actor_scope else r.actor_role,
            reason=r.reason,
            rule=r.rule,
            message=r.message,
            details=r.details or {},
            hash=r.hash,
        )
        for r in records
    ]
