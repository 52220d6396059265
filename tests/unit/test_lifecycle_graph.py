"""Checks on the lifecycle table as a graph (python-statemachine's definition-time checks, ported)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from deadlines import Window
from states.actors import Actor, Role
from states.lifecycle import (
    FINAL_STATES,
    INITIAL_STATE,
    TRANSITIONS,
    TRIGGERS,
    State,
    TransitionSpec,
    available_triggers,
    describe,
    destination,
    outgoing,
)
from states.policy import evaluate
from states.rules import (
    ApplicationFacts,
    NoticeFacts,
    RecertFacts,
    ScoringFacts,
    TransitionFacts,
)

SH = ZoneInfo("Asia/Shanghai")
Edges = dict[str, set[str]]


def edges(table: Iterable[TransitionSpec]) -> Edges:
    graph: Edges = {}
    for spec in table:
        for source in spec.sources:
            graph.setdefault(source, set()).add(spec.dest)
    return graph


def reachable(graph: Edges, start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def problems(
    table: Iterable[TransitionSpec], states: Iterable[str], initial: str, finals: set[str]
):
    """Every definition problem of a table, as readable strings (empty: the graph is sound)."""
    table = list(table)
    graph = edges(table)
    states = list(states)
    found = []
    from_initial = reachable(graph, initial)
    found += [f"unreachable: {s}" for s in states if s not in from_initial]
    found += [f"trap: {s}" for s in states if s not in finals and not graph.get(s)]
    found += [f"final with exits: {s}" for s in finals if graph.get(s)]
    found += [
        f"no path to a final state: {s}"
        for s in states
        if s not in finals and not (reachable(graph, s) & finals)
    ]
    return found


def spec(trigger: str, sources: tuple[State, ...], dest: State) -> TransitionSpec:
    return TransitionSpec(trigger, sources, dest, frozenset({Role.MINISTRY}), False, "", "")


class TestGraphChecker:
    """The checker itself must be able to fail."""

    def test_detects_unreachable_final_with_exits_and_dead_end(self) -> None:
        table = [
            spec("a", (State.DRAFT,), State.SUBMITTED),
            spec("b", (State.SUBMITTED,), State.DRAFT),
            spec("c", (State.RECOMMENDED,), State.WITHDRAWN),
            spec("d", (State.WITHDRAWN,), State.DRAFT),
        ]
        states = ["draft", "submitted", "recommended", "withdrawn", "lapsed"]
        found = problems(table, states, "draft", {"withdrawn", "lapsed"})
        assert "unreachable: recommended" in found
        assert "unreachable: lapsed" in found
        assert "final with exits: withdrawn" in found
        assert "no path to a final state: draft" in found  # draft <-> submitted only
        assert "no path to a final state: recommended" not in found

    def test_detects_a_trap(self) -> None:
        table = [spec("a", (State.DRAFT,), State.SUBMITTED)]
        found = problems(table, ["draft", "submitted"], "draft", set())
        assert "trap: submitted" in found and "trap: draft" not in found


class TestLifecycleGraph:
    states = [s.value for s in State]
    finals = {s.value for s in FINAL_STATES}

    def test_there_are_fourteen_states_and_six_final(self) -> None:
        assert len(State) == 14 and len(FINAL_STATES) == 6

    def test_every_state_is_reachable_from_draft(self) -> None:
        assert reachable(edges(TRANSITIONS), INITIAL_STATE) == set(self.states)

    def test_no_trap_states(self) -> None:
        graph = edges(TRANSITIONS)
        assert [s for s in self.states if s not in self.finals and not graph.get(s)] == []

    def test_every_non_final_state_has_a_path_to_a_final_state(self) -> None:
        graph = edges(TRANSITIONS)
        for state in self.states:
            if state not in self.finals:
                assert reachable(graph, state) & self.finals, state

    def test_final_states_have_no_outgoing_transitions(self) -> None:
        for state in FINAL_STATES:
            assert outgoing(state) == []

    def test_checker_finds_no_problem(self) -> None:
        assert problems(TRANSITIONS, self.states, INITIAL_STATE, self.finals) == []

    def test_a_trigger_leads_to_one_destination_from_each_source(self) -> None:
        names = [spec.trigger for spec in TRANSITIONS]
        assert len(names) == len(set(names))
        for spec_ in TRANSITIONS:
            assert len(set(spec_.sources)) == len(spec_.sources)
            assert spec_.dest not in spec_.sources

    def test_every_row_is_documented(self) -> None:
        for spec_ in TRANSITIONS:
            assert spec_.description_zh and spec_.clause and spec_.roles, spec_.trigger
            assert Role.AUDITOR not in spec_.roles and Role.EXPERT not in spec_.roles

    def test_every_state_has_two_distinct_kinds_of_name(self) -> None:
        for state in State:
            assert state.staff_name and state.applicant_name
        assert State.SUBMITTED.staff_name == "待省级审核"
        assert State.SUBMITTED.applicant_name == "已提交，等待推荐"
        assert len({s.staff_name for s in State}) == len(State)


class TestDerivedViews:
    def test_what_can_i_do_now(self) -> None:
        assert available_triggers(State.DRAFT, Role.ENTERPRISE) == ["submit", "withdraw"]
        assert available_triggers("submitted", "province") == [
            "return_for_revision",
            "reject",
            "recommend",
        ]
        assert available_triggers(State.DRAFT, Role.SYSTEM) == ["lapse"]
        assert available_triggers(State.CONFIRMED, Role.MINISTRY) == [
            "open_recertification",
            "revoke",
        ]
        for state in State:
            assert available_triggers(state, Role.AUDITOR) == []

    def test_available_triggers_agree_with_the_table(self) -> None:
        for state in State:
            for role in Role:
                for trigger in available_triggers(state, role):
                    assert destination(state, trigger) == TRIGGERS[trigger].dest

    def test_help_has_a_line_per_trigger(self) -> None:
        lines = describe()
        assert len(lines) == len(TRANSITIONS)
        assert (
            "return_for_revision: submitted -> draft (province|group; reason required)" in lines[2]
        )


# A valid actor and instant for each trigger: every trigger of the table is exercised by the policy.
_WINDOW = Window(date(2026, 5, 27), date(2026, 6, 20))
_SCREENING = Window(date(2026, 6, 21), date(2026, 6, 30))
_ACTORS = {
    Role.ENTERPRISE: Actor(Role.ENTERPRISE, "91440300MA5G8ABC1X"),
    Role.PROVINCE: Actor(Role.PROVINCE, "广东"),
    Role.GROUP: Actor(Role.GROUP, "中国电子信息产业集团有限公司"),
    Role.MINISTRY: Actor(Role.MINISTRY),
    Role.SYSTEM: Actor(Role.SYSTEM),
}
_IN_WINDOW = datetime(2026, 6, 1, 9, 0, tzinfo=SH)
_IN_SCREENING = datetime(2026, 6, 25, 9, 0, tzinfo=SH)
_NOW = {"submit": _IN_WINDOW, "return_for_revision": _IN_WINDOW}
# the facts the store gives the stages after recommendation when the move is due
_DUE: dict[str, dict[str, Any]] = {
    "shortlist": {"scoring": ScoringFacts(complete=True)},
    "decline": {"scoring": ScoringFacts(complete=True)},
    "publish_notice": {"notice": NoticeFacts(has_notice=True)},
    "confirm": {"notice": NoticeFacts(has_notice=False, outcome="confirm")},
    "remove": {"notice": NoticeFacts(has_notice=True, outcome="remove")},
    "open_recertification": {"recert": RecertFacts(due=date(2026, 6, 1))},
}


def _facts(
    trigger: str, actor: Actor, state: State, reason: str | None = "依据评审意见"
) -> TransitionFacts:
    return TransitionFacts(
        trigger=trigger,
        actor=actor,
        now=_NOW.get(trigger, _IN_SCREENING),
        application=ApplicationFacts(
            id=1,
            edition_id="szzx-2026-2",
            org_uscc="91440300MA5G8ABC1X",
            province="广东",
            # a central enterprise's application is reviewed by its group, never its province
            group="中国电子信息产业集团有限公司" if actor.role is Role.GROUP else None,
            category="center",
            consortium=False,
            state=state.value,
        ),
        application_window=_WINDOW,
        screening_window=_SCREENING,
        reason=reason,
        **_DUE.get(trigger, {}),
    )


_CASES = [
    (spec_.trigger, role, source)
    for spec_ in TRANSITIONS
    for role in sorted(spec_.roles)
    for source in sorted(spec_.sources)
]


@pytest.mark.parametrize(("trigger", "role", "source"), _CASES)
def test_every_trigger_role_and_source_has_an_accepted_case(
    trigger: str, role: Role, source: State
) -> None:
    outcome = evaluate(_facts(trigger, _ACTORS[role], source))
    assert outcome.accepted, outcome.message


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_every_trigger_is_refused_to_the_auditor_and_from_a_final_state(trigger: str) -> None:
    spec_ = TRIGGERS[trigger]
    role = sorted(spec_.roles)[0]
    assert (
        evaluate(_facts(trigger, Actor(Role.AUDITOR), spec_.sources[0])).rule == "EnforceActorRole"
    )
    refusal = evaluate(_facts(trigger, _ACTORS[role], State.WITHDRAWN))
    assert not refusal.accepted and refusal.rule == "EnforceAllowedTrigger"


@pytest.mark.parametrize("trigger", [t for t, s in TRIGGERS.items() if s.requires_reason])
def test_triggers_marked_for_a_reason_refuse_without_one(trigger: str) -> None:
    spec_ = TRIGGERS[trigger]
    role = sorted(spec_.roles)[0]
    outcome = evaluate(_facts(trigger, _ACTORS[role], spec_.sources[0], reason=" "))
    assert outcome.rule == "RequireReason"


def test_states_holding_a_slot_and_scored_states_derive_from_the_table() -> None:
    from states.lifecycle import held_from

    quota = set(held_from(State.RECOMMENDED))
    assert State.WITHDRAWN not in quota and State.NOT_RECOMMENDED not in quota
    assert {State.RECOMMENDED, State.CONFIRMED, State.REVOKED, State.NOT_SHORTLISTED} <= quota
    scored = held_from(State.EXPERT_SCORING)
    assert scored[0] is State.EXPERT_SCORING and State.RECOMMENDED not in scored
    assert set(scored) == quota - {State.RECOMMENDED}
