"""The lifecycle CLI end to end on a file SQLite: outputs and the exit-2 error contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import uscc
from tests.fixtures.cli import Cli, apply


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    c = Cli(tmp_path)
    c.ok("db", "upgrade")
    c.ok("campaign", "open", "szzx-2026-2", "--now", "2026-05-01", "--as", "ministry")
    return c


def test_lifecycle_commands(cli: Cli) -> None:
    app = apply(cli, 1)
    assert app.isdigit()
    me = f"enterprise:{uscc(1)}"
    line = cli.refused("submit", app, "--as", me, "--now", "2026-06-21T00:00:00+08:00")
    assert line == (
        "逾期不予受理: the application window of szzx-2026-2 closed at 2026-06-20 23:59:59 +08:00 "
        "(工信厅规函〔2026〕238号 三（一）)"
    )
    cli.ok("submit", app, "--as", me, "--now", "2026-06-20T23:59:59+08:00")
    line = cli.refused(
        "review", app, "reject", "--as", "province:广东", "--now", "2026-06-22T10:00"
    )
    assert line.startswith("须填写理由")
    assert "[RequireReason]" in cli.ok("audit", "history", app)
    cli.ok("review", app, "recommend", "--as", "province:440000", "--now", "2026-06-22T10:00")
    listed = json.loads(cli.ok("list", "--edition", "szzx-2026-2", "--json"))
    assert [(i["id"], i["state"], i["province"]) for i in listed] == [
        (int(app), "recommended", "广东")
    ]
    history = json.loads(cli.ok("audit", "history", app, "--json"))
    assert [(h["trigger"], h["accepted"]) for h in history] == [
        ("create", True),
        ("submit", False),
        ("submit", True),
        ("reject", False),
        ("recommend", True),
    ]
    assert cli.ok("audit", "verify").startswith("audit trail intact: 5 records")
    assert "stateDiagram-v2" in cli.ok("states", "diagram")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("submit", "999", "--as", "enterprise:X"), "--as"),
        (("submit", "999", "--as", f"enterprise:{uscc(1)}"), "APP: no application with id 999"),
        (("submit", "999", "--as", "ministry"), "无权操作: role ministry"),
        (("submit", "999"), "--as: required; submit is done by enterprise:"),
        (("submit", "abc", "--as", "ministry"), "APP: 'abc' is not an application id"),
        (("campaign", "open", "nope-2026", "--as", "ministry"), "nope-2026"),
        (("campaign", "open", "szzx-2026-2"), "--as: required; campaign open is done by"),
        (("list", "--state", "flying"), "--state: 'flying' is not a state"),
        (("review", "1", "approve", "--as", "province:广东"), "DECISION"),
        (("review", "1", "recommend", "--as", "province:深圳"), "计划单列市"),
        (("submit", "1", "--as", f"enterprise:{uscc(1)}", "--now", "yesterday"), "--now"),
    ],
)
def test_bad_input_exits_2(cli: Cli, args: tuple[str, ...], needle: str) -> None:
    assert needle in cli.refused(*args)


def test_bad_apply_changes_nothing(cli: Cli) -> None:
    bad = cli.tmp / "bad.json"
    bad.write_bytes('{"名称": "测试"}'.encode("gb18030"))
    me = ("--as", f"enterprise:{uscc(5)}")
    base = ("apply", "szzx-2026-2", "--name", "x", "--province", "广东", *me)
    assert "UTF-8" in cli.refused(*base, "--org", uscc(5), "--file", str(bad))
    assert "--org" in cli.refused(*base, "--org", "91440300MA5XXXXX")
    assert "unknown" in cli.refused("apply", "nope-1", "--org", uscc(5), "--name", "x", *me).lower()
    assert "province" in cli.refused(*base[:5], "火星", *me, "--org", uscc(5))
    assert json.loads(cli.ok("list", "--json")) == []
