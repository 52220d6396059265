"""Values typed into the web's own forms are held to the same rules as the CLI's: ids in ASCII
digits within the column, bounded counts, names and notes through the one normaliser."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.accounts import AccountError
from tests.integration.web.helpers import csrf_of, make_world


def test_search_by_foreign_digits_or_a_huge_id_is_a_text_search(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.open_campaign()
    world.application(1, "甲企业")
    world.account("auditor", None, "a@example.cn")
    c = world.login("a@example.cn")
    assert "甲企业" in c.get("/auditor", params={"q": "1"}).text  # an id finds its application
    for q in ("١", "99999999999999999999999", "1_0"):
        r = c.get("/auditor", params={"q": q})
        assert r.status_code == 200, (q, r.text[-300:])
        assert "甲企业" not in r.text, q  # not read as application 1
    world.db.dispose()


@pytest.mark.parametrize("days", ["99999999999", "٣", "0", "-5"])
def test_token_lifetime_out_of_range_is_one_line_not_a_crash(tmp_path: Path, days: str) -> None:
    world = make_world(tmp_path)
    world.account("auditor", None, "a@example.cn")
    c = world.login("a@example.cn")
    csrf = csrf_of(c.get("/account/tokens").text)
    r = c.post("/account/tokens", data={"csrf_token": csrf, "name": "t", "scopes": ["read"],
                                        "days": days})  # fmt: skip
    assert r.status_code == 422, r.text[-300:]  # the web's answer to bad input
    assert "days" in r.text and "count" in r.text
    world.db.dispose()


def test_a_display_name_with_bidi_override_is_refused(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    with pytest.raises(AccountError) as refused:
        world.account("auditor", None, "a@example.cn", name="\u202e司公限有技科")
    assert "name" in str(refused.value) and "bidi_control" in str(refused.value)
    world.db.dispose()
