"""Every role against every route (401 / 403 / 404), CSRF, session fixation, lockout, cookies,
hostile names rendered inert, the public rate limit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from store.models import Application, AuditRecord
from tests.integration.web.helpers import PASSWORD, World, csrf_of, make_world, uscc
from web import acts


@dataclass
class Cast:
    world: World
    a: int  # enterprise 1's application (广东)
    b: int  # enterprise 2's application (江苏)
    cid: int
    clients: dict[str, TestClient]
    draft: int  # enterprise 3's unsubmitted draft (广东)


EMAILS = {
    "enterprise": "e1@applicant.example.cn",
    "enterprise2": "e2@applicant.example.cn",
    "province": "gd@commerce.example.cn",
    "province2": "js@commerce.example.cn",
    "ministry": "coord@ministry.example.cn",
    "expert": "e01@experts.example.cn",
    "auditor": "audit@example.cn",
}


@pytest.fixture(scope="module")
def cast(tmp_path_factory: pytest.TempPathFactory) -> Cast:
    world = make_world(tmp_path_factory.mktemp("cast"))
    cid = world.open_campaign()
    a = world.application(1, "甲中心", "广东")
    b = world.application(2, "乙中心", "江苏")
    acts.submit(world.svc, world.principal("enterprise", uscc(1)), a, now=world.now())
    draft = world.application(3, "丙草稿中心", "广东")
    world.account("enterprise", uscc(1), EMAILS["enterprise"])
    world.account("enterprise", uscc(2), EMAILS["enterprise2"])
    world.account("province", "广东/industry", EMAILS["province"])
    world.account("province", "江苏/industry", EMAILS["province2"])
    world.account("ministry", None, EMAILS["ministry"])
    world.account("expert", "E01", EMAILS["expert"])
    world.account("auditor", None, EMAILS["auditor"])
    clients = {k: world.login(v) for k, v in EMAILS.items()}
    return Cast(world, a, b, cid, clients, draft)


ROLES_ALL = ("enterprise", "province", "ministry", "expert", "auditor")
# (method, path, the roles whose door it is)
ROUTES: list[tuple[str, str, tuple[str, ...]]] = [
    ("GET", "/enterprise", ("enterprise",)),
    ("GET", "/enterprise/new", ("enterprise",)),
    ("GET", "/enterprise/applications/{a}", ("enterprise",)),
    ("GET", "/enterprise/applications/{a}/template.xlsx", ("enterprise",)),
    ("GET", "/enterprise/applications/{a}/form.docx", ("enterprise",)),
    ("GET", "/enterprise/applications/{a}/deadline.ics", ("enterprise",)),
    ("GET", "/enterprise/reports", ("enterprise",)),
    ("GET", "/enterprise/messages", ("enterprise",)),
    ("POST", "/enterprise/new", ("enterprise",)),
    ("POST", "/enterprise/applications/{a}/check", ("enterprise",)),
    ("POST", "/enterprise/applications/{a}/form", ("enterprise",)),
    ("POST", "/enterprise/applications/{a}/upload", ("enterprise",)),
    ("POST", "/enterprise/applications/{a}/submit", ("enterprise",)),
    ("POST", "/enterprise/applications/{a}/withdraw", ("enterprise",)),
    ("POST", "/enterprise/reports/{a}/2027", ("enterprise",)),
    ("GET", "/enterprise/messages/1.ics", ("enterprise",)),
    ("GET", "/review", ("province",)),
    ("GET", "/review/applications/{a}", ("province",)),
    ("POST", "/review/applications/{a}/decide", ("province",)),
    ("GET", "/ministry", ("ministry",)),
    ("GET", "/ministry/campaigns/{cid}", ("ministry",)),
    ("GET", "/ministry/accounts", ("ministry",)),
    ("POST", "/ministry/campaigns", ("ministry",)),
    ("POST", "/ministry/campaigns/{cid}/sheet", ("ministry",)),
    ("POST", "/ministry/campaigns/{cid}/open-scoring", ("ministry",)),
    ("POST", "/ministry/applications/{a}/assign", ("ministry",)),
    ("POST", "/ministry/campaigns/{cid}/shortlist", ("ministry",)),
    ("POST", "/ministry/campaigns/{cid}/ties", ("ministry",)),
    ("POST", "/ministry/campaigns/{cid}/publish", ("ministry",)),
    ("POST", "/ministry/objections/1/resolve", ("ministry",)),
    ("POST", "/ministry/campaigns/{cid}/close", ("ministry",)),
    ("POST", "/ministry/accounts/invite", ("ministry",)),
    ("POST", "/ministry/accounts/disable", ("ministry",)),
    ("GET", "/expert", ("expert",)),
    ("GET", "/expert/applications/{a}", ("expert",)),
    ("POST", "/expert/applications/{a}/declare", ("expert",)),
    ("POST", "/expert/applications/{a}/score", ("expert",)),
    ("GET", "/auditor", ("auditor", "ministry")),
    ("GET", "/auditor/applications/{a}", ("auditor", "ministry")),
    ("GET", "/account/tokens", ("enterprise", "province", "ministry", "expert", "auditor")),
    ("GET", "/api/v1/me", ("enterprise", "province", "ministry", "expert", "auditor")),
    ("GET", "/api/v1/applications", ("enterprise", "province", "ministry", "expert", "auditor")),
    ("GET", "/api/v1/applications/{a}", ROLES_ALL),
    ("GET", "/api/v1/applications/{a}/history", ROLES_ALL),
    ("POST", "/api/v1/applications", ("enterprise",)),
    ("PUT", "/api/v1/applications/{a}/form", ROLES_ALL),
    ("POST", "/api/v1/applications/{a}/submit", ROLES_ALL),
    ("POST", "/api/v1/applications/{a}/withdraw", ROLES_ALL),
    ("POST", "/api/v1/applications/{a}/review", ROLES_ALL),
    ("POST", "/api/v1/applications/{a}/scores", ("expert",)),
]
ROLES = ROLES_ALL


def _call(c: TestClient, method: str, path: str, cast: Cast, csrf: str | None):  # type: ignore[no-untyped-def]
    url = path.format(a=cast.a, cid=cast.cid)
    if method == "GET":
        return c.get(url, follow_redirects=False)
    if method == "PUT":
        return c.put(url, json={"form": {}}, follow_redirects=False)
    return c.post(url, data={"csrf_token": csrf or ""}, follow_redirects=False)


def _csrf(c: TestClient) -> str:
    return csrf_of(c.get("/account/tokens").text)


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES)
def test_without_a_session_every_door_answers_401(cast: Cast, method: str, path: str,
                                                  allowed: tuple[str, ...]) -> None:  # fmt: skip
    anon = cast.world.client()
    csrf = csrf_of(anon.get("/login").text)  # a valid pre-login token: 401 is about the session
    r = _call(anon, method, path, cast, csrf)
    assert r.status_code == 401, (method, path, r.status_code)
    if path.startswith("/api/"):
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["rule"] == "Unauthenticated"


@pytest.mark.parametrize("who", ROLES)
def test_every_role_outside_its_doors_gets_403(cast: Cast, who: str) -> None:
    c = cast.clients[who]
    csrf = _csrf(c)
    for method, path, allowed in ROUTES:
        if who in allowed:
            continue
        r = _call(c, method, path, cast, csrf)
        assert r.status_code == 403, (who, method, path, r.status_code, r.text[-300:])


def test_every_page_opens_for_its_own_role(cast: Cast) -> None:
    for method, path, allowed in ROUTES:
        if method != "GET":
            continue
        for who in allowed:
            r = _call(cast.clients[who], method, path, cast, None)
            if (who == "expert" and "{a}" in path) or "/messages/" in path:
                assert r.status_code == 404  # not assigned to E01 / no such message of its own
                continue
            assert r.status_code == 200, (who, path, r.status_code, r.text[-500:])


def test_another_scopes_application_is_not_found(cast: Cast) -> None:
    e2, p2 = cast.clients["enterprise2"], cast.clients["province2"]
    a = cast.a
    for c, url in ((e2, f"/enterprise/applications/{a}"), (e2, f"/enterprise/applications/{a}/form.docx"),
                   (e2, f"/api/v1/applications/{a}"), (e2, f"/api/v1/applications/{a}/history"),
                   (p2, f"/review/applications/{a}"), (p2, f"/api/v1/applications/{a}"),
                   (cast.clients["expert"], f"/expert/applications/{a}")):  # fmt: skip
        r = c.get(url)
        assert r.status_code == 404, (url, r.status_code)
    # the same for writes: nothing is attempted, nothing is audited
    with cast.world.db.sessions() as s:
        before = s.scalar(select(Application.audit_count).where(Application.id == a))
    csrf = _csrf(e2)
    for url in (f"/enterprise/applications/{a}/submit", f"/enterprise/applications/{a}/withdraw",
                f"/enterprise/applications/{a}/form"):  # fmt: skip
        assert e2.post(url, data={"csrf_token": csrf}).status_code == 404
    csrf = _csrf(p2)
    r = p2.post(f"/review/applications/{a}/decide", data={"csrf_token": csrf, "decision": "reject"})
    assert r.status_code == 404
    with cast.world.db.sessions() as s:
        after = s.scalar(select(Application.audit_count).where(Application.id == a))
    assert after == before
    # and the lists show only the own scope
    assert "乙中心" not in cast.clients["enterprise"].get("/enterprise").text
    assert "乙中心" not in cast.clients["province"].get("/review").text
    ids = [x["id"] for x in e2.get("/api/v1/applications").json()]
    assert ids == [cast.b]


def test_csrf_missing_or_foreign_token_is_refused(cast: Cast) -> None:
    c = cast.clients["enterprise"]
    with cast.world.db.sessions() as s:
        version = s.scalar(select(Application.form_version).where(Application.id == cast.a))
    url = f"/enterprise/applications/{cast.a}/form"
    foreign = _csrf(cast.clients["enterprise2"])
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": foreign}):
        r = c.post(url, data={**data, "basic.lead_name": "改名"})
        assert r.status_code == 403 and "CsrfToken" in r.text
    # a JSON write by a cookie session needs the header too
    r = c.post(f"/api/v1/applications/{cast.a}/submit")
    assert r.status_code == 403 and r.json()["rule"] == "CsrfToken"
    with cast.world.db.sessions() as s:
        after = s.scalar(select(Application.form_version).where(Application.id == cast.a))
    assert after == version


def test_session_fixation_is_impossible_and_cookies_are_strict(tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = make_world(tmp_path)
    world.account("ministry", None, "m@ministry.example.cn")
    world.account("auditor", None, "x@example.cn")
    # an attacker plants a cookie value of their choosing: it is never adopted
    victim = world.client()
    victim.cookies.set("sb_session", "attacker-chosen-value")
    page = victim.get("/login")
    r = victim.post("/login", data={"csrf_token": csrf_of(page.text), "email": "m@ministry.example.cn",
                                    "password": PASSWORD}, follow_redirects=False)  # fmt: skip
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    token = r.cookies.get("sb_session")
    assert token and token != "attacker-chosen-value"
    attacker = world.client()
    attacker.cookies.set("sb_session", "attacker-chosen-value")
    assert attacker.get("/ministry").status_code == 401
    # an attacker's own valid session planted on the victim is revoked by the victim's login
    attacker = world.login("x@example.cn")
    planted = attacker.cookies.get("sb_session")
    victim2 = world.client()
    victim2.cookies.set("sb_session", planted, domain="127.0.0.1")
    page = victim2.get("/login")
    r = victim2.post("/login", data={"csrf_token": csrf_of(page.text), "email": "m@ministry.example.cn",
                                     "password": PASSWORD}, follow_redirects=False)  # fmt: skip
    fresh = r.cookies.get("sb_session")
    assert fresh and fresh != planted
    assert attacker.get("/auditor").status_code == 401
    # logout ends the session on the server, not only in the browser
    victim3 = world.client()
    victim3.cookies.set("sb_session", fresh, domain="127.0.0.1")
    assert victim3.get("/ministry").status_code == 200
    victim3.post("/logout", data={"csrf_token": _csrf(victim3)})
    again = world.client()
    again.cookies.set("sb_session", fresh)
    assert again.get("/ministry").status_code == 401
    # over https the cookie is Secure
    from dataclasses import replace

    from web.app import create_app

    tls = TestClient(create_app(replace(world.settings, base_url="https://shenbao.example.cn"),
                                world.db), base_url="https://shenbao.example.cn")  # fmt: skip
    page = tls.get("/login")
    r = tls.post("/login", data={"csrf_token": csrf_of(page.text), "email": "m@ministry.example.cn",
                                 "password": PASSWORD}, follow_redirects=False)  # fmt: skip
    assert "Secure" in r.headers["set-cookie"]
    world.db.dispose()


def test_login_is_locked_after_five_failures(tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = make_world(tmp_path)
    world.account("ministry", None, "m@ministry.example.cn")
    c = world.client()

    def attempt(password: str):  # type: ignore[no-untyped-def]
        page = c.get("/login")
        return c.post("/login", data={"csrf_token": csrf_of(page.text),
                                      "email": "m@ministry.example.cn", "password": password},
                      follow_redirects=False)  # fmt: skip

    for _ in range(4):
        r = attempt("wrong password!")
        assert r.status_code == 401 and "LoginFailed" in r.text
    r = attempt("wrong password!")
    assert r.status_code == 403 and "AccountLocked" in r.text
    r = attempt(PASSWORD)  # the right password, inside the lock
    assert r.status_code == 403 and "AccountLocked" in r.text
    world.at("2026-06-01T10:16:00+08:00")
    assert attempt(PASSWORD).status_code == 303
    world.db.dispose()


HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_hostile_names_and_reasons_are_rendered_inert(tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = make_world(tmp_path)
    world.open_campaign()
    app_id = world.application(5, f"恶意{HOSTILE}", "广东")
    who = world.principal("enterprise", uscc(5))
    acts.submit(world.svc, who, app_id, now=world.now())
    world.at("2026-06-22T10:00:00+08:00")
    acts.review(world.svc, world.principal("province", "广东"), app_id, "reject",
                reason=f"退回{HOSTILE}", now=world.now())  # fmt: skip
    world.account("enterprise", uscc(5), "e5@applicant.example.cn", f"名{HOSTILE}")
    world.account("province", "广东/industry", "gd@commerce.example.cn")
    world.account("ministry", None, "m@ministry.example.cn")
    world.account("auditor", None, "a@example.cn")
    pages = [
        ("e5@applicant.example.cn", "/enterprise"),
        ("e5@applicant.example.cn", f"/enterprise/applications/{app_id}"),
        ("gd@commerce.example.cn", "/review"),
        ("gd@commerce.example.cn", f"/review/applications/{app_id}"),
        ("m@ministry.example.cn", "/ministry/campaigns/1"),
        ("m@ministry.example.cn", "/ministry/accounts"),
        ("a@example.cn", f"/auditor/applications/{app_id}"),
        ("a@example.cn", "/auditor?q=恶意"),
    ]
    for email, url in pages:
        r = world.login(email).get(url)
        assert r.status_code == 200, (url, r.text[-500:])
        assert "<script>alert" not in r.text and "<img src=x" not in r.text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text, url
        assert "script-src 'self'" in r.headers["content-security-policy"]
    world.db.dispose()


def test_public_objections_are_rate_limited_and_refusals_audited(tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = make_world(tmp_path)
    world.open_campaign()
    app_id = world.application(6, "丙中心", "广东")
    pub = world.client()
    csrf = csrf_of(pub.get("/login").text)
    codes = [pub.post(f"/public/notices/{app_id}/objection",
                      data={"csrf_token": csrf, "contact": "张先生", "reason": "不实"}).status_code
             for _ in range(6)]  # fmt: skip
    # not on a notice list: refused by the rule (409), then throttled (429)
    assert codes[:5] == [409] * 5 and codes[5] == 429
    with world.db.sessions() as s:
        refused = s.scalars(select(AuditRecord).where(AuditRecord.application_id == app_id,
                                                      AuditRecord.trigger == "objection:file"))  # fmt: skip
        rules = {r.rule for r in refused}
    assert rules == {"ObjectionOnlyOnNoticeList"}
    world.db.dispose()


def test_a_draft_is_the_applicants_own_until_submitted(cast: Cast) -> None:
    p = cast.clients["province"]
    queue = p.get("/review").text
    assert "甲中心" in queue and "丙草稿中心" not in queue
    for url in (f"/review/applications/{cast.draft}", f"/api/v1/applications/{cast.draft}",
                f"/api/v1/applications/{cast.draft}/history"):  # fmt: skip
        assert p.get(url).status_code == 404, url
    assert cast.draft not in [x["id"] for x in p.get("/api/v1/applications").json()]
    r = p.post(f"/review/applications/{cast.draft}/decide",
               data={"csrf_token": _csrf(p), "decision": "reject", "reason": "x"})  # fmt: skip
    assert r.status_code == 404
    # the ministry and the auditor see it, the province does once it is submitted
    assert cast.clients["auditor"].get(f"/auditor/applications/{cast.draft}").status_code == 200
