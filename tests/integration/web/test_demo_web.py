"""`shenbao web --demo`'s rehearsal: every role signs in and finds something to do."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.integration.web.helpers import csrf_of
from web.app import create_app
from web.demo import prepare
from web.settings import WebSettings


def test_every_role_has_something_to_do(tmp_path: Path) -> None:
    db, clock, logins = prepare(tmp_path / "rehearsal")
    settings = WebSettings(database_url=db.url, clock_file=clock)
    app = create_app(settings, db)

    def login(role: str) -> TestClient:
        found = next(x for x in logins if x.role == role)
        c = TestClient(app, base_url="http://127.0.0.1")
        page = c.get("/login")
        r = c.post("/login", data={"csrf_token": csrf_of(page.text), "email": found.email,
                                   "password": found.password}, follow_redirects=False)  # fmt: skip
        assert r.status_code == 303, r.text[-300:]
        return c

    assert {x.role for x in logins} == {"enterprise", "province", "ministry", "expert", "auditor"}
    ent = login("enterprise")
    listing = ent.get("/enterprise").text
    app_id = int(re.search(r'id="state-(\d+)"', listing).group(1))
    page = ent.get(f"/enterprise/applications/{app_id}").text
    assert "草稿，尚未提交" in page and "表单有1处错误" in page and "2026-06-20 23:59:59" in page
    queue = login("province").get("/review").text
    assert queue.count('id="decide-') == 2 and "已用 3 / 10" in queue
    ministry = login("ministry")
    campaigns = ministry.get("/ministry").text
    assert "专家评审中 1" in campaigns and "公示中 2" in campaigns
    expert = login("expert").get("/expert").text
    assert "待评分" in expert
    public = TestClient(app).get("/public/notices").text
    assert public.count('id="object-') == 2
    assert login("auditor").get("/auditor").status_code == 200
    db.dispose()
