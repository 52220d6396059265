"""Rules of the in-state events (an expert assigned or replaced, a score, an objection): small pure
classes like the lifecycle rules, each naming the events it guards and the states in which they
may happen, deciding on an immutable snapshot of typed facts the store computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar

from states.actors import Actor
from states.lifecycle import State
from states.rules import ApplicationFacts, Outcome

if TYPE_CHECKING:
    from collections.abc import Mapping

    from states.scoring import ExpertFacts


@dataclass(frozen=True)
class ExpertEventFacts:
    """Assigning (or replacing with) an expert: the sheet, earlier assignments, avoidance."""

    expert: ExpertFacts
    sheet_defined: bool
    already_assigned: bool
    same_province_avoided: bool  # the sheet or the campaign asks for same-province avoidance


@dataclass(frozen=True)
class ScoreEventFacts:
    """An expert's scores: the sheet, whether the expert is an active assignee, scored before."""

    expert_id: str
    sheet_defined: bool
    assigned: bool
    already_scored: bool


@dataclass(frozen=True)
class ReportEventFacts:
    """An annual report on a year: the title (None: none confirmed), the report opened (None:
    not opened), and when it was submitted (None: not yet)."""

    report_year: int
    title_status: str | None
    opened: bool
    submitted_at: str | None = None  # as shown


@dataclass(frozen=True)
class ObjectionEventFacts:
    """An objection filed against an application on a notice list (None: on no list)."""

    first_day: date | None = None
    ends_at: datetime | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class EventFacts:
    """Everything an event's rules look at."""

    event: str
    actor: Actor
    now: datetime
    application: ApplicationFacts
    expert: ExpertEventFacts | None = None
    score: ScoreEventFacts | None = None
    report: ReportEventFacts | None = None
    objection: ObjectionEventFacts | None = None
    clauses: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def cite(self, name: str) -> str:
        clause = self.clauses.get(name) or self.clauses.get("reference") or ""
        return f" ({clause})" if clause else ""


class EventRule:
    """Base of the event rules: `EVENTS` guarded, `IN_STATES` (None: any) where they may happen."""

    EVENTS: ClassVar[frozenset[str]] = frozenset()
    IN_STATES: ClassVar[frozenset[State] | None] = None

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    def decide(self, facts: EventFacts) -> Outcome:
        raise NotImplementedError

    def accept(self) -> Outcome:
        return Outcome(True, self.name(), "accepted")

    def reject(self, message: str) -> Outcome:
        return Outcome(False, self.name(), message)


_EXPERT_EVENTS = frozenset({"expert:assign", "expert:replace"})


class OnlyApplicantEdits(EventRule):
    """Only the applicant itself edits its form.

    Clause: 工信厅规函〔2026〕238号 四（二）(申报对象对材料真实性、完整性负责).
    """

    EVENTS = frozenset({"form:save"})

    def decide(self, facts: EventFacts) -> Outcome:
        from states.actors import Role

        actor = facts.actor
        if actor.role is Role.ENTERPRISE and actor.scope == facts.application.org_uscc:
            return self.accept()
        return self.reject(
            f"只能由申报单位本人操作: {actor} may not edit application {facts.application.id} "
            f"(enterprise:{facts.application.org_uscc})"
        )


class EditOnlyDrafts(EventRule):
    """A form is edited only while the application is a draft (before submission, or returned).

    Clause: PROGRAMS.md 共同流程 (return_for_revision back to draft; submitted forms are fixed).
    """

    EVENTS = frozenset({"form:save"})
    IN_STATES = frozenset({State.DRAFT})

    def decide(self, facts: EventFacts) -> Outcome:
        if self.IN_STATES is not None and facts.application.state in self.IN_STATES:
            return self.accept()
        return self.reject(
            f"不可修改: application {facts.application.id} is {facts.application.state}; only "
            "drafts are edited"
        )


