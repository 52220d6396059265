"""A rehearsal database for the web service where every role has something to do, at a
simulated instant (2026-06-15 10:00 Asia/Shanghai), with one login per role.

- an enterprise's draft in 数促中心 第二批 (window until 2026-06-20 23:59:59) with one wrong field;
- 广东's commerce department: two 两融 applications waiting in its screening queue;
- the ministry: a 两融 application in expert scoring with one expert of three assigned;
- expert E01: that application to declare and score;
- the public: the running 公示 of two 两融 applications;
- the auditor: every history.

Everything is done through the command handlers, as the people would have done it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from deadlines import SHANGHAI, Window
from programs.forms import example_form, make_uscc
from services import handlers
from states.actors import Actor, Role
from store.db import Database
from web import acts

NOW = "2026-06-15T10:00:00+08:00"
MINISTRY = Actor(Role.MINISTRY)
PROVINCE = Actor(Role.PROVINCE, "广东/commerce")
INDUSTRY = Actor(Role.PROVINCE, "广东/industry")  # 两融 is recommended by both departments
SHEET = {
    "aggregation": "mean",
    "conflict_same_province": True,
    "top_k": 2,
    "criteria": [
        {"id": "capability", "label_zh": "综合实力", "max_points": 40, "weight": 1},
        {"id": "innovation", "label_zh": "创新能力", "max_points": 30, "weight": 1},
        {"id": "cases", "label_zh": "典型案例", "max_points": 30, "weight": 1},
    ],
}


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str
    what: str


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def _form(edition: str, kind: str, code: str, name: str) -> dict:
    form = example_form(edition, kind)
    basic = form.get("basic")
    if isinstance(basic, dict):
        basic["uscc"] = code
        basic["lead_name" if "lead_name" in basic else "company_name"] = name
    return form


def prepare(directory: Path) -> tuple[Database, Path, list[Login]]:
    """Build the rehearsal in `directory` (a fresh SQLite file); return its clock file."""
    from store.migrations import upgrade

    directory.mkdir(parents=True, exist_ok=True)
    for name in ("shenbao.db", "shenbao.db-wal", "shenbao.db-shm"):
        (directory / name).unlink(missing_ok=True)
    url = f"sqlite:///{directory / 'shenbao.db'}"
    upgrade(url)
    db = Database(url)
    clock = directory / "clock.txt"
    clock.write_text(NOW, encoding="utf-8")

    lr = "liangrong-2026"
    handlers.open_campaign(db, MINISTRY, lr, now=_at("2026-05-01T09:00:00"),
                           application_window=Window(_at("2026-05-01").date(), _at("2026-06-05").date()),
                           screening_window=Window(_at("2026-06-06").date(), _at("2026-06-30").date()))  # fmt: skip
    handlers.open_campaign(db, MINISTRY, "szzx-2026-2", now=_at("2026-05-27T09:00:00"))
    names = ["粤信智造科技有限公司", "珠江数科信息技术股份有限公司", "南粤精工装备制造有限公司",
             "岭南云联软件有限公司", "羊城博远科技有限公司"]  # fmt: skip
    apps: list[int] = []
    for i, name in enumerate(names, start=1):
        code = make_uscc(f"9144010{i:010d}")
        kind = "manufacturing" if i % 2 else "ito"
        who = Actor(Role.ENTERPRISE, code)
        app_id = handlers.create_application(
            db, who, lr, uscc=code, name=name, province="广东", category=kind,
            now=_at("2026-05-10T09:00:00"), email=f"contact{i}@applicant.example.cn",
            form=_form(lr, kind, code, name),
        )  # fmt: skip
        handlers.submit(db, who, app_id, now=_at("2026-05-20T15:00:00"))
        apps.append(app_id)
    for app_id in apps[:2]:
        for department in (PROVINCE, INDUSTRY):
            handlers.review(db, department, app_id, "recommend", now=_at("2026-06-08T10:00:00"))
    handlers.define_sheet(db, MINISTRY, lr, SHEET, now=_at("2026-06-09T09:00:00"))
    handlers.open_scoring(db, MINISTRY, lr, now=_at("2026-06-09T09:30:00"))
    for app_id, points in zip(apps[:2], ("36", "33"), strict=True):
        for expert in ("E11", "E12", "E13"):
            handlers.assign_expert(db, MINISTRY, app_id, expert, now=_at("2026-06-09T10:00:00"),
                                   province="北京")  # fmt: skip
            handlers.submit_score(db, Actor(Role.EXPERT, expert), app_id,
                                  {"capability": points, "innovation": "25", "cases": "24"},
                                  now=_at("2026-06-10T16:00:00"))  # fmt: skip
    handlers.shortlist(db, MINISTRY, lr, now=_at("2026-06-11T09:00:00"))
    handlers.publish_notice(db, MINISTRY, lr, now=_at("2026-06-11T10:00:00"))
    # a third recommendation, in scoring with one expert of three
    for department in (PROVINCE, INDUSTRY):
        handlers.review(db, department, apps[2], "recommend", now=_at("2026-06-12T10:00:00"))
    handlers.open_scoring(db, MINISTRY, lr, now=_at("2026-06-12T11:00:00"))
    handlers.assign_expert(db, MINISTRY, apps[2], "E01", now=_at("2026-06-12T11:30:00"),
                           province="上海")  # fmt: skip
    # the demo enterprise's draft in 数促中心, with one wrong field to put right
    code = make_uscc("91420100000000099")
    form = _form("szzx-2026-2", "center", code, "长江智造数字化转型服务有限公司")
    form.pop("consortium", None)
    form["attachments"].pop("consortium_agreement", None)
    form["basic"]["contact_phone"] = "12"
    handlers.create_application(
        db, Actor(Role.ENTERPRISE, code), "szzx-2026-2", uscc=code,
        name="长江智造数字化转型服务有限公司", province="湖北", category="center",
        now=_at("2026-06-01T09:00:00"), email="szzx@applicant.example.cn", form=form,
    )  # fmt: skip

    svc = acts.Services.over(db)
    logins: list[Login] = []
    people = [
        ("enterprise", code, "szzx@applicant.example.cn", "长江智造数字化转型服务有限公司",
         "fix the red field, submit before 2026-06-20 23:59:59"),
        ("province", "广东/commerce", "gd@commerce.example.cn", "广东省商务厅",
         "two applications in the screening queue, quota gauge"),
        ("ministry", None, "coord@ministry.example.cn", "主管司局",
         "assign two more experts; resolve objections; close the notice after 2026-06-17"),
        ("expert", "E01", "e01@experts.example.cn", "专家E01", "declare, then score"),
        ("auditor", None, "audit@example.cn", "审计", "histories and their verification"),
    ]  # fmt: skip
    now = _at("2026-06-15T08:00:00")
    for role, scope, email, name, what in people:
        password = secrets.token_urlsafe(9)
        _id, token = acts.invite_as_operator(svc, email=email, role=role, scope=scope, name=name,
                                             now=now, base_url="", operator="demo")  # fmt: skip
        acts.activate(svc, token=token, password=password, now=now)
        logins.append(Login(role, email, password, what))
    return db, clock, logins
