"""公示 on a real database: the period across National Day, objections only while it runs (to the
second), upheld / dismissed / unresolved outcomes, and the exported list."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from deadlines import default_calendar
from states.actors import Actor
from states.notice import ObjectionError
from states.rules import Refusal
from store import audit
from store.review_models import Notice, NoticeEntry, Objection
from tests.conftest import uscc, valid_form
from tests.fixtures.lifecycle import MINISTRY, t
from tests.fixtures.review import (
    NOTICE_ENDS,
    PUBLISH,
    SHEET,
    SYSTEM,
    Campaign,
    campaign_e,
    check_audit,
    recommended,
    score_all,
    status,
)

LAST_SECOND = NOTICE_ENDS - timedelta(seconds=1)
ONE_SECOND_LATE = NOTICE_ENDS + timedelta(seconds=1)


def on_notice(c: Campaign, *specs: tuple[int, str, str]) -> list[int]:
    """Edition E applications (n, province, name), all shortlisted and published on 2026-09-28."""
    ids = []
    for n, province, name in specs:
        app_id = c.lc.create_application(
            c.edition,
            uscc=uscc(n),
            name=name,
            province=province,
            category="center",
            email=f"u{n}@example.com",
            form=valid_form(c.edition, "center", uscc(n), name),
            now=t("2026-05-28T09:00:00"),
        )
        c.lc.trigger(app_id, "submit", actor=Actor.parse(f"enterprise:{uscc(n)}"), now=c.submit_at)
        c.lc.trigger(
            app_id, "recommend", actor=Actor.parse(f"province:{province}"), now=c.recommend_at
        )
        ids.append(app_id)
    c.review.define_sheet(c.id, SHEET, actor=MINISTRY, now=t("2026-07-20T09:00:00"))
    c.review.open_scoring(c.id, now=t("2026-07-21T09:00:00"), actor=MINISTRY)
    for app_id in ids:
        score_all(c, app_id, 40, 60, t("2026-08-03T09:00:00"))
    c.review.shortlist(c.id, top_k=10, actor=MINISTRY, now=t("2026-09-01T09:00:00"))
    c.review.publish_notice(c.id, at=PUBLISH, actor=MINISTRY)
    return ids


@pytest.fixture
def c(db_url: str) -> Campaign:
    return campaign_e(db_url)


def last_record(c: Campaign, app_id: int) -> tuple[str, bool, str, str]:
    with c.lc.db.sessions() as s:
        r = audit.history(s, app_id)[-1]
        return r.trigger, r.accepted, r.rule, r.message


class TestNoticePeriod:
    def test_period_is_stored_as_absolute_instants_with_the_calendar_version(
        self, c: Campaign
    ) -> None:
        (app_id,) = on_notice(c, (1, "广东", "粤数促中心"))
        with c.lc.db.sessions() as s:
            notice = s.scalars(select(Notice)).one()
            assert (notice.first_day, notice.last_day) == (date(2026, 9, 28), date(2026, 10, 9))
            assert notice.ends_at == NOTICE_ENDS and notice.published_at == PUBLISH
            assert notice.working_days == 5
            assert notice.calendar_version == default_calendar().version
            assert notice.label == "9月28日至10月9日（5个工作日）"
            entry = s.scalars(select(NoticeEntry)).one()
            assert (entry.application_id, entry.name, entry.province) == (
                app_id,
                "粤数促中心",
                "广东",
            )
        assert status(c, app_id) == "public_notice"


class TestObjections:
    def test_accepted_to_the_last_second_and_refused_one_second_after(self, c: Campaign) -> None:
        (app_id,) = on_notice(c, (2, "广东", "单位二"))
        # 10-01 to 10-07 are holidays inside the period: objections are still taken
        c.review.file_objection(
            app_id,
            contact="zhang@example.com",
            reason="假期中提出",
            actor=MINISTRY,
            now=t("2026-10-03T12:00:00"),
        )
        c.review.file_objection(
            app_id, contact="13800000000", reason="最后一秒", actor=MINISTRY, now=LAST_SECOND
        )
        with pytest.raises(Refusal) as info:
            c.review.file_objection(
                app_id,
                contact="13800000000",
                reason="晚了一秒",
                actor=MINISTRY,
                now=ONE_SECOND_LATE,
            )
        assert info.value.rule == "ObjectionOnlyDuringNotice"
        assert str(info.value) == (
            "公示期已结束: the notice period ended at 2026-10-09 23:59:59 +08:00 "
            "(objection filed at 2026-10-10 00:00:01 +08:00)"
        )
        assert last_record(c, app_id) == (
            "objection:file",
            False,
            "ObjectionOnlyDuringNotice",
            str(info.value),
        )
        assert len(c.review.objections(c.id)) == 2
        check_audit(c, [app_id])

    def test_objection_before_publication_or_without_contact_is_refused(self, c: Campaign) -> None:
        app_id, _ = recommended(c, 3, "广东")
        with pytest.raises(Refusal, match="不在公示名单") as info:
            c.review.file_objection(
                app_id, contact="x@example.com", reason="理由", actor=MINISTRY, now=PUBLISH
            )
        assert info.value.rule == "ObjectionOnlyOnNoticeList"
        with pytest.raises(ObjectionError, match="objector_contact"):
            c.review.file_objection(app_id, contact=" ", reason="理由", actor=MINISTRY, now=PUBLISH)
        with pytest.raises(Refusal, match="审计人员只读"):
            c.review.file_objection(
                app_id,
                contact="a@example.com",
                reason="理由",
                actor=Actor.parse("auditor"),
                now=PUBLISH,
            )

    def test_upheld_removes_dismissed_confirms_unresolved_holds(self, c: Campaign) -> None:
        clean, dismissed, upheld, pending = on_notice(
            c, (4, "广东", "甲"), (5, "湖北", "乙"), (6, "江苏", "丙"), (7, "浙江", "丁")
        )
        during = t("2026-09-30T10:00:00")
        o_dismissed = c.review.file_objection(
            dismissed, contact="a@example.com", reason="怀疑数据", actor=MINISTRY, now=during
        )
        o_upheld = c.review.file_objection(
            upheld, contact="b@example.com", reason="材料造假", actor=MINISTRY, now=during
        )
        o_pending = c.review.file_objection(
            pending, contact="c@example.com", reason="尚待核实", actor=MINISTRY, now=during
        )
        with pytest.raises(Refusal) as role:
            c.review.resolve_objection(
                o_upheld, "upheld", reason="x", actor=Actor.parse("province:江苏"), now=during
            )
        assert role.value.rule == "EnforceEventRole"
        with pytest.raises(Refusal, match="处理异议必须说明理由"):
            c.review.resolve_objection(o_upheld, "upheld", reason=" ", actor=MINISTRY, now=during)
        c.review.resolve_objection(
            o_dismissed, "dismissed", reason="经核实无问题", actor=MINISTRY, now=during
        )
        c.review.resolve_objection(
            o_upheld, "upheld", reason="经核实材料不实", actor=MINISTRY, now=during
        )
        with pytest.raises(Refusal, match="已处理为成立") as twice:
            c.review.resolve_objection(
                o_upheld, "dismissed", reason="改判", actor=MINISTRY, now=during
            )
        assert twice.value.rule == "ResolveOnlyOpenObjections"

        closed = c.review.close_notice(c.id, actor=SYSTEM, now=NOTICE_ENDS)
        assert sorted(closed.confirmed) == sorted([clean, dismissed])
        assert closed.removed == [upheld]
        assert list(closed.held) == [pending]
        assert [status(c, a) for a in (clean, dismissed, upheld, pending)] == [
            "confirmed",
            "confirmed",
            "removed_after_notice",
            "public_notice",
        ]
        # the held one is decided by the next close once its objection is resolved
        c.review.resolve_objection(
            o_pending, "dismissed", reason="不成立", actor=MINISTRY, now=t("2026-10-15T09:00")
        )
        closed = c.review.close_notice(c.id, actor=SYSTEM, now=t("2026-10-15T10:00:00"))
        assert closed.confirmed == [pending]
        pending_title = c.review.title(pending)
        assert pending_title is not None and pending_title.start_date == date(2026, 10, 15)
        with c.lc.db.sessions() as s:
            resolved = s.get(Objection, o_upheld)
            assert resolved is not None
            assert (resolved.resolution, resolved.resolution_reason, resolved.resolved_by) == (
                "upheld",
                "经核实材料不实",
                "ministry",
            )
        check_audit(c, [clean, dismissed, upheld, pending])

    def test_close_before_the_end_changes_nothing(self, c: Campaign) -> None:
        (app_id,) = on_notice(c, (8, "广东", "戊"))
        with pytest.raises(Refusal, match="公示期未结束") as info:
            c.review.close_notice(c.id, actor=SYSTEM, now=LAST_SECOND)
        assert info.value.rule == "RequireNoticeOver"
        assert status(c, app_id) == "public_notice"
        assert c.review.title(app_id) is None
        assert last_record(c, app_id)[:3] == ("confirm", False, "RequireNoticeOver")


class TestExport:
    def test_xlsx_and_escaped_html(self, c: Campaign, tmp_path: Path) -> None:
        on_notice(c, (9, "广东", "<script>alert(1)</script>&有限公司"), (10, "湖北", "鄂数促中心"))
        xlsx, page = c.review.export_notice(
            c.id, xlsx=tmp_path / "list.xlsx", html_path=tmp_path / "list.html"
        )
        sheet = load_workbook(xlsx).active
        assert sheet is not None
        rows = [tuple(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
        notes = load_workbook(xlsx)["公示说明"]
        wording = [str(r[0]) for r in notes.iter_rows(min_row=2, values_only=True)]
        assert rows == [
            ("序号", "申报单位名称", "所在省份", "类别"),
            (1, "<script>alert(1)</script>&有限公司", "广东", "制造业数字化转型促进中心"),
            (2, "鄂数促中心", "湖北", "制造业数字化转型促进中心"),
        ]
        period = "公示时间：2026年9月28日 10:00:00 至 2026年10月9日 23:59:59（北京时间，5个工作日）"
        assert period in wording  # to the second, published 10:00 on 28 September
        assert any("以书面形式实名向工业和信息化部提出" in line for line in wording)
        assert "异议受理单位：工业和信息化部" in wording
        assert sheet.page_setup.orientation == "landscape"
        text = page.read_text(encoding="utf-8")
        assert "<script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;有限公司" in text
        assert f"<p>{period}</p>" in text and "异议受理单位：工业和信息化部" in text
        assert text.startswith("<!DOCTYPE html>")

    def test_nothing_to_export_is_an_error(self, c: Campaign, tmp_path: Path) -> None:
        with pytest.raises(LookupError, match="no notice"):
            c.review.export_notice(c.id, html_path=tmp_path / "x.html")
        with pytest.raises(ValueError, match="--xlsx"):
            c.review.export_notice(c.id)


class TestNoticeEndingReminder:
    def test_sent_once_on_the_last_day(self, c: Campaign) -> None:
        from store.models import OutboxMessage
        from store.sweeps import Sweeper

        (app_id,) = on_notice(c, (701, "广东", "提醒测试中心"))
        sweeper = Sweeper(c.lc)
        # 2026-10-09 is the last day of 9/28–10/9: the reminder goes at 09:00 that day
        assert sweeper.run(t("2026-10-09T08:59:59")).reminders["notice_ending"] == 0
        assert sweeper.run(t("2026-10-09T09:00:00")).reminders["notice_ending"] == 1
        assert sweeper.run(t("2026-10-09T20:00:00")).reminders["notice_ending"] == 0
        with c.lc.db.sessions() as s:
            (msg,) = s.scalars(
                select(OutboxMessage).where(OutboxMessage.message_type == "notice_ending")
            ).all()
        assert msg.application_id == app_id
        assert msg.context["notice_label"] == "9月28日至10月9日（5个工作日）"
        assert msg.context["deadline"] == "2026-10-10T00:00:00+08:00"
