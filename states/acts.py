"""The table of every act: each thing an actor can do, who may do it, and the command that does it.

Lifecycle moves come from the one transition table (`states.lifecycle.TRANSITIONS`); in-state
events (an expert assigned, a score, an objection, a report) and operator acts (contacts, the
calendar, the outbox) are listed beside them. Authorisation, the refusal messages naming the
allowed roles, and CLI help are all derived from `ACTS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from states.actors import Actor, Role
from states.lifecycle import COMMON_LIFECYCLE, LIANGRONG_2021, SZZX_2026, TRIGGERS


class Kind(StrEnum):
    """What an act touches, and so where its audit record goes."""

    MOVE = "move"  # fires lifecycle triggers: audited on each application's chain
    EVENT = "event"  # changes an application without moving it: audited on its chain
    OPERATOR = "operator"  # no application: audited in the operators' trail


@dataclass(frozen=True)
class ActSpec:
    """One row: the act's name, the roles that may perform it, its CLI command and its clause."""

    name: str
    roles: frozenset[Role]
    kind: Kind
    command: str
    description_zh: str
    clause: str
    triggers: tuple[str, ...] = ()  # lifecycle triggers the act fires (MOVE acts)
    event: str = ""  # the trigger its records carry on the application's chain (EVENT acts)

    @property
    def trail(self) -> str:
        """What an audit record of this act is called (a trigger, an event, or the act)."""
        return self.event or (self.triggers[0] if self.triggers else self.name)

    def allowed(self) -> str:
        """`ministry, system`: the roles allowed, in the order of `Role`."""
        return ", ".join(r.value for r in Role if r in self.roles)

    def refusal(self, actor: Actor) -> str | None:
        """The one-line refusal for `actor`, or None when its role may act."""
        if actor.role in self.roles:
            return None
        if actor.role is Role.AUDITOR:
            return (
                f"审计人员只读: an auditor changes nothing ({self.command} refused for {actor}); "
                f"allowed: {self.allowed()}"
            )
        return (
            f"无权操作: role {actor.role.value} ({actor.role.label_zh}) may not {self.command}; "
            f"allowed: {self.allowed()}"
        )

    def help(self) -> str:
        """The help line the CLI shows: `(as ministry | system) 确定入围`."""
        return f"{self.description_zh} (--as {' | '.join(_forms(self.roles))})"


def _forms(roles: frozenset[Role]) -> list[str]:
    from states.actors import OPTIONAL_SCOPE_ROLES, SCOPED_ROLES

    out = []
    for role in Role:
        if role not in roles:
            continue
        if role in SCOPED_ROLES:
            out.append(f"{role.value}:{SCOPED_ROLES[role]}")
        elif role in OPTIONAL_SCOPE_ROLES:
            out.append(f"{role.value}[:{OPTIONAL_SCOPE_ROLES[role]}]")
        else:
            out.append(role.value)
    return out


_ENTERPRISE = frozenset({Role.ENTERPRISE})
_MINISTRY = frozenset({Role.MINISTRY})
_OPERATOR = frozenset({Role.MINISTRY, Role.SYSTEM})
_OBJECTORS = frozenset({Role.PUBLIC, Role.ENTERPRISE, Role.PROVINCE, Role.GROUP, Role.MINISTRY})


def _move(name: str, command: str, *triggers: str, roles: frozenset[Role] | None = None) -> ActSpec:
    spec = TRIGGERS[triggers[0]]
    return ActSpec(
        name,
        roles if roles is not None else spec.roles,
        Kind.MOVE,
        command,
        spec.description_zh,
        spec.clause,
        tuple(triggers),
    )


