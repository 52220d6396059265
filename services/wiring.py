"""Wiring below every face: settings -> the database (the unit of work), the clock, the actor.

`database()` migrates on first use, for acts that write; `existing_database()` opens a database
for reading only and never creates or migrates one.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from services.settings import ServiceSettings
from states.actors import DEPARTMENTS, Actor, Role
from store.db import Database


def settings() -> ServiceSettings:
    return ServiceSettings.from_env()


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    from store.migrations import upgrade

    upgrade(url)
    return Database(url)


@lru_cache(maxsize=4)
def _existing(url: str) -> Database:
    return Database(url)


def database() -> Database:
    """The configured database, migrated to the latest schema on first use (acts that write)."""
    return _database(settings().database_url)


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for in-memory or other databases)."""
    if not url.startswith("sqlite"):
        return None
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    if not rest or rest == ":memory:":
        return None
    return Path(rest.split("?", 1)[0])


def existing_database() -> Database:
    """The configured database for reading: never created, never migrated."""
    url = settings().database_url
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise LookupError(
            f"SHENBAO_DATABASE_URL: no database at {path}; "
            "create one with `shenbao db upgrade` or an act that writes"
        )
    return _existing(url)


def reset() -> None:
    """Forget opened databases (tests that change SHENBAO_DATABASE_URL)."""
    _database.cache_clear()
    _existing.cache_clear()


def now_from(text: str | None) -> datetime:
    """`--now ISO8601` or the clock, always aware (Asia/Shanghai when no offset is given)."""
    from deadlines import now_shanghai, parse_instant

    return parse_instant(text, "--now") if text else now_shanghai()


def parse_actor(text: str) -> Actor:
    """`role:scope`; a province scope is normalised (广东, 广东省 and 440000 are one), with an
    optional reviewing department (`province:广东/commerce`, `province:广东/industry`)."""
    from programs.text import actor_text

    text = actor_text(text)  # controls, bidi, invisible characters, the columns' lengths
    actor = Actor.parse(text)
    if actor.role is Role.PROVINCE and actor.scope:
        from programs.provinces import normalize_province

        region, sep, dept = actor.scope.partition("/")
        short = normalize_province(region)
        if sep:
            dept = dept.strip().lower()
            if dept not in DEPARTMENTS:
                raise ValueError(
                    f"--as: '{text}' names no reviewing department "
                    f"(one of {', '.join(DEPARTMENTS)}: {', '.join(DEPARTMENTS.values())})"
                )
            return Actor(Role.PROVINCE, f"{short}/{dept}")
        return Actor(Role.PROVINCE, short)
    if actor.role is Role.ENTERPRISE and actor.scope:
        from programs.forms.uscc import check_uscc

        scope = actor.scope.strip().upper()
        if not check_uscc(scope):
            raise ValueError(
                f"--as: '{actor.scope}' 不是有效的统一社会信用代码 "
                "(enterprise scope must be a valid USCC, GB 32100-2015)"
            )
        return Actor(Role.ENTERPRISE, scope)
    return actor
