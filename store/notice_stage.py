"""公示: publish the shortlist for its notice period, objections filed and resolved, the notice
closed (confirm, remove, hold), results confirmed where an edition holds no 公示."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from deadlines import (
    NoticePeriod,
    local_date,
    require_aware,
)
from programs import text
from programs.editions import Edition, load_edition
from states import notice as notice_rules
from states import titles as title_rules
from states.actors import Actor
from states.campaign_rules import CampaignFacts, check_campaign
from states.event_rules import (
    EventFacts,
    ObjectionEventFacts,
    ResolutionEventFacts,
    evaluate_event,
)
from states.lifecycle import State
from states.rules import NoticeFacts, edition_clauses
from store import events
from store.models import Application
from store.review_base import (
    ReviewBase,
    _details_notice,
    _On,
    _require_role,
    _term_label,
    application_facts,
    title_name,
)
from store.review_models import (
    Notice,
    NoticeEntry,
    Objection,
    Title,
)
from store.transitions import NotFound, Request, Result


@dataclass(frozen=True)
class PublishedNotice:
    notice_id: int | None
    period: NoticePeriod
    results: list[Result]


@dataclass(frozen=True)
class CloseOutcome:
    """The notice closed: confirmed, removed, held by an unresolved objection, still running."""

    results: list[Result]
    confirmed: list[int]
    removed: list[int]
    held: dict[int, str]
    running: dict[int, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "confirmed": self.confirmed,
            "removed": self.removed,
            "held": {str(k): v for k, v in self.held.items()},
            "running": {str(k): v for k, v in self.running.items()},
            "refused": [
                {"id": r.application_id, "rule": r.rule, "message": r.message}
                for r in self.results
                if not r.accepted
            ],
        }


class NoticeStage(ReviewBase):
    """Publish, object, resolve, close, confirm results."""

    def publish_notice(self, campaign_id: int, *, at: datetime, actor: Actor) -> PublishedNotice:
        """Publish the shortlisted applications for 公示 at instant `at` (the period starts on its
        day, or the next working day, and lasts the edition's working days)."""
        require_aware(at, "--at")
        with self._tx(at) as tx:
            s = tx.session
            campaign = self._campaign(s, campaign_id)
            edition = load_edition(campaign.edition_id)
            pending = s.scalars(
                select(Application.id).where(
                    Application.campaign_id == campaign_id,
                    Application.status == State.EXPERT_SCORING.value,
                )
            ).all()
            check_campaign(
                CampaignFacts(
                    act="notice.publish",
                    actor=actor,
                    now=at,
                    campaign_id=campaign_id,
                    edition_id=edition.id,
                    in_scoring=tuple(sorted(pending)),
                    clauses=edition_clauses(edition),
                )
            )
            t = Application.__table__
            apps = s.execute(  # the columns the list shows, as rows
                select(t.c.id, t.c.name, t.c.province, t.c.group_name, t.c.category)
                .where(t.c.campaign_id == campaign_id, t.c.status == State.SHORTLISTED.value)
                .order_by(t.c.category, t.c.id)
            ).all()
            if not apps:
                raise NotFound(
                    f"notice: campaign {campaign_id} has no shortlisted application to publish"
                )
            if not edition.has_notice:
                requests = [
                    Request(a.id, "publish_notice", actor, notice=NoticeFacts(has_notice=False))
                    for a in apps
                ]
                results = tx.move(requests)
                period = None
            else:
                assert edition.notice_working_days is not None
                period = self.calendar.notice_period(at, edition.notice_working_days)
                info = _details_notice(period, at)
                entries = [(a.id, a.name, a.province, a.group_name, a.category) for a in apps]
                requests = [
                    Request(
                        a.id,
                        "publish_notice",
                        actor,
                        details={"notice": info},
                        notice=NoticeFacts(has_notice=True),
                    )
                    for a in apps
                ]
                results = tx.move(requests)
                accepted = {r.application_id for r in results if r.accepted}
                notice_id = None
                if accepted:
                    notice = Notice(
                        campaign_id=campaign_id,
                        published_at=at,
                        published_by=str(actor),
                        first_day=period.first,
                        last_day=period.last,
                        ends_at=period.ends_at,
                        working_days=period.working_days,
                        calendar_version=period.calendar_version,
                        label=period.label(),
                    )
                    s.add(notice)
                    s.flush()
                    notice_id = notice.id
                    listed = [e for e in entries if e[0] in accepted]
                    s.execute(
                        insert(NoticeEntry.__table__),
                        [
                            {
                                "notice_id": notice.id,
                                "application_id": app_id,
                                "position": position,
                                "name": name,
                                "province": province,
                                "group_name": group,
                                "category": category,
                            }
                            for position, (app_id, name, province, group, category) in enumerate(
                                listed, start=1
                            )
                        ],
                    )
        refused = [r for r in results if not r.accepted]
        if period is None or not any(r.accepted for r in results):
            raise refused[0].refusal()
        return PublishedNotice(notice_id, period, results)

    def file_objection(
        self, app_id: int, *, contact: str, reason: str, actor: Actor, now: datetime
    ) -> int:
        """Record an objection (异议); accepted only while the notice period runs."""
        contact, reason = text.objector_contact(contact), text.reason_required(reason)
        trigger = "objection:file"
        notice_rules.Objection(  # the contact and the reason are required
            id="new", app_id=str(app_id), filed_at=now, objector_contact=contact, reason=reason
        )
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id, lock=True)
            on = _On(app.id, trigger, actor, reason)
            entry = s.scalar(select(NoticeEntry).where(NoticeEntry.application_id == app.id))
            notice = s.get(Notice, entry.notice_id) if entry is not None else None
            edition = load_edition(app.campaign.edition_id)
            outcome = evaluate_event(
                EventFacts(
                    event=trigger,
                    actor=actor,
                    now=now,
                    application=application_facts(app, edition.id),
                    objection=ObjectionEventFacts(
                        notice.first_day, notice.ends_at, notice.published_at
                    )
                    if notice is not None
                    else None,
                    clauses=edition_clauses(edition),
                )
            )
            if not outcome.accepted:
                details = (
                    {"notice": _details_notice(notice, notice.published_at)}
                    if notice is not None
                    else None
                )
                raise on.refuse(outcome.rule, outcome.message, details=details)
            assert notice is not None
            row = Objection(
                application_id=app.id,
                notice_id=notice.id,
                filed_at=now,
                filed_by=str(actor),
                objector_contact=contact.strip(),
                reason=reason.strip(),
            )
            s.add(row)
            s.flush()
            self._event(
                s,
                app,
                trigger,
                actor,
                now,
                f"accepted: objection {row.id} to application {app.id} filed during the notice "
                f"{notice.label}",
                reason=row.reason,
                details={"objection": row.id, "notice_id": notice.id},
            )
            events.enqueue_objection(s, app, row, "filed", now)
            return row.id

    def resolve_objection(
        self,
        objection_id: int,
        outcome: str,
        *,
        reason: str,
        actor: Actor,
        now: datetime,
    ) -> None:
        """The ministry's decision on an objection: upheld (成立) or dismissed (不成立), with reason."""
        reason = text.reason_required(reason)
        trigger = "objection:resolve"
        with self.db.sessions() as s:
            found = s.get(Objection, objection_id)
            if found is None:
                raise NotFound(f"OBJECTION: no objection with id {objection_id}")
            app_id = found.application_id
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id, lock=True)
            row = s.get(Objection, objection_id)
            assert row is not None
            on = _On(app.id, trigger, actor, reason)
            edition = load_edition(app.campaign.edition_id)
            verdict = evaluate_event(
                EventFacts(
                    event=trigger,
                    actor=actor,
                    now=now,
                    application=application_facts(app, edition.id),
                    resolution=ResolutionEventFacts(objection_id, outcome, row.resolution),
                    reason=reason,
                    clauses=edition_clauses(edition),
                )
            )
            if not verdict.accepted:
                raise on.refuse(verdict.rule, verdict.message)
            decided = notice_rules.resolve_objection(
                _pure_objection(row), outcome, reason, resolved_at=now
            )
            row.resolution = decided.resolution
            row.resolution_reason = decided.resolution_reason
            row.resolved_at = now
            row.resolved_by = str(actor)
            self._event(
                s,
                app,
                trigger,
                actor,
                now,
                f"accepted: objection {row.id} to application {app.id} resolved as "
                f"{decided.resolution} ({notice_rules.RESOLUTIONS[str(decided.resolution)]})",
                reason=decided.resolution_reason,
                details={"objection": row.id, "resolution": decided.resolution},
            )
            events.enqueue_objection(s, app, row, "resolved", now)

    def objections(self, campaign_id: int) -> list[Objection]:
        with self.db.sessions() as s:
            stmt = (
                select(Objection)
                .join(Application, Objection.application_id == Application.id)
                .where(Application.campaign_id == campaign_id)
                .order_by(Objection.id)
            )
            return list(s.scalars(stmt))

    def close_notice(self, campaign_id: int, *, actor: Actor, now: datetime) -> CloseOutcome:
        """Decide every application on notice: confirmed (with its title), removed, or held.

        Attempts on a notice still running are refused by RequireNoticeOver and audited; when
        nothing could be decided the first refusal is raised.
        """
        with self._tx(now) as tx:
            s = tx.session
            campaign = self._campaign(s, campaign_id)
            edition = load_edition(campaign.edition_id)
            rows = s.execute(  # application ids and their notices (a few, mapped once each)
                select(Application.id, Notice)
                .join(NoticeEntry, NoticeEntry.application_id == Application.id)
                .join(Notice, NoticeEntry.notice_id == Notice.id)
                .where(
                    Application.campaign_id == campaign_id,
                    Application.status == State.PUBLIC_NOTICE.value,
                )
                .order_by(Application.id)
            ).all()
            if not rows:
                raise NotFound(f"notice: campaign {campaign_id} has no application on notice")
            app_ids = [app_id for app_id, _n in rows]
            objections: dict[int, list[Objection]] = {}
            for o in s.scalars(select(Objection).where(Objection.application_id.in_(app_ids))):
                objections.setdefault(o.application_id, []).append(o)
            confirmed_on = local_date(now)
            term = _term_for(edition, confirmed_on)
            recert = edition.recertification_due(confirmed_on, self.calendar)
            requests: list[Request] = []
            held: dict[int, str] = {}
            running: dict[int, str] = {}
            infos: dict[int, tuple[str, dict[str, Any]]] = {}
            for app_id, notice in rows:
                objs = objections.get(app_id, [])
                outcome = notice_rules.notice_outcome(
                    now, notice.ends_at, [_pure_objection(o) for o in objs]
                )
                if notice.id not in infos:
                    infos[notice.id] = (
                        notice_rules.last_second_label(notice.ends_at),
                        _details_notice(notice, notice.published_at),
                    )
                ends, info = infos[notice.id]
                facts = NoticeFacts(has_notice=True, outcome=outcome, ends=ends)
                if outcome == "hold":
                    pending = [o.id for o in objs if o.resolution is None]
                    held[app_id] = (
                        f"异议尚未处理: objection(s) {', '.join(map(str, pending))} to application "
                        f"{app_id} are not resolved; it stays on notice until they are"
                    )
                    continue
                if outcome == "running":
                    running[app_id] = f"公示期未结束: the notice period runs until {ends}"
                    requests.append(
                        Request(app_id, "confirm", actor, details={"notice": info}, notice=facts)
                    )
                elif outcome == "remove":
                    upheld = [o for o in objs if o.resolution == "upheld"]
                    why = "；".join(o.resolution_reason or "" for o in upheld)
                    requests.append(
                        Request(
                            app_id,
                            "remove",
                            actor,
                            reason=f"公示异议成立：{why}",
                            details={"notice": info, "objections": [o.id for o in upheld]},
                            notice=facts,
                        )
                    )
                else:
                    details = {
                        "notice": info,
                        "title": title_name(edition),
                        "term": _term_label(term[0], term[1]),
                        "start_date": confirmed_on.isoformat(),
                        "next_recert_due": recert.day.isoformat() if recert else None,
                    }
                    requests.append(
                        Request(app_id, "confirm", actor, details=details, notice=facts)
                    )
            results = tx.move(requests)
            confirmed = [r.application_id for r in results if r.to_state == "confirmed"]
            removed = [r.application_id for r in results if r.to_state == "removed_after_notice"]
            _add_titles(s, edition, confirmed, confirmed_on, term, recert)
        refused = [r for r in results if not r.accepted]
        if refused and not confirmed and not removed and not held:
            raise refused[0].refusal()
        return CloseOutcome(results, confirmed, removed, held, running)

    def confirm_results(self, campaign_id: int, *, actor: Actor, now: datetime) -> list[Result]:
        """Editions without 公示 (the 推介 editions): the shortlist is confirmed as announced."""
        with self._tx(now) as tx:
            s = tx.session
            campaign = self._campaign(s, campaign_id)
            edition = load_edition(campaign.edition_id)
            _require_role(actor, "notice.results")
            ids = list(
                s.scalars(
                    select(Application.id)
                    .where(
                        Application.campaign_id == campaign_id,
                        Application.status == State.SHORTLISTED.value,
                    )
                    .order_by(Application.id)
                )
            )
            if not ids:
                raise NotFound(f"results: campaign {campaign_id} has no shortlisted application")
            confirmed_on = local_date(now)
            term = _term_for(edition, confirmed_on)
            recert = edition.recertification_due(confirmed_on, self.calendar)
            details = {
                "title": title_name(edition),
                "term": _term_label(term[0], term[1]),
                "start_date": confirmed_on.isoformat(),
            }
            no_notice = NoticeFacts(has_notice=edition.has_notice)
            results = tx.move(
                [Request(i, "confirm", actor, details=details, notice=no_notice) for i in ids]
            )
            confirmed = [r.application_id for r in results if r.to_state == "confirmed"]
            _add_titles(s, edition, confirmed, confirmed_on, term, recert)
        refused = [r for r in results if not r.accepted]
        if refused and not confirmed:
            raise refused[0].refusal()
        return results


