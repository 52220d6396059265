"""Outbox rows: enqueued in the caller's transaction, at most once per idempotency key."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import OutboxMessage


def message_id_for(idempotency_key: str) -> str:
    """A stable Message-ID: a retried message is the same message to the recipient's client."""
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@shenbao>"


def enqueue(
    session: Session,
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
) -> bool:
    """Insert one message unless its key exists; True when a new row was written."""
    values = dict(
        idempotency_key=key,
        message_id=message_id_for(key),
        message_type=message_type,
        recipient=recipient,
        lang=lang,
        context=context,
        application_id=application_id,
        campaign_id=campaign_id,
        status="queued",
        attempts=0,
        created_at=now,
        next_attempt_at=not_before or now,
    )
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    result = session.execute(stmt)
    return bool(result.rowcount)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: n for status, n in rows}
