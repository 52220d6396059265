"""Audit messages are kept as `programs.text.cap` keeps them, on the quick path too."""

from __future__ import annotations

import sys

from programs.text import AUDIT_MESSAGE_MAX, cap
from store.audit import _message, new_row


def test_every_character_is_kept_or_escaped_as_cap_does() -> None:
    for code in range(0, 0x3_0000):
        message = f"申报{chr(code)}x"
        assert _message(message) == cap(message), hex(code)
    assert _message(chr(sys.maxunicode)) == cap(chr(sys.maxunicode))


def test_a_long_message_is_cut_as_cap_cuts_it() -> None:
    for n in (
        AUDIT_MESSAGE_MAX - 1,
        AUDIT_MESSAGE_MAX,
        AUDIT_MESSAGE_MAX + 1,
        10 * AUDIT_MESSAGE_MAX,
    ):
        assert _message("字" * n) == cap("字" * n)
    assert _message("\x00" * AUDIT_MESSAGE_MAX) == cap("\x00" * AUDIT_MESSAGE_MAX)


def test_a_record_holds_the_escaped_message_and_reason() -> None:
    from datetime import UTC, datetime

    row = new_row(
        application_id=1, seq=1, prev_hash="", trigger="submit", from_state="draft",
        to_state="submitted", accepted=True, actor_role="system", actor_scope=None,
        reason="bad\x1b[31m", rule="Accepted", message="a\u202e\x00b", at=datetime.now(UTC),
    )  # fmt: skip
    assert row["message"] == cap("a\u202e\x00b") and "\x00" not in row["message"]
    assert row["reason"] == cap("bad\x1b[31m") and "\x1b" not in row["reason"]
