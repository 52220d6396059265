"""Rules of the acts on a whole campaign (the scoring sheet, the shortlist cut, publishing the
公示, opening annual reports): small pure classes like the lifecycle and event rules, each naming
the act it guards, deciding on an immutable snapshot of typed facts the store computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar

from states.actors import Actor
from states.rules import Outcome, Refusal

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class SheetFacts:
    """The campaign's scoring sheet as stored: defined or not, and whether any expert scored."""

    defined: bool
    any_score: bool


@dataclass(frozen=True)
class CutFacts:
    """A shortlist cut asked for, the one applied before (None, None: none), and whether any
    application of the campaign was already decided by it."""

    top_k: int | None
    min_score: Decimal | None
    applied_top_k: int | None
    applied_min_score: Decimal | None
    decided: bool


@dataclass(frozen=True)
class CampaignFacts:
    """Everything a campaign act's rules look at."""

    act: str
    actor: Actor
    now: datetime
    campaign_id: int | None  # None: every campaign of the edition
    edition_id: str
    sheet: SheetFacts | None = None
    cut: CutFacts | None = None
    in_scoring: tuple[int, ...] = ()  # applications still in expert scoring
    has_annual_report: bool = True  # the edition states an annual report
    applicant_uscc: str = ""  # the organisation applying (application.create)
    campaign_year: int | None = None
    earlier_application: int | None = None  # its application already in the campaign
    category: str | None = None  # the category a tie is resolved in
    cut_applied: bool = False  # a shortlist cut is stored for the campaign
    held_categories: tuple[str, ...] = ()  # categories with an application's scoring incomplete
    clauses: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def cite(self, name: str) -> str:
        """` (clause)` for the end of a refusal line; empty when the edition names none."""
        clause = self.clauses.get(name) or self.clauses.get("reference") or ""
        return f" ({clause})" if clause else ""


class CampaignRule:
    """Base of the campaign rules: `ACTS` guarded (names of the table of every act)."""

    ACTS: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    def decide(self, facts: CampaignFacts) -> Outcome:
        raise NotImplementedError

    def accept(self) -> Outcome:
        return Outcome(True, self.name(), "accepted")

    def reject(self, message: str) -> Outcome:
        return Outcome(False, self.name(), message)


class OnlyApplicantCreates(CampaignRule):
    """An enterprise opens an application only for itself (the system may enter one for it).

    Clause: 商办服贸函〔2021〕360号 附件1 七 (企业向其所在省级主管部门提出申请); 工信厅规函〔2026〕238号
    四（二）(申报对象对材料真实性、完整性负责).
    """

    ACTS = frozenset({"application.create"})

    def decide(self, facts: CampaignFacts) -> Outcome:
        from states.actors import Role

        actor = facts.actor
        if actor.role is not Role.ENTERPRISE or actor.scope == facts.applicant_uscc:
            return self.accept()
        return self.reject(
            f"只能由申报单位本人操作: {actor} may not apply for {facts.applicant_uscc}"
        )


class OneApplicationPerOrganisation(CampaignRule):
    """One application per organisation per campaign; a second is refused naming the first.

    Clause: the edition's route (商办服贸函〔2021〕360号 附件1 七; 工信厅规函〔2026〕238号 三（二）):
    each enterprise is recommended once, within its province's (or group's) quota.
    """

    ACTS = frozenset({"application.create"})

    def decide(self, facts: CampaignFacts) -> Outcome:
        first = facts.earlier_application
        if first is None:
            return self.accept()
        return self.reject(
            f"重复申报: {facts.applicant_uscc} already applied to campaign {facts.campaign_id} "
            f"({facts.edition_id} {facts.campaign_year}) as application {first}; one application "
            f"per organisation per campaign{facts.cite('route')}"
        )


class FreezeSheetOnceScored(CampaignRule):
    """The scoring sheet is fixed once any expert has scored against it.

    Clause: 商办服贸函〔2021〕360号 附件1 八 (专家组初评并打分: every score against the same
    criteria, set beforehand).
    """

    ACTS = frozenset({"scoring.sheet"})

    def decide(self, facts: CampaignFacts) -> Outcome:
        sheet = facts.sheet
        if sheet is None or not (sheet.defined and sheet.any_score):
            return self.accept()
        return self.reject(
            f"评分表已启用: experts have already scored in campaign {facts.campaign_id}; the "
            f"sheet they scored against cannot be changed{facts.cite('shortlist')}"
        )


