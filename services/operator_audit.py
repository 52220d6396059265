"""The operators' audit trail (acts on no application): append-only, one hash chain.

Interim home of `append_operator`, with exactly the signature of `store.audit.append_operator`
that replaces it; records go to `operator_audit_log` (migration 0005).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Integer, String, Table, Text, select
from sqlalchemy.orm import Session

from store.db import UTCDateTime
from store.models import Base

GENESIS = "0" * 64
operator_audit_log = Table(
    "operator_audit_log",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", Integer, nullable=False, unique=True),
    Column("act", String(40), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("actor_scope", String(120)),
    Column("accepted", Boolean, nullable=False),
    Column("rule", String(60), nullable=False),
    Column("message", Text, nullable=False),
    Column("reason", Text),
    Column("details", JSON, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
FIELDS = ("seq", "act", "actor_role", "actor_scope", "accepted", "rule", "message", "reason")


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hash(prev: str, row: dict[str, Any]) -> str:
    body = {k: row[k] for k in FIELDS}
    body["details"] = row["details"] or {}
    body["at"] = _iso(row["at"])
    body["recorded_at"] = _iso(row["recorded_at"])
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()


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
) -> int:
    """Append one record in the caller's transaction; returns its sequence number."""
    t = operator_audit_log
    last = session.execute(select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    row: dict[str, Any] = {
        "seq": seq,
        "act": act,
        "actor_role": actor_role,
        "actor_scope": actor_scope,
        "accepted": accepted,
        "rule": rule,
        "message": message,
        "reason": reason,
        "details": details or {},
        "at": at.astimezone(UTC),
        "recorded_at": datetime.now(UTC),
        "prev_hash": prev,
    }
    row["hash"] = _hash(prev, row)
    session.execute(t.insert(), row)
    return seq


def operator_history(session: Session) -> list[dict[str, Any]]:
    """Every operator record, in order."""
    t = operator_audit_log
    return [dict(r) for r in session.execute(select(t).order_by(t.c.seq)).mappings()]


def verify_operator(session: Session) -> list[str]:
    """Problems found by recomputing the chain (empty when intact)."""
    problems, prev, n = [], GENESIS, 0
    for row in operator_history(session):
        n += 1
        if row["seq"] != n:
            problems.append(f"operator record seq {row['seq']}: expected seq {n}")
        if row["prev_hash"] != prev or _hash(row["prev_hash"], row) != row["hash"]:
            problems.append(f"operator record seq {row['seq']}: hash does not match")
        prev = row["hash"]
    return problems
