"""The lifecycle table drawn as a mermaid `stateDiagram-v2` (no graphviz needed)."""

from __future__ import annotations

from transitions.extensions.diagrams import GraphMachine

from states.lifecycle import FINAL_STATES, INITIAL_STATE, TRANSITIONS, State


def graph_machine() -> GraphMachine:
    """A GraphMachine with the same states and transitions as the shared machine, for drawing."""
    machine = GraphMachine(
        model=None,
        states=[s.value for s in State],
        transitions=[
            {**spec.as_machine_dict(), "label": f"{spec.trigger} {spec.description_zh}"}
            for spec in TRANSITIONS
        ],
        initial=INITIAL_STATE.value,
        auto_transitions=False,
        model_attribute="status",
        graph_engine="mermaid",
    )
    for state in State:
        machine.get_state(state.value).label = f"{state.staff_name} ({state.value})"
    return machine


def mermaid(title: str = "申报生命周期 application lifecycle") -> str:
    """Mermaid text: states labelled with their staff names, edges with trigger names, and an
    `--> [*]` edge from every final state."""
    machine = graph_machine()
    # With no model registered, draw from a fresh graph of the machine: no state is highlighted.
    source = machine.graph_cls(machine).get_graph(title=title).draw(None)
    finals = [f"  {s.value} --> [*]" for s in State if s in FINAL_STATES]
    return source.rstrip("\n") + "\n" + "\n".join(finals) + "\n"
