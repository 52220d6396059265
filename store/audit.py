"""The audit trail: append-only records, hash-chained per application, verified end to end.

Each record's hash covers its content and the previous record's hash of the same application;
the application row keeps the count and the head hash, so that deleting, reordering or editing a
record, or dropping the last one, is detected by `verify`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from programs.text import cap
from store.models import Application, AuditRecord

GENESIS = "0" * 64


class AuditTampering(RuntimeError):
    """Raised when code tries to change or delete an audit record."""


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


FIELDS = (
    "application_id",
    "seq",
    "trigger",
    "from_state",
    "to_state",
    "accepted",
    "actor_role",
    "actor_scope",
    "reason",
    "rule",
    "message",
    "details",
    "at",
    "recorded_at",
)


def canonical(record: AuditRecord | Mapping[str, Any]) -> str:
    """The hashed content of a record, as a model or as a row mapping."""
    get = record.get if isinstance(record, Mapping) else lambda k: getattr(record, k)
    body = {k: get(k) for k in FIELDS}
    body["accepted"] = bool(body["accepted"])
    body["details"] = body["details"] or {}
    body["at"] = _iso(body["at"])
    body["recorded_at"] = _iso(body["recorded_at"])
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def record_hash(prev_hash: str, record: AuditRecord | Mapping[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(record)}".encode()).hexdigest()


def new_row(
    *,
    application_id: int,
    seq: int,
    prev_hash: str,
    trigger: str,
    from_state: str,
    to_state: str | None,
    accepted: bool,
    actor_role: str,
    actor_scope: str | None,
    reason: str | None,
    rule: str,
    message: str,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete audit row (with its hash) ready for a Core insert."""
    row: dict[str, Any] = {
        "application_id": application_id,
        "seq": seq,
        "trigger": trigger,
        "from_state": from_state,
        "to_state": to_state,
        "accepted": accepted,
        "actor_role": actor_role,
        "actor_scope": actor_scope,
        "reason": reason,
        "rule": rule,
        "message": cap(message),
        "details": details or {},
        "at": at.astimezone(UTC),
        "recorded_at": datetime.now(UTC),
        "prev_hash": prev_hash or GENESIS,
    }
    row["hash"] = record_hash(row["prev_hash"], row)
    return row


def append(session: Session, app: Application, **fields: Any) -> AuditRecord:
    """Add the next record of `app` to the ORM session (same transaction as the state change)."""
    row = new_row(
        application_id=app.id, seq=app.audit_count + 1, prev_hash=app.audit_head, **fields
    )
    rec = AuditRecord(**row)
    app.audit_count = rec.seq
    app.audit_head = rec.hash
    session.add(rec)
    return rec


def history(session: Session, application_id: int) -> list[AuditRecord]:
    stmt = (
        select(AuditRecord)
        .where(AuditRecord.application_id == application_id)
        .order_by(AuditRecord.seq)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Break:
    application_id: int
    seq: int | None
    record_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"record {self.record_id} (application {self.application_id}, seq {self.seq})"
        if self.record_id is None:
            where = f"application {self.application_id}"
        return f"audit chain broken at {where}: {self.problem}"


def verify(session: Session, batch: int = 5000) -> Iterator[Break]:
    """Recompute every chain; yield each break found (the first is the one to report)."""
    heads = {
        a: (c, h)
        for a, c, h in session.execute(
            select(Application.id, Application.audit_count, Application.audit_head)
        )
    }
    seen: dict[int, tuple[int, str]] = {}
    stmt = (
        select(AuditRecord)
        .order_by(AuditRecord.application_id, AuditRecord.seq)
        .execution_options(yield_per=batch)
    )
    for rec in session.scalars(stmt):
        count, prev = seen.get(rec.application_id, (0, GENESIS))
        if rec.application_id not in heads:
            yield Break(rec.application_id, rec.seq, rec.id, "its application does not exist")
        if rec.seq != count + 1:
            yield Break(rec.application_id, rec.seq, rec.id, f"expected seq {count + 1}")
        if rec.prev_hash != prev:
            yield Break(rec.application_id, rec.seq, rec.id, "prev_hash does not match")
        if record_hash(rec.prev_hash, rec) != rec.hash:
            yield Break(rec.application_id, rec.seq, rec.id, "content does not match its hash")
        seen[rec.application_id] = (rec.seq, rec.hash)
    for app_id, (count, head) in heads.items():
        got_count, got_head = seen.get(app_id, (0, ""))
        if got_count != count or (count and got_head != head):
            yield Break(
                app_id,
                None,
                None,
                f"application says {count} records ending {head[:12]}, "
                f"log has {got_count} ending {got_head[:12]}",
            )


def replay_state(records: list[AuditRecord], initial: str = "draft") -> str:
    """The state an application's accepted records lead to, trigger by trigger.

    Records of events that move no state (an expert assigned, a score, an objection, a report)
    carry triggers outside the lifecycle table and are skipped.
    """
    from states.lifecycle import TRIGGERS
    from states.machine import replay

    moves = [r.trigger for r in records if r.accepted and r.trigger in TRIGGERS]
    return str(replay(moves, initial))


@event.listens_for(AuditRecord, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, target: AuditRecord) -> None:
    raise AuditTampering(f"audit record {target.id} is append-only: update refused")


@event.listens_for(AuditRecord, "before_delete")
def _refuse_delete(_mapper: Any, _conn: Any, target: AuditRecord) -> None:
    raise AuditTampering(f"audit record {target.id} is append-only: delete refused")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: Any) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ is AuditRecord:
            raise AuditTampering("audit_log is append-only: bulk update/delete refused")


__all__ = ["AuditTampering", "Break", "append", "history", "replay_state", "verify"]
