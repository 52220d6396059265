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
from states.titles import TITLE_ACTIVE

if TYPE_CHECKING:
    from collections.abc import Mapping

    from states.acts import ActSpec
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
    problems: tuple[str, ...] = ()  # what the scores break on the sheet (states.scoring)


@dataclass(frozen=True)
class ReplaceEventFacts:
    """Replacing an expert: the one replaced, and whether it is an active (not replaced) assignee."""

    old_expert_id: str
    old_active: bool


@dataclass(frozen=True)
class ResolutionEventFacts:
    """The ministry's decision on one objection: its id, the decision given, and the decision
    already recorded (None: still open)."""

    objection_id: int
    outcome: str
    resolved_as: str | None = None


@dataclass(frozen=True)
class ReportEventFacts:
    """An annual report on a year: the title (None: none confirmed), the report opened (None:
    not opened), and when it was submitted (None: not yet)."""

    report_year: int
    title_status: str | None
    opened: bool
    submitted_at: str | None = None  # as shown
    holder_uscc: str = ""  # the organisation holding the title (the application's)
    problems: tuple[str, ...] = ()  # what the report's content breaks (states.titles)


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
    replace: ReplaceEventFacts | None = None
    resolution: ResolutionEventFacts | None = None
    reason: str | None = None
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
        if facts.report is not None and facts.report.title_status == TITLE_ACTIVE:
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


# ---------------------------------------------------------------------------------------------
# Who may act, and on what


def _act_for_event(event: str) -> ActSpec | None:
    from states.acts import ACTS

    for spec in ACTS:
        if spec.event == event:
            return spec
    return None


class EnforceEventRole(EventRule):
    """Each in-state event is done by the roles the table of every act names; an auditor changes
    nothing, ever.

    Clause: the row of the act in states.acts (商办服贸函〔2021〕360号 附件1 八、九、十、十一: the
    ministry assigns experts and resolves objections, experts score, holders report).
    """

    EVENTS = frozenset(
        {"expert:assign", "expert:replace", "score:submit", "objection:file", "objection:resolve"}
        | {"report:submit"}
    )

    def decide(self, facts: EventFacts) -> Outcome:
        spec = _act_for_event(facts.event)
        refusal = spec.refusal(facts.actor) if spec is not None else None
        if refusal is None:
            return self.accept()
        return self.reject(f"{refusal} (on application {facts.application.id})")


class ScoreOnlyAsOwnExpert(EventRule):
    """An expert scores only under its own id (the ministry may enter an expert's scores).

    Clause: 商办服贸函〔2021〕360号 附件1 八 (the experts assigned score, each for itself).
    """

    EVENTS = frozenset({"score:submit"})

    def decide(self, facts: EventFacts) -> Outcome:
        from states.actors import Role

        actor, score = facts.actor, facts.score
        if actor.role is not Role.EXPERT:
            return self.accept()  # EnforceEventRole decides other roles
        if score is not None and actor.scope == score.expert_id:
            return self.accept()
        who = score.expert_id if score is not None else "?"
        return self.reject(
            f"只能以本人身份评分: {actor} may not score application {facts.application.id} as "
            f"expert {who}{facts.cite('shortlist')}"
        )


class OnlyTitleHolderReports(EventRule):
    """Only the organisation holding the title files its annual report.

    Clause: 商办服贸函〔2021〕360号 附件1 十一 (重点企业……每年报送, the enterprise itself).
    """

    EVENTS = frozenset({"report:submit"})

    def decide(self, facts: EventFacts) -> Outcome:
        from states.actors import Role

        actor, app = facts.actor, facts.application
        holder = (facts.report.holder_uscc if facts.report is not None else "") or app.org_uscc
        if actor.role is Role.ENTERPRISE and actor.scope == holder:
            return self.accept()
        return self.reject(
            f"只能由称号单位本人报送: {actor} is not enterprise:{holder}, the holder of "
            f"application {app.id}{facts.cite('annual_report')}"
        )


# ---------------------------------------------------------------------------------------------
# Replacing an expert


class RequireReplacementReason(EventRule):
    """An expert is replaced only with a written reason, kept on the record.

    Clause: 商办服贸函〔2021〕360号 附件1 八 (the panel's make-up is accounted for; 回避 as
    practised).
    """

    EVENTS = frozenset({"expert:replace"})

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.reason is not None and facts.reason.strip():
            return self.accept()
        old = facts.replace.old_expert_id if facts.replace is not None else "?"
        return self.reject(
            f"须填写理由: replacing expert {old} on application {facts.application.id} "
            f"requires a reason (--reason){facts.cite('shortlist')}"
        )


