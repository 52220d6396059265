"""Notifications: jinja2 templates (zh-CN first, English), .ics deadlines, MIME building,
file and pooled SMTP senders, and the crash-safe send loop over an outbox."""

from notifications.drain import DrainStats, MemoryOutbox, Outbox, OutboxItem, backoff, drain
from notifications.ics import deadline_event
from notifications.message import build_email, message_id_for, parse_address
from notifications.render import (
    MESSAGE_TYPES,
    MessageTypeInfo,
    Rendered,
    example_context,
    format_instant,
    render,
)
from notifications.senders import FileSender, Sender, SendResult, SmtpPoolSender, open_sender
from notifications.settings import MailSettings, parse_mail_url, settings_from_env

__all__ = [
    "MESSAGE_TYPES",
    "DrainStats",
    "FileSender",
    "MailSettings",
    "MemoryOutbox",
    "MessageTypeInfo",
    "Outbox",
    "OutboxItem",
    "Rendered",
    "SendResult",
    "Sender",
    "SmtpPoolSender",
    "backoff",
    "build_email",
    "deadline_event",
    "drain",
    "example_context",
    "format_instant",
    "message_id_for",
    "open_sender",
    "parse_address",
    "parse_mail_url",
    "render",
    "settings_from_env",
]
