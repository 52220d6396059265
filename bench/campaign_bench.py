"""A campaign of N applications end to end through the command handlers in batch mode.

Run: python bench/campaign_bench.py [--sizes 1000,10000,100000] [--db sqlite,postgresql]
         [--batch 1000] [--no-freeze] [--no-baseline] [--pg URL] [--profile STAGE --profile-size N]
Per size and database (a temporary SQLite file; a temporary PostgreSQL database) it runs, with
the real handlers (authorisation, checks, policy, audit chain and anchors, outbox, quotas):

  create     `handlers.create_many`: drafts with their forms (validation + eligibility per form)
  submit     `handlers.submit_many`: every enterprise submits its own, many actors a batch
  recommend  `handlers.recommend_many` per province, within quotas (about a third recommended)
  scoring    `handlers.define_sheet` and `handlers.open_scoring`: the recommended into scoring
  assign     `handlers.assign_many`: 3 experts to each (conflict-of-interest checks per item)
  score      `handlers.score_many`: each of the 3 experts scores, many experts a batch
  shortlist  `handlers.shortlist` by a minimum score (about half shortlisted)
  publish    `handlers.publish_notice`: the 公示 of the shortlist
  objections `handlers.file_objection` x5 during the period, `handlers.resolve_objection` x5
  close      `handlers.close_notice` after the period: titles confirmed
  report     `handlers.open_reports` and `handlers.report_many`: the first annual report of each
             title, every enterprise its own

and prints seconds per stage, the process's peak resident memory after it, applications per
second, and how the time per application grows from one size to the next (1.00 = linear). The
baseline, measured in the same run: every row the campaign left, copied into a fresh database of
the same schema with Core executemany inserts plus one version-checked UPDATE of the application
per audit record after its first (`raw_copy`); the ratio is its seconds over the campaign's.
The edition is szzx-2026-2 under another id, with quotas scaled to N and an annual report rule
(that edition states none). Inputs (forms, actors, scores, reports) are built outside the clock;
the clock covers handler calls only. `--profile STAGE,...` runs pyinstrument over those stages
at `--profile-size` on the first database given, prints their trees and stops after the last.
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
STAGES = (
    "create", "submit", "recommend", "scoring", "assign", "score", "shortlist", "publish",
    "objections", "close", "report",
)  # fmt: skip
EXPERTS = 30  # the pool: expert k works in 北京 or 上海 for an organisation of its own
REPORT_RULE = """
[annual_report]
month = 11
day = 30
same_year = true
first_report_offset = 1
clause = "bench: 每年11月30日前报送本年度"