class KeepShortlistCut(CampaignRule):
    """Once a shortlist cut has decided an application, the same cut applies to the rest.

    Clause: 商办服贸函〔2021〕360号 附件1 八 (择优确定入围企业: one standard for the campaign);
    两融企业申报工作方案 2026-2028 八.
    """

    ACTS = frozenset({"scoring.shortlist"})

    def decide(self, facts: CampaignFacts) -> Outcome:
        cut = facts.cut
        if cut is None or not cut.decided:
            return self.accept()
        if (cut.top_k, cut.min_score) == (cut.applied_top_k, cut.applied_min_score):
            return self.accept()
        return self.reject(
            f"入围标准已执行: campaign {facts.campaign_id} was already cut with "
            f"top_k={cut.applied_top_k}, min_score={cut.applied_min_score}; the same cut applies "
            f"to the rest{facts.cite('shortlist')}"
        )


class ResolveTiesOnlyAfterCut(CampaignRule):
    """A tie at the cut is resolved only once the campaign has been cut.

    Clause: 商办服贸函〔2021〕360号 附件1 八 (择优确定入围: the cut first, then the coordinator's choice
    among equal scores straddling it).
    """

    ACTS = frozenset({"scoring.resolve_tie"})

    def decide(self, facts: CampaignFacts) -> Outcome:
        if facts.cut_applied:
            return self.accept()
        return self.reject(
            f"ties: 尚未确定入围 (campaign {facts.campaign_id} has not been shortlisted yet)"
            f"{facts.cite('shortlist')}"
        )


class ResolveTiesOnlyInScoredCategory(CampaignRule):
    """A tie is resolved only in a category whose scoring is complete (else the ranking, and so
    the tie, may still change).

    Clause: 商办服贸函〔2021〕360号 附件1 八 (专家组初评并打分: every expert's score counts).
    """

    ACTS = frozenset({"scoring.resolve_tie"})

    def decide(self, facts: CampaignFacts) -> Outcome:
        category = facts.category
        if category is None or category not in facts.held_categories:
            return self.accept()
        return self.reject(
            f"ties: 类别 {category} 仍有专家评分未完成 (scoring in {category} is incomplete)"
            f"{facts.cite('shortlist')}"
        )


class RequireFinalShortlist(CampaignRule):
    """The 公示 is published only once no application is left in expert scoring.

    Clause: 商办服贸函〔2021〕360号 附件1 八、九 (入围 first, then 公示 of the list).
    """

    ACTS = frozenset({"notice.publish"})

    def decide(self, facts: CampaignFacts) -> Outcome:
        if not facts.in_scoring:
            return self.accept()
        pending = ", ".join(map(str, facts.in_scoring))
        return self.reject(
            f"入围名单尚未确定: applications {pending} of campaign {facts.campaign_id} are still "
            "in expert scoring (pending scores or a tie); decide them before publishing"
            f"{facts.cite('notice')}"
        )


class RequireAnnualReportRule(CampaignRule):
    """Annual reports are opened only for an edition that states them.

    Clause: 商办服贸函〔2021〕360号 附件1 十一 (每年……报送); an edition silent on reports has none.
    """

    ACTS = frozenset({"reports.open"})

    def decide(self, facts: CampaignFacts) -> Outcome:
        if facts.has_annual_report:
            return self.accept()
        return self.reject(
            f"本批次未规定年度报告: edition {facts.edition_id} states no annual report"
            f"{facts.cite('annual_report')}; nothing to open"
        )


CAMPAIGN_POLICY: tuple[type[CampaignRule], ...] = (
    OnlyApplicantCreates,
    OneApplicationPerOrganisation,
    FreezeSheetOnceScored,
    KeepShortlistCut,
    ResolveTiesOnlyAfterCut,
    ResolveTiesOnlyInScoredCategory,
    RequireFinalShortlist,
    RequireAnnualReportRule,
)


def rules_for_act(
    act: str, policy: Sequence[type[CampaignRule]] = CAMPAIGN_POLICY
) -> list[type[CampaignRule]]:
    return [rule for rule in policy if act in rule.ACTS]


def evaluate_campaign(
    facts: CampaignFacts, policy: Sequence[type[CampaignRule]] = CAMPAIGN_POLICY
) -> Outcome:
    """The first rejection in policy order, or an acceptance."""
    for rule in rules_for_act(facts.act, policy):
        outcome = rule().decide(facts)
        if not outcome.accepted:
            return outcome
    return Outcome(True, "Campaign", f"accepted: {facts.act} by {facts.actor}")


def check_campaign(
    facts: CampaignFacts, policy: Sequence[type[CampaignRule]] = CAMPAIGN_POLICY
) -> Outcome:
    """`evaluate_campaign`, raising `Refusal` on a rejection."""
    outcome = evaluate_campaign(facts, policy)
    if not outcome.accepted:
        raise Refusal.from_outcome(outcome)
    return outcome
