"""Policy rules: small pure classes, each guarding some triggers and citing the clause it enforces.

A rule sees an immutable snapshot (`TransitionFacts`), never a database session.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from states.actors import Actor, Role
from states.lifecycle import TRIGGERS, State, TransitionSpec

if TYPE_CHECKING:
    from deadlines import Window


# ---------------------------------------------------------------------------------------------
# Facts and outcomes


@dataclass(frozen=True)
class ApplicationFacts:
    """What a rule may know about the application."""

    id: int
    edition_id: str
    org_uscc: str
    province: str | None
    group: str | None
    category: str
    consortium: bool
    state: str


@dataclass(frozen=True)
class QuotaUsage:
    """One recommendation quota: `used` = already recommended, counted in the same transaction."""

    name: str
    limit: int
    used: int
    clause: str

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


def _frozen_mapping(value: Mapping[str, object] | None = None) -> Mapping[str, object]:
    return MappingProxyType(dict(value or {}))


# Typed facts per stage, computed by the store, read by the rules of that stage.


@dataclass(frozen=True)
class ScoringFacts:
    """Expert scoring of one application: complete (every assigned expert scored or replaced,
    at least the edition's minimum), and what is missing when not."""

    complete: bool
    detail: str = ""


@dataclass(frozen=True)
class NoticeFacts:
    """The 公示 as it bears on one application: whether the edition holds one, and once it was
    published the outcome (confirm | remove | hold | running) and its last second, as shown."""

    has_notice: bool
    outcome: str | None = None
    ends: str | None = None


@dataclass(frozen=True)
class RecertFacts:
    """When a title is next re-examined (None: the edition states no recertification cycle)."""

    due: date | None


@dataclass(frozen=True)
class TransitionFacts:
    """Everything the policy looks at for one attempted trigger."""

    trigger: str
    actor: Actor
    now: datetime
    application: ApplicationFacts
    application_window: Window | None
    screening_window: Window | None
    reason: str | None
    quotas: tuple[QuotaUsage, ...] = ()
    form_errors: tuple[str, ...] = ()
    scoring: ScoringFacts | None = None
    notice: NoticeFacts | None = None
    recert: RecertFacts | None = None
    # the application's edition's clauses by name (`route`, `late_submission`, ...), with
    # `reference` for the edition's document: refusals cite these, never a constant
    clauses: Mapping[str, str] = field(default_factory=_frozen_mapping)  # type: ignore[assignment]
    # the edition's reviewing departments, and those that recommended since the last submission
    departments: tuple[str, ...] = ()
    opinions: tuple[str, ...] = ()

    def clause(self, name: str, fallback: str = "") -> str:
        """The named clause of the application's edition (its reference document if unnamed)."""
        return self.clauses.get(name) or self.clauses.get("reference") or fallback

    def cite(self, name: str) -> str:
        """` (clause)` for the end of a refusal line; empty when the edition names none."""
        clause = self.clause(name)
        return f" ({clause})" if clause else ""

    def __post_init__(self) -> None:
        if not isinstance(self.now, datetime):
            raise ValueError(f"now: expected a datetime, got {self.now!r}")
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError(
                f"now: naive datetime {self.now.isoformat()} refused; give a time zone "
                "(e.g. +08:00 for Asia/Shanghai)"
            )
        object.__setattr__(self, "quotas", tuple(self.quotas))
        object.__setattr__(self, "form_errors", tuple(self.form_errors))
        if not isinstance(self.clauses, MappingProxyType):
            object.__setattr__(self, "clauses", _frozen_mapping(self.clauses))

    @property
    def from_state(self) -> str:
        return self.application.state

    @property
    def to_state(self) -> State | None:
        spec = TRIGGERS.get(self.trigger)
        return spec.dest if spec is not None else None


def edition_clauses(edition: Any) -> Mapping[str, str]:
    """An edition's named clauses plus its `reference` document, as rules read them."""
    cached = _CLAUSES.get(edition.id)
    if cached is None or cached[0] != edition.version:
        table = dict(edition.clauses)
        table.setdefault("reference", edition.reference or edition.title)
        for section in ("application_window", "screening_window"):
            window = getattr(edition, section, None)
            if window is not None and getattr(window, "clause", None):
                table.setdefault(section, window.clause)
        if edition.quota is not None:
            table.setdefault("quota", edition.quota.clause)
        cached = (edition.version, MappingProxyType(table))
        _CLAUSES[edition.id] = cached
    return cached[1]


_CLAUSES: dict[str, tuple[str, Mapping[str, str]]] = {}


@dataclass(frozen=True)
class Outcome:
    """Accept, or reject with the rule's name and a one-line reason."""

    accepted: bool
    rule: str
    message: str


class Refusal(Exception):
    """A trigger refused by a rule; `str()` is the one line shown to the user."""

    audited: bool = False  # True once its audit record is written (the handlers check it)

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)
        self.rule = rule
        self.message = message

    @classmethod
    def from_outcome(cls, outcome: Outcome) -> Refusal:
        return cls(outcome.rule, outcome.message)

    def __str__(self) -> str:
        return f"{self.message}"


