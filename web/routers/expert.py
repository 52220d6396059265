"""Experts: assigned applications (read-only, after a conflict-of-interest declaration), scores."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from programs.editions import load_edition
from web import acts
from web.deps import Context, Id, checked_form, ctx, role
from web.forms_ui import schema_for, sections
from web.principal import Principal
from web.render import page
from web.routers.auth import see_other

router = APIRouter(prefix="/expert")
Expert = role("expert")


@router.get("")
def assigned(
    request: Request, who: Principal = Depends(Expert), c: Context = Depends(ctx)
) -> Response:
    return page(request, "expert/list.html", work=c.queries.expert_work(who))


def _active(c: Context, who: Principal, app_id: Id):  # type: ignore[no-untyped-def]
    for app, assignment, scored in c.queries.expert_work(who):
        if app.id == app_id:
            return app, assignment, scored
    raise HTTPException(404, f"APP: no application with id {app_id}")


@router.get("/applications/{app_id}")
def application(
    app_id: Id, request: Request, who: Principal = Depends(Expert), c: Context = Depends(ctx)
) -> Response:
    app, _assignment, scored = _active(c, who, app_id)
    declaration = c.queries.declaration(who, app_id)
    shown = declaration is not None and not declaration.has_conflict
    sheet = c.queries.sheet(app.campaign_id)
    view = None
    if shown:
        _forms, schema = schema_for(app.campaign.edition_id, app.category)
        view = sections(schema, app.form or {})
    return page(request, "expert/application.html", app=app, edition=load_edition(app.campaign.edition_id),
                declaration=declaration, sections=view, sheet=sheet, scored=scored)  # fmt: skip


@router.post("/applications/{app_id}/declare")
def declare(app_id: Id, form: FormData = Depends(checked_form), who: Principal = Depends(Expert),
            c: Context = Depends(ctx)) -> Response:  # fmt: skip
    _active(c, who, app_id)
    answer = str(form.get("conflict") or "")
    if answer not in ("yes", "no"):
        raise ValueError("conflict: 请声明是否存在利益冲突 (answer yes or no)")
    acts.declare_conflict(c.services, who, app_id, has_conflict=answer == "yes",
                          note=str(form.get("note") or ""), now=c.now())  # fmt: skip
    return see_other(f"/expert/applications/{app_id}")


@router.post("/applications/{app_id}/score")
def score(app_id: Id, request: Request, form: FormData = Depends(checked_form),
          who: Principal = Depends(Expert), c: Context = Depends(ctx)) -> Response:  # fmt: skip
    app, _a, _s = _active(c, who, app_id)
    declaration = c.queries.declaration(who, app_id)
    if declaration is None or declaration.has_conflict:
        raise acts.Forbidden(
            "DeclareBeforeScoring",
            "须先声明无利益冲突: declare no conflict of interest before scoring",
        )
    sheet = c.queries.sheet(app.campaign_id)
    criteria = [x["id"] for x in (sheet.sheet.get("criteria", []) if sheet else [])]
    scores = {k: str(form.get(f"score.{k}") or "").strip() for k in criteria}
    acts.submit_score(c.services, who, app_id, scores, now=c.now())
    return see_other("/expert")
