"""The public (no sign-in): the running 公示 lists, to the second, and the objection form."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from web import acts
from web.deps import Context, Id, checked_form, ctx
from web.render import page
from web.routers.auth import client_of

router = APIRouter(prefix="/public")


@router.get("/notices")
def notices(request: Request, c: Context = Depends(ctx)) -> Response:
    return page(request, "public/notices.html", running=c.queries.running_notices(c.now()))


@router.get("/notices/{app_id}/objection")
def objection_page(app_id: Id, request: Request, c: Context = Depends(ctx)) -> Response:
    found = c.queries.public_entry(c.now(), app_id)
    if found is None:
        raise HTTPException(404, f"notice: application {app_id} is not on a running notice list")
    notice, entry = found
    return page(request, "public/objection.html", notice=notice, entry=entry)


@router.post("/notices/{app_id}/objection")
def file_objection(app_id: Id, request: Request, form: FormData = Depends(checked_form),
                   c: Context = Depends(ctx)) -> Response:  # fmt: skip
    now = c.now()
    allowed = acts.count_public_attempt(
        c.services, client=client_of(request), now=now,
        limit=c.settings.public_rate_limit, window=c.settings.public_rate_window,
    )  # fmt: skip
    if not allowed:
        raise HTTPException(
            429, "objection: 提交过于频繁，请稍后再试 (too many objections from here)"
        )
    found = c.queries.public_entry(now, app_id)
    contact = str(form.get("contact") or "")[:200]
    reason = str(form.get("reason") or "")[:2000]
    if found is None:
        # not on a running list: still handed to the act, which refuses and audits the attempt
        acts.file_objection(c.services, app_id, contact=contact, reason=reason, now=now)
        raise HTTPException(404, f"notice: application {app_id} is not on a running notice list")
    oid = acts.file_objection(c.services, app_id, contact=contact, reason=reason, now=now)
    return page(request, "public/filed.html", objection_id=oid, entry=found[1], notice=found[0])
