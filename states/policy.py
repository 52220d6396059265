"""The lifecycle policy: the ordered rules every trigger passes; the first rejection wins."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from states.review_rules import (
    ConfirmDirectlyOnlyWithoutNotice,
    ConfirmOnlyWithoutUpheldObjection,
    RequireAllExpertScores,
    RequireEditionHasNotice,
    RequireNoticeOver,
    RequireRecertificationDue,
)
from states.rules import (
    EnforceActorRole,
    EnforceAllowedTrigger,
    EnforceProvincialQuota,
    LapseOnlyAfterWindow,
    OnlyApplicantActs,
    OnlyOwnProvinceReviews,
    Outcome,
    RecommendOncePerDepartment,
    Refusal,
    RefuseEarlyRecommendation,
    RefuseEarlySubmission,
    RefuseInvalidForm,
    RefuseLateRecommendation,
    RefuseLateSubmission,
    RequireReason,
    RequireReviewingDepartment,
    ReturnOnlyWhileWindowOpen,
    Rule,
    TransitionFacts,
)

# Order matters only for which refusal is reported: the table first, then who acts, then when,
# then what was sent and what the review decided, then the quota (the one rule that needs a count
# from the store).
POLICY: tuple[type[Rule], ...] = (
    EnforceAllowedTrigger,
    EnforceActorRole,
    OnlyApplicantActs,
    OnlyOwnProvinceReviews,
    RequireReviewingDepartment,
    RecommendOncePerDepartment,
    RefuseEarlySubmission,
    RefuseLateSubmission,
    ReturnOnlyWhileWindowOpen,
    LapseOnlyAfterWindow,
    RefuseEarlyRecommendation,
    RefuseLateRecommendation,
    RequireEditionHasNotice,
    RequireNoticeOver,
    RequireRecertificationDue,
    RequireReason,
    RefuseInvalidForm,
    RequireAllExpertScores,
    ConfirmOnlyWithoutUpheldObjection,
    ConfirmDirectlyOnlyWithoutNotice,
    EnforceProvincialQuota,
)

ACCEPTED_BY = "Policy"


def rules_for(trigger: str, policy: Sequence[type[Rule]] = POLICY) -> list[type[Rule]]:
    """The rules that guard `trigger`, in policy order."""
    return [rule for rule in policy if rule.TRIGGERS is None or trigger in rule.TRIGGERS]


@lru_cache(maxsize=256)
def _guards(trigger: str, policy: tuple[type[Rule], ...]) -> tuple[Rule, ...]:
    """Rules are stateless: one instance each, only those guarding `trigger`."""
    return tuple(rule_cls() for rule_cls in rules_for(trigger, policy))


def evaluate(facts: TransitionFacts, policy: Sequence[type[Rule]] = POLICY) -> Outcome:
    """The first rejection in policy order, or an acceptance naming the transition."""
    for rule in _guards(facts.trigger, tuple(policy)):
        if rule.FROM_STATES is not None and facts.from_state not in rule.FROM_STATES:
            continue  # the rule guards these triggers from other states only
        outcome = rule.decide(facts)
        if not outcome.accepted:
            return outcome
    dest = facts.to_state
    return Outcome(
        True,
        ACCEPTED_BY,
        f"accepted: {facts.trigger} {facts.application.state} -> "
        f"{dest.value if dest is not None else '?'} by {facts.actor}",
    )


def check_or_raise(facts: TransitionFacts, policy: Sequence[type[Rule]] = POLICY) -> Outcome:
    """`evaluate`, raising `Refusal` on a rejection."""
    outcome = evaluate(facts, policy)
    if not outcome.accepted:
        raise Refusal.from_outcome(outcome)
    return outcome
