"""`shenbao accounts invite|list|disable` and `shenbao web`'s refusals, in-process (CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shenbao.cli import app
from tests.integration.web.helpers import PASSWORD, csrf_of, make_world
from web.settings import WebSettings

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'shenbao.db'}"
    monkeypatch.setenv("SHENBAO_DATABASE_URL", url)
    from services import wiring

    wiring.reset()
    return url


def test_invite_list_and_disable(env: str, tmp_path: Path) -> None:
    r = runner.invoke(app, ["accounts", "invite", "province", "gd@commerce.example.cn",
                            "--scope", "广东省/commerce", "--name", "广东省商务厅", "--as", "ministry",
                            "--now", "2026-06-01T10:00:00"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "/account/activate?token=" in r.stdout
    r = runner.invoke(app, ["accounts", "list", "--json"])
    rows = json.loads(r.stdout)
    assert rows == [{"id": 1, "email": "gd@commerce.example.cn", "actor": "province:广东/commerce",
                     "status": "pending", "name": "广东省商务厅"}]  # fmt: skip
    r = runner.invoke(app, ["accounts", "invite", "province", "x@example.cn", "--scope", "火星",
                            "--as", "ministry"])  # fmt: skip
    assert r.exit_code == 2 and "scope" in r.output
    r = runner.invoke(app, ["accounts", "invite", "overlord", "y@example.cn", "--as", "ministry"])
    assert r.exit_code == 2 and "role" in r.output
    r = runner.invoke(app, ["accounts", "invite", "province", "gd@commerce.example.cn",
                            "--scope", "广东/commerce", "--as", "system"])  # fmt: skip
    assert r.exit_code == 2 and "EmailTaken" not in r.output and "已注册" in r.output
    r = runner.invoke(app, ["accounts", "disable", "GD@commerce.example.cn", "--as", "ministry"])
    assert r.exit_code == 0, r.output
    assert json.loads(runner.invoke(app, ["accounts", "list", "--json"]).stdout)[0]["status"] == (
        "disabled"
    )
    # every attempt, accepted or refused, is in the operators' trail with its actor
    trail = json.loads(runner.invoke(app, ["audit", "operators", "--json"]).stdout)
    acts = [(r["act"], r["accepted"], r["actor"]) for r in trail]
    assert acts == [
        ("accounts.invite", True, "ministry"),
        ("accounts.invite", False, "ministry"),
        ("accounts.invite", False, "ministry"),
        ("accounts.invite", False, "system"),
        ("accounts.disable", True, "ministry"),
    ]


def test_account_acts_have_no_default_actor(env: str) -> None:
    for args in (["accounts", "invite", "auditor", "z@example.cn"],
                 ["accounts", "disable", "z@example.cn"]):  # fmt: skip
        r = runner.invoke(app, args)
        assert r.exit_code == 2
        assert r.stderr.strip().startswith("--as: required;") and "ministry" in r.stderr
    r = runner.invoke(app, ["accounts", "invite", "auditor", "z@example.cn", "--as", "auditor"])
    assert r.exit_code == 2 and "accounts invite" in r.stderr
    assert json.loads(runner.invoke(app, ["accounts", "list", "--json"]).stdout) == []


def test_a_disabled_account_loses_its_sessions(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.account("auditor", None, "a@example.cn")
    c = world.login("a@example.cn")
    assert c.get("/auditor").status_code == 200
    from web import acts

    acts.disable_as_operator(world.svc, email="a@example.cn", now=world.now(), operator="ministry")
    assert c.get("/auditor").status_code == 401
    fresh = world.client()
    page = fresh.get("/login")
    r = fresh.post("/login", data={"csrf_token": csrf_of(page.text), "email": "a@example.cn",
                                   "password": PASSWORD})  # fmt: skip
    assert r.status_code == 403 and "AccountNotActive" in r.text
    world.db.dispose()


def test_web_refuses_a_simulated_clock_unless_allowed(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = tmp_path / "clock"
    clock.write_text("2026-06-20T23:59:59+08:00")
    monkeypatch.setenv("SHENBAO_WEB_CLOCK_FILE", str(clock))
    monkeypatch.delenv("SHENBAO_WEB_ALLOW_SIMULATED_CLOCK", raising=False)
    r = runner.invoke(app, ["web"])
    assert r.exit_code == 2 and "SHENBAO_WEB_ALLOW_SIMULATED_CLOCK" in r.output
    monkeypatch.setenv("SHENBAO_WEB_ALLOW_SIMULATED_CLOCK", "1")
    settings = WebSettings.from_env()
    assert settings.simulated and settings.now().isoformat() == "2026-06-20T23:59:59+08:00"


def test_web_refuses_several_workers_on_sqlite(env: str) -> None:
    r = runner.invoke(app, ["web", "--workers", "4"])
    assert r.exit_code == 2 and "PostgreSQL" in r.output


def test_oidc_is_off_unless_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(tmp_path)
    c = world.client()
    assert c.get("/oidc/login").status_code == 404
    assert "/oidc/login" not in c.get("/login").text
    monkeypatch.setenv(
        "SHENBAO_WEB_OIDC_METADATA_URL", "https://id.example.cn/.well-known/openid-configuration"
    )
    monkeypatch.setenv("SHENBAO_WEB_OIDC_CLIENT_ID", "shenbao")
    monkeypatch.delenv("SHENBAO_WEB_OIDC_CLIENT_SECRET", raising=False)
    assert WebSettings.from_env().oidc is None  # all three settings, or none
    monkeypatch.setenv("SHENBAO_WEB_OIDC_CLIENT_SECRET", "s3cret")
    oidc = WebSettings.from_env().oidc
    assert oidc is not None and oidc.client_id == "shenbao"
    world.db.dispose()


def test_web_serves_with_httptools_on_asyncio_when_installed() -> None:
    import importlib.util

    from shenbao.commands.web import fast_server

    chosen = fast_server()
    assert chosen["loop"] == "asyncio"  # uvloop let one worker take a burst's connections
    if importlib.util.find_spec("httptools") is not None:
        assert chosen["http"] == "httptools"
    else:
        assert "http" not in chosen  # uvicorn's own default (h11)
