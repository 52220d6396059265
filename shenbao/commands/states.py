"""`shenbao states ...`: the lifecycle as derived from its one transition table."""

from __future__ import annotations

import typer

from states.lifecycle import TRANSITIONS, State

app = typer.Typer(help="The application lifecycle.")


@app.command("diagram")
def diagram() -> None:
    """Print the lifecycle as a mermaid stateDiagram-v2."""
    from states.machine import mermaid

    print(mermaid())


@app.command("table")
def table() -> None:
    """Print every state with its names and every trigger with who may fire it."""
    for state in State:
        print(f"{state.value}\t{state.staff_name}\t{state.applicant_name}")
    print()
    for spec in TRANSITIONS:
        sources = ",".join(s.value for s in spec.sources)
        roles = ",".join(r.value for r in spec.roles)
        print(f"{spec.trigger}\t{sources} -> {spec.dest.value}\t{roles}")


@app.command("acts")
def acts() -> None:
    """Print every act: its command, the roles that may perform it, what it does."""
    from states.acts import describe

    for line in describe():
        print(line)
