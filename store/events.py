"""Which messages a state change causes, with the context each template needs.

Rows are written to the outbox in the same transaction as the change, keyed by the audit record
(or by the deadline and recipient for reminders), so no path can enqueue the same message twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date as date_
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from deadlines import Window, to_shanghai
from notifications.message import message_id_for
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


PROVINCE_EN = {
    "北京": "Beijing", "天津": "Tianjin", "河北": "Hebei", "山西": "Shanxi",
    "内蒙古": "Inner Mongolia", "辽宁": "Liaoning", "吉林": "Jilin", "黑龙江": "Heilongjiang",
    "上海": "Shanghai", "江苏": "Jiangsu", "浙江": "Zhejiang", "安徽": "Anhui", "福建": "Fujian",
    "江西": "Jiangxi", "山东": "Shandong", "河南": "Henan", "湖北": "Hubei", "湖南": "Hunan",
    "广东": "Guangdong", "广西": "Guangxi", "海南": "Hainan", "重庆": "Chongqing",
    "四川": "Sichuan", "贵州": "Guizhou", "云南": "Yunnan", "西藏": "Tibet", "陕西": "Shaanxi",
    "甘肃": "Gansu", "青海": "Qinghai", "宁夏": "Ningxia", "新疆": "Xinjiang",
    "新疆生产建设兵团": "Xinjiang Production and Construction Corps",
    "大连": "Dalian", "青岛": "Qingdao", "宁波": "Ningbo", "厦门": "Xiamen", "深圳": "Shenzhen",
}  # fmt: skip
DEPARTMENT_EN = {"commerce": "commerce department", "industry": "industry and IT department"}


def base_context(app: AppLike, edition: Edition) -> dict[str, Any]:
    """What every message about an application says, in both languages (names from the edition)."""
    category = edition.category(app.category)
    return {
        "enterprise_name": app.name,
        "program_name": edition.title,
        "program_name_en": edition.title_en or edition.title,
        "organiser": edition.organiser,
        "organiser_en": edition.organiser_en or edition.organiser,
        "application_id": app.id,
        "uscc": app.uscc,
        "province": app.province or "",
        "category_label": category.name_zh,
        "category_en": category.name_en or CATEGORY_EN.get(app.category, app.category),
        "edition_id": edition.id,
    } | report_policy(edition)


def report_policy(edition: Edition) -> dict[str, Any]:
    """The annual-report and recertification duties a confirmed title carries, as the edition
    states them: edition B's reports (30 November) cover 本年度, edition A's (1 February) the
    year before (上一年度)."""
    rule = edition.annual_report
    if rule is None:
        zh = en = ""
    elif rule.same_year:
        zh = f"每年{rule.month}月{rule.day}日前报送本年度发展情况"
        en = f"report on the current year's development by {rule.day} {_MONTH_EN[rule.month]} each year"
    else:
        zh = f"每年{rule.month}月{rule.day}日前报送上一年度发展情况"
        en = f"report on the previous year's development by {rule.day} {_MONTH_EN[rule.month]} each year"
    return {
        "report_duty": zh,
        "report_duty_en": en,
        "recert_years": edition.recert_cycle_years or 0,
    }


_MONTH_EN = ("", "January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip


def _actor_label(scope: str | None, role: str) -> str:
    if role == "province" and scope:
        province, _, department = scope.partition("/")
        dept = {"commerce": "商务主管部门", "industry": "工业和信息化主管部门"}.get(department)
        return f"{province}{dept or '省级主管部门'}"
    if role == "group" and scope:
        return scope
    return {"ministry": "主管部委", "system": "申报系统"}.get(role, scope or role)


def _actor_label_en(scope: str | None, role: str) -> str:
    if role == "province" and scope:
        province, _, department = scope.partition("/")
        name = PROVINCE_EN.get(province, province)
        return f"the {name} {DEPARTMENT_EN.get(department, 'provincial department')}"
    if role == "group" and scope:
        return "the central enterprise group"
    return {"ministry": "the ministry", "system": "the application system"}.get(
        role, "the competent department"
    )


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
    by_en = _actor_label_en(audit_row.get("actor_scope"), audit_row.get("actor_role", ""))
    at = iso(now)
    title = details.get("title") or edition.title
    ctx["title_en"] = edition.title_en or title
    if message_type == "submitted":
        ctx |= {"receipt_no": f"SB-{app.id}-{audit_row['seq']}", "submitted_at": at}
    elif message_type == "returned":
        deadline = application_window.ends_at if application_window else now
        ctx |= {"reason": reason, "returned_by": by, "deadline": iso(deadline)}
        ctx["returned_by_en"] = by_en
    elif message_type in ("rejected", "not_recommended"):
        ctx |= {"reason": reason, "decided_by": by, "decided_by_en": by_en}
    elif message_type == "recommended":
        ctx |= {"recommended_by": by, "recommended_by_en": by_en}
    elif message_type == "withdrawn":
        ctx |= {"withdrawn_at": at}
    elif message_type == "lapsed":
        closed = application_window.ends_at if application_window else now
        ctx |= {"closed_at": iso(closed)}
    elif message_type in ("notice_published", "notice_ending"):
        notice = details.get("notice") or {}
        ctx |= {"notice_label": notice.get("label", ""), "deadline": notice.get("ends_at", at)}
        if notice.get("first") and notice.get("last"):
            ctx["notice_label_en"] = notice_label_en(notice)
    elif message_type in ("confirmed", "renewed"):
        ctx |= {"title": title, "term": details.get("term", "")}
        ctx["term_en"] = term_en(ctx["term"])
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


def notice_label_en(notice: Mapping[str, Any]) -> str:
    """`9月28日至10月9日（5个工作日）` in English, from the notice's own days."""
    from datetime import date

    first = date.fromisoformat(str(notice["first"])[:10])
    last = date.fromisoformat(str(notice["last"])[:10])
    days = notice.get("working_days")
    tail = f" ({days} working days)" if days else ""
    return f"{first.day} {_MONTH_EN[first.month]} to {last.day} {_MONTH_EN[last.month]}{tail}"


