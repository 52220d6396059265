"""Confirmed titles over time: annual reports opened, submitted (lateness in official working
days), who is late; recertification opened, renewed (a new term) or the title revoked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from deadlines import (
    format_instant,
    local_date,
    require_aware,
)
from programs import text
from programs.editions import Edition, load_edition
from programs.provinces import normalize_province
from states import titles as title_rules
from states.actors import Actor
from states.campaign_rules import CampaignFacts, check_campaign
from states.event_rules import EventFacts, ReportEventFacts, evaluate_event
from states.lifecycle import State
from states.rules import Outcome, RecertFacts, edition_clauses
from store import events
from store.models import Application, Campaign
from store.review_base import (
    ACCEPTED,
    EventBatch,
    EventResult,
    ReviewBase,
    _On,
    _require_role,
    _term_label,
    application_facts,
    title_name,
)
from store.review_models import (
    AnnualReport,
    Recertification,
    Title,
)
from store.transitions import CHUNK, Conflict, NotFound, Request, Result


@dataclass(frozen=True)
class ReportItem:
    """One enterprise's annual report in a batch."""

    actor: Actor
    app_id: int
    report_year: int
    data: Mapping[str, Any]
    refused: Outcome | None = None  # decided before the batch (the act's role table)


@dataclass(frozen=True)
class ReportsOpened:
    report_year: int
    due_date: date
    opened: list[int]  # application ids
    skipped: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportSubmitted:
    report_id: int
    report_year: int
    due_date: date
    overdue: bool
    working_days_late: int


@dataclass(frozen=True)
class OverdueRow:
    app_id: int
    name: str
    province: str | None
    edition_id: str
    report_year: int
    due_date: date
    submitted_at: datetime | None
    working_days_late: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.app_id,
            "name": self.name,
            "province": self.province,
            "edition": self.edition_id,
            "report_year": self.report_year,
            "due_date": self.due_date.isoformat(),
            "submitted_at": format_instant(self.submitted_at) if self.submitted_at else None,
            "working_days_late": self.working_days_late,
        }