class ReplaceOnlyActiveExpert(EventRule):
    """Only an active (assigned, not yet replaced) expert of the application is replaced.

    Clause: 商办服贸函〔2021〕360号 附件1 八 (the expert group assigned).
    """

    EVENTS = frozenset({"expert:replace"})

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.replace is not None and facts.replace.old_active:
            return self.accept()
        old = facts.replace.old_expert_id if facts.replace is not None else "?"
        return self.reject(
            f"专家未分配: expert {old} is not an active expert of application "
            f"{facts.application.id}{facts.cite('shortlist')}"
        )


# ---------------------------------------------------------------------------------------------
# Content checked against the edition's sheet or report


class ScoreWithinSheet(EventRule):
    """Scores are given on the sheet's criteria, each within its maximum; every problem listed.

    Clause: 商办服贸函〔2021〕360号 附件1 八 (专家组初评并打分, on the criteria set beforehand).
    """

    EVENTS = frozenset({"score:submit"})

    def decide(self, facts: EventFacts) -> Outcome:
        problems = facts.score.problems if facts.score is not None else ()
        if not problems:
            return self.accept()
        return self.reject(f"评分无效: {len(problems)} problem(s): {'; '.join(problems)}")


class RequireValidAnnualReport(EventRule):
    """An annual report is filed complete and well-formed; every problem listed.

    Clause: 商办服贸函〔2021〕360号 附件1 十一 (报送上一年度……情况, the figures the form asks).
    """

    EVENTS = frozenset({"report:submit"})

    def decide(self, facts: EventFacts) -> Outcome:
        problems = facts.report.problems if facts.report is not None else ()
        if not problems:
            return self.accept()
        n = len(problems)
        return self.reject(
            f"年度报告有{n}处错误 (the report has {n} error(s)): " + "; ".join(problems)
        )


# ---------------------------------------------------------------------------------------------
# Resolving an objection

_RESOLVE = frozenset({"objection:resolve"})


class ResolveOnlyOpenObjections(EventRule):
    """An objection is resolved once; a decision is not revisited.

    Clause: 商办服贸函〔2021〕360号 附件1 九、十 (the ministry verifies an objection and decides).
    """

    EVENTS = _RESOLVE

    def decide(self, facts: EventFacts) -> Outcome:
        from states.notice import RESOLUTIONS

        r = facts.resolution
        if r is None or r.resolved_as is None:
            return self.accept()
        return self.reject(
            f"resolution: 异议 {r.objection_id} 已处理为{RESOLUTIONS.get(r.resolved_as, r.resolved_as)}，"
            f"不能再次处理 (objection {r.objection_id} is already resolved as {r.resolved_as})"
            f"{facts.cite('notice')}"
        )


class ResolveAsUpheldOrDismissed(EventRule):
    """An objection is decided as upheld (成立) or dismissed (不成立), nothing else.

    Clause: 商办服贸函〔2021〕360号 附件1 九 (异议经核实成立的 / 不成立的).
    """

    EVENTS = _RESOLVE

    def decide(self, facts: EventFacts) -> Outcome:
        from states.notice import RESOLUTIONS

        outcome = facts.resolution.outcome if facts.resolution is not None else None
        if outcome in RESOLUTIONS:
            return self.accept()
        return self.reject(
            f"resolution: 处理结果必须是 upheld（成立）或 dismissed（不成立） "
            f"(must be upheld or dismissed, got {outcome!r}){facts.cite('notice')}"
        )


class RequireResolutionReason(EventRule):
    """The decision on an objection states its reason.

    Clause: 商办服贸函〔2021〕360号 附件1 九 (核实 — the finding is recorded).
    """

    EVENTS = _RESOLVE

    def decide(self, facts: EventFacts) -> Outcome:
        if facts.reason is not None and facts.reason.strip():
            return self.accept()
        return self.reject(
            "resolution_reason: 处理异议必须说明理由 (resolving an objection requires a reason)"
            f"{facts.cite('notice')}"
        )


# The order reports the first problem as the inline checks did: the sheet, the stage, the
# assignment, avoidance; the list, then the period.
EVENT_POLICY: tuple[type[EventRule], ...] = (
    EnforceEventRole,
    ScoreOnlyAsOwnExpert,
    OnlyTitleHolderReports,
    OnlyApplicantEdits,
    EditOnlyDrafts,
    RequireReplacementReason,
    ReplaceOnlyActiveExpert,
    RequireScoringSheet,
    OnlyDuringExpertScoring,
    ExpertAssignedOnce,
    AvoidConflictOfInterest,
    OnlyAssignedExpertScores,
    ScoreOnce,
    ScoreWithinSheet,
    ObjectionOnlyOnNoticeList,
    ObjectionOnlyDuringNotice,
    ResolveOnlyOpenObjections,
    ResolveAsUpheldOrDismissed,
    RequireResolutionReason,
    ReportOnlyForConfirmedTitle,
    NoReportsAfterRevocation,
    ReportNotOpen,
    ReportOnce,
    RequireValidAnnualReport,
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