def objection_rows(
    app: AppLike, edition: Edition, objection: Any, stage: str, now: datetime
) -> list[dict[str, Any]]:
    """`objection_received` to the applicant: when an objection is filed, and when it is resolved
    (upheld or dismissed, with the ministry's reason). The objector's contact is never sent."""
    recipient = applicant_contact(app)
    if recipient is None:
        return []
    context = base_context(app, edition) | {
        "received_at": iso(objection.filed_at),
        "stage": stage,
        "resolution": objection.resolution or "",
        "resolution_reason": objection.resolution_reason or "",
        "resolved_at": iso(objection.resolved_at) if objection.resolved_at else "",
    }
    return [
        outbox_row(
            key=f"objection:{objection.id}:{stage}:{recipient}",
            message_type="objection_received",
            recipient=recipient,
            context=context,
            now=now,
            application_id=app.id,
            campaign_id=app.campaign_id,
        )
    ]


def enqueue_objection(session: Any, app: Any, objection: Any, stage: str, now: datetime) -> int:
    """Write the objection mail in the caller's transaction (review.file/resolve_objection)."""
    from programs.editions import load_edition
    from store.models import Campaign
    from store.outbox import insert_rows

    campaign = session.get(Campaign, app.campaign_id)
    edition = load_edition(campaign.edition_id)
    return insert_rows(session, objection_rows(app, edition, objection, stage, now))


def working_days_late(due: date_, at: datetime, count: Any = None) -> int:
    """Working days late at instant `at` for a report due on `due` (0 on time, else at least 1).

    One definition for reminders, digests and submissions. On time: before 00:00 of the day after
    the due day (the last second is 23:59:59). Late: the working days after the due date up to and
    including the day of `at` (the submission or the sweep), an instant at exactly 00:00 closing
    the day before (24:00) rather than opening a new one; and at least 1. `count` counts working
    days of a date range, both ends included (default: the shipped calendar).
    """
    from deadlines import default_calendar

    local = to_shanghai(at)
    if local < day_start_of(due):
        return 0
    last = (local - timedelta(microseconds=1)).date()
    if last <= due:
        return 1
    counter = count or default_calendar().count_working_days
    return max(1, int(counter(due + timedelta(days=1), last)))


def after_opening(due: date_, days_before: int, told_at: datetime) -> bool:
    """A due reminder n days before is sent only if its instant falls after the enterprise was
    told the report is open: that message already names the deadline (never an
    `annual_report_open` and a 30-day `annual_report_due` together)."""
    from deadlines import reminder_at

    return reminder_at(due, days_before) > to_shanghai(told_at)


def overdue_digests(
    contacts: Any, overdue: list[tuple[Any, Edition, Any, int, int]], now: datetime
) -> list[dict[str, Any]]:
    """One `annual_report_overdue_digest` per department (its contact address) per sweep, listing
    every overdue enterprise it recommended: the province's departments, or the group."""
    by_recipient: dict[tuple[str, str, int], dict[str, Any]] = {}
    people_cache: dict[tuple[str, str], list[Any]] = {}
    for app, edition, rep, late, week in overdue:
        where = ("group", app.group_name) if app.group_name else ("province", app.province or "")
        if where not in people_cache:
            people_cache[where] = (
                contacts.for_group(where[1])
                if where[0] == "group"
                else contacts.for_province(where[1])
            )
        for person in people_cache[where]:
            key = (person.email, edition.id, rep.report_year)
            entry = by_recipient.setdefault(
                key,
                {
                    "person": person,
                    "edition": edition,
                    "report_year": rep.report_year,
                    "due": rep.due_date,
                    "week": week,
                    "campaign_id": app.campaign_id,
                    "rows": [],
                },
            )
            entry["rows"].append(
                {"enterprise_name": app.name, "uscc": app.uscc, "working_days_late": late}
            )
    out = []
    for (email, edition_id, year), entry in sorted(by_recipient.items(), key=lambda kv: kv[0]):
        edition = entry["edition"]
        person = entry["person"]
        ends_at = day_start_of(entry["due"])
        out.append(
            outbox_row(
                key=f"report_overdue_digest:{edition_id}:{year}:{entry['week']}:{email}",
                message_type="annual_report_overdue_digest",
                recipient=email,
                context={
                    "recipient_name": person.name or "主管部门",
                    "program_name": edition.title,
                    "program_name_en": edition.title_en or edition.title,
                    "report_year": year,
                    "due_at": iso(ends_at),
                    "as_of": iso(now),
                    "rows": sorted(
                        entry["rows"], key=lambda r: (-r["working_days_late"], r["uscc"])
                    ),
                },
                now=now,
                campaign_id=entry["campaign_id"],
            )
        )
    return out