[clauses]"""
SHEET = {
    "aggregation": "mean",
    "criteria": [
        {"id": "capability", "label_zh": "服务能力", "max_points": 40},
        {"id": "results", "label_zh": "建设成效", "max_points": 60},
    ],
}


def bench_edition(n: int) -> str:
    """szzx-2026-2 under another id, with quotas scaled so about a third is recommended."""
    per_province = max(2, n // 96)
    text = (ROOT / "programs" / "editions" / "szzx-2026-2.toml").read_text(encoding="utf-8")
    text = text.replace('id = "szzx-2026-2"', f'id = "{EDITION}"')
    text = text.replace("province_default = 2", f"province_default = {per_province}")
    text = text.replace("limit = 3", f"limit = {per_province}")
    return text.replace("\n[clauses]", REPORT_RULE, 1)


def peak_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def chunks(n: int, size: int) -> Iterator[range]:
    for i in range(0, n, size):
        yield range(i, min(n, i + size))


def run(
    url: str, n: int, batch: int, profile: tuple[str, ...] = (), freeze: bool = True
) -> dict[str, tuple[float, float]]:
    from sqlalchemy import select

    from deadlines import SHANGHAI
    from programs.forms import example_annual_report, example_form
    from programs.provinces import all_provinces
    from services import handlers
    from states.actors import Actor
    from store import audit
    from store.bulk import NewApplication
    from store.db import Database
    from store.migrations import upgrade
    from store.models import Application, AuditRecord
    from store.scoring_stage import ExpertItem, ScoreItem
    from store.titles_stage import ReportItem
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
        if freeze:
            # what the bench itself holds (N actors, codes, ids; earlier stages' results) is left
            # out of the cyclic collector's passes: a service reading its inputs from files or
            # requests would not hold them, and their scans would grow each stage with N
            gc.freeze()
        if name in profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
            out[name] = (body(), peak_mb())
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        else:
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

    at_scoring = datetime(2026, 7, 1, 10, tzinfo=SHANGHAI)
    at_scored = datetime(2026, 7, 10, 10, tzinfo=SHANGHAI)
    publish_at = datetime(2026, 8, 3, 10, tzinfo=SHANGHAI)  # Monday: 5 working days to 8-7
    in_period = datetime(2026, 8, 5, 10, tzinfo=SHANGHAI)
    closed_at = datetime(2026, 8, 11, 10, tzinfo=SHANGHAI)
    report_year = 2027  # the first report of a title confirmed in 2026
    reports_open = datetime(2027, 10, 8, 10, tzinfo=SHANGHAI)
    reports_at = datetime(2027, 11, 2, 10, tzinfo=SHANGHAI)
    in_scoring: list[int] = []
    confirmed: list[int] = []
    experts = [(f"e{k}", uscc(10_000_000 + k), "北京" if k % 2 else "上海") for k in range(EXPERTS)]

    # every application's three experts and their scores (the total decides about half)
    def panel(app_id: int) -> list[tuple[str, str, str]]:
        return [experts[(app_id + j * 7) % EXPERTS] for j in range(3)]

    def points(app_id: int, j: int) -> dict[str, object]:
        return {"capability": 10 + (app_id * 7 + j) % 31, "results": 15 + (app_id * 13 + j) % 46}

    def scoring() -> float:
        t0 = time.perf_counter()
        handlers.define_sheet(db, ministry, EDITION, SHEET, now=at_scoring)
        moved = handlers.open_scoring(db, ministry, EDITION, now=at_scoring)
        spent = time.perf_counter() - t0
        refused = [r for r in moved if not r.accepted]
        assert not refused, refused[0]
        in_scoring.extend(r.application_id for r in moved)
        return spent

    def assign() -> float:
        items = [
            ExpertItem(a, e, org, province) for a in in_scoring for e, org, province in panel(a)
        ]
        spent = 0.0
        for k in range(0, len(items), batch):
            t0 = time.perf_counter()
            made = handlers.assign_many(db, ministry, items[k : k + batch], now=at_scored)
            spent += time.perf_counter() - t0
            assert all(r.accepted for r in made), next(r for r in made if not r.accepted)
        return spent

    def score() -> float:
        items = [
            ScoreItem(Actor.parse(f"expert:{e}"), a, points(a, j))
            for a in in_scoring
            for j, (e, _, _) in enumerate(panel(a))
        ]
        spent = 0.0
        for k in range(0, len(items), batch):
            t0 = time.perf_counter()
            made = handlers.score_many(db, items[k : k + batch], now=at_scored)
            spent += time.perf_counter() - t0
            assert all(r.accepted for r in made), next(r for r in made if not r.accepted)
        return spent

    def shortlist() -> float:
        t0 = time.perf_counter()
        cut = handlers.shortlist(
            db, ministry, EDITION, min_score="60", now=datetime(2026, 7, 20, 10, tzinfo=SHANGHAI)
        )
        spent = time.perf_counter() - t0
        assert not cut.ties and not cut.held, (cut.ties[:1], list(cut.held.items())[:1])
        return spent

    def publish() -> float:
        t0 = time.perf_counter()
        handlers.publish_notice(db, ministry, EDITION, now=publish_at)
        return time.perf_counter() - t0

    def objections() -> float:
        with db.sessions() as s:
            on_notice = list(
                s.scalars(
                    select(Application.id)
                    .where(Application.status == "public_notice")
                    .order_by(Application.id)
                    .limit(5)
                )
            )
        public = Actor.parse("public:objector@example.com")
        t0 = time.perf_counter()
        for a in on_notice:
            oid = handlers.file_objection(
                db, public, a, contact="objector@example.com", reason="材料存疑", now=in_period
            )
            handlers.resolve_objection(
                db, ministry, oid, "dismissed", reason="经核查不成立", now=in_period
            )
        return time.perf_counter() - t0

    def close() -> float:
        t0 = time.perf_counter()
        outcome = handlers.close_notice(db, Actor.parse("system"), EDITION, now=closed_at)
        spent = time.perf_counter() - t0
        confirmed.extend(outcome.confirmed)
        assert confirmed, "nothing confirmed"
        return spent

    def report() -> float:
        data = example_annual_report("szzx-2026-2")
        data["report"]["year"] = report_year
        by_app = {a: i for i, a in enumerate(ids)}
        items = [ReportItem(actors[by_app[a]], a, report_year, data) for a in confirmed]
        t0 = time.perf_counter()
        opened = handlers.open_reports(
            db, Actor.parse("system"), EDITION, report_year, now=reports_open
        )
        spent = time.perf_counter() - t0
        assert sorted(opened.opened) == sorted(confirmed), opened.skipped
        for k in range(0, len(items), batch):
            t0 = time.perf_counter()
            made = handlers.report_many(db, items[k : k + batch], now=reports_at)
            spent += time.perf_counter() - t0
            assert all(r.accepted for r in made), next(r for r in made if not r.accepted)
        return spent

    bodies = {
        "create": create, "submit": submit, "recommend": recommend, "scoring": scoring,
        "assign": assign, "score": score, "shortlist": shortlist, "publish": publish,
        "objections": objections, "close": close, "report": report,
    }  # fmt: skip
    for name in STAGES:
        stage(name, bodies[name])
        if profile and name == profile[-1]:  # the stages after it are not measured
            db.dispose()
            raise SystemExit(0)
    from sqlalchemy import func

    with db.sessions() as s:
        records = s.scalar(select(func.count()).select_from(AuditRecord))
        assert not list(audit.verify(s)), "the audit does not verify"
    out["_scoring_apps"] = (float(len(in_scoring)), 0.0)
    out["_confirmed"] = (float(len(confirmed)), 0.0)
    out["_records"] = (float(records or 0), 0.0)
    db.dispose()
    gc.unfreeze()
    return out


def raw_copy(src_url: str, dst_url: str, batch: int) -> tuple[int, int, float]:
    """The campaign's writes done raw, timed: every row it left in every table, copied into a
    fresh database of the same schema (indexes and triggers) with Core executemany inserts,
    `batch` rows a transaction, plus one version-checked executemany UPDATE of the application
    row per audit record after its first (a transition's update), with that record's insert.
    Rows are read from the campaign's database in parts outside the clock. Returns rows
    inserted, rows updated and seconds."""
    from rawwrites import transition_params, transition_update
    from sqlalchemy import select

    import store.accounts  # noqa: F401  (their tables in the metadata)
    import store.outbox  # noqa: F401
    import store.review_models  # noqa: F401
    from store.db import make_engine
    from store.migrations import upgrade
    from store.models import Application, AuditRecord, Base

    upgrade(dst_url)
    src, dst = make_engine(src_url), make_engine(dst_url)
    apps, records = Application.__table__, AuditRecord.__table__
    upd = transition_update(apps)
    versions: dict[int, int] = {}
    inserted = updated = 0
    spent = 0.0
    for table in Base.metadata.sorted_tables:
        key = next(iter(table.primary_key.columns))
        with dst.connect() as conn:  # rows a fresh database starts with (the anchors' genesis)
            seeded = set(conn.execute(select(key)).scalars())
        last: Any = None
        while True:
            stmt = select(table).order_by(key).limit(batch)
            if last is not None:
                stmt = stmt.where(key > last)
            with src.connect() as conn:
                rows = [dict(r) for r in conn.execute(stmt).mappings()]
            if not rows:
                break
            last = rows[-1][key.name]
            rows = [r for r in rows if r[key.name] not in seeded]
            if not rows:
                continue
            params = []
            if table is apps:
                versions.update((r["id"], r["version"]) for r in rows)
            elif table is records:
                for r in rows:
                    if r["seq"] == 1:
                        continue
                    params.append(transition_params(r, versions))
            t0 = time.perf_counter()
            with dst.begin() as conn:
                if params:
                    conn.execute(upd, params)
                conn.execute(table.insert(), rows)
            spent += time.perf_counter() - t0
            inserted += len(rows)
            updated += len(params)
    src.dispose()
    dst.dispose()
    return inserted, updated, spent


def create_database(admin_url: str, prefix: str) -> tuple[str, str]:
    import uuid

    import psycopg

    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    libpq = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, admin_url.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--pg-prefix", default="shenbao_bench_", help="temporary database names")
    ap.add_argument("--profile", default="", help="pyinstrument over these stages (a,b,...)")
    ap.add_argument("--profile-size", type=int, default=10_000)
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the raw copy of the campaign's rows (the baseline)")  # fmt: skip
    ap.add_argument("--no-freeze", action="store_true",
                    help="leave the bench's own inputs in the cyclic collector's passes")  # fmt: skip
    args = ap.parse_args()
    sizes = [int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
    dbs = [x.strip() for x in args.db.split(",") if x.strip()]
    for name in dbs:
        if name not in ("sqlite", "postgresql"):
            raise SystemExit(f"--db: '{name}' is not sqlite or postgresql")
    profile = tuple(x for x in STAGES if x in args.profile.split(","))
    if args.profile and not profile:
        raise SystemExit(f"--profile: none of {args.profile} is a stage ({', '.join(STAGES)})")
    if profile:
        sizes, dbs = [args.profile_size], dbs[:1]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start")
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
                raw: tuple[int, int, float] | None = None
                if name == "sqlite":
                    path, copy = tmp / f"campaign-{n}.db", tmp / f"raw-{n}.db"
                    figures = run(f"sqlite:///{path}", n, args.batch, profile, not args.no_freeze)
                    if not args.no_baseline:
                        raw = raw_copy(f"sqlite:///{path}", f"sqlite:///{copy}", args.batch)
                    path.unlink(missing_ok=True)
                    copy.unlink(missing_ok=True)
                else:
                    from tests.conftest import drop_pg_database, pg_available

                    if not pg_available():
                        print("postgresql not reachable: skipped")
                        break
                    made = [create_database(args.pg, args.pg_prefix)]
                    try:
                        figures = run(made[0][1], n, args.batch, profile, not args.no_freeze)
                        if not args.no_baseline:
                            made.append(create_database(args.pg, args.pg_prefix))
                            raw = raw_copy(made[0][1], made[1][1], args.batch)
                    finally:
                        for db_name, _ in made:
                            drop_pg_database(args.pg, db_name)
                total = sum(figures[s][0] for s in STAGES)
                scoring_apps = int(figures["_scoring_apps"][0])
                print(
                    f"{name:<10} N={n:>7,}  total {total:8.1f} s  {n / total:>7,.0f} apps/s  "
                    f"peak {max(figures[s][1] for s in STAGES):6.0f} MB  "
                    f"({scoring_apps:,} into scoring, {int(figures['_confirmed'][0]):,} "
                    f"confirmed, {int(figures['_records'][0]):,} audit records, verified; "
                    f"load {os.getloadavg()[0]:.2f})"
                )
                if raw is not None:
                    inserted, updated, raw_s = raw
                    print(
                        f"    baseline: the same rows written raw ({inserted:,} inserted, "
                        f"{updated:,} updates) {raw_s:.1f} s; ratio {raw_s / total:.2f} "
                        f"(the campaign at {raw_s / total:.0%} of raw-write speed)"
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
