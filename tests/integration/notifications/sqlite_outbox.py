"""An Outbox over a SQLite file (stdlib sqlite3), shared by the test and a sending process."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notifications.drain import OutboxItem

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    message_type TEXT NOT NULL,
    recipient TEXT NOT NULL,
    lang TEXT NOT NULL,
    context TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    sent_at REAL,
    failed_permanently INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
)
"""


class SQLiteOutbox:
    def __init__(self, path: Path | str) -> None:
        self.conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(SCHEMA)

    def enqueue(self, items: Iterable[OutboxItem]) -> int:
        rows = [
            (
                it.idempotency_key, it.message_type, it.recipient, it.lang,
                json.dumps(it.context, ensure_ascii=False),
                (it.created_at or datetime.now(UTC)).isoformat(),
            )
            for it in items
        ]  # fmt: skip
        with self.conn:
            before = self.conn.total_changes
            self.conn.execute("BEGIN")
            self.conn.executemany(
                "INSERT OR IGNORE INTO outbox (idempotency_key, message_type, recipient, lang,"
                " context, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            return self.conn.total_changes - before

    def claim(self, limit: int, now: datetime) -> list[OutboxItem]:
        cur = self.conn.execute(
            "SELECT id, idempotency_key, message_type, recipient, lang, context, attempts,"
            " created_at FROM outbox WHERE sent_at IS NULL AND failed_permanently = 0"
            " AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            (now.timestamp(), limit),
        )
        return [
            OutboxItem(
                id=r[0], idempotency_key=r[1], message_type=r[2], recipient=r[3], lang=r[4],
                context=json.loads(r[5]), attempts=r[6],
                created_at=datetime.fromisoformat(r[7]),
            )
            for r in cur.fetchall()
        ]  # fmt: skip

    def mark_sent(self, item_id: Any, now: datetime) -> None:
        self.conn.execute("UPDATE outbox SET sent_at = ? WHERE id = ?", (now.timestamp(), item_id))

    def mark_failed(
        self,
        item_id: Any,
        now: datetime,
        detail: str,
        permanent: bool,
        next_attempt_at: datetime | None,
    ) -> None:
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_permanently = ?,"
            " next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ?",
            (
                detail,
                int(permanent),
                next_attempt_at.timestamp() if next_attempt_at else None,
                item_id,
            ),
        )

    def counts(self) -> dict[str, int]:
        sent, failed, total = self.conn.execute(
            "SELECT COUNT(sent_at), SUM(failed_permanently), COUNT(*) FROM outbox"
        ).fetchone()
        return {"queued": total - sent - (failed or 0), "sent": sent, "failed": failed or 0}

    def keys(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT idempotency_key FROM outbox")]

    def close(self) -> None:
        self.conn.close()
