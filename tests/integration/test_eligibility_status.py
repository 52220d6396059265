"""`application.eligibility_status`: the form check's eligibility verdict as a column, written
wherever the check is written (one draft, a batch of drafts, a saved form) and backfilled from
the stored checks by migration 0008, which also downgrades cleanly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, inspect, select, text, update

from services import handlers
from store import formcheck
from store.bulk import NewApplication
from store.db import Database
from store.migrations import current, upgrade
from store.models import Application
from tests.conftest import uscc, valid_form
from tests.fixtures.handlers import EDITION, OPEN, apply, campaign_db, me


def _form(n: int, *, service_years: str | None = None) -> dict[str, Any]:
    form = valid_form(EDITION, "center", uscc(n), f"申报单位{n}", consortium=False)
    if service_years is not None:
        form["basic"]["service_years"] = service_years  # below the 2 years asked: not met
    return form


def stored(db: Database) -> dict[int, tuple[str | None, str | None]]:
    """Per application: (the column, the verdict inside its stored form check)."""
    with db.sessions() as s:
        rows = s.execute(
            select(Application.id, Application.eligibility_status, Application.form_check)
        ).all()
    return {i: (col, formcheck.eligibility_status(check or {})) for i, col, check in rows}


def test_written_on_create_in_a_batch_and_on_a_saved_form(db_url: str) -> None:
    db = campaign_db(db_url)
    full = apply(db, 1)  # one draft with a complete form
    empty = handlers.create_application(
        db, me(2), EDITION, uscc=uscc(2), name="申报单位2", province="广东",
        category="center", email="u2@example.com", now=OPEN,
    )  # fmt: skip
    batch = handlers.create_many(
        db,
        EDITION,
        [
            NewApplication(
                actor=me(n),
                uscc=uscc(n),
                name=f"申报单位{n}",
                province="广东",
                category="center",
                form=form,
            )  # fmt: skip
            for n, form in ((3, _form(3)), (4, _form(4, service_years="1")))
        ],
        now=OPEN,
    )
    short, low = batch
    assert isinstance(short, int) and isinstance(low, int), batch
    rows = stored(db)
    assert rows[full] == ("needs_review", "needs_review")  # the reviewer judges three criteria
    assert rows[empty] == ("missing", "missing")
    assert rows[short] == ("needs_review", "needs_review")
    assert rows[low] == ("not_met", "not_met")

    handlers.save_form(db, me(2), empty, _form(2, service_years="1"), now=OPEN)
    handlers.save_form(db, me(1), full, _form(1, service_years="1"), now=OPEN)
    handlers.save_form(db, me(4), low, _form(4), now=OPEN)
    rows = stored(db)
    assert rows[empty] == ("not_met", "not_met")
    assert rows[full] == ("not_met", "not_met")
    assert rows[low] == ("needs_review", "needs_review")
    assert rows[short] == ("needs_review", "needs_review")  # untouched
    db.dispose()


def test_the_migration_backfills_from_form_check_and_downgrades_cleanly(db_url: str) -> None:
    db = campaign_db(db_url)
    ids = [apply(db, 1), apply(db, 2)]
    handlers.save_form(db, me(2), ids[1], _form(2, service_years="1"), now=OPEN)
    ids.append(
        handlers.create_application(
            db,
            me(3),
            EDITION,
            uscc=uscc(3),
            name="申报单位3",
            province="广东",
            category="center",
            email="u3@example.com",
            now=OPEN,
        )  # fmt: skip
    )
    ids.append(apply(db, 4))
    with db.transaction() as s:  # a check stored without a verdict (an older row's `{}`)
        s.execute(update(Application).where(Application.id == ids[3]).values(form_check={}))
    written = {i: col for i, (col, _) in stored(db).items()}
    assert written == {ids[0]: "needs_review", ids[1]: "not_met", ids[2]: "missing",
                       ids[3]: "needs_review"}  # fmt: skip
    db.dispose()

    _downgrade(db_url, "0007")
    assert current(db_url) == "0007"
    assert "eligibility_status" not in _columns(db_url)
    engine = create_engine(db_url)
    with engine.connect() as conn:  # the rows survive the downgrade
        assert conn.execute(text("SELECT count(*) FROM application")).scalar() == 4
    engine.dispose()

    upgrade(db_url)
    assert current(db_url) == "0008"
    names = _column_order(db_url)
    if db_url.startswith("sqlite"):  # rebuilt with the short column before the large JSON ones
        assert names.index("eligibility_status") < names.index("form") < names.index("form_check")
    db = Database(db_url)
    rows = stored(db)
    assert rows == {
        ids[0]: ("needs_review", "needs_review"),
        ids[1]: ("not_met", "not_met"),
        ids[2]: ("missing", "missing"),
        ids[3]: (None, None),  # no verdict in the check: NULL, as the writers leave it
    }
    db.dispose()


def _downgrade(url: str, revision: str) -> None:
    from alembic import command

    from store.migrations import alembic_config

    command.downgrade(alembic_config(url), revision)


def _columns(url: str) -> set[str]:
    return set(_column_order(url))


def _column_order(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return [c["name"] for c in inspect(engine).get_columns("application")]
    finally:
        engine.dispose()
