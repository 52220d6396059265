"""Policy rules after the provincial review: scoring complete, 公示 over and its outcome, an edition
with a notice, recertification due. Each reads the typed facts of its stage (ScoringFacts,
NoticeFacts, RecertFacts) that the store computes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from states.lifecycle import State
from states.rules import Outcome, Rule, TransitionFacts

SHANGHAI = ZoneInfo("Asia/Shanghai")


class RequireAllExpertScores(Rule):
    """An application leaves expert scoring only when every assigned expert has scored or has been
    replaced (with a reason), and at least the edition's minimum number of experts have scored.

    Reads `facts.scoring` (ScoringFacts); without it the move is refused.
    Clause: 商办服贸函〔2021〕360号 (seed 001) 附件1 八 "委托专家组对企业申请材料进行初评并打分……
    根据专家组评分和意见进行综合评议，确定入围重点企业名单"; 两融企业申报工作方案 2026-2028
    (seed 000) 八 "组织评审，初步确定入围的两融企业名单".
    """

    TRIGGERS = frozenset({"shortlist", "decline"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        if facts.scoring is not None and facts.scoring.complete:
            return self.accept()
        detail = (facts.scoring.detail if facts.scoring else "") or (
            "专家评分情况未知: no scoring facts were given for this application"
        )
        return self.reject(
            f"{detail}; application {facts.application.id} stays in expert scoring"
            f"{facts.cite('shortlist')}"
        )


class RequireEditionHasNotice(Rule):
    """A shortlist is published for 公示 only in an edition that has a public notice.

    Reads `facts.notice.has_notice` (the edition's `notice_working_days` is set).
    Clause: 商办服贸函〔2021〕360号 附件1 九 "入围重点企业名单在商务部门户网站公示5个工作日";
    两融企业申报工作方案 2026-2028 九; 工信厅规函〔2026〕238号 三（三）(按程序确定).
    """

    TRIGGERS = frozenset({"publish_notice"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        if facts.notice is not None and facts.notice.has_notice:
            return self.accept()
        return self.reject(
            f"本批次无公示: edition {facts.application.edition_id} has no public notice (公示) "
            f"period; application {facts.application.id} cannot be published for notice"
            f"{facts.cite('notice')}"
        )


def _notice_end(facts: TransitionFacts) -> str:
    ends = facts.notice.ends if facts.notice is not None else None
    return ends or "(end of the notice period unknown)"


def _notice_outcome(facts: TransitionFacts) -> str | None:
    return facts.notice.outcome if facts.notice is not None else None


class RequireNoticeOver(Rule):
    """Confirm or remove only once the notice period is over.

    Reads `facts.notice` (NoticeFacts: the outcome, confirm | remove | hold | running, from
    `states.notice.notice_outcome`, and the last instant, as shown).
    Clause: 商办服贸函〔2021〕360号 附件1 九 "公示5个工作日" and 十 "经公示无异议或异议不成立的……
    公布为重点企业"; 两融企业申报工作方案 2026-2028 九.
    """

    TRIGGERS = frozenset({"confirm", "remove"})
    FROM_STATES = frozenset({State.PUBLIC_NOTICE})  # from shortlisted: no 公示 to wait for

    def decide(self, facts: TransitionFacts) -> Outcome:
        outcome = _notice_outcome(facts)
        if outcome in ("confirm", "remove", "hold"):
            return self.accept()
        if outcome == "running":
            return self.reject(
                f"公示期未结束: the notice period of application {facts.application.id} runs until "
                f"{_notice_end(facts)}; it cannot be decided before it is over"
                f"{facts.cite('notice')}"
            )
        return self.reject(
            f"公示结果未知: no notice outcome was given for application {facts.application.id}; "
            f"close the notice to decide it{facts.cite('confirmation')}"
        )


class ConfirmOnlyWithoutUpheldObjection(Rule):
    """Confirm only without an upheld or unresolved objection; remove only for an upheld one.

    Reads `facts.notice.outcome` as `RequireNoticeOver` does: "confirm" allows confirm, "remove"
    allows remove, "hold" (an objection not yet resolved) allows neither.
    Clause: 商办服贸函〔2021〕360号 附件1 十 "经公示无异议或异议不成立的，由商务部、工业和信息化部在
    部门门户网站公布为重点企业"; 两融企业申报工作方案 2026-2028 九 "经公示无异议或异议不成立的，
    ……确定为两融企业".
    """

    TRIGGERS = frozenset({"confirm", "remove"})
    FROM_STATES = frozenset({State.PUBLIC_NOTICE})  # from shortlisted: no 公示, no objection

    def decide(self, facts: TransitionFacts) -> Outcome:
        outcome = _notice_outcome(facts)
        app_id = facts.application.id
        clause = facts.cite("confirmation")
        if facts.trigger == "confirm":
            if outcome == "confirm":
                return self.accept()
            if outcome == "remove":
                return self.reject(
                    f"公示异议成立，不予确认: an objection to application {app_id} was upheld "
                    f"(成立); it is removed, not confirmed{clause}"
                )
            return self.reject(
                f"异议尚未处理: an objection to application {app_id} is not resolved yet; it is "
                f"held until the ministry resolves it{clause}"
            )
        if outcome == "remove":
            return self.accept()
        if outcome == "hold":
            return self.reject(
                f"异议尚未处理: an objection to application {app_id} is not resolved yet; "
                f"removal needs an upheld (成立) objection{clause}"
            )
        return self.reject(
            f"无成立的异议: application {app_id} has no upheld objection; only an upheld (成立) "
            f"objection removes it after the notice{clause}"
        )


class RequireRecertificationDue(Rule):
    """A recertification opens only on or after its due day (Asia/Shanghai), every cycle years
    from confirmation or the last renewal.

    Reads `facts.recert.due` (None when the edition states no recertification cycle).
    Clause: 商办服贸函〔2021〕360号 附件1 十三 "每三年开展新申请企业评议及重点企业复审";
    两融企业申报工作方案 2026-2028 十二 "每三年开展一次两融企业认定".
    """

    TRIGGERS = frozenset({"open_recertification"})

    def decide(self, facts: TransitionFacts) -> Outcome:
        due = facts.recert.due if facts.recert is not None else None
        clause = facts.cite("recertification")
        if due is None:
            return self.reject(
                f"本批次未规定复审: edition {facts.application.edition_id} states no "
                f"recertification cycle; application {facts.application.id} is not re-examined"
                f"{facts.cite('reference')}"
            )
        today = facts.now.astimezone(SHANGHAI).date()
        if today < due:
            return self.reject(
                f"复审尚未到期: the recertification of application {facts.application.id} is due "
                f"on {due.isoformat()} (today is {today.isoformat()} in Asia/Shanghai){clause}"
            )
        return self.accept()


class ConfirmDirectlyOnlyWithoutNotice(Rule):
    """Confirm straight from the shortlist only where the edition holds no 公示.

    The 推介 editions announce their results (C: at the 2024 service-outsourcing fair) without a
    public notice; every other edition confirms only after its notice period. The store passes
    `facts.notice.has_notice` (the edition's `notice_working_days` is set).
    Clause: 中投促函[2023]84号 五 (results announced at the fair); 商办服贸函〔2021〕360号 附件1 九.
    """

    TRIGGERS = frozenset({"confirm"})
    FROM_STATES = frozenset({State.SHORTLISTED})

    def decide(self, facts: TransitionFacts) -> Outcome:
        if facts.notice is not None and not facts.notice.has_notice:
            return self.accept()
        return self.reject(
            f"须经公示: application {facts.application.id} of {facts.application.edition_id} is "
            f"confirmed only after its 公示; publish the notice first{facts.cite('notice')}"
        )
