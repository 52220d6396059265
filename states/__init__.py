"""states: the application lifecycle (table, actors, rules and policy), pure."""

from states.actors import Actor, Role
from states.lifecycle import (
    FINAL_STATES,
    TRANSITIONS,
    TRIGGERS,
    State,
    TransitionSpec,
    available_triggers,
)
from states.policy import POLICY, check_or_raise, evaluate
from states.rules import (
    ApplicationFacts,
    Outcome,
    QuotaUsage,
    Refusal,
    Rule,
    TransitionFacts,
)

__all__ = [
    "FINAL_STATES",
    "POLICY",
    "TRANSITIONS",
    "TRIGGERS",
    "Actor",
    "ApplicationFacts",
    "Outcome",
    "QuotaUsage",
    "Refusal",
    "Role",
    "Rule",
    "State",
    "TransitionFacts",
    "TransitionSpec",
    "available_triggers",
    "check_or_raise",
    "evaluate",
]
