"""Mail checked against the policy it announces, message by message, on a real database.

Each message is taken from the outbox the real path filled, built into MIME, parsed back with
`email`, and its .ics parsed with `icalendar`: which year a report covers, which instant the
calendar event marks and what it is called, who is told of objections and of overdue reports.
"""

from __future__ import annotations

import email
from datetime import date, datetime, timedelta
from email.message import Message
from typing import Any

import icalendar
import pytest
from sqlalchemy import select

from deadlines import SHANGHAI, day_start
from notifications.message import build_email
from notifications.render import render
from programs.editions import load_edition
from states.actors import Actor
from store.contacts import Contacts
from store.events import working_days_late
from store.models import OutboxMessage
from store.sweeps import Sweeper
from tests.integration.test_lifecycle_store import MINISTRY, t
from tests.integration.test_review_notice import NOTICE_ENDS, on_notice
from tests.integration.test_review_path import (
    Campaign,
    campaign_a,
    campaign_b,
    campaign_e,
    recommended,
    through_notice,
)
from tests.integration.test_review_reports import confirmed_b


def outbox(c: Campaign, message_type: str) -> list[OutboxMessage]:
    with c.lc.db.sessions() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.message_type == message_type)
        return list(s.scalars(stmt.order_by(OutboxMessage.id)))


def built(row: OutboxMessage, lang: str | None = None) -> tuple[Message, str, Any]:
    """The message as it leaves (MIME bytes), parsed back: (message, plain text, calendar)."""
    lang = lang or row.lang
    rendered = render(row.message_type, row.context, lang=lang)
    wire = build_email(
        message_id=row.message_id,
        sender="申报系统 <noreply@shenbao.local>",
        to=row.recipient,
        rendered=rendered,
        lang=lang,
        date=row.created_at,
        message_type=row.message_type,
    ).as_bytes()
    msg = email.message_from_bytes(wire)
    text, cal = "", None
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode("utf-8")
        if part.get_content_type() == "text/calendar":
            cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    assert msg["X-Shenbao-Message-Type"] == row.message_type
    return msg, text, cal


def event(cal: Any) -> tuple[str, datetime]:
    (vevent,) = [c for c in cal.walk() if c.name == "VEVENT"]
    end = vevent.decoded("dtend")
    assert end.tzinfo is not None
    return str(vevent.get("summary")), end.astimezone(SHANGHAI)


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# -- the report year a confirmed title reports on, per edition -----------------------------


@pytest.mark.parametrize(
    ("make", "covers", "covers_en"),
    [
        (
            campaign_b,
            "每年11月30日前报送本年度发展情况",
            "current year's development by 30 November",
        ),
        (
            campaign_a,
            "每年2月1日前报送上一年度发展情况",
            "previous year's development by 1 February",
        ),
        (campaign_e, None, None),
    ],
)
def test_confirmed_says_which_year_reports_cover(
    sqlite_url: str, make: Any, covers: str | None, covers_en: str | None
) -> None:
    c = make(sqlite_url)
    if c.edition == "szzx-2026-2":
        (app,) = on_notice(c, (1, "广东", "广东数字化转型促进中心"))
        c.review.close_notice(c.id, actor=Actor.parse("system"), now=NOTICE_ENDS)
        apps = [app]
    elif c.edition == "liangrong-2021":
        apps = [a for a, _ in confirmed_b(c, (1, "广东"))]
    else:
        apps = [recommended(c, 1, "广东", "ito")[0]]
        through_notice(c, apps)
    (row,) = [r for r in outbox(c, "confirmed") if r.application_id == apps[0]]
    _, zh, _ = built(row, "zh")
    _, en, _ = built(row, "en")
    if covers is None:  # 数促中心: no annual report stated, no report promised
        assert "年度发展情况" not in zh and "report" not in en.lower().split("notice")[0]
    else:
        assert covers in zh
        wrong = "上一年度" if "本年度" in covers else "本年度"
        assert wrong not in zh
        assert covers_en in en
        assert "每3年复核一次" in zh and "every 3 years" in en
    assert not has_han(en.replace(row.context["enterprise_name"], ""))


# -- .ics: the instant and the title of what ends there -------------------------------------


@pytest.mark.parametrize("make", [campaign_a, campaign_b, campaign_e])
def test_notice_published_marks_the_end_of_the_notice(sqlite_url: str, make: Any) -> None:
    c = make(sqlite_url)
    if c.edition == "szzx-2026-2":
        on_notice(c, (1, "广东", "广东数字化转型促进中心"))
    elif c.edition == "liangrong-2021":
        confirmed_b(c, (1, "广东"))
    else:
        through_notice(c, [recommended(c, 1, "广东", "ito")[0]])
    (row,) = outbox(c, "notice_published")
    ends = datetime.fromisoformat(row.context["deadline"]).astimezone(SHANGHAI)
    assert ends.time() == datetime.min.time()  # 24:00 of the last day of the notice
    for lang, title in (("zh", "公示截止"), ("en", "Public notice ends")):
        msg, text, cal = built(row, lang)
        summary, end = event(cal)
        assert summary.startswith(title) and "开始" not in summary
        assert end == ends
        if lang == "en":
            assert not has_han(text.replace(row.context["enterprise_name"], ""))
            assert not has_han(summary)


