"""What a handler raises besides its result: a refusal (always audited), a conflict, not found."""

from __future__ import annotations

from states.rules import Refusal
from store.transitions import Conflict, NotFound


class Refused(Refusal):
    """An act refused: `rule` names the rule, `message` is the one line shown; already audited."""

    def __init__(self, rule: str, message: str, *, act: str, app_id: int | None = None) -> None:
        super().__init__(rule, message)
        self.act = act
        self.app_id = app_id
        self.audited = True


__all__ = ["Conflict", "NotFound", "Refused", "Refusal"]
