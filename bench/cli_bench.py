"""Whole-process CLI latency against the CLI framework's own floor, measured in the same run.

Run: python bench/cli_bench.py [--runs 5] [--demo-db PATH] [--n 20000]

Each figure is the median of `--runs` whole processes (`shenbao ...` as a user types it), shown as
a ratio to `python -c 'import typer'` timed the same way in the same run:

- `calendar is-working-day 2026-10-10`          floor: <= 3x
- `list` and `audit history APP` on the demo database   floor: <= 6x
  (the database of `shenbao demo`, given with --demo-db, or one of about 200 applications built
  here through the handlers: submitted, reviewed and recommended)
- `list` over `--n` applications (20,000) with full forms   floor: <= 2 s and <= 200 MB peak RSS

Exit 1 when a floor is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHENBAO = [sys.executable, "-m", "shenbao.cli"]


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    """Median wall time of `runs` whole processes (one warm-up run first, not counted)."""
    subprocess.run(cmd, env=env, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_mb(cmd: list[str], env: dict[str, str]) -> float:
    """Peak resident memory of one process, in MB (via a child that reports its own rusage)."""
    probe = (
        "import resource, runpy, sys; sys.argv = sys.argv[1:]; "
        "code = 0\n"
        "try:\n    runpy.run_module('shenbao.cli', run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code or 0\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, "shenbao", *cmd[len(SHENBAO) :]],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    kb = int(out.stderr.strip().splitlines()[-1])
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def build_demo_sized(url: str, n: int = 200) -> int:
    """About `n` applications through the handlers (created, submitted, recommended)."""
    from datetime import datetime

    from deadlines import SHANGHAI
    from programs.forms import example_form
    from programs.forms.uscc import make_uscc
    from services import handlers
    from states.actors import Actor
    from store.db import Database
    from store.migrations import upgrade

    upgrade(url)
    db = Database(url)
    t = lambda s: datetime.fromisoformat(s).replace(tzinfo=SHANGHAI)  # noqa: E731
    handlers.open_campaign(db, Actor.parse("ministry"), "szzx-2026-2", now=t("2026-05-01T09:00"))
    provinces = ["广东", "江苏", "浙江", "安徽", "北京", "上海", "四川", "湖北"]
    first = 0
    for i in range(n):
        code = make_uscc(f"9144030{i + 1:010d}")
        form = example_form("szzx-2026-2", "center")
        form["basic"]["uscc"] = code
        if i % 3:
            form.pop("consortium", None)
            form["attachments"].pop("consortium_agreement", None)
        me = Actor.parse(f"enterprise:{code}")
        app_id = handlers.create_application(
            db, me, "szzx-2026-2", uscc=code, name=f"申报单位{i}",
            province=provinces[i % len(provinces)], category="center", form=form,
            email=f"u{i}@example.cn", now=t("2026-05-28T09:00"),
        )  # fmt: skip
        first = first or app_id
        handlers.submit(db, me, app_id, now=t("2026-06-01T09:00"))
    by_province: dict[str, list[int]] = {}
    with db.sessions() as s:
        from sqlalchemy import select

        from store.models import Application

        for app_id, province in s.execute(select(Application.id, Application.province)):
            by_province.setdefault(province, []).append(app_id)
    for province, ids in by_province.items():
        handlers.recommend_many(
            db, Actor.parse(f"province:{province}"), ids, now=t("2026-06-22T09:00")
        )
    db.dispose()
    return first


def build_many(url: str, n: int) -> None:
    """`n` applications with full forms, written with Core bulk inserts (no handlers: speed)."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from programs.forms import example_form
    from store.db import Database
    from store.migrations import upgrade
    from store.models import Application, Campaign, Organisation

    upgrade(url)
    db = Database(url)
    now = datetime(2026, 5, 28, 1, tzinfo=UTC)
    form = example_form("szzx-2026-2", "center")
    with db.transaction() as s:
        s.execute(
            insert(Campaign),
            [{"id": 1, "edition_id": "szzx-2026-2", "year": 2026, "status": "open",
              "settings": {}, "opened_at": now, "opened_by": "ministry"}],
        )  # fmt: skip
        for start in range(0, n, 5000):
            ids = range(start + 1, min(n, start + 5000) + 1)
            s.execute(
                insert(Organisation),
                [{"id": i, "uscc": f"B{i:017d}", "name": f"单位{i}", "province": "广东",
                  "created_at": now} for i in ids],
            )  # fmt: skip
            s.execute(
                insert(Application),
                [{"id": i, "campaign_id": 1, "organisation_id": i, "uscc": f"B{i:017d}",
                  "name": f"单位{i}", "province": "广东", "category": "center",
                  "consortium": False, "status": "submitted", "form": form, "form_version": 1,
                  "form_check": {}, "audit_count": 0, "audit_head": "", "created_at": now,
                  "updated_at": now, "version": 1} for i in ids],
            )  # fmt: skip
    db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--demo-db", type=Path, default=None)
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shenbao-cli-bench-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SHENBAO_DATABASE_URL", None)
    results: dict[str, Any] = {}
    ok = True

    floor = timed([sys.executable, "-c", "import typer"], env, args.runs)
    results["floor: python -c 'import typer'"] = f"{floor:.3f} s"

    def check(name: str, seconds: float, limit: float) -> None:
        nonlocal ok
        ratio = seconds / floor
        ok &= ratio <= limit
        mark = "ok" if ratio <= limit else "MISSED"
        results[name] = f"{seconds:.3f} s = {ratio:.1f}x (floor <= {limit:g}x) {mark}"

    env_cal = {**env, "SHENBAO_DATABASE_URL": f"sqlite:///{tmp / 'none.db'}"}
    check(
        "calendar is-working-day 2026-10-10",
        timed([*SHENBAO, "calendar", "is-working-day", "2026-10-10"], env_cal, args.runs),
        3,
    )
    if (tmp / "none.db").exists():
        ok = False
        results["calendar created a database"] = "MISSED"

    if args.demo_db is not None:
        demo_url, app = f"sqlite:///{args.demo_db.resolve()}", "1"
    else:
        demo_url = f"sqlite:///{tmp / 'demo.db'}"
        app = str(build_demo_sized(demo_url))
    env_demo = {**env, "SHENBAO_DATABASE_URL": demo_url}
    check("list (demo database)", timed([*SHENBAO, "list"], env_demo, args.runs), 6)
    check(
        f"audit history {app} (demo database)",
        timed([*SHENBAO, "audit", "history", app], env_demo, args.runs),
        6,
    )

    many_url = f"sqlite:///{tmp / 'many.db'}"
    build_many(many_url, args.n)
    env_many = {**env, "SHENBAO_DATABASE_URL": many_url}
    seconds = timed([*SHENBAO, "list"], env_many, args.runs)
    rss = peak_rss_mb([*SHENBAO, "list"], env_many)
    within = seconds <= 2 and rss <= 200
    ok &= within
    results[f"list over {args.n:,} applications"] = (
        f"{seconds:.3f} s, peak {rss:.0f} MB (floor <= 2 s, <= 200 MB) "
        f"{'ok' if within else 'MISSED'}"
    )
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
