"""The flows under a real Prefect engine: idempotent re-runs, crash recovery, schedules."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from states.actors import Actor
from store.models import Application, AuditRecord, OutboxMessage
from tests.fixtures.lifecycle import MINISTRY, OPEN, new_app, t

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "2026-06-21T00:00:00+08:00"


def lifecycle():  # type: ignore[no-untyped-def]
    from shenbao.wiring import lifecycle as wired

    return wired()


def counts() -> tuple[int, int, int]:
    with lifecycle().db.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(AuditRecord)) or 0,
            s.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
            s.scalar(select(func.count()).where(Application.status == "lapsed")) or 0,
        )


def eml(folder: Path) -> int:
    return len(list((folder / "outbox").glob("*.eml"))) if (folder / "outbox").exists() else 0


@pytest.mark.usefixtures("prefect_harness")
def test_deadline_sweep_twice_has_no_double_effect(shenbao_env: Path) -> None:
    from flows.sweep import deadline_sweep

    lc = lifecycle()
    lc.open_campaign("szzx-2026-2", now=t("2026-05-01T00:00:00"), actor=MINISTRY)
    for i in range(3):
        new_app(lc, 400 + i, "福建")
    first = deadline_sweep(now=CLOSED)
    assert first["applied"]["lapsed"] == 3 and first["mail"]["sent"] == 3
    after_first = counts()
    second = deadline_sweep(now=CLOSED)
    assert second["applied"]["lapsed"] == 0 and second["mail"]["sent"] == 0
    assert counts() == after_first
    assert eml(shenbao_env) == 3


@pytest.mark.usefixtures("prefect_harness")
def test_campaign_flow_opens_advances_and_is_rerunnable(shenbao_env: Path) -> None:
    from flows.campaign import campaign

    first = campaign("szzx-2026-2", 2026, "2026-05-01T00:00:00+08:00")
    assert first["next_run"] == "2026-05-27 00:00:00 +08:00"
    assert "2026-06-21 00:00:00 +08:00" in first["timetable"]
    lc = lifecycle()
    drafts = [new_app(lc, 410 + i, "江西")[0] for i in range(2)]
    done, me = new_app(lc, 420, "江西")
    lc.trigger(done, "submit", actor=me, now=OPEN)
    lc.trigger(done, "recommend", actor=Actor.parse("province:江西"), now=t("2026-06-22T10:00"))
    at_close = campaign("szzx-2026-2", 2026, CLOSED)
    assert at_close["done"]["lapsed"] == 2
    assert at_close["next_run"] == "2026-06-25 09:00:00 +08:00"  # 3 working days before 6/30
    assert {lc.get(a).status for a in drafts} == {"lapsed"}
    before = counts()
    again = campaign("szzx-2026-2", 2026, CLOSED)
    assert again["done"]["lapsed"] == 0 and counts() == before
    after_screening = campaign("szzx-2026-2", 2026, "2026-07-01T00:00:00+08:00")
    assert after_screening["done"]["scoring_opened"] == 1
    assert lc.get(done).status == "expert_scoring"


@pytest.mark.usefixtures("prefect_harness")
def test_sweep_killed_midway_then_rerun_finishes(shenbao_env: Path) -> None:
    """A sweep process is SIGKILLed after its first batch committed; the flow then finishes."""
    from flows.sweep import deadline_sweep
    from store.transitions import Request

    lc = lifecycle()
    lc.open_campaign("szzx-2026-2", now=t("2026-05-01T00:00:00"), actor=MINISTRY)
    n = 3000
    ids = [new_app(lc, 1000 + i, "山西")[0] for i in range(n)]
    assert len(ids) == n
    env = {**os.environ, "SHENBAO_SWEEP_BATCH": "50"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from flows.sweep import apply_due; apply_due.fn('" + CLOSED + "')"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while counts()[2] == 0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = counts()[2]
    assert 0 < partial < n, f"the kill came too late or too early: {partial} of {n} lapsed"
    result = deadline_sweep(now=CLOSED)
    assert result["applied"]["lapsed"] == n - partial
    with lc.db.sessions() as s:
        per_app = s.execute(
            select(AuditRecord.application_id, func.count())
            .where(AuditRecord.trigger == "lapse", AuditRecord.accepted.is_(True))
            .group_by(AuditRecord.application_id)
        ).all()
        lapsed_mail = s.scalar(select(func.count()).where(OutboxMessage.message_type == "lapsed"))
    assert len(per_app) == n and {c for _, c in per_app} == {1}
    assert lapsed_mail == n
    assert eml(shenbao_env) == n
    _ = Request


def test_deployments_carry_schedules_in_shanghai() -> None:
    from prefect.client.schemas.schedules import CronSchedule, RRuleSchedule

    from flows.deployments import deployments

    by_name = {d.name: d for d in deployments()}
    sweep = by_name["deadline-sweep"].schedules[0].schedule
    assert isinstance(sweep, CronSchedule)
    assert (sweep.cron, sweep.timezone) == ("*/5 * * * *", "Asia/Shanghai")
    a = by_name["annual-reports-liangrong-2026"].schedules[0].schedule
    assert (a.cron, a.timezone) == ("0 9 2 1 *", "Asia/Shanghai")  # early January for 1 Feb
    b = by_name["annual-reports-liangrong-2021"].schedules[0].schedule
    assert b.cron == "0 9 31 10 *"  # 30 days before 30 November
    r = by_name["recertification-liangrong-2026"].schedules[0].schedule
    assert isinstance(r, RRuleSchedule) and r.timezone == "Asia/Shanghai"
    assert "INTERVAL=3" in r.rrule and "DTSTART:20290102" in r.rrule
    assert "campaign-szzx-2026-2" in by_name and not by_name["campaign-szzx-2026-2"].schedules
    assert "annual-reports-szzx-2026-2" not in by_name  # edition E states no annual report


@pytest.mark.usefixtures("prefect_harness")
def test_campaign_launch_creates_the_deployment_and_a_run(shenbao_env: Path) -> None:
    import asyncio

    from prefect.client.orchestration import get_client
    from typer.testing import CliRunner

    from shenbao.cli import app

    result = CliRunner().invoke(app, ["campaign", "launch", "szzx-2026-2", "--year", "2026"])
    assert result.exit_code == 0, result.output
    run_id = result.output.split("flow run ")[1].split()[0]

    async def read() -> tuple[str, dict, str]:
        async with get_client() as client:
            run = await client.read_flow_run(run_id)
            deployment = await client.read_deployment(run.deployment_id)
            return deployment.name, run.parameters, run.state_type.value

    name, parameters, state = asyncio.run(read())
    assert name == "campaign-szzx-2026-2"
    assert parameters == {"edition": "szzx-2026-2", "year": 2026}
    assert state == "SCHEDULED"
