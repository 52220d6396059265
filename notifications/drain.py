"""The send loop: claim due outbox items, render, build, send, and record each outcome.

The outbox is an interface (implemented over the database by the store); ``MemoryOutbox`` is
the reference implementation. Guarantee: an item is marked sent only after the server accepted
it; if the process dies in between, the item is sent again with the same Message-ID, which the
recipient's mail client shows once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from notifications.message import build_email, message_id_for
from notifications.render import render
from notifications.senders import Sender, SendResult


@dataclass
class OutboxItem:
    id: Any
    idempotency_key: str
    message_type: str
    recipient: str
    lang: str
    context: dict[str, Any]
    attempts: int = 0  # failed attempts so far
    created_at: datetime | None = None  # used as the Date header, so retries are identical


class Outbox(Protocol):
    def claim(self, limit: int, now: datetime) -> list[OutboxItem]:
        """Up to ``limit`` unsent, not permanently failed items with next_attempt_at <= now."""
        ...

    def mark_sent(self, item_id: Any, now: datetime) -> None: ...

    def mark_failed(
        self,
        item_id: Any,
        now: datetime,
        detail: str,
        permanent: bool,
        next_attempt_at: datetime | None,
    ) -> None:
        """Record one failed attempt (attempts + 1) and the detail; permanent ends the item."""
        ...


@dataclass
class DrainStats:
    claimed: int = 0
    sent: int = 0
    temporary: int = 0
    permanent: int = 0
    interrupted: str | None = None  # the server could not be reached: the run stopped early
    permanent_failures: list[tuple[OutboxItem, str]] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def done(self) -> int:
        return self.sent + self.temporary + self.permanent


def backoff(attempts: int, base_delay: float, max_delay: float) -> float:
    """Seconds to wait after the ``attempts``-th failure: base, 2×base, 4×base, ... capped."""
    return min(max_delay, base_delay * 2 ** max(0, attempts - 1))


async def drain(
    outbox: Outbox,
    sender: Sender,
    *,
    now: Callable[[], datetime],
    batch: int = 200,
    max_attempts: int = 8,
    base_delay: float = 30.0,
    max_delay: float = 6 * 3600.0,
    progress: Callable[[int], None] | None = None,
    concurrency: int | None = None,
) -> DrainStats:
    """One pass over the due items: each is sent at most once per call.

    Temporary failures come back after exponential backoff, until ``max_attempts`` (then
    permanent); permanent failures keep the server's answer. A message that cannot be rendered
    or built (missing context, CR/LF in a header) fails permanently at once. If the server
    cannot be reached at all, the pass stops, leaving the remaining items untouched.
    """
    started = time.perf_counter()
    stats = DrainStats()
    workers = concurrency or getattr(sender, "max_concurrency", None) or 8
    seen: set[Any] = set()
    stop = asyncio.Event()

    async def handle(item: OutboxItem) -> None:
        result = await _deliver(item, sender)
        if result.unreachable:
            stop.set()
            stats.interrupted = result.detail
            return  # not an attempt: nothing reached the server
        at = now()
        if result.outcome == "sent":
            outbox.mark_sent(item.id, at)
            stats.sent += 1
        else:
            attempts = item.attempts + 1
            permanent = result.outcome == "permanent" or attempts >= max_attempts
            detail = result.detail
            if permanent:
                if result.outcome == "temporary":
                    detail = f"gave up after {attempts} attempts: {detail}"
                outbox.mark_failed(item.id, at, detail, True, None)
                stats.permanent += 1
                stats.permanent_failures.append((item, detail))
            else:
                retry_at = at + timedelta(seconds=backoff(attempts, base_delay, max_delay))
                outbox.mark_failed(item.id, at, detail, False, retry_at)
                stats.temporary += 1
        if progress is not None:
            progress(1)

    async def worker(queue: asyncio.Queue[OutboxItem]) -> None:
        while not stop.is_set():
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await handle(item)

    while not stop.is_set():
        claimed = [item for item in outbox.claim(batch, now()) if item.id not in seen]
        if not claimed:
            break
        seen.update(item.id for item in claimed)
        stats.claimed += len(claimed)
        queue: asyncio.Queue[OutboxItem] = asyncio.Queue()
        for item in claimed:
            queue.put_nowait(item)
        await asyncio.gather(*(worker(queue) for _ in range(min(workers, len(claimed)))))
    stats.elapsed = time.perf_counter() - started
    return stats


async def _deliver(item: OutboxItem, sender: Sender) -> SendResult:
    try:
        context = item.context
        if item.created_at is not None and "created_at" not in context:
            # DTSTAMP of the .ics: the same on every attempt, so a retry is byte-identical.
            context = {**context, "created_at": item.created_at}
        rendered = render(item.message_type, context, lang=item.lang)
        msg = build_email(
            message_id=message_id_for(item.idempotency_key),
            sender=sender.sender_address,
            to=item.recipient,
            rendered=rendered,
            lang=item.lang,
            date=item.created_at,
            message_type=item.message_type,
        )
    except (ValueError, TypeError, LookupError) as exc:
        return SendResult("permanent", f"render: {exc}")
    except Exception as exc:  # a template error (jinja2 UndefinedError and the like)
        return SendResult("permanent", f"render: {type(exc).__name__}: {exc}")
    return await sender.send(msg)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class _Row:
    item: OutboxItem
    next_attempt_at: datetime
    sent_at: datetime | None = None
    failed_permanently: bool = False
    last_error: str | None = None


class MemoryOutbox:
    """In-memory Outbox with the store's semantics: one row per idempotency key."""

    def __init__(self, items: Iterable[OutboxItem] = (), *, due: datetime | None = None) -> None:
        self.rows: dict[Any, _Row] = {}
        self._keys: set[str] = set()
        for item in items:
            self.add(item, due=due)

    def add(self, item: OutboxItem, *, due: datetime | None = None) -> bool:
        """Enqueue; False (and nothing added) when the idempotency key is already present."""
        if item.idempotency_key in self._keys:
            return False
        self._keys.add(item.idempotency_key)
        self.rows[item.id] = _Row(item=item, next_attempt_at=due or EPOCH)
        return True

    def claim(self, limit: int, now: datetime) -> list[OutboxItem]:
        due = [
            row
            for row in self.rows.values()
            if row.sent_at is None and not row.failed_permanently and row.next_attempt_at <= now
        ]
        due.sort(key=lambda row: (row.next_attempt_at, str(row.item.id)))
        return [_copy(row.item) for row in due[:limit]]

    def mark_sent(self, item_id: Any, now: datetime) -> None:
        self.rows[item_id].sent_at = now

    def mark_failed(
        self,
        item_id: Any,
        now: datetime,
        detail: str,
        permanent: bool,
        next_attempt_at: datetime | None,
    ) -> None:
        row = self.rows[item_id]
        row.item.attempts += 1
        row.last_error = detail
        if permanent:
            row.failed_permanently = True
        else:
            if next_attempt_at is None:
                raise ValueError("next_attempt_at: required for a temporary failure")
            row.next_attempt_at = next_attempt_at

    def counts(self) -> dict[str, int]:
        sent = sum(1 for r in self.rows.values() if r.sent_at is not None)
        failed = sum(1 for r in self.rows.values() if r.failed_permanently)
        return {"queued": len(self.rows) - sent - failed, "sent": sent, "failed": failed}


def _copy(item: OutboxItem) -> OutboxItem:
    return OutboxItem(
        id=item.id,
        idempotency_key=item.idempotency_key,
        message_type=item.message_type,
        recipient=item.recipient,
        lang=item.lang,
        context=item.context,
        attempts=item.attempts,
        created_at=item.created_at,
    )
