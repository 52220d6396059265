"""Crash safety: a sending process SIGKILLed at random moments still delivers every message once.

"Once" as the recipient's client sees it: a message accepted by the server but not yet marked
sent when the process died is sent again, byte for byte the same, with the same Message-ID.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from notifications.drain import OutboxItem
from notifications.message import message_id_for
from notifications.render import MESSAGE_TYPES, example_context
from tests.integration.notifications.smtp_server import Recorder, free_port, start_server
from tests.integration.notifications.sqlite_outbox import SQLiteOutbox

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 2000
KILLS = 6
IN_FLIGHT = 4  # pool=4 in sender_process: at most this many accepted-but-unmarked per kill
TYPES = sorted(MESSAGE_TYPES)


def outbox_items(count: int) -> list[OutboxItem]:
    created = datetime(2026, 6, 14, 1, 0, tzinfo=UTC)
    return [
        OutboxItem(
            id=None,
            idempotency_key=f"event-{n}|u{n}@example.cn|{TYPES[n % len(TYPES)]}",
            message_type=TYPES[n % len(TYPES)],
            recipient=f"u{n}@example.cn",
            lang="zh" if n % 3 else "en",
            context=example_context(TYPES[n % len(TYPES)]),
            created_at=created,
        )
        for n in range(count)
    ]


def sender(db: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "tests.integration.notifications.sender_process",
        str(db),
        str(port),
    ]
    return subprocess.Popen(cmd, cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)})


def test_sigkilled_sender_delivers_every_message_exactly_once(tmp_path: Path) -> None:
    seed = int(os.environ.get("SHENBAO_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    recorder, port = Recorder(), free_port()
    controller = start_server(recorder, port)
    db = tmp_path / "outbox.db"
    outbox = SQLiteOutbox(db)
    assert outbox.enqueue(outbox_items(MESSAGES)) == MESSAGES
    assert outbox.enqueue(outbox_items(10)) == 0  # same idempotency keys: nothing new
    kills = 0
    try:
        for _ in range(KILLS):
            proc = sender(db, port)
            target = recorder.count() + rng.randint(40, 250)
            give_up = time.monotonic() + 20
            while recorder.count() < target and proc.poll() is None:
                assert time.monotonic() < give_up, "the sender made no progress"
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.02))  # land anywhere in the SMTP conversation
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
        final = sender(db, port)
        assert final.wait(timeout=60) == 0
    finally:
        controller.stop()

    counts = outbox.counts()
    received = recorder.ids()
    distinct = set(received)
    duplicates = len(received) - len(distinct)
    print(
        f"\ncrash test (seed {seed}): {MESSAGES} messages, {kills} SIGKILLs, "
        f"{len(received)} received, {len(distinct)} distinct Message-IDs, "
        f"{duplicates} raw duplicates"
    )
    assert kills >= KILLS - 1
    assert counts == {"queued": 0, "sent": MESSAGES, "failed": 0}
    assert distinct == {message_id_for(key) for key in outbox.keys()}
    assert len(distinct) == MESSAGES
    assert duplicates <= kills * IN_FLIGHT
    copies: dict[str, set[tuple[bytes, tuple[str, ...]]]] = defaultdict(set)
    for r in recorder.accepted:
        copies[r.message_id].add((r.content, r.rcpt_tos))
    assert all(len(variants) == 1 for variants in copies.values())  # byte-identical duplicates
    outbox.close()
