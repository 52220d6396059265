"""The scale-out path, run: a Prefect server on PostgreSQL, a `process` work pool with two
`prefect worker` processes, and `shenbao web --workers 2`, all against one shenbao PostgreSQL
database. The flows are deployed to the pool (`python -m flows.pool`); a campaign's deadline
sweeps run on both workers at once while enterprises sign in and submit over HTTP.

Checked: every draft of the closed window lapsed exactly once, every submission was audited once
and accepted, no message was enqueued twice nor sent twice, both workers ran sweeps, and
`shenbao audit verify` passes. The README's "Orchestration and scaling out" recipe is these steps.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import create_pg_database, drop_pg_database, valid_form
from tests.integration.notifications.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]
POOL = "shenbao-scale-out"
CLOSED = "szzx-2026-2"  # its window closed two days ago: the sweeps lapse its drafts
OPEN = "liangrong-2026"  # its window is open: enterprises submit over HTTP meanwhile
DRAFTS = 120
ENTERPRISES = 24
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
PASSWORD = "scale-out correct horse"

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_http(url: str, proc: subprocess.Popen[bytes], what: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"{what} did not answer at {url} within {seconds:.0f} s")


def _world(url: str) -> tuple[list[int], list[tuple[str, int]]]:
    """Through the handlers: the closed campaign's drafts; the open one's accounts and drafts."""
    from deadlines import Window, now_shanghai
    from deadlines.timeutil import day_start
    from programs.forms import make_uscc
    from services import handlers
    from states.actors import Actor, Role
    from store.db import Database
    from web import acts

    subprocess.run([sys.executable, "-m", "shenbao.cli", "db", "upgrade"], cwd=ROOT, check=True,
                   env={**os.environ, "SHENBAO_DATABASE_URL": url}, capture_output=True)  # fmt: skip
    db = Database(url)
    today = now_shanghai().date()
    at = lambda days: day_start(today + timedelta(days=days)) + timedelta(hours=9)  # noqa: E731
    ministry = Actor(Role.MINISTRY)
    handlers.open_campaign(db, ministry, CLOSED, now=at(-20),
                           application_window=Window(today - timedelta(days=20),
                                                     today - timedelta(days=2)))  # fmt: skip
    handlers.open_campaign(db, ministry, OPEN, now=at(-10),
                           application_window=Window(today - timedelta(days=10),
                                                     today + timedelta(days=3)),
                           screening_window=Window(today + timedelta(days=4),
                                                   today + timedelta(days=20)))  # fmt: skip
    drafts = []
    for k in range(DRAFTS):
        code = make_uscc(f"9142010{k:010d}")
        name = f"楚天数智{k}号科技有限公司"
        drafts.append(handlers.create_application(
            db, Actor(Role.ENTERPRISE, code), CLOSED, uscc=code, name=name, province="湖北",
            category="center", now=at(-5), email=f"d{k}@applicant.example.cn",
            form=valid_form(CLOSED, "center", code, name, consortium=False),
        ))  # fmt: skip
    svc = acts.Services.over(db)
    people = []
    now = now_shanghai() - timedelta(minutes=5)
    for k in range(ENTERPRISES):
        code = make_uscc(f"9144010{k:010d}")
        name = f"粤信智造{k}号科技有限公司"
        email = f"e{k}@applicant.example.cn"
        app_id = handlers.create_application(
            db, Actor(Role.ENTERPRISE, code), OPEN, uscc=code, name=name, province="广东",
            category="manufacturing", now=now, email=email,
            form=valid_form(OPEN, "manufacturing", code, name),
        )  # fmt: skip
        _id, token = acts.invite_as_operator(svc, email=email, role="enterprise", scope=code,
                                             name=name, now=now, base_url="",
                                             operator="scale-out test")  # fmt: skip
        acts.activate(svc, token=token, password=PASSWORD, now=now)
        people.append((email, app_id))
    db.dispose()
    return drafts, people


def _submit_over_http(base: str, people: list[tuple[str, int]], out: dict[int, Any]) -> None:
    """Each enterprise signs in at the login page and submits through the API."""
    for email, app_id in people:
        with httpx.Client(base_url=base, timeout=60) as c:
            page = c.get("/login")
            m = CSRF_META.search(page.text)
            assert m is not None
            r = c.post("/login", data={"csrf_token": m.group(1), "email": email,
                                       "password": PASSWORD}, follow_redirects=False)  # fmt: skip
            assert r.status_code == 303, r.text
            mine = c.get(f"/enterprise/applications/{app_id}")
            m = CSRF_META.search(mine.text)
            assert m is not None
            r = c.post(f"/api/v1/applications/{app_id}/submit",
                       headers={"X-CSRF-Token": m.group(1)})  # fmt: skip
            out[app_id] = (r.status_code, r.json())
        time.sleep(0.2)


def test_sweeps_on_two_workers_while_enterprises_submit(pg_server: str, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    shenbao_name, url = create_pg_database(pg_server)
    prefect_name, prefect_url = create_pg_database(pg_server)
    prefect_db = prefect_url.replace("postgresql+psycopg://", "postgresql+asyncpg://")
    drafts, people = _world(url)
    port, web_port = free_port(), free_port()
    api = f"http://127.0.0.1:{port}/api"
    base = f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "SHENBAO_DATABASE_URL": url,
        "SHENBAO_MAIL": f"file:{tmp_path / 'outbox'}",
        "SHENBAO_WEB_BASE_URL": base,
    }
    for name in ("PREFECT_API_URL", "SHENBAO_WEB_CLOCK_FILE", "SHENBAO_WEB_ALLOW_SIMULATED_CLOCK"):
        env.pop(name, None)
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []

    def start(
        cmd: list[str], log: str, extra: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        path = tmp_path / log
        logs.append(path)
        with path.open("wb") as fh:
            proc = subprocess.Popen(cmd, env={**env, **(extra or {})}, cwd=ROOT, stdout=fh,
                                    stderr=subprocess.STDOUT)  # fmt: skip
        procs.append(proc)
        return proc

    prefect = [sys.executable, "-m", "prefect"]
    server = start([*prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                   "prefect-server.log")  # fmt: skip
    try:
        _wait_http(f"{api}/health", server, "prefect server start")
        client_env = {"PREFECT_API_URL": api}
        subprocess.run([*prefect, "work-pool", "create", POOL, "--type", "process"],
                       env={**env, **client_env}, cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        deployed = subprocess.run([sys.executable, "-m", "flows.pool", "--pool", POOL],
                                  env={**env, **client_env}, cwd=ROOT, check=True,
                                  capture_output=True, text=True)  # fmt: skip
        assert "deployments in work pool" in deployed.stdout
        workers = [
            start([*prefect, "worker", "start", "--pool", POOL, "--type", "process",
                   "--name", f"worker-{k}", "--limit", "1"], f"worker-{k}.log", client_env)
            for k in (1, 2)
        ]  # fmt: skip
        web = start([sys.executable, "-m", "shenbao.cli", "web", "--port", str(web_port),
                     "--workers", "2"], "web.log")  # fmt: skip
        _wait_http(f"{base}/login", web, "shenbao web")

        submitted: dict[int, Any] = {}
        http = threading.Thread(target=_submit_over_http, args=(base, people, submitted))
        http.start()
        names: list[str] = []
        with temporary_settings({PREFECT_API_URL: api}):
            for _round in range(3):  # two sweeps at once, until both workers have run one
                runs = [run_deployment("deadline-sweep/deadline-sweep", timeout=0)
                        for _ in range(2)]  # fmt: skip
                names += [r.name for r in runs]
                done = _wait_runs([r.id for r in runs], get_client, seconds=240)
                assert all(r.state and r.state.type.value == "COMPLETED" for r in done), done
                ran = _ran_by(tmp_path, names)
                if all(ran.values()):
                    overlap = max(r.start_time for r in done) < min(r.end_time for r in done)
                    break
        http.join(timeout=300)
        assert not http.is_alive(), "the HTTP submissions did not finish"
        assert all(ran.values()), f"sweeps run per worker {ran}: both should have run one"
        assert overlap, "the two sweeps of the round did not run at the same time"
        executed = Counter(n for names_of in ran.values() for n in names_of)
        assert all(executed[n] == 1 for n in names), executed  # each run on one worker only
        http.join(timeout=300)
        assert not http.is_alive(), "the HTTP submissions did not finish"
        assert all(ran), f"runs per worker {ran}: both workers should have run sweeps"
        for w in workers:
            _stop(w)  # the workers before the server
        _stop(web)
    finally:
        for p in reversed(procs):
            _stop(p)
    try:
        _check(url, drafts, people, submitted, env)
    finally:
        from store.db import Database

        Database(url).dispose()
        drop_pg_database(pg_server, shenbao_name)
        drop_pg_database(pg_server, prefect_name)


def _ran_by(tmp_path: Path, names: list[str]) -> dict[str, list[str]]:
    """worker log -> the flow runs (of `names`) it started in its infrastructure."""
    out = {}
    for log in sorted(tmp_path.glob("worker-*.log")):
        text = log.read_text(errors="replace")
        out[log.stem] = [n for n in names if f"Flow run '{n}' submitted to infrastructure" in text]
    return out


def _wait_runs(ids: list[Any], get_client: Any, seconds: float) -> list[Any]:
    import asyncio

    async def poll() -> list[Any]:
        async with get_client() as client:
            deadline = time.monotonic() + seconds
            while True:
                runs = [await client.read_flow_run(i) for i in ids]
                final = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
                if all(r.state and r.state.type.value in final for r in runs):
                    return runs
                if time.monotonic() > deadline:
                    return runs
                await asyncio.sleep(2)

    return asyncio.run(poll())


def _check(url: str, drafts: list[int], people: list[tuple[str, int]],
           submitted: dict[int, Any], env: dict[str, str]) -> None:  # fmt: skip
    from sqlalchemy import func, select

    from store.db import Database
    from store.models import Application, AuditRecord, OutboxMessage

    db = Database(url)
    with db.sessions() as s:
        by_app = Counter(
            (a, t, ok)
            for a, t, ok in s.execute(
                select(AuditRecord.application_id, AuditRecord.trigger, AuditRecord.accepted)
            )
        )
        states = dict(s.execute(select(Application.id, Application.status)).all())
        outbox = s.execute(
            select(OutboxMessage.application_id, OutboxMessage.message_type,
                   OutboxMessage.recipient, OutboxMessage.context, OutboxMessage.status,
                   OutboxMessage.attempts)
        ).all()  # fmt: skip
        total = s.scalar(select(func.count()).select_from(OutboxMessage))
    db.dispose()
    # every draft of the closed window lapsed, by exactly one accepted record
    assert {states[a] for a in drafts} == {"lapsed"}
    assert all(by_app[(a, "lapse", True)] == 1 for a in drafts)
    # every HTTP submission answered, accepted, audited once; the sweeps left them alone
    assert sorted(submitted) == sorted(a for _e, a in people)
    assert all(code == 200 and body["accepted"] for code, body in submitted.values()), submitted
    for _email, app_id in people:
        assert by_app[(app_id, "submit", True)] == 1
        assert by_app[(app_id, "lapse", True)] == 0
        assert states[app_id] == "submitted"
    # no message enqueued twice (same application, kind, recipient and reminder day) nor sent twice
    kinds = Counter((a, t, r, (c or {}).get("days_left")) for a, t, r, c, _s, _n in outbox)
    assert total and max(kinds.values()) == 1, [k for k, v in kinds.items() if v > 1]
    assert all(n <= 1 for _a, _t, _r, _c, st, n in outbox if st == "sent")
    assert any(st == "sent" for *_x, st, _n in outbox), "the sweeps sent no mail at all"
    lapse_mail = Counter(a for a, t, *_r in outbox if a in set(drafts))
    assert set(lapse_mail) == set(drafts)
    verify = subprocess.run([sys.executable, "-m", "shenbao.cli", "audit", "verify"], env=env,
                            cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "audit trail intact" in verify.stdout
