"""A campaign through the pages with TestClient: the enterprise, the province, the ministry,
two experts, the public; each page shows only what its scope may see."""

from __future__ import annotations

import re

from sqlalchemy import select

from states.lifecycle import State
from store.models import Application
from tests.integration.web.helpers import PASSWORD, World, csrf_of, uscc


def _post(c, url: str, data: dict, page: str | None = None, **kw):  # type: ignore[no-untyped-def]
    token = csrf_of(c.get(page or "/account/tokens").text)
    return c.post(url, data={"csrf_token": token, **data}, **kw)


def _state(world: World, app_id: int) -> str:
    with world.db.sessions() as s:
        return s.scalar(select(Application.status).where(Application.id == app_id))


def test_enterprise_registers_fills_submits_and_province_recommends(world: World) -> None:
    world.open_campaign()
    c = world.client()
    page = c.get("/register")
    r = c.post("/register", data={"csrf_token": csrf_of(page.text), "uscc": uscc(1),
                                  "email": "Lead@Example.cn", "name": "长江智造"})  # fmt: skip
    assert r.status_code == 200 and "lead@example.cn" in r.text
    link = world.last_link("lead@example.cn")
    token = link.split("token=")[1]
    r = c.get(f"/account/activate?token={token}")
    assert r.status_code == 200 and f"enterprise:{uscc(1)}" in r.text
    r = c.post("/account/activate", data={"csrf_token": csrf_of(r.text), "token": token,
                                          "password": PASSWORD, "password2": PASSWORD},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    world.login("lead@example.cn", c)
    r = _post(c, "/enterprise/new", {"edition": "szzx-2026-2", "category": "center",
                                     "name": "长江智造", "province": "湖北"},
              follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    app_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = c.get(f"/enterprise/applications/{app_id}")
    assert page.status_code == 200
    assert "草稿，尚未提交" in page.text and "2026-06-20 23:59:59 +08:00" in page.text
    # a wrong field is named with its rule, as typed (htmx check) and after saving
    from tests.integration.web.helpers import center_form

    form = center_form(uscc(1), "长江智造")
    flat = {"basic.contact_phone": "12", "basic.lead_name": "长江智造", "basic.uscc": uscc(1)}
    r = _post(c, f"/enterprise/applications/{app_id}/check", flat,
              page=f"/enterprise/applications/{app_id}")  # fmt: skip
    assert r.status_code == 200
    err = re.search(r'id="e-basic-contact_phone" hx-swap-oob="true">(.*?)</span>\s', r.text)
    assert err is not None and "phone" in err.group(1), r.text[:2000]
    # upload the filled template, then submit
    import io

    from programs.forms import write_form_xlsx

    buf = io.BytesIO()
    write_form_xlsx("szzx-2026-2", "center", buf, form)
    token = csrf_of(c.get(f"/enterprise/applications/{app_id}").text)
    r = c.post(f"/enterprise/applications/{app_id}/upload", data={"csrf_token": token},
               files={"file": ("form.xlsx", buf.getvalue(), "application/octet-stream")})  # fmt: skip
    assert r.status_code == 200, r.text[-3000:]
    assert "表单校验通过" in r.text
    r = _post(c, f"/enterprise/applications/{app_id}/submit", {},
              page=f"/enterprise/applications/{app_id}", follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[-2000:]
    assert _state(world, app_id) == State.SUBMITTED.value
    # the province of 湖北 sees it with its quota gauge and recommends it
    world.account("province", "湖北/industry", "hb@industry.example.cn", "湖北省工业和信息化厅")
    p = world.login("hb@industry.example.cn")
    queue = p.get("/review")
    assert queue.status_code == 200 and "长江智造" in queue.text
    assert "已用 0 / 3" in queue.text
    r = _post(p, f"/review/applications/{app_id}/decide", {"decision": "recommend"})
    assert r.status_code == 409 and "RefuseEarlyRecommendation" in r.text
    world.at("2026-06-22T10:00:00+08:00")
    assert p.get("/review").status_code == 401  # the session ended with the clock
    p = world.login("hb@industry.example.cn")
    r = _post(p, f"/review/applications/{app_id}/decide", {"decision": "recommend"},
              follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[-2000:]
    assert _state(world, app_id) == State.RECOMMENDED.value
    assert "已用 1 / 3" in p.get("/review").text


def _recommended(world: World, n: int, name: str, province: str) -> int:
    app_id = world.application(n, name, province)
    from web import acts

    acts.submit(world.svc, world.principal("enterprise", uscc(n)), app_id, now=world.now())
    return app_id


def test_ministry_scores_through_two_experts_publishes_and_the_public_objects(world: World) -> None:
    world.open_campaign()
    a = _recommended(world, 11, "甲数字化转型中心", "广东")
    b = _recommended(world, 12, "乙数字化转型中心", "江苏")
    world.at("2026-06-22T10:00:00+08:00")
    from web import acts

    for app_id, prov in ((a, "广东"), (b, "江苏")):
        acts.review(world.svc, world.principal("province", prov), app_id, "recommend",
                    reason=None, now=world.now())  # fmt: skip
    world.at("2026-07-15T09:00:00+08:00")
    world.account("ministry", None, "coord@ministry.example.cn", "主管司局")
    m = world.login("coord@ministry.example.cn")
    home = m.get("/ministry")
    assert home.status_code == 200 and "第二批制造业数字化转型促进中心建设" in home.text
    cid = int(re.search(r'id="campaign-link-(\d+)"', home.text).group(1))
    page = m.get(f"/ministry/campaigns/{cid}")
    sheet = re.search(r'id="sheet-json">(.*?)</textarea>', page.text, re.S).group(1)
    import html

    r = _post(m, f"/ministry/campaigns/{cid}/sheet", {"sheet": html.unescape(sheet)},
              follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[-1500:]
    r = _post(m, f"/ministry/campaigns/{cid}/open-scoring", {}, follow_redirects=False)
    assert r.status_code == 303, r.text[-1500:]
    assert _state(world, a) == State.EXPERT_SCORING.value
    # two experts from another province; a third of the applicant's own province is refused
    for app_id in (a, b):
        for expert in ("E01", "E02", "E03"):
            r = _post(m, f"/ministry/applications/{app_id}/assign",
                      {"expert_id": expert, "province": "北京"}, follow_redirects=False)  # fmt: skip
            assert r.status_code == 303, r.text[-1500:]
    r = _post(m, f"/ministry/applications/{a}/assign", {"expert_id": "E09", "province": "广东"})
    assert r.status_code == 409 and "AvoidConflictOfInterest" in r.text
    for expert in ("E01", "E02", "E03"):
        world.account("expert", expert, f"{expert.lower()}@experts.example.cn")
        e = world.login(f"{expert.lower()}@experts.example.cn")
        listing = e.get("/expert")
        assert "甲数字化转型中心" in listing.text
        before = e.get(f"/expert/applications/{a}")
        assert "利益冲突声明" in before.text and "牵头单位名称" not in before.text
        for app_id, points in ((a, ("35", "25", "25")), (b, ("30", "20", "20"))):
            r = _post(e, f"/expert/applications/{app_id}/declare", {"conflict": "no"},
                      follow_redirects=False)  # fmt: skip
            assert r.status_code == 303, r.text[-1500:]
            shown = e.get(f"/expert/applications/{app_id}")
            assert "牵头单位名称" in shown.text
            scores = dict(zip(("capability", "innovation", "cases"), points, strict=True))
            r = _post(e, f"/expert/applications/{app_id}/score",
                      {f"score.{k}": v for k, v in scores.items()}, follow_redirects=False)  # fmt: skip
            assert r.status_code == 303, r.text[-1500:]
    world.at("2026-09-10T10:00:00+08:00")
    m = world.login("coord@ministry.example.cn")
    r = _post(m, f"/ministry/campaigns/{cid}/shortlist", {"top_k": "1"})
    assert r.status_code == 200, r.text[-1500:]
    assert _state(world, a) == State.SHORTLISTED.value
    assert _state(world, b) == State.NOT_SHORTLISTED.value
    world.at("2026-09-28T09:00:00+08:00")
    m = world.login("coord@ministry.example.cn")
    r = _post(m, f"/ministry/campaigns/{cid}/publish", {}, follow_redirects=False)
    assert r.status_code == 303, r.text[-1500:]
    # the public, signed out, reads the list to the second and objects
    world.at("2026-10-08T10:00:00+08:00")
    pub = world.client()
    lst = pub.get("/public/notices")
    assert lst.status_code == 200 and "甲数字化转型中心" in lst.text
    assert "2026-10-09 23:59:59 +08:00" in lst.text or "2026-10-10 00:00:00 +08:00" in lst.text
    form = pub.get(f"/public/notices/{a}/objection")
    r = pub.post(f"/public/notices/{a}/objection", data={"csrf_token": csrf_of(form.text),
                 "contact": "13900000000 张先生", "reason": "营业收入与审计报告不符"})  # fmt: skip
    assert r.status_code == 200 and "异议已受理" in r.text, r.text[-1500:]
    m = world.login("coord@ministry.example.cn")
    page = m.get(f"/ministry/campaigns/{cid}")
    oid = int(re.search(r'id="resolve-(\d+)"', page.text).group(1))
    r = _post(m, f"/ministry/objections/{oid}/resolve",
              {"outcome": "dismissed", "reason": "经核查，数据属实", "campaign_id": str(cid)},
              follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[-1500:]
    world.at("2026-10-10T09:00:00+08:00")
    m = world.login("coord@ministry.example.cn")
    r = _post(m, f"/ministry/campaigns/{cid}/close", {})
    assert r.status_code == 200, r.text[-1500:]
    assert _state(world, a) == State.CONFIRMED.value
    # one second after the period, the public's objection is refused by the rule
    late = pub.get("/public/notices")
    assert "甲数字化转型中心" not in late.text
    page = m.get(f"/ministry/campaigns/{cid}").text
    titles = page[page.index("称号 Titles") : page.index("逾期年度报告")]
    assert "甲数字化转型中心" in titles and "乙数字化转型中心" not in titles
    world.account("auditor", None, "audit@example.cn")
    aud = world.login("audit@example.cn")
    found = aud.get("/auditor?q=甲数字化").text
    assert re.search(r'id="checkpoint">最新检查点 Latest checkpoint: #\d+', found)
    history = aud.get(f"/auditor/applications/{a}").text
    assert "记录链完整" in history and "public" in history and "objection:file" in history


def test_english_switch_downloads_and_messages(world: World) -> None:
    world.open_campaign()
    app_id = _recommended(world, 21, "庚中心", "广东")
    world.account("enterprise", uscc(21), "e21@applicant.example.cn", "庚中心")
    c = world.login("e21@applicant.example.cn")
    assert "我的申报" in c.get("/enterprise").text
    r = c.get(
        "/lang/en", headers={"referer": "http://127.0.0.1/enterprise"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "http://127.0.0.1/enterprise"
    page = c.get("/enterprise")
    assert "My applications" in page.text and 'lang="en"' in page.text
    assert c.get("/lang/xx").status_code == 404
    # an off-site referer is not followed
    r = c.get("/lang/zh", headers={"referer": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"
    ics = c.get(f"/enterprise/applications/{app_id}/deadline.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "DTEND;TZID=Asia/Shanghai:20260620T235959" in ics.text
    docx = c.get(f"/enterprise/applications/{app_id}/form.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    xlsx = c.get(f"/enterprise/applications/{app_id}/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    messages = c.get("/enterprise/messages").text
    assert "submitted" in messages and "e21@applicant.example.cn" in messages
    # the applicant sees its own state name, the province the staff name
    assert "已提交，等待推荐" in c.get("/enterprise").text


def test_an_expert_declaring_a_conflict_never_sees_the_form(world: World) -> None:
    world.open_campaign()
    app_id = _recommended(world, 31, "辛中心", "广东")
    world.at("2026-06-22T10:00:00+08:00")
    from web import acts

    acts.review(world.svc, world.principal("province", "广东"), app_id, "recommend", reason=None,
                now=world.now())  # fmt: skip
    world.at("2026-07-15T09:00:00+08:00")
    ministry = world.principal("ministry", None)
    acts.define_sheet(world.svc, ministry, 1, {"aggregation": "mean", "criteria": [
        {"id": "all", "label_zh": "综合", "max_points": 100, "weight": 1}]}, now=world.now())  # fmt: skip
    acts.open_scoring(world.svc, ministry, 1, now=world.now())
    acts.assign_expert(world.svc, ministry, app_id, expert_id="E07", org_uscc=None,
                       province="北京", now=world.now())  # fmt: skip
    world.account("expert", "E07", "e07@experts.example.cn")
    e = world.login("e07@experts.example.cn")
    r = _post(e, f"/expert/applications/{app_id}/declare", {"conflict": "yes", "note": "曾任顾问"},
              follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = e.get(f"/expert/applications/{app_id}").text
    assert "已声明存在利益冲突" in page and "牵头单位名称" not in page
    r = _post(e, f"/expert/applications/{app_id}/score", {"score.all": "90"})
    assert r.status_code == 403 and "DeclareBeforeScoring" in r.text
    world.account("ministry", None, "m@ministry.example.cn")
    assert (
        f'id="conflict-{app_id}-E07"'
        in world.login("m@ministry.example.cn").get("/ministry/campaigns/1").text
    )
    with world.db.sessions() as s:
        from store.models import AuditRecord

        rec = s.scalars(select(AuditRecord).where(AuditRecord.application_id == app_id,
                                                  AuditRecord.trigger == "expert:declare")).one()  # fmt: skip
    assert rec.accepted and rec.actor_scope == "E07" and rec.reason == "曾任顾问"
