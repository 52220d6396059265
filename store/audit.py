"""The audit trail: append-only records, hash-chained per application, verified end to end.

Each record's hash covers its content and the previous record's hash of the same application;
the application row keeps the count and the head hash, so that deleting, reordering or editing a
record, or dropping the last one, is detected by `verify`. Operators' acts (calendar import,
contacts, notify send) form one more chain of the same kind (`append_operator`), its count and head
kept in `audit_chain`.
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

from store.models import Application, AuditAnchor, AuditChain, AuditRecord, OperatorRecord

GENESIS = "0" * 64
OPERATORS = "operators"


def application_chain(application_id: int) -> str:
    """The name of an application's chain in the anchor log."""
    return f"application:{application_id}"


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


OPERATOR_FIELDS = (
    "seq",
    "act",
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


def canonical(
    record: AuditRecord | OperatorRecord | Mapping[str, Any], fields: tuple[str, ...] = FIELDS
) -> str:
    """The hashed content of a record, as a model or as a row mapping."""
    get = record.get if isinstance(record, Mapping) else lambda k: getattr(record, k)
    body = {k: get(k) for k in fields}
    body["accepted"] = bool(body["accepted"])
    body["details"] = body["details"] or {}
    body["at"] = _iso(body["at"])
    body["recorded_at"] = _iso(body["recorded_at"])
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def record_hash(prev_hash: str, record: AuditRecord | Mapping[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(record)}".encode()).hexdigest()


def operator_hash(prev_hash: str, record: OperatorRecord | Mapping[str, Any]) -> str:
    body = canonical(record, OPERATOR_FIELDS)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def anchor_digest(entry: AuditAnchor | Mapping[str, Any]) -> str:
    """The digest of an anchor entry: the previous digest, its sequence, time and head triples."""
    get = entry.get if isinstance(entry, Mapping) else lambda k: getattr(entry, k)
    body = json.dumps(
        {
            "seq": get("id"),
            "heads": [list(h) for h in get("heads")],
            "recorded_at": _iso(get("recorded_at")),
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{get('prev_digest')}\n{body}".encode()).hexdigest()


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
        "message": message,
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


def append_operator(
    session: Session,
    *,
    act: str,
    actor_role: str,
    actor_scope: str | None,
    accepted: bool,
    rule: str,
    message: str,
    at: datetime,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> OperatorRecord:
    """Add the next operators' record to the session (in the caller's transaction).

    The chain's head row is locked for the rest of the transaction, so concurrent operator acts
    append one after the other.
    """
    chain = session.get(AuditChain, OPERATORS, with_for_update=True)
    if chain is None:
        chain = AuditChain(name=OPERATORS, audit_count=0, audit_head="")
        session.add(chain)
    row: dict[str, Any] = {
        "seq": chain.audit_count + 1,
        "act": act,
        "accepted": accepted,
        "actor_role": actor_role,
        "actor_scope": actor_scope,
        "reason": reason,
        "rule": rule,
        "message": message,
        "details": details or {},
        "at": at.astimezone(UTC),
        "recorded_at": datetime.now(UTC),
        "prev_hash": chain.audit_head or GENESIS,
    }
    row["hash"] = operator_hash(row["prev_hash"], row)
    rec = OperatorRecord(**row)
    chain.audit_count = rec.seq
    chain.audit_head = rec.hash
    session.add(rec)
    return rec


def operator_history(
    session: Session, *, act: str | None = None, limit: int | None = None
) -> list[OperatorRecord]:
    """The operators' records in order (the last `limit` of them when given)."""
    stmt = select(OperatorRecord)
    if act is not None:
        stmt = stmt.where(OperatorRecord.act == act)
    if limit is not None:
        inner = stmt.order_by(OperatorRecord.seq.desc()).limit(limit)
        return sorted(session.scalars(inner), key=lambda r: r.seq)
    return list(session.scalars(stmt.order_by(OperatorRecord.seq)))


def history(session: Session, application_id: int) -> list[AuditRecord]:
    stmt = (
        select(AuditRecord)
        .where(AuditRecord.application_id == application_id)
        .order_by(AuditRecord.seq)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Break:
    """One problem found by `verify`: in an application's chain, the operators' chain, or anchors."""

    application_id: int | None
    seq: int | None
    record_id: int | None
    problem: str
    chain: str | None = None

    @property
    def where(self) -> str:
        if self.application_id is None:
            name = self.chain or "audit trail"
            if self.record_id is None:
                return name
            return f"{name} record {self.record_id} (seq {self.seq})"
        if self.record_id is None:
            return f"application {self.application_id}"
        return f"record {self.record_id} (application {self.application_id}, seq {self.seq})"

    def __str__(self) -> str:
        return f"audit chain broken at {self.where}: {self.problem}"


def _replay_step(state: str, rec: AuditRecord) -> tuple[str, str | None]:
    """The state after `rec` and, if the record cannot follow `state`, why."""
    from states.lifecycle import TRIGGERS
    from states.machine import replay
    from states.rules import Refusal

    if not rec.accepted or rec.trigger not in TRIGGERS:
        return state, None
    try:
        after = str(replay([rec.trigger], state))
    except Refusal as exc:
        return state, f"replay: {rec.trigger} cannot follow {state} ({exc.message})"
    if rec.to_state is not None and rec.to_state != after:
        return (
            after,
            f"replay: {rec.trigger} from {state} leads to {after}, record says {rec.to_state}",
        )
    return after, None


def verify_applications(session: Session, batch: int = 5000) -> Iterator[Break]:
    """Recompute every application's chain and replay its log against the application row."""
    from states.lifecycle import INITIAL_STATE

    initial = str(INITIAL_STATE.value)
    rows = {
        a: (c, h, st)
        for a, c, h, st in session.execute(
            select(
                Application.id, Application.audit_count, Application.audit_head, Application.status
            )
        )
    }
    seen: dict[int, tuple[int, str, str]] = {}
    stmt = (
        select(AuditRecord)
        .order_by(AuditRecord.application_id, AuditRecord.seq)
        .execution_options(yield_per=batch)
    )
    for rec in session.scalars(stmt):
        count, prev, state = seen.get(rec.application_id, (0, GENESIS, initial))
        if rec.application_id not in rows:
            yield Break(rec.application_id, rec.seq, rec.id, "its application does not exist")
        if rec.seq != count + 1:
            yield Break(rec.application_id, rec.seq, rec.id, f"expected seq {count + 1}")
        if rec.prev_hash != prev:
            yield Break(rec.application_id, rec.seq, rec.id, "prev_hash does not match")
        if record_hash(rec.prev_hash, rec) != rec.hash:
            yield Break(rec.application_id, rec.seq, rec.id, "content does not match its hash")
        state, problem = _replay_step(state, rec)
        if problem is not None:
            yield Break(rec.application_id, rec.seq, rec.id, problem)
        seen[rec.application_id] = (rec.seq, rec.hash, state)
    for app_id, (count, head, status) in rows.items():
        got_count, got_head, replayed = seen.get(app_id, (0, "", initial))
        if got_count != count or (count and got_head != head):
            yield Break(
                app_id,
                None,
                None,
                f"application says {count} records ending {head[:12]}, "
                f"log has {got_count} ending {got_head[:12]}",
            )
        if replayed != status:
            yield Break(
                app_id,
                None,
                None,
                f"application says state {status}, its log replays to {replayed}",
            )


def verify_operators(session: Session) -> Iterator[Break]:
    """Recompute the operators' chain and compare it with its count and head."""
    chain = session.get(AuditChain, OPERATORS)
    count, head = (chain.audit_count, chain.audit_head) if chain else (0, "")
    got_count, prev = 0, GENESIS
    stmt = select(OperatorRecord).order_by(OperatorRecord.seq)
    for rec in session.scalars(stmt):
        if rec.seq != got_count + 1:
            yield Break(None, rec.seq, rec.id, f"expected seq {got_count + 1}", OPERATORS)
        if rec.prev_hash != prev:
            yield Break(None, rec.seq, rec.id, "prev_hash does not match", OPERATORS)
        if operator_hash(rec.prev_hash, rec) != rec.hash:
            yield Break(None, rec.seq, rec.id, "content does not match its hash", OPERATORS)
        got_count, prev = rec.seq, rec.hash
    got_head = prev if got_count else ""
    if got_count != count or (count and got_head != head):
        yield Break(
            None,
            None,
            None,
            f"chain says {count} records ending {head[:12]}, "
            f"log has {got_count} ending {got_head[:12]}",
            OPERATORS,
        )


def verify(session: Session, batch: int = 5000) -> Iterator[Break]:
    """Recompute every chain; yield each break found (the first is the one to report)."""
    yield from verify_applications(session, batch)
    yield from verify_operators(session)


def replay_state(records: list[AuditRecord], initial: str = "draft") -> str:
    """The state an application's accepted records lead to, trigger by trigger.

    Records of events that move no state (an expert assigned, a score, an objection, a report)
    carry triggers outside the lifecycle table and are skipped.
    """
    from states.lifecycle import TRIGGERS
    from states.machine import replay

    moves = [r.trigger for r in records if r.accepted and r.trigger in TRIGGERS]
    return str(replay(moves, initial))


APPEND_ONLY: tuple[type[Any], ...] = (AuditRecord, OperatorRecord, AuditAnchor)


def _refuse_update(_mapper: Any, _conn: Any, target: Any) -> None:
    name = target.__tablename__
    raise AuditTampering(f"{name} record {target.id} is append-only: update refused")


def _refuse_delete(_mapper: Any, _conn: Any, target: Any) -> None:
    name = target.__tablename__
    raise AuditTampering(f"{name} record {target.id} is append-only: delete refused")


for _model in APPEND_ONLY:
    event.listen(_model, "before_update", _refuse_update)
    event.listen(_model, "before_delete", _refuse_delete)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: Any) -> None:
    if not (state.is_update or state.is_delete):
        return
    tables = {m.__table__ for m in APPEND_ONLY}
    target = state.bind_mapper.class_.__table__ if state.bind_mapper is not None else None
    if target is None:
        target = getattr(state.statement, "table", None)
    if target in tables:
        raise AuditTampering(f"{target.name} is append-only: bulk update/delete refused")


__all__ = [
    "AuditTampering",
    "Break",
    "append",
    "append_operator",
    "history",
    "operator_history",
    "replay_state",
    "verify",
]