def _pure_objection(row: Objection) -> notice_rules.Objection:
    return notice_rules.Objection(
        id=str(row.id),
        app_id=str(row.application_id),
        filed_at=row.filed_at,
        objector_contact=row.objector_contact,
        reason=row.reason,
        resolution=row.resolution,  # type: ignore[arg-type]
        resolution_reason=row.resolution_reason,
        resolved_at=row.resolved_at,
    )


def _term_for(edition: Edition, confirmed_on: date) -> tuple[int, int | None]:
    """The term of a title confirmed now: the edition's, else cycle years, else open-ended."""
    if edition.term is None and edition.recert_cycle_years is None:
        return confirmed_on.year, None
    term = title_rules.title_term(confirmed_on, edition.recert_cycle_years or 1, edition.term)
    return term.first_year, term.last_year


def _add_titles(
    s: Session,
    edition: Edition,
    app_ids: Sequence[int],
    confirmed_on: date,
    term: tuple[int, int | None],
    recert: Any,
) -> None:
    """The title of each newly confirmed application, with its term and next recertification."""
    for app_id in app_ids:
        s.add(
            Title(
                application_id=app_id,
                edition_id=edition.id,
                term_first=term[0],
                term_last=term[1],
                confirmed_on=confirmed_on,
                start_date=confirmed_on,
                next_recert_due=recert.day if recert else None,
                status=title_rules.title_status(State.CONFIRMED),
            )
        )
