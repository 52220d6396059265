"""A web service over a fresh SQLite file with a simulated clock, and people to sign in with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from programs.forms import example_form, make_uscc
from store.db import Database
from store.models import OutboxMessage
from web import acts
from web.app import create_app
from web.settings import WebSettings

EDITION = "szzx-2026-2"
PASSWORD = "correct horse battery"
OPEN = "2026-06-01T10:00:00+08:00"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def uscc(n: int) -> str:
    return make_uscc(f"9144030{n:010d}")


def center_form(code: str, name: str) -> dict[str, Any]:
    form = example_form(EDITION, "center")
    form["basic"]["uscc"] = code
    form["basic"]["lead_name"] = name
    form.pop("consortium", None)
    form["attachments"].pop("consortium_agreement", None)
    return form


@dataclass
class World:
    root: Path
    db: Database
    settings: WebSettings
    clock: Path
    app: Any
    people: dict[str, str] = field(default_factory=dict)  # name -> email

    @property
    def svc(self) -> acts.Services:
        return self.app.state.ctx.services

    def at(self, instant: str) -> None:
        self.clock.write_text(instant, encoding="utf-8")

    def now(self) -> datetime:
        return self.settings.now()

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://127.0.0.1")

    # -- people -----------------------------------------------------------------------------
    def account(self, role: str, scope: str | None, email: str, name: str = "") -> str:
        """An active account made through the operator's invite and its one-time link."""
        _id, token = acts.invite_as_operator(
            self.svc, email=email, role=role, scope=scope, name=name or email,
            now=self.now(), base_url=self.settings.base_url, operator="system",
        )  # fmt: skip
        acts.activate(self.svc, token=token, password=PASSWORD, now=self.now())
        return email

    def login(self, email: str, client: TestClient | None = None) -> TestClient:
        c = client or self.client()
        page = c.get("/login")
        r = c.post(
            "/login",
            data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return c

    def last_link(self, email: str) -> str:
        with self.db.sessions() as s:
            row = s.scalar(
                select(OutboxMessage)
                .where(
                    OutboxMessage.recipient == email,
                    OutboxMessage.message_type == "account_confirm",
                )
                .order_by(OutboxMessage.id.desc())
            )
            assert row is not None, f"no account_confirm message to {email}"
            return str(row.context["confirm_url"])

    # -- the campaign -------------------------------------------------------------------------
    def open_campaign(self) -> int:
        ministry = self.principal("ministry", None)
        return acts.open_campaign(self.svc, ministry, EDITION, now=self.now())

    def principal(self, role: str, scope: str | None) -> Any:
        from web.principal import Principal

        return Principal(0, f"{role}@setup.local", role, scope)

    def application(self, n: int, name: str, province: str = "广东", *, form: bool = True) -> int:
        code = uscc(n)
        who = self.principal("enterprise", code)
        app_id = acts.create_application(
            self.svc, who, edition_id=EDITION, name=name, province=province, category="center",
            email=f"e{n}@applicant.example.cn", now=self.now(),
        )  # fmt: skip
        if form:
            acts.save_form(self.svc, who, app_id, center_form(code, name), now=self.now())
        return app_id


def csrf_of(html: str) -> str:
    m = CSRF_META.search(html)
    assert m is not None, "page has no CSRF meta tag"
    return m.group(1)


def make_world(root: Path, *, base_url: str = "http://127.0.0.1:8000") -> World:
    from store.migrations import upgrade

    url = f"sqlite:///{root / 'shenbao.db'}"
    upgrade(url)
    db = Database(url)
    clock = root / "clock.txt"
    clock.write_text(OPEN, encoding="utf-8")
    settings = WebSettings(database_url=url, base_url=base_url, clock_file=clock)
    return World(root, db, settings, clock, create_app(settings, db))
