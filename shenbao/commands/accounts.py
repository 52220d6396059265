"""`shenbao accounts invite|list|disable`: the operator's door to the web service's accounts.

An invitation is mailed through the outbox with a one-time link (valid 7 days); the link is also
printed, for an operator setting up the first ministry account without working mail.
"""

from __future__ import annotations

import json
import os

import typer

from deadlines import format_instant
from services.wiring import database, now_from
from shenbao.commands.common import acting, as_option
from shenbao.errors import refusals

app = typer.Typer(help="Web accounts: invite provinces, groups, experts, auditors; list; disable.")


def _base_url() -> str:
    return (os.environ.get("SHENBAO_WEB_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")


@app.command("invite")
def invite(
    role: str = typer.Argument(..., help="province | group | ministry | expert | auditor"),
    email: str = typer.Argument(..., help="the person's e-mail (their login)"),
    scope: str = typer.Option("", "--scope", help="广东/commerce, 广东/industry, a group, E01"),
    name: str = typer.Option("", "--name", help="the name shown (e.g. 广东省商务厅)"),
    actor: str | None = as_option("accounts.invite"),
    now: str | None = typer.Option(None, "--now", help="ISO 8601; default: the clock"),
) -> None:
    """Create a pending account bound to ROLE[:SCOPE] and mail its one-time link."""
    who = acting("accounts.invite", actor)
    from web import acts

    with refusals():
        svc = acts.Services.over(database())
        account_id, token = acts.invite_as_operator(
            svc, email=email, role=role, scope=scope or None, name=name, now=now_from(now),
            base_url=_base_url(), operator=str(who),
        )  # fmt: skip
    print(f"invited account {account_id}: {_base_url()}/account/activate?token={token}")


@app.command("list")
def list_accounts(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every account with its actor scope and status."""
    from store.accounts import list_accounts as rows

    with database().sessions() as s:
        found = rows(s)
    if as_json:
        print(json.dumps([{"id": a.id, "email": a.email, "actor": a.actor_text,
                           "status": a.status, "name": a.display_name} for a in found],
                         ensure_ascii=False))  # fmt: skip
        return
    for a in found:
        seen = format_instant(a.last_login_at) if a.last_login_at else "never"
        print(f"{a.id}\t{a.email}\t{a.actor_text}\t{a.status}\tlast login {seen}")


@app.command("disable")
def disable(
    email: str = typer.Argument(...),
    actor: str | None = as_option("accounts.disable"),
    now: str | None = typer.Option(None, "--now", help="ISO 8601; default: the clock"),
) -> None:
    """Disable an account: its sessions and API tokens end at once."""
    who = acting("accounts.disable", actor)
    from web import acts

    with refusals():
        acts.disable_as_operator(
            acts.Services.over(database()), email=email, now=now_from(now), operator=str(who)
        )
    print(f"disabled {email.strip().lower()}")
