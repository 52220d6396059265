"""Annual reports on a real database (edition B: the report on 2022 is due 2022-11-30): validated,
late ones accepted and marked with official working days late, who is late by province."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from programs.forms import example_annual_report
from states.actors import Actor
from states.rules import Refusal
from store import audit
from store.review_models import AnnualReport
from tests.conftest import uscc
from tests.fixtures.lifecycle import MINISTRY, t
from tests.fixtures.review import (
    SHEET,
    SYSTEM,
    Campaign,
    campaign_b,
    check_audit,
    recommended,
    score_all,
)

REPORT = example_annual_report("liangrong-2021")


def confirmed_b(c: Campaign, *specs: tuple[int, str]) -> list[tuple[int, Actor]]:
    """Edition B titles confirmed on 2021-12-27, the report on 2022 opened on 2022-10-08."""
    apps = [recommended(c, n, province, "manufacturing") for n, province in specs]
    c.review.define_sheet(c.id, SHEET, actor=MINISTRY, now=t("2021-12-11T09:00:00"))
    c.review.open_scoring(c.id, now=t("2021-12-11T09:00:00"), actor=MINISTRY)
    for app_id, _ in apps:
        score_all(c, app_id, 35, 50, t("2021-12-13T09:00:00"))
    c.review.shortlist(c.id, min_score="60", actor=MINISTRY, now=t("2021-12-15T09:00:00"))
    c.review.publish_notice(c.id, at=t("2021-12-20T09:00:00"), actor=MINISTRY)
    c.review.close_notice(c.id, actor=SYSTEM, now=t("2021-12-27T09:00:00"))
    opened = c.review.open_reports("liangrong-2021", 2022, actor=SYSTEM, now=t("2022-10-08"))
    assert sorted(opened.opened) == sorted(a for a, _ in apps)
    return apps


@pytest.fixture
def c(db_url: str) -> Campaign:
    return campaign_b(db_url)


class TestLateness:
    def test_last_second_of_the_due_day_is_on_time(self, c: Campaign) -> None:
        ((app_id, me),) = confirmed_b(c, (1, "广东"))
        done = c.review.submit_report(app_id, 2022, REPORT, actor=me, now=t("2022-11-30T23:59:59"))
        assert (done.due_date, done.overdue, done.working_days_late) == (
            date(2022, 11, 30),
            False,
            0,
        )

    def test_one_working_day_late_is_marked_so(self, c: Campaign) -> None:
        ((app_id, me),) = confirmed_b(c, (2, "广东"))
        done = c.review.submit_report(app_id, 2022, REPORT, actor=me, now=t("2022-12-01T00:00:00"))
        assert (done.overdue, done.working_days_late) == (True, 1)
        with c.lc.db.sessions() as s:
            report = s.scalars(select(AnnualReport)).one()
            assert report.overdue and report.working_days_late == 1
            assert report.calendar_version and report.data == REPORT
            record = audit.history(s, app_id)[-1]
            assert (record.trigger, record.accepted) == ("report:submit", True)
            assert record.details["report"]["working_days_late"] == 1
        assert c.review.overdue(now=t("2022-12-10"), include_submitted=True)[0].app_id == app_id
        assert c.review.overdue(now=t("2022-12-10")) == []

    def test_a_weekend_counts_no_working_day(self, c: Campaign) -> None:
        ((app_id, me),) = confirmed_b(c, (3, "广东"))
        # Thursday 1, Friday 2, (weekend), Monday 5 December
        done = c.review.submit_report(app_id, 2022, REPORT, actor=me, now=t("2022-12-05T10:00:00"))
        assert done.working_days_late == 3


class TestOverdue:
    def test_who_is_late_by_province(self, c: Campaign) -> None:
        (gd, gd_me), (hb, _), (gd2, _) = confirmed_b(c, (10, "广东"), (11, "湖北"), (12, "广东"))
        c.review.submit_report(
            gd2,
            2022,
            REPORT,
            actor=Actor.parse(f"enterprise:{uscc(12)}"),
            now=t("2022-11-29T10:00:00"),
        )
        assert c.review.overdue(now=t("2022-11-30T23:59:59")) == []
        late = c.review.overdue(now=t("2022-12-06T09:00:00"))
        assert [(r.app_id, r.working_days_late) for r in late] == [(gd, 4), (hb, 4)]
        only_gd = c.review.overdue(now=t("2022-12-06T09:00:00"), province="广东省")
        assert [(r.app_id, r.province, r.report_year) for r in only_gd] == [(gd, "广东", 2022)]
        assert only_gd[0].to_dict()["due_date"] == "2022-11-30"
        # a revoked title stops reporting: no longer listed, and its report is refused
        c.review.open_recertification(app_id=hb, actor=SYSTEM, now=t("2024-12-27T09:00:00"))
        c.review.revoke(hb, reason="复审不合格", actor=MINISTRY, now=t("2025-01-06T09:00:00"))
        assert [r.app_id for r in c.review.overdue(now=t("2025-01-07"))] == [gd]
        with pytest.raises(Refusal, match="称号已撤销") as info:
            c.review.submit_report(
                hb, 2022, REPORT, actor=Actor.parse(f"enterprise:{uscc(11)}"), now=t("2025-01-07")
            )
        assert info.value.rule == "NoReportsAfterRevocation"
        c.review.submit_report(gd, 2022, REPORT, actor=gd_me, now=t("2025-01-07T09:00:00"))
        assert c.review.overdue(now=t("2025-01-08")) == []
        check_audit(c, [gd, hb, gd2])


class TestValidation:
    def test_invalid_report_lists_every_problem_and_is_audited(self, c: Campaign) -> None:
        ((app_id, me),) = confirmed_b(c, (20, "广东"))
        bad = {"report": {**REPORT["report"], "year": 2023, "employees": "很多"}}
        del bad["report"]["revenue"]
        with pytest.raises(Refusal) as info:
            c.review.submit_report(app_id, 2022, bad, actor=me, now=t("2022-11-01T09:00:00"))
        message = str(info.value)
        assert info.value.rule == "RequireValidAnnualReport"
        assert "report.revenue" in message and "report.employees" in message
        assert "report.year: 报告年度2023与报送年度2022不符" in message
        with c.lc.db.sessions() as s:
            assert s.scalars(select(AnnualReport)).one().submitted_at is None
            record = audit.history(s, app_id)[-1]
            assert (record.trigger, record.accepted, record.rule) == (
                "report:submit",
                False,
                "RequireValidAnnualReport",
            )

    def test_only_the_holder_reports_once_on_an_opened_year(self, c: Campaign) -> None:
        ((app_id, me),) = confirmed_b(c, (21, "广东"))
        with pytest.raises(Refusal) as other:
            c.review.submit_report(
                app_id,
                2022,
                REPORT,
                actor=Actor.parse(f"enterprise:{uscc(99)}"),
                now=t("2022-11-01"),
            )
        assert other.value.rule == "OnlyTitleHolderReports"
        with pytest.raises(Refusal, match="年度报告未开启") as not_open:
            c.review.submit_report(app_id, 2023, REPORT, actor=me, now=t("2022-11-01"))
        assert not_open.value.rule == "ReportNotOpen"
        c.review.submit_report(app_id, 2022, REPORT, actor=me, now=t("2022-11-01T09:00:00"))
        with pytest.raises(Refusal, match="已报送"):
            c.review.submit_report(app_id, 2022, REPORT, actor=me, now=t("2022-11-02T09:00:00"))

    def test_opening_is_idempotent_and_not_before_the_year(self, c: Campaign) -> None:
        ((app_id, _),) = confirmed_b(c, (22, "广东"))
        again = c.review.open_reports("liangrong-2021", 2022, actor=SYSTEM, now=t("2022-10-09"))
        assert again.opened == [] and "already open" in again.skipped[app_id]
        with pytest.raises(ValueError, match="report_year: 2023"):
            c.review.open_reports("liangrong-2021", 2023, actor=SYSTEM, now=t("2022-12-31"))
        with pytest.raises(Refusal) as role:
            c.review.open_reports(
                "liangrong-2021", 2022, actor=Actor.parse("province:广东"), now=t("2022-10-09")
            )
        assert role.value.rule == "EnforceActorRole"


class TestRenewedTitle:
    """A title renewed at recertification keeps reporting every year (seed 001 附件1 十一 每年,
    十三): the report year is the title's, not the edition's form year span (2022—2024)."""

    def test_renewed_title_files_its_2025_report(self, c: Campaign) -> None:
        import copy

        ((app_id, me),) = confirmed_b(c, (20, "广东"))
        c.review.open_recertification(actor=SYSTEM, now=t("2024-12-28T09:00:00"), app_id=app_id)
        c.review.renew(app_id, reason="复审合格", actor=MINISTRY, now=t("2025-01-10T09:00:00"))
        title = c.review.title(app_id)
        assert title is not None and (title.term_first, title.term_last) == (2025, 2027)
        opened = c.review.open_reports("liangrong-2021", 2025, actor=SYSTEM, now=t("2025-10-08"))
        assert app_id in opened.opened
        report = copy.deepcopy(REPORT)
        report["report"]["year"] = 2025
        done = c.review.submit_report(app_id, 2025, report, actor=me, now=t("2025-11-20T10:00"))
        assert (done.report_year, done.overdue) == (2025, False)

    def test_the_report_still_names_its_own_year(self, c: Campaign) -> None:
        ((app_id, me),) = confirmed_b(c, (21, "广东"))
        with pytest.raises(Refusal, match="报告年度2023与报送年度2022不符"):
            import copy

            report = copy.deepcopy(REPORT)
            report["report"]["year"] = 2023
            c.review.submit_report(app_id, 2022, report, actor=me, now=t("2022-11-20T10:00"))
