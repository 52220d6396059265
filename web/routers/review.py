"""Provincial departments and central enterprise groups: the queue, the quota gauge, decisions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from programs.editions import load_edition
from programs.forms.resolve import forms_edition_id
from states.lifecycle import State
from web import acts
from web.deps import Context, Id, checked_form, ctx, role
from web.forms_ui import schema_for, sections
from web.principal import Principal
from web.queries import last_second, screening_of, window_of
from web.render import page
from web.routers.auth import see_other

router = APIRouter(prefix="/review")
Reviewer = role("province", "group")


def _campaign_views(c: Context, who: Principal) -> list[dict[str, object]]:
    views = []
    apps = c.queries.applications(who)
    for summary in c.queries.campaigns():
        cp = summary.campaign
        mine = [a for a in apps if a.campaign_id == cp.id]
        screening = screening_of(cp)
        views.append(
            {
                "campaign": cp,
                "edition": summary.edition,
                "queue": [a for a in mine if a.status == State.SUBMITTED.value],
                "others": [a for a in mine if a.status != State.SUBMITTED.value],
                "quota": c.queries.quota(who, cp),
                "screening": screening,
                "screening_ends": screening.ends_at if screening else None,
                "screening_last": last_second(screening),
                "closes": last_second(window_of(cp)),
            }
        )
    return views


@router.get("")
def queue(
    request: Request, who: Principal = Depends(Reviewer), c: Context = Depends(ctx)
) -> Response:
    return page(request, "review/queue.html", views=_campaign_views(c, who))


@router.get("/applications/{app_id}")
def application(
    app_id: Id, request: Request, who: Principal = Depends(Reviewer), c: Context = Depends(ctx)
) -> Response:
    app = c.queries.application(who, app_id)
    _forms, schema = schema_for(app.campaign.edition_id, app.category)
    edition = load_edition(app.campaign.edition_id)
    return page(
        request,
        "review/application.html",
        app=app,
        edition=edition,
        forms_id=forms_edition_id(edition),
        sections=sections(schema, app.form or {}),
        check=app.form_check or {},
        history=c.queries.history(who, app.id),
        quota=c.queries.quota(who, app.campaign),
    )


@router.post("/applications/{app_id}/decide")
def decide(
    app_id: Id,
    request: Request,
    form: FormData = Depends(checked_form),
    who: Principal = Depends(Reviewer),
    c: Context = Depends(ctx),
) -> Response:
    app = c.queries.application(who, app_id)
    acts.review(
        c.services,
        who,
        app.id,
        str(form.get("decision") or ""),
        reason=str(form.get("reason") or ""),
        now=c.now(),
    )
    return see_other("/review")
