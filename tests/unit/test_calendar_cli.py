"""`shenbao calendar ...` prints exactly what scripts rely on and exits 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.calendar import GOOD


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "shenbao.cli", "calendar", *args],
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("is-working-day", "2026-10-10"), "true"),
        (("is-working-day", "2026-10-01"), "false"),
        (("add-working-days", "2026-09-28", "5"), "2026-10-10"),
        (("add-working-days", "2026-10-10", "-5"), "2026-09-28"),
        (("notice-period", "2026-09-28", "5"), "2026-09-28 2026-10-09"),
    ],
)
def test_outputs(args: tuple[str, ...], expected: str) -> None:
    r = run(*args)
    assert r.returncode == 0, r.stderr
    assert r.stdout == expected + "\n"


def test_working_days_json() -> None:
    r = run("working-days", "2026-01-01", "2026-12-31", "--json")
    days = json.loads(r.stdout)
    assert len(days) == 248 and days[0] == "2026-01-04" and "2026-10-10" in days


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("is-working-day", "2026-13-01"), "date: '2026-13-01' is not a date"),
        (("add-working-days", "2026-09-28", "five"), "n: 'five' is not an integer"),
        (("add-working-days", "2099-09-28", "5"), "no working-day schedule for 2099"),
        (("show", "2099"), "no working-day schedule for 2099"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: tuple[str, ...], needle: str) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert needle in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert r.stdout == ""


def test_show_lists_days_off_and_working_weekends() -> None:
    r = run("show", "2026")
    assert r.returncode == 0
    assert "国庆节\t2026-10-01..2026-10-07\t7天" in r.stdout
    assert "2026-10-10 星期六\t国庆节" in r.stdout
    assert "working days in 2026: 248" in r.stdout


def test_import_installs_next_year(tmp_path: Path) -> None:
    src = tmp_path / "src" / "2027.toml"
    src.parent.mkdir()
    src.write_text(GOOD, encoding="utf-8")
    target = tmp_path / "cal"
    db_url = f"sqlite:///{tmp_path / 'trail.db'}"
    env = {"SHENBAO_CALENDAR_DIR": str(target), "SHENBAO_DATABASE_URL": db_url}
    missing = run("import", str(src), env=env)
    assert missing.returncode == 2
    assert "--as: required; calendar import is done by ministry | system" in missing.stderr
    assert not (target / "2027.toml").exists()
    refused = run("import", str(src), "--as", "province:广东", env=env)
    assert refused.returncode == 2 and "无权操作" in refused.stderr
    assert not (target / "2027.toml").exists()
    r = run("import", str(src), "--as", "ministry", env=env)
    assert r.returncode == 0, r.stderr
    assert (target / "2027.toml").is_file()
    assert run("is-working-day", "2027-01-09", env=env).stdout == "true\n"
    again = run("import", str(src), "--as", "ministry", env=env)
    assert again.returncode == 2 and "already installed" in again.stderr
    bad = tmp_path / "bad" / "2027.toml"
    bad.parent.mkdir()
    bad.write_text(GOOD.replace("2027-01-09", "2027-01-08"), encoding="utf-8")
    r = run("import", str(bad), "--replace", "--as", "system", env=env)
    assert r.returncode == 2 and "Saturday or Sunday" in r.stderr
    assert run("is-working-day", "2027-01-09", env=env).stdout == "true\n"  # unchanged

    from store.audit import operator_history
    from store.db import Database

    with Database(db_url).sessions() as s:
        trail = [(r.act, r.actor_role, r.accepted) for r in operator_history(s)]
    assert trail == [
        ("calendar.import", "province", False),
        ("calendar.import", "ministry", True),
        ("calendar.import", "ministry", False),
        ("calendar.import", "system", False),
    ]
