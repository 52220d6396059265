"""Deadline sweeps over a large store: nothing due among 1,000,000, then 10,000 due.

Run: python bench/sweep_bench.py [--n 1000000] [--due 10000] [--db postgresql|sqlite] [--pg URL]
Into a temporary database it inserts, with Core INSERT ... SELECT over generate_series (PostgreSQL)
or a recursive series (SQLite), `n` applications: `due` drafts in campaign A and `due` in campaign
C (both due to lapse when their window closes, 2026-06-21 00:00), the rest confirmed (nothing due).

1. Before the window closes (2026-06-10) nothing is due: it times `store.sweeps.due_ids` (the
   indexed next-due query) and a whole `Sweeper.run`, next to the same query with the index on
   `application.next_due_at` dropped (a scan of every application): the ratio.
2. After it closes (2026-06-22): `Sweeper.lapse_drafts` finds and lapses campaign A's drafts in
   batches, next to `handlers.lapse` over campaign C's ids given directly in batches of the same
   size (the transition path's rate): the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def series(dialect: str, n: int) -> Any:
    """A one-column selectable `i` of 1..n."""
    from sqlalchemy import column, func, select, text

    if dialect == "postgresql":
        return select(func.generate_series(1, n).label("i")).subquery("g")
    return (
        text(
            f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) "
            "SELECT i FROM g"
        )
        .columns(column("i"))
        .subquery("g")
    )


def populate(db: Any, n: int, due: int) -> tuple[int, int]:
    from sqlalchemy import JSON, case, cast, func, insert, literal, select
    from sqlalchemy.types import String

    from deadlines import SHANGHAI
    from store.db import UTCDateTime
    from store.models import Application, Campaign, Organisation

    lapses = datetime(2026, 6, 21, tzinfo=SHANGHAI).astimezone(UTC)
    now = datetime(2026, 5, 1, tzinfo=UTC)
    with db.transaction() as s:
        ids = []
        for year in (2026, 2027, 2028):
            c = Campaign(
                edition_id="szzx-2026-2", year=year, status="open",
                application_opens=date(2026, 5, 27), application_closes=date(2026, 6, 20),
                screening_opens=date(2026, 6, 21), screening_closes=date(2026, 6, 30),
                settings={}, opened_at=now, opened_by="ministry",
            )  # fmt: skip
            s.add(c)
            s.flush()
            ids.append(c.id)
        a, b, c_ = ids
        g = series(db.dialect, n)
        i = g.c.i
        code = func.substr(literal("91440000") + cast(i + 1000000000, String), 1, 18)
        o = Organisation.__table__
        s.execute(
            insert(o).from_select(
                ["uscc", "name", "province", "created_at"],
                select(
                    code,
                    literal("单位") + cast(i, String),
                    literal("广东"),
                    literal(now, UTCDateTime()),
                ),
            )
        )
        t = Application.__table__
        draft = i <= 2 * due
        s.execute(
            insert(t).from_select(
                [
                    "campaign_id", "organisation_id", "uscc", "name", "province", "category",
                    "consortium", "contact_email", "status", "form", "form_version",
                    "form_check", "audit_count", "audit_head", "created_at", "updated_at",
                    "version", "next_due_at",
                ],
                select(
                    case((i <= due, a), (i <= 2 * due, c_), else_=b),
                    i, code, literal("单位") + cast(i, String), literal("广东"),
                    literal("center"), literal(False),
                    literal("u@example.com"),
                    case((draft, "draft"), else_="confirmed"),
                    cast(literal("{}"), JSON), literal(0), cast(literal("{}"), JSON), literal(0),
                    literal(""), literal(now, UTCDateTime()), literal(now, UTCDateTime()),
                    literal(1), case((draft, literal(lapses, UTCDateTime())), else_=None),
                ),
            )
        )  # fmt: skip
    return a, c_


def timed(fn: Any, repeat: int = 5) -> float:
    """The best of `repeat` runs (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench(url: str, n: int, due: int) -> None:
    from sqlalchemy import text

    from deadlines import SHANGHAI
    from programs.editions import load_edition
    from services import handlers
    from states.actors import SYSTEM
    from store.db import Database
    from store.migrations import upgrade
    from store.service import Lifecycle
    from store.sweeps import BATCH, Sweeper, due_ids

    upgrade(url)
    db = Database(url)
    t0 = time.perf_counter()
    a, c = populate(db, n, due)
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    print(f"{db.dialect}: {n:,} applications inserted in {time.perf_counter() - t0:.1f} s")
    before = datetime(2026, 6, 10, 12, tzinfo=SHANGHAI)
    assert due_ids(db, before) == []
    indexed = timed(lambda: due_ids(db, before))
    sweeper = Sweeper(Lifecycle(db))
    whole = timed(lambda: sweeper.run(before), repeat=3)
    with db.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_application_next_due"))
    scan = timed(lambda: due_ids(db, before), repeat=3)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE INDEX ix_application_next_due ON application (next_due_at)"))
        if db.dialect == "postgresql":
            conn.execute(text("ANALYZE application"))
    print(
        f"  nothing due: indexed query {indexed * 1000:8.2f} ms   whole sweep {whole * 1000:8.1f} ms"
        f"   same query without the index {scan * 1000:8.1f} ms   ratio {scan / indexed:,.0f}x"
        " (floor: whole sweep <= 1 s)"
    )
    after = datetime(2026, 6, 22, 10, tzinfo=SHANGHAI)
    ids_c = due_ids(db, after, campaign_id=c)
    t0 = time.perf_counter()
    for k in range(0, len(ids_c), BATCH):
        batch = handlers.lapse(db, SYSTEM, ids_c[k : k + BATCH], now=after)
        assert len(batch.accepted) == len(ids_c[k : k + BATCH])
    direct = time.perf_counter() - t0
    campaign = next(x for x in sweeper.campaigns() if x.id == a)
    t0 = time.perf_counter()
    lapsed = sweeper.lapse_drafts(campaign, load_edition(campaign.edition_id), after)
    swept = time.perf_counter() - t0
    assert lapsed == due, (lapsed, due)
    assert due_ids(db, after) == []
    print(
        f"  {due:,} due: sweep {due / swept:8,.0f}/s   lapse of given ids {len(ids_c) / direct:8,.0f}/s"
        f"   ratio {direct / swept:.2f} (batches of {BATCH})"
    )
    db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--due", type=int, default=10_000)
    ap.add_argument("--db", default="postgresql", choices=("postgresql", "sqlite"))
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    if args.n < 2 * args.due:
        raise SystemExit("--n: must be at least twice --due")
    tmp = Path(tempfile.mkdtemp(prefix="shenbao-sweep-"))
    os.environ.setdefault("SHENBAO_EDITIONS_DIR", str(tmp))
    try:
        if args.db == "sqlite":
            bench(f"sqlite:///{tmp / 'sweep.db'}", args.n, args.due)
            return
        from tests.conftest import create_pg_database, drop_pg_database, pg_available

        if not pg_available():
            raise SystemExit("postgresql not reachable at 127.0.0.1:5432")
        name, url = create_pg_database(args.pg)
        try:
            bench(url, args.n, args.due)
        finally:
            drop_pg_database(args.pg, name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
