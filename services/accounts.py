"""Account acts of the operators (invite, disable): authorised first, audited in the operators'
trail, the one-time link mailed through the outbox in the same unit of work.

The web's ministry page and `shenbao accounts invite|disable` both call these handlers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deadlines import format_instant
from services.handlers import _refusals, audit_operator, authorize
from states.actors import Actor
from store import accounts
from store.db import Database
from store.outbox import insert_rows, outbox_row


def mail_link(
    s: Any,
    account: accounts.Account,
    token: str,
    purpose: str,
    now: datetime,
    base_url: str,
    lang: str,
) -> None:
    """Enqueue the one-time link of `account` (confirmation or invitation) in the outbox."""
    lifetime = accounts.CONFIRM_LIFETIME if purpose == "confirm" else accounts.INVITE_LIFETIME
    url = f"{base_url}/account/activate?token={token}"
    context = {
        "enterprise_name": account.display_name or account.email,
        "program_name": "申报系统账户",
        "application_id": "-",
        "purpose": purpose,
        "actor": account.actor_text,
        "confirm_url": url,
        "expires_at": (now + lifetime).isoformat(),
        "expires_label": format_instant(now + lifetime),
        "created_at": now.isoformat(),
    }
    key = f"account:{account.id}:{purpose}:{accounts.digest(token)[:16]}"
    insert_rows(
        s,
        [
            outbox_row(
                key=key,
                message_type="account_confirm",
                recipient=account.email,
                context=context,
                now=now,
                lang=lang,
            )
        ],
    )


def invite_account(
    db: Database,
    actor: Actor,
    *,
    email: str,
    role: str,
    scope: str | None,
    name: str,
    now: datetime,
    base_url: str,
) -> tuple[int, str]:
    """Create a pending account bound to ROLE[:SCOPE] and mail its link; (account id, token).

    On the web only the ministry invites, and never an enterprise (enterprises register
    themselves); an operator's shell may set up any account, the first ministry one included.
    """
    details = {"email": email, "role": role, "scope": scope}
    spec = authorize(db, "accounts.invite", actor, now, details=details)
    with _refusals(db, spec, actor, now, details=details):
        with db.transaction() as s:
            account, token = accounts.create_account(
                s,
                email=email,
                role=role,
                scope=scope,
                display_name=name,
                now=now,
                created_by=str(actor),
                purpose="invite",
            )
            mail_link(s, account, token, "invite", now, base_url, "zh")
            audit_operator(
                s, spec, actor, now, f"invited account {account.id} as {account.actor_text}",
                account=account.id, email=account.email, bound_to=account.actor_text,
            )  # fmt: skip
            return int(account.id), token


def disable_account(db: Database, actor: Actor, email: str, *, now: datetime) -> None:
    """Disable an account: its sessions and API tokens end at once."""
    details = {"email": email}
    spec = authorize(db, "accounts.disable", actor, now, details=details)
    with _refusals(db, spec, actor, now, details=details):
        with db.transaction() as s:
            accounts.disable(s, email, now)
            audit_operator(s, spec, actor, now, f"disabled account {email}", email=email)
