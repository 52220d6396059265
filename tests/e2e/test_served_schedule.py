"""A served deployment's schedule really produces runs against a running Prefect server.

(With Prefect 3.8.8 and SQLAlchemy 2.1 the scheduler created no runs at all while harness tests
still passed; only this kind of test shows it.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.notifications.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_cron_schedule_creates_and_completes_runs(tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "SHENBAO_DATABASE_URL": f"sqlite:///{tmp_path / 'shenbao.db'}",
        "SHENBAO_MAIL": f"file:{tmp_path / 'outbox'}",
    }
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            pytest.fail("the Prefect server did not start within 120 s")
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.serve_every_minute"],
            env={**env, "PREFECT_API_URL": api},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        completed: list[dict[str, object]] = []
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline and not completed:
            time.sleep(5)
            response = httpx.post(
                f"{api}/flow_runs/filter",
                json={"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}},
                timeout=10,
            )
            completed = [r for r in response.json() if r.get("deployment_id")]
        assert completed, "no scheduled run of the served deployment completed in 200 s"
        expected = completed[0]["expected_start_time"]
        assert isinstance(expected, str) and expected.endswith(("+00:00", "Z"))
        assert ":00" in expected[14:19]  # on the minute, as the cron says
    finally:
        if worker is not None:
            _stop(worker)  # the serve process first, then the server (the other way hangs)
        _stop(server)
