"""Which messages a state change causes, with the context each template needs.

Rows are written to the outbox in the same transaction as the change, keyed by the audit record
(or by the deadline and recipient for reminders), so no path can enqueue the same message twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from deadlines import Window, to_shanghai
from programs.editions import Edition
from store.outbox import outbox_row

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

CATEGORY_EN = {
    "manufacturing": "Manufacturing",
    "ito": "IT outsourcing",
    "supplier": "Service-outsourcing supplier",
    "park": "Service-outsourcing park",
    "training": "Training institution",
    "center": "Digital-transformation promotion centre",
}


class AppLike(Protocol):
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


@lru_cache(maxsize=4096)
def iso(instant: datetime) -> str:
    """ISO 8601 in Asia/Shanghai (cached: a batch shares its instant)."""
    return to_shanghai(instant).isoformat()


def applicant_contact(app: AppLike) -> str | None:
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


def base_context(app: AppLike, edition: Edition) -> dict[str, Any]:
    category = edition.category(app.category)
    return {
        "enterprise_name": app.name,
        "program_name": edition.title,
        "application_id": app.id,
        "uscc": app.uscc,
        "province": app.province or "",
        "category_label": category.name_zh,
        "category_en": CATEGORY_EN.get(app.category, app.category),
        "edition_id": edition.id,
    }


def _actor_label(scope: str | None, role: str) -> str:
    if role == "province" and scope:
        return f"{scope}省级主管部门"
    if role == "group" and scope:
        return scope
    return {"ministry": "主管部委", "system": "申报系统"}.get(role, scope or role)


def transition_context(
    message_type: str,
    app: AppLike,
    edition: Edition,
    audit_row: Mapping[str, Any],
    now: datetime,
    application_window: Window | None = None,
) -> dict[str, Any]:
    """The template context of the message an accepted transition causes."""
    ctx = base_context(app, edition)
    details = audit_row.get("details") or {}
    reason = audit_row.get("reason") or details.get("reason") or ""
    by = _actor_label(audit_row.get("actor_scope"), audit_row.get("actor_role", ""))
    at = iso(now)
    title = details.get("title") or edition.title
    if message_type == "submitted":
        ctx |= {"receipt_no": f"SB-{app.id}-{audit_row['seq']}", "submitted_at": at}
    elif message_type == "returned":
        deadline = application_window.ends_at if application_window else now
        ctx |= {"reason": reason, "returned_by": by, "deadline": iso(deadline)}
    elif message_type in ("rejected", "not_recommended"):
        ctx |= {"reason": reason, "decided_by": by}
    elif message_type == "recommended":
        ctx |= {"recommended_by": by}
    elif message_type == "withdrawn":
        ctx |= {"withdrawn_at": at}
    elif message_type == "lapsed":
        closed = application_window.ends_at if application_window else now
        ctx |= {"closed_at": iso(closed)}
    elif message_type in ("notice_published", "notice_ending"):
        notice = details.get("notice") or {}
        ctx |= {"notice_label": notice.get("label", ""), "deadline": notice.get("ends_at", at)}
    elif message_type in ("confirmed", "renewed"):
        ctx |= {"title": title, "term": details.get("term", "")}
    elif message_type == "removed_after_notice":
        ctx |= {"reason": reason}
    elif message_type == "recertification_open":
        ctx |= {"title": title, "deadline": details.get("recert_deadline", at)}
    elif message_type == "revoked":
        ctx |= {"title": title, "reason": reason}
    return ctx


def outbox_rows_for(
    app: AppLike,
    edition: Edition,
    audit_row: Mapping[str, Any],
    now: datetime,
    application_window: Window | None = None,
) -> list[dict[str, Any]]:
    """The messages an accepted transition causes (keyed by the audit record: never twice)."""
    message_type = APPLICANT_MESSAGES.get(audit_row["trigger"])
    recipient = applicant_contact(app)
    if message_type is None or recipient is None:
        return []
    context = transition_context(message_type, app, edition, audit_row, now, application_window)
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
