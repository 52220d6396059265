"""build_email: structure, RFC 2047 Chinese headers, header injection refused, stable Message-ID."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest

from notifications.message import build_email, message_id_for, parse_address
from notifications.render import Rendered, example_context, render

SENDER = "申报系统 <noreply@shenbao.example.cn>"


def parsed(msg: EmailMessage) -> EmailMessage:
    data = msg.as_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert data.isascii()  # 7-bit clean: every server takes it
    return email.message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def build(rendered: Rendered, **kw: object) -> EmailMessage:
    args: dict = dict(
        message_id=message_id_for("k1"), sender=SENDER, to="王丽 <wangli@yuexin.example.cn>",
        rendered=rendered, lang="zh",
    )  # fmt: skip
    return build_email(**(args | kw))


def test_deadline_message_is_alternative_plus_calendar() -> None:
    rendered = render("application_window_closing", example_context("application_window_closing"))
    back = parsed(build(rendered, message_type="application_window_closing"))
    assert [p.get_content_type() for p in back.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar",
    ]  # fmt: skip
    assert back["Subject"] == rendered.subject
    assert back["From"].addresses[0].display_name == "申报系统"
    assert back["To"].addresses[0].addr_spec == "wangli@yuexin.example.cn"
    assert back["Message-ID"] == message_id_for("k1")
    assert back["Content-Language"] == "zh-CN"
    assert back["Auto-Submitted"] == "auto-generated"
    assert back["X-Shenbao-Message-Type"] == "application_window_closing"
    assert back.get_body(("plain",)).get_content() == rendered.text
    assert back.get_body(("html",)).get_content() == rendered.html
    (cal,) = [p for p in back.walk() if p.get_content_type() == "text/calendar"]
    assert cal.get_param("method") == "PUBLISH" and cal.get_filename() == "deadline.ics"
    assert cal.get_content().encode() == rendered.ics


def test_message_without_deadline_is_plain_alternative() -> None:
    rendered = render("shortlisted", example_context("shortlisted"), lang="en")
    back = parsed(build(rendered, lang="en"))
    assert back.get_content_type() == "multipart/alternative"
    assert back["Content-Language"] == "en"


def test_raw_subject_is_encoded_and_folded() -> None:
    ctx = example_context("submitted") | {"enterprise_name": "超长企业名称" * 60 + "😀"}
    rendered = render("submitted", ctx)
    msg = build(rendered)
    raw = msg.as_bytes().split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?b?" in raw
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert parsed(msg)["Subject"] == rendered.subject


def test_date_header_is_the_given_instant() -> None:
    rendered = render("shortlisted", example_context("shortlisted"))
    back = parsed(build(rendered, date=datetime(2026, 9, 1, 8, 0, tzinfo=UTC)))
    assert back["Date"].datetime == datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "field, kw",
    [
        ("Subject", {"subject": "申报已提交\r\nBcc: victim@example.cn"}),
        ("Subject", {"subject": "申报已提交\nX-Evil: 1"}),
        ("Subject", {"subject": "申报已提交\u2028X-Evil: 1"}),
        ("To", {"to": "a@example.cn\r\nBcc: victim@example.cn"}),
        ("From", {"sender": "申报系统 <noreply@example.cn>\nBcc: victim@example.cn"}),
        ("Message-ID", {"message_id": "<a@b>\r\nBcc: victim@example.cn"}),
    ],
)
def test_header_injection_is_refused_naming_the_field(field: str, kw: dict) -> None:
    rendered = render("shortlisted", example_context("shortlisted"))
    if "subject" in kw:
        rendered = Rendered(kw.pop("subject"), rendered.text, rendered.html, None)
    with pytest.raises(ValueError, match=f"^{field}:"):
        build(rendered, **kw)


@pytest.mark.parametrize(
    "value",
    ["a@example.cn, b@example.cn", "not an address", "王丽@example.cn", "a@", "@example.cn",
     "a b@example.cn", "a@exa mple.cn", ""],
)  # fmt: skip
def test_bad_addresses_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="^To:"):
        parse_address("To", value)


def test_internationalised_domain_becomes_idna() -> None:
    assert parse_address("To", "王丽 <wangli@例子.中国>") == (
        "王丽",
        "wangli@xn--fsqu00a.xn--fiqs8s",
    )


def test_message_id_is_stable_and_distinct_per_key() -> None:
    key = "evt-42|wangli@yuexin.example.cn|application_window_closing|3"
    assert message_id_for(key) == message_id_for(key)
    assert message_id_for(key) != message_id_for(key + "x")
    assert message_id_for(key).startswith("<") and message_id_for(key).endswith("@shenbao>")
    with pytest.raises(ValueError, match="idempotency_key"):
        message_id_for("")


def test_long_headers_are_folded_and_read_back_unchanged() -> None:
    ascii_name = "Guangdong Yuexin Intelligent Manufacturing Technology Co Ltd " * 4
    rendered = render("submitted", example_context("submitted") | {"enterprise_name": ascii_name})
    long_sender = (
        "中华人民共和国商务部服务贸易和商贸服务业司申报系统通知中心" * 3 + " <n@mofcom.example.cn>"
    )
    msg = build(rendered, sender=long_sender, lang="en")
    head = msg.as_bytes().split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 998
    back = parsed(msg)
    assert back["Subject"] == rendered.subject
    assert back["From"].addresses[0].display_name == long_sender.split(" <")[0]


def test_retry_of_the_same_item_is_byte_identical() -> None:
    rendered = render("application_window_closing", example_context("application_window_closing"))
    at = datetime(2026, 6, 14, 9, 0, tzinfo=UTC)
    rendered = Rendered(rendered.subject, rendered.text, rendered.html, b"BEGIN:VCALENDAR\r\n")
    assert build(rendered, date=at).as_bytes() == build(rendered, date=at).as_bytes()
    other = build(rendered, date=at, message_id=message_id_for("k2")).as_bytes()
    assert other != build(rendered, date=at).as_bytes()
