"""The CLI's wiring: the application layer's (services.wiring), loaded only when used."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shenbao.settings import Settings
    from states.actors import Actor
    from store.db import Database
    from store.service import Lifecycle


def settings() -> Settings:
    from shenbao.settings import Settings

    return Settings.from_env()


def database() -> Database:
    """The configured database, migrated on first use (acts that write)."""
    from services.wiring import database as wired

    return wired()


def existing_database() -> Database:
    """The configured database for reading: never created, never migrated."""
    from services.wiring import existing_database as wired

    return wired()


def lifecycle() -> Lifecycle:
    from store.service import Lifecycle

    return Lifecycle(database())


def now_from(text: str | None) -> datetime:
    from services.wiring import now_from as wired

    return wired(text)


def actor_from(text: str) -> Actor:
    from services.wiring import parse_actor

    return parse_actor(text)


def __getattr__(name: str) -> Any:
    if name == "_database":  # the cache of migrated databases (tests and the demo clear it)
        from services.wiring import _database

        return _database
    raise AttributeError(name)
