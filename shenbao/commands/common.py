"""What every command shares: the `--as` actor (never defaulted), `--now`, ids, result lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from shenbao import args
from shenbao.errors import fail, refusals
from states.acts import act, missing_actor

if TYPE_CHECKING:
    from datetime import datetime

    from states.actors import Actor
    from store.transitions import Result

NOW = typer.Option(None, "--now", help="ISO 8601 instant to act at (default: the clock)")
YEAR = typer.Option(
    None, "--year", help="campaign year (default: the latest)", parser=args.cli(args.year, "--year")
)
FORCE = typer.Option(False, "--force", help="replace an existing file")
JSON = typer.Option(False, "--json", help="print JSON")


def as_option(name: str) -> Any:
    """`--as`, required in effect: its help lists the roles the table allows for act `name`."""
    spec = act(name)
    return typer.Option(None, "--as", help=f"actor (required): {spec.help()}")


def acting(name: str, text: str | None) -> Actor:
    """The actor of act `name`; no `--as` is exit 2 naming the roles that may act."""
    if text is None or not text.strip():
        fail(missing_actor(name))
    from services.wiring import parse_actor

    with refusals():
        return parse_actor(text)


def authorized(name: str, actor: Actor, now: str | None, app: int | None = None) -> None:
    """Authorise (and audit a refusal) before a command reads its files: the role comes first."""
    from services import handlers

    with refusals():
        handlers.authorize(db(), name, actor, now_at(now), app_id=app)


def now_at(text: str | None) -> datetime:
    from services.wiring import now_from

    with refusals():
        return now_from(text)


def app_id(text: str, field: str = "APP") -> int:
    return args.cli(args.record_id, field)(text)


def print_results(results: list[Result]) -> None:
    for r in results:
        if r.accepted:
            print(f"{r.application_id}: {r.from_state} -> {r.to_state}")
        else:
            print(f"{r.application_id}: refused [{r.rule}] {r.message}")


def db() -> Any:
    """The database for an act that writes (migrated on first use)."""
    from services.wiring import database

    return database()


def read_db() -> Any:
    """The database for a read: never created, never migrated."""
    from services.wiring import existing_database

    with refusals():
        return existing_database()
