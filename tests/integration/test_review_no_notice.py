"""The 推介 editions hold no 公示: the shortlist is confirmed as the announced result."""

from __future__ import annotations

import pytest

from states.actors import Actor
from states.rules import Refusal
from store.db import Database
from store.review import Review
from store.review_models import Title
from store.service import Lifecycle
from tests.fixtures.lifecycle import MINISTRY, new_app, t
from tests.fixtures.review import SHEET, Campaign, check_audit, score_all, status


def campaign_c(db_url: str) -> Campaign:
    lc = Lifecycle(Database(db_url))
    c = lc.open_campaign("cciip-2023", now=t("2023-06-01T09:00:00"), actor=MINISTRY)
    return Campaign(
        lc, Review(lc), c.id, "cciip-2023", t("2023-09-01T09:00:00"), t("2023-09-20T09:00:00")
    )


def test_cciip_shortlist_confirmed_without_notice(db_url: str) -> None:
    c = campaign_c(db_url)
    apps = []
    for n, province in ((501, "辽宁"), (502, "江苏")):
        app_id, me = new_app(c.lc, n, province, edition=c.edition, category="supplier")
        c.lc.trigger(app_id, "submit", actor=me, now=c.submit_at)
        c.lc.trigger(app_id, "recommend", actor=Actor.parse(f"province:{province}"),
                     now=c.recommend_at)  # fmt: skip
        apps.append(app_id)
    c.review.define_sheet(c.id, SHEET, actor=MINISTRY, now=t("2023-10-09T09:00:00"))
    c.review.open_scoring(c.id, now=t("2023-10-10T09:00:00"), actor=MINISTRY)
    score_all(c, apps[0], 38, 57, t("2023-11-01T09:00:00"))
    score_all(c, apps[1], 20, 30, t("2023-11-01T09:00:00"))
    c.review.shortlist(c.id, min_score="60", actor=MINISTRY, now=t("2023-12-01T09:00:00"))
    assert [status(c, a) for a in apps] == ["shortlisted", "not_shortlisted"]
    with pytest.raises(Refusal, match="公示|notice"):  # no 公示 in this edition
        c.review.publish_notice(c.id, at=t("2024-03-01T09:00:00"), actor=MINISTRY)
    results = c.review.confirm_results(c.id, actor=MINISTRY, now=t("2024-03-20T10:00:00"))
    assert [r.to_state for r in results] == ["confirmed"]
    with c.lc.db.sessions() as s:
        title = s.query(Title).filter_by(application_id=apps[0]).one()
    assert title.confirmed_on.isoformat() == "2024-03-20" and title.next_recert_due is None
    check_audit(c, apps)


def test_an_edition_with_notice_cannot_skip_it(db_url: str) -> None:
    from tests.fixtures.review import campaign_e, recommended

    c = campaign_e(db_url)
    app_id, _ = recommended(c, 510, "湖北")
    c.review.define_sheet(c.id, SHEET, actor=MINISTRY, now=t("2026-07-20T09:00:00"))
    c.review.open_scoring(c.id, now=t("2026-07-21T09:00:00"), actor=MINISTRY)
    score_all(c, app_id, 40, 60, t("2026-08-03T09:00:00"))
    c.review.shortlist(c.id, top_k=5, actor=MINISTRY, now=t("2026-09-01T09:00:00"))
    with pytest.raises(Refusal, match="须经公示"):
        c.review.confirm_results(c.id, actor=MINISTRY, now=t("2026-09-02T09:00:00"))
    assert status(c, app_id) == "shortlisted"


def test_notice_results_command_exits_2_without_a_shortlist(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from shenbao import wiring
    from shenbao.cli import app

    monkeypatch.setenv("SHENBAO_DATABASE_URL", sqlite_url)
    wiring._database.cache_clear()
    runner = CliRunner()
    assert (
        runner.invoke(
            app, ["campaign", "open", "szzx-2026-2", "--now", "2026-05-01", "--as", "ministry"]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        app, ["notice", "results", "szzx-2026-2", "--now", "2026-09-02", "--as", "ministry"]
    )
    assert result.exit_code == 2
    assert "no shortlisted application" in result.output