class TitleStage(ReviewBase):
    """Annual reports and recertification."""

    def open_reports(
        self, edition_id: str, report_year: int, *, actor: Actor, now: datetime
    ) -> ReportsOpened:
        """Open the report on `report_year` for every active title of the edition."""
        require_aware(now, "--now")
        edition = load_edition(edition_id)
        _require_role(actor, "reports.open")
        rule = edition.annual_report
        check_campaign(
            CampaignFacts(
                act="reports.open",
                actor=actor,
                now=now,
                campaign_id=None,
                edition_id=edition.id,
                has_annual_report=rule is not None,
                clauses=edition_clauses(edition),
            )
        )
        assert rule is not None
        if report_year > local_date(now).year:
            raise ValueError(
                f"report_year: {report_year} 尚未开始 (the year reported on has not begun on "
                f"{local_date(now).isoformat()})"
            )
        due = rule.due_date(report_year)
        opened: list[int] = []
        skipped: dict[int, str] = {}
        with self._tx(now) as tx:
            s = tx.session
            t = Title.__table__
            titles = s.execute(
                select(t.c.id, t.c.application_id, t.c.confirmed_on)
                .where(t.c.edition_id == edition.id, t.c.status == title_rules.TITLE_ACTIVE)
                .order_by(t.c.application_id)
            ).all()
            existing = set(
                s.scalars(
                    select(AnnualReport.title_id).where(AnnualReport.report_year == report_year)
                )
            )
            due_now: list[tuple[int, int]] = []
            for title_id, app_id, confirmed_on in titles:
                first = rule.first_report_year(confirmed_on)
                if report_year < first:
                    skipped[app_id] = (
                        f"first report of this title is on {first} (confirmed "
                        f"{confirmed_on.isoformat()}; {rule.clause})"
                    )
                elif title_id in existing:
                    skipped[app_id] = f"the report on {report_year} is already open"
                else:
                    due_now.append((title_id, app_id))
            # the applications' rows (locked), their chains extended with Core statements
            batch = EventBatch(s, [a for _, a in due_now])
            rows = []
            for title_id, app_id in due_now:
                rows.append(
                    {
                        "title_id": title_id,
                        "report_year": report_year,
                        "due_date": due,
                        "opened_at": now,
                        "overdue": False,
                    }
                )
                batch.record(
                    app_id, "report:open", actor, now, accepted=True, rule=ACCEPTED,
                    message=f"accepted: annual report on {report_year} opened for application "
                    f"{app_id}, due {due.isoformat()}",
                    details={"report": {"year": report_year, "due_date": due.isoformat()}},
                )  # fmt: skip
                opened.append(app_id)
            if rows:
                s.execute(insert(AnnualReport.__table__), rows)
            batch.write()
        return ReportsOpened(report_year, due, opened, skipped)

    def submit_report(
        self,
        app_id: int,
        report_year: int,
        data: Mapping[str, Any],
        *,
        actor: Actor,
        now: datetime,
    ) -> ReportSubmitted:
        """The enterprise's report on a year: validated; a late one is accepted and marked with
        the working days late (a year without calendar data raises MissingCalendarYear)."""
        trigger = "report:submit"
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id, lock=True)
            on = _On(app.id, trigger, actor)
            title = s.scalar(select(Title).where(Title.application_id == app.id))
            report = (
                s.scalar(
                    select(AnnualReport).where(
                        AnnualReport.title_id == title.id, AnnualReport.report_year == report_year
                    )
                )
                if title is not None
                else None
            )
            edition = load_edition(app.campaign.edition_id)
            problems = (
                tuple(_report_problems(load_edition(title.edition_id), report_year, data))
                if report is not None and title is not None
                else ()
            )
            outcome = evaluate_event(
                EventFacts(
                    event=trigger,
                    actor=actor,
                    now=now,
                    application=application_facts(app, edition.id),
                    report=ReportEventFacts(
                        report_year,
                        title.status if title is not None else None,
                        report is not None,
                        format_instant(report.submitted_at)
                        if report is not None and report.submitted_at is not None
                        else None,
                        holder_uscc=app.uscc,
                        problems=problems,
                    ),
                    clauses=edition_clauses(edition),
                )
            )
            if not outcome.accepted:
                raise on.refuse(outcome.rule, outcome.message)
            assert title is not None and report is not None
            calendar = self.calendar
            late = events.working_days_late(report.due_date, now, calendar.count_working_days)
            report.submitted_at = now
            report.submitted_by = str(actor)
            report.data = dict(data)
            report.overdue = late > 0
            report.working_days_late = late
            report.calendar_version = calendar.version if late else ""
            when = f"{late} working day(s) late" if late else "on time"
            self._event(
                s,
                app,
                trigger,
                actor,
                now,
                f"accepted: annual report on {report_year} of application {app.id}, {when} "
                f"(due {report.due_date.isoformat()})",
                details={
                    "report": {
                        "year": report_year,
                        "due_date": report.due_date.isoformat(),
                        "overdue": late > 0,
                        "working_days_late": late,
                        "calendar_version": report.calendar_version,
                    }
                },
            )
            return ReportSubmitted(report.id, report_year, report.due_date, late > 0, late)

    def report_many(self, items: Sequence[ReportItem], *, now: datetime) -> list[EventResult]:
        """Many enterprises' reports in one unit of work, each checked as `submit_report` checks
        it (the holder, a title, the report opened and not yet submitted, also within the batch,
        every problem of its content); `item.refused` (the act's role table) is recorded as that
        refusal alone. A late report is accepted and marked with the working days late."""
        require_aware(now, "--now")
        trigger = "report:submit"
        calendar = self.calendar
        with self.db.transaction() as s:
            batch = EventBatch(s, [i.app_id for i in items])
            editions = {
                c.id: load_edition(c.edition_id)
                for c in s.scalars(
                    select(Campaign).where(
                        Campaign.id.in_({c.campaign_id for c in batch.chains.values()})
                    )
                )
            }
            ids = sorted(batch.chains)
            titles: dict[int, Title] = {}
            reports: dict[tuple[int, int], AnnualReport] = {}
            for k in range(0, len(ids), CHUNK):
                part = ids[k : k + CHUNK]
                for title in s.scalars(select(Title).where(Title.application_id.in_(part))):
                    titles[title.application_id] = title
                stmt = (
                    select(AnnualReport)
                    .join(Title, AnnualReport.title_id == Title.id)
                    .where(Title.application_id.in_(part))
                )
                for report in s.scalars(stmt):
                    reports[(report.title_id, report.report_year)] = report
            late_by_due: dict[date, int] = {}
            submitted: dict[int, datetime] = {}
            by_id: dict[str, Edition] = {}

            def forms_of(edition_id: str) -> Edition:
                found = by_id.get(edition_id)
                if found is None:
                    found = by_id[edition_id] = load_edition(edition_id)
                return found

            updates: list[dict[str, Any]] = []
            results: list[EventResult] = []
            for item in items:
                chain = batch.chains[item.app_id]
                edition = editions[chain.campaign_id]
                title = titles.get(chain.id)
                report = reports.get((title.id, item.report_year)) if title is not None else None
                outcome: Outcome | None = item.refused
                at = None if report is None else submitted.get(report.id, report.submitted_at)
                if outcome is None:
                    problems = (
                        tuple(
                            _report_problems(
                                forms_of(title.edition_id), item.report_year, item.data
                            )
                        )
                        if report is not None and title is not None
                        else ()
                    )
                    outcome = evaluate_event(
                        EventFacts(
                            event=trigger,
                            actor=item.actor,
                            now=now,
                            application=application_facts(chain, edition.id),
                            report=ReportEventFacts(
                                item.report_year,
                                title.status if title is not None else None,
                                report is not None,
                                format_instant(at) if at is not None else None,
                                holder_uscc=chain.uscc,
                                problems=problems,
                            ),
                            clauses=edition_clauses(edition),
                        )
                    )
                if not outcome.accepted:
                    seq = batch.record(
                        chain.id, trigger, item.actor, now, accepted=False, rule=outcome.rule,
                        message=outcome.message,
                    )  # fmt: skip
                    results.append(EventResult(chain.id, False, outcome.rule, outcome.message, seq))
                    continue
                assert title is not None and report is not None
                late = late_by_due.get(report.due_date)
                if late is None:
                    late = late_by_due[report.due_date] = events.working_days_late(
                        report.due_date, now, calendar.count_working_days
                    )
                version = calendar.version if late else ""
                submitted[report.id] = now  # a second report in this batch is refused
                updates.append(
                    {
                        "b_id": report.id,
                        "b_at": now,
                        "b_by": str(item.actor),
                        "b_data": dict(item.data),
                        "b_overdue": late > 0,
                        "b_late": late,
                        "b_version": version,
                    }
                )
                when = f"{late} working day(s) late" if late else "on time"
                seq = batch.record(
                    chain.id, trigger, item.actor, now, accepted=True, rule=ACCEPTED,
                    message=f"accepted: annual report on {item.report_year} of application "
                    f"{chain.id}, {when} (due {report.due_date.isoformat()})",
                    details={
                        "report": {
                            "year": item.report_year,
                            "due_date": report.due_date.isoformat(),
                            "overdue": late > 0,
                            "working_days_late": late,
                            "calendar_version": version,
                        }
                    },
                )  # fmt: skip
                done = ReportSubmitted(report.id, item.report_year, report.due_date, late > 0, late)
                results.append(EventResult(chain.id, True, ACCEPTED, "", seq, done))
            if updates:
                r = AnnualReport.__table__
                stmt = (
                    update(r)
                    .where(r.c.id == bindparam("b_id"), r.c.submitted_at.is_(None))
                    .values(
                        submitted_at=bindparam("b_at"),
                        submitted_by=bindparam("b_by"),
                        data=bindparam("b_data"),
                        overdue=bindparam("b_overdue"),
                        working_days_late=bindparam("b_late"),
                        calendar_version=bindparam("b_version"),
                    )
                )
                if s.connection().execute(stmt, updates).rowcount != len(updates):
                    raise Conflict(
                        "冲突: a report was submitted by another transaction at the same time; "
                        "nothing was changed, reload and try again"
                    )
            batch.write()
        return results

    def overdue(
        self,
        *,
        now: datetime,
        province: str | None = None,
        edition_id: str | None = None,
        include_submitted: bool = False,
    ) -> list[OverdueRow]:
        """Reports past their due day and not submitted (and, if asked, those submitted late),
        of titles not revoked, with the working days late."""
        require_aware(now, "--now")
        short = normalize_province(province) if province else None
        if edition_id is not None:
            load_edition(edition_id)
        today = local_date(now)
        pending = and_(AnnualReport.submitted_at.is_(None), AnnualReport.due_date < today)
        cond = or_(pending, AnnualReport.overdue.is_(True)) if include_submitted else pending
        stmt = (
            select(AnnualReport, Title, Application)
            .join(Title, AnnualReport.title_id == Title.id)
            .join(Application, Title.application_id == Application.id)
            .where(cond, Title.status == title_rules.TITLE_ACTIVE)
            .order_by(AnnualReport.due_date, Application.id)
        )
        if short is not None:
            stmt = stmt.where(Application.province == short)
        if edition_id is not None:
            stmt = stmt.where(Title.edition_id == edition_id)
        count = self.calendar.count_working_days
        with self.db.sessions() as s:
            rows = s.execute(stmt).all()
        return [
            OverdueRow(
                app_id=app.id,
                name=app.name,
                province=app.province,
                edition_id=title.edition_id,
                report_year=report.report_year,
                due_date=report.due_date,
                submitted_at=report.submitted_at,
                working_days_late=(
                    report.working_days_late
                    if report.submitted_at is not None and report.working_days_late is not None
                    else events.working_days_late(report.due_date, now, count)
                ),
            )
            for report, title, app in rows
        ]

    # -- recertification ------------------------------------------------------------------------
    def open_recertification(
        self,
        *,
        actor: Actor,
        now: datetime,
        app_id: int | None = None,
        edition_id: str | None = None,
    ) -> list[Result]:
        """Open the recertification (复审) of one application, or of every title now due."""
        with self._tx(now) as tx:
            s = tx.session
            if app_id is not None:
                self._app(s, app_id)
                title = s.scalar(select(Title).where(Title.application_id == app_id))
                if title is None:
                    raise NotFound(f"APP: application {app_id} holds no confirmed title")
                titles = [title]
            else:
                stmt = select(Title).where(
                    Title.status == title_rules.TITLE_ACTIVE,
                    Title.next_recert_due.is_not(None),
                    Title.next_recert_due <= local_date(now),
                )
                if edition_id is not None:
                    load_edition(edition_id)
                    stmt = stmt.where(Title.edition_id == edition_id)
                titles = [
                    t
                    for t in s.scalars(stmt.order_by(Title.application_id))
                    if self._app(s, t.application_id).status == State.CONFIRMED.value
                ]
            cycles = {
                t.id: 1
                + len(
                    s.scalars(
                        select(Recertification.id).where(Recertification.title_id == t.id)
                    ).all()
                )
                for t in titles
            }
            requests = [
                Request(
                    t.application_id,
                    "open_recertification",
                    actor,
                    details={
                        "title": title_name(load_edition(t.edition_id)),
                        "recertification": {
                            "cycle_no": cycles[t.id],
                            "due_date": t.next_recert_due.isoformat()
                            if t.next_recert_due
                            else None,
                        },
                    },
                    recert=RecertFacts(due=t.next_recert_due),
                )
                for t in titles
            ]
            due = {t.application_id: t for t in titles}
            results = tx.move(requests)
            for r in results:
                if r.accepted:
                    t = due[r.application_id]
                    assert t.next_recert_due is not None
                    s.add(
                        Recertification(
                            title_id=t.id,
                            cycle_no=cycles[t.id],
                            due_date=t.next_recert_due,
                            opened_at=now,
                            opened_by=str(actor),
                        )
                    )
        if app_id is not None and results and not results[0].accepted:
            raise results[0].refusal()
        return results

    def _open_recert(self, s: Session, title: Title) -> Recertification | None:
        return s.scalar(
            select(Recertification)
            .where(Recertification.title_id == title.id, Recertification.outcome.is_(None))
            .order_by(Recertification.cycle_no.desc())
            .limit(1)
        )

    def renew(
        self, app_id: int, *, reason: str | None = None, actor: Actor, now: datetime
    ) -> Result:
        """Recertification passed: the title gets a new term from today."""
        reason = text.reason(reason)
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id)
            edition = load_edition(app.campaign.edition_id)
            title = s.scalar(select(Title).where(Title.application_id == app_id))
            today = local_date(now)
            cycle = edition.recert_cycle_years
            term = title_rules.title_term(today, cycle) if cycle else None
            details: dict[str, Any] = {"title": title_name(edition)}
            if term is not None:
                details.update(term=term.label(), start_date=today.isoformat())
            (result,) = tx.move([Request(app_id, "renew", actor, reason, details)])
            if result.accepted and title is not None and term is not None and cycle:
                title.term_first, title.term_last = term.first_year, term.last_year
                title.start_date = today
                title.next_recert_due = title_rules.recertification_due(today, cycle)
                recert = self._open_recert(s, title)
                if recert is not None:
                    recert.decided_at = now
                    recert.decided_by = str(actor)
                    recert.outcome = "renewed"
                    recert.reason = reason
                    recert.new_term_first = term.first_year
                    recert.new_term_last = term.last_year
        if not result.accepted:
            raise result.refusal()
        return result

    def revoke(self, app_id: int, *, reason: str, actor: Actor, now: datetime) -> Result:
        """Revoke the title (撤销称号) with a reason; its annual reporting stops."""
        reason = text.reason_required(reason)
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id)
            title = s.scalar(select(Title).where(Title.application_id == app_id))
            details: dict[str, Any] = {"title": title_name(load_edition(app.campaign.edition_id))}
            if title is not None:
                details["term"] = _term_label(title.term_first, title.term_last)
            (result,) = tx.move([Request(app_id, "revoke", actor, reason, details)])
            if result.accepted and title is not None:
                title.status = title_rules.title_status(result.to_state)
                title.revoked_at = now
                title.revoke_reason = (reason or "").strip()
                title.next_recert_due = None
                recert = self._open_recert(s, title)
                if recert is not None:
                    recert.decided_at = now
                    recert.decided_by = str(actor)
                    recert.outcome = "revoked"
                    recert.reason = title.revoke_reason
        if not result.accepted:
            raise result.refusal()
        return result

    def title(self, app_id: int) -> Title | None:
        with self.db.sessions() as s:
            return s.scalar(select(Title).where(Title.application_id == app_id))


def _report_problems(edition: Edition, report_year: int, data: Mapping[str, Any]) -> list[str]:
    """Every problem in a yearly report: the edition's report form, and the year it is for."""
    from programs.forms import validate_annual_report  # loaded on first use (xlsx, docx)
    from programs.forms.resolve import forms_edition_id

    forms = forms_edition_id(edition)  # an edition without forms of its own takes its program's

    # the year reported on is the title's (reports continue 每年 while the title stands, renewed
    # terms included: 商办服贸函〔2021〕360号 附件1 十一、十三), checked against the report opened
    # below; the form's year span (the edition's first term) does not bound it
    problems = [
        str(issue)
        for issue in validate_annual_report(forms, data)
        if not (issue.path == "report.year" and issue.code == "year_span")
    ]
    section = data.get("report") if isinstance(data, Mapping) else None
    if isinstance(section, Mapping) and "year" in section:
        try:
            given = int(str(section["year"]))
        except ValueError:
            given = None
        if given is not None and given != report_year:
            problems.append(
                f"report.year: 报告年度{given}与报送年度{report_year}不符 (the report is on "
                f"{given}, submitted for {report_year})"
            )
    return problems
