"""Mail throughput: our pooled sender against one connection per message and a raw ceiling.

5,000 messages from an outbox are rendered, built and sent to a local aiosmtpd server (its own
process) three ways in the same run:
  pool     drain() through SmtpPoolSender (connections kept open, bounded concurrency)
  naive    drain() through a sender opening a new SMTP connection per message
  ceiling  aiosmtplib sending pre-built messages over one open connection (no rendering)
Prints the three rates and the ratios; exits 1 if pool < 1.5 x naive.

    .venv/bin/python bench/mail_bench.py [--messages 5000] [--pool 4]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import socket
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from typing import Any

import aiosmtplib

from notifications.drain import MemoryOutbox, OutboxItem, drain
from notifications.message import build_email, message_id_for
from notifications.render import MESSAGE_TYPES, example_context, render
from notifications.senders import SendResult, SmtpPoolSender, envelope
from notifications.settings import DEFAULT_SENDER, parse_mail_url

FLOOR = 1.5


class _Sink:
    def __init__(self, counter: Synchronized[int]) -> None:
        self.counter = counter

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 OK"


def _serve(port: int, counter: Synchronized[int], ready: Event, stop: Event) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_Sink(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def outbox_items(count: int, run: str) -> list[OutboxItem]:
    types = sorted(MESSAGE_TYPES)
    created = datetime.now(UTC)
    return [
        OutboxItem(
            id=n,
            idempotency_key=f"{run}|event-{n}|u{n}@example.cn|{types[n % len(types)]}",
            message_type=types[n % len(types)],
            recipient=f"联系人{n} <u{n}@example.cn>",
            lang="zh" if n % 4 else "en",
            context=example_context(types[n % len(types)]),
            created_at=created,
        )
        for n in range(count)
    ]


class NaiveSender:
    """The naive way: a new SMTP connection (connect, EHLO, MAIL, RCPT, DATA, QUIT) per message."""

    sender_address = DEFAULT_SENDER
    max_concurrency = 1

    def __init__(self, port: int) -> None:
        self.port = port
        self.local_hostname = socket.getfqdn()  # looked up once, as the pool does

    async def send(self, msg: EmailMessage) -> SendResult:
        mail_from, rcpt_to = envelope(msg)
        await aiosmtplib.send(
            msg.as_bytes(), sender=mail_from, recipients=rcpt_to, hostname="127.0.0.1",
            port=self.port, start_tls=False, local_hostname=self.local_hostname,
        )  # fmt: skip
        return SendResult("sent")


async def prebuild(items: list[OutboxItem]) -> list[tuple[str, list[str], bytes]]:
    out = []
    for it in items:
        msg = build_email(
            message_id=message_id_for(it.idempotency_key), sender=DEFAULT_SENDER,
            to=it.recipient, rendered=render(it.message_type, it.context, lang=it.lang),
            lang=it.lang,
        )  # fmt: skip
        mail_from, rcpt_to = envelope(msg)
        out.append((mail_from, rcpt_to, msg.as_bytes()))
    return out


async def measure(n: int, port: int, pool: int, chunks: int) -> tuple[dict[str, float], int]:
    """Seconds per method over ``n`` messages, the methods interleaved chunk by chunk so that
    load from other processes on the machine falls on all three alike."""
    items = {m: outbox_items(n, m) for m in ("pool", "naive", "ceiling")}
    settings = parse_mail_url(f"smtp://127.0.0.1:{port}?pool={pool}", {})
    elapsed = {"pool": 0.0, "naive": 0.0, "ceiling": 0.0}
    now = lambda: datetime.now(UTC)  # noqa: E731
    async with SmtpPoolSender(settings) as pooled:
        await drain(MemoryOutbox(outbox_items(50, "warm")), pooled, now=now)  # warm up
        ceiling = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await ceiling.connect()
        naive = NaiveSender(port)
        size = -(-n // chunks)
        for c, lo in enumerate(range(0, n, size)):
            prebuilt = await prebuild(items["ceiling"][lo : lo + size])
            order = ["pool", "naive", "ceiling"]
            order = order[c % 3 :] + order[: c % 3]
            for method in order:
                if method == "ceiling":
                    started = time.perf_counter()
                    for mail_from, rcpt_to, data in prebuilt:
                        await ceiling.sendmail(mail_from, rcpt_to, data)
                    elapsed["ceiling"] += time.perf_counter() - started
                    continue
                sender = pooled if method == "pool" else naive
                chunk = MemoryOutbox(items[method][lo : lo + size])
                stats = await drain(chunk, sender, now=now)
                assert stats.sent == len(chunk.rows), stats
                elapsed[method] += stats.elapsed
        await ceiling.quit()
        opened = pooled.connections_opened
    return elapsed, opened


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--pool", type=int, default=4)
    parser.add_argument("--chunks", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()
    n = args.messages

    ctx = mp.get_context("spawn")
    counter = ctx.Value("q", 0)
    ready, stop = ctx.Event(), ctx.Event()
    port = _free_port()
    server = ctx.Process(target=_serve, args=(port, counter, ready, stop), daemon=True)
    server.start()
    if not ready.wait(30):
        print("the SMTP server did not start", file=sys.stderr)
        return 2
    try:
        elapsed, opened = asyncio.run(measure(n, port, args.pool, args.chunks))
        delivered = counter.value - 50
    finally:
        stop.set()
        server.join(10)

    if delivered != 3 * n:
        print(f"server received {delivered}, expected {3 * n}", file=sys.stderr)
        return 2
    rate = {method: n / seconds for method, seconds in elapsed.items()}
    print(
        f"mail_bench: {n} messages per method to a local aiosmtpd (separate process), "
        f"interleaved in {args.chunks} rounds"
    )
    print(f"  pool     {rate['pool']:8.0f} msg/s  render+build+send, SmtpPoolSender "
          f"(pool={args.pool}, {opened} connections opened)")  # fmt: skip
    print(f"  naive    {rate['naive']:8.0f} msg/s  render+build+send, new connection per message")
    print(f"  ceiling  {rate['ceiling']:8.0f} msg/s  pre-built messages, one open connection")
    ratio = rate["pool"] / rate["naive"]
    print(f"  pool / naive   = {ratio:.2f}x   (floor {FLOOR}x)")
    print(f"  pool / ceiling = {rate['pool'] / rate['ceiling']:.2f}x")
    if ratio < FLOOR:
        print(f"FAIL: pool is {ratio:.2f}x naive, below the {FLOOR}x floor")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
