"""The session door of every request: the idle clock kept by use, the lifetime, logout, a
disabled account; each a 401 from then on (the web reads a session and its account in one query)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from store import accounts
from tests.integration.web.helpers import World, csrf_of, uscc
from web import acts


def _seen(world: World, email: str) -> list[object]:
    with world.db.sessions() as s:
        account = accounts.get_by_email(s, email)
        assert account is not None
        return list(
            s.scalars(
                select(accounts.WebSession.last_seen_at).where(
                    accounts.WebSession.account_id == account.id,
                    accounts.WebSession.revoked_at.is_(None),
                )
            )
        )


def test_use_keeps_a_session_alive_until_its_lifetime_and_no_longer(world: World) -> None:
    email = world.account("ministry", None, "coord@ministry.example.cn")
    c = world.login(email)
    start = world.now()
    for hours in range(1, 8):  # used every hour: never idle for 2 hours, so alive ...
        at = start + timedelta(hours=hours)
        world.at(at.isoformat())
        assert c.get("/ministry").status_code == 200, hours
        assert _seen(world, email) == [at]  # ... and the idle clock moved with each use
    world.at((start + timedelta(hours=7, seconds=30)).isoformat())
    assert c.get("/ministry").status_code == 200
    assert _seen(world, email) == [start + timedelta(hours=7)]  # not rewritten within a minute
    world.at((start + timedelta(hours=8)).isoformat())  # ... until its lifetime ends
    assert c.get("/ministry").status_code == 401


def test_idle_logout_and_disable_each_end_a_session(world: World) -> None:
    email = world.account("ministry", None, "coord@ministry.example.cn")
    c = world.login(email)
    start = world.now()
    world.at((start + timedelta(hours=1, minutes=59)).isoformat())
    assert c.get("/ministry").status_code == 200
    world.at((start + timedelta(hours=4)).isoformat())  # idle for 2 h 1 min
    assert c.get("/ministry").status_code == 401
    c = world.login(email)
    page = c.get("/ministry")
    assert page.status_code == 200
    r = c.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code in (302, 303)
    assert c.get("/ministry").status_code == 401
    e = world.account("enterprise", uscc(1), "e@applicant.example.cn")
    ce = world.login(e)
    assert ce.get("/enterprise").status_code == 200
    acts.disable_as_operator(world.svc, email=e, now=world.now(), operator="ministry")
    assert ce.get("/enterprise").status_code == 401
