"""Expert scoring on a real database: conflicts of interest, score validation, completeness,
replacement with a reason, aggregation, and ties at the shortlist cut reported, never broken."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from deadlines import Window
from states.actors import Actor
from states.rules import Refusal
from states.scoring import ScoringError
from store import audit
from store.db import Database
from store.review import Review
from store.review_models import ExpertAssignment, ExpertScore
from store.service import Lifecycle
from tests.conftest import uscc
from tests.fixtures.lifecycle import MINISTRY, t
from tests.fixtures.review import (
    SHEET,
    Campaign,
    campaign_a,
    check_audit,
    recommended,
    score_all,
    status,
)

AT = t("2026-08-03T09:00:00")
E1 = Actor.parse("expert:e1")


def last_record(c: Campaign, app_id: int) -> tuple[str, bool, str, str]:
    with c.lc.db.sessions() as s:
        r = audit.history(s, app_id)[-1]
        return r.trigger, r.accepted, r.rule, r.message


def count(c: Campaign, model: type) -> int:
    with c.lc.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def c(db_url: str) -> Campaign:
    return campaign_a(db_url)


def scoring_opened(
    c: Campaign, *specs: tuple[int, str, str], sheet: dict | None = None
) -> list[int]:
    """Recommended applications (n, province, category), the sheet defined, scoring opened."""
    ids = [recommended(c, n, province, category)[0] for n, province, category in specs]
    c.review.define_sheet(c.id, sheet or SHEET, actor=MINISTRY, now=t("2026-07-20T09:00:00"))
    c.review.open_scoring(c.id, now=t("2026-07-21T09:00:00"), actor=MINISTRY)
    return ids


class TestConflictOfInterest:
    def test_expert_of_the_applicants_own_organisation_is_refused(self, c: Campaign) -> None:
        (app_id,) = scoring_opened(c, (1, "广东", "ito"))
        with pytest.raises(Refusal, match="利益冲突回避") as info:
            c.review.assign_expert(
                app_id, expert_id="e9", org_uscc=uscc(1), province="北京", actor=MINISTRY, now=AT
            )
        assert info.value.rule == "AvoidConflictOfInterest"
        assert last_record(c, app_id)[:3] == ("expert:assign", False, "AvoidConflictOfInterest")
        assert count(c, ExpertAssignment) == 0
        # same province is allowed unless the campaign asks for it
        c.review.assign_expert(
            app_id, expert_id="e8", org_uscc=uscc(50), province="广东省", actor=MINISTRY, now=AT
        )
        assert count(c, ExpertAssignment) == 1
        check_audit(c, [app_id])

    def test_same_province_refused_when_the_sheet_says_so(self, c: Campaign) -> None:
        sheet = {**SHEET, "conflict_same_province": True}
        (app_id,) = scoring_opened(c, (2, "广东", "ito"), sheet=sheet)
        with pytest.raises(Refusal, match="同省（广东）"):
            c.review.assign_expert(
                app_id, expert_id="e7", org_uscc=None, province="440000", actor=MINISTRY, now=AT
            )
        c.review.assign_expert(
            app_id, expert_id="e7", org_uscc=None, province="北京", actor=MINISTRY, now=AT
        )

    def test_same_province_refused_when_the_campaign_says_so(self, db_url: str) -> None:
        lc = Lifecycle(Database(db_url))
        opened = lc.open_campaign(
            "liangrong-2026",
            now=t("2026-04-01T09:00:00"),
            actor=MINISTRY,
            application_window=Window(date(2026, 5, 6), date(2026, 6, 30)),
            screening_window=Window(date(2026, 5, 6), date(2026, 7, 15)),
            settings={"conflict_same_province": True},
        )
        c = Campaign(lc, Review(lc), opened.id, "liangrong-2026", t("2026-06-01"), t("2026-07-01"))
        (app_id,) = scoring_opened(c, (3, "江苏", "manufacturing"))
        with pytest.raises(Refusal, match="同省"):
            c.review.assign_expert(
                app_id, expert_id="e1", org_uscc=None, province="江苏", actor=MINISTRY, now=AT
            )

    def test_only_the_ministry_assigns_and_only_during_scoring(self, c: Campaign) -> None:
        app_id, _ = recommended(c, 4, "广东", "ito")
        c.review.define_sheet(c.id, SHEET, actor=MINISTRY, now=t("2026-07-20T09:00:00"))
        with pytest.raises(Refusal, match="不在专家评审阶段"):
            c.review.assign_expert(
                app_id, expert_id="e1", org_uscc=None, province=None, actor=MINISTRY, now=AT
            )
        c.review.open_scoring(c.id, now=t("2026-07-21T09:00:00"), actor=MINISTRY)
        with pytest.raises(Refusal) as info:
            c.review.assign_expert(
                app_id, expert_id="e1", org_uscc=None, province=None, actor=E1, now=AT
            )
        assert info.value.rule == "EnforceEventRole"
        c.review.assign_expert(
            app_id, expert_id="e1", org_uscc=None, province=None, actor=MINISTRY, now=AT
        )
        with pytest.raises(Refusal, match="专家已分配"):
            c.review.assign_expert(
                app_id, expert_id="e1", org_uscc=None, province=None, actor=MINISTRY, now=AT
            )
        check_audit(c, [app_id])


class TestScores:
    def test_every_problem_is_reported_at_once_and_nothing_stored(self, c: Campaign) -> None:
        (app_id,) = scoring_opened(c, (5, "广东", "ito"))
        c.review.assign_expert(
            app_id, expert_id="e1", org_uscc=None, province="北京", actor=MINISTRY, now=AT
        )
        with pytest.raises(Refusal) as info:
            c.review.submit_score(
                app_id,
                expert_id="e1",
                scores={"capability": "41", "novelty": 3},
                actor=E1,
                now=AT,
            )
        message = str(info.value)
        assert info.value.rule == "ScoreWithinSheet"
        assert "3 problem(s)" in message
        assert "scores.capability: 必须在0到40之间" in message
        assert "scores.results: 缺少评分" in message
        assert "scores.novelty: 评分表中没有该评分项" in message
        assert count(c, ExpertScore) == 0
        assert last_record(c, app_id)[:3] == ("score:submit", False, "ScoreWithinSheet")

        total = c.review.submit_score(
            app_id, expert_id="e1", scores={"capability": "30.5", "results": 45}, actor=E1, now=AT
        )
        assert total == Decimal("75.63")  # (30.5/40 + 45/60) / 2 * 100, half-up
        with c.lc.db.sessions() as s:
            stored = s.scalars(select(ExpertScore)).one()
            assert stored.total == Decimal("75.63") and isinstance(stored.total, Decimal)
            assert stored.scores == {"capability": "30.5", "results": "45"}
        with pytest.raises(Refusal, match="已评分"):
            c.review.submit_score(
                app_id, expert_id="e1", scores={"capability": 1, "results": 1}, actor=E1, now=AT
            )

    def test_only_the_assigned_expert_scores(self, c: Campaign) -> None:
        (app_id,) = scoring_opened(c, (6, "广东", "ito"))
        c.review.assign_expert(
            app_id, expert_id="e1", org_uscc=None, province="北京", actor=MINISTRY, now=AT
        )
        good = {"capability": 20, "results": 30}
        with pytest.raises(Refusal) as info:
            c.review.submit_score(
                app_id, expert_id="e1", scores=good, actor=Actor.parse("expert:e2"), now=AT
            )
        assert info.value.rule == "ScoreOnlyAsOwnExpert"
        with pytest.raises(Refusal, match="专家未分配: expert e2"):
            c.review.submit_score(
                app_id, expert_id="e2", scores=good, actor=Actor.parse("expert:e2"), now=AT
            )
        # the ministry may record a paper sheet on the expert's behalf
        c.review.submit_score(app_id, expert_id="e1", scores=good, actor=MINISTRY, now=AT)

    def test_sheet_is_fixed_once_an_expert_has_scored(self, c: Campaign) -> None:
        (app_id,) = scoring_opened(c, (7, "广东", "ito"))
        c.review.define_sheet(
            c.id, {**SHEET, "aggregation": "trimmed_mean"}, actor=MINISTRY, now=AT
        )
        score_all(c, app_id, 20, 30, AT)
        with pytest.raises(Refusal) as info:
            c.review.define_sheet(c.id, SHEET, actor=MINISTRY, now=AT)
        assert info.value.rule == "FreezeSheetOnceScored"
        with pytest.raises(ScoringError) as bad:
            c.review.define_sheet(
                c.id, {"criteria": [], "aggregation": "median"}, actor=MINISTRY, now=AT
            )
        assert len(bad.value.errors) == 2

    def test_trimmed_mean_drops_one_highest_and_one_lowest_from_five(self, c: Campaign) -> None:
        (app_id,) = scoring_opened(
            c, (8, "广东", "ito"), sheet={**SHEET, "aggregation": "trimmed_mean"}
        )
        experts = ["e1", "e2", "e3", "e4", "e5"]
        for e in experts:
            c.review.assign_expert(
                app_id, expert_id=e, org_uscc=None, province="北京", actor=MINISTRY, now=AT
            )
        for e, capability in zip(experts, (40, 20, 24, 28, 0), strict=True):
            c.review.submit_score(
                app_id,
                expert_id=e,
                scores={"capability": capability, "results": 30},
                actor=Actor.parse(f"expert:{e}"),
                now=AT,
            )
        (row,) = c.review.rank(c.id)["ito"]
        # totals 100, 50, 55, 60, 25 -> drop 100 and 25 -> mean of 50, 55, 60
        assert row.score == Decimal("55.00") and row.complete and row.rank == 1


class TestLeavingScoring:
    def test_incomplete_scoring_holds_the_category_until_the_expert_is_replaced(
        self, c: Campaign
    ) -> None:
        done, pending, other = scoring_opened(
            c, (10, "广东", "ito"), (11, "江苏", "ito"), (12, "浙江", "manufacturing")
        )
        score_all(c, done, 30, 50, AT)
        score_all(c, other, 30, 50, AT)
        for e in ("e1", "e2", "e3"):
            c.review.assign_expert(
                pending, expert_id=e, org_uscc=None, province="北京", actor=MINISTRY, now=AT
            )
        for e in ("e1", "e2"):
            c.review.submit_score(
                pending,
                expert_id=e,
                scores={"capability": 35, "results": 55},
                actor=Actor.parse(f"expert:{e}"),
                now=AT,
            )
        out = c.review.shortlist(c.id, top_k=1, actor=MINISTRY, now=t("2026-09-01T09:00:00"))
        assert list(out.held) == [pending] and "e3" in out.held[pending]
        assert out.waiting == [done]
        assert out.selected == {"manufacturing": [other]}
        assert [status(c, a) for a in (done, pending, other)] == [
            "expert_scoring",
            "expert_scoring",
            "shortlisted",
        ]
        assert last_record(c, pending)[:3] == ("shortlist", False, "RequireAllExpertScores")

        with pytest.raises(Refusal) as no_reason:
            c.review.replace_expert(
                pending,
                "e3",
                new_expert_id="e4",
                org_uscc=None,
                province="上海",
                reason="  ",
                actor=MINISTRY,
                now=AT,
            )
        assert no_reason.value.rule == "RequireReplacementReason"
        c.review.replace_expert(
            pending,
            "e3",
            new_expert_id="e4",
            org_uscc=None,
            province="上海",
            reason="专家e3出差无法按期评审",
            actor=MINISTRY,
            now=AT,
        )
        with pytest.raises(Refusal, match="专家未分配: expert e3"):
            c.review.submit_score(
                pending,
                expert_id="e3",
                scores={"capability": 1, "results": 1},
                actor=Actor.parse("expert:e3"),
                now=AT,
            )
        c.review.submit_score(
            pending,
            expert_id="e4",
            scores={"capability": 35, "results": 55},
            actor=Actor.parse("expert:e4"),
            now=AT,
        )
        out = c.review.shortlist(c.id, actor=MINISTRY, now=t("2026-09-02T09:00:00"))
        assert out.top_k == 1 and out.held == {} and out.ties == []
        assert [status(c, a) for a in (done, pending, other)] == [
            "not_shortlisted",
            "shortlisted",
            "shortlisted",
        ]
        with c.lc.db.sessions() as s:
            replaced = s.scalars(
                select(ExpertAssignment).where(
                    ExpertAssignment.application_id == pending, ExpertAssignment.expert_id == "e3"
                )
            ).one()
            assert replaced.replacement_reason == "专家e3出差无法按期评审"
            assert replaced.replaced_by is not None
        check_audit(c, [done, pending, other])

    def test_fewer_experts_than_the_edition_minimum_is_incomplete(self, c: Campaign) -> None:
        (app_id,) = scoring_opened(c, (13, "广东", "ito"))
        for e in ("e1", "e2"):
            c.review.assign_expert(
                app_id, expert_id=e, org_uscc=None, province="北京", actor=MINISTRY, now=AT
            )
            c.review.submit_score(
                app_id,
                expert_id=e,
                scores={"capability": 35, "results": 55},
                actor=Actor.parse(f"expert:{e}"),
                now=AT,
            )
        out = c.review.shortlist(c.id, top_k=3, actor=MINISTRY, now=t("2026-09-01T09:00:00"))
        assert "至少需要3名专家评分，目前2名" in out.held[app_id]
        assert status(c, app_id) == "expert_scoring"


class TestTies:
    def test_a_tie_at_the_cut_is_reported_then_decided_by_the_coordinator(
        self, c: Campaign
    ) -> None:
        first, tied_a, tied_b, last = scoring_opened(
            c, (20, "广东", "ito"), (21, "江苏", "ito"), (22, "浙江", "ito"), (23, "福建", "ito")
        )
        score_all(c, first, 40, 60, AT)
        score_all(c, tied_a, 30, 45, AT)
        score_all(c, tied_b, 30, 45, AT)
        score_all(c, last, 20, 30, AT)
        with pytest.raises(Refusal, match="ties: 尚未确定入围") as early:
            c.review.resolve_tie(
                c.id, "ito", [tied_a], actor=MINISTRY, now=t("2026-08-31T09:00:00")
            )
        assert early.value.rule == "ResolveTiesOnlyAfterCut"
        assert [status(c, a) for a in (tied_a, tied_b)] == ["expert_scoring"] * 2
        out = c.review.shortlist(c.id, top_k=2, actor=MINISTRY, now=t("2026-09-01T09:00:00"))
        assert len(out.ties) == 1
        tie = out.ties[0]
        assert (tie.category, tie.score, tie.app_ids, tie.slots_left) == (
            "ito",
            Decimal("75.00"),
            (tied_a, tied_b),
            1,
        )
        assert out.selected == {"ito": [first]} and out.not_selected == {"ito": [last]}
        # nothing was decided for the tied pair, and publishing waits for them
        assert [status(c, a) for a in (tied_a, tied_b)] == ["expert_scoring"] * 2
        with pytest.raises(Refusal, match="入围名单尚未确定") as info:
            c.review.publish_notice(c.id, at=t("2026-09-28T10:00:00"), actor=MINISTRY)
        assert info.value.rule == "RequireFinalShortlist"
        # running the shortlist again reports the same tie and decides nothing new
        again = c.review.shortlist(c.id, actor=MINISTRY, now=t("2026-09-02T09:00:00"))
        assert again.ties == out.ties and again.results == []
        with pytest.raises(Refusal, match="入围标准已执行: .*top_k=2") as cut:
            c.review.shortlist(c.id, top_k=3, actor=MINISTRY, now=t("2026-09-02T09:00:00"))
        assert cut.value.rule == "KeepShortlistCut"

        with pytest.raises(ScoringError, match="须从并列的"):
            c.review.resolve_tie(
                c.id, "ito", [tied_a, tied_b], actor=MINISTRY, now=t("2026-09-03T09:00:00")
            )
        with pytest.raises(ScoringError, match="不在并列名单中"):
            c.review.resolve_tie(c.id, "ito", [last], actor=MINISTRY, now=t("2026-09-03"))
        results = c.review.resolve_tie(
            c.id, "ito", [tied_b], actor=MINISTRY, now=t("2026-09-03T09:00:00")
        )
        assert {r.application_id: r.to_state for r in results} == {
            tied_a: "not_shortlisted",
            tied_b: "shortlisted",
        }
        with c.lc.db.sessions() as s:
            record = audit.history(s, tied_b)[-1]
            assert record.trigger == "shortlist"
            assert record.details["tie"] == {
                "score": "75.00",
                "app_ids": [tied_a, tied_b],
                "chosen": [tied_b],
                "slots_left": 1,
            }
        with pytest.raises(ScoringError, match="没有待决定的并列"):
            c.review.resolve_tie(c.id, "ito", [tied_a], actor=MINISTRY, now=t("2026-09-04"))
        check_audit(c, [first, tied_a, tied_b, last])

    def test_min_score_cut_is_inclusive(self, c: Campaign) -> None:
        at_cut, below = scoring_opened(c, (30, "广东", "ito"), (31, "江苏", "ito"))
        score_all(c, at_cut, 30, 45, AT)  # 75.00
        score_all(c, below, 30, 44, AT)  # 74.17
        c.review.shortlist(c.id, min_score="75", actor=MINISTRY, now=t("2026-09-01T09:00:00"))
        assert status(c, at_cut) == "shortlisted"
        assert status(c, below) == "not_shortlisted"
