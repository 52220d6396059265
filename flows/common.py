"""What every flow shares: the wired services, the clock, and draining the outbox.

Flows act as `system` through the application layer (services), never through a face's wiring.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from typing import Any

from deadlines import now_shanghai, parse_instant
from notifications import drain, open_sender, settings_from_env
from store.db import Database
from store.outbox import StoreOutbox
from store.service import Lifecycle


def database() -> Database:
    from services.wiring import database as wired

    return wired()


def lifecycle() -> Lifecycle:
    return Lifecycle(database())


def clock(now: str | None) -> datetime:
    """A flow's instant: the `now` parameter (simulated clock, replay) or the real clock."""
    return parse_instant(now, "now") if now else now_shanghai()


def drain_outbox(now: str | None, batch: int = 200) -> dict[str, Any]:
    """Send what is due from the outbox once (file folder by default, SMTP by SHENBAO_MAIL)."""
    settings = settings_from_env(os.environ)
    outbox = StoreOutbox(lifecycle().db)
    fixed = clock(now) if now else None

    async def run() -> Any:
        async with open_sender(settings) as sender:
            return await drain(
                outbox, sender, now=(lambda: fixed) if fixed else now_shanghai, batch=batch
            )

    stats = asyncio.run(run())
    return {
        "sent": stats.sent,
        "retry_later": stats.temporary,
        "failed": stats.permanent,
        "interrupted": stats.interrupted,
    }