# ---------------------------------------------------------------------------------------------
# Base class


def _triggers_where(predicate: Callable[[TransitionSpec], bool]) -> frozenset[str]:
    return frozenset(spec.trigger for spec in TRIGGERS.values() if predicate(spec))


class Rule:
    """Base of every rule. Subclasses set `TRIGGERS` (None: every trigger) and write `decide`.

    As in Prefect's orchestration rules, a rule's scope is read without running it: `FROM_STATES`
    (None: every source of the triggers guarded, from the table) narrows the states it guards, and
    the policy consults a rule only for a move from one of its `from_states()`.
    """

    TRIGGERS: ClassVar[frozenset[str] | None] = None
    FROM_STATES: ClassVar[frozenset[State] | None] = None

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    @classmethod
    def from_states(cls) -> frozenset[State]:
        specs = [s for s in TRIGGERS.values() if cls.TRIGGERS is None or s.trigger in cls.TRIGGERS]
        sources = frozenset(state for spec in specs for state in spec.sources)
        return sources if cls.FROM_STATES is None else sources & cls.FROM_STATES

    @classmethod
    def to_states(cls) -> frozenset[State]:
        specs = [s for s in TRIGGERS.values() if cls.TRIGGERS is None or s.trigger in cls.TRIGGERS]
        return frozenset(spec.dest for spec in specs)

    def applies_to(self, facts: TransitionFacts) -> bool:
        if self.TRIGGERS is not None and facts.trigger not in self.TRIGGERS:
            return False
        return self.FROM_STATES is None or facts.from_state in self.FROM_STATES

    def check(self, facts: TransitionFacts) -> Outcome:
        """Accept when the rule does not guard this trigger; otherwise decide."""
        if not self.applies_to(facts):
            return self.accept()
        return self.decide(facts)

    def decide(self, facts: TransitionFacts) -> Outcome:
        raise NotImplementedError

    _ACCEPTED: Outcome

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._ACCEPTED = Outcome(True, cls.__name__, "accepted")  # one immutable outcome each

    def accept(self) -> Outcome:
        return self._ACCEPTED

    def reject(self, message: str) -> Outcome:
        return Outcome(False, self.name(), message)


def _edition(facts: TransitionFacts) -> str:
    return facts.application.edition_id


# ---------------------------------------------------------------------------------------------
# Who may act


class EnforceAllowedTrigger(Rule):
    """Only triggers of the lifecycle table, and only from one of their source states.

    Clause: PROGRAMS.md 共同流程 (the common lifecycle of all five editions, from the seeds).
    """

    def decide(self, facts: TransitionFacts) -> Outcome:
        spec = TRIGGERS.get(facts.trigger)
        if spec is None:
            return self.reject(
                f"无效操作: unknown trigger '{facts.trigger}'; triggers: {', '.join(TRIGGERS)}"
            )
        try:
            current = State(facts.application.state)
        except ValueError:
            return self.reject(
                f"状态无效: application {facts.application.id} is in unknown state "
                f"'{facts.application.state}'"
            )
        if current not in spec.sources:
            allowed = ", ".join(s.value for s in spec.sources)
            return self.reject(
                f"当前状态不允许此操作: cannot {spec.trigger} application {facts.application.id} "
                f"in state {current.value} ({current.staff_name}); "
                f"{spec.trigger} is allowed from: {allowed}"
            )
        return self.accept()


