"""The official wording of a 公示 notice: what an exported notice (xlsx/html) prints above its list.

The period is given to the second (from publication to the last second of the last working day,
Asia/Shanghai), and the way to object comes from the campaign's settings
(`objection_contact`: org, name, phone, email, address), else the edition's organiser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from deadlines import to_shanghai

CONTACT_KEYS = ("org", "name", "phone", "email", "address")


@dataclass(frozen=True)
class NoticeWording:
    heading: str
    paragraphs: tuple[str, ...]  # the official text, in order
    period: str  # 公示时间：2026年9月28日 10:00:00 至 2026年10月9日 23:59:59（北京时间）
    contact: tuple[str, ...]  # lines of the objection contact

    def lines(self) -> list[str]:
        return [self.heading, *self.paragraphs, self.period, *self.contact]


def _second(at: datetime) -> str:
    local = to_shanghai(at)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}"


def objection_contact(settings: Mapping[str, Any] | None, organiser: str) -> dict[str, str]:
    """The contact for objections from campaign settings; ValueError naming a bad field."""
    raw = (settings or {}).get("objection_contact")
    if raw is None:
        return {"org": organiser}
    if not isinstance(raw, Mapping):
        raise ValueError("objection_contact: must be a table of org, name, phone, email, address")
    unknown = sorted(set(raw) - set(CONTACT_KEYS))
    if unknown:
        raise ValueError(f"objection_contact.{unknown[0]}: unknown field; expected {CONTACT_KEYS}")
    out = {k: str(v).strip() for k, v in raw.items() if str(v).strip()}
    for key, value in out.items():
        if any(ch in value for ch in "\r\n\x00"):
            raise ValueError(f"objection_contact.{key}: must be one line")
    out.setdefault("org", organiser)
    return out


def notice_wording(
    *,
    title: str,
    organiser: str,
    document_number: str | None,
    published_at: datetime,
    ends_at: datetime,
    working_days: int,
    count: int,
    settings: Mapping[str, Any] | None = None,
) -> NoticeWording:
    """The notice text for `count` listed applicants; `ends_at` is exclusive (00:00 after)."""
    contact = objection_contact(settings, organiser)
    basis = f"根据{document_number}有关要求，" if document_number else ""
    paragraphs = (
        f"{basis}经地方推荐、专家评审，现将{title}入围名单（共{count}家）予以公示。",
        f"公示期间，任何单位和个人对公示名单有异议的，请以书面形式实名向{contact['org']}提出，"
        "并提供必要的证明材料。单位提出异议的，须加盖本单位公章；个人提出异议的，须签署真实姓名"
        "并注明联系方式。逾期或匿名提出的异议不予受理。",
    )
    period = (
        f"公示时间：{_second(published_at)} 至 {_second(ends_at - timedelta(seconds=1))}"
        f"（北京时间，{working_days}个工作日）"
    )
    labels = {"org": "异议受理单位", "name": "联系人", "phone": "联系电话", "email": "电子邮箱",
              "address": "通信地址"}  # fmt: skip
    lines = tuple(f"{labels[k]}：{contact[k]}" for k in CONTACT_KEYS if k in contact)
    return NoticeWording(f"{title}入围名单公示", paragraphs, period, lines)
