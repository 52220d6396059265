"""The rules of in-state events, one test class per rule, and their place in the event policy."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from states.actors import Actor
from states.event_rules import (
    EVENT_POLICY,
    AvoidConflictOfInterest,
    EventFacts,
    ExpertAssignedOnce,
    ExpertEventFacts,
    ObjectionEventFacts,
    ObjectionOnlyDuringNotice,
    ObjectionOnlyOnNoticeList,
    OnlyAssignedExpertScores,
    OnlyDuringExpertScoring,
    ReportEventFacts,
    RequireScoringSheet,
    ScoreEventFacts,
    ScoreOnce,
    evaluate_event,
    rules_for_event,
)
from states.lifecycle import State
from states.rules import ApplicationFacts
from states.scoring import ExpertFacts

SH = ZoneInfo("Asia/Shanghai")
ORG = "91440300MA5G8ABC1X"
NOW = datetime(2026, 8, 3, 9, 0, tzinfo=SH)


def facts(
    event: str = "expert:assign",
    state: State = State.EXPERT_SCORING,
    *,
    expert_org: str | None = None,
    expert_province: str | None = "北京",
    sheet: bool = True,
    assigned: bool = False,
    same_province: bool = False,
    objection: ObjectionEventFacts | None = None,
    now: datetime = NOW,
) -> EventFacts:
    return EventFacts(
        event=event,
        actor=Actor.parse("ministry"),
        now=now,
        application=ApplicationFacts(
            id=7,
            edition_id="liangrong-2026",
            org_uscc=ORG,
            province="广东",
            group=None,
            category="ito",
            consortium=False,
            state=state.value,
        ),  # fmt: skip
        expert=ExpertEventFacts(
            ExpertFacts("e1", expert_org, expert_province), sheet, assigned, same_province
        ),
        objection=objection,
    )


class TestRequireScoringSheet:
    def test_no_sheet_is_refused(self) -> None:
        assert not RequireScoringSheet().decide(facts(sheet=False)).accepted
        assert RequireScoringSheet().decide(facts()).accepted


class TestOnlyDuringExpertScoring:
    def test_only_in_expert_scoring(self) -> None:
        out = OnlyDuringExpertScoring().decide(facts(state=State.RECOMMENDED))
        assert not out.accepted and out.message.startswith("不在专家评审阶段")
        assert OnlyDuringExpertScoring().decide(facts()).accepted


class TestExpertAssignedOnce:
    def test_twice_is_refused(self) -> None:
        assert not ExpertAssignedOnce().decide(facts(assigned=True)).accepted


class TestAvoidConflictOfInterest:
    def test_own_organisation_refused_same_province_only_when_asked(self) -> None:
        assert not AvoidConflictOfInterest().decide(facts(expert_org=ORG)).accepted
        assert AvoidConflictOfInterest().decide(facts(expert_province="广东")).accepted
        asked = facts(expert_province="广东", same_province=True)
        assert not AvoidConflictOfInterest().decide(asked).accepted


def score(assigned: bool = True, scored: bool = False, sheet: bool = True) -> EventFacts:
    return EventFacts(
        event="score:submit",
        actor=Actor.parse("expert:e1"),
        now=NOW,
        application=facts().application,
        score=ScoreEventFacts("e1", sheet, assigned, scored),
    )


class TestScores:
    def test_only_an_active_assignee_scores_once(self) -> None:
        assert OnlyAssignedExpertScores().decide(score()).accepted
        out = OnlyAssignedExpertScores().decide(score(assigned=False))
        assert not out.accepted and out.message.startswith("专家未分配: expert e1")
        assert not ScoreOnce().decide(score(scored=True)).accepted
        assert evaluate_event(score(sheet=False)).rule == "RequireScoringSheet"


def report(status: str | None = "active", opened: bool = True, at: str | None = None) -> EventFacts:
    return EventFacts(
        event="report:submit",
        actor=Actor.parse(f"enterprise:{ORG}"),
        now=NOW,
        application=facts(state=State.CONFIRMED).application,
        report=ReportEventFacts(2025, status, opened, at),
    )


class TestReports:
    def test_in_order_title_revocation_opened_once(self) -> None:
        assert evaluate_event(report()).accepted
        assert evaluate_event(report(status=None)).rule == "ReportOnlyForConfirmedTitle"
        assert evaluate_event(report(status="revoked")).rule == "NoReportsAfterRevocation"
        assert evaluate_event(report(opened=False)).rule == "ReportNotOpen"
        twice = evaluate_event(report(at="2025-11-20 10:00:00 +08:00"))
        assert twice.rule == "ReportOnce" and "submitted at 2025-11-20 10:00:00" in twice.message


class TestObjections:
    PERIOD = ObjectionEventFacts(
        date(2026, 9, 28),
        datetime(2026, 10, 10, tzinfo=SH),
        datetime(2026, 9, 28, 10, tzinfo=SH),
    )

    def test_not_on_a_list_is_refused(self) -> None:
        out = ObjectionOnlyOnNoticeList().decide(facts("objection:file"))
        assert not out.accepted and out.message.startswith("不在公示名单")

    def test_one_second_late_is_refused(self) -> None:
        late = facts("objection:file", objection=self.PERIOD, now=datetime(2026, 10, 10, tzinfo=SH))
        assert not ObjectionOnlyDuringNotice().decide(late).accepted
        within = facts(
            "objection:file", objection=self.PERIOD, now=datetime(2026, 10, 9, tzinfo=SH)
        )
        assert ObjectionOnlyDuringNotice().decide(within).accepted


class TestEventPolicy:
    def test_first_refusal_in_order(self) -> None:
        out = evaluate_event(facts(sheet=False, state=State.RECOMMENDED, assigned=True))
        assert out.rule == "RequireScoringSheet"
        assert evaluate_event(facts()).accepted

    def test_every_rule_guards_some_event(self) -> None:
        for rule in EVENT_POLICY:
            assert rule.EVENTS, rule.name()
        assert [r.name() for r in rules_for_event("objection:file")] == [
            "EnforceEventRole",
            "ObjectionOnlyOnNoticeList",
            "ObjectionOnlyDuringNotice",
        ]
