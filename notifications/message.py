"""Build the MIME message of a rendered notification, safe against header injection.

multipart/alternative (text, HTML), plus the deadline as text/calendar (method=PUBLISH) when the
message carries one; non-ASCII subjects and display names are RFC 2047 encoded.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import Compat32
from email.utils import format_datetime, formataddr, getaddresses

from notifications.render import LINE_BREAKS, Rendered, check_single_line, normalize_lang

MESSAGE_ID_DOMAIN = "shenbao"
CONTENT_LANGUAGE = {"zh": "zh-CN", "en": "en"}
ICS_FILENAME = "deadline.ics"


class EncodedWords(str):
    """A header value already RFC 2047 encoded: encoded words separated by single spaces."""


def encode_words(text: str, max_bytes: int = 39) -> EncodedWords:
    """UTF-8 "B" encoded words of at most ``max_bytes`` bytes each, never splitting a character.

    39 bytes make 52 base64 characters: "Subject: =?utf-8?b?...?=" stays within 78 columns.
    """
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for ch in text:
        width = len(ch.encode("utf-8"))
        if size + width > max_bytes and chunk:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += width
    if chunk:
        words.append("".join(chunk))
    return EncodedWords(
        " ".join(
            "=?utf-8?b?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words
        )
    )


class _MailPolicy(Compat32):
    """compat32 with CRLF; header values are encoded once by build_email and written as is.

    Flattening then costs a fraction of policy.SMTP's re-parse and re-fold of every header,
    which otherwise dominates the cost of sending. Anything else is folded by compat32.
    """

    def fold_binary(self, name: str, value: object) -> bytes:
        if isinstance(value, EncodedWords):
            folded = (self.linesep + " ").join(value.split(" "))
            return f"{name}: {folded}{self.linesep}".encode("ascii")
        if (
            isinstance(value, str)
            and len(name) + len(value) <= 76
            and value.isascii()
            and not LINE_BREAKS.intersection(value)
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


MAIL_POLICY = _MailPolicy(linesep="\r\n", max_line_length=78)

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
_DOMAIN = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z"
)


def message_id_for(idempotency_key: str, domain: str = MESSAGE_ID_DOMAIN) -> str:
    """Stable Message-ID from the outbox idempotency key: a retry is the same message."""
    if not idempotency_key:
        raise ValueError("idempotency_key: must not be empty / 不能为空")
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


@functools.lru_cache(maxsize=4096)
def parse_address(field: str, value: str) -> tuple[str, str]:
    """One mailbox ("名称 <user@example.cn>" or "user@example.cn") -> (display name, addr-spec).

    The domain may be internationalised (converted to IDNA); the local part must be ASCII.
    ValueError names the field and the rule.
    """
    check_single_line(field, value)
    pairs = getaddresses([value])
    if len(pairs) != 1 or value.count("@") != pairs[0][1].count("@") + pairs[0][0].count("@"):
        raise ValueError(f"{field}: {value!r} 不是单个邮件地址 / is not exactly one mail address")
    display_name, addr_spec = pairs[0]
    if not addr_spec or addr_spec not in value:  # the parser dropped or rejoined something
        raise ValueError(f"{field}: {value!r} 不是有效邮件地址 / is not a valid mail address")
    local, _, domain = addr_spec.rpartition("@")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"{field}: {domain!r} 域名无效 / invalid domain") from None
    if not _LOCAL.match(local) or not _DOMAIN.match(domain):
        raise ValueError(
            f"{field}: {value!r} 不是有效邮件地址（用户名须为 ASCII）/ "
            "is not a valid mail address (ASCII local part, valid domain)"
        )
    return display_name, f"{local}@{domain}"


@functools.lru_cache(maxsize=1024)
def format_address(field: str, value: str) -> str:
    """The header form of one checked mailbox, display name RFC 2047 encoded when needed."""
    return formataddr(parse_address(field, value), charset="utf-8")


def _text_part(body: str, subtype: str) -> EmailMessage:
    part = EmailMessage(policy=MAIL_POLICY)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(body.encode("utf-8")).decode("ascii"))
    return part


def _multipart(subtype: str, message_id: str, *parts: EmailMessage) -> EmailMessage:
    # "=_" never occurs in base64 (every part is base64), so the boundary cannot clash with the
    # content; derived from the Message-ID, a retried message is byte-identical.
    tag = hashlib.sha256(f"{subtype}|{message_id}".encode()).hexdigest()[:24]
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Content-Type"] = f'multipart/{subtype}; boundary="=_{subtype[:3]}_{tag}"'
    for part in parts:
        msg.attach(part)
    return msg


def build_email(
    *,
    message_id: str,
    sender: str,
    to: str,
    rendered: Rendered,
    lang: str,
    date: datetime | None = None,
    message_type: str | None = None,
) -> EmailMessage:
    """Assemble the message; CR/LF in Subject, From, To or Message-ID -> ValueError naming it.

    ``date`` (the Date header) defaults to now; pass the outbox row's creation time so that a
    retried message is identical to the first attempt. ``msg.as_bytes()`` gives the wire form.
    """
    lang = normalize_lang(lang)
    check_single_line("Message-ID", message_id)
    if not re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message_id):
        raise ValueError(
            f"Message-ID: {message_id!r} 应为 <id@domain> / must look like <id@domain>"
        )
    subject = check_single_line("Subject", rendered.subject)
    from_header = format_address("From", sender)
    to_header = format_address("To", to)
    if date is None:
        date = datetime.now(UTC)
    elif date.tzinfo is None:
        raise ValueError("Date: naive datetime refused / 时间必须带时区")

    body = _multipart(
        "alternative",
        message_id,
        _text_part(rendered.text, "plain"),
        _text_part(rendered.html, "html"),
    )
    if rendered.ics is not None:
        calendar = EmailMessage(policy=MAIL_POLICY)
        calendar["Content-Type"] = 'text/calendar; method="PUBLISH"; charset="utf-8"'
        calendar["Content-Transfer-Encoding"] = "base64"
        calendar["Content-Disposition"] = f'attachment; filename="{ICS_FILENAME}"'
        calendar.set_payload(base64.encodebytes(rendered.ics).decode("ascii"))
        msg = _multipart("mixed", message_id, body, calendar)
    else:
        msg = body
    msg["MIME-Version"] = "1.0"
    msg["Subject"] = subject if subject.isascii() else encode_words(subject)
    msg["From"] = from_header
    msg["To"] = to_header
    msg["Date"] = format_datetime(date.astimezone(UTC))
    msg["Message-ID"] = message_id
    msg["Content-Language"] = CONTENT_LANGUAGE[lang]
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to us
    if message_type is not None:
        msg["X-Shenbao-Message-Type"] = check_single_line("X-Shenbao-Message-Type", message_type)
    return msg
