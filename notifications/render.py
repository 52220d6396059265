"""Render a notification (subject, plain text, HTML, optional .ics) from its jinja2 template.

One template per message type and language (``templates/<lang>/<type>.j2``) defines the subject
and the body blocks once; the text part is rendered without escaping, the HTML part with
autoescape, both with ``StrictUndefined``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from notifications.ics import SHANGHAI, deadline_event

TEMPLATES_DIR = Path(__file__).with_name("templates")
LANGS = ("zh", "en")

# Characters that end a line for str.splitlines(): none may appear in a header.
LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00")

ENTERPRISE = ("enterprise_name", "program_name", "application_id")
COORDINATOR = ("recipient_name", "program_name")


@dataclass(frozen=True)
class MessageTypeInfo:
    """What a message type needs: its context keys and, for deadline messages, the deadline."""

    name: str
    audience: str  # "enterprise" | "coordinator" | "ministry"
    required: tuple[str, ...]
    deadline_key: str | None = None  # context key of the deadline instant -> .ics attached
    deadline_kind: str | None = None  # same kind + same entity + same instant = same calendar UID
    label_zh: str = ""
    label_en: str = ""
    event_zh: str = ""  # the .ics event's title: what happens at the deadline instant
    event_en: str = ""

    @property
    def about_deadline(self) -> bool:
        return self.deadline_key is not None


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    ics: bytes | None


def _t(
    name: str,
    audience: str,
    extra: tuple[str, ...],
    zh: str,
    en: str,
    *,
    deadline: str | None = None,
) -> MessageTypeInfo:
    """One message type; a deadline message's .ics is titled by what ends at that instant."""
    base = ENTERPRISE if audience == "enterprise" else COORDINATOR
    if deadline is not None and "deadline" not in extra:
        raise AssertionError(f"{name}: a deadline message needs the 'deadline' key")
    required = base + extra
    return MessageTypeInfo(
        name=name,
        audience=audience,
        required=required,
        deadline_key="deadline" if deadline else None,
        deadline_kind=deadline,
        label_zh=zh,
        label_en=en,
        event_zh=EVENTS[deadline][0] if deadline else "",
        event_en=EVENTS[deadline][1] if deadline else "",
    )


# deadline kind -> (zh, en) title of the calendar event placed at the deadline's instant
EVENTS: dict[str, tuple[str, str]] = {
    "application_window": ("申报截止", "Application deadline"),
    "screening": ("推荐截止", "Recommendation deadline"),
    "public_notice": ("公示截止", "Public notice ends"),
    "annual_report": ("报告截止", "Annual report deadline"),
    "recertification": ("复核材料截止", "Recertification deadline"),
}


