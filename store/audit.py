"""The audit trail: append-only records, hash-chained per application, verified end to end.

Each record's hash covers its content and the previous record's hash of the same application;
the application row keeps the count and the head hash, so that deleting, reordering or editing a
record, or dropping the last one, is detected by `verify`. Operators' acts (calendar import,
contacts, notify send) form one more chain of the same kind (`append_operator`), its count and head
kept in `audit_chain`.

`verify` also replays each application's accepted triggers through the lifecycle machine and
compares the state reached with the row's, and checks every chain against the anchor log (below):
the heads recorded outside the rows they protect, so that a chain rewritten with its head moved,
a last record dropped with the head moved back, or a wiped chain are named too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from programs.text import AUDIT_DETAILS_MAX, AUDIT_MESSAGE_MAX, cap, cap_details, cap_optional
from store.db import JSONMapping
from store.models import Application, AuditAnchor, AuditChain, AuditRecord, OperatorRecord

GENESIS = "0" * 64
OPERATORS = "operators"


def application_chain(application_id: int) -> str:
    """The name of an application's chain in the anchor log."""
    return f"application:{application_id}"


class AuditTampering(RuntimeError):
    """Raised when code tries to change or delete an audit record."""


def _iso(instant: datetime) -> str:
    """The instant as hashed: UTC, microseconds, "Z". A batch stamps many records with the same
    few instants (the act's and the clock's), so their texts are kept; equal instants give
    equal texts whatever their zone, and one dict read is safe across the web's threads."""
    text = _ISO_TEXTS.get(instant)
    if text is None:
        text = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if len(_ISO_TEXTS) >= 4096:
            _ISO_TEXTS.clear()
        _ISO_TEXTS[instant] = text
    return text


_ISO_TEXTS: dict[datetime, str] = {}


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
    body["at"] = _iso(body["at"])
    body["recorded_at"] = _iso(body["recorded_at"])
    details = body["details"]
    if type(details) is not JSONMapping:
        body["details"] = details or {}
        return _canonical_json(body)
    # its text is already the canonical form: put in its place, not serialised again ("details"
    # is a key; inside a string value every quote is escaped, so the bare pattern is the key)
    body["details"] = None
    return _canonical_json(body).replace('"details":null', '"details":' + details.text, 1)


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def stored_details(details: Mapping[str, Any] | None) -> JSONMapping:
    """Audit details as stored and hashed, capped (`programs.text.cap_details`), serialised once
    in their canonical form."""
    plain = dict(details) if details else {}
    text = _canonical_json(plain)
    # the cap counts the text with ", " and ": " separators, at most twice the compact length
    if 2 * len(text) > AUDIT_DETAILS_MAX:
        capped = cap_details(plain)
        if capped != plain:
            plain, text = capped, _canonical_json(capped)
    return JSONMapping(plain, text)


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


# what `cap` escapes (categories Cc and Cs but tab and line feed): a message with none of them,
# within the limit, is kept as it is, so `cap` need not look at it character by character
_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _message(message: str) -> str:
    if len(message) <= AUDIT_MESSAGE_MAX and _ESCAPED.search(message) is None:
        return message
    return cap(message)


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
    recorded_at: datetime | None = None,
) -> dict[str, Any]:
    """A complete audit row (with its hash) ready for a Core insert.

    `recorded_at` (aware, UTC) is the clock reading; a batch passes one reading for all its rows.
    """
    row: dict[str, Any] = {
        "application_id": application_id,
        "seq": seq,
        "trigger": trigger,
        "from_state": from_state,
        "to_state": to_state,
        "accepted": accepted,
        "actor_role": actor_role,
        "actor_scope": actor_scope,
        "reason": None if reason is None else _message(reason),
        "rule": rule,
        "message": _message(message),
        "details": stored_details(details),
        "at": at if at.tzinfo is UTC else at.astimezone(UTC),
        "recorded_at": recorded_at or datetime.now(UTC),
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
    _touch(session, app.id)
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
        "reason": cap_optional(reason),
        "rule": rule,
        "message": cap(message),
        "details": stored_details(details),
        "at": at.astimezone(UTC),
        "recorded_at": datetime.now(UTC),
        "prev_hash": chain.audit_head or GENESIS,
    }
    row["hash"] = operator_hash(row["prev_hash"], row)
    rec = OperatorRecord(**row)
    chain.audit_count = rec.seq
    chain.audit_head = rec.hash
    session.add(rec)
    _touch(session, OPERATORS)
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


