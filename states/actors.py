"""Who fires a trigger: a role and, for most roles, a scope (`province:广东`, `enterprise:<USCC>`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The kinds of people (and the scheduler) that act on an application."""

    ENTERPRISE = "enterprise"  # the applicant (enterprise, park, institution, consortium lead)
    PROVINCE = "province"  # provincial commerce / industry-and-IT department
    GROUP = "group"  # central enterprise group (中央企业集团)
    MINISTRY = "ministry"  # ministry coordinator
    EXPERT = "expert"  # expert reviewer
    AUDITOR = "auditor"  # read-only
    SYSTEM = "system"  # the scheduler itself
    PUBLIC = "public"  # a member of the public (files an objection during 公示)

    @property
    def label_zh(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS: dict[Role, str] = {
    Role.ENTERPRISE: "申报单位",
    Role.PROVINCE: "省级主管部门",
    Role.GROUP: "中央企业集团",
    Role.MINISTRY: "部委",
    Role.EXPERT: "评审专家",
    Role.AUDITOR: "审计人员",
    Role.SYSTEM: "系统",
    Role.PUBLIC: "社会公众",
}

# Roles whose actor text must name a scope after the colon, with the placeholder shown in help.
SCOPED_ROLES: dict[Role, str] = {
    Role.ENTERPRISE: "<统一社会信用代码>",
    Role.PROVINCE: "<省份, e.g. 广东>",
    Role.GROUP: "<中央企业集团>",
    Role.EXPERT: "<id>",
}

# Roles whose scope may be given or left out (a member of the public may leave a contact).
OPTIONAL_SCOPE_ROLES: dict[Role, str] = {Role.PUBLIC: "<contact>"}

# The reviewing departments of a province (省级商务主管部门, 省级工业和信息化主管部门).
DEPARTMENTS: dict[str, str] = {
    "commerce": "省级商务主管部门",
    "industry": "省级工业和信息化主管部门",
}

ACCEPTED_FORMS: tuple[str, ...] = tuple(
    f"{role.value}:{SCOPED_ROLES[role]}"
    if role in SCOPED_ROLES
    else f"{role.value}[:{OPTIONAL_SCOPE_ROLES[role]}]"
    if role in OPTIONAL_SCOPE_ROLES
    else role.value
    for role in Role
)


def _refuse(text: str, why: str) -> ValueError:
    return ValueError(
        f"--as: 无法识别的操作者 '{text}' ({why}); accepted forms: {', '.join(ACCEPTED_FORMS)}"
    )


@dataclass(frozen=True)
class Actor:
    """`Actor(Role.PROVINCE, "广东")`; `str(actor)` gives back the text `Actor.parse` reads."""

    role: Role
    scope: str | None = None

    def __post_init__(self) -> None:
        try:
            role = Role(self.role)
        except ValueError:
            raise _refuse(str(self.role), "unknown role") from None
        object.__setattr__(self, "role", role)
        scope = self.scope.strip() if isinstance(self.scope, str) else self.scope
        if role in SCOPED_ROLES:
            if not scope:
                raise _refuse(str(self), f"role {role.value} needs a scope after ':'")
        elif role in OPTIONAL_SCOPE_ROLES:
            scope = scope or None
        elif scope:
            raise _refuse(f"{role.value}:{scope}", f"role {role.value} takes no scope")
        else:
            scope = None
        object.__setattr__(self, "scope", scope)

    @classmethod
    def parse(cls, text: str) -> Actor:
        """Read `enterprise:91440300MA5XXXXX`, `province:广东`, `ministry`, ... (full-width ： too)."""
        if not isinstance(text, str) or not text.strip():
            raise _refuse(str(text), "empty")
        raw = text.strip().replace("：", ":")
        role_text, sep, scope = raw.partition(":")
        try:
            role = Role(role_text.strip().lower())
        except ValueError:
            raise _refuse(text, f"unknown role '{role_text.strip()}'") from None
        if role in SCOPED_ROLES and not scope.strip():
            raise _refuse(text, f"role {role.value} needs a scope after ':'")
        if role not in SCOPED_ROLES and role not in OPTIONAL_SCOPE_ROLES and sep:
            raise _refuse(text, f"role {role.value} takes no scope")
        return cls(role, scope.strip() or None)

    @property
    def region(self) -> str | None:
        """A province actor's province (`广东` of `province:广东/commerce`); else the scope."""
        if self.role is Role.PROVINCE and self.scope:
            return self.scope.partition("/")[0]
        return self.scope

    @property
    def department(self) -> str | None:
        """A province actor's department (`commerce` | `industry`), None when not named."""
        if self.role is Role.PROVINCE and self.scope and "/" in self.scope:
            return self.scope.partition("/")[2] or None
        return None

    @property
    def is_read_only(self) -> bool:
        return self.role is Role.AUDITOR

    def __str__(self) -> str:
        return f"{self.role.value}:{self.scope}" if self.scope else self.role.value


SYSTEM = Actor(Role.SYSTEM)
