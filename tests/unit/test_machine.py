"""The shared transitions machine: firing, invalid triggers, replay, 100,000 objects, mermaid."""

from __future__ import annotations

import pytest

from states.lifecycle import FINAL_STATES, TRANSITIONS, TRIGGERS, State, destination
from states.machine import can_fire, fire, mermaid, replay, shared_machine
from states.rules import Refusal


class Row:
    """Stands in for an ORM row: only a `status` attribute."""

    __slots__ = ("status",)

    def __init__(self, status: str = "draft") -> None:
        self.status = status


class TestSharedMachine:
    def test_one_machine_with_no_models_and_no_auto_transitions(self) -> None:
        machine = shared_machine()
        assert machine is shared_machine()
        assert machine.models == []
        assert set(machine.events) == set(TRIGGERS)
        assert not any(name.startswith("to_") for name in machine.events)

    def test_machine_agrees_with_the_table_for_every_state_and_trigger(self) -> None:
        for state in State:
            for trigger in TRIGGERS:
                expected = destination(state, trigger)
                assert can_fire(state, trigger) == (expected is not None)
                row = Row(state.value)
                if expected is None:
                    with pytest.raises(Refusal):
                        fire(row, trigger)
                    assert row.status == state.value
                else:
                    assert fire(row, trigger) is expected
                    assert row.status == expected.value


class TestFire:
    def test_fire_moves_the_status_and_returns_the_state(self) -> None:
        row = Row()
        assert fire(row, "submit") is State.SUBMITTED
        assert row.status == "submitted"
        assert fire(row, "return_for_revision") is State.DRAFT
        assert fire(row, "submit") is State.SUBMITTED
        assert fire(row, "recommend") is State.RECOMMENDED

    def test_status_given_as_the_enum_works(self) -> None:
        row = Row()
        row.status = State.SUBMITTED  # type: ignore[assignment]
        assert fire(row, "reject") is State.NOT_RECOMMENDED
        assert row.status == "not_recommended"

    def test_invalid_trigger_for_the_state_is_refused_and_changes_nothing(self) -> None:
        row = Row("recommended")
        with pytest.raises(Refusal) as info:
            fire(row, "submit")
        assert info.value.rule == "EnforceAllowedTrigger"
        assert "cannot submit in state recommended" in str(info.value)
        assert row.status == "recommended"

    def test_unknown_trigger_is_refused(self) -> None:
        row = Row()
        with pytest.raises(Refusal, match="unknown trigger 'to_confirmed'"):
            fire(row, "to_confirmed")
        assert row.status == "draft"

    def test_unknown_status_is_refused(self) -> None:
        with pytest.raises(Refusal, match="unknown state 'archived'"):
            fire(Row("archived"), "submit")

    def test_final_states_accept_no_trigger(self) -> None:
        for state in FINAL_STATES:
            for trigger in TRIGGERS:
                with pytest.raises(Refusal):
                    fire(Row(state.value), trigger)

    def test_distinct_objects_do_not_share_state(self) -> None:
        a, b = Row(), Row()
        fire(a, "submit")
        assert (a.status, b.status) == ("submitted", "draft")


class TestReplay:
    def test_empty_replay_is_draft(self) -> None:
        assert replay([]) is State.DRAFT

    def test_replay_reproduces_the_final_state(self) -> None:
        log = [
            "submit",
            "return_for_revision",
            "submit",
            "recommend",
            "open_scoring",
            "shortlist",
            "publish_notice",
            "confirm",
            "open_recertification",
            "renew",
            "open_recertification",
            "revoke",
        ]
        assert replay(log) is State.REVOKED
        row = Row()
        for trigger in log[:8]:
            fire(row, trigger)
        assert replay(log[:8]) is State(row.status) is State.CONFIRMED

    def test_replay_from_another_start(self) -> None:
        assert replay(["remove"], start=State.PUBLIC_NOTICE) is State.REMOVED_AFTER_NOTICE

    def test_replay_of_an_impossible_log_is_refused(self) -> None:
        with pytest.raises(Refusal):
            replay(["submit", "withdraw", "submit"])


def test_firing_on_100000_distinct_objects() -> None:
    rows = [Row() for _ in range(100_000)]
    for row in rows:
        fire(row, "submit")
    second = ("recommend", "reject", "return_for_revision", "withdraw")
    for i, row in enumerate(rows):
        fire(row, second[i % 4])
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    assert counts == {
        "recommended": 25_000,
        "not_recommended": 25_000,
        "draft": 25_000,
        "withdrawn": 25_000,
    }
    assert shared_machine().models == []


class TestMermaid:
    def test_is_a_state_diagram_with_every_state_and_trigger(self) -> None:
        text = mermaid()
        assert "stateDiagram-v2" in text
        for state in State:
            assert f" as {state.value}" in text
            assert state.staff_name in text
        for spec in TRANSITIONS:
            for source in spec.sources:
                assert f"{source.value} --> {spec.dest.value}: {spec.trigger}" in text
        assert "[*] --> draft" in text
        for state in FINAL_STATES:
            assert f"{state.value} --> [*]" in text

    def test_no_state_is_highlighted_and_no_auto_transition_drawn(self) -> None:
        text = mermaid()
        assert "s_active" not in text.split("classDef s_previous")[-1]
        assert "to_" not in text