# -- the anchor log ------------------------------------------------------------------------------
#
# Heads kept in the rows they protect can be moved with the rows. Every transaction that appends
# audit records therefore also appends one anchor entry, just before it commits: the (chain, count,
# head) triples of the chains it changed, hashed together with the previous entry's digest. The
# last digest thus commits to every head in the database (the entries folded in order give them
# all), while each transaction pays only for the chains it touched. `checkpoint` hands the last
# (sequence, digest) to an auditor; `verify(against=...)` checks the log still reproduces it and
# that every chain still reproduces each head the anchors recorded.

_TOUCHED = "shenbao_audit_touched"
_HEADS = "shenbao_audit_heads"
ANCHOR_LOCK = "shenbao:audit_anchor"
ANCHOR_LOG = "anchor log"
_CHUNK = 500


def _touch(session: Session, chain: int | str) -> None:
    """Note a chain changed in this transaction: an application id, or OPERATORS."""
    session.info.setdefault(_TOUCHED, set()).add(chain)
    heads = session.info.get(_HEADS)
    if heads:
        heads.pop(chain, None)  # its head is read back from its row at commit


def note_heads(session: Session, heads: Mapping[int, tuple[int, str]]) -> None:
    """The (count, head) a writer just stored on these applications' rows (version-checked, in
    this transaction), so the anchor hook need not read them back; any later append to one of
    them drops its entry again."""
    session.info.setdefault(_HEADS, {}).update(heads)


def _touched_by_insert(state: Any) -> None:
    """Core inserts of audit rows (the transition engine's batches) are noted as ORM appends are."""
    table = getattr(state.statement, "table", None)
    if table is AuditRecord.__table__:
        key = "application_id"
    elif table is OperatorRecord.__table__:
        key = None
    else:
        return
    params = state.parameters
    rows = params if isinstance(params, list | tuple) else [params] if params else []
    if key is None:
        _touch(state.session, OPERATORS)
        return
    values = getattr(state.statement, "_values", None) or {}
    for row in rows:
        if isinstance(row, Mapping) and row.get(key) is not None:
            _touch(state.session, int(row[key]))
    for col, value in values.items():  # insert().values(application_id=...)
        if getattr(col, "key", col) == key and getattr(value, "value", None) is not None:
            _touch(state.session, int(value.value))


