"""Every command that changes something, by every role: allowed where the table of acts says,
refused (exit 2, one line) everywhere else with nothing written but the audit record; a missing
`--as` is refused naming the roles that may act."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from states.actors import Role
from states.acts import ACTS, act
from tests.conftest import uscc, valid_form
from tests.fixtures.cli import Cli

E = "szzx-2026-2"
# one actor of each role; scoped ones name someone other than the applicant of application 1
ACTORS = {
    Role.ENTERPRISE: f"enterprise:{uscc(2)}",
    Role.PROVINCE: "province:江苏/industry",
    Role.GROUP: "group:中国电子",
    Role.MINISTRY: "ministry",
    Role.EXPERT: "expert:e7",
    Role.AUDITOR: "auditor",
    Role.SYSTEM: "system",
    Role.PUBLIC: "public",
}
# the audit trail is the one thing a refusal writes
# an application keeps the count and head of its chain (and its row version moves with them)
CHAIN_HEAD = {("application", "audit_count"), ("application", "audit_head"),
              ("application", "version")}  # fmt: skip
AUDIT_TABLES = {"audit_log", "operator_audit_log", "audit_chain", "audit_anchor", "alembic_version"}


def commands(tmp: Path) -> dict[str, list[str]]:
    """The CLI arguments (without --as) of every act that has a command."""
    return {
        "campaign.open": ["campaign", "open", "cciip-2023", "--now", "2023-09-01"],
        "application.create": [
            "apply", E, "--org", uscc(3), "--name", "x", "--province", "广东",
            "--now", "2026-05-28T10:00",
        ],
        "form.save": ["form", "save", "1", "--file", str(tmp / "form.json")],
        "submit": ["submit", "1", "--now", "2026-06-01T10:00"],
        "withdraw": ["withdraw", "1", "--now", "2026-06-01T10:00"],
        "return": ["review", "1", "return", "--reason", "r", "--now", "2026-06-01T10:00"],
        "reject": ["review", "1", "reject", "--reason", "r", "--now", "2026-06-22T10:00"],
        "recommend": ["review", "1", "recommend", "--now", "2026-06-22T10:00"],
        "scoring.sheet": ["scoring", "sheet", E, str(tmp / "missing-sheet.yaml")],
        "scoring.open": ["scoring", "open", E],
        "scoring.assign": ["scoring", "assign", "1", "e9"],
        "scoring.replace": ["scoring", "replace", "1", "e1", "e2", "--reason", "r"],
        "scoring.score": ["scoring", "score", "1", "--set", "capability=1", "--expert", "e7"],
        "scoring.shortlist": ["scoring", "shortlist", E, "--top-k", "1"],
        "scoring.resolve_tie": ["scoring", "resolve-tie", E, "center", "1"],
        "notice.publish": ["notice", "publish", E],
        "notice.object": ["notice", "object", "1", "--contact", "c@example.cn", "--reason", "r"],
        "notice.resolve": ["notice", "resolve", "1", "upheld", "--reason", "r"],
        "notice.close": ["notice", "close", E],
        "notice.results": ["notice", "results", E],
        "reports.open": ["reports", "open", E, "2026"],
        "reports.submit": ["reports", "submit", "1", "2026", "--file", str(tmp / "form.json")],
        "recert.open": ["recert", "open", "1"],
        "recert.renew": ["recert", "renew", "1"],
        "recert.revoke": ["recert", "revoke", "1", "--reason", "r"],
        "contacts.add": ["contacts", "add", "ministry", "-", "m@example.cn"],
        "contacts.remove": ["contacts", "remove", "999"],
        "calendar.import": ["calendar", "import", str(tmp / "missing-2099.toml")],
        "notify.send": ["notify", "send"],
        "accounts.invite": ["accounts", "invite", "auditor", "a@example.cn", "--now", "2026-06-01"],
        "accounts.disable": ["accounts", "disable", "nobody@example.cn", "--now", "2026-06-01"],
    }  # fmt: skip


WITH_COMMAND = [a.name for a in ACTS if a.name != "lapse"]  # lapse is the sweep's, no command


def test_every_act_with_a_command_is_in_the_matrix(tmp_path: Path) -> None:
    assert sorted(commands(tmp_path)) == sorted(WITH_COMMAND)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """A campaign with one submitted application (1) of 广东, built through the CLI."""
    tmp = tmp_path_factory.mktemp("matrix")
    c = Cli(tmp)
    c.ok("campaign", "open", E, "--now", "2026-05-01", "--as", "ministry")
    form = valid_form(E, "center", uscc(1), "单位1", consortium=False)
    (tmp / "form.json").write_text(json.dumps(form, ensure_ascii=False), "utf-8")
    c.ok(
        "apply", E, "--org", uscc(1), "--name", "单位1", "--province", "广东",
        "--file", str(tmp / "form.json"), "--as", f"enterprise:{uscc(1)}",
        "--now", "2026-05-28T10:00",
    )  # fmt: skip
    c.ok("submit", "1", "--as", f"enterprise:{uscc(1)}", "--now", "2026-05-29T10:00")
    yield c


def snapshot(path: Path) -> str:
    """A digest of every table but the audit trail's."""
    digest = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for name in sorted(set(names) - AUDIT_TABLES):
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            kept = ", ".join(f'"{c}"' for c in columns if (name, c) not in CHAIN_HEAD)
            rows = conn.execute(f'SELECT {kept} FROM "{name}" ORDER BY 1').fetchall()
            digest.update(f"{name}:{rows!r}".encode())
    return digest.hexdigest()


def audit_rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return sum(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("audit_log", "operator_audit_log")
        )


def role_refusal(stderr: str, command: str) -> bool:
    return f"may not {command};" in stderr or f"({command} refused for" in stderr


CASES = [(name, role) for name in WITH_COMMAND for role in Role]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r.value}" for n, r in CASES])
def test_role_matrix(cli: Cli, name: str, role: Role) -> None:
    spec = act(name)
    args = [*commands(cli.tmp)[name], "--as", ACTORS[role]]
    before, audited = snapshot(cli.db_path), audit_rows(cli.db_path)
    result = cli(*args)
    if role in spec.roles:
        assert not role_refusal(result.stderr, spec.command), result.stderr
        return
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and role_refusal(lines[0], spec.command), result.stderr
    assert spec.allowed() in lines[0]
    assert snapshot(cli.db_path) == before  # nothing written ...
    assert audit_rows(cli.db_path) == audited + 1  # ... but the audit record of the refusal


@pytest.mark.parametrize("name", WITH_COMMAND)
def test_no_default_actor(cli: Cli, name: str) -> None:
    before = snapshot(cli.db_path)
    line = cli.refused(*commands(cli.tmp)[name])
    assert line.startswith(f"--as: required; {act(name).command} is done by ")
    for role in act(name).roles:
        assert role.value in line
    assert snapshot(cli.db_path) == before
