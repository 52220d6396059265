"""Every template renders in zh and en, with realistic data and with hostile data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import icalendar
import pytest

from notifications.render import (
    MESSAGE_TYPES,
    TEMPLATES_DIR,
    example_context,
    format_instant,
    render,
)

SHANGHAI_KEY = "Asia/Shanghai"
BRIEF_TYPES = {
    "application_window_closing", "submitted", "returned", "rejected", "not_recommended",
    "recommended", "withdrawn", "lapsed", "screening_closing", "screening_report",
    "scoring_opened", "shortlisted", "not_shortlisted", "notice_published", "notice_ending",
    "objection_received", "confirmed", "removed_after_notice", "annual_report_open",
    "annual_report_due", "annual_report_overdue", "recertification_open", "renewed", "revoked",
    "delivery_failed",
}  # fmt: skip
DEADLINE_TYPES = {name for name, info in MESSAGE_TYPES.items() if info.about_deadline}

PAYLOAD = "<script>alert(\"x\")</script> & '单引号' <b>粗体</b> 😀🎉"
LONG_NAME = "内蒙古自治区呼和浩特市赛罕区" * 12 + "智能制造与信息技术服务外包融合发展股份有限公司"
NOT_TEXT = re.compile(r".*(_at|_due)$|^(deadline|as_of|notice_url|portal_url|message_type)$")


def hostile(value: Any, key: str = "") -> Any:
    """Replace every free-text value with markup, quotes, emoji and a very long Chinese name."""
    if isinstance(value, dict):
        return {k: hostile(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile(v, key) for v in value]
    if isinstance(value, str) and not NOT_TEXT.match(key):
        return f"{LONG_NAME}{PAYLOAD}"
    return value


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("message_type", sorted(MESSAGE_TYPES))
class TestEveryTemplate:
    def test_realistic(self, message_type: str, lang: str) -> None:
        ctx = example_context(message_type)
        out = render(message_type, ctx, lang=lang)
        assert out.subject.startswith("【申报系统】" if lang == "zh" else "[Shenbao] ")
        assert "\n" not in out.subject and len(out.subject) > 12
        assert out.html.startswith("<!DOCTYPE html>")
        assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in out.html
        assert out.text.endswith("\n") and "\n\n\n" not in out.text
        # No template syntax or Python reprs leaked into the output.
        for part in (out.subject, out.text, out.html):
            assert "{{" not in part and "{%" not in part and "Undefined" not in part
            assert "None" not in part and "[{" not in part
        name = ctx.get("enterprise_name", ctx.get("recipient_name"))
        if lang == "en" and "enterprise_name" not in ctx:  # a department: no Chinese in English
            name = "Dear colleagues,"
        assert str(name) in out.text
        assert (out.ics is not None) == (message_type in DEADLINE_TYPES)
        if lang == "zh":
            assert re.search(r"[\u4e00-\u9fff]{4}", out.text.split("\n", 1)[1])

    def test_hostile_data_is_escaped_in_html_and_intact_in_text(
        self, message_type: str, lang: str
    ) -> None:
        ctx = hostile(example_context(message_type))
        out = render(message_type, ctx, lang=lang)
        assert PAYLOAD in out.text
        assert LONG_NAME in out.subject
        assert "<script" not in out.html and "<b>粗体" not in out.html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;单引号&#39;" in out.html
        assert "😀🎉" in out.html

    def test_line_breaks_in_subject_fields_are_refused(self, message_type: str, lang: str) -> None:
        ctx = example_context(message_type)
        for key in ("enterprise_name", "program_name", "program_name_en"):
            if key in ctx:
                ctx[key] = f"{ctx[key]}\r\nBcc: victim@example.cn"
        with pytest.raises(ValueError, match="Subject"):
            render(message_type, ctx, lang=lang)

    def test_missing_context_key_is_named(self, message_type: str, lang: str) -> None:
        info = MESSAGE_TYPES[message_type]
        ctx = example_context(message_type)
        dropped = info.required[-1]
        del ctx[dropped]
        with pytest.raises(ValueError, match=dropped):
            render(message_type, ctx, lang=lang)


def test_message_types_cover_the_lifecycle_and_have_both_templates() -> None:
    assert BRIEF_TYPES <= set(MESSAGE_TYPES)
    for lang in ("zh", "en"):
        files = {p.stem for p in (TEMPLATES_DIR / lang).glob("*.j2") if not p.stem.startswith("_")}
        assert files == set(MESSAGE_TYPES), lang


def test_templates_never_bypass_escaping() -> None:
    for path in Path(TEMPLATES_DIR).rglob("*.j2"):
        source = path.read_text(encoding="utf-8")
        assert "|safe" not in source.replace(" ", ""), path
        assert "autoescape" not in source, path
        assert "Markup" not in source, path


def test_deadline_messages_are_exactly_the_ones_with_a_deadline() -> None:
    assert DEADLINE_TYPES == {
        "application_window_closing", "returned", "screening_closing", "notice_published",
        "notice_ending", "annual_report_open", "annual_report_due", "recertification_open",
    }  # fmt: skip


def test_reason_with_line_breaks_keeps_them_in_text_and_breaks_lines_in_html() -> None:
    ctx = example_context("returned")
    ctx["reason"] = "第一条：缺少审计报告。\r\n第二条：<附件5>未盖章。"
    out = render("returned", ctx)
    assert ctx["reason"] in out.text
    assert "第一条：缺少审计报告。<br>\n第二条：&lt;附件5&gt;未盖章。" in out.html


def test_unknown_type_and_language_are_refused() -> None:
    with pytest.raises(ValueError, match="message_type"):
        render("application_accepted", example_context("submitted"))
    with pytest.raises(ValueError, match="lang"):
        render("submitted", example_context("submitted"), lang="fr")
    assert render("submitted", example_context("submitted"), lang="zh-CN").subject.startswith("【")


def test_template_using_an_unknown_variable_fails_instead_of_printing_nothing() -> None:
    ctx = example_context("submitted")
    ctx["category_label"] = "制造业类"
    assert "制造业类" in render("submitted", ctx).text
    del ctx["category_label"]  # optional: guarded by "is defined"
    assert "申报类别" not in render("submitted", ctx).text
    ctx = example_context("screening_closing")
    ctx["quota"] = [{"category": "制造业类", "used": 3}]  # "limit" missing
    with pytest.raises(Exception, match="limit"):
        render("screening_closing", ctx)


def test_naive_instant_is_refused() -> None:
    ctx = example_context("application_window_closing")
    ctx["deadline"] = datetime(2026, 6, 21)
    with pytest.raises(ValueError, match="naive"):
        render("application_window_closing", ctx)


def test_zh_is_the_default_language() -> None:
    ctx = example_context("shortlisted")
    assert render("shortlisted", ctx) == render("shortlisted", ctx, lang="zh")


class TestInstants:
    def test_exclusive_midnight_reads_as_24_00_of_the_last_day(self) -> None:
        assert (
            format_instant("2026-06-21T00:00:00+08:00", "zh") == "2026年6月20日 24:00（北京时间）"
        )
        assert format_instant("2026-06-21T00:00:00+08:00", "en").startswith("20 June 2026, 24:00")

    def test_other_zones_are_shown_in_shanghai_time(self) -> None:
        utc = datetime(2026, 6, 12, 7, 42, tzinfo=UTC)
        assert format_instant(utc, "zh") == "2026年6月12日 15:42（北京时间）"
        ny = datetime(2026, 6, 12, 3, 42, tzinfo=timezone(timedelta(hours=-4)))
        assert format_instant(ny, "zh") == "2026年6月12日 15:42（北京时间）"


class TestCalendarAttachment:
    @pytest.mark.parametrize("message_type", sorted(DEADLINE_TYPES))
    def test_ics_carries_the_deadline_in_asia_shanghai(self, message_type: str) -> None:
        ctx = example_context(message_type)
        deadline = datetime.fromisoformat(str(ctx["deadline"]))
        out = render(message_type, ctx)
        assert out.ics is not None
        cal = icalendar.Calendar.from_ical(out.ics)
        assert str(cal["METHOD"]) == "PUBLISH"
        assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == [SHANGHAI_KEY]
        (event,) = cal.walk("VEVENT")
        end = event.decoded("DTEND")
        assert end == deadline and str(end.tzinfo) == SHANGHAI_KEY
        assert b"DTEND;TZID=Asia/Shanghai:" in out.ics

    def test_deadline_given_in_utc_is_written_as_shanghai_wall_time(self) -> None:
        ctx = example_context("annual_report_due")
        ctx["deadline"] = datetime(2027, 1, 31, 16, 0, tzinfo=UTC)
        out = render("annual_report_due", ctx)
        assert out.ics is not None and b"DTEND;TZID=Asia/Shanghai:20270201T000000" in out.ics
        assert "2027年1月31日 24:00" in out.text

    def test_reminders_about_one_deadline_share_one_calendar_event(self) -> None:
        seven = example_context("application_window_closing") | {"days_left": 7}
        one = example_context("application_window_closing") | {"days_left": 1}
        uid = [
            icalendar.Calendar.from_ical(render("application_window_closing", c).ics).walk(
                "VEVENT"
            )[0]["UID"]
            for c in (seven, one)
        ]
        assert uid[0] == uid[1]
        other = one | {"application_id": "liangrong-2026-GD-0043"}
        ev = icalendar.Calendar.from_ical(render("application_window_closing", other).ics)
        assert ev.walk("VEVENT")[0]["UID"] != uid[0]
