"""The demo's words for a coordinator, its own Prefect settings and its one-line failures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner


def test_events_read_as_a_coordinator_would_say_them() -> None:
    from shenbao.demo import event_label

    assert event_label("recommend:refused:EnforceProvincialQuota") == "省级推荐 · 超出名额被拒"
    assert event_label("late_submit:refused:RefuseLateSubmission") == "截止后提交 · 逾期不予受理"
    assert "Enforce" not in event_label("recommend:refused:SomethingNew")


def test_demo_sets_its_own_prefect_home_and_a_generous_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shenbao.demo import STARTUP_TIMEOUT, prepare_environment

    monkeypatch.delenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", raising=False)
    monkeypatch.setenv("PREFECT_HOME", "/elsewhere")
    prepare_environment(tmp_path)
    assert os.environ["PREFECT_HOME"] == str(tmp_path / "prefect")
    assert int(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]) == STARTUP_TIMEOUT
    assert STARTUP_TIMEOUT >= 300


def test_a_prefect_timeout_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    from shenbao.demo import what_to_do

    exc = RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.")
    line = what_to_do(exc, tmp_path)
    assert "\n" not in line
    assert "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in line
    assert "prefect server start" in line
    other = what_to_do(ZeroDivisionError("division by zero"), tmp_path)
    assert "\n" not in other and str(tmp_path / "demo-error.log") in other


def test_demo_failure_exits_1_with_one_line_and_a_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shenbao.demo as demo

    def broken(self: demo.Demo, n: int = 200) -> demo.DemoResult:
        raise RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.")

    monkeypatch.setattr(demo.Demo, "run", broken)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "keep"))
    from shenbao.cli import app

    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "d")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in lines[0]
    assert "RuntimeError" in (tmp_path / "d" / "demo-error.log").read_text(encoding="utf-8")
    unknown = CliRunner().invoke(app, ["demo", "cciip-2023", "--dir", str(tmp_path / "e")])
    assert unknown.exit_code == 2 and "EDITION" in unknown.output
