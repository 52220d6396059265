"""The FastAPI application: routers per area, one error mapping, static files shipped in-package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from states.rules import Refusal
from store.accounts import AccountError
from store.db import Database
from store.transitions import Conflict, NotFound
from web.acts import Forbidden, Services
from web.bench_route import mount_if_enabled
from web.deps import Context
from web.errors import problem_of
from web.queries import NotVisible, Queries
from web.settings import WebSettings

STATIC = Path(__file__).resolve().parent / "static"
PROBLEM = "application/problem+json"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


# Sync routes and dependencies run on anyio's worker threads (40 by default): more threads than
# the pool's connections (store.db.POOL_SIZE) only queue for one, and the GIL is shared anyway.
THREADS = 16


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    yield


def create_app(settings: WebSettings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or WebSettings.from_env()
    if db is None:
        from services.wiring import _database

        db = _database(settings.database_url)
    app = FastAPI(
        lifespan=_lifespan,
        title="shenbao 申报",
        version="1",
        description="The application system: pages for every party and a JSON API (/api/v1).",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.ctx = Context(settings, Services.over(db), Queries(db))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    if settings.oidc is not None:  # Authlib keeps the OIDC state and nonce in a signed cookie
        import hashlib

        from starlette.middleware.sessions import SessionMiddleware

        key = hashlib.sha256(f"shenbao-oidc:{settings.oidc.client_secret}".encode()).hexdigest()
        app.add_middleware(SessionMiddleware, secret_key=key, session_cookie="sb_oidc",
                           same_site="lax", https_only=settings.secure_cookies, max_age=600)  # fmt: skip

    from web.routers import api, auditor, auth, enterprise, expert, ministry, public, review

    for module in (auth, enterprise, review, ministry, expert, auditor, public):
        app.include_router(module.router, include_in_schema=False)
    app.include_router(api.router)
    mount_if_enabled(app)  # the baseline route of bench/rush_bench.py (SHENBAO_WEB_BENCH=1)

    # outermost: the security headers reach every answer, error pages and problem+json included
    app.add_middleware(SecurityHeaders)

    def respond(request: Request, status: int, rule: str, message: str, title: str) -> Response:
        if request.url.path.startswith("/api/"):
            body = {
                "type": f"https://shenbao.local/problems/{rule}",
                "title": title,
                "status": status,
                "detail": message,
                "rule": rule,
                "instance": request.url.path,
            }
            return JSONResponse(body, status_code=status, media_type=PROBLEM)
        from web.render import page

        return page(request, "error.html", status=status, rule=rule, message=message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        rules = {401: "Unauthenticated", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
                 413: "TooLarge", 429: "RateLimited"}  # fmt: skip
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        rule = rules.get(exc.status_code, f"HTTP{exc.status_code}")
        if detail.startswith("csrf:"):
            rule = "CsrfToken"
        return respond(request, exc.status_code, rule, detail, rule)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where or 'request'}: {first.get('msg', 'invalid')}"
        return respond(request, 422, "RequestValidation", message, "Invalid request")

    async def known(request: Request, exc: Exception) -> Response:
        problem = problem_of(exc)
        if problem is None:
            raise exc
        return respond(request, problem.status, problem.rule, problem.message, problem.title)

    for kind in KNOWN_ERRORS:
        app.add_exception_handler(kind, known)
    return app


KNOWN_ERRORS: tuple[type[Exception], ...] = (
    Refusal,
    Forbidden,
    NotVisible,
    NotFound,
    Conflict,
    AccountError,
    ValueError,
    LookupError,
)


class SecurityHeaders:
    """The security headers of every response (a pure ASGI middleware: no task per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = _STATIC_HEADERS if scope["path"].startswith("/static") else _PAGE_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers") or ())
                present = {name.lower() for name, _value in raw}
                raw.extend(h for h in wanted if h[0] not in present)  # a route's own are kept
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)


_STATIC_HEADERS = tuple((n.lower().encode(), v.encode()) for n, v in SECURITY_HEADERS)
_PAGE_HEADERS = (*_STATIC_HEADERS, (b"cache-control", b"no-store"))


def route_table() -> list[tuple[str, str]]:
    """(method, path) of every route, pages and API, without building a database."""
    from fastapi.routing import APIRoute

    from web.routers import api, auditor, auth, enterprise, expert, ministry, public, review

    out = []
    for module in (auth, enterprise, review, ministry, expert, auditor, public, api):
        for route in module.router.routes:
            if isinstance(route, APIRoute):
                for method in sorted(route.methods):
                    out.append((method, route.path))
    return out