class RequireScoringSheet(EventRule):
    """Experts are assigned only once the campaign's scoring sheet is defined.

    Clause: 商办服贸函〔2021〕360号 附件1 八 (专家组初评并打分, against criteria set beforehand).
    """

    EVENTS = _EXPERT_EVENTS | {"score:submit"}

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.expert is not None and facts.expert.sheet_defined:
            return self.accept()
        if facts.score is not None and facts.score.sheet_defined:
            return self.accept()
        return self.reject(
            f"评分表未定义: campaign of application {facts.application.id} has no scoring "
            "sheet; define it with `shenbao scoring sheet` first"
        )


class OnlyDuringExpertScoring(EventRule):
    """Experts are assigned, replaced and score only while the application is in expert scoring.

    Clause: 商办服贸函〔2021〕360号 附件1 八; 两融企业申报工作方案 2026-2028 八.
    """

    EVENTS = _EXPERT_EVENTS | {"score:submit"}
    IN_STATES = frozenset({State.EXPERT_SCORING})

    def decide(self, facts: EventFacts) -> Outcome:
        if self.IN_STATES is not None and facts.application.state in self.IN_STATES:
            return self.accept()
        return self.reject(
            f"不在专家评审阶段: application {facts.application.id} is {facts.application.state}; "
            "experts are assigned and score only in expert_scoring"
        )


class ExpertAssignedOnce(EventRule):
    """An expert is assigned to an application once (a replaced expert does not come back).

    Clause: 商办服贸函〔2021〕360号 附件1 八 (each expert's opinion counts once).
    """

    EVENTS = _EXPERT_EVENTS

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.expert is not None and not facts.expert.already_assigned:
            return self.accept()
        who = facts.expert.expert.id if facts.expert is not None else "?"
        return self.reject(
            f"专家已分配: expert {who} is or was already assigned to application "
            f"{facts.application.id}"
        )


class AvoidConflictOfInterest(EventRule):
    """No expert of the applicant's own organisation (and, where the sheet or the campaign asks,
    of its province) reviews it: 回避.

    Clause: 商办服贸函〔2021〕360号 附件1 八 (专家评审, with avoidance as practised).
    """

    EVENTS = _EXPERT_EVENTS

    def decide(self, facts: EventFacts) -> Outcome:
        from states.scoring import check_conflict

        if facts.expert is None:
            return self.reject("no expert facts were given")
        app = facts.application
        conflict = check_conflict(
            facts.expert.expert, (app.org_uscc, app.province), facts.expert.same_province_avoided
        )
        return self.accept() if conflict is None else self.reject(conflict)


class ObjectionOnlyOnNoticeList(EventRule):
    """An objection is filed only against an application on a published notice list.

    Clause: 商办服贸函〔2021〕360号 附件1 九 (对公示名单有异议的).
    """

    EVENTS = frozenset({"objection:file"})

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.objection is not None:
            return self.accept()
        return self.reject(
            f"不在公示名单: application {facts.application.id} is not on a notice list "
            f"({facts.application.state})"
        )


class ObjectionOnlyDuringNotice(EventRule):
    """An objection is accepted only while the notice period runs, to the second.

    Clause: 商办服贸函〔2021〕360号 附件1 九 "公示5个工作日" (objections within the period).
    """

    EVENTS = frozenset({"objection:file"})

    def decide(self, facts: EventFacts) -> Outcome:
        from states import notice as notice_rules

        o = facts.objection
        if o is None or o.first_day is None or o.ends_at is None:
            return self.reject("公示期未知: the notice period of this application is not known")
        try:
            notice_rules.accept_objection(o.first_day, o.ends_at, facts.now, o.published_at)
        except notice_rules.ObjectionRefused as exc:
            return self.reject(str(exc))
        return self.accept()


