"""Which messages a state change causes: written to the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from deadlines import format_instant
from programs.editions import Edition
from states.lifecycle import State
from store.outbox import message_id_for

# trigger -> message type sent to the applicant's contact
APPLICANT_MESSAGES: dict[str, str] = {
    "submit": "submitted",
    "return_for_revision": "returned",
    "reject": "rejected",
    "recommend": "recommended",
    "withdraw": "withdrawn",
    "lapse": "lapsed",
    "open_scoring": "scoring_opened",
    "shortlist": "shortlisted",
    "decline": "not_shortlisted",
    "publish_notice": "notice_published",
    "confirm": "confirmed",
    "remove": "removed_after_notice",
    "open_recertification": "recertification_open",
    "renew": "renewed",
    "revoke": "revoked",
}


class _AppLike(Protocol):
    id: int
    campaign_id: int
    name: str
    uscc: str
    province: str | None
    group_name: str | None
    category: str
    status: str
    contact_email: str | None
    form: dict[str, Any]


def applicant_contact(app: _AppLike) -> str | None:
    """The application's --email, else the contact email in its form."""
    if app.contact_email:
        return app.contact_email
    form = app.form or {}
    for section in form.values() if isinstance(form, dict) else ():
        if isinstance(section, dict):
            for key in ("contact_email", "email", "head_email"):
                value = section.get(key)
                if isinstance(value, str) and "@" in value:
                    return value
    return None


def base_context(app: _AppLike, edition: Edition, now: datetime) -> dict[str, Any]:
    state = State(app.status)
    return {
        "application_id": app.id,
        "applicant_name": app.name,
        "uscc": app.uscc,
        "province": app.province or "",
        "group": app.group_name or "",
        "category": app.category,
        "category_zh": edition.category(app.category).name_zh,
        "edition_id": edition.id,
        "edition_title": edition.title,
        "organiser": edition.organiser,
        "state": state.value,
        "state_zh": state.applicant_name,
        "now": format_instant(now),
    }


def outbox_row(
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
) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "message_id": message_id_for(key),
        "message_type": message_type,
        "recipient": recipient,
        "lang": lang,
        "context": context,
        "application_id": application_id,
        "campaign_id": campaign_id,
        "status": "queued",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": not_before or now,
        "sent_at": None,
        "last_error": None,
    }


def outbox_rows_for(
    app: _AppLike, edition: Edition, audit_row: Mapping[str, Any], now: datetime
) -> list[dict[str, Any]]:
    """The messages an accepted transition causes (keyed by the audit record: never twice)."""
    message_type = APPLICANT_MESSAGES.get(audit_row["trigger"])
    recipient = applicant_contact(app)
    if message_type is None or recipient is None:
        return []
    context = base_context(app, edition, now)
    context["reason"] = audit_row.get("reason") or ""
    details = audit_row.get("details") or {}
    context.update({k: v for k, v in details.items() if k in CONTEXT_FROM_DETAILS})
    return [
        outbox_row(
            key=f"transition:{app.id}:{audit_row['seq']}:{message_type}:{recipient}",
            message_type=message_type,
            recipient=recipient,
            context=context,
            now=now,
            application_id=app.id,
            campaign_id=app.campaign_id,
        )
    ]


CONTEXT_FROM_DETAILS = ("notice", "term", "score", "title")
