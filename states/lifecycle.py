"""The application lifecycle as data: the states, their two Chinese names, and ONE transition table.

The machine, the diagram, "what can I do now" and CLI help are all derived from `TRANSITIONS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from states.actors import Role

# The seed documents, as cited by the table and the rules (files under shared/seeds/).
LIANGRONG_2026 = "2026-2028年度两融企业申报工作方案 (seed 000_3b47633825c350ed.txt)"
LIANGRONG_2021 = "商办服贸函〔2021〕360号 (seed 001_46a730abdbb4bc1d.txt)"
SZZX_2026 = "工信厅规函〔2026〕238号 (seed 004_5c76758abd8a08d4.txt)"
COMMON_LIFECYCLE = "PROGRAMS.md 共同流程 (common lifecycle, all five editions)"


class State(StrEnum):
    """Where an application stands. Values are what the database stores."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    NOT_RECOMMENDED = "not_recommended"
    RECOMMENDED = "recommended"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"
    EXPERT_SCORING = "expert_scoring"
    SHORTLISTED = "shortlisted"
    NOT_SHORTLISTED = "not_shortlisted"
    PUBLIC_NOTICE = "public_notice"
    REMOVED_AFTER_NOTICE = "removed_after_notice"
    CONFIRMED = "confirmed"
    UNDER_RECERTIFICATION = "under_recertification"
    REVOKED = "revoked"

    @property
    def staff_name(self) -> str:
        """The name shown to provinces, groups, ministries and auditors."""
        return _NAMES[self][0]

    @property
    def applicant_name(self) -> str:
        """The name shown to the applicant."""
        return _NAMES[self][1]

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


# state: (staff-facing name, applicant-facing name)
_NAMES: dict[State, tuple[str, str]] = {
    State.DRAFT: ("草稿（未提交）", "草稿，尚未提交"),
    State.SUBMITTED: ("待省级审核", "已提交，等待推荐"),
    State.NOT_RECOMMENDED: ("不予推荐", "未获推荐"),
    State.RECOMMENDED: ("已推荐，待部级评审", "已获推荐，等待评审"),
    State.WITHDRAWN: ("申报单位已撤回", "已撤回申报"),
    State.LAPSED: ("逾期未提交", "申报期已结束，未提交"),
    State.EXPERT_SCORING: ("专家评审中", "评审中"),
    State.SHORTLISTED: ("已入围，待公示", "已入围，等待公示"),
    State.NOT_SHORTLISTED: ("未入围", "未入围"),
    State.PUBLIC_NOTICE: ("公示中", "公示中"),
    State.REMOVED_AFTER_NOTICE: ("公示异议成立，不予确认", "公示未通过"),
    State.CONFIRMED: ("已确认（称号有效）", "已入选"),
    State.UNDER_RECERTIFICATION: ("复审中", "复审中"),
    State.REVOKED: ("已撤销称号", "称号已撤销"),
}

FINAL_STATES: frozenset[State] = frozenset(
    {
        State.NOT_RECOMMENDED,
        State.WITHDRAWN,
        State.LAPSED,
        State.NOT_SHORTLISTED,
        State.REMOVED_AFTER_NOTICE,
        State.REVOKED,
    }
)

INITIAL_STATE = State.DRAFT


@dataclass(frozen=True)
class TransitionSpec:
    """One row of the lifecycle table."""

    trigger: str
    sources: tuple[State, ...]
    dest: State
    roles: frozenset[Role]
    requires_reason: bool
    description_zh: str
    clause: str

    def as_machine_dict(self) -> dict[str, object]:
        """The dict `transitions.Machine(transitions=[...])` expects."""
        return {
            "trigger": self.trigger,
            "source": [s.value for s in self.sources],
            "dest": self.dest.value,
        }


_ENTERPRISE = frozenset({Role.ENTERPRISE})
_REVIEWERS = frozenset({Role.PROVINCE, Role.GROUP})
_MINISTRY = frozenset({Role.MINISTRY})
_MINISTRY_OR_SYSTEM = frozenset({Role.MINISTRY, Role.SYSTEM})

