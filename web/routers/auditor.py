"""Auditors: any application's history with its verification status, and search (read-only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from web.deps import Context, Id, ctx, role
from web.principal import Principal
from web.render import page

router = APIRouter(prefix="/auditor")
Auditor = role("auditor", "ministry")


@router.get("")
def search(request: Request, q: str = "", who: Principal = Depends(Auditor),
           c: Context = Depends(ctx)) -> Response:  # fmt: skip
    apps = c.queries.applications(who, text=q) if q.strip() else c.queries.applications(who)[:100]
    return page(request, "auditor/search.html", apps=apps, q=q[:60],
                checkpoint=c.queries.latest_checkpoint())  # fmt: skip


@router.get("/applications/{app_id}")
def history(app_id: Id, request: Request, who: Principal = Depends(Auditor),
            c: Context = Depends(ctx)) -> Response:  # fmt: skip
    app = c.queries.application(who, app_id)
    intact, detail = c.queries.verification(who, app_id)
    return page(request, "auditor/history.html", app=app, history=c.queries.history(who, app_id),
                intact=intact, detail=detail)  # fmt: skip
