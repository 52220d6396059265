"""Sign in and out, enterprise registration, one-time links, language, API tokens, OIDC."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from store.accounts import AccountError
from web import acts
from web.deps import (
    LANG_COOKIE,
    SESSION_COOKIE,
    Auth,
    Context,
    auth,
    checked_form,
    ctx,
    signed_in,
)
from web.principal import Principal
from web.render import page

router = APIRouter()

HOME = {
    "enterprise": "/enterprise",
    "province": "/review",
    "group": "/review",
    "ministry": "/ministry",
    "expert": "/expert",
    "auditor": "/auditor",
}


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _set_session(response: Response, c: Context, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=c.settings.secure_cookies,
        max_age=8 * 3600,
        path="/",
    )


@router.get("/")
def home(a: Auth = Depends(auth)) -> Response:
    if a.principal is None:
        return see_other("/public/notices")
    return see_other(HOME.get(a.principal.role, "/login"))


@router.get("/login")
def login_page(request: Request) -> Response:
    return page(request, "login.html")


@router.post("/login")
def login(
    request: Request,
    form: FormData = Depends(checked_form),
    a: Auth = Depends(auth),
    c: Context = Depends(ctx),
) -> Response:
    email = str(form.get("email") or "")
    try:
        opened = acts.login(
            c.services,
            email=email,
            password=str(form.get("password") or ""),
            client=client_of(request),
            now=c.now(),
            replaces=request.cookies.get(SESSION_COOKIE),
        )
    except AccountError as exc:
        status = {"LoginThrottled": 429, "AccountLocked": 403, "AccountNotActive": 403}.get(
            exc.rule, 401
        )
        return page(request, "login.html", status=status, error=exc.message, rule=exc.rule,
                    email=email)  # fmt: skip
    found = c.queries.session_of(opened.token, c.now())
    assert found is not None
    response = see_other(HOME.get(found.role, "/"))
    _set_session(response, c, opened.token)
    return response


@router.post("/logout")
def logout(
    request: Request, form: FormData = Depends(checked_form), c: Context = Depends(ctx)
) -> Response:
    acts.logout(c.services, token=request.cookies.get(SESSION_COOKIE), now=c.now())
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/register")
def register_page(request: Request) -> Response:
    return page(request, "register.html")


@router.post("/register")
def register(
    request: Request, form: FormData = Depends(checked_form), c: Context = Depends(ctx)
) -> Response:
    values = {k: str(form.get(k) or "") for k in ("uscc", "email", "name")}
    try:
        acts.register_enterprise(
            c.services,
            uscc=values["uscc"],
            email=values["email"],
            name=values["name"],
            now=c.now(),
            base_url=c.settings.base_url,
        )
    except AccountError as exc:
        return page(request, "register.html", status=422, error=exc.message, rule=exc.rule,
                    values=values)  # fmt: skip
    return page(request, "registered.html", email=values["email"].strip().lower())


@router.get("/account/activate")
def activate_page(request: Request, token: str = "", c: Context = Depends(ctx)) -> Response:
    account = c.queries.peek_link(token, c.now())
    return page(request, "activate.html", token=token, account=account)


@router.post("/account/activate")
def activate(
    request: Request, form: FormData = Depends(checked_form), c: Context = Depends(ctx)
) -> Response:
    token = str(form.get("token") or "")
    password = str(form.get("password") or "")
    if password != str(form.get("password2") or ""):
        account = c.queries.peek_link(token, c.now())
        return page(request, "activate.html", status=422, token=token, account=account,
                    error="password2: 两次输入的密码不一致 (the passwords differ)")  # fmt: skip
    try:
        acts.activate(c.services, token=token, password=password, now=c.now())
    except AccountError as exc:
        if exc.rule == "PasswordLength":
            account = c.queries.peek_link(token, c.now())
            return page(request, "activate.html", status=422, token=token, account=account,
                        error=exc.message)  # fmt: skip
        raise
    return see_other("/login?activated=1")


@router.get("/lang/{lang}")
def set_lang(lang: str, request: Request) -> Response:
    if lang not in ("zh", "en"):
        raise HTTPException(404, "lang: zh or en")
    back = request.headers.get("referer") or "/"
    if not back.startswith(str(request.base_url)):
        back = "/"
    response = see_other(back)
    response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400, path="/")
    return response


@router.get("/account/tokens")
def tokens_page(request: Request, who: Principal = Depends(signed_in)) -> Response:
    return page(request, "tokens.html")


@router.post("/account/tokens")
def create_token(
    request: Request,
    form: FormData = Depends(checked_form),
    who: Principal = Depends(signed_in),
    c: Context = Depends(ctx),
) -> Response:
    scopes = [str(x) for x in form.getlist("scopes")] or ["read"]
    from shenbao.args import count

    days = count(str(form.get("days") or "30"), "days", low=1, high=366)
    token = acts.create_api_token(
        c.services, who, name=str(form.get("name") or ""), scopes=scopes, days=days, now=c.now()
    )
    return page(request, "tokens.html", token=token)


# -- OpenID Connect (off unless configured) ---------------------------------------------------

_oauth_cache: dict[str, object] = {}


def _oidc_client(c: Context):  # type: ignore[no-untyped-def]
    if c.settings.oidc is None:
        raise HTTPException(404, "oidc: 未配置统一身份认证 (not configured)")
    client = _oauth_cache.get("client")
    if client is None:
        from authlib.integrations.starlette_client import OAuth

        oauth = OAuth()
        oauth.register(
            "provider",
            server_metadata_url=c.settings.oidc.metadata_url,
            client_id=c.settings.oidc.client_id,
            client_secret=c.settings.oidc.client_secret,
            client_kwargs={"scope": "openid email"},
        )
        client = oauth.create_client("provider")
        _oauth_cache["client"] = client
    return client


@router.get("/oidc/login")
async def oidc_login(request: Request, c: Context = Depends(ctx)) -> Response:
    client = _oidc_client(c)
    return await client.authorize_redirect(request, f"{c.settings.base_url}/oidc/callback")


@router.get("/oidc/callback")
async def oidc_callback(request: Request, c: Context = Depends(ctx)) -> Response:
    client = _oidc_client(c)
    token = await client.authorize_access_token(request)
    info = token.get("userinfo") or {}
    opened = acts.sign_in_external(
        c.services,
        subject=str(info.get("sub") or ""),
        email=str(info.get("email") or ""),
        client=client_of(request),
        now=c.now(),
        replaces=request.cookies.get(SESSION_COOKIE),
    )
    found = c.queries.session_of(opened.token, c.now())
    assert found is not None
    response = see_other(HOME.get(found.role, "/"))
    _set_session(response, c, opened.token)
    return response
