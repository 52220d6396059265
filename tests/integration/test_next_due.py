"""`application.next_due_at` after every kind of move, and the sweep that reads it.

The expected instants are written out from the edition (szzx-2026-2: applications 2026-05-27 to
2026-06-20, so a draft is due to lapse at 2026-06-21 00:00 Asia/Shanghai), not computed by the
code under test.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from deadlines import SHANGHAI
from services import handlers
from services.errors import Refused
from states.actors import SYSTEM, Actor
from store.bulk import NewApplication
from store.db import Database
from store.models import Application
from store.service import Lifecycle
from store.sweeps import Sweeper, due_ids
from tests.conftest import uscc, valid_form
from tests.fixtures.handlers import MINISTRY, OPEN, apply, campaign_db, me

GD = Actor.parse("province:广东")
LAPSES = datetime(2026, 6, 21, 0, 0, tzinfo=SHANGHAI)
SCREENING = datetime(2026, 6, 22, 10, tzinfo=SHANGHAI)
IN_WINDOW = datetime(2026, 6, 1, 10, tzinfo=SHANGHAI)


@pytest.fixture
def db(db_url: str) -> Database:
    return campaign_db(db_url)


def rows(db: Database) -> dict[int, tuple[str, datetime | None]]:
    with db.sessions() as s:
        return {a.id: (a.status, a.next_due_at) for a in s.query(Application)}


def assert_consistent(db: Database) -> None:
    """Every draft is due when the window closes; nothing else is due to any sweep."""
    for app_id, (status, due) in rows(db).items():
        expected = LAPSES if status == "draft" else None
        assert due == expected, (app_id, status, due)


def test_every_kind_of_move_keeps_next_due(db: Database) -> None:
    a, b, c, d, e = (apply(db, n) for n in range(1, 6))
    assert rows(db)[a] == ("draft", LAPSES)  # created
    for app_id, n in ((a, 1), (b, 2), (c, 3), (d, 4)):
        handlers.submit(db, me(n), app_id, now=OPEN)
    assert rows(db)[a] == ("submitted", None)
    handlers.withdraw(db, me(4), d, now=OPEN)
    assert_consistent(db)
    handlers.return_for_revision(db, GD, b, now=IN_WINDOW, reason="材料不全")
    assert rows(db)[b] == ("draft", LAPSES)  # back to draft: due again
    handlers.recommend(db, GD, a, now=SCREENING)
    handlers.reject(db, GD, c, now=SCREENING, reason="不符合条件")
    assert_consistent(db)
    handlers.open_scoring(db, MINISTRY, "szzx-2026-2", now=SCREENING)
    assert rows(db)[a] == ("expert_scoring", None)
    assert_consistent(db)
    # a refused attempt changes nothing of it
    with pytest.raises(Refused):
        handlers.submit(db, me(5), e, now=SCREENING)  # the window has closed
    assert rows(db)[e] == ("draft", LAPSES)


def test_the_sweep_finds_the_due_by_the_index_and_lapses_them(db: Database) -> None:
    a, b, c = (apply(db, n) for n in range(1, 4))
    handlers.submit(db, me(2), b, now=OPEN)
    made = handlers.create_many(
        db,
        "szzx-2026-2",
        [
            NewApplication(
                actor=me(9),
                uscc=uscc(9),
                name="申报单位9",
                province="广东",
                category="center",
                form=valid_form("szzx-2026-2", "center", uscc(9), "申报单位9", consortium=False),
            )  # fmt: skip
        ],
        now=OPEN,
    )
    (d,) = made
    assert rows(db)[d] == ("draft", LAPSES)  # created in a batch
    before = datetime(2026, 6, 20, 23, 59, 59, tzinfo=SHANGHAI)
    assert due_ids(db, before) == []
    assert due_ids(db, LAPSES) == sorted([a, c, d])
    report = Sweeper(Lifecycle(db)).run(LAPSES)
    assert report.lapsed == 3
    assert rows(db)[a] == ("lapsed", None)
    assert due_ids(db, LAPSES) == []
    assert Sweeper(Lifecycle(db)).run(LAPSES).lapsed == 0
    assert_consistent(db)


def test_a_lapse_by_hand_clears_it(db: Database) -> None:
    a = apply(db, 1)
    handlers.lapse(db, SYSTEM, [a], now=LAPSES)
    assert rows(db)[a] == ("lapsed", None)