_TYPES = [
    _t(
        "application_window_closing",
        "enterprise",
        ("days_left", "deadline"),
        "申报截止提醒",
        "Application window closing",
        deadline="application_window",
    ),
    _t(
        "submitted",
        "enterprise",
        ("receipt_no", "submitted_at"),
        "申报已提交",
        "Application submitted",
    ),
    _t(
        "returned",
        "enterprise",
        ("reason", "returned_by", "deadline"),
        "申报退回修改",
        "Application returned for revision",
        deadline="application_window",
    ),
    _t("rejected", "enterprise", ("reason", "decided_by"), "不予推荐", "Not recommended"),
    _t("not_recommended", "enterprise", ("reason", "decided_by"), "不予推荐", "Not recommended"),
    _t("recommended", "enterprise", ("recommended_by",), "已获推荐", "Recommended"),
    _t("withdrawn", "enterprise", ("withdrawn_at",), "申报已撤回", "Application withdrawn"),
    _t(
        "lapsed",
        "enterprise",
        ("closed_at",),
        "草稿已锁定（逾期未提交）",
        "Draft locked (not submitted in time)",
    ),
    _t(
        "screening_closing",
        "coordinator",
        ("days_left", "deadline", "quota"),
        "推荐截止提醒",
        "Provincial screening closing",
        deadline="screening",
    ),
    _t(
        "screening_report",
        "ministry",
        ("rows", "as_of"),
        "各地推荐情况汇总",
        "Recommendations by province",
    ),
    _t("scoring_opened", "enterprise", (), "进入专家评审", "Expert review started"),
    _t("shortlisted", "enterprise", (), "已入围", "Shortlisted"),
    _t("not_shortlisted", "enterprise", (), "未入围", "Not shortlisted"),
    _t(
        "notice_published",
        "enterprise",
        ("notice_label", "deadline"),
        "公示开始",
        "Public notice published",
        deadline="public_notice",
    ),
    _t(
        "notice_ending",
        "enterprise",
        ("notice_label", "deadline"),
        "公示即将结束",
        "Public notice ending",
        deadline="public_notice",
    ),
    _t("objection_received", "enterprise", ("received_at",), "收到公示异议", "Objection received"),
    _t("confirmed", "enterprise", ("title", "term"), "认定结果", "Confirmed"),
    _t(
        "removed_after_notice",
        "enterprise",
        ("reason",),
        "公示后不予认定",
        "Removed after public notice",
    ),
    _t(
        "annual_report_open",
        "enterprise",
        ("report_year", "deadline"),
        "年度报告开始填报",
        "Annual report open",
        deadline="annual_report",
    ),
    _t(
        "annual_report_due",
        "enterprise",
        ("report_year", "days_left", "deadline"),
        "年度报告截止提醒",
        "Annual report due",
        deadline="annual_report",
    ),
    _t(
        "annual_report_overdue",
        "enterprise",
        ("report_year", "working_days_late", "due_at"),
        "年度报告逾期",
        "Annual report overdue",
    ),
    _t(
        "annual_report_overdue_digest",
        "coordinator",
        ("report_year", "rows", "due_at", "as_of"),
        "年度报告逾期企业汇总",
        "Overdue annual reports",
    ),
    _t(
        "recertification_open",
        "enterprise",
        ("title", "deadline"),
        "复核开始",
        "Recertification open",
        deadline="recertification",
    ),
    _t("renewed", "enterprise", ("title", "term"), "复核通过", "Title renewed"),
    _t("revoked", "enterprise", ("title", "reason"), "撤销称号", "Title revoked"),
    _t("delivery_failed", "coordinator", ("failures",), "邮件投递失败", "Mail delivery failed"),
    _t(
        "account_confirm",
        "enterprise",
        ("purpose", "actor", "confirm_url", "expires_at"),
        "账户确认",
        "Account confirmation",
    ),  # fmt: skip
]

MESSAGE_TYPES: dict[str, MessageTypeInfo] = {info.name: info for info in _TYPES}
_TYPE_LABELS = {
    "zh": {name: t.label_zh for name, t in MESSAGE_TYPES.items()},
    "en": {name: t.label_en for name, t in MESSAGE_TYPES.items()},
}


# --------------------------------------------------------------------------- helpers


def normalize_lang(lang: str) -> str:
    """ "zh", "zh-CN", "zh_Hans" -> "zh"; "en", "en-US" -> "en"; anything else -> ValueError."""
    key = lang.strip().lower().replace("_", "-").split("-", 1)[0]
    if key not in LANGS:
        raise ValueError(f"lang: {lang!r} 不支持，应为 zh 或 en / unsupported, use zh or en")
    return key


