"""`shenbao notify ...` and `shenbao contacts ...`: preview, send and watch the outbox."""

from __future__ import annotations

import asyncio
import json
import os

import typer
from rich.progress import Progress

from deadlines import format_instant, now_shanghai
from notifications import MESSAGE_TYPES, drain, open_sender, render, settings_from_env
from shenbao.errors import fail, refusals
from shenbao.wiring import database, lifecycle, now_from
from store.contacts import ROLES, Contacts
from store.outbox import StoreOutbox, counts, last_failures

notify_app = typer.Typer(help="Mail: preview a message, drain the outbox, see what failed.")
contacts_app = typer.Typer(help="Coordinators' contacts (provinces, groups, the ministry).")


@notify_app.command("preview")
def preview(
    application: str = typer.Argument(..., metavar="APP"),
    message_type: str = typer.Argument(..., metavar="TYPE"),
    lang: str = typer.Option("zh", "--lang", help="zh or en"),
) -> None:
    """Render the message TYPE about APP to the terminal."""
    if message_type not in MESSAGE_TYPES:
        fail(f"TYPE: '{message_type}' is not one of {', '.join(MESSAGE_TYPES)}")
    try:
        app_id = int(application)
    except ValueError:
        fail(f"APP: '{application}' is not an application id")
    with refusals():
        from store.events import preview_context

        context = preview_context(lifecycle(), app_id, message_type, now_shanghai())
        rendered = render(message_type, context, lang=lang)
    print(f"Subject: {rendered.subject}\n")
    print(rendered.text)
    if rendered.ics:
        print(f"[attachment: deadline.ics, {len(rendered.ics)} bytes]")


@notify_app.command("send")
def send(
    now: str | None = typer.Option(None, "--now"),
    batch: int = typer.Option(200, "--batch"),
) -> None:
    """Drain the outbox once: send what is due, retry later what failed temporarily."""
    with refusals():
        mail = settings_from_env(os.environ)
    db = database()
    outbox = StoreOutbox(db)
    fixed = now_from(now) if now else None
    with db.sessions() as s:
        queued = counts(s).get("queued", 0)

    async def run() -> object:
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

    stats = asyncio.run(run())
    print(
        f"sent {stats.sent}, retry later {stats.temporary}, failed {stats.permanent}"  # type: ignore[attr-defined]
    )
    if stats.interrupted:  # type: ignore[attr-defined]
        print(f"mail server unreachable, stopped: {stats.interrupted}")  # type: ignore[attr-defined]
        raise typer.Exit(1)


@notify_app.command("status")
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Queued / sent / failed counts and the last failures with the server's answer."""
    db = database()
    with db.sessions() as s:
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
    role: str = typer.Argument(..., help=" | ".join(ROLES)),
    scope: str = typer.Argument(
        ..., help="province (广东 / 440000), group name, or - for ministry"
    ),
    email: str = typer.Argument(...),
    name: str = typer.Option("", "--name"),
    now: str | None = typer.Option(None, "--now"),
) -> None:
    """Add a coordinator's address; prints its id."""
    with refusals():
        print(Contacts(database()).add(role, scope, email, name, now_from(now)))


@contacts_app.command("list")
def contacts_list(
    role: str | None = typer.Option(None, "--role"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List coordinators' contacts."""
    rows = Contacts(database()).list(role)
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
def contacts_remove(contact_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Remove a contact."""
    with refusals():
        Contacts(database()).remove(contact_id)
    print(f"removed {contact_id}")


def register(root: typer.Typer) -> None:
    root.add_typer(notify_app, name="notify")
    root.add_typer(contacts_app, name="contacts")
