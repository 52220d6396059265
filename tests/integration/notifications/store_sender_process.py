"""The sending process of the store crash test: drains the project's outbox table to SMTP.

Run as ``python -m tests.integration.notifications.store_sender_process DB_URL PORT``.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from notifications.drain import drain
from notifications.senders import SmtpPoolSender
from notifications.settings import parse_mail_url
from store.db import Database
from store.outbox import StoreOutbox, counts


async def main(url: str, port: int) -> int:
    db = Database(url)
    outbox = StoreOutbox(db)
    settings = parse_mail_url(f"smtp://127.0.0.1:{port}?pool=4&timeout=5", {})
    async with SmtpPoolSender(settings) as sender:
        while True:
            with db.sessions() as s:
                if not counts(s).get("queued"):
                    break
            stats = await drain(
                outbox, sender, now=lambda: datetime.now(UTC), batch=100, base_delay=0.2
            )
            if stats.done == 0:
                await asyncio.sleep(0.05)
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]))))