class OnlyAssignedExpertScores(EventRule):
    """Only an active (not replaced) assigned expert scores an application.

    Clause: 商办服贸函〔2021〕360号 附件1 八 (the expert group assigned scores).
    """

    EVENTS = frozenset({"score:submit"})

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.score is not None and facts.score.assigned:
            return self.accept()
        who = facts.score.expert_id if facts.score is not None else "?"
        return self.reject(
            f"专家未分配: expert {who} is not an active expert of application {facts.application.id}"
        )


class ScoreOnce(EventRule):
    """An expert scores an application once; a score is not replaced.

    Clause: 商办服贸函〔2021〕360号 附件1 八 (each expert's score counts once).
    """

    EVENTS = frozenset({"score:submit"})

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.score is not None and not facts.score.already_scored:
            return self.accept()
        who = facts.score.expert_id if facts.score is not None else "?"
        return self.reject(
            f"已评分: expert {who} has already scored application {facts.application.id}"
        )


_REPORT = frozenset({"report:submit"})


class ReportOnlyForConfirmedTitle(EventRule):
    """Annual reports are filed by holders of a confirmed title.

    Clause: 商办服贸函〔2021〕360号 附件1 十一 (重点企业……每年报送).
    """

    EVENTS = _REPORT

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.report is not None and facts.report.title_status is not None:
            return self.accept()
        return self.reject(
            f"无称号: application {facts.application.id} holds no confirmed title "
            f"({facts.application.state})"
        )


class NoReportsAfterRevocation(EventRule):
    """A revoked title reports no more.

    Clause: 商办服贸函〔2021〕360号 附件1 十三 (复审不合格的将撤销称号).
    """

    EVENTS = _REPORT

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.report is not None and facts.report.title_status == "active":
            return self.accept()
        return self.reject(
            f"称号已撤销: the title of application {facts.application.id} was revoked; annual "
            "reporting has stopped"
        )


class ReportNotOpen(EventRule):
    """A report is filed on a year the ministry opened for the title.

    Clause: 商办服贸函〔2021〕360号 附件1 十一 (每年……报送, on the ministry's call).
    """

    EVENTS = _REPORT

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.report is not None and facts.report.opened:
            return self.accept()
        year = facts.report.report_year if facts.report is not None else "?"
        return self.reject(
            f"年度报告未开启: the report on {year} is not open for application "
            f"{facts.application.id}; the ministry opens it with `shenbao reports open`"
        )


class ReportOnce(EventRule):
    """A year's report is submitted once.

    Clause: 商办服贸函〔2021〕360号 附件1 十一 (one report a year).
    """

    EVENTS = _REPORT

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.report is None or facts.report.submitted_at is None:
            return self.accept()
        return self.reject(
            f"已报送: the report on {facts.report.report_year} of application "
            f"{facts.application.id} was submitted at {facts.report.submitted_at}"
        )


# The order reports the first problem as the inline checks did: the sheet, the stage, the
# assignment, avoidance; the list, then the period.
EVENT_POLICY: tuple[type[EventRule], ...] = (
    OnlyApplicantEdits,
    EditOnlyDrafts,
    RequireScoringSheet,
    OnlyDuringExpertScoring,
    ExpertAssignedOnce,
    AvoidConflictOfInterest,
    OnlyAssignedExpertScores,
    ScoreOnce,
    ObjectionOnlyOnNoticeList,
    ObjectionOnlyDuringNotice,
    ReportOnlyForConfirmedTitle,
    NoReportsAfterRevocation,
    ReportNotOpen,
    ReportOnce,
)


def rules_for_event(
    event: str, policy: Sequence[type[EventRule]] = EVENT_POLICY
) -> list[type[EventRule]]:
    return [rule for rule in policy if event in rule.EVENTS]


def evaluate_event(facts: EventFacts, policy: Sequence[type[EventRule]] = EVENT_POLICY) -> Outcome:
    """The first rejection in policy order, or an acceptance."""
    for rule in rules_for_event(facts.event, policy):
        outcome = rule().decide(facts)
        if not outcome.accepted:
            return outcome
    return Outcome(True, "Review", f"accepted: {facts.event} by {facts.actor}")
