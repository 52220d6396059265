"""The notice's official wording: the period to the second and the contact for objections."""

from __future__ import annotations

from datetime import datetime

import pytest

from deadlines import SHANGHAI
from notifications.notice_text import notice_wording


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_period_to_the_second_and_the_campaigns_objection_contact() -> None:
    contact = {"org": "工业和信息化部信息技术发展司", "name": "张三", "phone": "010-68205000",
               "email": "szzx@miit.example.cn"}  # fmt: skip
    w = notice_wording(
        title="第二批制造业数字化转型促进中心建设", organiser="工业和信息化部",
        document_number="工信厅规函〔2026〕238号", published_at=at("2026-09-28T10:00:00"),
        ends_at=at("2026-10-10T00:00:00"), working_days=5, count=12,
        settings={"objection_contact": contact},
    )  # fmt: skip
    assert (
        w.period
        == "公示时间：2026年9月28日 10:00:00 至 2026年10月9日 23:59:59（北京时间，5个工作日）"
    )
    assert "根据工信厅规函〔2026〕238号有关要求" in w.paragraphs[0] and "共12家" in w.paragraphs[0]
    assert "以书面形式实名向工业和信息化部信息技术发展司提出" in w.paragraphs[1]
    assert w.contact == (
        "异议受理单位：工业和信息化部信息技术发展司", "联系人：张三", "联系电话：010-68205000",
        "电子邮箱：szzx@miit.example.cn",
    )  # fmt: skip
    assert w.lines()[0] == "第二批制造业数字化转型促进中心建设入围名单公示"


def test_without_settings_the_organiser_receives_objections_and_bad_settings_are_named() -> None:
    kwargs = dict(title="T", organiser="商务部、工业和信息化部", document_number=None,
                  published_at=at("2022-01-28T09:00:00"), ends_at=at("2022-02-09T00:00:00"),
                  working_days=5, count=3)  # fmt: skip
    w = notice_wording(**kwargs)  # type: ignore[arg-type]
    assert w.contact == ("异议受理单位：商务部、工业和信息化部",)
    assert w.period.endswith("2022年2月8日 23:59:59（北京时间，5个工作日）")
    with pytest.raises(ValueError, match=r"objection_contact\.fax"):
        notice_wording(**kwargs, settings={"objection_contact": {"fax": "1"}})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"objection_contact\.phone: must be one line"):
        notice_wording(**kwargs, settings={"objection_contact": {"phone": "1\n2"}})  # type: ignore[arg-type]