def test_application_window_closing_marks_the_window_end(sqlite_url: str) -> None:
    from tests.integration.test_lifecycle_store import new_app

    c = campaign_e(sqlite_url)
    new_app(c.lc, 5, "广东", edition=c.edition)
    Sweeper(c.lc).run(t("2026-06-17T09:00:00"))  # 3 days before 20 June
    (row,) = outbox(c, "application_window_closing")
    _, _, cal = built(row, "zh")
    summary, end = event(cal)
    assert summary.startswith("申报截止")
    assert end == t("2026-06-21T00:00:00")


def test_annual_report_open_and_due_mark_the_due_instant_never_together(sqlite_url: str) -> None:
    """Edition B: the report on 2022 is due 30 November 2022 (本年度). Opened 30 days before, the
    opening message names the deadline; the 30-day reminder is not sent in the same minute."""
    c = campaign_b(sqlite_url)
    confirmed_b(c, (1, "广东"))
    Sweeper(c.lc).run(t("2022-10-31T09:00:00"))
    assert len(outbox(c, "annual_report_open")) == 1
    assert outbox(c, "annual_report_due") == []
    Sweeper(c.lc).run(t("2022-11-23T09:00:00"))  # 7 days before
    (due,) = outbox(c, "annual_report_due")
    (opened,) = outbox(c, "annual_report_open")
    for row in (opened, due):
        assert row.context["report_year"] == 2022
        _, text, cal = built(row, "zh")
        summary, end = event(cal)
        assert summary.startswith("报告截止")
        assert end == day_start(date(2022, 12, 1))
        assert "2022年度" in text and "2022年11月30日 24:00" in text


def test_report_year_follows_each_edition() -> None:
    a, b = (
        load_edition("liangrong-2026").annual_report,
        load_edition("liangrong-2021").annual_report,
    )
    assert a is not None and b is not None
    assert (a.due_date(2026), a.report_year_due_in(2027)) == (date(2027, 2, 1), 2026)
    assert (b.due_date(2022), b.report_year_due_in(2022)) == (date(2022, 11, 30), 2022)


# -- objections: the applicant hears when one is filed and when it is resolved -------------


def test_objection_mail_when_filed_and_when_resolved(sqlite_url: str) -> None:
    c = campaign_e(sqlite_url)
    (app,) = on_notice(c, (7, "江苏", "江苏数字化转型促进中心"))
    oid = c.review.file_objection(
        app, contact="13900000000", reason="数据不实", actor=Actor.parse("public"),
        now=t("2026-10-08T10:00:00"),
    )  # fmt: skip
    (filed,) = outbox(c, "objection_received")
    _, text, cal = built(filed, "zh")
    assert cal is None and "收到关于贵单位申报的异议" in text and "2026年10月8日 10:00" in text
    assert "13900000000" not in text  # the objector's contact stays with the ministry
    c.review.resolve_objection(oid, "dismissed", reason="经核查不属实", actor=MINISTRY,
                               now=t("2026-10-09T11:00:00"))  # fmt: skip
    rows = outbox(c, "objection_received")
    assert len(rows) == 2
    msg, text, _ = built(rows[1], "zh")
    assert "异议不成立" in text and "经核查不属实" in text
    assert "异议不成立" in str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    _, en, _ = built(rows[1], "en")
    assert "dismissed" in en and not has_han(
        en.replace("江苏数字化转型促进中心", "").replace("经核查不属实", "")
    )
    assert {r.recipient for r in rows} == {"u7@example.com"}


# -- overdue reports: one digest per department, never one per enterprise ------------------


