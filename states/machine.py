"""One shared `transitions` machine built from the lifecycle table, fired on any object with `status`.

No model is ever registered: `machine.events[trigger].trigger(obj)` reads and writes `obj.status`
directly, so firing on 100,000 distinct objects costs no per-object set-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from functools import lru_cache
from typing import Any

from transitions import Machine, MachineError

from states.lifecycle import FINAL_STATES, INITIAL_STATE, TRIGGERS, State, machine_transitions
from states.rules import Refusal

RULE = "EnforceAllowedTrigger"


def machine_states() -> list[dict[str, object]]:
    """The states in the form `transitions.Machine(states=[...])` takes (final ones flagged)."""
    return [{"name": s.value, "final": s in FINAL_STATES} for s in State]


@lru_cache(maxsize=1)
def shared_machine() -> Machine:
    """The one machine for every application (built on first use)."""
    return Machine(
        model=None,
        states=machine_states(),
        transitions=machine_transitions(),
        initial=INITIAL_STATE.value,
        auto_transitions=False,
        model_attribute="status",
        send_event=False,
        ignore_invalid_triggers=False,
        queued=False,
        name="shenbao",
    )


class _Status:
    __slots__ = ("status",)

    def __init__(self, status: str) -> None:
        self.status = status


def fire(model: Any, trigger: str) -> State:
    """Move `model.status` along `trigger`; return the new state or raise `Refusal`.

    Only the table is checked here; the policy (who, when, quotas) is `states.policy`.
    """
    machine = shared_machine()
    event = machine.events.get(trigger)
    if event is None:
        raise Refusal(
            RULE, f"无效操作: unknown trigger '{trigger}'; triggers: {', '.join(TRIGGERS)}"
        )
    current = getattr(model, "status", None)
    if isinstance(current, Enum):  # the machine keys states by their string value
        current = current.value
        model.status = current
    if current not in machine.states:
        raise Refusal(RULE, f"状态无效: unknown state '{current}'")
    try:
        event.trigger(model)
    except MachineError:
        state = State(current)
        allowed = ", ".join(s.value for s in TRIGGERS[trigger].sources)
        raise Refusal(
            RULE,
            f"当前状态不允许此操作: cannot {trigger} in state {state.value} ({state.staff_name}); "
            f"{trigger} is allowed from: {allowed}",
        ) from None
    return State(model.status)


def can_fire(state: State | str, trigger: str) -> bool:
    """Whether the table has `trigger` leaving `state`."""
    event = shared_machine().events.get(trigger)
    return event is not None and State(state).value in event.transitions


def replay(triggers: Iterable[str], start: State | str = INITIAL_STATE) -> State:
    """The state reached by firing `triggers` in order from `start` (raises `Refusal`)."""
    holder = _Status(State(start).value)
    for trigger in triggers:
        fire(holder, trigger)
    return State(holder.status)


def mermaid(title: str = "申报生命周期 application lifecycle") -> str:
    """The lifecycle as a mermaid `stateDiagram-v2` (see `states.diagram`)."""
    from states.diagram import mermaid as _mermaid

    return _mermaid(title)
