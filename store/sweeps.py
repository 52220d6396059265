"""What is due now: windows closing, reminders, notices ending, reports due or overdue.

A sweep reads what is due from the database with indexed queries, applies it in batches through
the lifecycle (so every move is audited) and enqueues messages keyed by deadline and recipient.
Run it as often as you like: a second run at the same instant changes nothing and sends nothing.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select

from deadlines import MissingCalendarYear, day_start, local_date, reminder_at
from programs.editions import Edition, load_edition
from states.actors import SYSTEM
from states.lifecycle import State
from states.rules import Refusal
from store.contacts import Contacts
from store.events import (
    CATEGORY_EN,
    after_opening,
    applicant_contact,
    base_context,
    iso,
    merge_reminders,
    overdue_digests,
    working_days_late,
)
from store.models import Application, Campaign, OutboxMessage
from store.outbox import insert_rows, outbox_row
from store.service import Lifecycle
from store.transitions import QUOTA_STATES, windows_of

BATCH = int(os.environ.get("SHENBAO_SWEEP_BATCH", "500"))
# States in which a reminder still makes sense, per reminder kind.
REMIND_TO_SUBMIT = (State.DRAFT.value,)


@dataclass
class SweepReport:
    lapsed: int = 0
    reminders: Counter[str] = field(default_factory=Counter)
    notices_closed: int = 0
    recertifications_opened: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"lapsed {self.lapsed}", f"notices closed {self.notices_closed}"]
        parts.append(f"recertifications opened {self.recertifications_opened}")
        parts += [f"{k} {v}" for k, v in sorted(self.reminders.items())]
        return ", ".join(parts)


def latest_due(deadline_day: date, steps: tuple[int, ...], unit: str, now: datetime) -> int | None:
    """The most recent reminder step already due (smallest n whose instant has passed)."""
    due = [n for n in steps if reminder_at(deadline_day, n, unit=unit) <= now]
    return min(due) if due else None


class Sweeper:
    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.db = lifecycle.db

    def campaigns(self) -> list[Campaign]:
        with self.db.sessions() as s:
            return list(s.scalars(select(Campaign).where(Campaign.status == "open")))

    def run(self, now: datetime, *, campaign_id: int | None = None) -> SweepReport:
        report = SweepReport()
        for campaign in self.campaigns():
            if campaign_id is not None and campaign.id != campaign_id:
                continue
            edition = load_edition(campaign.edition_id)
            report.lapsed += self.lapse_drafts(campaign, edition, now)
            report.reminders["application_window_closing"] += self.remind_to_submit(
                campaign, edition, now
            )
            report.reminders["screening_closing"] += self.remind_screening(campaign, edition, now)
            report.reminders["screening_report"] += self.report_screening(campaign, edition, now)
            report.reminders["notice_ending"] += self.remind_notice_ending(campaign, edition, now)
            report.notices_closed += self.close_notices(campaign, now, report)
        report.recertifications_opened += self.open_recertifications(now, report)
        report.reminders["annual_report"] += self.remind_reports(now, report)
        return report

    # -- application window ------------------------------------------------------------------
    def _ids(self, campaign_id: int, states: tuple[str, ...]) -> list[int]:
        with self.db.sessions() as s:
            stmt = (
                select(Application.id)
                .where(Application.campaign_id == campaign_id, Application.status.in_(states))
                .order_by(Application.id)
            )
            return list(s.scalars(stmt))

    def lapse_drafts(self, campaign: Campaign, edition: Edition, now: datetime) -> int:
        """After the application window: drafts are locked (lapsed) and their owners told."""
        window, _ = windows_of(campaign)
        if window is None or not window.has_closed(now):
            return 0
        ids = self._ids(campaign.id, (State.DRAFT.value,))
        done = 0
        from services import handlers

        for i in range(0, len(ids), BATCH):
            batch = handlers.lapse(self.db, SYSTEM, ids[i : i + BATCH], now=now)
            done += len(batch.accepted)
        return done

    def remind_to_submit(self, campaign: Campaign, edition: Edition, now: datetime) -> int:
        window, _ = windows_of(campaign)
        if window is None or not window.contains(now):
            return 0
        n = latest_due(window.closes, edition.reminders.application_close_days, "days", now)
        if n is None:
            return 0
        rows: list[dict[str, Any]] = []
        with self.db.transaction() as s:
            apps = s.scalars(
                select(Application).where(
                    Application.campaign_id == campaign.id,
                    Application.status.in_(REMIND_TO_SUBMIT),
                )
            )
            for app in apps:
                recipient = applicant_contact(app)
                if recipient is None:
                    continue
                ctx = base_context(app, edition) | {"days_left": n, "deadline": iso(window.ends_at)}
                rows.append(
                    outbox_row(
                        key=f"reminder:application_close:{app.id}:{n}:{recipient}",
                        message_type="application_window_closing",
                        recipient=recipient,
                        context=ctx,
                        now=now,
                        application_id=app.id,
                        campaign_id=campaign.id,
                    )
                )
            return insert_rows(s, merge_reminders(rows))

    # -- provincial screening ------------------------------------------------------------------
    def quota_table(self, campaign: Campaign, edition: Edition) -> list[dict[str, Any]]:
        """Recommendations held per province (or group) and category, against the limit."""
        with self.db.sessions() as s:
            t = Application.__table__
            stmt = (
                select(t.c.province, t.c.group_name, t.c.category, func.count())
                .where(and_(t.c.campaign_id == campaign.id, t.c.status.in_(QUOTA_STATES)))
                .group_by(t.c.province, t.c.group_name, t.c.category)
            )
            held = list(s.execute(stmt))
            pending_stmt = (
                select(t.c.province, t.c.group_name, func.count())
                .where(t.c.campaign_id == campaign.id, t.c.status == State.SUBMITTED.value)
                .group_by(t.c.province, t.c.group_name)
            )
            pending = {(p, g): n for p, g, n in s.execute(pending_stmt)}
        rows: list[dict[str, Any]] = []
        scopes = {(p, g) for p, g, _, _ in held} | set(pending)
        for province, group in sorted(scopes, key=lambda k: (k[0] or "", k[1] or "")):
            for category in edition.categories:
                used = sum(
                    n for p, g, c, n in held if (p, g) == (province, group) and c == category.id
                )
                limits = edition.quota_limits(
                    province=province, group=group, category=category.id, consortium=False
                )
                limit = limits[0].limit if limits else None
                per_category = limits[0].per_category if limits else True
                if not per_category:
                    used = sum(n for p, g, _, n in held if (p, g) == (province, group))
                rows.append(
                    {
                        "province": group or province or "",
                        "category": category.name_zh if per_category else "全部类别",
                        "category_en": CATEGORY_EN.get(category.id, category.id)
                        if per_category
                        else "all categories",
                        "recommended": used,
                        "limit": limit if limit is not None else "不限",
                        "pending": pending.get((province, group), 0),
                    }
                )
                if not per_category:
                    break
        return rows

    def remind_screening(self, campaign: Campaign, edition: Edition, now: datetime) -> int:
        _, screening = windows_of(campaign)
        if screening is None or not screening.contains(now):
            return 0
        steps = edition.reminders.screening_close_working_days
        n = latest_due(screening.closes, steps, "working_days", now)
        if n is None:
            return 0
        table = self.quota_table(campaign, edition)
        contacts = Contacts(self.db)
        rows: list[dict[str, Any]] = []
        for scope in sorted({r["province"] for r in table}):
            people = contacts.for_province(scope) or contacts.for_group(scope)
            mine = [r for r in table if r["province"] == scope]
            for person in people:
                ctx = {
                    "recipient_name": person.name or scope,
                    "program_name": edition.title,
                    "days_left": n,
                    "deadline": iso(screening.ends_at),
                    "quota": [
                        {
                            "category": r["category"],
                            "category_en": r["category_en"],
                            "used": r["recommended"],
                            "limit": r["limit"],
                        }
                        for r in mine
                    ],
                    "pending_count": mine[0]["pending"] if mine else 0,
                }
                rows.append(
                    outbox_row(
                        key=f"reminder:screening:{campaign.id}:{scope}:{n}:{person.email}",
                        message_type="screening_closing",
                        recipient=person.email,
                        context=ctx,
                        now=now,
                        campaign_id=campaign.id,
                    )
                )
        with self.db.transaction() as s:
            return insert_rows(s, rows)

    def report_screening(self, campaign: Campaign, edition: Edition, now: datetime) -> int:
        """When screening closes: recommendations against quota, per province, to the ministry."""
        _, screening = windows_of(campaign)
        if screening is None or not screening.has_closed(now):
            return 0
        people = Contacts(self.db).ministry()
        if not people:
            return 0
        table = self.quota_table(campaign, edition)
        rows = [
            outbox_row(
                key=f"screening_report:{campaign.id}:{person.email}",
                message_type="screening_report",
                recipient=person.email,
                context={
                    "recipient_name": person.name or "主管部委",
                    "program_name": edition.title,
                    "rows": table,
                    "as_of": iso(screening.ends_at),
                },
                now=now,
                campaign_id=campaign.id,
            )
            for person in people
        ]
        with self.db.transaction() as s:
            return insert_rows(s, rows)

    # -- after the province --------------------------------------------------------------------
    def _review(self) -> Any:
        from store.review import Review

        return Review(self.lifecycle)

    def remind_notice_ending(self, campaign: Campaign, edition: Edition, now: datetime) -> int:
        """On the last day of a 公示, those on the list hear that it ends tonight."""
        from store.review_models import Notice, NoticeEntry

        rows: list[dict[str, Any]] = []
        with self.db.sessions() as s:
            stmt = (
                select(Notice, Application)
                .join(NoticeEntry, NoticeEntry.notice_id == Notice.id)
                .join(Application, Application.id == NoticeEntry.application_id)
                .where(
                    Notice.campaign_id == campaign.id,
                    Notice.ends_at > now,
                    Application.status == State.PUBLIC_NOTICE.value,
                )
            )
            for notice, app in s.execute(stmt).tuples():
                if reminder_at(notice.last_day, 0) > now:  # 09:00 of the last day
                    continue
                recipient = applicant_contact(app)
                if recipient is None:
                    continue
                ctx = base_context(app, edition) | {
                    "notice_label": notice.label,
                    "deadline": iso(notice.ends_at),
                }
                rows.append(
                    outbox_row(
                        key=f"reminder:notice_ending:{notice.id}:{app.id}:{recipient}",
                        message_type="notice_ending",
                        recipient=recipient,
                        context=ctx,
                        now=now,
                        application_id=app.id,
                        campaign_id=campaign.id,
                    )
                )
        with self.db.transaction() as s:
            return insert_rows(s, rows)

    def close_notices(self, campaign: Campaign, now: datetime, report: SweepReport) -> int:
        """Notices whose period has ended are closed (confirm / remove / hold)."""
        from store.review_models import Notice

        with self.db.sessions() as s:
            ended = s.scalar(
                select(func.count())
                .select_from(Notice)
                .where(Notice.campaign_id == campaign.id, Notice.ends_at <= now)
            )
            waiting = s.scalar(
                select(func.count()).where(
                    Application.campaign_id == campaign.id,
                    Application.status == State.PUBLIC_NOTICE.value,
                )
            )
        if not ended or not waiting:
            return 0
        try:
            from services import handlers

            outcome = handlers.close_notice_of(self.db, SYSTEM, campaign.id, now=now)
        except (Refusal, ValueError, LookupError, RuntimeError) as exc:
            report.problems.append(f"campaign {campaign.id}: {exc}")
            return 0
        return len(getattr(outcome, "confirmed", []) or []) + len(
            getattr(outcome, "removed", []) or []
        )

    def open_recertifications(self, now: datetime, report: SweepReport) -> int:
        from store.review_models import Title

        with self.db.sessions() as s:
            due = s.scalar(
                select(func.count())
                .select_from(Title)
                .where(Title.status == "active", Title.next_recert_due <= local_date(now))
            )
        if not due:
            return 0
        try:
            from services import handlers

            return len(handlers.open_recertification(self.db, SYSTEM, now=now))
        except (Refusal, ValueError, LookupError, RuntimeError) as exc:
            report.problems.append(f"recertification: {exc}")
            return 0

    def remind_reports(self, now: datetime, report: SweepReport) -> int:
        """Annual reports: due in 30, 7 and 1 days, then overdue every week until submitted."""
        from store.review_models import AnnualReport, Title

        today = local_date(now)
        rows: list[dict[str, Any]] = []
        overdue: list[tuple[Any, Edition, Any, int, int]] = []
        with self.db.sessions() as s:
            told = select(OutboxMessage.idempotency_key, OutboxMessage.created_at).where(
                OutboxMessage.message_type == "annual_report_open"
            )  # when each enterprise was told its report is open
            opened_told = {key: at for key, at in s.execute(told).tuples()}
            stmt = (
                select(AnnualReport, Title, Application)
                .join(Title, AnnualReport.title_id == Title.id)
                .join(Application, Title.application_id == Application.id)
                .where(AnnualReport.submitted_at.is_(None), Title.status == "active")
            )
            for rep, title, app in s.execute(stmt).tuples():
                edition = load_edition(title.edition_id)
                recipient = applicant_contact(app)
                if recipient is None:
                    continue
                ctx = base_context(app, edition) | {"report_year": rep.report_year}
                ends_at = day_start(rep.due_date + timedelta(days=1))
                rows.append(  # once per report: collection is open, here is the deadline
                    outbox_row(
                        key=f"report_open:{rep.id}:{recipient}",
                        message_type="annual_report_open",
                        recipient=recipient,
                        context=ctx | {"deadline": iso(ends_at)},
                        now=now,
                        application_id=app.id,
                        campaign_id=app.campaign_id,
                    )
                )
                if today <= rep.due_date:
                    n = latest_due(rep.due_date, edition.reminders.annual_report_days, "days", now)
                    told_at = opened_told.get(f"report_open:{rep.id}:{recipient}")
                    if n is None or told_at is None or not after_opening(rep.due_date, n, told_at):
                        continue  # the opening message (now or earlier) already names the deadline
                    key = f"reminder:report_due:{rep.id}:{n}:{recipient}"
                    rows.append(
                        outbox_row(
                            key=key,
                            message_type="annual_report_due",
                            recipient=recipient,
                            context=ctx | {"days_left": n, "deadline": iso(ends_at)},
                            now=now,
                            application_id=app.id,
                            campaign_id=app.campaign_id,
                        )
                    )
                else:
                    week = (today - rep.due_date).days // edition.reminders.overdue_every_days
                    try:
                        late = working_days_late(rep.due_date, now)
                    except MissingCalendarYear as exc:
                        report.problems.append(f"report {rep.id}: {exc}")
                        continue
                    if late == 0:  # 00:00 after the due day: the deadline itself, not yet late
                        continue
                    rows.append(
                        outbox_row(
                            key=f"reminder:report_overdue:{rep.id}:{week}:{recipient}",
                            message_type="annual_report_overdue",
                            recipient=recipient,
                            context=ctx | {"working_days_late": late, "due_at": iso(ends_at)},
                            now=now,
                            application_id=app.id,
                            campaign_id=app.campaign_id,
                        )
                    )
                    overdue.append((app, edition, rep, late, week))
        rows = merge_reminders(rows) + overdue_digests(Contacts(self.db), overdue, now)
        with self.db.transaction() as s:
            return insert_rows(s, rows)


def milestones(campaign: Campaign, edition: Edition, notice_ends: list[datetime]) -> list[datetime]:
    """Every instant at which something falls due for a campaign, in order."""
    app_w, screening = windows_of(campaign)
    out: list[datetime] = []
    if app_w is not None:
        out.append(app_w.opens_at)
        out += [reminder_at(app_w.closes, n) for n in edition.reminders.application_close_days]
        out.append(app_w.ends_at)
    if screening is not None:
        steps = edition.reminders.screening_close_working_days
        out += [reminder_at(screening.closes, n, unit="working_days") for n in steps]
        out.append(screening.ends_at)
    out += notice_ends
    return sorted(set(out))


def campaign_timetable(db: Any, campaign_id: int) -> list[datetime]:
    from store.review_models import Notice

    with db.sessions() as s:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None:
            raise LookupError(f"campaign: no campaign with id {campaign_id}")
        ends = list(s.scalars(select(Notice.ends_at).where(Notice.campaign_id == campaign_id)))
    return milestones(campaign, load_edition(campaign.edition_id), ends)


def next_milestone(db: Any, campaign_id: int, now: datetime) -> datetime | None:
    return next((m for m in campaign_timetable(db, campaign_id) if m > now), None)
