"""SmtpPoolSender and drain against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications.drain import MemoryOutbox, OutboxItem, drain
from notifications.message import build_email, message_id_for
from notifications.render import MESSAGE_TYPES, example_context, render
from notifications.senders import SmtpPoolSender
from notifications.settings import parse_mail_url
from tests.integration.notifications.smtp_server import (
    Recorder,
    free_port,
    self_signed_cert,
    server_tls_context,
    start_server,
)

T0 = datetime(2026, 6, 14, 1, 0, tzinfo=UTC)
PASSWORD = "口令-s3cr3t-never-logged"
TYPES = sorted(MESSAGE_TYPES)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def items(count: int, start: int = 0) -> list[OutboxItem]:
    out = []
    for n in range(start, start + count):
        message_type = TYPES[n % len(TYPES)]
        out.append(
            OutboxItem(
                id=n,
                idempotency_key=f"event-{n}|u{n}@example.cn|{message_type}",
                message_type=message_type,
                recipient=f"联系人{n} <u{n}@example.cn>",
                lang="zh" if n % 3 else "en",
                context=example_context(message_type),
                created_at=T0,
            )
        )
    return out


def expected_ids(batch: list[OutboxItem]) -> set[str]:
    return {message_id_for(it.idempotency_key) for it in batch}


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = start_server(recorder, port)
    yield recorder, port
    controller.stop()


def smtp(port: int, query: str = "pool=3", env: dict[str, str] | None = None) -> SmtpPoolSender:
    return SmtpPoolSender(parse_mail_url(f"smtp://127.0.0.1:{port}?{query}", env or {}))


def test_pool_delivers_every_message_over_few_connections(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    batch = items(60)
    outbox = MemoryOutbox(batch)

    async def go() -> tuple[int, int]:
        async with smtp(port, "pool=3") as sender:
            stats = await drain(outbox, sender, now=Clock())
            return stats.sent, sender.connections_opened

    sent, opened = asyncio.run(go())
    assert sent == 60 and outbox.counts()["sent"] == 60
    assert opened <= 3
    assert sorted(recorder.ids()) == sorted(expected_ids(batch))
    by_id = {r.message_id: r for r in recorder.accepted}
    for it in batch:
        got = by_id[message_id_for(it.idempotency_key)]
        assert got.rcpt_tos == (f"u{it.id}@example.cn",)
        back = email.message_from_bytes(got.content, policy=policy.default)
        assert back["Subject"] == render(it.message_type, it.context, lang=it.lang).subject
        calendars = [p for p in back.walk() if p.get_content_type() == "text/calendar"]
        assert len(calendars) == int(MESSAGE_TYPES[it.message_type].about_deadline)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrency_is_bounded(server: tuple[Recorder, int], concurrency: int) -> None:
    recorder, port = server
    recorder.delay = 0.05
    batch = items(12)

    async def go() -> float:
        async with smtp(port, f"pool={concurrency}&concurrency={concurrency}") as sender:
            started = asyncio.get_running_loop().time()
            results = await asyncio.gather(*(sender.send(_built(it)) for it in batch))
            assert all(r.ok for r in results)
            return asyncio.get_running_loop().time() - started

    elapsed = asyncio.run(go())
    assert recorder.max_in_data == concurrency
    assert elapsed >= 12 / concurrency * 0.05
    assert sorted(recorder.ids()) == sorted(expected_ids(batch))


def _built(it: OutboxItem) -> EmailMessage:
    return build_email(
        message_id=message_id_for(it.idempotency_key), sender="申报系统 <noreply@example.cn>",
        to=it.recipient, rendered=render(it.message_type, it.context, lang=it.lang), lang=it.lang,
    )  # fmt: skip


def test_451_is_retried_after_backoff_and_then_delivered(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    recorder.answer = lambda mid: (
        "451 4.3.0 Try again later" if recorder.tries[mid] == 1 else "250 OK"
    )
    batch = items(3)
    outbox = MemoryOutbox(batch)
    clock = Clock()

    async def go() -> list[tuple[int, int, int]]:
        results = []
        async with smtp(port, "pool=1") as sender:
            for advance in (0, 0, 30):
                clock.at += timedelta(seconds=advance)
                s = await drain(outbox, sender, now=clock, base_delay=30)
                results.append((s.sent, s.temporary, s.permanent))
        return results

    assert asyncio.run(go()) == [(0, 3, 0), (0, 0, 0), (3, 0, 0)]
    assert sorted(recorder.ids()) == sorted(expected_ids(batch))
    assert all(recorder.tries[mid] == 2 for mid in expected_ids(batch))
    for row in outbox.rows.values():
        assert row.item.attempts == 1 and row.last_error == "451 4.3.0 Try again later"


def test_550_is_permanent_and_keeps_the_servers_answer(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    batch = items(6)
    spam = message_id_for(batch[1].idempotency_key)
    recorder.answer = lambda mid: "550 5.7.1 Message rejected as spam" if mid == spam else "250 OK"
    recorder.refuse_rcpt["u4@example.cn"] = "550 5.1.1 <u4@example.cn>: Recipient address rejected"
    outbox = MemoryOutbox(batch)

    async def go() -> tuple[int, int, int]:
        async with smtp(port, "pool=1") as sender:
            stats = await drain(outbox, sender, now=Clock())
            return stats.sent, stats.permanent, sender.connections_opened

    assert asyncio.run(go()) == (4, 2, 1)  # the session survives a refusal
    assert outbox.rows[1].failed_permanently
    assert outbox.rows[1].last_error == "550 5.7.1 Message rejected as spam"
    assert outbox.rows[4].last_error == "550 5.1.1 <u4@example.cn>: Recipient address rejected"
    assert len(recorder.ids()) == 4


def test_starttls_and_auth(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cert, key = self_signed_cert(tmp_path)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    recorder, port = Recorder(), free_port()
    controller = start_server(
        recorder,
        port,
        tls_context=server_tls_context(cert, key),
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    url = f"smtp://notice@127.0.0.1:{port}?starttls=1&pool=2&timeout=5&cafile={cert}"
    batch = items(5)

    async def go(password: str) -> tuple[int, str | None]:
        settings = parse_mail_url(url, {"SHENBAO_SMTP_PASSWORD": password})
        async with SmtpPoolSender(settings) as sender:
            stats = await drain(MemoryOutbox(batch), sender, now=Clock())
            return stats.sent, stats.interrupted

    caplog.set_level(logging.DEBUG)
    try:
        assert asyncio.run(go(PASSWORD)) == (5, None)
        sent, interrupted = asyncio.run(go("wrong-password"))
    finally:
        controller.stop()
    assert [(r.tls, r.login) for r in recorder.accepted] == [(True, "notice")] * 5
    assert logins[0] == (b"notice", PASSWORD.encode())
    assert sent == 0 and interrupted is not None and "authentication failed" in interrupted
    assert "wrong-password" not in interrupted
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert all(PASSWORD not in r.getMessage() for r in ours)


def test_implicit_tls(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    recorder, port = Recorder(), free_port()
    controller = start_server(recorder, port, ssl_context=server_tls_context(cert, key))
    settings = parse_mail_url(f"smtps://127.0.0.1:{port}?cafile={cert}", {})

    async def go() -> int:
        async with SmtpPoolSender(settings) as sender:
            return (await drain(MemoryOutbox(items(3)), sender, now=Clock())).sent

    try:
        assert asyncio.run(go()) == 3
    finally:
        controller.stop()
    assert len(recorder.ids()) == 3


def test_untrusted_certificate_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    recorder, port = Recorder(), free_port()
    controller = start_server(recorder, port, ssl_context=server_tls_context(cert, key))
    outbox = MemoryOutbox(items(3))

    async def go() -> str | None:
        async with SmtpPoolSender(parse_mail_url(f"smtps://127.0.0.1:{port}", {})) as sender:
            return (await drain(outbox, sender, now=Clock())).interrupted

    try:
        interrupted = asyncio.run(go())
    finally:
        controller.stop()
    assert interrupted is not None and "CERTIFICATE_VERIFY_FAILED" in interrupted
    assert outbox.counts() == {"queued": 3, "sent": 0, "failed": 0}
    assert all(row.item.attempts == 0 for row in outbox.rows.values())


def test_unreachable_server_stops_the_pass_without_spending_attempts() -> None:
    outbox = MemoryOutbox(items(20))
    port = free_port()  # nothing listens here

    async def go() -> str | None:
        async with smtp(port, "pool=2&timeout=2") as sender:
            return (await drain(outbox, sender, now=Clock())).interrupted

    interrupted = asyncio.run(go())
    assert interrupted is not None and f"connect 127.0.0.1:{port}" in interrupted
    assert outbox.counts() == {"queued": 20, "sent": 0, "failed": 0}
    assert all(row.item.attempts == 0 for row in outbox.rows.values())


def test_dropped_connections_are_replaced() -> None:
    recorder, port = Recorder(), free_port()
    controller = start_server(recorder, port)
    first, second = items(5), items(5, start=5)

    async def go() -> tuple[int, int, int]:
        nonlocal controller
        async with smtp(port, "pool=1") as sender:
            a = await drain(MemoryOutbox(first), sender, now=Clock())
            await asyncio.to_thread(controller.stop)  # kills the idle pooled session
            controller = start_server(recorder, port)
            b = await drain(MemoryOutbox(second), sender, now=Clock())
            return a.sent, b.sent + b.temporary * 100, sender.connections_opened

    try:
        assert asyncio.run(go()) == (5, 5, 2)
    finally:
        controller.stop()
    assert sorted(recorder.ids()) == sorted(expected_ids(first + second))


def test_server_stopped_mid_run_messages_wait_and_are_delivered_when_it_returns() -> None:
    recorder, port = Recorder(), free_port()
    controller = start_server(recorder, port)
    batch = items(400)
    outbox = MemoryOutbox(batch)
    log = {"interrupted": 0, "temporary": 0}

    async def sender_loop() -> None:
        async with smtp(port, "pool=4&timeout=3") as sender:
            while outbox.counts()["queued"]:
                stats = await drain(
                    outbox, sender, now=lambda: datetime.now(UTC), base_delay=0.2, max_attempts=50
                )
                log["interrupted"] += stats.interrupted is not None
                log["temporary"] += stats.temporary
                if stats.done == 0:
                    await asyncio.sleep(0.05)

    async def go() -> tuple[int, dict[str, int]]:
        nonlocal controller
        loop_task = asyncio.create_task(sender_loop())
        while recorder.count() < 100:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(controller.stop)
        during = recorder.count()
        await asyncio.sleep(1.0)  # the sender keeps trying against a closed port
        waiting = outbox.counts()
        controller = start_server(recorder, port)
        await asyncio.wait_for(loop_task, timeout=30)
        return during, waiting

    try:
        during, waiting = asyncio.run(go())
    finally:
        controller.stop()
    assert 100 <= during < 400
    assert waiting["failed"] == 0 and waiting["queued"] >= 400 - during
    assert log["interrupted"] >= 1
    assert outbox.counts() == {"queued": 0, "sent": 400, "failed": 0}
    ids = recorder.ids()
    assert set(ids) == expected_ids(batch)
    assert len(ids) - len(set(ids)) <= 4  # at most the messages in flight when it stopped
