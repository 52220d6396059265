"""The one place adapters are wired together: settings -> database, services, mail."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from deadlines import now_shanghai, parse_instant
from programs.provinces import normalize_province
from programs.text import actor_text as clean_actor
from shenbao.settings import Settings
from states.actors import Actor, Role
from store.db import Database
from store.service import Lifecycle


def settings() -> Settings:
    return Settings.from_env()


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    from store.migrations import upgrade

    upgrade(url)
    return Database(url)


def database() -> Database:
    """The configured database, migrated to the latest schema on first use."""
    return _database(settings().database_url)


def lifecycle() -> Lifecycle:
    return Lifecycle(database())


def now_from(text: str | None) -> datetime:
    """`--now ISO8601` or the clock, always aware (Asia/Shanghai when no offset is given)."""
    return parse_instant(text, "--now") if text else now_shanghai()


def actor_from(text: str) -> Actor:
    """`--as role:scope`; a province scope is normalised (广东, 广东省 and 440000 are one)."""
    text = clean_actor(text)
    actor = Actor.parse(text)
    if actor.role is Role.PROVINCE and actor.scope:
        return Actor(Role.PROVINCE, normalize_province(actor.scope))
    if actor.role is Role.ENTERPRISE and actor.scope:
        from programs.forms import check_uscc

        scope = actor.scope.strip().upper()
        if not check_uscc(scope):
            raise ValueError(
                f"--as: '{actor.scope}' 不是有效的统一社会信用代码 "
                "(enterprise scope must be a valid USCC, GB 32100-2015)"
            )
        return Actor(Role.ENTERPRISE, scope)
    return actor
