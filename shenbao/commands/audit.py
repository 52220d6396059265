"""`shenbao audit ...`: an application's timeline, the operators' trail, verification of every
hash chain."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from shenbao.commands.common import app_id as parse_app_id
from shenbao.commands.common import read_db
from shenbao.errors import refusals

if TYPE_CHECKING:
    from store.audit import Break

app = typer.Typer(help="The append-only, hash-chained audit trail.")


@app.command("history")
def history(
    application: str = typer.Argument(..., metavar="APP"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every trigger tried on APP, accepted or refused, in order."""
    from deadlines import format_instant
    from states.lifecycle import State
    from store import audit
    from store.models import Application

    app_id = parse_app_id(application)
    db = read_db()
    with refusals(), db.sessions() as s:
        row = s.get(Application, app_id)
        if row is None:
            raise LookupError(f"APP: no application with id {app_id}")
        records = audit.history(s, app_id)
    items = [
        {
            "seq": r.seq,
            "at": format_instant(r.at),
            "trigger": r.trigger,
            "from": r.from_state,
            "to": r.to_state,
            "accepted": r.accepted,
            "actor": f"{r.actor_role}:{r.actor_scope}" if r.actor_scope else r.actor_role,
            "reason": r.reason,
            "rule": r.rule,
            "message": r.message,
            "details": r.details,
            "hash": r.hash,
        }
        for r in records
    ]
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    print(f"application {app_id} {row.name}: {row.status} ({State(row.status).staff_name})")
    for i in items:
        mark = "✓" if i["accepted"] else "✗"
        to = i["to"] or "(unchanged)"
        line = (
            f"{i['seq']:>3} {i['at']} {mark} {i['trigger']:<22} {i['from']} -> {to}  {i['actor']}"
        )
        if i["reason"]:
            line += f"  reason: {i['reason']}"
        if not i["accepted"]:
            line += f"  [{i['rule']}] {i['message']}"
        print(line)


@app.command("operators")
def operators(
    act: str | None = typer.Option(None, "--act", help="only records of this act"),
    last: int | None = typer.Option(None, "--last", min=1, help="only the last N records"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The operators' trail: calendar imports, contacts, notify send, accepted or refused."""
    from deadlines import format_instant
    from store import audit

    db = read_db()
    with db.sessions() as s:
        records = audit.operator_history(s, act=act, limit=last)
    items = [
        {
            "seq": r.seq,
            "at": format_instant(r.at),
            "act": r.act,
            "accepted": r.accepted,
            "actor": f"{r.actor_role}:{r.actor_scope}" if r.actor_scope else r.actor_role,
            "reason": r.reason,
            "rule": r.rule,
            "message": r.message,
            "details": r.details,
            "hash": r.hash,
        }
        for r in records
    ]
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not items:
        print("no operator records")
    for i in items:
        mark = "✓" if i["accepted"] else "✗"
        line = f"{i['seq']:>4} {i['at']} {mark} {i['act']:<18} {i['actor']}"
        if i["reason"]:
            line += f"  reason: {i['reason']}"
        line += f"  [{i['rule']}] {i['message']}" if not i["accepted"] else f"  {i['message']}"
        print(line)


MAX_LINES = 200


def _report(breaks: list[Break]) -> None:
    """Each break on its own line (the first MAX_LINES), then exit 1; nothing when intact."""
    if not breaks:
        return
    for b in breaks[:MAX_LINES]:
        print(str(b))
    if len(breaks) > MAX_LINES:
        print(f"... and {len(breaks) - MAX_LINES} more breaks")
    raise typer.Exit(1)


@app.command("verify")
def verify(
    against: str | None = typer.Option(
        None,
        "--against",
        metavar="CHECKPOINT",
        help="a checkpoint kept from `audit checkpoint` (SEQ:DIGEST) the anchor log must reproduce",
    ),
) -> None:
    """Recompute every chain, replay every application's log against its row, and check the
    anchor log (against CHECKPOINT when given); exit 0 when intact, 1 naming each break."""
    from store import audit
    from store.models import AuditRecord, OperatorRecord

    with refusals():
        checkpoint = audit.Checkpoint.parse(against) if against is not None else None
    db = read_db()
    with db.sessions() as s:
        _report(list(audit.verify(s, against=checkpoint)))
        count = s.query(AuditRecord).count()
        ops = s.query(OperatorRecord).count()
        last = audit.checkpoint(s)
    line = f"audit trail intact: {count} records verified, {ops} operator records"
    line += f", anchored up to entry {last.seq}"
    if checkpoint is not None:
        line += f"; checkpoint {checkpoint.seq} reproduced"
    print(line)


@app.command("checkpoint")
def checkpoint(as_json: bool = typer.Option(False, "--json")) -> None:
    """Print the anchor log's last entry and digest (SEQ:DIGEST) for an auditor to keep; later,
    `audit verify --against SEQ:DIGEST` proves nothing anchored up to it was changed. Verifies
    first: a checkpoint of a broken trail is refused (exit 1, naming each break)."""
    from deadlines import format_instant
    from store import audit

    db = read_db()
    with db.sessions() as s:
        _report(list(audit.verify(s)))
        cp = audit.checkpoint(s)
        at = audit.anchor_time(s, cp.seq)
    if as_json:
        body = {"checkpoint": str(cp), "seq": cp.seq, "digest": cp.digest}
        body["recorded_at"] = format_instant(at) if at else None
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return
    print(str(cp))