TRANSITIONS: tuple[TransitionSpec, ...] = (
    TransitionSpec(
        "submit",
        (State.DRAFT,),
        State.SUBMITTED,
        _ENTERPRISE,
        False,
        "提交申报",
        f"{SZZX_2026} 三、申报程序（一）; {LIANGRONG_2026} 七",
    ),
    TransitionSpec(
        "withdraw",
        (State.DRAFT, State.SUBMITTED, State.RECOMMENDED, State.EXPERT_SCORING),
        State.WITHDRAWN,
        _ENTERPRISE,
        False,
        "撤回申报",
        f"{COMMON_LIFECYCLE}: withdraw (any pre-decision state, by the applicant)",
    ),
    TransitionSpec(
        "return_for_revision",
        (State.SUBMITTED,),
        State.DRAFT,
        _REVIEWERS,
        True,
        "退回修改",
        f"{SZZX_2026} 三（二）审核材料的真实性、完整性; {COMMON_LIFECYCLE}",
    ),
    TransitionSpec(
        "reject",
        (State.SUBMITTED,),
        State.NOT_RECOMMENDED,
        _REVIEWERS,
        True,
        "不予推荐",
        f"{LIANGRONG_2021} 附件1 七; {LIANGRONG_2026} 七",
    ),
    TransitionSpec(
        "recommend",
        (State.SUBMITTED,),
        State.RECOMMENDED,
        _REVIEWERS,
        False,
        "推荐",
        f"{LIANGRONG_2021} 附件1 七; {LIANGRONG_2026} 七; {SZZX_2026} 三（二）",
    ),
    TransitionSpec(
        "lapse",
        (State.DRAFT,),
        State.LAPSED,
        frozenset({Role.SYSTEM}),
        False,
        "逾期未提交，申报关闭",
        f"{LIANGRONG_2021} 二 逾期不予受理; {SZZX_2026} 三（一）",
    ),
    TransitionSpec(
        "open_scoring",
        (State.RECOMMENDED,),
        State.EXPERT_SCORING,
        _MINISTRY_OR_SYSTEM,
        False,
        "进入专家评审",
        f"{LIANGRONG_2021} 附件1 八; {LIANGRONG_2026} 八",
    ),
    TransitionSpec(
        "shortlist",
        (State.EXPERT_SCORING,),
        State.SHORTLISTED,
        _MINISTRY,
        False,
        "确定入围",
        f"{LIANGRONG_2021} 附件1 八; {LIANGRONG_2026} 八",
    ),
    TransitionSpec(
        "decline",
        (State.EXPERT_SCORING,),
        State.NOT_SHORTLISTED,
        _MINISTRY,
        False,
        "未入围",
        f"{LIANGRONG_2021} 附件1 八; {LIANGRONG_2026} 八",
    ),
    TransitionSpec(
        "publish_notice",
        (State.SHORTLISTED,),
        State.PUBLIC_NOTICE,
        _MINISTRY_OR_SYSTEM,  # the campaign flow publishes once the ministry decided the list
        False,
        "发布公示",
        f"{LIANGRONG_2021} 附件1 九（公示5个工作日）; {LIANGRONG_2026} 九",
    ),
    TransitionSpec(
        "confirm",
        # from shortlisted only where the edition has no 公示 (推介: results announced directly)
        (State.PUBLIC_NOTICE, State.SHORTLISTED),
        State.CONFIRMED,
        _MINISTRY_OR_SYSTEM,
        False,
        "公示无异议或异议不成立（或本批次不设公示），确认",
        f"{LIANGRONG_2021} 附件1 十; {LIANGRONG_2026} 九; 中投促函[2023]84号 五",
    ),
    TransitionSpec(
        "remove",
        (State.PUBLIC_NOTICE,),
        State.REMOVED_AFTER_NOTICE,
        _MINISTRY_OR_SYSTEM,
        False,
        "公示异议成立，不予确认",
        f"{LIANGRONG_2021} 附件1 十; {LIANGRONG_2026} 九",
    ),
    TransitionSpec(
        "open_recertification",
        (State.CONFIRMED,),
        State.UNDER_RECERTIFICATION,
        _MINISTRY_OR_SYSTEM,
        False,
        "启动三年复审",
        f"{LIANGRONG_2021} 附件1 十三; {LIANGRONG_2026} 十二",
    ),
    TransitionSpec(
        "renew",
        (State.UNDER_RECERTIFICATION,),
        State.CONFIRMED,
        _MINISTRY,
        False,
        "复审合格，继续保留",
        f"{LIANGRONG_2021} 附件1 十三",
    ),
    TransitionSpec(
        "revoke",
        (State.UNDER_RECERTIFICATION, State.CONFIRMED),
        State.REVOKED,
        _MINISTRY,
        True,
        "撤销称号",
        f"{LIANGRONG_2021} 附件1 十三 复审不合格的将撤销称号",
    ),
)

TRIGGERS: dict[str, TransitionSpec] = {spec.trigger: spec for spec in TRANSITIONS}


def spec_for(trigger: str) -> TransitionSpec | None:
    """The table row of a trigger, or None for a name not in the table."""
    return TRIGGERS.get(trigger)


def outgoing(state: State | str) -> list[TransitionSpec]:
    """Rows that leave `state`, in table order."""
    state = State(state)
    return [spec for spec in TRANSITIONS if state in spec.sources]


def available_triggers(state: State | str, actor_role: Role | str) -> list[str]:
    """What an actor of this role may try now (rules such as windows and quotas still apply)."""
    role = Role(actor_role)
    return [spec.trigger for spec in outgoing(state) if role in spec.roles]


def machine_transitions() -> list[dict[str, object]]:
    """The table in the form `transitions.Machine` takes."""
    return [spec.as_machine_dict() for spec in TRANSITIONS]


def destination(state: State | str, trigger: str) -> State | None:
    """Where `trigger` leads from `state`, or None when it does not leave `state`."""
    spec = TRIGGERS.get(trigger)
    if spec is None or State(state) not in spec.sources:
        return None
    return spec.dest


def describe(triggers: Iterable[str] | None = None) -> list[str]:
    """One help line per trigger: `submit: draft -> submitted (enterprise) 提交申报`."""
    names = list(TRIGGERS) if triggers is None else list(triggers)
    lines = []
    for name in names:
        spec = TRIGGERS[name]
        sources = "|".join(s.value for s in spec.sources)
        roles = "|".join(r.value for r in Role if r in spec.roles)
        reason = "; reason required" if spec.requires_reason else ""
        lines.append(
            f"{spec.trigger}: {sources} -> {spec.dest.value} ({roles}{reason}) {spec.description_zh}"
        )
    return lines


def held_from(start: State) -> tuple[State, ...]:
    """`start` and every state its moves lead to, withdrawal excepted (a withdrawn application
    gives back what it held): `held_from(RECOMMENDED)` are the states that hold a recommendation
    slot, `held_from(EXPERT_SCORING)` those of applications that went through scoring."""
    seen = {start}
    todo = [start]
    while todo:
        state = todo.pop()
        for spec in outgoing(state):
            if spec.dest not in seen and spec.dest is not State.WITHDRAWN:
                seen.add(spec.dest)
                todo.append(spec.dest)
    return (start, *(s for s in State if s in seen and s is not start))
