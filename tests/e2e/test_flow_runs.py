"""Flow runs as a coordinator reads them in the Prefect UI, read back from a real Prefect server:
names carrying the campaign and the simulated instant, a Markdown artifact per run."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner


async def _runs_and_artifacts() -> tuple[list[Any], list[Any]]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        runs = await client.read_flow_runs()
        artifacts = await client.read_artifacts()
    return runs, artifacts


@pytest.mark.usefixtures("prefect_harness")
def test_run_names_and_artifacts_read_back(shenbao_env: Path) -> None:
    from flows.campaign import campaign
    from flows.sweep import deadline_sweep

    campaign("szzx-2026-2", 2026, "2026-07-01T00:00:00+08:00")
    deadline_sweep(now="2026-06-21T00:05:00+08:00")
    runs, artifacts = asyncio.run(_runs_and_artifacts())
    names = {r.name for r in runs}
    assert "campaign · szzx-2026-2 · 2026 · screening-closed @ 2026-07-01 00:00" in names
    assert "deadline-sweep · 2026-06-21 00:05" in names
    by_key = {a.key: a for a in artifacts if a.key}
    page = by_key["campaign-szzx-2026-2-2026"].data
    assert "## Applications per state" in page and "## Refusals by rule" in page
    assert "## Mail" in page and "sent" in page
    run_ids = {r.id for r in runs if r.name.startswith("campaign · szzx-2026-2")}
    assert by_key["campaign-szzx-2026-2-2026"].flow_run_id in run_ids
    assert "deadline-sweep" in by_key


def test_deployments_carry_edition_and_year_tags() -> None:
    from flows.deployments import deployments

    tags = {d.name: set(d.tags or []) for d in deployments()}
    assert {"edition:liangrong-2026", "year:2026", "program:liangrong"} <= tags[
        "campaign-liangrong-2026"
    ]
    assert "edition:liangrong-2021" in tags["annual-reports-liangrong-2021"]


def test_campaign_list_and_show(shenbao_env: Path) -> None:
    from shenbao.cli import app

    runner = CliRunner()
    empty = runner.invoke(app, ["campaign", "show", "szzx-2026-2"])
    assert empty.exit_code == 2 and "no campaign of szzx-2026-2" in empty.output
    opened = runner.invoke(
        app, ["campaign", "open", "szzx-2026-2", "--now", "2026-05-01T09:00", "--as", "ministry"]
    )
    assert opened.exit_code == 0, opened.output
    listed = runner.invoke(app, ["campaign", "list"])
    assert listed.exit_code == 0 and "szzx-2026-2" in listed.output and "2026" in listed.output
    shown = runner.invoke(app, ["campaign", "show", "szzx-2026-2", "--now", "2026-06-18T10:00"])
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "2026-05-27 00:00:00 +08:00  申报开始" in out
    assert "→ 2026-06-19 09:00:00 +08:00" in out  # the 1-day reminder is next
    assert (
        "2026-06-21 00:00:00 +08:00  申报截止" in out
        and "2026-07-01 00:00:00 +08:00  推荐截止" in out
    )
    assert out.index("申报开始") < out.index("申报截止") < out.index("推荐截止")
