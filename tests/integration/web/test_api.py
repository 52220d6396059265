"""The JSON API: bearer tokens (hashed, scoped, expiring), problem+json errors naming the rule,
the same acts as the pages; and schemathesis against the generated OpenAPI finding no 5xx."""

from __future__ import annotations

import re
from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from store.accounts import ApiToken
from tests.integration.web.helpers import World, center_form, csrf_of, uscc
from web import acts


def _token(
    world: World, email: str, scopes: tuple[str, ...] = ("read", "write"), days: str = "30"
) -> str:
    c = world.login(email)
    csrf = csrf_of(c.get("/account/tokens").text)
    r = c.post("/account/tokens", data={"csrf_token": csrf, "name": "scheduler",
                                        "scopes": list(scopes), "days": days})  # fmt: skip
    assert r.status_code == 200, r.text[-500:]
    m = re.search(r'id="new-token">([^<]+)</code>', r.text)
    assert m is not None
    return m.group(1)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_stored_hashed_scoped_and_expire(world: World) -> None:
    world.open_campaign()
    app_id = world.application(1, "甲中心", "广东")
    world.account("enterprise", uscc(1), "e1@applicant.example.cn")
    token = _token(world, "e1@applicant.example.cn", ("read",))
    with world.db.sessions() as s:
        stored = [t.token_hash for t in s.scalars(select(ApiToken))]
    assert token not in stored and len(stored[0]) == 64
    api = TestClient(world.app)
    me = api.get("/api/v1/me", headers=_bearer(token))
    assert me.status_code == 200 and me.json()["actor"] == f"enterprise:{uscc(1)}"
    assert me.json()["via"] == "token"
    # read-only: a write is refused before it reaches the lifecycle
    r = api.post(f"/api/v1/applications/{app_id}/submit", headers=_bearer(token))
    assert r.status_code == 403 and r.json()["rule"] == "EnforceActorRole"
    assert r.headers["content-type"].startswith("application/problem+json")
    # a write token submits; a second submit is refused by the lifecycle, naming its rule
    writer = _token(world, "e1@applicant.example.cn", ("read", "write"))
    r = api.post(f"/api/v1/applications/{app_id}/submit", headers=_bearer(writer))
    assert r.status_code == 200 and r.json()["to_state"] == "submitted"
    r = api.post(f"/api/v1/applications/{app_id}/submit", headers=_bearer(writer))
    body = r.json()
    assert r.status_code == 409 and body["status"] == 409 and body["rule"]
    assert body["detail"] and body["instance"] == f"/api/v1/applications/{app_id}/submit"
    # wrong or expired tokens are no one
    assert api.get("/api/v1/me", headers=_bearer("sbt_forged")).status_code == 401
    world.at("2026-07-02T10:00:00+08:00")
    r = api.get("/api/v1/me", headers=_bearer(writer))
    assert r.status_code == 401 and r.json()["rule"] == "Unauthenticated"


def test_an_auditor_token_cannot_write(world: World) -> None:
    world.account("auditor", None, "audit@example.cn")
    c = world.login("audit@example.cn")
    csrf = csrf_of(c.get("/account/tokens").text)
    r = c.post(
        "/account/tokens", data={"csrf_token": csrf, "scopes": ["read", "write"], "days": "5"}
    )
    assert r.status_code == 422 and "TokenScope" in r.text


def test_late_submission_through_the_api_is_refused_with_the_rule(world: World) -> None:
    world.open_campaign()
    app_id = world.application(3, "丁中心", "广东")
    world.account("enterprise", uscc(3), "e3@applicant.example.cn")
    token = _token(world, "e3@applicant.example.cn")
    world.at("2026-06-21T00:00:00+08:00")
    r = TestClient(world.app).post(f"/api/v1/applications/{app_id}/submit", headers=_bearer(token))
    assert r.status_code == 409
    assert r.json()["rule"] == "RefuseLateSubmission" and "逾期不予受理" in r.json()["detail"]


def test_form_and_decision_through_the_api(world: World) -> None:
    world.open_campaign()
    world.account("enterprise", uscc(4), "e4@applicant.example.cn")
    world.account("province", "广东/industry", "gd@industry.example.cn")
    api = TestClient(world.app)
    ent = _bearer(_token(world, "e4@applicant.example.cn"))
    r = api.post("/api/v1/applications", headers=ent,
                 json={"edition": "szzx-2026-2", "name": "戊中心", "province": "广东"})  # fmt: skip
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    bad = center_form(uscc(4), "戊中心")
    bad["head"]["mobile"] = "123"
    r = api.put(f"/api/v1/applications/{app_id}/form", headers=ent, json={"form": bad})
    assert r.status_code == 200 and any("head.mobile" in e for e in r.json()["form_errors"])
    r = api.post(f"/api/v1/applications/{app_id}/submit", headers=ent)
    assert r.status_code == 409 and r.json()["rule"]
    good = center_form(uscc(4), "戊中心")
    assert (
        api.put(f"/api/v1/applications/{app_id}/form", headers=ent, json={"form": good}).json()[
            "form_errors"
        ]
        == []
    )
    assert api.post(f"/api/v1/applications/{app_id}/submit", headers=ent).status_code == 200
    world.at("2026-06-22T10:00:00+08:00")
    prov = _bearer(_token(world, "gd@industry.example.cn"))
    r = api.post(f"/api/v1/applications/{app_id}/review", headers=prov,
                 json={"decision": "recommend"})  # fmt: skip
    assert r.status_code == 200 and r.json()["to_state"] == "recommended"
    hist = api.get(f"/api/v1/applications/{app_id}/history", headers=prov).json()
    assert [h["trigger"] for h in hist if h["accepted"]][-2:] == ["submit", "recommend"]
    assert hist[-1]["actor"] == "province:广东/industry"


def test_openapi_documents_the_api_only(world: World) -> None:
    spec = TestClient(world.app).get("/openapi.json").json()
    assert spec["paths"] and all(p.startswith("/api/v1/") for p in spec["paths"])
    problem = spec["paths"]["/api/v1/applications/{app_id}/submit"]["post"]["responses"]["409"]
    assert "application/problem+json" in problem["content"]


# -- schemathesis: generated requests against every operation, no 5xx --------------------------


def test_generated_requests_find_no_server_error(world: World) -> None:
    from hypothesis import given

    world.open_campaign()
    world.application(7, "己中心", "广东")
    world.account("enterprise", uscc(7), "e7@applicant.example.cn")
    headers = _bearer(_token(world, "e7@applicant.example.cn"))
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    seen: list[str] = []
    for found in schema.get_all_operations():
        operation = found.ok()
        seen.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def probe(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            if response.status_code >= 400:
                kind = response.headers.get("content-type") or [""]
                kind = kind[0] if isinstance(kind, list) else kind
                assert kind.startswith("application/problem+json"), (case.path, kind)
                assert response.json()["rule"]

        probe()
    assert len(seen) >= 10, seen


def test_no_act_is_reachable_without_the_acts_module() -> None:
    """Every write of web/ goes through web.acts: no router imports a service object directly."""
    root = Path(acts.__file__).parent
    for path in (root / "routers").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "store.service" not in text and "store.review" not in text, path
        assert ".transaction()" not in text, path
