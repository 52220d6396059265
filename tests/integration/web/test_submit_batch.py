"""Submissions decided together (web.batch): each with the outcome and the one audit record it would
get alone, on SQLite and PostgreSQL, with real threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from deadlines import Window, parse_instant
from programs.forms import make_uscc
from services import handlers
from services.errors import NotFound, Refused
from states.actors import Actor, Role
from store.db import Database
from store.models import Application, AuditRecord
from tests.integration.web.helpers import EDITION, center_form
from web.batch import SubmitBatcher

CLOSE = parse_instant("2026-06-21T00:00:00+08:00")  # the first refused instant


def _world(url: str, n: int) -> tuple[Database, list[tuple[Actor, int]]]:
    db = Database(url)
    at = parse_instant("2026-06-20T20:00:00+08:00")
    window = Window(parse_instant("2026-06-01").date(), parse_instant("2026-06-20").date())
    handlers.open_campaign(db, Actor(Role.MINISTRY), EDITION, now=at, application_window=window)
    out = []
    for k in range(n):
        code = make_uscc(f"9144030{k:010d}")
        who = Actor(Role.ENTERPRISE, code)
        name = f"粤港数创{k}号有限公司"
        app_id = handlers.create_application(
            db, who, EDITION, uscc=code, name=name, province="广东", category="center",
            now=at, email=f"b{k}@applicant.example.cn", form=center_form(code, name),
        )  # fmt: skip
        out.append((who, app_id))
    return db, out


def _held(batcher: SubmitBatcher, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run `calls` on threads while the batcher is held busy, so that all of them queue, then
    let it go: the first batch taken holds every queued submission that may share it."""
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except Exception as exc:  # the outcome under test
            results[i] = exc

    with batcher._cv:
        batcher._busy = True
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(batcher._queue) < len(calls):
        assert time.monotonic() < deadline, "the submissions never queued"
        time.sleep(0.005)
    with batcher._cv:
        batcher._busy = False
        batcher._cv.notify_all()
    for t in threads:
        t.join(60)
    return results


def _records(db: Database, app_id: int) -> list[tuple[bool, str, datetime]]:
    with db.sessions() as s:
        rows = s.execute(
            select(AuditRecord.accepted, AuditRecord.rule, AuditRecord.at)
            .where(AuditRecord.application_id == app_id, AuditRecord.trigger == "submit")
            .order_by(AuditRecord.seq)
        ).all()
    return [(bool(a), r, at) for a, r, at in rows]


def _status(db: Database, app_id: int) -> str:
    with db.sessions() as s:
        return str(s.scalar(select(Application.status).where(Application.id == app_id)))


def test_a_batch_gives_each_submission_its_own_outcome_and_record(db_url: str) -> None:
    db, apps = _world(db_url, 12)
    batcher = SubmitBatcher(db)
    now = CLOSE - timedelta(minutes=3)
    stranger = apps[0][0]  # enterprise 0 tries enterprise 11's application
    calls: list[Callable[[], Any]] = [
        (lambda a=a, i=i: batcher.submit(a, i, now=now)) for a, i in apps[:10]
    ]
    calls.append(lambda: batcher.submit(stranger, apps[11][1], now=now))
    calls.append(lambda: batcher.submit(apps[3][0], apps[3][1], now=now))  # the same one twice
    out = _held(batcher, calls)
    for (_who, app_id), r in zip(apps[:10], out[:10], strict=True):
        if app_id == apps[3][1] and isinstance(r, Refused):
            continue  # one of the two attempts on it is refused (whichever came second)
        assert not isinstance(r, Exception), r
        assert r.accepted and r.application_id == app_id and r.to_state == "submitted"
    assert isinstance(out[10], Refused) and out[10].app_id == apps[11][1]
    assert _status(db, apps[11][1]) == "draft"
    twice = [out[3], out[11]]
    assert sum(isinstance(r, Refused) for r in twice) == 1
    second = next(r for r in twice if isinstance(r, Refused))
    # a third attempt alone is refused by the same rule as the batched second one
    with pytest.raises(Refused) as alone:
        handlers.submit(db, apps[3][0], apps[3][1], now=now)
    assert second.rule == alone.value.rule
    # exactly one record per attempt, stamped with the submissions' instant
    for _who, app_id in apps[:10]:
        records = _records(db, app_id)
        expected = 3 if app_id == apps[3][1] else 1
        assert len(records) == expected, records
        assert records[0][0] and records[0][2] == now
        assert _status(db, app_id) == "submitted"
    assert [a for a, _r, _t in _records(db, apps[11][1])] == [False]
    db.dispose()


def test_submissions_either_side_of_the_close_are_judged_by_their_own_instants(
    db_url: str,
) -> None:
    db, apps = _world(db_url, 6)
    batcher = SubmitBatcher(db)
    instants = [CLOSE - timedelta(milliseconds=ms) for ms in (900, 400, 1)]
    instants += [CLOSE, CLOSE + timedelta(milliseconds=2), CLOSE + timedelta(milliseconds=700)]
    calls: list[Callable[[], Any]] = [
        (lambda a=a, i=i, t=t: batcher.submit(a, i, now=t))
        for (a, i), t in zip(apps, instants, strict=True)
    ]
    out = _held(batcher, calls)
    for r, (_who, app_id), at in zip(out, apps, instants, strict=True):
        records = _records(db, app_id)
        assert len(records) == 1
        accepted, rule, audited_at = records[0]
        if at < CLOSE:
            assert not isinstance(r, Exception), r
            assert accepted and audited_at < CLOSE
        else:
            assert isinstance(r, Refused) and r.rule == "RefuseLateSubmission"
            assert not accepted and rule == "RefuseLateSubmission" and audited_at >= CLOSE
    db.dispose()


def test_a_failing_batch_is_decided_member_by_member(db_url: str) -> None:
    db, apps = _world(db_url, 4)
    batcher = SubmitBatcher(db)
    now = CLOSE - timedelta(minutes=1)
    with db.sessions() as s:
        unknown = int(s.scalar(select(func.max(Application.id))) or 0) + 1000
    calls: list[Callable[[], Any]] = [
        (lambda a=a, i=i: batcher.submit(a, i, now=now)) for a, i in apps
    ]
    calls.insert(2, lambda: batcher.submit(apps[0][0], unknown, now=now))
    out = _held(batcher, calls)
    assert isinstance(out[2], NotFound)
    members = out[:2] + out[3:]
    assert all(not isinstance(r, Exception) and r.accepted for r in members), members
    for _who, app_id in apps:
        assert [a for a, _r, _t in _records(db, app_id)] == [True]
    db.dispose()
