"""Expert scoring: the sheet, experts (conflicts of interest avoided), scores, the ranking, the
shortlist cut with its ties left to the coordinator."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, insert, select
from sqlalchemy.orm import Session

from deadlines import (
    require_aware,
)
from programs import text
from programs.editions import Edition, load_edition
from programs.provinces import normalize_province
from states import scoring
from states.actors import Actor
from states.campaign_rules import (
    CampaignFacts,
    CutFacts,
    ResolveTiesOnlyAfterCut,
    ResolveTiesOnlyInScoredCategory,
    SheetFacts,
    check_campaign,
)
from states.event_rules import (
    EventFacts,
    ExpertEventFacts,
    ReplaceEventFacts,
    ScoreEventFacts,
    evaluate_event,
)
from states.lifecycle import State, held_from
from states.rules import Outcome, Refusal, ScoringFacts, edition_clauses
from store.models import Application
from store.review_base import (
    ACCEPTED,
    EventBatch,
    EventResult,
    ReviewBase,
    _dec,
    _On,
    _require_role,
    application_facts,
)
from store.review_models import (
    ExpertAssignment,
    ExpertScore,
    ScoringSheet,
)
from store.transitions import CHUNK, NotFound, Request, Result

# States of applications that went through expert scoring (a withdrawn one leaves the ranking),
# from the table; all but the first are decided by the shortlist cut.
SCORED_STATES = tuple(s.value for s in held_from(State.EXPERT_SCORING))
SHEET_EXTRA_KEYS = ("top_k", "min_score")


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
class ExpertItem:
    """One assignment of a batch: the expert (organisation and province, for 回避) to an
    application."""

    app_id: int
    expert_id: str
    org_uscc: str | None = None
    province: str | None = None


@dataclass(frozen=True)
class ScoreItem:
    """One expert's scores in a batch (`expert_id` defaults to the acting expert's)."""

    actor: Actor
    app_id: int
    scores: Mapping[str, object]
    expert_id: str | None = None
    refused: Outcome | None = None  # decided before the batch (the act's role table)


@dataclass(frozen=True)
class _CampaignScoring:
    sheet_row: ScoringSheet | None
    sheet: scoring.ScoringSheet | None
    same_province: bool
    edition: Edition
    clauses: Mapping[str, str]


@dataclass
class _AppScoring:
    app: Any  # a row: id, name, province, group_name, category, status
    assignments: list[scoring.Assignment]
    totals: list[Decimal]
    complete: bool
    detail: str
    score: Decimal | None


class ScoringStage(ReviewBase):
    """Scoring sheet through shortlist and ties."""

    def define_sheet(
        self,
        campaign_id: int,
        data: Mapping[str, Any],
        *,
        actor: Actor,
        now: datetime,
        after: Callable[[Session, scoring.ScoringSheet], None] | None = None,
    ) -> scoring.ScoringSheet:
        """Store the campaign's scoring sheet; it is fixed once an expert has scored.

        `data` holds criteria, aggregation and conflict_same_province (states.scoring), and may
        name the default cut: top_k and/or min_score.
        """
        require_aware(now, "--now")
        _require_role(actor, "scoring.sheet")
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
            campaign = self._campaign(s, campaign_id)
            row = s.scalar(select(ScoringSheet).where(ScoringSheet.campaign_id == campaign_id))
            edition = load_edition(campaign.edition_id)
            check_campaign(
                CampaignFacts(
                    act="scoring.sheet",
                    actor=actor,
                    now=now,
                    campaign_id=campaign_id,
                    edition_id=edition.id,
                    sheet=SheetFacts(
                        row is not None, row is not None and self._any_score(s, campaign_id)
                    ),
                    clauses=edition_clauses(edition),
                )
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
            if after is not None:  # the caller's audit record, in the same unit of work
                after(s, sheet)
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

    def _expert_checks(
        self,
        s: Session,
        app: Application,
        on: _On,
        expert: scoring.ExpertFacts,
        now: datetime,
        replace: ReplaceEventFacts | None = None,
    ) -> ScoringSheet:
        """The event rules of assigning (or replacing with) an expert (states.event_rules), on
        facts read here."""
        sheet = self._sheet_row(s, app.campaign_id)
        same = s.scalar(
            select(ExpertAssignment.id).where(
                ExpertAssignment.application_id == app.id,
                ExpertAssignment.expert_id == expert.id,
            )
        )
        campaign = self._campaign(s, app.campaign_id)
        same_province = bool(
            (sheet is not None and sheet.conflict_same_province)
            or (campaign.settings or {}).get("conflict_same_province") is True
        )
        edition = load_edition(campaign.edition_id)
        outcome = evaluate_event(
            EventFacts(
                event=on.trigger,
                actor=on.actor,
                now=now,
                application=application_facts(app, edition.id),
                expert=ExpertEventFacts(expert, sheet is not None, same is not None, same_province),
                replace=replace,
                reason=on.reason,
                clauses=edition_clauses(edition),
            )
        )
        if not outcome.accepted:
            raise on.refuse(
                outcome.rule, outcome.message, details=_refusal_details(outcome, expert)
            )
        assert sheet is not None
        return sheet

    def _campaign_facts(self, s: Session, campaign_ids: set[int]) -> dict[int, _CampaignScoring]:
        """Per campaign: the sheet, same-province avoidance, the edition and its clauses."""
        out: dict[int, _CampaignScoring] = {}
        for cid in sorted(campaign_ids):
            campaign = self._campaign(s, cid)
            sheet = self._sheet_row(s, cid)
            edition = load_edition(campaign.edition_id)
            out[cid] = _CampaignScoring(
                sheet,
                scoring.ScoringSheet.from_mapping(sheet.sheet) if sheet is not None else None,
                bool(
                    (sheet is not None and sheet.conflict_same_province)
                    or (campaign.settings or {}).get("conflict_same_province") is True
                ),
                edition,
                edition_clauses(edition),
            )
        return out

    def assign_many(
        self, items: Sequence[ExpertItem], *, actor: Actor, now: datetime
    ) -> list[EventResult]:
        """Many assignments in one unit of work, each checked as `assign_expert` checks it
        (conflicts of interest, the sheet, the state, an expert assigned twice, also within the
        batch); a refused item gets its refusal record on its chain and nothing else."""
        require_aware(now, "--now")
        trigger = "expert:assign"
        with self.db.transaction() as s:
            batch = EventBatch(s, [i.app_id for i in items])
            facts = self._campaign_facts(s, {c.campaign_id for c in batch.chains.values()})
            taken: set[tuple[int, str]] = set()
            ids = sorted(batch.chains)
            a = ExpertAssignment.__table__
            for k in range(0, len(ids), CHUNK):
                taken.update(
                    s.execute(
                        select(a.c.application_id, a.c.expert_id).where(
                            a.c.application_id.in_(ids[k : k + CHUNK])
                        )
                    ).tuples()
                )
            decided: list[tuple[ExpertItem, scoring.ExpertFacts | None, Any]] = []
            rows: list[dict[str, Any]] = []
            for item in items:
                chain = batch.chains[item.app_id]
                try:
                    expert = _expert(item.expert_id, item.org_uscc, item.province)
                except ValueError as exc:
                    decided.append((item, None, Outcome(False, "InvalidInput", _line(exc))))
                    continue
                f = facts[chain.campaign_id]
                outcome = evaluate_event(
                    EventFacts(
                        event=trigger,
                        actor=actor,
                        now=now,
                        application=application_facts(chain, f.edition.id),
                        expert=ExpertEventFacts(
                            expert,
                            f.sheet_row is not None,
                            (chain.id, expert.id) in taken,
                            f.same_province,
                        ),
                        clauses=f.clauses,
                    )
                )
                decided.append((item, expert, outcome))
                if outcome.accepted:
                    taken.add((chain.id, expert.id))
                    rows.append(
                        {
                            "application_id": chain.id,
                            "expert_id": expert.id,
                            "expert_org_uscc": expert.organisation_uscc,
                            "expert_province": expert.province,
                            "assigned_at": now,
                            "assigned_by": str(actor),
                        }
                    )
            made = iter(
                s.execute(insert(a).returning(a.c.id, sort_by_parameter_order=True), rows).scalars()
                if rows
                else ()
            )
            results: list[EventResult] = []
            for item, expert, outcome in decided:
                if outcome.accepted:
                    assert expert is not None
                    row_id = int(next(made))
                    seq = batch.record(
                        item.app_id, trigger, actor, now, accepted=True, rule=ACCEPTED,
                        message=f"accepted: expert {expert.id} assigned to application "
                        f"{item.app_id}",
                        details={"expert": _expert_details(expert), "assignment": row_id},
                    )  # fmt: skip
                    results.append(EventResult(item.app_id, True, ACCEPTED, "", seq, row_id))
                else:
                    seq = batch.record(
                        item.app_id, trigger, actor, now, accepted=False, rule=outcome.rule,
                        message=outcome.message, details=_refusal_details(outcome, expert),
                    )  # fmt: skip
                    results.append(
                        EventResult(item.app_id, False, outcome.rule, outcome.message, seq)
                    )
            batch.write()
        return results

    def score_many(self, items: Sequence[ScoreItem], *, now: datetime) -> list[EventResult]:
        """Many experts' scores in one unit of work, each checked as `submit_score` checks it
        (the sheet, an active assignee, once only, also within the batch, every problem of the
        scores); `item.refused` (the act's role table) is recorded as that refusal alone."""
        require_aware(now, "--now")
        trigger = "score:submit"
        with self.db.transaction() as s:
            batch = EventBatch(s, [i.app_id for i in items])
            facts = self._campaign_facts(s, {c.campaign_id for c in batch.chains.values()})
            a, sc = ExpertAssignment.__table__, ExpertScore.__table__
            active: dict[tuple[int, str], int] = {}
            scored: set[int] = set()
            ids = sorted(batch.chains)
            for k in range(0, len(ids), CHUNK):
                stmt = (
                    select(a.c.application_id, a.c.expert_id, a.c.id, sc.c.id)
                    .outerjoin(sc, sc.c.assignment_id == a.c.id)
                    .where(a.c.application_id.in_(ids[k : k + CHUNK]), a.c.replaced_at.is_(None))
                )
                for app_id, expert_id, assignment_id, score_id in s.execute(stmt):
                    active[(app_id, expert_id)] = assignment_id
                    if score_id is not None:
                        scored.add(assignment_id)
            rows: list[dict[str, Any]] = []
            results: list[EventResult] = []
            for item in items:
                chain = batch.chains[item.app_id]
                outcome: Outcome | None = item.refused
                expert_id = ""
                if outcome is None:
                    try:
                        expert_id = text.expert_id(item.expert_id or item.actor.scope or "")
                        if not expert_id:
                            raise ValueError("--expert: name the expert (or act --as expert:ID)")
                    except ValueError as exc:
                        outcome = Outcome(False, "InvalidInput", _line(exc))
                if outcome is None:
                    f = facts[chain.campaign_id]
                    assignment = active.get((chain.id, expert_id))
                    valid: dict[str, Decimal] = {}
                    problems: tuple[str, ...] = ()
                    if f.sheet is not None:
                        try:
                            valid = scoring.validate_scores(f.sheet, item.scores)
                        except scoring.ScoringError as exc:
                            problems = tuple(exc.errors)
                    outcome = evaluate_event(
                        EventFacts(
                            event=trigger,
                            actor=item.actor,
                            now=now,
                            application=application_facts(chain, f.edition.id),
                            score=ScoreEventFacts(
                                expert_id,
                                f.sheet_row is not None,
                                assignment is not None,
                                assignment in scored,
                                problems,
                            ),
                            clauses=f.clauses,
                        )
                    )
                if not outcome.accepted:
                    seq = batch.record(
                        item.app_id, trigger, item.actor, now, accepted=False, rule=outcome.rule,
                        message=outcome.message,
                    )  # fmt: skip
                    results.append(
                        EventResult(item.app_id, False, outcome.rule, outcome.message, seq)
                    )
                    continue
                assert f.sheet is not None and assignment is not None
                points = scoring.total(f.sheet, valid)
                scored.add(assignment)
                rows.append(
                    {
                        "assignment_id": assignment,
                        "scores": {k: str(v) for k, v in valid.items()},
                        "total": points,
                        "submitted_at": now,
                        "submitted_by": str(item.actor),
                    }
                )
                seq = batch.record(
                    item.app_id, trigger, item.actor, now, accepted=True, rule=ACCEPTED,
                    message=f"accepted: expert {expert_id} scored application {item.app_id}: "
                    f"{points}",
                    details={"expert": expert_id, "score": str(points)},
                )  # fmt: skip
                results.append(EventResult(item.app_id, True, ACCEPTED, "", seq, points))
            if rows:
                s.execute(insert(sc), rows)
            batch.write()
        return results

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
            self._expert_checks(s, app, _On(app.id, "expert:assign", actor), expert, now)
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
        reason = text.reason(reason)
        expert = _expert(new_expert_id, org_uscc, province)
        trigger = "expert:replace"
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id, lock=True)
            on = _On(app.id, trigger, actor, reason)
            old = s.scalar(
                select(ExpertAssignment).where(
                    ExpertAssignment.application_id == app.id,
                    ExpertAssignment.expert_id == old_expert_id.strip(),
                    ExpertAssignment.replaced_at.is_(None),
                )
            )
            replacing = ReplaceEventFacts(old_expert_id.strip(), old is not None)
            self._expert_checks(s, app, on, expert, now, replace=replacing)
            assert old is not None
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
        expert_id = text.expert_id(expert_id)
        with self._tx(now) as tx:
            s = tx.session
            app = self._app(s, app_id, lock=True)
            on = _On(app.id, trigger, actor)
            sheet_row = self._sheet_row(s, app.campaign_id)
            assignment = s.scalar(
                select(ExpertAssignment).where(
                    ExpertAssignment.application_id == app.id,
                    ExpertAssignment.expert_id == expert_id,
                    ExpertAssignment.replaced_at.is_(None),
                )
            )
            scored = assignment is not None and bool(
                s.scalar(select(ExpertScore.id).where(ExpertScore.assignment_id == assignment.id))
            )
            sheet = (
                scoring.ScoringSheet.from_mapping(sheet_row.sheet)
                if sheet_row is not None
                else None
            )
            valid: dict[str, Decimal] = {}
            problems: tuple[str, ...] = ()
            if sheet is not None:
                try:
                    valid = scoring.validate_scores(sheet, scores)
                except scoring.ScoringError as exc:
                    problems = tuple(exc.errors)
            edition = load_edition(app.campaign.edition_id)
            outcome = evaluate_event(
                EventFacts(
                    event=trigger,
                    actor=actor,
                    now=now,
                    application=application_facts(app, edition.id),
                    score=ScoreEventFacts(
                        expert_id, sheet_row is not None, assignment is not None, scored, problems
                    ),
                    clauses=edition_clauses(edition),
                )
            )
            if not outcome.accepted:
                raise on.refuse(outcome.rule, outcome.message)
            assert sheet is not None and assignment is not None
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
        # Core rows of the columns the ranking reads (a campaign's scored applications, their
        # assignments and scores): no mapped objects held for the whole campaign
        t, ea, es = Application.__table__, ExpertAssignment.__table__, ExpertScore.__table__
        scored = and_(t.c.campaign_id == campaign_id, t.c.status.in_(SCORED_STATES))
        apps = s.execute(
            select(t.c.id, t.c.name, t.c.province, t.c.group_name, t.c.category, t.c.status)
            .where(scored)
            .order_by(t.c.id)
        ).all()
        rows = s.execute(
            select(
                ea.c.application_id,
                ea.c.expert_id,
                ea.c.replaced_at,
                ea.c.replacement_reason,
                es.c.id.label("score_id"),
                es.c.total,
            )  # fmt: skip
            .outerjoin(es, es.c.assignment_id == ea.c.id)
            .join(t, ea.c.application_id == t.c.id)
            .where(scored)
            .order_by(ea.c.id)
        ).all()
        per_app: dict[int, list[Any]] = {}
        for row in rows:
            per_app.setdefault(row.application_id, []).append(row)
        view: dict[int, _AppScoring] = {}
        for app in apps:
            pairs = per_app.get(app.id, [])
            assigned = [
                scoring.Assignment(
                    expert_id=a.expert_id,
                    scored=a.score_id is not None,
                    replaced=a.replaced_at is not None,
                    replacement_reason=a.replacement_reason,
                )
                for a in pairs
            ]
            totals = [
                Decimal(a.total) for a in pairs if a.score_id is not None and a.replaced_at is None
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
            check_campaign(
                CampaignFacts(
                    act="scoring.shortlist",
                    actor=actor,
                    now=now,
                    campaign_id=campaign_id,
                    edition_id=edition.id,
                    cut=CutFacts(
                        top_k, min_dec, sheet.top_k, _dec(sheet.min_score), decided is not None
                    ),
                    clauses=edition_clauses(edition),
                )
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
                    scoring=ScoringFacts(complete=False, detail=detail),
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
            facts = CampaignFacts(
                act="scoring.resolve_tie",
                actor=actor,
                now=now,
                campaign_id=campaign_id,
                edition_id=edition.id,
                category=category,
                cut_applied=not (sheet.top_k is None and sheet.min_score is None),
                clauses=edition_clauses(edition),
            )
            check_campaign(facts, (ResolveTiesOnlyAfterCut,))
            view = self._scoring_view(s, campaign_id, edition, sheet)
            decision, held, _incomplete = self._decision(view, sheet.top_k, _dec(sheet.min_score))
            check_campaign(
                dataclasses.replace(facts, held_categories=tuple(sorted(held))),
                (ResolveTiesOnlyInScoredCategory,),
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
                            scoring=request.scoring,
                        )
                    )
            results = tx.move(requests)
        return results


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
    expert_id = text.expert_id(expert_id or "", "EXPERT")
    if not expert_id:
        raise ValueError("EXPERT: 专家编号不能为空 (the expert id is required)")
    uscc = text.uscc(org_uscc)
    short = normalize_province(province) if province and province.strip() else None
    return scoring.ExpertFacts(id=expert_id, organisation_uscc=uscc, province=short)


def _line(exc: Exception) -> str:
    return " ".join(str(exc).splitlines())


def _refusal_details(
    outcome: Outcome | Refusal, expert: scoring.ExpertFacts | None
) -> dict[str, Any] | None:
    """What a refused assignment records beyond its rule: the expert, when it is the conflict."""
    if expert is not None and outcome.rule == "AvoidConflictOfInterest":
        return {"expert": _expert_details(expert)}
    return None


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
        scoring=ScoringFacts(complete=v.complete, detail=v.detail),
    )


def _tie(tie: scoring.Tie) -> TieReport:
    return TieReport(tie.category, tie.score, tuple(int(a) for a in tie.app_ids), tie.slots_left)