def test_overdue_reports_are_told_to_each_department_in_one_digest(sqlite_url: str) -> None:
    c = campaign_b(sqlite_url)
    contacts = Contacts(c.lc.db)
    contacts.add(
        "province_commerce", "广东", "gd@commerce.example.cn", "广东省商务厅", t("2022-01-01")
    )
    contacts.add(
        "province_industry", "广东", "gd@industry.example.cn", "广东省工信厅", t("2022-01-01")
    )
    contacts.add(
        "province_commerce", "江苏", "js@commerce.example.cn", "江苏省商务厅", t("2022-01-01")
    )
    apps = confirmed_b(c, (1, "广东"), (2, "广东"), (3, "江苏"), (4, "浙江"))
    # 1–7 December 2022: Thursday 1, Friday 2, then 5, 6, 7 -> 5 working days by 00:00 of the 8th
    sweep_at = t("2022-12-08T00:00:00")
    Sweeper(c.lc).run(sweep_at)
    Sweeper(c.lc).run(sweep_at + timedelta(minutes=5))  # the next sweep: nothing again
    digests = outbox(c, "annual_report_overdue_digest")
    assert sorted(r.recipient for r in digests) == [
        "gd@commerce.example.cn", "gd@industry.example.cn", "js@commerce.example.cn",
    ]  # fmt: skip
    by = {r.recipient: r for r in digests}
    gd = by["gd@commerce.example.cn"].context["rows"]
    assert len(gd) == 2 and {r["working_days_late"] for r in gd} == {5}
    assert len(by["js@commerce.example.cn"].context["rows"]) == 1
    _, text, cal = built(by["gd@commerce.example.cn"], "zh")
    assert cal is None and "2家企业" in text and "5个工作日" in text
    assert "2022年11月30日 24:00" in text
    _, en, _ = built(by["gd@commerce.example.cn"], "en")
    assert "Dear colleagues" in en and "5 working days" in en
    overdue = outbox(c, "annual_report_overdue")
    assert len(overdue) == len(apps) and {r.context["working_days_late"] for r in overdue} == {5}


# -- working days late: one definition, across a holiday -----------------------------------


def test_working_days_late_is_one_definition_across_a_holiday() -> None:
    # due Wednesday 30 September 2026; 1–7 October is the National Day holiday; 8, 9 (Fri) and
    # Saturday 10 October (调休) are working days
    due = date(2026, 9, 30)
    assert working_days_late(due, t("2026-09-30T23:59:59")) == 0  # the last second
    assert working_days_late(due, t("2026-10-01T00:00:00")) == 1  # late, at least 1
    assert working_days_late(due, t("2026-10-01T00:00:01")) == 1  # late, in the holiday
    assert working_days_late(due, t("2026-10-08T00:00:00")) == 1  # 1–7 Oct hold no working day
    assert working_days_late(due, t("2026-10-08T09:00:00")) == 1  # 8 Oct counts
    assert working_days_late(due, t("2026-10-11T09:00:00")) == 3  # 8, 9, 10 (调休)
    # the demo's case: due 30 November 2023; 1–7 December hold 5 working days
    assert working_days_late(date(2023, 11, 30), t("2023-12-08T00:00:00")) == 5
    assert working_days_late(date(2023, 11, 30), t("2023-12-08T09:00:00")) == 6


# -- notify preview: the application's own context ------------------------------------------


def test_preview_renders_the_applications_real_context_or_says_it_does_not_apply(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from shenbao import wiring
    from shenbao.cli import app as cli
    from store.events import preview_context
    from tests.integration.test_lifecycle_store import new_app

    c = campaign_e(sqlite_url)
    draft, _ = new_app(c.lc, 11, "广东", edition=c.edition)
    done, me = new_app(c.lc, 12, "广东", edition=c.edition)
    c.lc.trigger(done, "submit", actor=me, now=t("2026-06-01T10:00:00"))
    real = preview_context(c.lc, done, "submitted", t("2026-06-02T09:00:00"))
    assert real["submitted_at"] == "2026-06-01T10:00:00+08:00"
    assert real["application_id"] == done
    closing = preview_context(c.lc, draft, "application_window_closing", t("2026-06-17T09:00"))
    assert closing["days_left"] == 3 and closing["deadline"] == "2026-06-21T00:00:00+08:00"
    with pytest.raises(ValueError, match="does not apply to application"):
        preview_context(c.lc, done, "application_window_closing", t("2026-06-17T09:00"))
    with pytest.raises(ValueError, match="does not apply"):
        preview_context(c.lc, draft, "confirmed", t("2026-06-17T09:00"))
    monkeypatch.setenv("SHENBAO_DATABASE_URL", sqlite_url)
    wiring._database.cache_clear()
    runner = CliRunner()
    shown = runner.invoke(cli, ["notify", "preview", str(done), "submitted"])
    assert shown.exit_code == 0 and "2026年6月1日 10:00" in shown.output
    refused = runner.invoke(cli, ["notify", "preview", str(draft), "revoked"])
    assert refused.exit_code == 2 and "does not apply" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    wiring._database.cache_clear()


def test_english_mail_names_departments_and_programs_in_english(sqlite_url: str) -> None:
    c = campaign_b(sqlite_url)
    app, _ = recommended(c, 31, "广东", "manufacturing")
    (row,) = [r for r in outbox(c, "recommended") if r.application_id == app]
    _, zh, _ = built(row, "zh")
    _, en, _ = built(row, "en")
    by = next(line for line in zh.splitlines() if line.startswith("推荐单位："))
    assert by.startswith("推荐单位：广东") and by.endswith("主管部门")  # the department that acted
    lead = en.split("\n\n")[1]
    assert lead.startswith("The Guangdong ") and " department recommended" in lead
    assert "(pilot)" in en
    assert "Category: Manufacturing" in en
    assert not has_han(en.replace(row.context["enterprise_name"], ""))
