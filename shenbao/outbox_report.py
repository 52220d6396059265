"""What `notify send` says after a drain beyond the counts: messages that failed permanently (the
run exits 1), and messages that are not yet due again (a retry, or the lease of an interrupted run)
with how many and until when, so a failure is never silent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from deadlines import format_instant
from store.db import Database
from store.models import OutboxMessage

EXIT_FAILED = 1


def after_drain(db: Database, *, permanent_this_run: int, now: datetime) -> tuple[list[str], int]:
    """(lines to print, exit code) for the outbox as the drain left it at `now`."""
    t = OutboxMessage
    with db.sessions() as s:
        failed = s.scalar(select(func.count()).where(t.status == "failed")) or 0
        waiting, first, last = s.execute(
            select(func.count(), func.min(t.next_attempt_at), func.max(t.next_attempt_at)).where(
                t.status == "queued", t.next_attempt_at > now
            )
        ).one()
    lines: list[str] = []
    if permanent_this_run:
        lines.append(
            f"failed permanently in this run: {permanent_this_run} message(s), "
            f"{failed} failed in all; see `shenbao notify status`"
        )
    elif failed:
        lines.append(
            f"failed earlier, not retried: {failed} message(s); see `shenbao notify status`"
        )
    if waiting:
        lines.append(
            f"waiting: {waiting} message(s) not due again before {format_instant(first)}"
            + (f" (the last until {format_instant(last)})" if last != first else "")
            + ": a retry after a temporary failure, or the lease of an interrupted run"
        )
    return lines, EXIT_FAILED if permanent_this_run else 0
