"""Deadline sweeps on a real database and the outbox drained to a real SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from notifications import drain, parse_mail_url
from notifications.senders import SmtpPoolSender
from states.actors import Actor
from store.contacts import Contacts
from store.db import Database
from store.models import OutboxMessage
from store.outbox import StoreOutbox
from store.service import Lifecycle
from store.sweeps import Sweeper
from tests.fixtures.lifecycle import MINISTRY, OPEN, new_app, t
from tests.integration.notifications.smtp_server import Recorder, free_port, start_server


@pytest.fixture
def life(db_url: str) -> Lifecycle:
    lc = Lifecycle(Database(db_url))
    lc.open_campaign("szzx-2026-2", now=t("2026-05-01T00:00:00"), actor=MINISTRY)
    return lc


def messages(lc: Lifecycle, message_type: str) -> list[OutboxMessage]:
    with lc.db.sessions() as s:
        return list(
            s.scalars(select(OutboxMessage).where(OutboxMessage.message_type == message_type))
        )


def test_reminders_go_once_and_only_to_drafts(life: Lifecycle) -> None:
    drafts = [new_app(life, 300 + i, "湖北")[0] for i in range(3)]
    done, me = new_app(life, 310, "湖北")
    life.trigger(done, "submit", actor=me, now=OPEN)
    sweeper = Sweeper(life)
    assert sweeper.run(t("2026-06-13T08:59:59")).reminders["application_window_closing"] == 0
    first = sweeper.run(t("2026-06-13T09:00:00"))
    assert first.reminders["application_window_closing"] == 3
    again = sweeper.run(t("2026-06-13T09:30:00"))
    assert again.reminders["application_window_closing"] == 0
    sweeper.run(t("2026-06-17T10:00:00"))
    sent = messages(life, "application_window_closing")
    assert sorted((m.application_id, m.context["days_left"]) for m in sent) == sorted(
        [(a, 7) for a in drafts] + [(a, 3) for a in drafts]
    )
    assert done not in {m.application_id for m in sent}
    assert all(m.context["deadline"] == "2026-06-21T00:00:00+08:00" for m in sent)


def test_window_close_locks_drafts_once(life: Lifecycle) -> None:
    drafts = [new_app(life, 320 + i, "湖南")[0] for i in range(2)]
    sweeper = Sweeper(life)
    last_call = sweeper.run(t("2026-06-20T23:59:59"))
    assert last_call.lapsed == 0
    assert last_call.reminders["application_window_closing"] == 2  # the 1-day reminder
    assert sweeper.run(t("2026-06-21T00:00:00")).lapsed == 2
    assert sweeper.run(t("2026-06-21T00:05:00")).lapsed == 0
    assert {life.get(a).status for a in drafts} == {"lapsed"}
    lapsed = messages(life, "lapsed")
    assert len(lapsed) == 2 and lapsed[0].context["closed_at"] == "2026-06-21T00:00:00+08:00"
    # nothing more is sent to a locked draft
    sweeper.run(t("2026-06-21T09:00:00"))
    assert len(messages(life, "application_window_closing")) == 2


def test_screening_reminder_with_quota_and_report_to_ministry(life: Lifecycle) -> None:
    contacts = Contacts(life.db)
    contacts.add("province_commerce", "440000", "gd@example.com", "广东省商务厅", OPEN)
    contacts.add("ministry", "-", "miit@example.com", "信息技术发展司", OPEN)
    ids = []
    for i in range(2):
        app_id, me = new_app(life, 330 + i, "广东")
        life.trigger(app_id, "submit", actor=me, now=OPEN)
        ids.append(app_id)
    life.trigger(ids[0], "recommend", actor=Actor.parse("province:广东"), now=t("2026-06-22T09:00"))
    sweeper = Sweeper(life)
    # 2026-06-30 is a Tuesday: 3 working days before is Thursday 2026-06-25
    assert sweeper.run(t("2026-06-25T08:00:00")).reminders["screening_closing"] == 0
    assert sweeper.run(t("2026-06-25T09:00:00")).reminders["screening_closing"] == 1
    (msg,) = messages(life, "screening_closing")
    assert msg.recipient == "gd@example.com"
    assert msg.context["quota"][0]["used"] == 1 and msg.context["quota"][0]["limit"] == 3
    assert msg.context["pending_count"] == 1
    assert sweeper.run(t("2026-07-01T00:00:00")).reminders["screening_report"] == 1
    assert sweeper.run(t("2026-07-02T00:00:00")).reminders["screening_report"] == 0
    (report,) = messages(life, "screening_report")
    assert report.context["rows"][0]["province"] == "广东"


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    handler, port = Recorder(), free_port()
    controller = start_server(handler, port)
    yield handler, port
    controller.stop()


def test_outbox_drained_to_smtp_exactly_once(life: Lifecycle, smtp: tuple[Recorder, int]) -> None:
    handler, port = smtp
    for i in range(5):
        app_id, me = new_app(life, 340 + i, "河南")
        life.trigger(app_id, "submit", actor=me, now=OPEN)
    Sweeper(life).run(t("2026-06-13T09:00:00"))  # nothing: no drafts left
    settings = parse_mail_url(f"smtp://127.0.0.1:{port}", {})

    async def send() -> int:
        async with SmtpPoolSender(settings) as sender:
            stats = await drain(StoreOutbox(life.db), sender, now=lambda: t("2026-06-13T10:00"))
            return stats.sent

    assert asyncio.run(send()) == 5
    assert asyncio.run(send()) == 0  # a second drain sends nothing
    with life.db.sessions() as s:
        ids = set(s.scalars(select(OutboxMessage.message_id)))
        assert s.scalar(select(func.count()).where(OutboxMessage.status == "sent")) == 5
    assert sorted(handler.ids()) == sorted(ids)
    assert all("=?utf-8?" in r.subject.lower() for r in handler.accepted)