def to_instant(value: object, field: str) -> datetime:
    """A datetime or ISO-8601 text (as stored in JSON), time-zone-aware, in Asia/Shanghai."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{field}: {value!r} 不是 ISO 8601 时间 / is not an ISO 8601 instant"
            ) from None
    if not isinstance(value, datetime):
        raise ValueError(f"{field}: expected an instant, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field}: 时间必须带时区 / naive datetime refused, give an offset")
    return value.astimezone(SHANGHAI)


_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_instant(value: object, lang: str) -> str:
    """Shanghai wall time; an instant at 00:00 reads as 24:00 of the day before (截止日当天)."""
    instant = to_instant(value, "instant")
    day: date = instant.date()
    hhmm = instant.strftime("%H:%M")
    if (instant.hour, instant.minute, instant.second, instant.microsecond) == (0, 0, 0, 0):
        day = date.fromordinal(day.toordinal() - 1)
        hhmm = "24:00"
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日 {hhmm}（北京时间）"
    return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}, {hhmm} Beijing time (UTC+8)"


def format_date(value: object, lang: str) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and len(value) == 10:
        day = date.fromisoformat(value)
    else:
        day = to_instant(value, "date").date()
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"


def _http_url(value: object) -> str:
    url = str(value)
    if not re.match(r"https?://[^\s<>\"']+\Z", url):
        raise ValueError(f"portal_url: {url!r} 必须是 http(s) 地址 / must be an http(s) URL")
    return url


def _nl2br(value: object) -> Markup:
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Markup("<br>\n").join(escape(line) for line in lines)


def _paragraphs(value: object) -> Markup:
    """HTML paragraphs from (already escaped) block output: blank line = new paragraph."""
    text = str(value).replace("\r\n", "\n")
    parts = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return Markup("\n").join(
        Markup("<p>") + Markup("<br>\n".join(p.split("\n"))) + Markup("</p>") for p in parts
    )


_TH = "text-align:left;vertical-align:top;padding:6px 12px 6px 0;color:#646a73;font-weight:normal"
_CELL = "border:1px solid #dee0e3;padding:4px 10px"


@pass_context
def _fact(ctx: Context, label: object, value: object) -> str | Markup:
    """One "label: value" line in the text part, one escaped table row in the HTML part."""
    if ctx["part"] == "html":
        return Markup('<tr><th style="{}">{}</th><td style="padding:6px 0;">{}</td></tr>').format(
            Markup(_TH), label, _nl2br(value)
        )
    return f"{label}{'：' if ctx['lang'] == 'zh' else ': '}{value}"


@pass_context
def _table(ctx: Context, headers: list[object], rows: list[list[object]]) -> str | Markup:
    """ "a | b | c" lines in the text part, an escaped bordered table in the HTML part."""
    if ctx["part"] == "html":
        cell = Markup('<{0} style="' + _CELL + '">{1}</{0}>')
        head = Markup("").join(cell.format(Markup("th"), h) for h in headers)
        body = Markup("\n").join(
            Markup("<tr>{}</tr>").format(
                Markup("").join(cell.format(Markup("td"), _nl2br(c)) for c in row)
            )
            for row in rows
        )
        return Markup(
            '<table style="border-collapse:collapse;margin:12px 0;">\n<tr>{}</tr>\n{}\n</table>'
        ).format(head, body)
    lines = [" | ".join(str(h) for h in headers)]
    lines.extend(" | ".join(str(c) for c in row) for row in rows)
    return "\n".join(lines)


@pass_context
def _when(ctx: Context, value: object) -> str:
    return format_instant(value, ctx["lang"])


@pass_context
def _day(ctx: Context, value: object) -> str:
    return format_date(value, ctx["lang"])


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        when=_when, day=_day, http_url=_http_url, nl2br=_nl2br, paragraphs=_paragraphs
    )
    env.filters["capfirst"] = lambda value: str(value)[:1].upper() + str(value)[1:]
    env.globals.update(fact=_fact, table=_table)
    return env


_TEXT_ENV = _environment(autoescape=False)
_HTML_ENV = _environment(autoescape=True)


def _tidy_text(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n") + "\n"


def check_single_line(field: str, value: str) -> str:
    """Refuse CR, LF and every other line break in a header value (header injection)."""
    bad = sorted({repr(ch) for ch in value if ch in LINE_BREAKS})
    if bad:
        raise ValueError(
            f"{field}: 含换行或控制字符 {', '.join(bad)}，拒绝（防止邮件头注入）/ "
            f"contains line breaks {', '.join(bad)}; refused (header injection)"
        )
    return value


def event_uid(info: MessageTypeInfo, context: Mapping[str, object], deadline: datetime) -> str:
    """Same deadline kind, same application (or recipient) and same instant -> same UID."""
    if "event_uid" in context:
        return str(context["event_uid"])
    entity = context.get("application_id", context.get("recipient_name", ""))
    key = f"{info.deadline_kind}|{context.get('program_name', '')}|{entity}|{deadline.isoformat()}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@shenbao"


def render(message_type: str, context: Mapping[str, object], *, lang: str = "zh") -> Rendered:
    """Render ``message_type`` in ``lang`` ("zh" first, "en"); unknown type -> ValueError."""
    info = MESSAGE_TYPES.get(message_type)
    if info is None:
        raise ValueError(
            f"message_type: {message_type!r} 未知 / unknown; known: {', '.join(MESSAGE_TYPES)}"
        )
    lang = normalize_lang(lang)
    missing = [key for key in info.required if key not in context]
    if missing:
        raise ValueError(f"context: {message_type} 缺少 / is missing {', '.join(missing)}")
    values: dict[str, Any] = dict(context)
    values["lang"] = lang
    values["message_type"] = message_type
    values["type_labels"] = _TYPE_LABELS[lang]
    name = f"{lang}/{message_type}.j2"
    text_template = _TEXT_ENV.get_template(name)
    subject = text_template.render(values, part="subject").strip()
    check_single_line("Subject", subject)
    text = _tidy_text(text_template.render(values, part="text"))
    html = _HTML_ENV.get_template(name).render(values, part="html").strip() + "\n"

    ics: bytes | None = None
    if info.deadline_key is not None:
        deadline = to_instant(context[info.deadline_key], info.deadline_key)
        stamp = to_instant(context["created_at"], "created_at") if "created_at" in context else None
        summary_label = info.event_zh if lang == "zh" else info.event_en
        ics = deadline_event(
            f"{summary_label}：{context['program_name']}"
            if lang == "zh"
            else f"{summary_label}: {context.get('program_name_en', context['program_name'])}",
            deadline,
            uid=event_uid(info, context, deadline),
            description=subject,
            stamp=stamp,
        )
    return Rendered(subject=subject, text=text, html=html, ics=ics)


# --------------------------------------------------------------------------- examples

_EXAMPLE_COMMON: dict[str, object] = {
    "enterprise_name": "广东粤信智造科技股份有限公司",
    "program_name": "2026—2028年度信息技术外包和制造业融合发展重点企业",
    "program_name_en": "Key Enterprises of IT Outsourcing and Manufacturing Integration 2026–2028",
    "application_id": "liangrong-2026-GD-0042",
    "contact_name": "王丽经理",
}
_EXAMPLE_COORDINATOR: dict[str, object] = {
    "recipient_name": "广东省商务厅",
    "program_name": _EXAMPLE_COMMON["program_name"],
    "program_name_en": _EXAMPLE_COMMON["program_name_en"],
}
_EXAMPLES: dict[str, dict[str, object]] = {
    "application_window_closing": {"days_left": 3, "deadline": "2026-06-21T00:00:00+08:00"},
    "submitted": {
        "receipt_no": "SB-2026-0612-7F3A9C",
        "submitted_at": "2026-06-12T15:42:07+08:00",
        "category_label": "制造业类",
    },
    "returned": {
        "reason": "附件5（信息化投入占比证明）缺少2025年度审计报告，请补充后重新提交。",
        "returned_by": "广东省商务厅",
        "deadline": "2026-06-21T00:00:00+08:00",
    },
    "rejected": {
        "reason": "2024年信息化投入占营业收入比重为3.8%，低于5%的申报条件。",
        "decided_by": "广东省工业和信息化厅",
    },
    "not_recommended": {
        "reason": "推荐名额已满，综合排序未进入本省推荐名单。",
        "decided_by": "广东省商务厅",
    },
    "recommended": {
        "recommended_by": "广东省商务厅、广东省工业和信息化厅",
        "category_label": "制造业类",
    },
    "withdrawn": {"withdrawn_at": "2026-06-15T09:30:00+08:00"},
    "lapsed": {"closed_at": "2026-06-21T00:00:00+08:00"},
    "screening_closing": {
        "days_left": 3,
        "deadline": "2026-07-11T00:00:00+08:00",
        "pending_count": 7,
        "quota": [
            {"category": "制造业类", "category_en": "Manufacturing", "used": 6, "limit": 10},
            {
                "category": "信息技术服务外包类",
                "category_en": "IT outsourcing",
                "used": 10,
                "limit": 10,
            },
        ],
    },
    "screening_report": {
        "recipient_name": "商务部服务贸易和商贸服务业司",
        "as_of": "2026-07-10T18:00:00+08:00",
        "rows": [
            {
                "province": "广东",
                "category": "制造业类",
                "category_en": "Manufacturing",
                "recommended": 10,
                "limit": 10,
            },
            {
                "province": "江苏",
                "category": "制造业类",
                "category_en": "Manufacturing",
                "recommended": 8,
                "limit": 10,
            },
            {
                "province": "宁夏",
                "category": "信息技术服务外包类",
                "category_en": "IT outsourcing",
                "recommended": 1,
                "limit": 1,
            },
        ],
    },
    "scoring_opened": {},
    "shortlisted": {},
    "not_shortlisted": {},
    "notice_published": {
        "notice_label": "9月28日至10月9日（5个工作日）",
        "notice_label_en": "28 September to 9 October (5 working days)",
        "deadline": "2026-10-10T00:00:00+08:00",
        "notice_url": "https://www.mofcom.gov.cn/",
    },
    "notice_ending": {
        "notice_label": "9月28日至10月9日（5个工作日）",
        "notice_label_en": "28 September to 9 October (5 working days)",
        "deadline": "2026-10-10T00:00:00+08:00",
    },
    "objection_received": {"received_at": "2026-09-30T10:12:00+08:00"},
    "confirmed": {
        "title": "信息技术外包和制造业融合发展重点企业",
        "title_en": "Key Enterprise of IT Outsourcing and Manufacturing Integration",
        "term": "2026–2028",
        "report_duty": "每年2月1日前报送上一年度发展情况",
        "report_duty_en": "report on the previous year's development by 1 February each year",
        "recert_years": 3,
    },
    "removed_after_notice": {"reason": "经核查，申报材料中2024年营业收入数据与审计报告不符。"},
    "annual_report_open": {"report_year": 2026, "deadline": "2027-02-02T00:00:00+08:00"},
    "annual_report_due": {
        "report_year": 2026,
        "days_left": 7,
        "deadline": "2027-02-02T00:00:00+08:00",
    },
    "annual_report_overdue_digest": {
        "recipient_name": "广东省商务厅",
        "report_year": 2026,
        "due_at": "2027-02-02T00:00:00+08:00",
        "as_of": "2027-02-08T09:00:00+08:00",
        "rows": [
            {
                "enterprise_name": "广东粤信智造科技股份有限公司",
                "uscc": "91440300MA5F3XYZ1K",
                "working_days_late": 5,
            }
        ],
    },
    "annual_report_overdue": {
        "report_year": 2026,
        "working_days_late": 5,
        "due_at": "2027-02-02T00:00:00+08:00",
    },
    "recertification_open": {
        "title": "信息技术外包和制造业融合发展重点企业",
        "deadline": "2029-06-01T00:00:00+08:00",
    },
    "renewed": {"title": "信息技术外包和制造业融合发展重点企业", "term": "2029–2031"},
    "revoked": {
        "title": "信息技术外包和制造业融合发展重点企业",
        "reason": "连续两年未按时报送年度发展情况。",
    },
    "account_confirm": {
        "application_id": "-",
        "purpose": "confirm",
        "actor": "enterprise:91440300MA5FXXXX0X",
        "confirm_url": "http://127.0.0.1:8000/account/activate?token=Zm9vYmFy",
        "expires_at": "2026-06-03T10:00:00+08:00",
    },
    "delivery_failed": {
        "failures": [
            {
                "enterprise_name": "广东粤信智造科技股份有限公司",
                "recipient": "wangli@yuexin.example.cn",
                "message_type": "returned",
                "detail": "550 5.1.1 <wangli@yuexin.example.cn>: Recipient address rejected",
            }
        ]
    },
}


def example_context(message_type: str) -> dict[str, object]:
    """A realistic context for ``message_type`` (documentation, previews and tests)."""
    info = MESSAGE_TYPES.get(message_type)
    if info is None:
        raise ValueError(f"message_type: {message_type!r} 未知 / unknown")
    base = _EXAMPLE_COMMON if info.audience == "enterprise" else _EXAMPLE_COORDINATOR
    return {**base, **_EXAMPLES[message_type]}