@dataclass(frozen=True)
class Checkpoint:
    """The anchor log's position an auditor keeps: entry `seq` and its digest."""

    seq: int
    digest: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.digest}"

    @classmethod
    def parse(cls, text: str, field: str = "--against") -> Checkpoint:
        seq, sep, digest = text.strip().partition(":")
        digest = digest.lower()
        if (
            not sep
            or not seq.isdigit()
            or int(seq) < 1
            or len(digest) != 64
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            raise ValueError(
                f"{field}: '{text}' is not a checkpoint (SEQ:DIGEST, a positive sequence and 64 "
                "hex digits, as `shenbao audit checkpoint` prints)"
            )
        return cls(int(seq), digest)


def anchor(session: Session, chains: set[int | str], now: datetime | None = None) -> int | None:
    """Append the anchor entry of `chains` (their current heads); its sequence, None if no head.

    Called by the commit hook; callers never need it. On PostgreSQL concurrent anchors are
    serialised by a transaction-scoped advisory lock taken after every other write of the
    transaction, so the lock is held only for the two statements below.
    """
    known: Mapping[int, tuple[int, str]] = session.info.pop(_HEADS, None) or {}
    heads: list[list[Any]] = []
    app_ids: list[int] = []
    for c in chains:
        if not isinstance(c, int):
            continue
        if c in known:
            count, head = known[c]
            if count:
                heads.append([application_chain(c), count, head])
        else:
            app_ids.append(c)
    app_ids.sort()
    for i in range(0, len(app_ids), _CHUNK):
        stmt = select(Application.id, Application.audit_count, Application.audit_head).where(
            Application.id.in_(app_ids[i : i + _CHUNK])
        )
        heads += [[application_chain(a), c, h] for a, c, h in session.execute(stmt) if c]
    if OPERATORS in chains:
        row = session.execute(
            select(AuditChain.audit_count, AuditChain.audit_head).where(
                AuditChain.name == OPERATORS
            )
        ).first()
        if row is not None and row[0]:
            heads.append([OPERATORS, row[0], row[1]])
    if not heads:
        return None
    heads.sort()
    conn = session.connection()  # Core statements built once (no ORM work per commit)
    if conn.dialect.name == "postgresql":
        conn.execute(_ANCHOR_LOCK_SQL, {"k": ANCHOR_LOCK})
    last = conn.execute(_LAST_ANCHOR).first()
    entry: dict[str, Any] = {
        "id": (last[0] if last else 0) + 1,
        "prev_digest": last[1] if last else GENESIS,
        "heads": heads,
        "recorded_at": (now or datetime.now(UTC)).astimezone(UTC),
    }
    entry["digest"] = anchor_digest(entry)
    conn.execute(_ANCHOR_INSERT, [entry])
    return int(entry["id"])


_ANCHOR_LOCK_SQL = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")
_LAST_ANCHOR = select(AuditAnchor.id, AuditAnchor.digest).order_by(AuditAnchor.id.desc()).limit(1)
_ANCHOR_INSERT = insert(AuditAnchor.__table__)


@event.listens_for(Session, "before_commit")
def _anchor_before_commit(session: Session) -> None:
    if not session.info.get(_TOUCHED):
        return
    session.flush()  # the heads of this transaction are in the rows before they are anchored
    chains = session.info.pop(_TOUCHED, set())
    if chains:
        anchor(session, chains)


@event.listens_for(Session, "after_transaction_end")
def _forget_touched(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)
        session.info.pop(_HEADS, None)


def checkpoint(session: Session) -> Checkpoint:
    """The last anchor entry, as an auditor keeps it (sequence 0 when nothing was anchored)."""
    last = session.execute(
        select(AuditAnchor.id, AuditAnchor.digest).order_by(AuditAnchor.id.desc()).limit(1)
    ).first()
    return Checkpoint(int(last[0]), str(last[1])) if last else Checkpoint(0, GENESIS)


def anchor_time(session: Session, seq: int) -> datetime | None:
    """When anchor entry `seq` was recorded."""
    return session.scalar(select(AuditAnchor.recorded_at).where(AuditAnchor.id == seq))


@dataclass
class _Anchored:
    """What the anchor log says: every anchored (count -> head, entry) per chain, and the last."""

    points: dict[str, dict[int, tuple[str, int]]]
    final: dict[str, tuple[int, str, int]]
    breaks: list[Break]


def _read_anchors(session: Session, against: Checkpoint | None, batch: int = 5000) -> _Anchored:
    points: dict[str, dict[int, tuple[str, int]]] = {}
    final: dict[str, tuple[int, str, int]] = {}
    breaks: list[Break] = []
    prev_id, prev_digest = 0, GENESIS
    reproduced = False
    stmt = select(AuditAnchor).order_by(AuditAnchor.id).execution_options(yield_per=batch)
    for entry in session.scalars(stmt):
        if entry.id != prev_id + 1:
            breaks.append(
                Break(None, entry.id, entry.id, f"expected entry {prev_id + 1}", ANCHOR_LOG)
            )
        if entry.prev_digest != prev_digest:
            breaks.append(Break(None, entry.id, entry.id, "prev_digest does not match", ANCHOR_LOG))
        if anchor_digest(entry) != entry.digest:
            breaks.append(
                Break(None, entry.id, entry.id, "content does not match its digest", ANCHOR_LOG)
            )
        for chain, count, head in entry.heads:
            points.setdefault(chain, {})[int(count)] = (str(head), entry.id)
            final[chain] = (int(count), str(head), entry.id)
        if against is not None and entry.id == against.seq:
            reproduced = True
            if entry.digest != against.digest or anchor_digest(entry) != against.digest:
                breaks.append(
                    Break(
                        None,
                        entry.id,
                        entry.id,
                        f"does not reproduce checkpoint {against}: its digest is "
                        f"{anchor_digest(entry)[:12]}, the checkpoint says {against.digest[:12]}; "
                        f"the log up to entry {against.seq} was rewritten",
                        ANCHOR_LOG,
                    )
                )
        prev_id, prev_digest = entry.id, entry.digest
    if against is not None and not reproduced:
        breaks.append(
            Break(
                None,
                None,
                None,
                f"ends at entry {prev_id}, before checkpoint {against.seq}: entries were removed",
                ANCHOR_LOG,
            )
        )
    return _Anchored(points, final, breaks)


def _against_anchors(
    chain: str,
    application_id: int | None,
    anchored: _Anchored,
    hashes: Mapping[int, tuple[int, str]],
    count: int,
) -> Iterator[Break]:
    """Compare one chain's records (seq -> (record id, hash) at anchored points) and its length
    with what the anchors recorded."""
    for at_count, (head, entry) in sorted(anchored.points.get(chain, {}).items()):
        got = hashes.get(at_count)
        if got is None:
            continue  # missing records are reported below, by count
        if got[1] != head:
            yield Break(
                application_id,
                at_count,
                got[0],
                f"hash {got[1][:12]} differs from the head {head[:12]} anchored in entry {entry}: "
                "the chain was rewritten",
                chain,
            )
            return
    final = anchored.final.get(chain)
    if final is None:
        if count:
            yield Break(application_id, None, None, f"{count} records were never anchored", chain)
        return
    want, head, entry = final
    if count < want:
        what = "the chain was wiped" if count == 0 else "records were removed"
        yield Break(
            application_id,
            None,
            None,
            f"anchor entry {entry} records {want} records ending {head[:12]}, "
            f"the log has {count}: {what}",
            chain,
        )
    elif count > want:
        yield Break(
            application_id,
            None,
            None,
            f"the log has {count} records, anchors record {want}: "
            f"{count - want} records were added outside the system",
            chain,
        )


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


def verify_applications(
    session: Session, batch: int = 5000, anchored: _Anchored | None = None
) -> Iterator[Break]:
    """Recompute every application's chain and replay its log against the application row; with
    `anchored`, compare each chain with the heads the anchor log recorded."""
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
    at_points: dict[int, dict[int, tuple[int, str]]] = {}
    points = anchored.points if anchored is not None else {}
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
        if rec.seq in points.get(application_chain(rec.application_id), ()):
            at_points.setdefault(rec.application_id, {})[rec.seq] = (rec.id, rec.hash)
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
    if anchored is None:
        return
    ids = set(seen) | {
        int(c.partition(":")[2]) for c in anchored.final if c.startswith("application:")
    }
    for app_id in sorted(ids):
        got_count = seen[app_id][0] if app_id in seen else 0
        yield from _against_anchors(
            application_chain(app_id), app_id, anchored, at_points.get(app_id, {}), got_count
        )


def verify_operators(session: Session, anchored: _Anchored | None = None) -> Iterator[Break]:
    """Recompute the operators' chain and compare it with its count and head (and its anchors)."""
    chain = session.get(AuditChain, OPERATORS)
    count, head = (chain.audit_count, chain.audit_head) if chain else (0, "")
    got_count, prev = 0, GENESIS
    points = anchored.points.get(OPERATORS, {}) if anchored is not None else {}
    at_points: dict[int, tuple[int, str]] = {}
    stmt = select(OperatorRecord).order_by(OperatorRecord.seq)
    for rec in session.scalars(stmt):
        if rec.seq != got_count + 1:
            yield Break(None, rec.seq, rec.id, f"expected seq {got_count + 1}", OPERATORS)
        if rec.prev_hash != prev:
            yield Break(None, rec.seq, rec.id, "prev_hash does not match", OPERATORS)
        if operator_hash(rec.prev_hash, rec) != rec.hash:
            yield Break(None, rec.seq, rec.id, "content does not match its hash", OPERATORS)
        got_count, prev = rec.seq, rec.hash
        if rec.seq in points:
            at_points[rec.seq] = (rec.id, rec.hash)
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
    if anchored is not None:
        yield from _against_anchors(OPERATORS, None, anchored, at_points, got_count)


def verify(
    session: Session,
    batch: int = 5000,
    *,
    against: Checkpoint | None = None,
    anchors: bool = True,
) -> Iterator[Break]:
    """Recompute every chain and the anchor log; yield each break found.

    Each application's log is replayed against its row (state, count, head); each chain is
    compared with every head the anchor log recorded for it; with `against`, the anchor log must
    still reproduce that checkpoint.
    """
    anchored = _read_anchors(session, against, batch) if anchors or against else None
    if anchored is not None:
        yield from anchored.breaks
    yield from verify_applications(session, batch, anchored)
    yield from verify_operators(session, anchored)


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
    if state.is_insert:
        _touched_by_insert(state)
        return
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
    "Checkpoint",
    "checkpoint",
    "history",
    "operator_history",
    "replay_state",
    "verify",
]
