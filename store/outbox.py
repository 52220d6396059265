"""The outbox over the database: rows enqueued in the caller's transaction, claimed with a lease,
marked sent only after the server accepted them (at-least-once, with a stable Message-ID)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import TextClause, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from notifications.drain import OutboxItem
from notifications.message import message_id_for
from store.db import Database
from store.models import OutboxMessage

# how long a claimed row is hidden from other senders; after a crash it is retried once this ends
LEASE = timedelta(seconds=float(os.environ.get("SHENBAO_OUTBOX_LEASE_SECONDS", "600")))


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert outbox rows, skipping any whose idempotency key already exists."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = OutboxMessage.__table__
    stmt = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id)
    )
    return len(session.execute(stmt, rows).all())


def _skipping_insert() -> TextClause:
    """`INSERT … ON CONFLICT (idempotency_key) DO NOTHING` of every column but the id, as one
    typed text statement: the same SQL on SQLite and PostgreSQL, compiled once and cached (the
    dialects' `on_conflict_do_nothing` constructs have no cache key and compile on every call)."""
    cols = [c for c in OutboxMessage.__table__.c if c.name != "id"]
    names = ", ".join(c.name for c in cols)
    values = ", ".join(f":{c.name}" for c in cols)
    sql = f"INSERT INTO outbox ({names}) VALUES ({values}) ON CONFLICT (idempotency_key) DO NOTHING"
    return text(sql).bindparams(*(bindparam(c.name, type_=c.type) for c in cols))


_INSERT_SKIPPING = _skipping_insert()


def enqueue_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert `outbox_row`s in one executemany, skipping any whose key is already queued (no
    count: `insert_rows` says how many were new)."""
    if rows:
        session.connection().execute(_INSERT_SKIPPING, rows)


def outbox_row(
    *,
    key: str,
    message_type: str,
    recipient: str,
    context: dict[str, Any],
    now: datetime,
    application_id: int | None = None,
    campaign_id: int | None = None,
    lang: str = "zh",
    not_before: datetime | None = None,
) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "message_id": message_id_for(key),
        "message_type": message_type,
        "recipient": recipient,
        "lang": lang,
        "context": context,
        "application_id": application_id,
        "campaign_id": campaign_id,
        "status": "queued",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": not_before or now,
        "sent_at": None,
        "last_error": None,
    }


class StoreOutbox:
    """`notifications.drain.Outbox` over the outbox table; each call is its own transaction."""

    def __init__(self, db: Database, lease: timedelta = LEASE) -> None:
        self.db = db
        self.lease = lease

    def claim(self, limit: int, now: datetime) -> list[OutboxItem]:
        """Due queued rows; pushed `lease` into the future so a parallel drain skips them."""
        t = OutboxMessage.__table__
        with self.db.transaction() as s:
            stmt = (
                select(t)
                .where(t.c.status == "queued", t.c.next_attempt_at <= now)
                .order_by(t.c.next_attempt_at, t.c.id)
                .limit(limit)
            )
            if self.db.dialect == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(s.execute(stmt).mappings())
            if rows:
                s.execute(
                    update(t)
                    .where(t.c.id.in_([r["id"] for r in rows]))
                    .values(next_attempt_at=now + self.lease)
                )
        return [
            OutboxItem(
                id=r["id"],
                idempotency_key=r["idempotency_key"],
                message_type=r["message_type"],
                recipient=r["recipient"],
                lang=r["lang"],
                context=dict(r["context"] or {}),
                attempts=r["attempts"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    def mark_sent(self, item_id: Any, now: datetime) -> None:
        t = OutboxMessage.__table__
        with self.db.transaction() as s:
            s.execute(update(t).where(t.c.id == item_id).values(status="sent", sent_at=now))

    def mark_failed(
        self,
        item_id: Any,
        now: datetime,
        detail: str,
        permanent: bool,
        next_attempt_at: datetime | None,
    ) -> None:
        t = OutboxMessage.__table__
        values: dict[str, Any] = {"attempts": t.c.attempts + 1, "last_error": detail[:2000]}
        if permanent:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = next_attempt_at or now
        with self.db.transaction() as s:
            s.execute(update(t).where(t.c.id == item_id).values(**values))


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: n for status, n in rows}


def last_failures(session: Session, limit: int = 10) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.last_error.is_not(None))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


__all__ = [
    "StoreOutbox",
    "counts",
    "insert_rows",
    "last_failures",
    "message_id_for",
    "outbox_row",
]
