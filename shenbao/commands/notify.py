"""`shenbao notify ...` and `shenbao contacts ...`: preview, send and watch the outbox."""

from __future__ import annotations

import json
import os
from typing import Any

import typer

from shenbao import args
from shenbao.commands.common import NOW, acting, as_option, db, now_at, read_db
from shenbao.errors import fail, refusals

# the contact roles, as `store.contacts.ROLES` names them (help text without importing the store)
CONTACT_ROLES = ("province_commerce", "province_industry", "group", "ministry")

notify_app = typer.Typer(help="Mail: preview a message, drain the outbox, see what failed.")
contacts_app = typer.Typer(help="Coordinators' contacts (provinces, groups, the ministry).")


@notify_app.command("preview")
def preview(
    application: str = typer.Argument(..., metavar="APP"),
    message_type: str = typer.Argument(..., metavar="TYPE"),
    lang: str = typer.Option("zh", "--lang", help="zh or en"),
) -> None:
    """Render the message TYPE about APP to the terminal."""
    from deadlines import now_shanghai
    from notifications import MESSAGE_TYPES, render
    from store.service import Lifecycle

    if message_type not in MESSAGE_TYPES:
        fail(f"TYPE: '{message_type}' is not one of {', '.join(MESSAGE_TYPES)}")
    app_id = args.cli(args.record_id, "APP")(application)
    with refusals():
        from store.events import preview_context

        context = preview_context(Lifecycle(read_db()), app_id, message_type, now_shanghai())
        rendered = render(message_type, context, lang=lang)
    print(f"Subject: {rendered.subject}\n")
    print(rendered.text)
    if rendered.ics:
        print(f"[attachment: deadline.ics, {len(rendered.ics)} bytes]")


@notify_app.command("send")
def send(
    now: str | None = NOW,
    batch: int = typer.Option(200, "--batch", parser=args.cli(args.count, "--batch")),
    actor: str | None = as_option("notify.send"),
) -> None:
    """Drain the outbox once: send what is due, retry later what failed temporarily."""
    who = acting("notify.send", actor)
    import asyncio

    from rich.progress import Progress

    from deadlines import now_shanghai
    from notifications import drain, open_sender, settings_from_env
    from services import handlers
    from shenbao.outbox_report import after_drain
    from store.outbox import StoreOutbox, counts

    with refusals():
        mail = settings_from_env(os.environ)
    database = db()
    outbox = StoreOutbox(database)
    at = now_at(now)
    fixed = at if now else None
    with database.sessions() as s:
        queued = counts(s).get("queued", 0)

    async def run() -> Any:
        async with open_sender(mail) as sender:
            with Progress(transient=True) as progress:
                task = progress.add_task("sending", total=queued)
                return await drain(
                    outbox,
                    sender,
                    now=(lambda: fixed) if fixed else now_shanghai,
                    batch=batch,
                    progress=lambda n: progress.advance(task, n),
                )

    def deliver() -> dict[str, Any]:
        stats = asyncio.run(run())
        return {
            "sent": stats.sent,
            "retry_later": stats.temporary,
            "failed": stats.permanent,
            "interrupted": stats.interrupted or None,
        }

    with refusals():
        done = handlers.notify_send(database, who, now=at, send=deliver)
    print(f"sent {done['sent']}, retry later {done['retry_later']}, failed {done['failed']}")
    lines, code = after_drain(database, permanent_this_run=done["failed"], now=at)
    for line in lines:
        print(line)
    if done["interrupted"]:
        print(f"mail server unreachable, stopped: {done['interrupted']}")
        raise typer.Exit(1)
    if code:
        raise typer.Exit(code)


@notify_app.command("status")
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Queued / sent / failed counts and the last failures with the server's answer."""
    from store.outbox import counts, last_failures

    database = read_db()
    with database.sessions() as s:
        tally = counts(s)
        failures = [
            {
                "id": m.id,
                "type": m.message_type,
                "recipient": m.recipient,
                "status": m.status,
                "attempts": m.attempts,
                "error": m.last_error,
                "application": m.application_id,
            }
            for m in last_failures(s)
        ]
    data = {
        "queued": tally.get("queued", 0),
        "sent": tally.get("sent", 0),
        "failed": tally.get("failed", 0),
        "last_failures": failures,
    }
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    print(f"queued {data['queued']}  sent {data['sent']}  failed {data['failed']}")
    for f in failures:
        print(
            f"  #{f['id']} {f['type']} -> {f['recipient']} [{f['status']}, {f['attempts']}x] {f['error']}"
        )


@contacts_app.command("add")
def contacts_add(
    role: str = typer.Argument(..., help=" | ".join(CONTACT_ROLES)),
    scope: str = typer.Argument(
        ..., help="province (广东 / 440000), group name, or - for ministry"
    ),
    email: str = typer.Argument(...),
    name: str = typer.Option("", "--name"),
    actor: str | None = as_option("contacts.add"),
    now: str | None = NOW,
) -> None:
    """Add a coordinator's address; prints its id (audited in the operators' trail)."""
    who = acting("contacts.add", actor)
    from services import handlers

    with refusals():
        print(handlers.add_contact(db(), who, role, scope, email, name=name, now=now_at(now)))


@contacts_app.command("list")
def contacts_list(
    role: str | None = typer.Option(None, "--role"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List coordinators' contacts."""
    from deadlines.timeutil import format_instant
    from store.contacts import Contacts

    with refusals():
        rows = Contacts(read_db()).list(role)
    items = [
        {
            "id": c.id,
            "role": c.role,
            "scope": c.scope,
            "name": c.name,
            "email": c.email,
            "added": format_instant(c.created_at),
        }
        for c in rows
    ]
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for i in items:
        print(f"{i['id']}\t{i['role']}\t{i['scope'] or '-'}\t{i['email']}\t{i['name']}")


@contacts_app.command("remove")
def contacts_remove(
    contact_id: int = typer.Argument(..., metavar="ID", parser=args.cli(args.record_id, "ID")),
    actor: str | None = as_option("contacts.remove"),
    now: str | None = NOW,
) -> None:
    """Remove a contact (audited in the operators' trail)."""
    who = acting("contacts.remove", actor)
    from services import handlers

    with refusals():
        handlers.remove_contact(db(), who, contact_id, now=now_at(now))
    print(f"removed {contact_id}")


def register(root: typer.Typer) -> None:
    root.add_typer(notify_app, name="notify")
    root.add_typer(contacts_app, name="contacts")
