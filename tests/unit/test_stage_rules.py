"""The rules that were inline in the stage modules, one test class per rule: pure, no I/O.

Event rules (replacing an expert, scoring as oneself, the sheet's bounds, objection resolution,
annual reports by the title holder) and campaign rules (the sheet frozen once scored, the
shortlist cut kept, publishing only a final shortlist, reports only where the edition states
them). Each refusal cites the clause of the application's own edition.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from programs.editions import load_edition
from states.actors import Actor
from states.campaign_rules import (
    CAMPAIGN_POLICY,
    CampaignFacts,
    CutFacts,
    FreezeSheetOnceScored,
    KeepShortlistCut,
    OneApplicationPerOrganisation,
    OnlyApplicantCreates,
    RequireAnnualReportRule,
    RequireFinalShortlist,
    ResolveTiesOnlyAfterCut,
    ResolveTiesOnlyInScoredCategory,
    SheetFacts,
    check_campaign,
    evaluate_campaign,
    rules_for_act,
)
from states.event_rules import (
    EVENT_POLICY,
    EnforceEventRole,
    EventFacts,
    OnlyTitleHolderReports,
    ReplaceEventFacts,
    ReplaceOnlyActiveExpert,
    ReportEventFacts,
    RequireReplacementReason,
    RequireResolutionReason,
    RequireValidAnnualReport,
    ResolutionEventFacts,
    ResolveAsUpheldOrDismissed,
    ResolveOnlyOpenObjections,
    ScoreEventFacts,
    ScoreOnlyAsOwnExpert,
    ScoreWithinSheet,
    evaluate_event,
    rules_for_event,
)
from states.lifecycle import State
from states.rules import ApplicationFacts, Refusal, edition_clauses

SH = ZoneInfo("Asia/Shanghai")
ORG = "91440300MA5G8ABC1X"
NOW = datetime(2026, 8, 3, 9, 0, tzinfo=SH)
CLAUSES = MappingProxyType(
    {
        "reference": "商办服贸函〔2021〕360号",
        "shortlist": "商办服贸函〔2021〕360号 附件1 八",
        "annual_report": "商办服贸函〔2021〕360号 附件1 十一",
    }
)
MINISTRY = Actor.parse("ministry")


def event(
    name: str,
    *,
    actor: Actor = MINISTRY,
    state: State = State.EXPERT_SCORING,
    clauses: MappingProxyType[str, str] = CLAUSES,
    **kw: object,
) -> EventFacts:
    return EventFacts(
        event=name,
        actor=actor,
        now=NOW,
        application=ApplicationFacts(
            id=7,
            edition_id="liangrong-2021",
            org_uscc=ORG,
            province="广东",
            group=None,
            category="ito",
            consortium=False,
            state=state.value,
        ),
        clauses=clauses,
        **kw,  # type: ignore[arg-type]
    )


def score(expert: str = "e1", problems: tuple[str, ...] = ()) -> ScoreEventFacts:
    return ScoreEventFacts(expert, True, True, False, problems)


def campaign(act: str, **kw: object) -> CampaignFacts:
    return CampaignFacts(
        act=act,
        actor=MINISTRY,
        now=NOW,
        campaign_id=3,
        edition_id="liangrong-2021",
        clauses=CLAUSES,
        **kw,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------------------------------------
# Event rules


class TestEnforceEventRole:
    rule = EnforceEventRole()

    def test_the_ministry_assigns_an_expert_does_not(self) -> None:
        assert self.rule.decide(event("expert:assign")).accepted
        out = self.rule.decide(event("expert:assign", actor=Actor.parse("expert:e1")))
        assert not out.accepted and out.rule == "EnforceEventRole"
        assert "role expert" in out.message and "allowed: ministry" in out.message

    def test_an_auditor_changes_nothing(self) -> None:
        out = self.rule.decide(event("objection:file", actor=Actor.parse("auditor")))
        assert not out.accepted and out.message.startswith("审计人员只读")

    def test_the_public_objects_but_does_not_resolve(self) -> None:
        public = Actor.parse("public")
        assert self.rule.decide(event("objection:file", actor=public)).accepted
        assert not self.rule.decide(event("objection:resolve", actor=public)).accepted

    def test_roles_come_from_the_table_of_every_act(self) -> None:
        from states.acts import act

        roles = act("scoring.score").roles
        for actor in ("expert:e1", "ministry", "province:广东", "enterprise:" + ORG):
            a = Actor.parse(actor)
            got = self.rule.decide(event("score:submit", actor=a)).accepted
            assert got is (a.role in roles)


class TestScoreOnlyAsOwnExpert:
    rule = ScoreOnlyAsOwnExpert()

    def test_an_expert_scores_as_itself(self) -> None:
        f = event("score:submit", actor=Actor.parse("expert:e1"), score=score("e1"))
        assert self.rule.decide(f).accepted

    def test_an_expert_may_not_score_as_another(self) -> None:
        f = event("score:submit", actor=Actor.parse("expert:e2"), score=score("e1"))
        out = self.rule.decide(f)
        assert not out.accepted
        assert out.message.startswith("只能以本人身份评分: expert:e2")
        assert out.message.endswith("(商办服贸函〔2021〕360号 附件1 八)")

    def test_the_ministry_enters_an_experts_scores(self) -> None:
        assert self.rule.decide(event("score:submit", score=score("e1"))).accepted


class TestOnlyTitleHolderReports:
    rule = OnlyTitleHolderReports()

    def report(self, actor: str) -> EventFacts:
        facts = ReportEventFacts(2025, "active", True, holder_uscc=ORG)
        return event("report:submit", actor=Actor.parse(actor), report=facts)

    def test_the_holder_reports(self) -> None:
        assert self.rule.decide(self.report(f"enterprise:{ORG}")).accepted

    def test_another_enterprise_does_not(self) -> None:
        out = self.rule.decide(self.report("enterprise:91110000100000000X"))
        assert not out.accepted
        assert f"is not enterprise:{ORG}" in out.message
        assert out.message.endswith("(商办服贸函〔2021〕360号 附件1 十一)")

    def test_nor_the_ministry(self) -> None:
        assert not self.rule.decide(self.report("ministry")).accepted


class TestRequireReplacementReason:
    rule = RequireReplacementReason()

    def test_a_reason_is_required(self) -> None:
        replace = ReplaceEventFacts("e1", True)
        for reason in (None, "", "   "):
            out = self.rule.decide(event("expert:replace", replace=replace, reason=reason))
            assert not out.accepted
            assert "replacing expert e1 on application 7 requires a reason" in out.message
        assert self.rule.decide(event("expert:replace", replace=replace, reason="回避")).accepted

    def test_it_cites_the_editions_clause_or_its_document(self) -> None:
        f = event(
            "expert:replace",
            replace=ReplaceEventFacts("e1", True),
            clauses=MappingProxyType({"reference": "工信厅规函〔2026〕238号"}),
        )
        assert self.rule.decide(f).message.endswith("(工信厅规函〔2026〕238号)")


class TestReplaceOnlyActiveExpert:
    rule = ReplaceOnlyActiveExpert()

    def test_an_active_assignee_is_replaced(self) -> None:
        f = event("expert:replace", replace=ReplaceEventFacts("e1", True), reason="r")
        assert self.rule.decide(f).accepted

    def test_an_expert_not_assigned_or_already_replaced_is_not(self) -> None:
        f = event("expert:replace", replace=ReplaceEventFacts("e9", False), reason="r")
        out = self.rule.decide(f)
        assert not out.accepted
        assert out.message.startswith("专家未分配: expert e9 is not an active expert")


class TestScoreWithinSheet:
    rule = ScoreWithinSheet()

    def test_every_problem_is_listed(self) -> None:
        f = event("score:submit", score=score(problems=("capability: > 30", "results: missing")))
        out = self.rule.decide(f)
        assert not out.accepted
        assert out.message == "评分无效: 2 problem(s): capability: > 30; results: missing"

    def test_scores_within_the_sheet_pass(self) -> None:
        assert self.rule.decide(event("score:submit", score=score())).accepted


class TestRequireValidAnnualReport:
    rule = RequireValidAnnualReport()

    def test_every_problem_is_listed(self) -> None:
        report = ReportEventFacts(2025, "active", True, problems=("revenue: required",))
        out = self.rule.decide(event("report:submit", report=report))
        assert not out.accepted
        assert out.message == "年度报告有1处错误 (the report has 1 error(s)): revenue: required"

    def test_a_clean_report_passes(self) -> None:
        report = ReportEventFacts(2025, "active", True)
        assert self.rule.decide(event("report:submit", report=report)).accepted


class TestResolveOnlyOpenObjections:
    rule = ResolveOnlyOpenObjections()

    def test_an_open_objection_is_resolved(self) -> None:
        r = ResolutionEventFacts(5, "upheld", None)
        assert self.rule.decide(event("objection:resolve", resolution=r, reason="x")).accepted

    def test_a_decision_is_not_revisited(self) -> None:
        r = ResolutionEventFacts(5, "dismissed", "upheld")
        out = self.rule.decide(event("objection:resolve", resolution=r, reason="x"))
        assert not out.accepted
        assert "异议 5 已处理为成立" in out.message and "already resolved as upheld" in out.message


class TestResolveAsUpheldOrDismissed:
    rule = ResolveAsUpheldOrDismissed()

    @pytest.mark.parametrize("outcome", ["upheld", "dismissed"])
    def test_the_two_outcomes(self, outcome: str) -> None:
        r = ResolutionEventFacts(5, outcome)
        assert self.rule.decide(event("objection:resolve", resolution=r, reason="x")).accepted

    @pytest.mark.parametrize("outcome", ["UPHELD", "rejected", ""])
    def test_anything_else_is_refused(self, outcome: str) -> None:
        r = ResolutionEventFacts(5, outcome)
        out = self.rule.decide(event("objection:resolve", resolution=r, reason="x"))
        assert not out.accepted and f"got {outcome!r}" in out.message


class TestRequireResolutionReason:
    rule = RequireResolutionReason()

    def test_a_reason_is_required(self) -> None:
        r = ResolutionEventFacts(5, "upheld")
        out = self.rule.decide(event("objection:resolve", resolution=r, reason=" "))
        assert not out.accepted and out.message.startswith(
            "resolution_reason: 处理异议必须说明理由"
        )
        assert self.rule.decide(event("objection:resolve", resolution=r, reason="核实")).accepted


class TestEventPolicyOrder:
    def test_every_new_rule_is_in_the_policy(self) -> None:
        for rule in (
            EnforceEventRole,
            ScoreOnlyAsOwnExpert,
            OnlyTitleHolderReports,
            RequireReplacementReason,
            ReplaceOnlyActiveExpert,
            ScoreWithinSheet,
            RequireValidAnnualReport,
            ResolveOnlyOpenObjections,
            ResolveAsUpheldOrDismissed,
            RequireResolutionReason,
        ):
            assert rule in EVENT_POLICY

    def test_who_acts_is_decided_before_anything_else(self) -> None:
        for name in ("expert:replace", "score:submit", "objection:resolve", "report:submit"):
            assert rules_for_event(name)[0] is EnforceEventRole

    def test_a_replacement_without_reason_by_the_wrong_role_reports_the_role(self) -> None:
        f = event("expert:replace", actor=Actor.parse("province:广东"), replace=None)
        assert evaluate_event(f).rule == "EnforceEventRole"

    def test_a_resolved_objection_is_reported_before_a_bad_outcome(self) -> None:
        r = ResolutionEventFacts(5, "maybe", "dismissed")
        assert evaluate_event(event("objection:resolve", resolution=r)).rule == (
            "ResolveOnlyOpenObjections"
        )


# ---------------------------------------------------------------------------------------------
# Campaign rules


class TestOnlyApplicantCreates:
    rule = OnlyApplicantCreates()

    def creating(self, actor: str) -> CampaignFacts:
        return CampaignFacts(
            act="application.create",
            actor=Actor.parse(actor),
            now=NOW,
            campaign_id=None,
            edition_id="szzx-2026-2",
            applicant_uscc=ORG,
        )

    def test_an_enterprise_applies_for_itself_and_the_system_for_anyone(self) -> None:
        assert self.rule.decide(self.creating(f"enterprise:{ORG}")).accepted
        assert self.rule.decide(self.creating("system")).accepted

    def test_an_enterprise_does_not_apply_for_another(self) -> None:
        out = self.rule.decide(self.creating("enterprise:91110000100000000X"))
        assert not out.accepted
        assert out.message == (
            f"只能由申报单位本人操作: enterprise:91110000100000000X may not apply for {ORG}"
        )


class TestOneApplicationPerOrganisation:
    rule = OneApplicationPerOrganisation()

    def test_the_first_application(self) -> None:
        f = campaign("application.create", applicant_uscc=ORG, campaign_year=2021)
        assert self.rule.decide(f).accepted

    def test_a_second_names_the_first_and_the_editions_route(self) -> None:
        edition = load_edition("szzx-2026-2")
        f = CampaignFacts(
            act="application.create",
            actor=Actor.parse(f"enterprise:{ORG}"),
            now=NOW,
            campaign_id=2,
            edition_id=edition.id,
            applicant_uscc=ORG,
            campaign_year=2026,
            earlier_application=11,
            clauses=edition_clauses(edition),
        )
        out = self.rule.decide(f)
        assert not out.accepted
        assert out.message == (
            f"重复申报: {ORG} already applied to campaign 2 (szzx-2026-2 2026) as application 11; "
            "one application per organisation per campaign (工信厅规函〔2026〕238号 三（二）)"
        )


class TestFreezeSheetOnceScored:
    rule = FreezeSheetOnceScored()

    def test_a_sheet_is_redefined_until_someone_scores(self) -> None:
        for sheet in (SheetFacts(False, False), SheetFacts(True, False)):
            assert self.rule.decide(campaign("scoring.sheet", sheet=sheet)).accepted

    def test_then_it_is_fixed(self) -> None:
        out = self.rule.decide(campaign("scoring.sheet", sheet=SheetFacts(True, True)))
        assert not out.accepted
        assert out.message.startswith("评分表已启用: experts have already scored in campaign 3")
        assert out.message.endswith("(商办服贸函〔2021〕360号 附件1 八)")


class TestKeepShortlistCut:
    rule = KeepShortlistCut()

    def test_before_any_decision_any_cut(self) -> None:
        cut = CutFacts(3, None, 2, None, decided=False)
        assert self.rule.decide(campaign("scoring.shortlist", cut=cut)).accepted

    def test_the_same_cut_again(self) -> None:
        cut = CutFacts(2, Decimal("60.00"), 2, Decimal("60.00"), decided=True)
        assert self.rule.decide(campaign("scoring.shortlist", cut=cut)).accepted

    @pytest.mark.parametrize(
        ("top_k", "min_score"), [(3, Decimal("60.00")), (2, None), (2, Decimal("61.00"))]
    )
    def test_a_different_cut_once_applied(self, top_k: int, min_score: Decimal | None) -> None:
        cut = CutFacts(top_k, min_score, 2, Decimal("60.00"), decided=True)
        out = self.rule.decide(campaign("scoring.shortlist", cut=cut))
        assert not out.accepted
        assert "入围标准已执行: campaign 3 was already cut with top_k=2, min_score=60.00" in (
            out.message
        )


class TestResolveTiesOnlyAfterCut:
    rule = ResolveTiesOnlyAfterCut()

    def test_after_the_cut(self) -> None:
        f = campaign("scoring.resolve_tie", category="ito", cut_applied=True)
        assert self.rule.decide(f).accepted

    def test_before_any_cut(self) -> None:
        out = self.rule.decide(campaign("scoring.resolve_tie", category="ito"))
        assert not out.accepted
        assert out.message == (
            "ties: 尚未确定入围 (campaign 3 has not been shortlisted yet) "
            "(商办服贸函〔2021〕360号 附件1 八)"
        )


class TestResolveTiesOnlyInScoredCategory:
    rule = ResolveTiesOnlyInScoredCategory()

    def test_a_category_fully_scored(self) -> None:
        f = campaign("scoring.resolve_tie", category="ito", held_categories=("manufacturing",))
        assert self.rule.decide(f).accepted

    def test_a_category_with_scoring_incomplete(self) -> None:
        f = campaign("scoring.resolve_tie", category="ito", held_categories=("ito",))
        out = self.rule.decide(f)
        assert not out.accepted
        assert out.message.startswith("ties: 类别 ito 仍有专家评分未完成")


class TestRequireFinalShortlist:
    rule = RequireFinalShortlist()

    def test_nothing_left_in_scoring(self) -> None:
        assert self.rule.decide(campaign("notice.publish")).accepted

    def test_applications_still_in_scoring(self) -> None:
        out = self.rule.decide(campaign("notice.publish", in_scoring=(4, 9)))
        assert not out.accepted and "applications 4, 9 of campaign 3" in out.message


class TestRequireAnnualReportRule:
    rule = RequireAnnualReportRule()

    def test_an_edition_with_reports(self) -> None:
        assert self.rule.decide(campaign("reports.open")).accepted

    def test_an_edition_without_cites_its_own_document(self) -> None:
        edition = load_edition("cciip-2023")
        assert edition.annual_report is None
        f = CampaignFacts(
            act="reports.open",
            actor=MINISTRY,
            now=NOW,
            campaign_id=None,
            edition_id=edition.id,
            has_annual_report=False,
            clauses=edition_clauses(edition),
        )
        out = self.rule.decide(f)
        assert not out.accepted
        assert out.message == (
            "本批次未规定年度报告: edition cciip-2023 states no annual report (中投促函[2023]84号); "
            "nothing to open"
        )


class TestCampaignPolicy:
    def test_each_rule_guards_its_act(self) -> None:
        for rule in CAMPAIGN_POLICY:
            assert rule.ACTS and all(rule in rules_for_act(a) for a in rule.ACTS), rule.name()
        assert rules_for_act("application.create") == [
            OnlyApplicantCreates,
            OneApplicationPerOrganisation,
        ]
        assert rules_for_act("scoring.open") == []

    def test_check_raises_the_first_refusal(self) -> None:
        with pytest.raises(Refusal) as info:
            check_campaign(campaign("scoring.sheet", sheet=SheetFacts(True, True)))
        assert info.value.rule == "FreezeSheetOnceScored"
        assert evaluate_campaign(campaign("scoring.sheet")).accepted
