"""An edition added as a file only runs a campaign: windows, quotas and forms come with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from states.actors import Actor
from states.rules import Refusal
from store.db import Database
from store.service import Lifecycle
from tests.conftest import uscc, valid_form
from tests.fixtures.editions import GOOD_2029
from tests.fixtures.lifecycle import t


def test_liangrong_2029_from_a_file(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "editions"
    folder.mkdir()
    (folder / "liangrong-2029.toml").write_text(GOOD_2029, encoding="utf-8")
    monkeypatch.setenv("SHENBAO_EDITIONS_DIR", str(folder))
    lc = Lifecycle(Database(sqlite_url))
    lc.open_campaign("liangrong-2029", now=t("2029-04-01T09:00:00"), actor=Actor.parse("ministry"))
    ids = []
    for n in range(3):
        app_id = lc.create_application(
            "liangrong-2029", uscc=uscc(900 + n), name=f"单位{n}", province="安徽",
            category="ito", form=valid_form("liangrong-2026", "ito", uscc(900 + n)),
            now=t("2029-05-02T09:00:00"),
        )  # fmt: skip
        lc.trigger(app_id, "submit", actor=Actor.parse(f"enterprise:{uscc(900 + n)}"),
                   now=t("2029-06-30T23:59:59"))  # fmt: skip
        ids.append(app_id)
    ah = Actor.parse("province:安徽")
    lc.trigger(ids[0], "recommend", actor=ah, now=t("2029-07-02T10:00:00"))
    lc.trigger(ids[1], "recommend", actor=ah, now=t("2029-07-02T10:00:00"))
    with pytest.raises(Refusal):  # province_default = 2 per category in this file
        lc.trigger(ids[2], "recommend", actor=ah, now=t("2029-07-02T10:00:00"))
