"""`shenbao contacts` and `shenbao notify` through the CLI, mail to files."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

from tests.conftest import uscc
from tests.fixtures.cli import Cli, apply


def test_contacts_and_notify(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.ok("campaign", "open", "szzx-2026-2", "--now", "2026-05-01", "--as", "ministry")
    added = cli.ok("contacts", "add", "province_commerce", "440000", "gd@example.cn",
                   "--name", "广东省商务厅", "--as", "ministry").strip()  # fmt: skip
    assert added.isdigit()
    assert "ROLE" in cli.refused(
        "contacts", "add", "mayor", "广东", "x@example.cn", "--as", "ministry"
    )
    assert "EMAIL" in cli.refused(
        "contacts", "add", "ministry", "-", "bad\r\nBcc: x@y.z", "--as", "ministry"
    )
    assert "--as: required" in cli.refused("contacts", "add", "ministry", "-", "m@example.cn")
    assert "无权操作" in cli.refused(
        "contacts", "add", "ministry", "-", "m@example.cn", "--as", f"enterprise:{uscc(1)}"
    )
    listed = json.loads(cli.ok("contacts", "list", "--json"))
    assert [(c["role"], c["scope"], c["email"]) for c in listed] == [
        ("province_commerce", "广东", "gd@example.cn")
    ]
    app = apply(cli, 1)
    cli.ok("submit", app, "--as", f"enterprise:{uscc(1)}", "--now", "2026-06-01T10:00")
    preview = cli.ok("notify", "preview", app, "submitted")
    assert preview.startswith("Subject: ") and "单位1" in preview
    assert "Application submitted" in cli.ok("notify", "preview", app, "submitted", "--lang", "en")
    assert "TYPE" in cli.refused("notify", "preview", app, "nonsense")
    status = json.loads(cli.ok("notify", "status", "--json"))
    assert status["queued"] == 1 and status["sent"] == 0
    assert "--as: required" in cli.refused("notify", "send")
    assert "sent 1" in cli.ok("notify", "send", "--as", "system")
    assert "sent 0" in cli.ok("notify", "send", "--as", "ministry")
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "u1@example.com"
    assert "单位1" in str(msg["Subject"])
    assert json.loads(cli.ok("notify", "status", "--json"))["sent"] == 1
    cli.ok("contacts", "remove", added, "--as", "ministry")
    assert json.loads(cli.ok("contacts", "list", "--json")) == []
    from store.audit import operator_history
    from store.db import Database

    with Database(cli.url).sessions() as s:
        trail = [(r.act, r.actor_role, r.accepted) for r in operator_history(s)]
    assert trail == [
        ("campaign.open", "ministry", True),
        ("contacts.add", "ministry", True),
        ("contacts.add", "ministry", False),
        ("contacts.add", "ministry", False),
        ("contacts.add", "enterprise", False),
        ("notify.send", "system", True),
        ("notify.send", "ministry", True),
        ("contacts.remove", "ministry", True),
    ]
