"""The whole path from draft to a renewed or revoked title, for editions A, B and E, on a real
database (file SQLite and PostgreSQL), with the 公示 spanning the 2026 National Day holiday."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from deadlines import MissingCalendarYear
from programs.editions import load_edition
from programs.forms import example_annual_report
from states.rules import Refusal
from store.db import Database
from store.review import Review
from store.review_models import AnnualReport, Recertification
from store.service import Lifecycle
from tests.fixtures.lifecycle import MINISTRY, t
from tests.fixtures.review import (
    NOTICE_ENDS,
    PUBLISH,
    SHEET,
    SYSTEM,
    Campaign,
    campaign_a,
    campaign_b,
    campaign_e,
    check_audit,
    messages,
    recommended,
    score_all,
    status,
    through_notice,
    triggers,
)


class TestEditionA:
    """liangrong-2026: term 2026–2028, reports due 1 February next year, recertified every 3
    years; one title renewed, one removed by an upheld objection, one revoked."""

    def test_draft_to_renewed_and_revoked(self, db_url: str) -> None:
        c = campaign_a(db_url)
        keep, keep_me = recommended(c, 1, "广东", "ito")
        objected, _ = recommended(c, 2, "江苏", "ito")
        lose, lose_me = recommended(c, 3, "浙江", "manufacturing")
        apps = [keep, objected, lose]

        c.review.define_sheet(c.id, SHEET, actor=MINISTRY, now=t("2026-07-20T09:00:00"))
        opened = c.review.open_scoring(c.id, now=t("2026-07-21T09:00:00"), actor=MINISTRY)
        assert [r.to_state for r in opened] == ["expert_scoring"] * 3
        score_all(c, keep, 38, 55, t("2026-08-03T09:00:00"))
        score_all(c, objected, 36, 50, t("2026-08-03T09:00:00"))
        score_all(c, lose, 30, 45, t("2026-08-03T09:00:00"))
        ranking = c.review.rank(c.id)
        assert [(r.app_id, r.rank, str(r.score)) for r in ranking["ito"]] == [
            (keep, 1, "93.33"),
            (objected, 2, "86.67"),
        ]
        out = c.review.shortlist(c.id, top_k=2, actor=MINISTRY, now=t("2026-09-01T09:00:00"))
        assert out.ties == []
        assert {k: sorted(v) for k, v in out.selected.items()} == {
            "ito": sorted([keep, objected]),
            "manufacturing": [lose],
        }
        assert [status(c, a) for a in apps] == ["shortlisted"] * 3

        published = c.review.publish_notice(c.id, at=PUBLISH, actor=MINISTRY)
        assert (published.period.first, published.period.last) == (
            date(2026, 9, 28),
            date(2026, 10, 9),
        )
        assert published.period.ends_at == NOTICE_ENDS
        assert published.period.label() == "9月28日至10月9日（5个工作日）"
        assert [status(c, a) for a in apps] == ["public_notice"] * 3

        # an objection on the last day of the period (after the holiday) is accepted
        objection = c.review.file_objection(
            objected,
            contact="13800000000",
            reason="申报的ITO执行额与统计数据不符",
            actor=MINISTRY,
            now=t("2026-10-09T16:30:00"),
        )
        # closing before the end is refused (and audited), nothing changes
        with pytest.raises(Refusal, match="公示期未结束.*2026-10-09 23:59:59 \\+08:00"):
            c.review.close_notice(c.id, actor=SYSTEM, now=NOTICE_ENDS - timedelta(seconds=1))
        assert [status(c, a) for a in apps] == ["public_notice"] * 3

        closed = c.review.close_notice(c.id, actor=SYSTEM, now=t("2026-10-12T09:00:00"))
        assert sorted(closed.confirmed) == sorted([keep, lose])
        assert list(closed.held) == [objected] and "异议尚未处理" in closed.held[objected]
        assert status(c, objected) == "public_notice"

        c.review.resolve_objection(
            objection, "upheld", reason="经核实数据不实", actor=MINISTRY, now=t("2026-10-13T09:00")
        )
        closed = c.review.close_notice(c.id, actor=SYSTEM, now=t("2026-10-13T10:00:00"))
        assert closed.removed == [objected] and closed.confirmed == []
        assert status(c, objected) == "removed_after_notice"

        title = c.review.title(keep)
        assert title is not None
        assert (title.term_first, title.term_last) == (2026, 2028)
        assert title.start_date == title.confirmed_on == date(2026, 10, 12)
        assert title.next_recert_due == date(2029, 10, 12)
        assert c.review.title(objected) is None

        # annual report on 2026, due 2027-02-01: opened for both titles
        opened_reports = c.review.open_reports(
            "liangrong-2026", 2026, actor=SYSTEM, now=t("2026-12-01T09:00:00")
        )
        assert opened_reports.due_date == date(2027, 2, 1)
        assert sorted(opened_reports.opened) == sorted([keep, lose])
        report = example_annual_report("liangrong-2026")
        on_time = c.review.submit_report(
            keep, 2026, report, actor=keep_me, now=t("2027-01-29T10:00:00")
        )
        assert (on_time.overdue, on_time.working_days_late) == (False, 0)
        # a late one needs the 2027 working days, which no shipped notice gives: loud, no guess
        with pytest.raises(MissingCalendarYear, match="2027"):
            c.review.submit_report(lose, 2026, report, actor=lose_me, now=t("2027-02-02T10:00"))
        with c.lc.db.sessions() as s:
            pending = s.scalars(
                select(AnnualReport).where(AnnualReport.submitted_at.is_(None))
            ).all()
            assert [r.report_year for r in pending] == [2026]
        with pytest.raises(MissingCalendarYear):
            c.review.overdue(now=t("2027-02-03T09:00:00"))

        # recertification three years after confirmation
        with pytest.raises(Refusal, match="复审尚未到期.*due on 2029-10-12"):
            c.review.open_recertification(app_id=keep, actor=SYSTEM, now=t("2029-10-11T23:59:59"))
        due = c.review.open_recertification(actor=SYSTEM, now=t("2029-10-12T08:00:00"))
        assert sorted(r.application_id for r in due if r.accepted) == sorted([keep, lose])
        c.review.renew(keep, reason="复审合格", actor=MINISTRY, now=t("2029-11-02T09:00:00"))
        c.review.revoke(
            lose,
            reason="复审不合格：连续两年未报送年度报告",
            actor=MINISTRY,
            now=t("2029-11-02T09:00:00"),
        )
        assert status(c, keep) == "confirmed"
        assert status(c, lose) == "revoked"
        renewed = c.review.title(keep)
        assert renewed is not None
        assert (renewed.term_first, renewed.term_last, renewed.start_date) == (
            2029,
            2031,
            date(2029, 11, 2),
        )
        assert renewed.next_recert_due == date(2032, 11, 2)
        revoked = c.review.title(lose)
        assert revoked is not None and revoked.status == "revoked"
        with c.lc.db.sessions() as s:
            decided = s.scalars(select(Recertification).order_by(Recertification.id)).all()
            assert [(r.cycle_no, r.outcome) for r in decided] == [(1, "renewed"), (1, "revoked")]

        # a revoked title stops annual reporting
        later = c.review.open_reports(
            "liangrong-2026", 2029, actor=SYSTEM, now=t("2029-12-01T09:00:00")
        )
        assert later.opened == [keep]

        moves = [m for m in triggers(c, keep) if ":" not in m[0]]
        assert moves == [
            ("create", True),
            ("submit", True),
            ("recommend", True),
            ("open_scoring", True),
            ("shortlist", True),
            ("publish_notice", True),
            ("confirm", False),  # closing one second before the end
            ("confirm", True),
            ("open_recertification", False),
            ("open_recertification", True),
            ("renew", True),
        ]
        assert ("report:submit", True) in triggers(c, keep)
        sent = [(m.message_type, m.context.get("term")) for m in messages(c, keep)]
        assert ("confirmed", "2026–2028") in sent and ("renewed", "2029–2031") in sent
        published_message = next(
            m for m in messages(c, keep) if m.message_type == "notice_published"
        )
        assert published_message.context["notice_label"] == "9月28日至10月9日（5个工作日）"
        assert published_message.context["deadline"] == "2026-10-10T00:00:00+08:00"
        removed = [m for m in messages(c, objected) if m.message_type == "removed_after_notice"]
        assert removed[0].context["reason"] == "公示异议成立：经核实数据不实"
        check_audit(c, apps)


class TestEditionB:
    """liangrong-2021: confirmed in 2021 (term 2021–2023), first report on 2022 due 2022-11-30,
    recertified in 2024 and renewed."""

    def test_draft_to_renewed(self, db_url: str) -> None:
        c = campaign_b(db_url)
        a1, me1 = recommended(c, 11, "天津", "manufacturing")
        a2, me2 = recommended(c, 12, "天津", "ito")
        c.review.define_sheet(c.id, SHEET, actor=MINISTRY, now=t("2021-12-11T09:00:00"))
        c.review.open_scoring(c.id, now=t("2021-12-11T09:00:00"), actor=MINISTRY)
        score_all(c, a1, 35, 50, t("2021-12-13T09:00:00"))
        score_all(c, a2, 30, 55, t("2021-12-13T09:00:00"))
        c.review.shortlist(c.id, top_k=1, actor=MINISTRY, now=t("2021-12-15T09:00:00"))
        published = c.review.publish_notice(c.id, at=t("2021-12-20T09:00:00"), actor=MINISTRY)
        assert (published.period.first, published.period.last) == (
            date(2021, 12, 20),
            date(2021, 12, 24),
        )
        closed = c.review.close_notice(c.id, actor=SYSTEM, now=t("2021-12-27T09:00:00"))
        assert sorted(closed.confirmed) == sorted([a1, a2])
        title = c.review.title(a1)
        assert title is not None and (title.term_first, title.term_last) == (2021, 2023)

        # the first report is on 2022 (自确定次年起), due 30 November 2022
        skipped = c.review.open_reports(
            "liangrong-2021", 2021, actor=SYSTEM, now=t("2021-12-28T09:00:00")
        )
        assert skipped.opened == [] and set(skipped.skipped) == {a1, a2}
        opened = c.review.open_reports(
            "liangrong-2021", 2022, actor=SYSTEM, now=t("2022-10-08T09:00:00")
        )
        assert opened.due_date == date(2022, 11, 30) and sorted(opened.opened) == [a1, a2]
        report = example_annual_report("liangrong-2021")
        c.review.submit_report(a1, 2022, report, actor=me1, now=t("2022-11-30T23:59:59"))
        # one working day late: Thursday 1 December 2022
        late = c.review.submit_report(a2, 2022, report, actor=me2, now=t("2022-12-01T09:00:00"))
        assert (late.overdue, late.working_days_late) == (True, 1)

        c.review.open_recertification(app_id=a1, actor=SYSTEM, now=t("2024-12-27T09:00:00"))
        c.review.renew(a1, actor=MINISTRY, now=t("2025-01-06T09:00:00"))
        renewed = c.review.title(a1)
        assert renewed is not None and (renewed.term_first, renewed.term_last) == (2025, 2027)
        assert status(c, a1) == "confirmed"
        assert status(c, a2) == "confirmed"
        check_audit(c, [a1, a2])


class TestEditionE:
    """szzx-2026-2 states neither an annual report nor a recertification cycle: a confirmed
    centre has an open-ended title; recertification and reports are refused; it ends only when
    the ministry revokes the title (from confirmed)."""

    def test_draft_to_revoked_from_confirmed(self, db_url: str) -> None:
        c = campaign_e(db_url)
        centre, _ = recommended(c, 21, "广东")
        other, _ = recommended(c, 22, "湖北")
        through_notice(c, [centre, other])
        title = c.review.title(centre)
        assert title is not None
        assert (title.term_first, title.term_last, title.next_recert_due) == (2026, None, None)
        sent = [m for m in messages(c, centre) if m.message_type == "confirmed"]
        assert sent[0].context["term"] == "2026起（未规定期限）"
        assert sent[0].context["title"] == "制造业数字化转型促进中心"

        with pytest.raises(Refusal, match="本批次未规定复审: edition szzx-2026-2") as refused:
            c.review.open_recertification(app_id=centre, actor=SYSTEM, now=t("2029-10-12"))
        assert refused.value.rule == "RequireRecertificationDue"
        assert c.review.open_recertification(actor=SYSTEM, now=t("2030-01-01")) == []
        with pytest.raises(Refusal, match="本批次未规定年度报告") as no_reports:
            c.review.open_reports("szzx-2026-2", 2026, actor=SYSTEM, now=t("2026-12-01"))
        assert no_reports.value.rule == "RequireAnnualReportRule"

        with pytest.raises(Refusal, match="须填写理由"):
            c.review.revoke(centre, reason=" ", actor=MINISTRY, now=t("2027-03-01T09:00:00"))
        c.review.revoke(
            centre, reason="建设方案未按期实施", actor=MINISTRY, now=t("2027-03-01T09:00:00")
        )
        assert status(c, centre) == "revoked"
        assert status(c, other) == "confirmed"
        assert triggers(c, centre)[-4:] == [
            ("confirm", True),
            ("open_recertification", False),
            ("revoke", False),
            ("revoke", True),
        ]
        check_audit(c, [centre, other])


def test_edition_without_notice_cannot_publish(db_url: str) -> None:
    """cciip-2018 states no 公示: publishing is refused by RequireEditionHasNotice and audited."""
    lc = Lifecycle(Database(db_url))
    lc.open_campaign("cciip-2018", now=t("2018-01-01T09:00:00"), actor=MINISTRY)
    c = Campaign(
        lc,
        Review(lc),
        Review(lc).campaign_id("cciip-2018"),
        "cciip-2018",
        t("2018-05-02T09:00:00"),
        t("2018-06-01T09:00:00"),
    )
    app_id, _ = recommended(c, 31, "上海", "supplier")
    c.review.define_sheet(c.id, SHEET, actor=MINISTRY, now=t("2018-07-10T09:00:00"))
    c.review.open_scoring(c.id, now=t("2018-07-10T09:00:00"), actor=MINISTRY)
    score_all(c, app_id, 40, 60, t("2018-07-11T09:00:00"))
    c.review.shortlist(c.id, top_k=5, actor=MINISTRY, now=t("2018-07-20T09:00:00"))
    assert status(c, app_id) == "shortlisted"
    with pytest.raises(Refusal, match="本批次无公示: edition cciip-2018") as info:
        c.review.publish_notice(c.id, at=t("2018-08-01T09:00:00"), actor=MINISTRY)
    assert info.value.rule == "RequireEditionHasNotice"
    # the refusal cites the edition's own document, not 两融's 商办服贸函〔2021〕360号
    assert "360号" not in info.value.message
    assert load_edition("cciip-2018").clause("notice") in info.value.message
    assert status(c, app_id) == "shortlisted"
    assert triggers(c, app_id)[-1] == ("publish_notice", False)
    check_audit(c, [app_id])
