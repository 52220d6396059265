"""The sending process of the crash test: drains a SQLite outbox to SMTP until nothing is left.

Run as ``python -m tests.integration.notifications.sender_process DB PORT``.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from notifications.drain import drain
from notifications.senders import SmtpPoolSender
from notifications.settings import parse_mail_url
from tests.integration.notifications.sqlite_outbox import SQLiteOutbox


async def main(db: str, port: int) -> int:
    outbox = SQLiteOutbox(db)
    settings = parse_mail_url(f"smtp://127.0.0.1:{port}?pool=4&timeout=5", {})
    async with SmtpPoolSender(settings) as sender:
        while outbox.counts()["queued"]:
            stats = await drain(
                outbox, sender, now=lambda: datetime.now(UTC), batch=100, base_delay=0.2
            )
            if stats.done == 0:
                await asyncio.sleep(0.05)
    outbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]))))
