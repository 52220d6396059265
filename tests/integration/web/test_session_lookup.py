"""The session lookup of every request (`store.accounts.live_session` through `web.queries`):
the same answer as `session_for`, one rule for both; on PostgreSQL one statement in
autocommit, with no transaction around it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, update

from deadlines import parse_instant
from store import accounts
from store.db import Database
from web import acts
from web.queries import Queries

NOW = "2026-06-20T20:00:00"


def _session(db: Database, email: str) -> tuple[str, int]:
    svc = acts.Services.over(db)
    now = parse_instant(NOW)
    _id, tok = acts.invite_as_operator(svc, email=email, role="ministry", scope=None,
                                       name="工信部", now=now, base_url="", operator="system")  # fmt: skip
    acts.activate(svc, token=tok, password="session-lookup-password", now=now)
    with db.transaction() as s:
        account = accounts.get_by_email(s, email)
        assert account is not None
        opened = accounts.open_session(s, account, now, replaces=None, client="test")
        return opened.token, account.id


def _both(db: Database, token: str, at: datetime) -> tuple[Any, Any]:
    live = Queries(db).session_of(token, at)
    with db.sessions() as s:
        orm = accounts.session_for(s, token, at)
    return live, orm


def test_live_session_and_session_for_agree(db_url: str) -> None:
    db = Database(db_url)
    try:
        token, account_id = _session(db, "coord@ministry.example.cn")
        now = parse_instant(NOW)
        live, orm = _both(db, token, now + timedelta(minutes=5))
        assert live is not None and orm is not None
        assert (live.account_id, live.role, live.scope, live.email) == (
            account_id, "ministry", None, "coord@ministry.example.cn"
        )  # fmt: skip
        assert live.csrf_token == orm[0].csrf_token and live.last_seen_at == now
        for later in (timedelta(hours=2, seconds=1), timedelta(hours=8)):  # idle; lifetime
            assert _both(db, token, now + later) == (None, None)
        assert _both(db, "not-a-session", now) == (None, None)
        assert _both(db, "x" * 129, now) == (None, None)
        with db.transaction() as s:
            s.execute(update(accounts.Account).values(status="disabled"))
        assert _both(db, token, now) == (None, None)
        with db.transaction() as s:
            s.execute(update(accounts.Account).values(status="active"))
            s.execute(update(accounts.WebSession).values(revoked_at=now))
        assert _both(db, token, now + timedelta(seconds=1)) == (None, None)
    finally:
        db.dispose()


def test_postgresql_lookup_is_one_autocommit_statement(db_url: str) -> None:
    db = Database(db_url)
    try:
        token, _account = _session(db, "coord@ministry.example.cn")
        queries = Queries(db)
        seen: list[tuple[str, bool]] = []

        def record(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            dbapi = conn.connection.dbapi_connection
            seen.append((statement.split()[0], bool(getattr(dbapi, "autocommit", False))))

        event.listen(db.engine, "before_cursor_execute", record)
        assert queries.session_of(token, parse_instant(NOW)) is not None
        if db.dialect == "postgresql":
            assert seen == [("SELECT", True)]
        else:  # SQLite: its read transaction (BEGIN issued by the engine's begin hook)
            assert [s for s, _ in seen].count("SELECT") == 1
    finally:
        db.dispose()
