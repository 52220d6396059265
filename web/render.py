"""Server-rendered pages: one jinja2 environment (autoescaped), instants in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from deadlines import format_instant
from states.lifecycle import State
from web import i18n
from web.deps import CSRF_COOKIE, Auth, auth, context_of, csrf_token_for, lang_of

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _sh(value: datetime | None) -> str:
    return format_instant(value) if value is not None else "—"


def _applicant_state(value: str) -> str:
    try:
        return State(value).applicant_name
    except ValueError:
        return value


def _staff_state(value: str) -> str:
    try:
        return State(value).staff_name
    except ValueError:
        return value


env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _edition_title(edition_id: str) -> str:
    """An edition's title as people read it (its id only if the edition file is gone)."""
    from programs.editions import EditionError, load_edition

    try:
        return load_edition(edition_id).title
    except EditionError:
        return edition_id


def _category_name(category: str, edition_id: str) -> str:
    """A category's Chinese name in its edition (制造业类, 信息技术服务外包类, ...)."""
    from programs.editions import EditionError, load_edition

    try:
        return load_edition(edition_id).category(category).name_zh
    except (EditionError, LookupError, ValueError):
        return category


env.filters["sh"] = _sh
env.filters["edition_title"] = _edition_title
env.filters["category_name"] = _category_name
env.filters["applicant_state"] = _applicant_state
env.filters["staff_state"] = _staff_state
env.filters["iso"] = lambda v: v.isoformat() if v is not None else ""


def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    c = context_of(request)
    a: Auth = auth(request, c)
    lang = lang_of(request)
    csrf = csrf_token_for(request, a)
    now = c.now()
    body = env.get_template(name).render(
        request=request,
        who=a.principal,
        csrf=csrf,
        lang=lang,
        t=lambda key: i18n.t(key, lang),
        now=now,
        simulated=c.settings.simulated,
        oidc=c.settings.oidc,
        status=status,
        **values,
    )
    response = HTMLResponse(body, status_code=status)
    if a.principal is None and request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(
            CSRF_COOKIE,
            csrf,
            httponly=True,
            samesite="lax",
            secure=c.settings.secure_cookies,
            path="/",
        )
    return response
