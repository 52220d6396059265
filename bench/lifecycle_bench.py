"""Lifecycle throughput: submit + recommend for 20,000 applications vs the raw writes they make.

Run: python bench/lifecycle_bench.py [--n 20000] [--batch 1000] [--pg URL|--no-pg] [--profile]
For SQLite (a temporary file) and PostgreSQL (a temporary database, when reachable) it prints
transitions per second through the real path (form check, policy, machine, audit chain and anchor,
outbox, quota counts under lock, version-checked updates) next to the same writes done raw in the
same run: a SQLAlchemy Core bulk insert of copies of the audit rows and outbox rows the run wrote,
plus one executemany UPDATE of the application row per transition, `batch` transitions a
transaction; and the ratio (floor: 1/3). `--profile` prints a pyinstrument profile of the SQLite
run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def bench_edition() -> str:
    """The real szzx-2026-2 edition with quotas too large to bind: the quota path still runs."""
    text = (ROOT / "programs" / "editions" / "szzx-2026-2.toml").read_text(encoding="utf-8")
    text = text.replace('id = "szzx-2026-2"', 'id = "szzx-2099-bench"')
    text = text.replace("province_default = 2", "province_default = 1000000")
    return text.replace("limit = 3", "limit = 1000000")


def setup(url: str, n: int) -> tuple[Any, list[int]]:
    from sqlalchemy import insert

    from deadlines import SHANGHAI
    from programs.provinces import all_provinces
    from states.actors import Actor
    from store.db import Database
    from store.migrations import upgrade
    from store.models import Application, Organisation
    from store.service import Lifecycle
    from tests.conftest import uscc, valid_form

    upgrade(url)
    lc = Lifecycle(Database(url))
    camp = lc.open_campaign(
        "szzx-2099-bench", now=datetime(2026, 5, 1, tzinfo=SHANGHAI), actor=Actor.parse("ministry")
    )
    provinces = list(all_provinces())
    now = datetime.now(UTC)
    from programs.editions import load_edition
    from store import formcheck

    form = valid_form("szzx-2026-2", "center")
    # what create_application stores for this form (the same form for every applicant)
    check = formcheck.compute(load_edition("szzx-2099-bench"), "center", form, 1)
    with lc.db.transaction() as s:
        s.execute(
            insert(Organisation),
            [
                {
                    "uscc": uscc(i),
                    "name": f"单位{i}",
                    "province": provinces[i % 32],
                    "created_at": now,
                }
                for i in range(n)
            ],
        )
        s.execute(
            insert(Application),
            [
                {
                    "campaign_id": camp.id,
                    "organisation_id": i + 1,
                    "uscc": uscc(i),
                    "name": f"单位{i}",
                    "province": provinces[i % 32],
                    "category": "center",
                    "consortium": False,
                    "contact_email": f"u{i}@example.com",
                    "status": "draft",
                    "form": form,
                    "form_version": 1,
                    "form_check": check,
                    "audit_count": 0,
                    "audit_head": "",
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for i in range(n)
            ],
        )
    return lc, list(range(1, n + 1))


def requests_for(ids: list[int]) -> tuple[list[Any], list[Any]]:
    """The submit and recommend requests (built before the clock starts: input, not work)."""
    from programs.provinces import all_provinces
    from states.actors import Actor
    from store.transitions import Request
    from tests.conftest import uscc

    provinces = list(all_provinces())
    submits = [Request(a, "submit", Actor.parse(f"enterprise:{uscc(a - 1)}")) for a in ids]
    recommends = [
        Request(a, "recommend", Actor.parse(f"province:{provinces[(a - 1) % 32]}")) for a in ids
    ]
    return submits, recommends


def run_lifecycle(lc: Any, ids: list[int], batch: int) -> float:
    from deadlines import SHANGHAI

    submits, recommends = requests_for(ids)
    submit_at = datetime(2026, 6, 1, 10, tzinfo=SHANGHAI)
    review_at = datetime(2026, 6, 22, 10, tzinfo=SHANGHAI)
    t0 = time.perf_counter()
    for reqs, at in ((submits, submit_at), (recommends, review_at)):
        for i in range(0, len(reqs), batch):
            results = lc.trigger_many(reqs[i : i + batch], now=at)
            assert all(r.accepted for r in results), results[0]
    return time.perf_counter() - t0


def run_raw(url: str, batch: int) -> tuple[int, int, float]:
    """The same writes, raw: Core bulk inserts of copies of the audit and outbox rows the run
    wrote (same columns and JSON, same tables, indexes and triggers) and one executemany UPDATE
    of the application row per audit row, `batch` audit rows a transaction."""
    from rawwrites import transition_params, transition_update
    from sqlalchemy import select

    from store.db import Database
    from store.models import Application, AuditRecord, OutboxMessage

    db = Database(url)
    table = AuditRecord.__table__
    out = OutboxMessage.__table__
    apps = Application.__table__
    cols = [c for c in table.c if c.name != "id"]
    with db.sessions() as s:
        rows = [dict(r) for r in s.execute(select(*cols).order_by(table.c.id)).mappings()]
        mail = [
            dict(r)
            for r in s.execute(
                select(*[c for c in out.c if c.name != "id"]).order_by(out.c.id)
            ).mappings()
        ]
        versions = dict(s.execute(select(apps.c.id, apps.c.version)).all())
    for row in rows:
        row["seq"] += 1_000_000  # the copies must not collide with the originals
    for m in mail:
        m["idempotency_key"] += ":copy"
        m["message_id"] = m["message_id"].replace("@", ".copy@", 1)
    upd = transition_update(apps)
    steps = max(1, -(-len(rows) // batch))
    per_mail = -(-len(mail) // steps)
    t0 = time.perf_counter()
    for k, i in enumerate(range(0, len(rows), batch)):
        chunk = rows[i : i + batch]
        params = [transition_params(row, versions) for row in chunk]
        with db.engine.begin() as conn:
            conn.execute(upd, params)
            conn.execute(table.insert(), chunk)
            if mail[k * per_mail : (k + 1) * per_mail]:
                conn.execute(out.insert(), mail[k * per_mail : (k + 1) * per_mail])
    elapsed = time.perf_counter() - t0
    db.dispose()
    return len(rows), len(mail), elapsed


def bench(label: str, url: str, n: int, batch: int, profile: bool = False) -> None:
    lc, ids = setup(url, n)
    transitions = 2 * n
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    elapsed = run_lifecycle(lc, ids, batch)
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False))
    copied, mails, raw = run_raw(url, batch)
    assert copied == transitions, (copied, transitions)
    ours, base = transitions / elapsed, copied / raw
    print(
        f"{label:<11}{transitions:>8,} transitions {ours:>9,.0f}/s   raw writes (audit + "
        f"{mails:,} outbox + update) {base:>9,.0f}/s   ratio {ours / base:.2f} (floor 0.33)"
    )
    lc.db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=1_000)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--profile", action="store_true", help="pyinstrument profile of the SQLite run")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shenbao-bench-"))
    (tmp / "editions").mkdir()
    (tmp / "editions" / "szzx-2099-bench.toml").write_text(bench_edition(), encoding="utf-8")
    os.environ["SHENBAO_EDITIONS_DIR"] = str(tmp / "editions")
    try:
        bench("sqlite", f"sqlite:///{tmp / 'bench.db'}", args.n, args.batch, args.profile)
        if not args.no_pg:
            from tests.conftest import create_pg_database, drop_pg_database, pg_available

            if pg_available():
                name, url = create_pg_database(args.pg)
                try:
                    bench("postgresql", url, args.n, args.batch)
                finally:
                    drop_pg_database(args.pg, name)
            else:
                print("postgresql not reachable: skipped")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
