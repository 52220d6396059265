"""Two processes recommend for the last quota slot at the same moment: exactly one wins."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from states.actors import Actor
from store.db import Database
from store.models import AuditRecord
from store.service import Lifecycle
from tests.fixtures.lifecycle import MINISTRY, OPEN, SCREENING, new_app, t

ROOT = Path(__file__).resolve().parents[2]


def test_last_slot_race_between_processes(db_url: str, tmp_path: Path) -> None:
    lc = Lifecycle(Database(db_url))
    lc.open_campaign("szzx-2026-2", now=t("2026-05-01T00:00:00"), actor=MINISTRY)
    ids = []
    for n in range(3):
        app_id, me = new_app(lc, 200 + n, "安徽")
        lc.trigger(app_id, "submit", actor=me, now=OPEN)
        ids.append(app_id)
    lc.trigger(ids[0], "recommend", actor=Actor.parse("province:安徽"), now=SCREENING)
    # one slot of 安徽's 2 is left; two processes race for it
    start = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.race_worker",
                db_url,
                str(app_id),
                "安徽",
                str(start),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for app_id in ids[1:]
    ]
    time.sleep(2.0)  # both have imported, connected and are polling for the start file
    start.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    lines = [out.strip().splitlines()[-1] if out.strip() else err for out, err in outputs]
    assert sorted(line.split()[0] for line in lines) == ["LOST", "WON"], lines
    with lc.db.sessions() as s:
        attempts = s.execute(
            select(AuditRecord.application_id, AuditRecord.accepted).where(
                AuditRecord.trigger == "recommend", AuditRecord.application_id.in_(ids[1:])
            )
        ).all()
    assert sorted(a for _, a in attempts) == [False, True]
    states = sorted(lc.get(i).status for i in ids[1:])
    assert states == ["recommended", "submitted"]
