"""One Prefect test harness for the whole session, and a fresh shenbao database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def shenbao_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SHENBAO_DATABASE_URL and SHENBAO_MAIL pointed at this test's folder."""
    url = f"sqlite:///{tmp_path / 'shenbao.db'}"
    monkeypatch.setenv("SHENBAO_DATABASE_URL", url)
    monkeypatch.setenv("SHENBAO_MAIL", f"file:{tmp_path / 'outbox'}")
    return tmp_path
