"""A campaign of N applications end to end through the command handlers in batch mode.

Run: python bench/campaign_bench.py [--sizes 1000,10000,100000] [--db sqlite,postgresql]
         [--batch 1000] [--pg URL]
Per size and database (a temporary SQLite file; a temporary PostgreSQL database) it runs, with
the real handlers (authorisation, checks, policy, audit chain and anchors, outbox, quotas):

  create    `handlers.create_many`: drafts with their forms (validation + eligibility per form)
  submit    `handlers.submit_many`: every enterprise submits its own, many actors a batch
  recommend `handlers.recommend_many` per province, within quotas (about a third recommended)
  scoring   `handlers.open_scoring`: every recommended application into expert scoring

and prints seconds per stage, the process's peak resident memory after it, applications per
second, and how the time per application grows from one size to the next (1.00 = linear).
The stages after scoring (3 experts' assignments and scores each, shortlist, 公示, objections,
close, the first annual report) have no batch handlers yet and are not run here.
Inputs (forms, actors) are built outside the clock; the clock covers handler calls only.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EDITION = "szzx-2099-campaign"
STAGES = ("create", "submit", "recommend", "scoring")


def bench_edition(n: int) -> str:
    """szzx-2026-2 under another id, with quotas scaled so about a third is recommended."""
    per_province = max(2, n // 96)
    text = (ROOT / "programs" / "editions" / "szzx-2026-2.toml").read_text(encoding="utf-8")
    text = text.replace('id = "szzx-2026-2"', f'id = "{EDITION}"')
    text = text.replace("province_default = 2", f"province_default = {per_province}")
    return text.replace("limit = 3", f"limit = {per_province}")


def peak_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def chunks(n: int, size: int) -> Iterator[range]:
    for i in range(0, n, size):
        yield range(i, min(n, i + size))


def run(url: str, n: int, batch: int) -> dict[str, tuple[float, float]]:
    from deadlines import SHANGHAI
    from programs.forms import example_form
    from programs.provinces import all_provinces
    from services import handlers
    from states.actors import Actor
    from store.bulk import NewApplication
    from store.db import Database
    from store.migrations import upgrade
    from store.models import Application
    from tests.conftest import uscc

    upgrade(url)
    db = Database(url)
    ministry = Actor.parse("ministry")
    handlers.open_campaign(db, ministry, EDITION, now=datetime(2026, 5, 1, tzinfo=SHANGHAI))
    provinces = list(all_provinces())
    template = example_form("szzx-2026-2", "center")
    template.pop("consortium", None)
    template.get("attachments", {}).pop("consortium_agreement", None)
    codes = [uscc(i) for i in range(n)]
    actors = [Actor.parse(f"enterprise:{c}") for c in codes]
    at_submit = datetime(2026, 6, 1, 10, tzinfo=SHANGHAI)
    at_review = datetime(2026, 6, 22, 10, tzinfo=SHANGHAI)
    out: dict[str, tuple[float, float]] = {}

    def stage(name: str, body: Callable[[], float]) -> None:
        gc.collect()
        out[name] = (body(), peak_mb())

    def form_of(i: int) -> dict[str, Any]:
        form = {k: (dict(v) if isinstance(v, dict) else v) for k, v in template.items()}
        form["basic"]["uscc"] = codes[i]
        form["basic"]["lead_name"] = f"申报单位{i}"
        return form

    ids: list[int] = [0] * n

    def create() -> float:
        spent = 0.0
        for part in chunks(n, batch):
            items = [
                NewApplication(
                    actor=actors[i],
                    uscc=codes[i],
                    name=f"申报单位{i}",
                    province=provinces[i % len(provinces)],
                    category="center",
                    email=f"u{i}@example.com",
                    form=form_of(i),
                )  # fmt: skip
                for i in part
            ]
            t0 = time.perf_counter()
            made = handlers.create_many(db, EDITION, items, now=at_submit)
            spent += time.perf_counter() - t0
            assert all(isinstance(x, int) for x in made), next(
                x for x in made if not isinstance(x, int)
            )
            for i, app_id in zip(part, made, strict=True):
                ids[i] = int(app_id)  # type: ignore[arg-type]
        return spent

    def submit() -> float:
        spent = 0.0
        for part in chunks(n, batch):
            items = [(actors[i], ids[i]) for i in part]
            t0 = time.perf_counter()
            result = handlers.submit_many(db, items, now=at_submit)
            spent += time.perf_counter() - t0
            assert len(result.accepted) == len(part), result.refused[:1]
        return spent

    def recommend() -> float:
        by_province: dict[str, list[int]] = {}
        for i in range(n):
            by_province.setdefault(provinces[i % len(provinces)], []).append(ids[i])
        spent = 0.0
        recommended = 0
        for province, apps in by_province.items():
            actor = Actor.parse(f"province:{province}")
            for k in range(0, len(apps), batch):
                t0 = time.perf_counter()
                result = handlers.recommend_many(db, actor, apps[k : k + batch], now=at_review)
                spent += time.perf_counter() - t0
                recommended += len(result.accepted)
        assert recommended, "nothing recommended"
        return spent

    def scoring() -> float:
        t0 = time.perf_counter()
        moved = handlers.open_scoring(
            db, ministry, EDITION, now=datetime(2026, 7, 1, 10, tzinfo=SHANGHAI)
        )
        spent = time.perf_counter() - t0
        refused = [r for r in moved if not r.accepted]
        assert not refused, refused[0]
        return spent

    stage("create", create)
    stage("submit", submit)
    stage("recommend", recommend)
    stage("scoring", scoring)
    from sqlalchemy import func, select

    with db.sessions() as s:
        scored = s.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.status == "expert_scoring")
        )
    out["_scoring_apps"] = (float(scored or 0), 0.0)
    db.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    sizes = [int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
    dbs = [x.strip() for x in args.db.split(",") if x.strip()]
    for name in dbs:
        if name not in ("sqlite", "postgresql"):
            raise SystemExit(f"--db: '{name}' is not sqlite or postgresql")
    tmp = Path(tempfile.mkdtemp(prefix="shenbao-campaign-"))
    (tmp / "editions").mkdir()
    os.environ["SHENBAO_EDITIONS_DIR"] = str(tmp / "editions")
    try:
        for name in dbs:
            previous: tuple[int, dict[str, tuple[float, float]]] | None = None
            for n in sizes:
                (tmp / "editions" / f"{EDITION}.toml").write_text(
                    bench_edition(n), encoding="utf-8"
                )
                if name == "sqlite":
                    path = tmp / f"campaign-{n}.db"
                    figures = run(f"sqlite:///{path}", n, args.batch)
                    path.unlink(missing_ok=True)
                else:
                    from tests.conftest import create_pg_database, drop_pg_database, pg_available

                    if not pg_available():
                        print("postgresql not reachable: skipped")
                        break
                    db_name, url = create_pg_database(args.pg)
                    try:
                        figures = run(url, n, args.batch)
                    finally:
                        drop_pg_database(args.pg, db_name)
                total = sum(figures[s][0] for s in STAGES)
                scoring_apps = int(figures["_scoring_apps"][0])
                print(
                    f"{name:<10} N={n:>7,}  total {total:8.1f} s  {n / total:>7,.0f} apps/s  "
                    f"peak {max(figures[s][1] for s in STAGES):6.0f} MB  "
                    f"({scoring_apps:,} into scoring)"
                )
                for s in STAGES:
                    secs, mem = figures[s]
                    growth = ""
                    if previous is not None:
                        pn, pf = previous
                        growth = (
                            f"  growth {(secs / n) / (pf[s][0] / pn):5.2f}x per app vs N={pn:,}"
                        )
                    print(f"    {s:<10}{secs:8.2f} s  peak {mem:6.0f} MB{growth}")
                previous = (n, figures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
