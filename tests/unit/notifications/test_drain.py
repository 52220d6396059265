"""drain over the in-memory outbox with the real file sender: outcomes, backoff, idempotency."""

from __future__ import annotations

import asyncio
import email
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from notifications.drain import MemoryOutbox, OutboxItem, backoff, drain
from notifications.message import message_id_for
from notifications.render import MESSAGE_TYPES, example_context, render
from notifications.senders import FileSender, eml_name

T0 = datetime(2026, 6, 14, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def item(n: int, message_type: str = "submitted", **context: object) -> OutboxItem:
    return OutboxItem(
        id=n,
        idempotency_key=f"event-{n}|ent{n}@example.cn|{message_type}",
        message_type=message_type,
        recipient=f"王经理 <ent{n}@example.cn>",
        lang="zh" if n % 2 else "en",
        context=example_context(message_type) | context,
        created_at=T0 - timedelta(minutes=5),
    )


def read_eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def run(coro):  # noqa: ANN001, ANN201
    return asyncio.run(coro)


def test_every_type_is_written_as_a_parseable_eml(tmp_path: Path) -> None:
    types = sorted(MESSAGE_TYPES)
    outbox = MemoryOutbox(item(n, t) for n, t in enumerate(types))
    sender = FileSender(tmp_path / "outbox")
    ticks: list[int] = []
    stats = run(drain(outbox, sender, now=Clock(), progress=ticks.append))
    assert (stats.sent, stats.temporary, stats.permanent) == (len(types), 0, 0)
    assert sum(ticks) == len(types)
    assert outbox.counts() == {"queued": 0, "sent": len(types), "failed": 0}
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == len(types) and not list((tmp_path / "outbox").glob(".*tmp"))
    for n, message_type in enumerate(types):
        it = item(n, message_type)
        path = tmp_path / "outbox" / eml_name(message_id_for(it.idempotency_key))
        back = read_eml(path)
        assert back["Message-ID"] == message_id_for(it.idempotency_key)
        assert back["Subject"] == render(message_type, it.context, lang=it.lang).subject
        assert back["To"].addresses[0].display_name == "王经理"
        assert back["Date"].datetime == T0 - timedelta(minutes=5)
        has_ics = any(p.get_content_type() == "text/calendar" for p in back.walk())
        assert has_ics == MESSAGE_TYPES[message_type].about_deadline


def test_second_pass_sends_nothing_and_resending_rewrites_the_same_file(tmp_path: Path) -> None:
    outbox = MemoryOutbox([item(1), item(2)])
    sender = FileSender(tmp_path)
    assert run(drain(outbox, sender, now=Clock())).sent == 2
    assert run(drain(outbox, sender, now=Clock())).claimed == 0
    # A crash after writing but before mark_sent: the retry lands in the same file.
    again = MemoryOutbox([item(1)])
    assert run(drain(again, sender, now=Clock())).sent == 1
    assert len(list(tmp_path.glob("*.eml"))) == 2


def test_same_idempotency_key_is_enqueued_once() -> None:
    outbox = MemoryOutbox()
    assert outbox.add(item(1)) is True
    duplicate = item(1)
    duplicate.id = 99
    assert outbox.add(duplicate) is False
    assert len(outbox.claim(10, T0)) == 1


def test_unrenderable_messages_fail_permanently_with_the_reason(tmp_path: Path) -> None:
    good = item(1)
    injected = item(2, enterprise_name="恶意公司\r\nBcc: victim@example.cn")
    missing = item(3)
    del missing.context["receipt_no"]
    bad_to = item(4)
    bad_to.recipient = "a@example.cn, b@example.cn"
    outbox = MemoryOutbox([good, injected, missing, bad_to])
    stats = run(drain(outbox, FileSender(tmp_path), now=Clock()))
    assert (stats.sent, stats.permanent) == (1, 3)
    errors = {it.id: detail for it, detail in stats.permanent_failures}
    assert "Subject" in errors[2] and "receipt_no" in errors[3] and "To:" in errors[4]
    assert outbox.rows[2].failed_permanently and outbox.rows[2].last_error == errors[2]
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_write_failure_is_temporary_with_exponential_backoff(tmp_path: Path) -> None:
    blocked = tmp_path / "outbox"
    blocked.write_text("a file where the folder should be")
    outbox = MemoryOutbox([item(1)])
    sender = FileSender(blocked)
    clock = Clock()
    waits = []
    for _ in range(3):
        stats = run(drain(outbox, sender, now=clock, base_delay=30))
        assert stats.temporary == 1
        waits.append((outbox.rows[1].next_attempt_at - clock()).total_seconds())
        assert run(drain(outbox, sender, now=clock)).claimed == 0  # not due yet
        clock.advance(waits[-1])
    assert waits == [30, 60, 120]
    assert outbox.rows[1].item.attempts == 3 and "write" in str(outbox.rows[1].last_error)
    blocked.unlink()
    assert run(drain(outbox, sender, now=clock)).sent == 1


def test_gives_up_after_max_attempts(tmp_path: Path) -> None:
    blocked = tmp_path / "outbox"
    blocked.write_text("")
    outbox = MemoryOutbox([item(1)])
    clock = Clock()
    for _ in range(2):
        run(drain(outbox, FileSender(blocked), now=clock, max_attempts=3, base_delay=1))
        clock.advance(3600)
    stats = run(drain(outbox, FileSender(blocked), now=clock, max_attempts=3, base_delay=1))
    assert stats.permanent == 1
    assert stats.permanent_failures[0][1].startswith("gave up after 3 attempts: write")
    assert outbox.counts()["failed"] == 1


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, 30, 3600) for n in range(1, 9)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600,
    ]  # fmt: skip


def test_file_sender_refuses_a_message_without_message_id(tmp_path: Path) -> None:
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.cn", "b@example.cn", "x"
    result = run(FileSender(tmp_path).send(msg))
    assert result.outcome == "permanent" and "Message-ID" in result.detail


@pytest.mark.parametrize("mid", ["<a/../../etc@x>", "<../../x@y>"])
def test_eml_names_stay_inside_the_folder(tmp_path: Path, mid: str) -> None:
    path = FileSender(tmp_path).path_for(mid)
    assert path.parent == tmp_path and "/" not in path.name
