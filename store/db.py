"""Engines and sessions: SQLite by default (serialised writers), PostgreSQL by URL."""

from __future__ import annotations

import json
import select
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event, exc, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware instants stored in UTC; SQLite keeps no offset, so it gets naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused by the database layer")
        value = value.astimezone(UTC)
        if type(value) is not datetime:  # pendulum's: the drivers handle the stdlib's far faster
            value = datetime(
                value.year, value.month, value.day, value.hour, value.minute, value.second,
                value.microsecond, tzinfo=UTC,
            )  # fmt: skip
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


class JSONText(str):
    """A value already serialised by `json_dumps`: stored as it is (one form written to two
    rows is serialised once)."""

    __slots__ = ()

    @classmethod
    def of(cls, value: Any) -> JSONText:
        return cls(json.dumps(value, ensure_ascii=False, default=str))


class JSONMapping(dict[str, Any]):
    """A mapping that carries the text it is stored as (an audit record's details, serialised
    once for its hash and its row). Read-only, so that the two cannot part; a copy is a plain
    dict."""

    __slots__ = ("text",)

    def __init__(self, value: Mapping[str, Any], text: str) -> None:
        super().__init__(value)
        self.text = text

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("JSONMapping is read-only: copy it with dict(...) to change it")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))


def json_dumps(value: Any) -> str:
    """JSON as stored: UTF-8 text kept readable, anything else (Decimal, date) as its string."""
    kind = type(value)
    if kind is JSONText:
        return value
    if kind is JSONMapping:
        return value.text
    return json.dumps(value, ensure_ascii=False, default=str)


# Connections kept open per process: at least as many as the web service's threads (16, each
# holding one connection at a time) plus its event loop's own; a pool smaller than the threads
# working at once closes and reopens a connection for nearly every request under load.
POOL_SIZE = 20
MAX_OVERFLOW = 10


def make_engine(url: str, **kwargs: Any) -> Engine:
    """SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE so writers queue instead of racing."""
    kwargs.setdefault("json_serializer", json_dumps)
    in_memory = url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url
    if "poolclass" not in kwargs and not in_memory:  # in-memory SQLite keeps its own pool
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", MAX_OVERFLOW)
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"timeout": 60}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # writers take the write lock up front (no upgrade deadlocks); readers do not wait
            readonly = conn.get_execution_options().get("shenbao_readonly", False)
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkout", _refuse_dropped)
    return engine


def _refuse_dropped(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """The liveness check of a pooled PostgreSQL connection, without a round trip.

    An idle connection in the pool has nothing to read (we LISTEN to nothing): when its socket
    is readable the server has written to it on its own, which it does when it closes it
    (restart, pg_terminate_backend, idle timeout: a FATAL message, then EOF). Such a connection
    is refused, and the pool opens a fresh one in its place (SQLAlchemy retries a checkout
    refused with DisconnectionError). `pool_pre_ping` found the same with a `SELECT 1` sent on
    every checkout."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # not psycopg 3: nothing to look at
        return
    try:
        if dbapi_connection.closed or pgconn.status != 0:  # 0: CONNECTION_OK
            raise exc.DisconnectionError("connection closed")
        poller = select.poll()  # poll, not select: any descriptor number
        poller.register(pgconn.socket, select.POLLIN)
        readable = poller.poll(0)
    except exc.DisconnectionError:
        raise
    except Exception as error:  # no socket any more
        raise exc.DisconnectionError(str(error)) from error
    if readable:
        raise exc.DisconnectionError("connection closed by the server (input on an idle one)")


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kwargs)
        # `sessions()` is for reading (no write lock on SQLite); `transaction()` for writing
        self.sessions = sessionmaker(
            self.engine.execution_options(shenbao_readonly=True), expire_on_commit=False
        )
        self._writers = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any exception."""
        with self._writers() as session, session.begin():
            yield session

    def advisory_lock(self, session: Session, key: str) -> None:
        """Serialise a critical section across processes (PostgreSQL); SQLite is already serial."""
        if self.dialect == "postgresql":
            session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key}
            )

    def dispose(self) -> None:
        self.engine.dispose()
