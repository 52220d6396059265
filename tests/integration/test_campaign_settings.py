"""`campaign open --objection-contact`: where the public objects, stored with the campaign and
printed with its 公示; a malformed contact is refused in one line and stores nothing."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from deadlines import SHANGHAI
from notifications.notice_text import notice_wording
from programs.editions import load_edition
from tests.fixtures.cli import Cli


def settings_of(cli: Cli) -> list[dict[str, object]]:
    with sqlite3.connect(cli.db_path) as conn:
        return [json.loads(r[0]) for r in conn.execute("SELECT settings FROM campaign")]


def test_the_contact_is_kept_with_the_campaign(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.ok(
        "campaign", "open", "szzx-2026-2", "--as", "ministry", "--now", "2026-05-01",
        "--objection-contact", "org=工业和信息化部信息技术发展司",
        "--objection-contact", "phone=010-68208260",
    )  # fmt: skip
    assert settings_of(cli) == [
        {"objection_contact": {"org": "工业和信息化部信息技术发展司", "phone": "010-68208260"}}
    ]
    edition = load_edition("szzx-2026-2")
    at = datetime(2026, 7, 20, 10, tzinfo=SHANGHAI)
    wording = notice_wording(
        title=edition.title, organiser="工业和信息化部", document_number=None, published_at=at,
        ends_at=at + timedelta(days=7), working_days=5, count=3, settings=settings_of(cli)[0],
    )  # fmt: skip
    text = "\n".join(wording.contact)
    assert "工业和信息化部信息技术发展司" in text and "010-68208260" in text


def test_a_malformed_contact_is_refused_and_opens_nothing(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    for bad, rule in (
        ("fax=1", "contact_field"),
        ("phone", "contact_field"),
        ("name=甲\n乙", "control_char"),
    ):
        line = cli.refused(
            "campaign", "open", "szzx-2026-2", "--as", "ministry", "--now", "2026-05-01",
            "--objection-contact", bad,
        )  # fmt: skip
        assert line.startswith("--objection-contact") and f"rule: {rule}" in line, line
    line = cli.refused(
        "campaign", "open", "szzx-2026-2", "--as", "ministry", "--now", "2026-05-01",
        "--objection-contact", "phone=1", "--objection-contact", "phone=2",
    )  # fmt: skip
    assert "given twice" in line
    if cli.db_path.exists():
        assert settings_of(cli) == []
