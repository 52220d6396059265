"""The rules after the provincial review, one test class per rule, and their place in the policy."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from states.actors import Actor, Role
from states.lifecycle import State
from states.policy import POLICY, evaluate, rules_for
from states.review_rules import (
    ConfirmOnlyWithoutUpheldObjection,
    RequireAllExpertScores,
    RequireEditionHasNotice,
    RequireNoticeOver,
    RequireRecertificationDue,
)
from states.rules import (
    ApplicationFacts,
    NoticeFacts,
    RecertFacts,
    Rule,
    ScoringFacts,
    TransitionFacts,
)

SH = ZoneInfo("Asia/Shanghai")
MINISTRY = Actor(Role.MINISTRY)
SYSTEM = Actor(Role.SYSTEM)
NOW = datetime(2026, 10, 12, 9, 0, tzinfo=SH)
NOTICE_ENDS = "2026-10-09 23:59:59 +08:00"


def stage_facts(stage: dict[str, object]) -> dict[str, object]:
    """The typed facts of a stage, from a short notation: scoring_complete / scoring_detail,
    has_notice / notice_outcome / notice_ends, recert_due (ISO date, "" for no cycle)."""
    typed: dict[str, object] = {}
    if "scoring_complete" in stage or "scoring_detail" in stage:
        typed["scoring"] = ScoringFacts(
            complete=stage.get("scoring_complete") is True,
            detail=str(stage.get("scoring_detail", "")),
        )
    if {"has_notice", "notice_outcome", "notice_ends"} & set(stage):
        typed["notice"] = NoticeFacts(
            has_notice=bool(stage.get("has_notice", True)),
            outcome=stage.get("notice_outcome"),  # type: ignore[arg-type]
            ends=stage.get("notice_ends"),  # type: ignore[arg-type]
        )
    if "recert_due" in stage:
        raw = str(stage["recert_due"])
        typed["recert"] = RecertFacts(due=date.fromisoformat(raw) if raw else None)
    return typed


def facts(
    trigger: str,
    state: State,
    stage: dict[str, object] | None = None,
    *,
    actor: Actor = MINISTRY,
    now: datetime = NOW,
    edition_id: str = "liangrong-2026",
) -> TransitionFacts:
    return TransitionFacts(
        trigger=trigger,
        actor=actor,
        now=now,
        application=ApplicationFacts(
            id=42,
            edition_id=edition_id,
            org_uscc="91440300MA5G8ABC1X",
            province="广东",
            group=None,
            category="ito",
            consortium=False,
            state=state.value,
        ),
        application_window=None,
        screening_window=None,
        reason=None,
        **stage_facts(stage or {}),  # type: ignore[arg-type]
    )


def refused(rule: Rule, f: TransitionFacts) -> str:
    outcome = rule.check(f)
    assert not outcome.accepted, outcome
    assert outcome.rule == type(rule).__name__
    return outcome.message


def accepted(rule: Rule, f: TransitionFacts) -> None:
    outcome = rule.check(f)
    assert outcome.accepted, outcome.message


class TestRequireAllExpertScores:
    rule = RequireAllExpertScores()

    def test_complete_scoring_lets_the_application_leave(self) -> None:
        for trigger in ("shortlist", "decline"):
            accepted(self.rule, facts(trigger, State.EXPERT_SCORING, {"scoring_complete": True}))

    def test_incomplete_scoring_is_refused_with_the_detail(self) -> None:
        detail = "专家评分未完成: e2 尚未评分 (pending: e2)"
        message = refused(
            self.rule,
            facts(
                "shortlist",
                State.EXPERT_SCORING,
                {"scoring_complete": False, "scoring_detail": detail},
            ),
        )
        assert message.startswith(detail)
        assert "application 42 stays in expert scoring" in message

    def test_missing_fact_is_refused_not_assumed(self) -> None:
        assert "专家评分情况未知" in refused(self.rule, facts("decline", State.EXPERT_SCORING))

    def test_incomplete_scoring_is_refused_with_what_is_missing(self) -> None:
        f = facts(
            "shortlist", State.EXPERT_SCORING, {"scoring_complete": False, "scoring_detail": "e2"}
        )
        assert refused(self.rule, f).startswith("e2; application 42 stays in expert scoring")

    def test_other_triggers_are_not_guarded(self) -> None:
        accepted(self.rule, facts("publish_notice", State.SHORTLISTED))


class TestRequireEditionHasNotice:
    rule = RequireEditionHasNotice()

    def test_edition_with_notice_publishes(self) -> None:
        accepted(self.rule, facts("publish_notice", State.SHORTLISTED, {"has_notice": True}))

    def test_edition_without_notice_is_refused_naming_it(self) -> None:
        message = refused(
            self.rule,
            facts("publish_notice", State.SHORTLISTED, {"has_notice": False}, edition_id="x-2030"),
        )
        assert message.startswith("本批次无公示: edition x-2030 has no public notice")

    def test_missing_fact_is_refused(self) -> None:
        refused(self.rule, facts("publish_notice", State.SHORTLISTED))


class TestRequireNoticeOver:
    rule = RequireNoticeOver()

    def test_running_notice_is_refused_naming_its_end(self) -> None:
        f = facts(
            "confirm",
            State.PUBLIC_NOTICE,
            {"notice_outcome": "running", "notice_ends": NOTICE_ENDS},
            actor=SYSTEM,
        )
        message = refused(self.rule, f)
        assert message.startswith("公示期未结束")
        assert NOTICE_ENDS in message

    def test_over_notice_passes_whatever_it_decided(self) -> None:
        for outcome in ("confirm", "remove", "hold"):
            accepted(self.rule, facts("confirm", State.PUBLIC_NOTICE, {"notice_outcome": outcome}))
            accepted(self.rule, facts("remove", State.PUBLIC_NOTICE, {"notice_outcome": outcome}))

    def test_missing_outcome_is_refused(self) -> None:
        assert "公示结果未知" in refused(self.rule, facts("remove", State.PUBLIC_NOTICE))


class TestConfirmOnlyWithoutUpheldObjection:
    rule = ConfirmOnlyWithoutUpheldObjection()

    def test_confirm_only_when_the_notice_says_confirm(self) -> None:
        accepted(self.rule, facts("confirm", State.PUBLIC_NOTICE, {"notice_outcome": "confirm"}))
        upheld = refused(
            self.rule, facts("confirm", State.PUBLIC_NOTICE, {"notice_outcome": "remove"})
        )
        assert upheld.startswith("公示异议成立，不予确认")
        held = refused(self.rule, facts("confirm", State.PUBLIC_NOTICE, {"notice_outcome": "hold"}))
        assert held.startswith("异议尚未处理")

    def test_remove_only_for_an_upheld_objection(self) -> None:
        accepted(self.rule, facts("remove", State.PUBLIC_NOTICE, {"notice_outcome": "remove"}))
        message = refused(
            self.rule, facts("remove", State.PUBLIC_NOTICE, {"notice_outcome": "confirm"})
        )
        assert message.startswith("无成立的异议")
        assert refused(
            self.rule, facts("remove", State.PUBLIC_NOTICE, {"notice_outcome": "hold"})
        ).startswith("异议尚未处理")


class TestRequireRecertificationDue:
    rule = RequireRecertificationDue()

    def test_on_the_due_day_in_shanghai_it_opens(self) -> None:
        due = {"recert_due": "2029-10-12"}
        accepted(
            self.rule,
            facts(
                "open_recertification", State.CONFIRMED, due, now=datetime(2029, 10, 12, tzinfo=SH)
            ),
        )
        # 2029-10-11 16:00 UTC is already 10-12 00:00 in Shanghai
        utc = datetime(2029, 10, 11, 16, 0, tzinfo=UTC)
        accepted(self.rule, facts("open_recertification", State.CONFIRMED, due, now=utc))

    def test_the_day_before_is_refused_naming_the_due_day(self) -> None:
        utc = datetime(2029, 10, 11, 15, 59, 59, tzinfo=UTC)  # 23:59:59 on 10-11 in Shanghai
        message = refused(
            self.rule,
            facts("open_recertification", State.CONFIRMED, {"recert_due": "2029-10-12"}, now=utc),
        )
        assert message.startswith("复审尚未到期")
        assert "due on 2029-10-12 (today is 2029-10-11 in Asia/Shanghai)" in message

    def test_edition_without_a_cycle_is_refused(self) -> None:
        f = facts("open_recertification", State.CONFIRMED, edition_id="szzx-2026-2")
        assert refused(self.rule, f).startswith("本批次未规定复审: edition szzx-2026-2")

    def test_a_stated_no_cycle_is_refused(self) -> None:
        f = facts("open_recertification", State.CONFIRMED, {"recert_due": ""})
        assert refused(self.rule, f).startswith("本批次未规定复审")


class TestReviewRulesInThePolicy:
    def test_each_rule_is_in_the_policy_and_guards_its_triggers(self) -> None:
        expected = {
            "shortlist": "RequireAllExpertScores",
            "decline": "RequireAllExpertScores",
            "publish_notice": "RequireEditionHasNotice",
            "confirm": "ConfirmOnlyWithoutUpheldObjection",
            "remove": "RequireNoticeOver",
            "open_recertification": "RequireRecertificationDue",
        }
        for trigger, name in expected.items():
            assert name in [r.__name__ for r in rules_for(trigger)], trigger

    def test_the_table_is_checked_before_the_review_facts(self) -> None:
        outcome = evaluate(facts("confirm", State.DRAFT, {"notice_outcome": "confirm"}))
        assert outcome.rule == "EnforceAllowedTrigger"


class TestConfirmDirectlyOnlyWithoutNotice:
    def test_without_notice_the_shortlist_is_confirmed(self) -> None:
        assert evaluate(facts("confirm", State.SHORTLISTED, {"has_notice": False})).accepted

    def test_with_a_notice_the_shortlist_waits_for_it(self) -> None:
        outcome = evaluate(facts("confirm", State.SHORTLISTED, {"has_notice": True}))
        assert outcome.rule == "ConfirmDirectlyOnlyWithoutNotice" and "须经公示" in outcome.message
        unknown = evaluate(facts("confirm", State.SHORTLISTED, {}))
        assert unknown.rule == "ConfirmDirectlyOnlyWithoutNotice"

    def test_an_expert_cannot_shortlist_even_when_scoring_is_complete(self) -> None:
        f = facts(
            "shortlist",
            State.EXPERT_SCORING,
            {"scoring_complete": True},
            actor=Actor.parse("expert:e1"),
        )
        assert evaluate(f).rule == "EnforceActorRole"

    def test_a_complete_path_of_facts_is_accepted(self) -> None:
        steps = [
            ("shortlist", State.EXPERT_SCORING, {"scoring_complete": True}),
            ("publish_notice", State.SHORTLISTED, {"has_notice": True}),
            ("confirm", State.PUBLIC_NOTICE, {"notice_outcome": "confirm"}),
            (
                "open_recertification",
                State.CONFIRMED,
                {"recert_due": date(2026, 10, 12).isoformat()},
            ),
        ]
        for trigger, state, extra in steps:
            outcome = evaluate(facts(trigger, state, extra))
            assert outcome.accepted, outcome.message

    def test_remove_refused_before_the_end_names_the_running_notice(self) -> None:
        f = facts(
            "remove", State.PUBLIC_NOTICE, {"notice_outcome": "running", "notice_ends": NOTICE_ENDS}
        )
        outcome = evaluate(f)
        assert outcome.rule == "RequireNoticeOver" and NOTICE_ENDS in outcome.message

    def test_policy_has_no_duplicates(self) -> None:
        assert len(set(POLICY)) == len(POLICY)


class TestStateScope:
    """A rule's scope is declared (FROM_STATES), read from the class, and honoured by the policy."""

    def test_declared_sources_narrow_the_table(self) -> None:
        from states.review_rules import ConfirmDirectlyOnlyWithoutNotice

        assert RequireNoticeOver.from_states() == {State.PUBLIC_NOTICE}
        assert ConfirmOnlyWithoutUpheldObjection.from_states() == {State.PUBLIC_NOTICE}
        assert ConfirmDirectlyOnlyWithoutNotice.from_states() == {State.SHORTLISTED}
        assert RequireNoticeOver.to_states() == {State.CONFIRMED, State.REMOVED_AFTER_NOTICE}

    def test_every_rule_guards_some_source_state(self) -> None:
        for rule in POLICY:
            assert rule.from_states(), rule.name()

    def test_a_rule_is_not_consulted_outside_its_sources(self) -> None:
        # from shortlisted, the notice rules do not run: only ConfirmDirectlyOnlyWithoutNotice
        f = facts("confirm", State.SHORTLISTED, {"has_notice": True, "notice_outcome": "running"})
        assert evaluate(f).rule == "ConfirmDirectlyOnlyWithoutNotice"
