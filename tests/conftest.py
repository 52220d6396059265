"""Shared fixtures: databases (a file SQLite and, when reachable, a fresh PostgreSQL database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
if "PREFECT_HOME" not in os.environ:  # never the user's own Prefect database
    import tempfile

    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="shenbao-prefect-")
PG_ADMIN_URL = os.environ.get(
    "SHENBAO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(_libpq(PG_ADMIN_URL), connect_timeout=3):
            return True
    except Exception:
        return False


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="session")
def pg_server() -> str:
    if not pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    return PG_ADMIN_URL


def create_pg_database(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"shenbao_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a file SQLite, then a fresh PostgreSQL database."""
    from store.migrations import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shenbao.db'}"
        upgrade(url)
        yield url
        return
    admin = request.getfixturevalue("pg_server")
    name, url = create_pg_database(admin)
    try:
        upgrade(url)
        yield url
    finally:
        from store.db import Database

        Database(url).dispose()
        drop_pg_database(admin, name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    from store.migrations import upgrade

    url = f"sqlite:///{tmp_path / 'shenbao.db'}"
    upgrade(url)
    return url


def valid_form(
    edition_id: str,
    kind: str,
    org: str | None = None,
    name: str | None = None,
    *,
    consortium: bool | None = None,
) -> dict[str, Any]:
    """A form that passes validation (the shipped example), for `org` when given.

    `consortium=False` drops the example's consortium members (and their agreement): the
    application is then a plain one, since a consortium is what the form says.
    """
    from programs.forms import example_form

    form = example_form(edition_id, kind)
    if consortium is False:
        form.pop("consortium", None)
        form.get("attachments", {}).pop("consortium_agreement", None)
    elif consortium and not form.get("consortium"):
        raise ValueError(f"{edition_id}/{kind}: the example form lists no consortium members")
    if org is not None:
        form["basic"]["uscc"] = org
    if name is not None:
        key = "lead_name" if "lead_name" in form["basic"] else "company_name"
        form["basic"][key] = name
    return form


def uscc(n: int) -> str:
    """A valid 统一社会信用代码 numbered n (GB 32100-2015 check character computed)."""
    from programs.forms.uscc import make_uscc

    return make_uscc(f"9144030{n:010d}")