ACTS: tuple[ActSpec, ...] = (
    ActSpec(
        "campaign.open",
        _OPERATOR,
        Kind.OPERATOR,
        "campaign open",
        "开启申报批次",
        f"{LIANGRONG_2021} 一; {SZZX_2026} 三",
    ),
    ActSpec(
        "application.create",
        frozenset({Role.ENTERPRISE, Role.SYSTEM}),
        Kind.EVENT,
        "apply",
        "创建申报（草稿）",
        f"{LIANGRONG_2021} 附件1 七 企业向其所在省级主管部门提出申请",
        event="create",
    ),
    ActSpec(
        "form.save",
        _ENTERPRISE,
        Kind.EVENT,
        "form save",
        "保存申报表",
        f"{SZZX_2026} 四（二）申报对象对材料真实性、完整性负责",
        event="form:save",
    ),
    _move("submit", "submit", "submit"),
    _move("withdraw", "withdraw", "withdraw"),
    _move("return", "review return", "return_for_revision"),
    _move("reject", "review reject", "reject"),
    _move("recommend", "review recommend", "recommend"),
    _move("lapse", "sweep (lapse drafts)", "lapse"),
    ActSpec(
        "scoring.sheet",
        _MINISTRY,
        Kind.OPERATOR,
        "scoring sheet",
        "制定评分表",
        f"{LIANGRONG_2021} 附件1 八",
    ),
    _move("scoring.open", "scoring open", "open_scoring"),
    ActSpec(
        "scoring.assign",
        _MINISTRY,
        Kind.EVENT,
        "scoring assign",
        "指派评审专家",
        f"{LIANGRONG_2021} 附件1 八; 回避原则",
        event="expert:assign",
    ),
    ActSpec(
        "scoring.replace",
        _MINISTRY,
        Kind.EVENT,
        "scoring replace",
        "更换评审专家",
        f"{LIANGRONG_2021} 附件1 八; 回避原则",
        event="expert:replace",
    ),
    ActSpec(
        "scoring.score",
        frozenset({Role.EXPERT, Role.MINISTRY}),
        Kind.EVENT,
        "scoring score",
        "专家评分",
        f"{LIANGRONG_2021} 附件1 八",
        event="score:submit",
    ),
    _move("scoring.shortlist", "scoring shortlist", "shortlist", "decline"),
    _move("scoring.resolve_tie", "scoring resolve-tie", "shortlist", "decline"),
    _move("notice.publish", "notice publish", "publish_notice"),
    ActSpec(
        "notice.object",
        _OBJECTORS,
        Kind.EVENT,
        "notice object",
        "提出公示异议",
        f"{LIANGRONG_2021} 附件1 九",
        event="objection:file",
    ),
    ActSpec(
        "notice.resolve",
        _MINISTRY,
        Kind.EVENT,
        "notice resolve",
        "处理公示异议",
        f"{LIANGRONG_2021} 附件1 十",
        event="objection:resolve",
    ),
    _move("notice.close", "notice close", "confirm", "remove"),
    _move("notice.results", "notice results", "confirm"),
    ActSpec(
        "reports.open",
        _OPERATOR,
        Kind.EVENT,
        "reports open",
        "开启年度报告",
        f"{LIANGRONG_2021} 附件1 十一",
        event="report:open",
    ),
    ActSpec(
        "reports.submit",
        _ENTERPRISE,
        Kind.EVENT,
        "reports submit",
        "提交年度报告",
        f"{LIANGRONG_2021} 附件1 十一",
        event="report:submit",
    ),
    _move("recert.open", "recert open", "open_recertification"),
    _move("recert.renew", "recert renew", "renew"),
    _move("recert.revoke", "recert revoke", "revoke"),
    ActSpec(
        "contacts.add",
        _OPERATOR,
        Kind.OPERATOR,
        "contacts add",
        "登记联络人",
        COMMON_LIFECYCLE,
    ),
    ActSpec(
        "contacts.remove",
        _OPERATOR,
        Kind.OPERATOR,
        "contacts remove",
        "删除联络人",
        COMMON_LIFECYCLE,
    ),
    ActSpec(
        "calendar.import",
        _OPERATOR,
        Kind.OPERATOR,
        "calendar import",
        "导入国务院办公厅节假日安排",
        "国务院办公厅关于部分节假日安排的通知 (one per year)",
    ),
    ActSpec(
        "accounts.invite",
        _OPERATOR,
        Kind.OPERATOR,
        "accounts invite",
        "邀请账户（省级主管部门、中央企业集团、专家、审计）",
        COMMON_LIFECYCLE,
    ),
    ActSpec(
        "accounts.disable",
        _OPERATOR,
        Kind.OPERATOR,
        "accounts disable",
        "停用账户",
        COMMON_LIFECYCLE,
    ),
    ActSpec(
        "notify.send",
        _OPERATOR,
        Kind.OPERATOR,
        "notify send",
        "发送待发通知",
        COMMON_LIFECYCLE,
    ),
)

BY_NAME: dict[str, ActSpec] = {a.name: a for a in ACTS}


def act(name: str) -> ActSpec:
    """The row of an act; a name outside the table is a programming error."""
    return BY_NAME[name]


def acts_for(role: Role | str) -> list[ActSpec]:
    """What a role may do, in table order."""
    r = Role(role)
    return [a for a in ACTS if r in a.roles]


def missing_actor(name: str) -> str:
    """The exit-2 line of a command given no `--as`: it names who may act."""
    spec = act(name)
    return f"--as: required; {spec.command} is done by {' | '.join(_forms(spec.roles))}"


def describe() -> list[str]:
    """One line per act: `scoring shortlist: ministry — 确定入围`."""
    return [f"{a.command}: {a.allowed()} — {a.description_zh}" for a in ACTS]
