"""Who is signed in: the account's id and its one actor scope, as the web sees it."""

from __future__ import annotations

from dataclasses import dataclass

from states.actors import Actor, Role


@dataclass(frozen=True)
class Principal:
    """The signed-in account. `role`/`scope` come from the account row, never from a request."""

    account_id: int
    email: str
    role: str
    scope: str | None
    display_name: str = ""
    via: str = "session"  # session | token
    token_scopes: tuple[str, ...] = ("read", "write")

    @property
    def actor_text(self) -> str:
        return f"{self.role}:{self.scope}" if self.scope else self.role

    @property
    def province(self) -> str | None:
        """The province of a provincial account (without its department)."""
        if self.role != "province" or not self.scope:
            return None
        return self.scope.partition("/")[0]

    @property
    def department(self) -> str | None:
        if self.role != "province" or not self.scope:
            return None
        return self.scope.partition("/")[2] or None

    def actor(self) -> Actor:
        """The actor of the handlers (a province with its department: `广东/commerce`)."""
        if self.role == "province":
            return Actor(Role.PROVINCE, self.scope)
        return Actor(Role(self.role), self.scope)

    @property
    def can_write(self) -> bool:
        return self.role != "auditor" and "write" in self.token_scopes
