"""Dependencies of every route: the service context, the signed-in principal and its scope, CSRF."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from web import acts
from web.acts import Services
from web.principal import Principal
from web.queries import Queries
from web.settings import WebSettings

SESSION_COOKIE = "sb_session"
CSRF_COOKIE = "sb_csrf"  # the pre-login double-submit token (login, register, public forms)
LANG_COOKIE = "sb_lang"
MAX_FORM_BYTES = 2_000_000
# the only forms a signed-out visitor may post (with the pre-login CSRF token)
ANONYMOUS_POSTS = ("/login", "/register", "/account/activate", "/public/")


@dataclass
class Context:
    settings: WebSettings
    services: Services
    queries: Queries

    def now(self) -> datetime:
        return self.settings.now()


def context_of(request: Request) -> Context:
    return request.app.state.ctx


# The dependencies that do no I/O are `async def`: FastAPI runs them in the event loop, where a
# plain `def` would cost each request a round trip through the thread pool.
async def ctx(request: Request) -> Context:
    return context_of(request)


class Unauthenticated(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, "login: 请先登录 (sign in first)")


@dataclass(frozen=True)
class Auth:
    """The request's principal (or None) with the CSRF token its forms must carry."""

    principal: Principal | None
    csrf: str
    session_token: str | None


async def auth(request: Request, c: Context = Depends(ctx)) -> Auth:
    """The request's `Auth`. On PostgreSQL the session's one autocommit SELECT runs in the event
    loop: cheaper than the round trip through the thread pool a `def` dependency takes. Its idle
    clock's UPDATE (once a minute a session) commits, so it goes to a worker thread, as does
    everything on SQLite, whose reads and writes may wait for its lock."""
    cached = getattr(request.state, "auth", None)
    if cached is not None:
        return cached
    if not c.queries.in_autocommit:
        return await run_in_threadpool(resolve_auth, request, c)
    result, touch_at = _resolve(request, c)
    if touch_at is not None:
        await run_in_threadpool(_touch, c, result, touch_at)
    return result


def resolve_auth(request: Request, c: Context) -> Auth:
    """`auth` in the caller's thread (pages rendered by sync routes and error handlers)."""
    cached = getattr(request.state, "auth", None)
    if cached is not None:
        return cached
    result, touch_at = _resolve(request, c)
    if touch_at is not None:
        _touch(c, result, touch_at)
    return result


def _touch(c: Context, a: Auth, now: datetime) -> None:
    acts.touch(c.services, token=a.session_token or "", now=now)


def _resolve(request: Request, c: Context) -> tuple[Auth, datetime | None]:
    """The principal of a session cookie or a bearer token (checked each request), cached on
    the request; and the request's instant when the session's idle clock is due a touch (over
    a minute old), else None."""
    now = c.now()
    principal: Principal | None = None
    csrf = request.cookies.get(CSRF_COOKIE) or ""
    token = request.cookies.get(SESSION_COOKIE)
    bearer = request.headers.get("authorization", "")
    result: Auth
    touch_at: datetime | None = None
    if bearer.lower().startswith("bearer "):
        found = c.queries.token_of(bearer[7:].strip(), now)
        if found is not None:
            row, account = found
            principal = _principal(account, via="token", scopes=tuple(row.scopes or ()))
        result = Auth(principal, "", None)
    else:
        live = c.queries.session_of(token, now)
        if live is not None:
            principal = Principal(
                account_id=live.account_id,
                email=live.email,
                role=live.role,
                scope=live.scope,
                display_name=live.display_name,
                via="session",
            )
            csrf = live.csrf_token
            if now - live.last_seen_at > acts.TOUCH_EVERY:  # not a write per hit
                touch_at = now
        else:
            token = None
        result = Auth(principal, csrf, token)
    request.state.auth = result
    return result, touch_at


def _principal(account: Any, *, via: str, scopes: tuple[str, ...] = ("read", "write")) -> Principal:
    return Principal(
        account_id=account.id,
        email=account.email,
        role=account.role,
        scope=account.scope,
        display_name=account.display_name,
        via=via,
        token_scopes=scopes,
    )


async def signed_in(a: Auth = Depends(auth)) -> Principal:
    if a.principal is None:
        raise Unauthenticated()
    return a.principal


def role(*roles: str) -> Callable[..., Principal]:
    """A dependency: the principal, 403 unless it holds one of `roles`."""

    async def dep(who: Principal = Depends(signed_in)) -> Principal:
        if who.role not in roles:
            raise HTTPException(
                403, f"无权访问: {who.actor_text} may not open this page ({', '.join(roles)})"
            )
        return who

    return dep


def csrf_token_for(request: Request, a: Auth) -> str:
    """The token a page's forms carry; a fresh pre-login token when there is none yet."""
    if a.csrf:
        return a.csrf
    fresh = getattr(request.state, "new_csrf", None)
    if fresh is None:
        fresh = secrets.token_urlsafe(24)
        request.state.new_csrf = fresh
    return fresh


async def checked_form(request: Request, a: Auth = Depends(auth)) -> FormData:
    """The POSTed form, refused (403) unless it carries the CSRF token of this session."""
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_FORM_BYTES:
        raise HTTPException(413, f"upload: 超过{MAX_FORM_BYTES // 1_000_000} MB (too large)")
    path = request.url.path
    if a.principal is None and not path.startswith(ANONYMOUS_POSTS):
        raise Unauthenticated()
    form = await request.form(max_files=3, max_fields=2000)
    sent = str(form.get("csrf_token") or request.headers.get("x-csrf-token") or "")
    expected = a.csrf if a.principal is not None else request.cookies.get(CSRF_COOKIE, "")
    if a.principal is not None and a.principal.via == "token":
        expected = ""  # bearer requests carry no cookies and use the API, not forms
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "csrf: 表单已失效，请刷新页面后重试 (CSRF token missing or wrong)")
    return form


async def api_csrf(request: Request, a: Auth = Depends(auth)) -> None:
    """JSON writes: bearer tokens need none; a cookie session must send X-CSRF-Token."""
    if a.principal is not None and a.principal.via == "session":
        sent = request.headers.get("x-csrf-token", "")
        if not sent or not hmac.compare_digest(sent, a.csrf):
            raise HTTPException(403, "csrf: X-CSRF-Token missing or wrong")


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "zh")
    return lang if lang in ("zh", "en") else "zh"


MAX_ID = 2_147_483_647
# every id in a path: a positive 32-bit integer (anything else is a 422, never a database error)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Year = Annotated[int, Path(ge=1900, le=2200)]