class EnforceActorRole(Rule):
    """Each trigger names the roles that may fire it; an auditor changes nothing, ever.

    Clause: 商办服贸函〔2021〕360号 附件1 四、七 and 工信厅规函〔2026〕238号 三 (who submits,
    who reviews and recommends, who decides); the auditor is read-only by design.
    """

    def decide(self, facts: TransitionFacts) -> Outcome:
        role = facts.actor.role
        if role is Role.AUDITOR:
            return self.reject(
                f"审计人员只读: an auditor changes nothing ({facts.trigger} refused for "
                f"{facts.actor})"
            )
        spec = TRIGGERS.get(facts.trigger)
        if spec is None:  # EnforceAllowedTrigger reports it
            return self.accept()
        if role not in spec.roles:
            allowed = ", ".join(r.value for r in Role if r in spec.roles)
            return self.reject(
                f"无权操作: role {role.value} ({role.label_zh}) may not {spec.trigger}; "
                f"allowed: {allowed}"
            )
        return self.accept()


class OnlyApplicantActs(Rule):
    """Only the applicant itself submits or withdraws its own application.

    Clause: 2026-2028年度两融企业申报工作方案 (seed 000_3b47633825c350ed.txt) 七
    "企业向其所在省级商务、工业和信息化主管部门提出申请"; 工信厅规函〔2026〕238号 四（二）
    (申报对象对材料真实性、完整性负责).
    """

    TRIGGERS = frozenset({"submit", "withdraw"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        if facts.actor.role is not Role.ENTERPRISE:
            return self.accept()  # EnforceActorRole decides other roles
        if facts.actor.scope != facts.application.org_uscc:
            return self.reject(
                f"只能由申报单位本人操作: {facts.actor} is not the applicant of application "
                f"{facts.application.id} (enterprise:{facts.application.org_uscc})"
            )
        return self.accept()


class OnlyOwnProvinceReviews(Rule):
    """Only the application's own province, or its central enterprise group, reviews it.

    Clause: 商办服贸函〔2021〕360号 附件1 七 "省级商务、工业和信息化主管部门及中央企业集团对企业
    申报材料进行审查"; 工信厅规函〔2026〕238号 三（二）; 计划单列市不再单独推荐.
    """

    TRIGGERS = _triggers_where(lambda spec: spec.roles == frozenset({Role.PROVINCE, Role.GROUP}))

    def decide(self, facts: TransitionFacts) -> Outcome:
        actor, app = facts.actor, facts.application
        if actor.role is Role.PROVINCE and app.group is not None:
            return self.reject(
                f"中央管理企业由所在企业集团推荐: application {app.id} belongs to group:"
                f"{app.group}, which reviews and recommends it within its own quota; "
                f"{actor} may not{facts.cite('route')}"
            )
        if actor.role is Role.PROVINCE:
            if app.province is not None and actor.region == app.province:
                return self.accept()
            own = f"province:{app.province}" if app.province else "no province"
        elif actor.role is Role.GROUP:
            if app.group is not None and actor.scope == app.group:
                return self.accept()
            own = f"group:{app.group}" if app.group else "no central enterprise group"
        else:
            return self.accept()  # EnforceActorRole decides other roles
        return self.reject(
            f"非本地区（单位）申报: {actor} may not review application {app.id}, "
            f"which belongs to {own}"
        )


class RequireReviewingDepartment(Rule):
    """A province reviews through the department(s) the edition names; where there are two,
    each acts under its own name (`province:广东/commerce`, `province:广东/industry`).

    Clause: 商办服贸函〔2021〕360号 附件1 七 and 附件2 推荐意见 (省级商务主管部门 and
    省级工业和信息化主管部门 each give an opinion under its own seal); 工信厅规函〔2026〕238号 三（二）
    (the 工业和信息化主管部门 alone); 中投促函[2023]84号 (the 商务主管部门).
    """

    TRIGGERS = _triggers_where(lambda spec: spec.roles == frozenset({Role.PROVINCE, Role.GROUP}))

    def decide(self, facts: TransitionFacts) -> Outcome:
        from states.actors import DEPARTMENTS

        actor, departments = facts.actor, facts.departments
        if actor.role is not Role.PROVINCE or not departments:
            return self.accept()
        names = "、".join(DEPARTMENTS[d] for d in departments)
        if actor.department is None:
            if len(departments) > 1:
                forms = " or ".join(f"province:{actor.region}/{d}" for d in departments)
                return self.reject(
                    f"须注明审核部门: {facts.application.edition_id} is reviewed by {names}, "
                    f"each under its own seal; act as {forms}{facts.cite('route')}"
                )
            return self.accept()
        if actor.department not in departments:
            return self.reject(
                f"非本批次审核部门: {facts.application.edition_id} is reviewed by {names} alone, "
                f"not by {DEPARTMENTS.get(actor.department, actor.department)}"
                f"{facts.cite('route')}"
            )
        return self.accept()


class RecommendOncePerDepartment(Rule):
    """Each reviewing department gives its recommendation once per submission.

    Clause: 商办服贸函〔2021〕360号 附件2 推荐意见 (one opinion per department, under its seal).
    """

    TRIGGERS = frozenset({"recommend"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        dept = facts.actor.department
        if facts.actor.role is Role.PROVINCE and dept is not None and dept in facts.opinions:
            from states.actors import DEPARTMENTS

            return self.reject(
                f"已出具推荐意见: {DEPARTMENTS.get(dept, dept)} of {facts.actor.region} already "
                f"recommended application {facts.application.id}; waiting for the other department"
            )
        return self.accept()


def awaits_other_department(facts: TransitionFacts) -> tuple[str, ...]:
    """The departments still to recommend after this one (empty: the recommendation takes effect)."""
    if facts.trigger != "recommend" or facts.actor.role is not Role.PROVINCE:
        return ()
    if facts.actor.department is None or len(facts.departments) < 2:
        return ()  # the edition's single department (RequireReviewingDepartment checked it)
    done = set(facts.opinions) | {facts.actor.department}
    return tuple(d for d in facts.departments if d not in done)


# ---------------------------------------------------------------------------------------------
# Windows


class RefuseEarlySubmission(Rule):
    """No submission before the application window opens.

    Clause: 工信厅规函〔2026〕238号 (seed 004_5c76758abd8a08d4.txt) 三、申报程序（一）
    "于2026年5月27日—6月20日……完成线上申报".
    """

    TRIGGERS = frozenset({"submit"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        window = facts.application_window
        if window is not None and not window.has_opened(facts.now):
            return self.reject(
                f"尚未开始受理: the application window of {_edition(facts)} opens at "
                f"{window.opening_label()}{facts.cite('application_window')}"
            )
        return self.accept()


class RefuseLateSubmission(Rule):
    """No submission after the application window closes: 逾期不予受理.

    Clause: 商办服贸函〔2021〕360号 (seed 001_46a730abdbb4bc1d.txt) 二 "于2021年12月10日前报送……
    逾期不予受理"; 工信厅规函〔2026〕238号 三、申报程序（一）.
    """

    TRIGGERS = frozenset({"submit"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        window = facts.application_window
        if window is not None and window.has_closed(facts.now):
            return self.reject(
                f"逾期不予受理: the application window of {_edition(facts)} closed at "
                f"{window.closing_label()}{facts.cite('application_window')}"
            )
        return self.accept()


class ReturnOnlyWhileWindowOpen(Rule):
    """Return for revision only while the applicant can still resubmit (the window is open).

    Clause: 工信厅规函〔2026〕238号 三（一）申报期 and 三（二）审核材料的真实性、完整性;
    PROGRAMS.md 共同流程 "return_for_revision ... back to draft (window still open)".
    """

    TRIGGERS = frozenset({"return_for_revision"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        window = facts.application_window
        if window is not None and not window.contains(facts.now):
            if window.has_closed(facts.now):
                when = f"closed at {window.closing_label()}"
            else:
                when = f"opens at {window.opening_label()}"
            return self.reject(
                f"申报期外不得退回修改: the application window of {_edition(facts)} {when}; "
                "the applicant could not resubmit (reject or recommend instead)"
            )
        return self.accept()


class LapseOnlyAfterWindow(Rule):
    """A draft lapses only once the application window has ended (drafts are then locked).

    Clause: 商办服贸函〔2021〕360号 二 逾期不予受理; 工信厅规函〔2026〕238号 三（一）.
    """

    TRIGGERS = frozenset({"lapse"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        window = facts.application_window
        if window is None:
            return self.reject(
                f"申报期未定义: edition {_edition(facts)} has no application window; "
                "nothing to lapse against"
            )
        if not window.has_closed(facts.now):
            return self.reject(
                f"申报期尚未结束: application {facts.application.id} cannot lapse before the "
                f"application window of {_edition(facts)} closes at {window.closing_label()}"
            )
        return self.accept()


class RefuseEarlyRecommendation(Rule):
    """Recommend only once the provincial screening window has opened (when the edition has one).

    Clause: 工信厅规函〔2026〕238号 (seed 004_5c76758abd8a08d4.txt) 三、申报程序（二）
    "于6月21日—6月30日集中开展初筛推荐工作".
    """

    TRIGGERS = frozenset({"recommend"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        window = facts.screening_window
        if window is not None and not window.has_opened(facts.now):
            return self.reject(
                f"尚未开始初筛推荐: the provincial screening window of {_edition(facts)} opens "
                f"at {window.opening_label()}{facts.cite('screening_window')}"
            )
        return self.accept()


class RefuseLateRecommendation(Rule):
    """Recommend only until the provincial screening window closes: 逾期不予受理.

    Clause: 工信厅规函〔2026〕238号 三、申报程序（二）"于6月30日前……上传"; 商办服贸函〔2021〕360号
    二 "于2021年12月10日前报送……逾期不予受理".
    """

    TRIGGERS = frozenset({"recommend"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        window = facts.screening_window
        if window is not None and window.has_closed(facts.now):
            return self.reject(
                f"逾期不予受理: the provincial screening window of {_edition(facts)} closed at "
                f"{window.closing_label()}{facts.cite('screening_window')}"
            )
        return self.accept()


# ---------------------------------------------------------------------------------------------
# Content


class RequireReason(Rule):
    """A written reason is mandatory for returning, rejecting and revoking.

    Clause: PROGRAMS.md 共同流程 "return_for_revision (with reason)", "reject (不予推荐, with
    reason)"; 商办服贸函〔2021〕360号 附件1 十三 复审不合格的将撤销称号 (revocation states why).
    """

    TRIGGERS = _triggers_where(lambda spec: spec.requires_reason)

    def decide(self, facts: TransitionFacts) -> Outcome:
        if facts.reason is None or not facts.reason.strip():
            return self.reject(
                f"须填写理由: reason (--reason) is required to {facts.trigger} "
                f"application {facts.application.id}"
            )
        return self.accept()


class RefuseInvalidForm(Rule):
    """An application whose form does not validate cannot be submitted; every error is listed.

    Clause: 工信厅规函〔2026〕238号 四（二）"申报对象应严格按照要求编制建设方案……对材料真实性、
    完整性负责"; 商办服贸函〔2021〕360号 附件2 填写说明 一 "申报表内容要逐项填写".
    """

    TRIGGERS = frozenset({"submit"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        if facts.form_errors:
            errors = "; ".join(facts.form_errors)
            return self.reject(
                f"申报材料不完整: the form of application {facts.application.id} has "
                f"{len(facts.form_errors)} error(s): {errors}"
            )
        return self.accept()


class EnforceProvincialQuota(Rule):
    """Recommend only within the edition's quotas for the province (or group) and category.

    Clause: 商办服贸函〔2021〕360号 (seed 001) 附件1 七 (per category by GDP tier; 每个中央企业
    集团各不超过1家); 两融企业申报工作方案 2026-2028 (seed 000) 七 (原则上不超过10家);
    工信厅规函〔2026〕238号 (seed 004) 三（二）(不超过2家，其中联合体不超过1家; 工业大省不超过3家).
    `used` is counted by the store in the same transaction as the move.
    """

    TRIGGERS = frozenset({"recommend"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        full = [q for q in facts.quotas if q.exhausted]
        if full:
            detail = "; ".join(
                f"quota {q.name}: limit {q.limit}, already recommended {q.used} ({q.clause})"
                for q in full
            )
            return self.reject(f"超出推荐名额: {detail}")
        return self.accept()
