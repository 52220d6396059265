"""Use cases after the provincial review: expert scoring, shortlist, 公示 with objections, confirmed
titles, annual reports and recertification. Each is one transaction; every event is audited."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from deadlines import (
    Calendar,
    NoticePeriod,
    default_calendar,
    format_instant,
    local_date,
    require_aware,
    to_shanghai,
)
from programs.editions import Edition, load_edition
from programs.provinces import normalize_province
from states import notice as notice_rules
from states import scoring
from states import titles as title_rules
from states.actors import Actor, Role
from states.lifecycle import State
from states.rules import Refusal
from store import audit, events
from store.models import Application, Campaign
from store.review_models import (
    AnnualReport,
    ExpertAssignment,
    ExpertScore,
    Notice,
    NoticeEntry,
    Objection,
    Recertification,
    ScoringSheet,
    Title,
)
from store.service import Lifecycle
from store.transitions import Conflict, NotFound, Request, Result

ACCEPTED = "Review"  # the rule name on accepted events that move no state
# States of applications that went through expert scoring (a withdrawn one leaves the ranking);
# all but the first are decided by the shortlist cut.
SCORED_STATES = (
    State.EXPERT_SCORING.value,
    State.SHORTLISTED.value,
    State.NOT_SHORTLISTED.value,
    State.PUBLIC_NOTICE.value,
    State.REMOVED_AFTER_NOTICE.value,
    State.CONFIRMED.value,
    State.UNDER_RECERTIFICATION.value,
    State.REVOKED.value,
)
SHEET_EXTRA_KEYS = ("top_k", "min_score")


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class RankRow:
    """One application in the ranking of its category."""

    app_id: int
    name: str
    province: str | None
    category: str
    state: str
    score: Decimal | None
    rank: int | None
    experts_scored: int
    complete: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.app_id,
            "name": self.name,
            "province": self.province,
            "category": self.category,
            "state": self.state,
            "score": str(self.score) if self.score is not None else None,
            "rank": self.rank,
            "experts_scored": self.experts_scored,
            "complete": self.complete,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class TieReport:
    """Equal scores straddling the cut: the coordinator picks `slots_left` of `app_ids`."""

    category: str
    score: Decimal
    app_ids: tuple[int, ...]
    slots_left: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "score": str(self.score),
            "app_ids": list(self.app_ids),
            "slots_left": self.slots_left,
        }


@dataclass(frozen=True)
class ShortlistOutcome:
    """What a shortlist run decided, what it left to the coordinator, and what it could not cut."""

    results: list[Result]
    selected: dict[str, list[int]]
    not_selected: dict[str, list[int]]
    ties: list[TieReport]
    held: dict[int, str]  # application -> why it stays in scoring (refused and audited)
    waiting: list[int]  # complete, but its category waits for the held ones
    top_k: int | None
    min_score: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "top_k": self.top_k,
            "min_score": str(self.min_score) if self.min_score is not None else None,
            "shortlisted": [r.application_id for r in self.results if r.to_state == "shortlisted"],
            "not_shortlisted": [
                r.application_id for r in self.results if r.to_state == "not_shortlisted"
            ],
            "selected": self.selected,
            "not_selected": self.not_selected,
            "ties": [t.to_dict() for t in self.ties],
            "held": {str(k): v for k, v in self.held.items()},
            "waiting": self.waiting,
            "refused": [
                {"id": r.application_id, "rule": r.rule, "message": r.message}
                for r in self.results
                if not r.accepted
            ],
        }


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


# ---------------------------------------------------------------------------------------------
# Internals


class _Refused(Exception):
    """A refused event: audited in its own transaction after the rollback, then raised."""

    def __init__(
        self,
        app_id: int,
        trigger: str,
        actor: Actor,
        rule: str,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(rule, message)
        self.app_id = app_id
        self.trigger = trigger
        self.actor = actor
        self.rule = rule
        self.message = message
        self.reason = reason
        self.details = details or {}


@dataclass(frozen=True)
class _On:
    """The application, event and actor (and reason) a refusal is recorded against."""

    app_id: int
    trigger: str
    actor: Actor
    reason: str | None = None

    def refuse(self, rule: str, message: str, details: dict[str, Any] | None = None) -> _Refused:
        return _Refused(self.app_id, self.trigger, self.actor, rule, message, self.reason, details)


class _Tx:
    """One unit of work: a session and the lifecycle moves made in it."""

    def __init__(self, session: Session, review: Review, now: datetime) -> None:
        self.session = session
        self.review = review
        self.now = now
        self.requests: list[Request] = []

    def move(self, requests: Sequence[Request]) -> list[Result]:
        """Fire triggers through the transition engine in this transaction."""
        if not requests:
            return []
        self.requests.extend(requests)
        self.session.flush()
        return self.review.lifecycle.engine().run(self.session, requests, self.now)


@dataclass
class _AppScoring:
    app: Application
    assignments: list[scoring.Assignment]
    totals: list[Decimal]
    complete: bool
    detail: str
    score: Decimal | None


def _details_notice(notice: Notice | NoticePeriod, published_at: datetime) -> dict[str, Any]:
    if isinstance(notice, Notice):
        first, last, ends_at = notice.first_day, notice.last_day, notice.ends_at
        days, version, label = notice.working_days, notice.calendar_version, notice.label
    else:
        first, last, ends_at = notice.first, notice.last, notice.ends_at
        days, version, label = notice.working_days, notice.calendar_version, notice.label()
    return {
        "first": first.isoformat(),
        "last": last.isoformat(),
        "label": label,
        "ends_at": to_shanghai(ends_at).isoformat(),
        "ends_label": notice_rules.last_second_label(ends_at),
        "working_days": days,
        "published_at": format_instant(published_at),
        "calendar_version": version,
    }


def _role_refusal(actor: Actor, action: str, allowed: str) -> str:
    return (
        f"无权操作: role {actor.role.value} ({actor.role.label_zh}) may not {action}; "
        f"allowed: {allowed}"
    )


def title_name(edition: Edition) -> str:
    """The name of the title an edition confers (e.g. 信息技术外包和制造业融合发展重点企业)."""
    return edition.title_name or edition.title


def _term_label(first: int, last: int | None) -> str:
    return f"{first}–{last}" if last is not None else f"{first}起（未规定期限）"


def _require_ministry(actor: Actor, action: str, *, system: bool = False) -> None:
    allowed = {Role.MINISTRY, Role.SYSTEM} if system else {Role.MINISTRY}
    if actor.role not in allowed:
        names = "ministry, system" if system else "ministry"
        raise Refusal("EnforceActorRole", _role_refusal(actor, action, names))


# ---------------------------------------------------------------------------------------------
# The service


class Review:
    """Expert scoring through recertification, over the lifecycle service of one database."""

    def __init__(self, lifecycle: Lifecycle, calendar: Calendar | None = None) -> None:
        self.lifecycle = lifecycle
        self.db = lifecycle.db
        self._calendar = calendar

    @property
    def calendar(self) -> Calendar:
        return self._calendar or default_calendar()

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def _tx(self, now: datetime) -> Iterator[_Tx]:
        """A transaction; a refusal is audited after the rollback, a conflict audited per move."""
        require_aware(now, "--now")
        tx: _Tx | None = None
        try:
            with self.db.transaction() as s:
                tx = _Tx(s, self, now)
                yield tx
        except _Refused as refused:
            self._record_refusal(refused, now)
            refusal = Refusal(refused.rule, refused.message)
            refusal.audited = True
            raise refusal from None
        except Conflict:
            self.lifecycle.audit_conflicts(tx.requests if tx is not None else (), now)
            raise

    def _record_refusal(self, refused: _Refused, now: datetime) -> None:
        self.lifecycle.audit_refusal(
            refused.app_id,
            refused.trigger,
            refused.actor,
            now,
            refused.rule,
            refused.message,
            reason=refused.reason,
            details=refused.details,
        )

    def _event(
        self,
        s: Session,
        app: Application,
        trigger: str,
        actor: Actor,
        now: datetime,
        message: str,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Audit an accepted event that moves no state, in the caller's transaction."""
        audit.append(
            s,
            app,
            trigger=trigger,
            from_state=app.status,
            to_state=app.status,
            accepted=True,
            actor_role=actor.role.value,
            actor_scope=actor.scope,
            reason=reason,
            rule=ACCEPTED,
            message=message,
            at=now,
            details=details or {},
        )

    @staticmethod
    def _app(s: Session, app_id: int, *, lock: bool = False) -> Application:
        app = s.get(Application, app_id, with_for_update={"of": Application} if lock else None)
        if app is None:
            raise NotFound(f"APP: no application with id {app_id}")
        return app

    @staticmethod
    def _campaign(s: Session, campaign_id: int) -> Campaign:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound(f"campaign: no campaign with id {campaign_id}")
        return campaign

    def campaign_id(self, edition_id: str, year: int | None = None) -> int:
        """The campaign of an edition (the latest year unless `year` is given)."""
        with self.db.sessions() as s:
            return self.lifecycle.campaign_for(s, edition_id, year).id

    # -- scoring sheet --------------------------------------------------------------------------
    def define_sheet(
        self, campaign_id: int, data: Mapping[str, Any], *, actor: Actor, now: datetime
    ) -> scoring.ScoringSheet:
        """Store the campaign's scoring sheet; it is fixed once an expert has scored.

        `data` holds criteria, aggregation and conflict_same_province (states.scoring), and may
        name the default cut: top_k and/or min_score.
        """
        require_aware(now, "--now")
        _require_ministry(actor, "define a scoring sheet")
        if not isinstance(data, Mapping):
            raise scoring.ScoringError(["sheet: 必须是映射 (must be a mapping)"])
        plain = {k: v for k, v in data.items() if k not in SHEET_EXTRA_KEYS}
        problems: list[str] = []
        try:
            sheet = scoring.ScoringSheet.from_mapping(plain)
        except scoring.ScoringError as exc:
            problems.extend(exc.errors)
        top_k, min_score = data.get("top_k"), data.get("min_score")
        try:
            top_k, min_score = _cut(top_k, min_score, required=False)
        except scoring.ScoringError as exc:
            problems.extend(exc.errors)
        if problems:
            raise scoring.ScoringError(problems)
        with self.db.transaction() as s:
            self._campaign(s, campaign_id)
            row = s.scalar(select(ScoringSheet).where(ScoringSheet.campaign_id == campaign_id))
            if row is not None and self._any_score(s, campaign_id):
                raise Refusal(
                    "SheetFixedOnceScored",
                    f"评分表已启用: experts have already scored in campaign {campaign_id}; the "
                    "sheet they scored against cannot be changed",
                )
            if row is None:
                row = ScoringSheet(campaign_id=campaign_id)
                s.add(row)
            row.sheet = sheet.to_mapping()
            row.aggregation = sheet.aggregation
            row.conflict_same_province = sheet.conflict_same_province
            row.top_k = top_k
            row.min_score = min_score
            row.defined_at = now
            row.defined_by = str(actor)
        return sheet

    @staticmethod
    def _any_score(s: Session, campaign_id: int) -> bool:
        stmt = (
            select(ExpertScore.id)
            .join(ExpertAssignment, ExpertScore.assignment_id == ExpertAssignment.id)
            .join(Application, ExpertAssignment.application_id == Application.id)
            .where(Application.campaign_id == campaign_id)
            .limit(1)
        )
        return s.scalar(stmt) is not None

    @staticmethod
    def _sheet_row(s: Session, campaign_id: int) -> ScoringSheet | None:
        return s.scalar(select(ScoringSheet).where(ScoringSheet.campaign_id == campaign_id))

    def sheet(self, campaign_id: int) -> scoring.ScoringSheet | None:
        with self.db.sessions() as s:
            row = self._sheet_row(s, campaign_id)
            return scoring.ScoringSheet.from_mapping(row.sheet) if row is not None else None

    # -- experts --------------------------------------------------------------------------------
    def open_scoring(
        self,
        campaign_id: int,
        *,
        now: datetime,
        actor: Actor,
        app_ids: Sequence[int] | None = None,
    ) -> list[Result]:
        """Move the campaign's recommended applications (or those given) into expert scoring."""
        with self._tx(now) as tx:
            s = tx.session
            self._campaign(s, campaign_id)
            if app_ids is None:
                app_ids = list(
                    s.scalars(
                        select(Application.id)
                        .where(
                            Application.campaign_id == campaign_id,
                            Application.status == State.RECOMMENDED.value,
                        )
                        .order_by(Application.id)
                    )
                )
            results = tx.move([Request(a, "open_scoring", actor) for a in app_ids])
        return results

    @staticmethod
    def _ministry_only(on: _On) -> None:
        if on.actor.role is not Role.MINISTRY:
            raise on.refuse(
                "EnforceActorRole",
                _role_refusal(on.actor, f"{on.trigger} on application {on.app_id}", "ministry"),
            )

    def _expert_checks(
        self,
        s: Session,
        app: Application,
        on: _On,
        expert: scoring.ExpertFacts,
    ) -> ScoringSheet:
        self._ministry_only(on)
        sheet = self._sheet_row(s, app.campaign_id)
        if sheet is None:
            raise on.refuse(
                "RequireScoringSheet",
                f"评分表未定义: campaign {app.campaign_id} has no scoring sheet; define it with "
                "`shenbao scoring sheet` first",
            )
        if app.status != State.EXPERT_SCORING.value:
            raise on.refuse(
                "OnlyDuringExpertScoring",
                f"不在专家评审阶段: application {app.id} is {app.status}; experts are assigned "
                "and score only in expert_scoring",
            )
        same = s.scalar(
            select(ExpertAssignment.id).where(
                ExpertAssignment.application_id == app.id,
                ExpertAssignment.expert_id == expert.id,
            )
        )
        if same is not None:
            raise on.refuse(
                "ExpertAssignedOnce",
                f"专家已分配: expert {expert.id} is or was already assigned to application {app.id}",
            )
        campaign = self._campaign(s, app.campaign_id)
        same_province = bool(
            sheet.conflict_same_province
            or (campaign.settings or {}).get("conflict_same_province") is True
        )
        conflict = scoring.check_conflict(expert, (app.uscc, app.province), same_province)
        if conflict is not None:
            raise on.refuse(
                "AvoidConflictOfInterest",
                conflict,
                details={"expert": _expert_details(expert)},
            )
        return sheet

    def assign_expert(
        self,
        app_id: int,
        *,
        expert_id: str,
        org_uscc: str | None,
        province: str | None,
        actor: Actor,
        now: datetime,
    ) -> int:
        """Assign an expert to an application; a conflict of interest (回避) is refused."""
        expert = _expert(expert_id, org_uscc, province)
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id, lock=True)
            self._expert_checks(s, app, _On(app.id, "expert:assign", actor), expert)
            row = ExpertAssignment(
                application_id=app.id,
                expert_id=expert.id,
                expert_org_uscc=expert.organisation_uscc,
                expert_province=expert.province,
                assigned_at=now,
                assigned_by=str(actor),
            )
            s.add(row)
            s.flush()
            self._event(
                s,
                app,
                "expert:assign",
                actor,
                now,
                f"accepted: expert {expert.id} assigned to application {app.id}",
                details={"expert": _expert_details(expert), "assignment": row.id},
            )
            return row.id

    def replace_expert(
        self,
        app_id: int,
        old_expert_id: str,
        *,
        new_expert_id: str,
        org_uscc: str | None,
        province: str | None,
        reason: str | None,
        actor: Actor,
        now: datetime,
    ) -> int:
        """Replace an assigned expert (the reason is recorded); the new one is conflict-checked."""
        expert = _expert(new_expert_id, org_uscc, province)
        trigger = "expert:replace"
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id, lock=True)
            on = _On(app.id, trigger, actor, reason)
            self._ministry_only(on)
            if not (reason or "").strip():
                raise on.refuse(
                    "RequireReplacementReason",
                    f"须填写理由: replacing expert {old_expert_id} on application {app.id} "
                    "requires a reason (--reason)",
                )
            old = s.scalar(
                select(ExpertAssignment).where(
                    ExpertAssignment.application_id == app.id,
                    ExpertAssignment.expert_id == old_expert_id.strip(),
                    ExpertAssignment.replaced_at.is_(None),
                )
            )
            if old is None:
                raise on.refuse(
                    "OnlyAssignedExpert",
                    f"专家未分配: expert {old_expert_id} is not an active expert of application "
                    f"{app.id}",
                )
            self._expert_checks(s, app, on, expert)
            new = ExpertAssignment(
                application_id=app.id,
                expert_id=expert.id,
                expert_org_uscc=expert.organisation_uscc,
                expert_province=expert.province,
                assigned_at=now,
                assigned_by=str(actor),
            )
            s.add(new)
            s.flush()
            old.replaced_at = now
            old.replacement_reason = (reason or "").strip()
            old.replaced_by = new.id
            self._event(
                s,
                app,
                trigger,
                actor,
                now,
                f"accepted: expert {old.expert_id} replaced by {expert.id} on application {app.id}",
                reason=old.replacement_reason,
                details={
                    "replaced": old.expert_id,
                    "expert": _expert_details(expert),
                    "assignment": new.id,
                },
            )
            return new.id

    def submit_score(
        self,
        app_id: int,
        *,
        expert_id: str,
        scores: Mapping[str, object],
        actor: Actor,
        now: datetime,
    ) -> Decimal:
        """An assigned expert's scores, validated against the sheet (every problem at once)."""
        trigger = "score:submit"
        expert_id = expert_id.strip()
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id, lock=True)
            on = _On(app.id, trigger, actor)
            if not (
                actor.role is Role.MINISTRY
                or (actor.role is Role.EXPERT and actor.scope == expert_id)
            ):
                raise on.refuse(
                    "EnforceActorRole",
                    _role_refusal(
                        actor,
                        f"score application {app.id} as expert {expert_id}",
                        f"expert:{expert_id}, ministry",
                    ),
                )
            sheet_row = self._sheet_row(s, app.campaign_id)
            if sheet_row is None:
                raise on.refuse(
                    "RequireScoringSheet",
                    f"评分表未定义: campaign {app.campaign_id} has no scoring sheet",
                )
            if app.status != State.EXPERT_SCORING.value:
                raise on.refuse(
                    "OnlyDuringExpertScoring",
                    f"不在专家评审阶段: application {app.id} is {app.status}; scores are taken "
                    "only in expert_scoring",
                )
            assignment = s.scalar(
                select(ExpertAssignment).where(
                    ExpertAssignment.application_id == app.id,
                    ExpertAssignment.expert_id == expert_id,
                    ExpertAssignment.replaced_at.is_(None),
                )
            )
            if assignment is None:
                raise on.refuse(
                    "OnlyAssignedExpertScores",
                    f"专家未分配: expert {expert_id} is not an active expert of application "
                    f"{app.id}",
                )
            if s.scalar(select(ExpertScore.id).where(ExpertScore.assignment_id == assignment.id)):
                raise on.refuse(
                    "ScoreOnce",
                    f"已评分: expert {expert_id} has already scored application {app.id}",
                )
            sheet = scoring.ScoringSheet.from_mapping(sheet_row.sheet)
            try:
                valid = scoring.validate_scores(sheet, scores)
            except scoring.ScoringError as exc:
                raise on.refuse(
                    "ScoreWithinSheet",
                    f"评分无效: {len(exc.errors)} problem(s): {'; '.join(exc.errors)}",
                ) from None
            points = scoring.total(sheet, valid)
            s.add(
                ExpertScore(
                    assignment_id=assignment.id,
                    scores={k: str(v) for k, v in valid.items()},
                    total=points,
                    submitted_at=now,
                    submitted_by=str(actor),
                )
            )
            self._event(
                s,
                app,
                trigger,
                actor,
                now,
                f"accepted: expert {expert_id} scored application {app.id}: {points}",
                details={"expert": expert_id, "score": str(points)},
            )
        return points

    # -- ranking and shortlist ------------------------------------------------------------------
    def _scoring_view(
        self, s: Session, campaign_id: int, edition: Edition, sheet: ScoringSheet
    ) -> dict[int, _AppScoring]:
        apps = s.scalars(
            select(Application)
            .where(Application.campaign_id == campaign_id, Application.status.in_(SCORED_STATES))
            .order_by(Application.id)
        ).all()
        rows = s.execute(
            select(ExpertAssignment, ExpertScore)
            .outerjoin(ExpertScore, ExpertScore.assignment_id == ExpertAssignment.id)
            .join(Application, ExpertAssignment.application_id == Application.id)
            .where(Application.campaign_id == campaign_id, Application.status.in_(SCORED_STATES))
            .order_by(ExpertAssignment.id)
        ).all()
        per_app: dict[int, list[tuple[ExpertAssignment, ExpertScore | None]]] = {}
        for assignment, score in rows:
            per_app.setdefault(assignment.application_id, []).append((assignment, score))
        view: dict[int, _AppScoring] = {}
        for app in apps:
            pairs = per_app.get(app.id, [])
            assigned = [
                scoring.Assignment(
                    expert_id=a.expert_id,
                    scored=sc is not None,
                    replaced=a.replaced_at is not None,
                    replacement_reason=a.replacement_reason,
                )
                for a, sc in pairs
            ]
            totals = [
                Decimal(sc.total) for a, sc in pairs if sc is not None and a.replaced_at is None
            ]
            complete, detail = scoring.scoring_complete(assigned, edition.min_experts)
            score = scoring.aggregate(totals, sheet.aggregation) if totals else None
            view[app.id] = _AppScoring(app, assigned, totals, complete, detail, score)
        return view

    def rank(self, campaign_id: int) -> dict[str, list[RankRow]]:
        """Per category: complete applications ranked by aggregated score, then the incomplete."""
        with self.db.sessions() as s:
            campaign = self._campaign(s, campaign_id)
            edition = load_edition(campaign.edition_id)
            sheet = self._require_sheet(s, campaign_id)
            view = self._scoring_view(s, campaign_id, edition, sheet)
            entries = [
                scoring.RankEntry(str(a), v.app.category, v.score)
                for a, v in view.items()
                if v.complete and v.score is not None
            ]
            ranked = scoring.rank(entries)
            result: dict[str, list[RankRow]] = {}
            for category, places in ranked.items():
                result[category] = [_rank_row(view[int(p.app_id)], p.rank) for p in places]
            for _app_id, v in view.items():
                if not v.complete or v.score is None:
                    result.setdefault(v.app.category, []).append(_rank_row(v, None))
            return dict(sorted(result.items()))

    @staticmethod
    def _require_sheet(s: Session, campaign_id: int) -> ScoringSheet:
        row = s.scalar(select(ScoringSheet).where(ScoringSheet.campaign_id == campaign_id))
        if row is None:
            raise NotFound(
                f"scoring sheet: campaign {campaign_id} has no scoring sheet; define it with "
                "`shenbao scoring sheet` first"
            )
        return row

    def _decision(
        self,
        view: dict[int, _AppScoring],
        top_k: int | None,
        min_score: Decimal | None,
    ) -> tuple[scoring.ShortlistDecision, set[str], dict[int, str]]:
        incomplete = {
            a: v.detail
            for a, v in view.items()
            if v.app.status == State.EXPERT_SCORING.value and not v.complete
        }
        held_categories = {view[a].app.category for a in incomplete}
        entries = [
            scoring.RankEntry(str(a), v.app.category, v.score)
            for a, v in view.items()
            if v.complete and v.score is not None and v.app.category not in held_categories
        ]
        decision = scoring.shortlist(entries, top_k=top_k, min_score=min_score)
        # a tie is open while one of its applications is still in scoring (else it was resolved)
        still = State.EXPERT_SCORING.value
        open_ties = [
            tie
            for tie in decision.ties
            if any(view[int(a)].app.status == still for a in tie.app_ids)
        ]
        decision = dataclasses.replace(decision, ties=open_ties)
        return decision, held_categories, incomplete

    def shortlist(
        self,
        campaign_id: int,
        *,
        top_k: int | None = None,
        min_score: Decimal | str | None = None,
        actor: Actor,
        now: datetime,
    ) -> ShortlistOutcome:
        """Cut the ranking per category (top-K and/or a minimum score) and move the applications.

        Ties at the cut are returned, never decided here (see `resolve_tie`). A category with an
        application whose scoring is incomplete is not cut; that application's attempt is refused
        by RequireAllExpertScores and audited. The cut first applied is kept for the campaign.
        """
        top_k, min_dec = _cut(top_k, min_score, required=False)
        with self._tx(now) as tx:
            s = tx.session
            campaign = self._campaign(s, campaign_id)
            edition = load_edition(campaign.edition_id)
            sheet = self._require_sheet(s, campaign_id)
            if top_k is None and min_dec is None:
                top_k, min_dec = sheet.top_k, _dec(sheet.min_score)
            top_k, min_dec = _cut(top_k, min_dec, required=True)
            decided = s.scalar(
                select(Application.id)
                .where(
                    Application.campaign_id == campaign_id,
                    Application.status.in_(SCORED_STATES[1:]),
                )
                .limit(1)
            )
            if decided is not None and (sheet.top_k, _dec(sheet.min_score)) != (top_k, min_dec):
                raise scoring.ScoringError(
                    [
                        f"shortlist: 入围标准已执行 (campaign {campaign_id} was already cut with "
                        f"top_k={sheet.top_k}, min_score={sheet.min_score}; the same cut applies "
                        "to the rest)"
                    ]
                )
            sheet.top_k, sheet.min_score = top_k, min_dec
            view = self._scoring_view(s, campaign_id, edition, sheet)
            decision, held_categories, incomplete = self._decision(view, top_k, min_dec)
            ranks = {
                p.app_id: p.rank
                for places in scoring.rank(
                    [
                        scoring.RankEntry(str(a), v.app.category, v.score)
                        for a, v in view.items()
                        if v.complete and v.score is not None
                    ]
                ).values()
                for p in places
            }
            requests = [
                Request(
                    a,
                    "shortlist",
                    actor,
                    details={"scoring": detail},
                    extra={"scoring_complete": False, "scoring_detail": detail},
                )
                for a, detail in sorted(incomplete.items())
            ]
            for trigger, groups in (
                ("shortlist", decision.selected),
                ("decline", decision.not_selected),
            ):
                for category, ids in groups.items():
                    for text_id in ids:
                        v = view[int(text_id)]
                        if v.app.status != State.EXPERT_SCORING.value:
                            continue
                        requests.append(
                            _scored_request(v, trigger, actor, category, ranks.get(text_id))
                        )
            waiting = sorted(
                a
                for a, v in view.items()
                if v.app.category in held_categories
                and a not in incomplete
                and v.app.status == State.EXPERT_SCORING.value
            )
            results = tx.move(requests)
        return ShortlistOutcome(
            results=results,
            selected={c: [int(a) for a in ids] for c, ids in decision.selected.items()},
            not_selected={c: [int(a) for a in ids] for c, ids in decision.not_selected.items()},
            ties=[_tie(t) for t in decision.ties],
            held=incomplete,
            waiting=waiting,
            top_k=top_k,
            min_score=min_dec,
        )

    def resolve_tie(
        self,
        campaign_id: int,
        category: str,
        chosen: Sequence[int],
        *,
        actor: Actor,
        now: datetime,
    ) -> list[Result]:
        """The coordinator's choice among applications tied at the cut of one category."""
        with self._tx(now) as tx:
            s = tx.session
            campaign = self._campaign(s, campaign_id)
            edition = load_edition(campaign.edition_id)
            edition.category(category)
            sheet = self._require_sheet(s, campaign_id)
            if sheet.top_k is None and sheet.min_score is None:
                raise scoring.ScoringError(
                    [f"ties: 尚未确定入围 (campaign {campaign_id} has not been shortlisted yet)"]
                )
            view = self._scoring_view(s, campaign_id, edition, sheet)
            decision, held, _incomplete = self._decision(view, sheet.top_k, _dec(sheet.min_score))
            if category in held:
                raise scoring.ScoringError(
                    [
                        f"ties: 类别 {category} 仍有专家评分未完成 (scoring in {category} is incomplete)"
                    ]
                )
            chosen_text = [str(c) for c in chosen]
            scoring.resolve_tie(decision, chosen_text, category=category)  # raises on a bad pick
            requests: list[Request] = []
            for tie in decision.ties:
                if tie.category != category:
                    continue
                tie_info = {
                    "score": str(tie.score),
                    "app_ids": [int(a) for a in tie.app_ids],
                    "chosen": [int(a) for a in chosen_text],
                    "slots_left": tie.slots_left,
                }
                for text_id in tie.app_ids:
                    v = view[int(text_id)]
                    trigger = "shortlist" if text_id in chosen_text else "decline"
                    request = _scored_request(v, trigger, actor, category, None)
                    requests.append(
                        Request(
                            request.app_id,
                            request.trigger,
                            actor,
                            details={**request.details, "tie": tie_info},
                            extra=request.extra,
                        )
                    )
            results = tx.move(requests)
        return results

    # -- 公示 -----------------------------------------------------------------------------------
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
            if pending:
                raise Refusal(
                    "ShortlistNotFinal",
                    f"入围名单尚未确定: applications {', '.join(map(str, pending))} of campaign "
                    f"{campaign_id} are still in expert scoring (pending scores or a tie); decide "
                    "them before publishing",
                )
            apps = s.scalars(
                select(Application)
                .where(
                    Application.campaign_id == campaign_id,
                    Application.status == State.SHORTLISTED.value,
                )
                .order_by(Application.category, Application.id)
            ).all()
            if not apps:
                raise NotFound(
                    f"notice: campaign {campaign_id} has no shortlisted application to publish"
                )
            if not edition.has_notice:
                requests = [
                    Request(a.id, "publish_notice", actor, extra={"has_notice": False})
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
                        extra={"has_notice": True},
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
                    position = 0
                    for app_id, name, province, group, category in entries:
                        if app_id in accepted:
                            position += 1
                            s.add(
                                NoticeEntry(
                                    notice_id=notice.id,
                                    application_id=app_id,
                                    position=position,
                                    name=name,
                                    province=province,
                                    group_name=group,
                                    category=category,
                                )
                            )
        refused = [r for r in results if not r.accepted]
        if period is None or not any(r.accepted for r in results):
            raise refused[0].refusal()
        return PublishedNotice(notice_id, period, results)

    def file_objection(
        self, app_id: int, *, contact: str, reason: str, actor: Actor, now: datetime
    ) -> int:
        """Record an objection (异议); accepted only while the notice period runs."""
        trigger = "objection:file"
        notice_rules.Objection(  # the contact and the reason are required
            id="new", app_id=str(app_id), filed_at=now, objector_contact=contact, reason=reason
        )
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id, lock=True)
            on = _On(app.id, trigger, actor, reason)
            if actor.is_read_only:
                raise on.refuse(
                    "EnforceActorRole",
                    "审计人员只读: the auditor role changes nothing (auditor is read-only)",
                )
            entry = s.scalar(select(NoticeEntry).where(NoticeEntry.application_id == app.id))
            if entry is None:
                raise on.refuse(
                    "ObjectionOnlyOnNoticeList",
                    f"不在公示名单: application {app.id} is not on a notice list ({app.status})",
                )
            notice = s.get(Notice, entry.notice_id)
            assert notice is not None
            try:
                notice_rules.accept_objection(
                    notice.first_day, notice.ends_at, now, notice.published_at
                )
            except notice_rules.ObjectionRefused as exc:
                raise on.refuse(
                    "ObjectionOnlyDuringNotice",
                    str(exc),
                    details={"notice": _details_notice(notice, notice.published_at)},
                ) from None
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
            if actor.role is not Role.MINISTRY:
                raise on.refuse(
                    "EnforceActorRole",
                    _role_refusal(actor, f"resolve objection {objection_id}", "ministry"),
                )
            try:
                decided = notice_rules.resolve_objection(
                    _pure_objection(row), outcome, reason, resolved_at=now
                )
            except notice_rules.ObjectionError as exc:
                raise on.refuse("ObjectionResolution", str(exc)) from None
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
            rows = s.execute(
                select(Application, NoticeEntry, Notice)
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
            app_ids = [a.id for a, _e, _n in rows]
            objections: dict[int, list[Objection]] = {}
            for o in s.scalars(select(Objection).where(Objection.application_id.in_(app_ids))):
                objections.setdefault(o.application_id, []).append(o)
            confirmed_on = local_date(now)
            term = _term_for(edition, confirmed_on)
            recert = edition.recertification_due(confirmed_on, self.calendar)
            requests: list[Request] = []
            held: dict[int, str] = {}
            running: dict[int, str] = {}
            for app, _entry, notice in rows:
                objs = objections.get(app.id, [])
                outcome = notice_rules.notice_outcome(
                    now, notice.ends_at, [_pure_objection(o) for o in objs]
                )
                ends = notice_rules.last_second_label(notice.ends_at)
                extra = {"notice_outcome": outcome, "notice_ends": ends}
                info = _details_notice(notice, notice.published_at)
                if outcome == "hold":
                    pending = [o.id for o in objs if o.resolution is None]
                    held[app.id] = (
                        f"异议尚未处理: objection(s) {', '.join(map(str, pending))} to application "
                        f"{app.id} are not resolved; it stays on notice until they are"
                    )
                    continue
                if outcome == "running":
                    running[app.id] = f"公示期未结束: the notice period runs until {ends}"
                    requests.append(
                        Request(app.id, "confirm", actor, details={"notice": info}, extra=extra)
                    )
                elif outcome == "remove":
                    upheld = [o for o in objs if o.resolution == "upheld"]
                    why = "；".join(o.resolution_reason or "" for o in upheld)
                    requests.append(
                        Request(
                            app.id,
                            "remove",
                            actor,
                            reason=f"公示异议成立：{why}",
                            details={"notice": info, "objections": [o.id for o in upheld]},
                            extra=extra,
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
                    requests.append(Request(app.id, "confirm", actor, details=details, extra=extra))
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
            _require_ministry(actor, "announce the results", system=True)
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
            extra = {"has_notice": edition.has_notice}
            results = tx.move(
                [Request(i, "confirm", actor, details=details, extra=extra) for i in ids]
            )
            confirmed = [r.application_id for r in results if r.to_state == "confirmed"]
            _add_titles(s, edition, confirmed, confirmed_on, term, recert)
        refused = [r for r in results if not r.accepted]
        if refused and not confirmed:
            raise refused[0].refusal()
        return results

    def export_notice(
        self,
        campaign_id: int,
        *,
        xlsx: Path | None = None,
        html_path: Path | None = None,
    ) -> list[Path]:
        """Write the latest notice list of the campaign (name, province, category)."""
        if xlsx is None and html_path is None:
            raise ValueError("export: 须指定 --xlsx 或 --html (give --xlsx and/or --html)")
        with self.db.sessions() as s:
            campaign = self._campaign(s, campaign_id)
            edition = load_edition(campaign.edition_id)
            notice = s.scalar(
                select(Notice)
                .where(Notice.campaign_id == campaign_id)
                .order_by(Notice.published_at.desc(), Notice.id.desc())
                .limit(1)
            )
            if notice is None:
                raise NotFound(f"notice: campaign {campaign_id} has published no notice")
            entries = s.scalars(
                select(NoticeEntry)
                .where(NoticeEntry.notice_id == notice.id)
                .order_by(NoticeEntry.position)
            ).all()
            rows = [
                (
                    e.position,
                    e.name,
                    e.province or (f"中央企业集团：{e.group_name}" if e.group_name else ""),
                    edition.category(e.category).name_zh,
                )
                for e in entries
            ]
            heading = f"{edition.title}入围名单公示"
            period = (
                f"公示期：{notice.first_day.year}年{notice.label}，"
                f"截至 {notice_rules.last_second_label(notice.ends_at)}"
            )
        written: list[Path] = []
        if xlsx is not None:
            written.append(_write_xlsx(Path(xlsx), heading, period, rows))
        if html_path is not None:
            written.append(_write_html(Path(html_path), heading, period, rows))
        return written

    # -- annual reports -------------------------------------------------------------------------
    def open_reports(
        self, edition_id: str, report_year: int, *, actor: Actor, now: datetime
    ) -> ReportsOpened:
        """Open the report on `report_year` for every active title of the edition."""
        require_aware(now, "--now")
        edition = load_edition(edition_id)
        _require_ministry(actor, "open annual reports", system=True)
        rule = edition.annual_report
        if rule is None:
            raise Refusal(
                "RequireAnnualReportRule",
                f"本批次未规定年度报告: edition {edition.id} states no annual report "
                f"({edition.reference or edition.title}); nothing to open",
            )
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
            titles = s.scalars(
                select(Title)
                .where(Title.edition_id == edition.id, Title.status == "active")
                .order_by(Title.application_id)
            ).all()
            existing = {
                t_id
                for t_id in s.scalars(
                    select(AnnualReport.title_id).where(AnnualReport.report_year == report_year)
                )
            }
            for title in titles:
                first = rule.first_report_year(title.confirmed_on)
                if report_year < first:
                    skipped[title.application_id] = (
                        f"first report of this title is on {first} (confirmed "
                        f"{title.confirmed_on.isoformat()}; {rule.clause})"
                    )
                    continue
                if title.id in existing:
                    skipped[title.application_id] = f"the report on {report_year} is already open"
                    continue
                app = self._app(s, title.application_id, lock=True)
                s.add(
                    AnnualReport(
                        title_id=title.id,
                        report_year=report_year,
                        due_date=due,
                        opened_at=now,
                        overdue=False,
                    )
                )
                self._event(
                    s,
                    app,
                    "report:open",
                    actor,
                    now,
                    f"accepted: annual report on {report_year} opened for application {app.id}, "
                    f"due {due.isoformat()}",
                    details={"report": {"year": report_year, "due_date": due.isoformat()}},
                )
                opened.append(app.id)
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
            if actor.role is not Role.ENTERPRISE or actor.scope != app.uscc:
                raise on.refuse(
                    "OnlyApplicantActs",
                    f"只能由称号单位本人报送: {actor} is not enterprise:{app.uscc}, the holder of "
                    f"application {app.id}",
                )
            title = s.scalar(select(Title).where(Title.application_id == app.id))
            if title is None:
                raise on.refuse(
                    "ReportOnlyForConfirmedTitle",
                    f"无称号: application {app.id} holds no confirmed title ({app.status})",
                )
            if title.status != "active":
                raise on.refuse(
                    "NoReportsAfterRevocation",
                    f"称号已撤销: the title of application {app.id} was revoked; annual reporting "
                    "has stopped",
                )
            report = s.scalar(
                select(AnnualReport).where(
                    AnnualReport.title_id == title.id, AnnualReport.report_year == report_year
                )
            )
            if report is None:
                raise on.refuse(
                    "ReportNotOpen",
                    f"年度报告未开启: the report on {report_year} is not open for application "
                    f"{app.id}; the ministry opens it with `shenbao reports open`",
                )
            if report.submitted_at is not None:
                raise on.refuse(
                    "ReportOnce",
                    f"已报送: the report on {report_year} of application {app.id} was submitted "
                    f"at {format_instant(report.submitted_at)}",
                )
            problems = _report_problems(title.edition_id, report_year, data)
            if problems:
                raise on.refuse(
                    "ValidAnnualReport",
                    f"年度报告有{len(problems)}处错误 (the report has {len(problems)} error(s)): "
                    + "; ".join(problems),
                )
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
            .where(cond, Title.status == "active")
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
                    else title_rules.lateness(report.due_date, now, count)
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
                    Title.status == "active",
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
                    extra={
                        "recert_due": t.next_recert_due.isoformat() if t.next_recert_due else ""
                    },
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
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id)
            title = s.scalar(select(Title).where(Title.application_id == app_id))
            details: dict[str, Any] = {"title": title_name(load_edition(app.campaign.edition_id))}
            if title is not None:
                details["term"] = _term_label(title.term_first, title.term_last)
            (result,) = tx.move([Request(app_id, "revoke", actor, reason, details)])
            if result.accepted and title is not None:
                title.status = "revoked"
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


# ---------------------------------------------------------------------------------------------
# Helpers


def _dec(value: object) -> Decimal | None:
    """A score cut-off as stored: Decimal to 0.01 (ScoringError naming min_score otherwise)."""
    if value is None:
        return None
    return scoring.to_decimal(value, "min_score").quantize(scoring.CENT)


def _cut(top_k: object, min_score: object, *, required: bool) -> tuple[int | None, Decimal | None]:
    """Check a shortlist cut (top-K and/or a minimum score), listing every problem."""
    problems: list[str] = []
    places: int | None = None
    if top_k is not None:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            problems.append(f"top_k: 必须是正整数 (must be an integer >= 1, got {top_k!r})")
        else:
            places = top_k
    score: Decimal | None = None
    try:
        score = _dec(min_score)
    except scoring.ScoringError as exc:
        problems.extend(exc.errors)
    if score is not None and not Decimal(0) <= score <= scoring.HUNDRED:
        problems.append(f"min_score: 必须在0到100之间 (must be between 0 and 100, got {score})")
    if required and top_k is None and min_score is None:
        problems.append(
            "shortlist: 须指定 --top-k 或 --min-score (top_k and/or min_score is required; "
            "none is set on the scoring sheet either)"
        )
    if problems:
        raise scoring.ScoringError(problems)
    return places, score


def _expert(expert_id: str, org_uscc: str | None, province: str | None) -> scoring.ExpertFacts:
    expert_id = (expert_id or "").strip()
    if not expert_id:
        raise ValueError("EXPERT: 专家编号不能为空 (the expert id is required)")
    uscc = org_uscc.strip().upper() if org_uscc and org_uscc.strip() else None
    short = normalize_province(province) if province and province.strip() else None
    return scoring.ExpertFacts(id=expert_id, organisation_uscc=uscc, province=short)


def _expert_details(expert: scoring.ExpertFacts) -> dict[str, Any]:
    return {"id": expert.id, "org_uscc": expert.organisation_uscc, "province": expert.province}


def _rank_row(v: _AppScoring, place: int | None) -> RankRow:
    return RankRow(
        app_id=v.app.id,
        name=v.app.name,
        province=v.app.province or v.app.group_name,
        category=v.app.category,
        state=v.app.status,
        score=v.score,
        rank=place,
        experts_scored=len(v.totals),
        complete=v.complete,
        detail=v.detail,
    )


def _scored_request(
    v: _AppScoring, trigger: str, actor: Actor, category: str, place: int | None
) -> Request:
    details: dict[str, Any] = {
        "score": str(v.score),
        "category": category,
        "experts_scored": len(v.totals),
    }
    if place is not None:
        details["rank"] = place
    return Request(
        v.app.id,
        trigger,
        actor,
        details=details,
        extra={"scoring_complete": v.complete, "scoring_detail": v.detail},
    )


def _tie(tie: scoring.Tie) -> TieReport:
    return TieReport(tie.category, tie.score, tuple(int(a) for a in tie.app_ids), tie.slots_left)


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


def _report_problems(edition_id: str, report_year: int, data: Mapping[str, Any]) -> list[str]:
    """Every problem in a yearly report: the edition's report form, and the year it is for."""
    from programs.forms import validate_annual_report  # loaded on first use (xlsx, docx)

    problems = [str(issue) for issue in validate_annual_report(edition_id, data)]
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


def _write_xlsx(path: Path, heading: str, period: str, rows: list[tuple[Any, ...]]) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "公示名单"
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([period])
    ws.append(["序号", "申报单位名称", "所在省份", "类别"])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
    for column, width in zip("ABCD", (8, 48, 16, 28), strict=True):
        ws.column_dimensions[column].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _write_html(path: Path, heading: str, period: str, rows: list[tuple[Any, ...]]) -> Path:
    esc = html.escape
    body = "\n".join(
        "    <tr>" + "".join(f"<td>{esc(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{esc(heading)}</title>
</head>
<body>
<h1>{esc(heading)}</h1>
<p>{esc(period)}</p>
<table border="1">
  <thead>
    <tr><th>序号</th><th>申报单位名称</th><th>所在省份</th><th>类别</th></tr>
  </thead>
  <tbody>
{body}
  </tbody>
</table>
</body>
</html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


__all__ = [
    "CloseOutcome",
    "OverdueRow",
    "PublishedNotice",
    "RankRow",
    "ReportSubmitted",
    "ReportsOpened",
    "Review",
    "ShortlistOutcome",
    "TieReport",
]


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
                status="active",
            )
        )
