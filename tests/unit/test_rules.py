"""The lifecycle rules, one test class per rule, and the policy that orders them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from deadlines import Window
from states.actors import Actor, Role
from states.lifecycle import TRIGGERS, State
from states.policy import POLICY, check_or_raise, evaluate, rules_for
from states.rules import (
    ApplicationFacts,
    EnforceActorRole,
    EnforceAllowedTrigger,
    EnforceProvincialQuota,
    LapseOnlyAfterWindow,
    OnlyApplicantActs,
    OnlyOwnProvinceReviews,
    QuotaUsage,
    Refusal,
    RefuseEarlyRecommendation,
    RefuseEarlySubmission,
    RefuseInvalidForm,
    RefuseLateRecommendation,
    RefuseLateSubmission,
    RequireReason,
    ReturnOnlyWhileWindowOpen,
    Rule,
    TransitionFacts,
)

SH = ZoneInfo("Asia/Shanghai")
USCC = "91440300MA5G8ABC1X"
OTHER_USCC = "91110000100000000A"
GROUP = "中国电子信息产业集团有限公司"
SZZX_APPLICATION = Window(date(2026, 5, 27), date(2026, 6, 20))
SZZX_SCREENING = Window(date(2026, 6, 21), date(2026, 6, 30))

APPLICANT = Actor(Role.ENTERPRISE, USCC)
GUANGDONG = Actor(Role.PROVINCE, "广东")
ZHEJIANG = Actor(Role.PROVINCE, "浙江")
MINISTRY = Actor(Role.MINISTRY)
SYSTEM = Actor(Role.SYSTEM)
AUDITOR = Actor(Role.AUDITOR)

LAST_SECOND = datetime(2026, 6, 20, 23, 59, 59, tzinfo=SH)
AFTER_CLOSE = datetime(2026, 6, 21, 0, 0, 0, tzinfo=SH)
IN_WINDOW = datetime(2026, 6, 1, 10, 0, tzinfo=SH)
IN_SCREENING = datetime(2026, 6, 25, 10, 0, tzinfo=SH)


def application(**changes: object) -> ApplicationFacts:
    base = ApplicationFacts(
        id=7,
        edition_id="szzx-2026-2",
        org_uscc=USCC,
        province="广东",
        group=None,
        category="center",
        consortium=False,
        state=State.DRAFT.value,
    )
    return replace(base, **changes)


def facts(
    trigger: str,
    actor: Actor,
    state: State | str = State.DRAFT,
    now: datetime = IN_WINDOW,
    **changes: object,
) -> TransitionFacts:
    app_changes = {
        k: changes.pop(k) for k in list(changes) if k in ApplicationFacts.__annotations__
    }
    fields: dict[str, object] = {
        "application_window": SZZX_APPLICATION,
        "screening_window": SZZX_SCREENING,
        "reason": None,
    }
    fields.update(changes)
    return TransitionFacts(
        trigger=trigger,
        actor=actor,
        now=now,
        application=application(state=str(state), **app_changes),
        **fields,  # type: ignore[arg-type]
    )


def refused(rule: Rule, f: TransitionFacts) -> str:
    outcome = rule.check(f)
    assert not outcome.accepted, outcome
    assert outcome.rule == type(rule).__name__
    return outcome.message


def accepted(rule: Rule, f: TransitionFacts) -> None:
    outcome = rule.check(f)
    assert outcome.accepted, outcome.message


class TestTransitionFacts:
    def test_naive_now_is_refused_naming_the_field(self) -> None:
        with pytest.raises(ValueError, match="^now: naive"):
            facts("submit", APPLICANT, now=datetime(2026, 6, 1, 10, 0))

    def test_clauses_and_lists_are_frozen(self) -> None:
        clauses = {"route": "x 七"}
        f = facts("submit", APPLICANT, clauses=clauses, form_errors=["a"], quotas=[])
        clauses["route"] = "changed"
        assert f.clause("route") == "x 七"
        assert isinstance(f.clauses, MappingProxyType)
        assert f.form_errors == ("a",)
        with pytest.raises(TypeError):
            f.clauses["route"] = "y"  # type: ignore[index]

    def test_any_aware_zone_is_accepted(self) -> None:
        utc = datetime(2026, 6, 20, 15, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Shanghai
        accepted(RefuseLateSubmission(), facts("submit", APPLICANT, now=utc))
        refused(RefuseLateSubmission(), facts("submit", APPLICANT, now=utc + timedelta(seconds=1)))


class TestEnforceAllowedTrigger:
    rule = EnforceAllowedTrigger()

    def test_trigger_leaving_the_current_state_is_accepted(self) -> None:
        accepted(self.rule, facts("submit", APPLICANT, State.DRAFT))
        accepted(self.rule, facts("withdraw", APPLICANT, State.EXPERT_SCORING))

    def test_unknown_trigger_is_refused(self) -> None:
        message = refused(self.rule, facts("approve", APPLICANT))
        assert "unknown trigger 'approve'" in message

    def test_trigger_from_a_wrong_state_is_refused(self) -> None:
        message = refused(self.rule, facts("submit", APPLICANT, State.RECOMMENDED))
        assert message.startswith("当前状态不允许此操作")
        assert "state recommended" in message and "allowed from: draft" in message

    def test_final_state_refuses_everything(self) -> None:
        for trigger in TRIGGERS:
            refused(self.rule, facts(trigger, MINISTRY, State.WITHDRAWN))

    def test_unknown_state_is_refused(self) -> None:
        assert "unknown state" in refused(self.rule, facts("submit", APPLICANT, "archived"))


class TestEnforceActorRole:
    rule = EnforceActorRole()

    def test_allowed_roles_are_accepted(self) -> None:
        accepted(self.rule, facts("submit", APPLICANT))
        accepted(self.rule, facts("recommend", Actor(Role.GROUP, GROUP), State.SUBMITTED))
        accepted(self.rule, facts("lapse", SYSTEM))
        accepted(self.rule, facts("confirm", SYSTEM, State.PUBLIC_NOTICE))

    def test_wrong_role_is_refused_naming_the_allowed_ones(self) -> None:
        message = refused(self.rule, facts("submit", GUANGDONG))
        assert "role province" in message and "allowed: enterprise" in message
        refused(self.rule, facts("recommend", APPLICANT, State.SUBMITTED))
        refused(self.rule, facts("lapse", MINISTRY))
        refused(self.rule, facts("shortlist", SYSTEM, State.EXPERT_SCORING))
        refused(self.rule, facts("submit", Actor(Role.EXPERT, "e17")))

    def test_auditor_changes_nothing_ever(self) -> None:
        for trigger in [*TRIGGERS, "anything"]:
            message = refused(self.rule, facts(trigger, AUDITOR))
            assert message.startswith("审计人员只读")


class TestOnlyApplicantActs:
    rule = OnlyApplicantActs()

    def test_applicant_submits_and_withdraws_its_own(self) -> None:
        accepted(self.rule, facts("submit", APPLICANT))
        accepted(self.rule, facts("withdraw", APPLICANT, State.RECOMMENDED))

    def test_another_enterprise_is_refused(self) -> None:
        intruder = Actor(Role.ENTERPRISE, OTHER_USCC)
        for trigger in ("submit", "withdraw"):
            message = refused(self.rule, facts(trigger, intruder))
            assert OTHER_USCC in message and f"enterprise:{USCC}" in message

    def test_does_not_guard_reviews(self) -> None:
        accepted(self.rule, facts("recommend", GUANGDONG, State.SUBMITTED))


class TestOnlyOwnProvinceReviews:
    rule = OnlyOwnProvinceReviews()

    def test_guards_exactly_the_review_triggers(self) -> None:
        assert self.rule.TRIGGERS == {"return_for_revision", "reject", "recommend"}

    def test_own_province_reviews(self) -> None:
        for trigger in ("return_for_revision", "reject", "recommend"):
            accepted(self.rule, facts(trigger, GUANGDONG, State.SUBMITTED))

    def test_other_province_is_refused(self) -> None:
        message = refused(self.rule, facts("recommend", ZHEJIANG, State.SUBMITTED))
        assert "province:浙江" in message and "province:广东" in message

    def test_own_group_reviews_and_another_group_does_not(self) -> None:
        accepted(self.rule, facts("reject", Actor(Role.GROUP, GROUP), State.SUBMITTED, group=GROUP))
        refused(
            self.rule,
            facts(
                "reject", Actor(Role.GROUP, "中国华能集团有限公司"), State.SUBMITTED, group=GROUP
            ),
        )

    def test_group_cannot_review_an_application_without_a_group(self) -> None:
        message = refused(self.rule, facts("recommend", Actor(Role.GROUP, GROUP), State.SUBMITTED))
        assert "no central enterprise group" in message

    def test_province_cannot_review_an_application_without_a_province(self) -> None:
        refused(
            self.rule, facts("recommend", GUANGDONG, State.SUBMITTED, province=None, group=GROUP)
        )


class TestRefuseEarlySubmission:
    rule = RefuseEarlySubmission()

    def test_first_instant_is_accepted(self) -> None:
        accepted(self.rule, facts("submit", APPLICANT, now=datetime(2026, 5, 27, tzinfo=SH)))

    def test_one_second_before_is_refused_with_the_opening_instant(self) -> None:
        message = refused(
            self.rule, facts("submit", APPLICANT, now=datetime(2026, 5, 26, 23, 59, 59, tzinfo=SH))
        )
        assert message == (
            "尚未开始受理: the application window of szzx-2026-2 opens at "
            "2026-05-27 00:00:00 +08:00"
        )

    def test_no_window_means_no_restriction(self) -> None:
        accepted(self.rule, facts("submit", APPLICANT, application_window=None))


class TestRefuseLateSubmission:
    rule = RefuseLateSubmission()

    def test_last_second_is_accepted(self) -> None:
        accepted(self.rule, facts("submit", APPLICANT, now=LAST_SECOND))

    def test_midnight_after_is_refused_with_the_closing_instant(self) -> None:
        message = refused(self.rule, facts("submit", APPLICANT, now=AFTER_CLOSE))
        assert message == (
            "逾期不予受理: the application window of szzx-2026-2 closed at "
            "2026-06-20 23:59:59 +08:00"
        )

    def test_other_triggers_are_not_guarded(self) -> None:
        accepted(self.rule, facts("withdraw", APPLICANT, now=AFTER_CLOSE))


class TestWindowRefusalsCiteTheirClause:
    """A window refusal ends with the window's clause from the edition's own file."""

    @pytest.mark.parametrize(
        ("rule", "trigger", "actor", "state", "now", "section"),
        [
            (RefuseEarlySubmission(), "submit", APPLICANT, State.DRAFT, "early", "application"),
            (RefuseLateSubmission(), "submit", APPLICANT, State.DRAFT, "late", "application"),
            (
                RefuseEarlyRecommendation(),
                "recommend",
                GUANGDONG,
                State.SUBMITTED,
                "in",
                "screening",
            ),
            (
                RefuseLateRecommendation(),
                "recommend",
                GUANGDONG,
                State.SUBMITTED,
                "after",
                "screening",
            ),
        ],
    )
    def test_the_clause_of_the_window(
        self, rule: Rule, trigger: str, actor: Actor, state: State, now: str, section: str
    ) -> None:
        from programs.editions import load_edition
        from states.rules import edition_clauses

        edition = load_edition("szzx-2026-2")
        at = {
            "early": datetime(2026, 5, 26, tzinfo=SH),
            "late": AFTER_CLOSE,
            "in": LAST_SECOND,
            "after": datetime(2026, 7, 1, tzinfo=SH),
        }[now]
        f = facts(trigger, actor, state, now=at, clauses=edition_clauses(edition))
        message = refused(rule, f)
        expected = {"application": "三（一）", "screening": "三（二）"}[section]
        assert message.endswith(f" (工信厅规函〔2026〕238号 {expected})")
        window = getattr(edition, f"{section}_window")
        assert edition.clauses[f"{section}_window"] == f"工信厅规函〔2026〕238号 {expected}"
        assert window is not None

    def test_another_editions_window_cites_its_own_document(self) -> None:
        f = facts(
            "submit",
            APPLICANT,
            now=AFTER_CLOSE,
            clauses={"application_window": "商办服贸函〔2021〕360号 二"},
        )
        assert refused(RefuseLateSubmission(), f).endswith(" (商办服贸函〔2021〕360号 二)")


class TestReturnOnlyWhileWindowOpen:
    rule = ReturnOnlyWhileWindowOpen()

    def test_return_during_the_window(self) -> None:
        accepted(
            self.rule, facts("return_for_revision", GUANGDONG, State.SUBMITTED, now=LAST_SECOND)
        )

    def test_return_after_the_window_is_refused(self) -> None:
        message = refused(
            self.rule, facts("return_for_revision", GUANGDONG, State.SUBMITTED, now=AFTER_CLOSE)
        )
        assert message.startswith("申报期外不得退回修改")
        assert "closed at 2026-06-20 23:59:59 +08:00" in message

    def test_reject_after_the_window_is_not_guarded(self) -> None:
        accepted(self.rule, facts("reject", GUANGDONG, State.SUBMITTED, now=AFTER_CLOSE))


class TestLapseOnlyAfterWindow:
    rule = LapseOnlyAfterWindow()

    def test_lapse_at_the_first_instant_after_the_window(self) -> None:
        accepted(self.rule, facts("lapse", SYSTEM, now=AFTER_CLOSE))

    def test_lapse_in_the_last_second_is_refused(self) -> None:
        message = refused(self.rule, facts("lapse", SYSTEM, now=LAST_SECOND))
        assert message.startswith("申报期尚未结束")
        assert "2026-06-20 23:59:59 +08:00" in message

    def test_lapse_without_a_window_is_refused(self) -> None:
        refused(self.rule, facts("lapse", SYSTEM, now=AFTER_CLOSE, application_window=None))


class TestRefuseEarlyRecommendation:
    rule = RefuseEarlyRecommendation()

    def test_recommend_from_the_first_screening_instant(self) -> None:
        accepted(self.rule, facts("recommend", GUANGDONG, State.SUBMITTED, now=AFTER_CLOSE))

    def test_recommend_before_screening_opens_is_refused(self) -> None:
        message = refused(
            self.rule, facts("recommend", GUANGDONG, State.SUBMITTED, now=LAST_SECOND)
        )
        assert message == (
            "尚未开始初筛推荐: the provincial screening window of szzx-2026-2 opens at "
            "2026-06-21 00:00:00 +08:00"
        )

    def test_edition_without_screening_window(self) -> None:
        accepted(
            self.rule,
            facts("recommend", GUANGDONG, State.SUBMITTED, now=IN_WINDOW, screening_window=None),
        )


class TestRefuseLateRecommendation:
    rule = RefuseLateRecommendation()

    def test_last_second_of_screening_is_accepted(self) -> None:
        now = datetime(2026, 6, 30, 23, 59, 59, tzinfo=SH)
        accepted(self.rule, facts("recommend", GUANGDONG, State.SUBMITTED, now=now))

    def test_after_screening_is_refused(self) -> None:
        now = datetime(2026, 7, 1, tzinfo=SH)
        message = refused(self.rule, facts("recommend", GUANGDONG, State.SUBMITTED, now=now))
        assert message == (
            "逾期不予受理: the provincial screening window of szzx-2026-2 closed at "
            "2026-06-30 23:59:59 +08:00"
        )

    def test_edition_without_screening_window(self) -> None:
        now = datetime(2027, 1, 1, tzinfo=SH)
        accepted(
            self.rule,
            facts("recommend", GUANGDONG, State.SUBMITTED, now=now, screening_window=None),
        )


class TestRequireReason:
    rule = RequireReason()

    def test_guards_the_triggers_the_table_marks(self) -> None:
        assert self.rule.TRIGGERS == {"return_for_revision", "reject", "revoke"}

    @pytest.mark.parametrize("reason", [None, "", "   ", "\u3000\n"])
    @pytest.mark.parametrize("trigger", ["return_for_revision", "reject", "revoke"])
    def test_missing_or_blank_reason_is_refused(self, trigger: str, reason: str | None) -> None:
        message = refused(self.rule, facts(trigger, GUANGDONG, State.SUBMITTED, reason=reason))
        assert message.startswith("须填写理由: reason (--reason)")
        assert trigger in message

    def test_a_reason_is_accepted(self) -> None:
        accepted(self.rule, facts("reject", GUANGDONG, State.SUBMITTED, reason="材料不真实"))

    def test_recommend_and_renew_need_no_reason(self) -> None:
        accepted(self.rule, facts("recommend", GUANGDONG, State.SUBMITTED))
        accepted(self.rule, facts("renew", MINISTRY, State.UNDER_RECERTIFICATION))


class TestRefuseInvalidForm:
    rule = RefuseInvalidForm()

    def test_valid_form_is_accepted(self) -> None:
        accepted(self.rule, facts("submit", APPLICANT))

    def test_every_error_is_listed(self) -> None:
        errors = ("employees: required", "main_industries: at most 3 (got 4)")
        message = refused(self.rule, facts("submit", APPLICANT, form_errors=errors))
        assert "2 error(s)" in message
        assert all(e in message for e in errors)

    def test_only_submit_is_guarded(self) -> None:
        accepted(self.rule, facts("withdraw", APPLICANT, form_errors=("x: bad",)))


class TestEnforceProvincialQuota:
    rule = EnforceProvincialQuota()
    CLAUSE = "工信厅规函〔2026〕238号 三（二）"

    def test_below_every_limit_is_accepted(self) -> None:
        quotas = (
            QuotaUsage("广东 total", 3, 2, self.CLAUSE),
            QuotaUsage("广东 consortium", 1, 0, self.CLAUSE),
        )
        accepted(self.rule, facts("recommend", GUANGDONG, State.SUBMITTED, quotas=quotas))

    def test_no_quota_is_no_limit(self) -> None:
        accepted(self.rule, facts("recommend", GUANGDONG, State.SUBMITTED, quotas=()))

    def test_a_full_quota_is_refused_naming_quota_limit_used_and_clause(self) -> None:
        quotas = (
            QuotaUsage("广东 total", 3, 1, self.CLAUSE),
            QuotaUsage("广东 consortium", 1, 1, self.CLAUSE),
        )
        message = refused(
            self.rule,
            facts("recommend", GUANGDONG, State.SUBMITTED, consortium=True, quotas=quotas),
        )
        assert message == (
            "超出推荐名额: quota 广东 consortium: limit 1, already recommended 1 "
            "(工信厅规函〔2026〕238号 三（二）)"
        )

    def test_over_the_limit_is_refused_too(self) -> None:
        quotas = (
            QuotaUsage("中央企业集团 manufacturing", 1, 2, "商办服贸函〔2021〕360号 附件1 七"),
        )
        message = refused(self.rule, facts("recommend", GUANGDONG, State.SUBMITTED, quotas=quotas))
        assert "limit 1, already recommended 2" in message


class TestPolicy:
    def test_every_rule_has_a_docstring_citing_a_clause(self) -> None:
        for rule in POLICY:
            doc = rule.__doc__ or ""
            assert "Clause:" in doc, rule.__name__

    def test_every_rule_guards_only_triggers_of_the_table(self) -> None:
        for rule in POLICY:
            assert rule.TRIGGERS is None or rule.TRIGGERS <= set(TRIGGERS), rule.__name__

    def test_rules_for_recommend(self) -> None:
        names = [r.__name__ for r in rules_for("recommend")]
        assert "EnforceProvincialQuota" in names and "RefuseLateSubmission" not in names

    def test_a_valid_submission_is_accepted(self) -> None:
        outcome = evaluate(facts("submit", APPLICANT, now=LAST_SECOND))
        assert outcome.accepted
        assert outcome.message == f"accepted: submit draft -> submitted by enterprise:{USCC}"

    def test_first_rejection_wins(self) -> None:
        # late AND from someone else AND an invalid form: ownership is checked first.
        f = facts("submit", Actor(Role.ENTERPRISE, OTHER_USCC), now=AFTER_CLOSE, form_errors=("x",))
        assert evaluate(f).rule == "OnlyApplicantActs"
        f = facts("submit", APPLICANT, now=AFTER_CLOSE, form_errors=("x",))
        assert evaluate(f).rule == "RefuseLateSubmission"

    def test_check_or_raise_raises_a_refusal_whose_text_is_the_message(self) -> None:
        with pytest.raises(Refusal) as info:
            check_or_raise(facts("submit", APPLICANT, now=AFTER_CLOSE))
        assert info.value.rule == "RefuseLateSubmission"
        assert str(info.value) == (
            "逾期不予受理: the application window of szzx-2026-2 closed at "
            "2026-06-20 23:59:59 +08:00"
        )

    def test_check_or_raise_returns_the_acceptance(self) -> None:
        outcome = check_or_raise(facts("recommend", GUANGDONG, State.SUBMITTED, now=IN_SCREENING))
        assert outcome.accepted

    def test_auditor_is_refused_before_anything_else(self) -> None:
        outcome = evaluate(facts("recommend", AUDITOR, State.SUBMITTED, now=IN_SCREENING))
        assert outcome.rule == "EnforceActorRole"


class TestActorParse:
    """`--as` text: the actor every rule above is given."""

    @pytest.mark.parametrize(
        ("text", "role", "scope"),
        [
            ("enterprise:91440300MA5XXXXX", Role.ENTERPRISE, "91440300MA5XXXXX"),
            ("province:广东", Role.PROVINCE, "广东"),
            (f"group:{GROUP}", Role.GROUP, GROUP),
            ("ministry", Role.MINISTRY, None),
            ("expert:e17", Role.EXPERT, "e17"),
            ("auditor", Role.AUDITOR, None),
            ("system", Role.SYSTEM, None),
            (" Province：广东 ", Role.PROVINCE, "广东"),
        ],
    )
    def test_accepted_forms_round_trip(self, text: str, role: Role, scope: str | None) -> None:
        actor = Actor.parse(text)
        assert (actor.role, actor.scope) == (role, scope)
        assert Actor.parse(str(actor)) == actor

    @pytest.mark.parametrize(
        "text",
        ["", "   ", "boss", "province", "province:", "enterprise: ", "ministry:x", "auditor:a"],
    )
    def test_bad_text_names_the_field_and_the_accepted_forms(self, text: str) -> None:
        with pytest.raises(ValueError) as info:
            Actor.parse(text)
        message = str(info.value)
        assert message.startswith("--as: ")
        assert "enterprise:<统一社会信用代码>" in message and "auditor" in message

    def test_constructor_validates_too(self) -> None:
        with pytest.raises(ValueError, match="--as"):
            Actor(Role.PROVINCE)
        with pytest.raises(ValueError, match="--as"):
            Actor(Role.SYSTEM, "x")
        assert Actor("province", "广东").role is Role.PROVINCE  # type: ignore[arg-type]
