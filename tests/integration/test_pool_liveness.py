"""Pooled PostgreSQL connections that the server dropped are replaced at checkout, unseen by
the caller, without a round trip per checkout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, text

from store.db import Database

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_db(pg_server: str) -> Iterator[Database]:
    from tests.conftest import create_pg_database, drop_pg_database

    name, url = create_pg_database(pg_server)
    db = Database(url)
    yield db
    db.dispose()
    drop_pg_database(pg_server, name)


def _backend_pid(db: Database) -> int:
    with db.sessions() as s:
        return int(s.scalar(text("SELECT pg_backend_pid()")))


def _terminate(db: Database, pid: int) -> None:
    import time

    import psycopg

    admin = db.url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        for _ in range(100):  # the backend gone, its FATAL message and EOF on the socket
            if conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                time.sleep(0.02)
    time.sleep(0.05)


def test_a_terminated_connection_is_replaced_at_checkout(pg_db: Database) -> None:
    first = _backend_pid(pg_db)
    assert _backend_pid(pg_db) == first  # the pool hands back the same connection
    _terminate(pg_db, first)
    second = _backend_pid(pg_db)  # no error: the dead one was refused and a fresh one opened
    assert second != first
    with pg_db.transaction() as s:
        assert s.scalar(text("SELECT 1")) == 1


def test_every_pooled_connection_terminated(pg_db: Database) -> None:
    conns = [pg_db.engine.connect() for _ in range(3)]
    pids = [int(c.scalar(text("SELECT pg_backend_pid()"))) for c in conns]
    for c in conns:
        c.close()
    for pid in pids:
        _terminate(pg_db, pid)
    assert _backend_pid(pg_db) not in pids


def test_no_statement_on_checkout(pg_db: Database) -> None:
    _backend_pid(pg_db)
    seen: list[str] = []
    event.listen(pg_db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    _backend_pid(pg_db)
    assert seen == ["SELECT pg_backend_pid()"]
