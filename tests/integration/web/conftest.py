"""Fixtures of the web tests: a fresh world per test (SQLite file, simulated clock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.web.helpers import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = make_world(tmp_path)
    yield w
    w.db.dispose()