def day_start_of(due: date_) -> datetime:
    """The instant the due day ends (00:00 of the next day, Asia/Shanghai)."""
    from deadlines import day_start

    return day_start(due + timedelta(days=1))


def term_en(term: str) -> str:
    """`2026–2028` stays; `2026起（未规定期限）` reads `from 2026 (no term stated)`."""
    found = re.fullmatch(r"(\d{4})起（未规定期限）", term)
    return f"from {found.group(1)} (no term stated)" if found else term


def preview_context(
    lifecycle: Any, app_id: int, message_type: str, now: datetime
) -> dict[str, Any]:
    """The context of `message_type` as application `app_id` really gets (or got) it.

    The message already written for it (the outbox keeps its context), else the one its latest
    matching accepted event would cause, else a reminder that is due now (a draft in an open
    window). Otherwise ValueError saying that the type does not apply to the application.
    """
    from sqlalchemy import select

    from programs.editions import load_edition
    from store.audit import history
    from store.models import OutboxMessage
    from store.transitions import windows_of

    app = lifecycle.get(app_id)
    edition = load_edition(app.campaign.edition_id)
    with lifecycle.db.sessions() as s:
        sent = s.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.application_id == app_id, OutboxMessage.message_type == message_type
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).first()
        if sent is not None:
            return dict(sent.context)
        trigger = next((t for t, m in APPLICANT_MESSAGES.items() if m == message_type), None)
        if trigger is not None:
            for rec in reversed(history(s, app_id)):
                if rec.trigger == trigger and rec.accepted:
                    row = {"trigger": rec.trigger, "seq": rec.seq, "reason": rec.reason,
                           "actor_role": rec.actor_role, "actor_scope": rec.actor_scope,
                           "details": rec.details}  # fmt: skip
                    window, _ = windows_of(app.campaign)
                    return transition_context(message_type, app, edition, row, rec.at, window)
    window, _ = windows_of(app.campaign)
    if message_type == "application_window_closing" and app.status == "draft" and window:
        if window.opens_at <= now < window.ends_at:
            days = max(1, (window.closes - to_shanghai(now).date()).days)
            return base_context(app, edition) | {"days_left": days, "deadline": iso(window.ends_at)}
    raise ValueError(
        f"TYPE: {message_type} does not apply to application {app_id} ({app.status}, "
        f"{edition.id}): it has not been sent and no event in its history causes it"
    )


# reminder types that merge when several fall due together for the same address
MERGEABLE = ("application_window_closing", "annual_report_due", "annual_report_overdue")
MERGED = "merged"  # outbox status of a reminder carried by a merged message (never drained)


def merge_reminders(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reminders of one type falling due together for one address become one message.

    The merged message lists every application (`items`); each reminder's own key is still
    written, with status `merged`, so that it is never sent again on its own by a later sweep.
    """
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    out: list[dict[str, Any]] = []
    for row in rows:
        if row["message_type"] not in MERGEABLE:
            out.append(row)
            continue
        ctx = row["context"]
        when = str(ctx.get("deadline") or ctx.get("due_at") or "")
        groups.setdefault((row["recipient"], row["message_type"], when), []).append(row)
    for (recipient, message_type, when), group in groups.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        group.sort(key=lambda r: r["idempotency_key"])
        first = group[0]
        items = [
            {
                k: r["context"].get(k)
                for k in (
                    "enterprise_name",
                    "application_id",
                    "program_name",
                    "program_name_en",
                    "report_year",
                    "working_days_late",
                )
            }  # fmt: skip
            for r in group
        ]
        digest = hashlib.sha256("|".join(r["idempotency_key"] for r in group).encode()).hexdigest()
        merged = dict(first)
        merged.update(
            idempotency_key=f"merged:{message_type}:{when}:{digest[:16]}:{recipient}",
            context=first["context"] | {"items": items},
            application_id=None,
        )
        merged["message_id"] = message_id_for(merged["idempotency_key"])
        out.append(merged)
        out += [r | {"status": MERGED} for r in group]
    return out
