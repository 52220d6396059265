"""The crash test again, over the project's own outbox table (StoreOutbox): 2,000 messages,
the sending process SIGKILLed at random moments, every Message-ID delivered exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from notifications import MESSAGE_TYPES, example_context
from store.db import Database
from store.migrations import upgrade
from store.models import OutboxMessage
from store.outbox import insert_rows, outbox_row
from tests.integration.notifications.smtp_server import Recorder, free_port, start_server

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 2000
KILLS = 5
TYPES = sorted(MESSAGE_TYPES)


def test_sigkilled_store_sender_delivers_every_message_once(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("SHENBAO_CRASH_SEED", time.time_ns() % 1_000_000)))
    url = f"sqlite:///{tmp_path / 'shenbao.db'}"
    upgrade(url)
    db = Database(url)
    created = datetime(2026, 6, 14, 1, 0, tzinfo=UTC)
    rows = [
        outbox_row(
            key=f"transition:{n}:1:{TYPES[n % len(TYPES)]}:u{n}@example.cn",
            message_type=TYPES[n % len(TYPES)],
            recipient=f"u{n}@example.cn",
            context=example_context(TYPES[n % len(TYPES)]),
            now=created,
        )
        for n in range(MESSAGES)
    ]
    with db.transaction() as s:
        assert insert_rows(s, rows) == MESSAGES
    with db.transaction() as s:
        assert insert_rows(s, rows[:10]) == 0  # same idempotency keys: nothing new
    recorder, port = Recorder(), free_port()
    controller = start_server(recorder, port)
    env = os.environ | {"PYTHONPATH": str(ROOT), "SHENBAO_OUTBOX_LEASE_SECONDS": "1"}
    cmd = [sys.executable, "-m", "tests.integration.notifications.store_sender_process", url,
           str(port)]  # fmt: skip
    kills = 0
    try:
        for _ in range(KILLS):
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
            target = recorder.count() + rng.randint(40, 250)
            give_up = time.monotonic() + 30
            while recorder.count() < target and proc.poll() is None:
                assert time.monotonic() < give_up, "the sender made no progress"
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.02))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
        time.sleep(1.1)  # the crashed senders' leases run out
        final = subprocess.Popen(cmd, cwd=ROOT, env=env)
        assert final.wait(timeout=120) == 0
    finally:
        controller.stop()
    received = recorder.ids()
    with db.sessions() as s:
        ids = set(s.scalars(select(OutboxMessage.message_id)))
        sent = s.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
    assert kills >= KILLS - 1
    assert sent == MESSAGES
    assert set(received) == ids and len(ids) == MESSAGES
    assert len(received) - len(set(received)) <= kills * 4  # only the in-flight ones, same ID
