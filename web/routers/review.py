"""Provincial departments and central enterprise groups: the queue, the quota gauge, decisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from programs.editions import Edition, load_edition
from programs.forms.resolve import forms_edition_id
from states.lifecycle import State
from web import acts
from web.deps import Context, Id, checked_form, ctx, role
from web.forms_ui import schema_for, sections
from web.principal import Principal
from web.queries import STATE_ORDER, ReviewRow, last_second, screening_of, window_of
from web.render import page
from web.routers.auth import see_other

router = APIRouter(prefix="/review")
Reviewer = role("province", "group")


QueueSort = Literal["id", "name", "category", "consortium", "eligibility", "state"]
STATE_RANK = {state: i for i, state in enumerate(STATE_ORDER)}


def _sorted(rows: list[ReviewRow], sort: str, desc: bool, names: dict[str, str]) -> list[ReviewRow]:
    keys: dict[str, Callable[[ReviewRow], Any]] = {
        "id": lambda r: r.id,
        "name": lambda r: (r.name, r.id),
        "category": lambda r: (names[r.category], r.id),
        "consortium": lambda r: (r.consortium, r.id),
        "eligibility": lambda r: (r.eligibility or "", r.id),
        "state": lambda r: (STATE_RANK.get(r.status, len(STATE_RANK)), r.id),
    }
    return sorted(rows, key=keys[sort], reverse=desc)


def _campaign_views(
    c: Context, who: Principal, sort: str = "id", desc: bool = False
) -> list[dict[str, object]]:
    """One view per campaign: its queue (submitted) and the reviewer's other applications, each
    row only the columns shown, sorted by `sort`; the quota gauge and the screening window."""
    views = []
    campaigns = c.queries.campaign_list()
    rows = c.queries.review_rows(who, [cp.id for cp in campaigns])
    waiting = State.SUBMITTED.value
    for cp in campaigns:
        edition = load_edition(cp.edition_id)
        mine = [r for r in rows if r.campaign_id == cp.id]
        names = {cat: _category_name(edition, cat) for cat in {r.category for r in mine}}
        screening = screening_of(cp)
        submitted = [r for r in mine if r.status == waiting]
        others = [r for r in mine if r.status != waiting]
        views.append(
            {
                "campaign": cp,
                "edition": edition,
                "category_names": names,
                "queue": _sorted(submitted, sort, desc, names),
                "others": _sorted(others, sort, desc, names),
                "quota": c.queries.quota(who, cp, rows),  # counted from the rows read
                "screening": screening,
                "screening_ends": screening.ends_at if screening else None,
                "screening_last": last_second(screening),
                "closes": last_second(window_of(cp)),
            }
        )
    return views


def _category_name(edition: Edition, category: str) -> str:
    try:
        return edition.category(category).name_zh
    except ValueError:
        return category


@router.get("")
def queue(
    request: Request,
    who: Principal = Depends(Reviewer),
    c: Context = Depends(ctx),
    sort: QueueSort = "id",
    order: Literal["asc", "desc"] = "asc",
) -> Response:
    """The reviewer's whole queue on one page (no form is read), sorted by any column."""
    views = _campaign_views(c, who, sort, order == "desc")
    return page(request, "review/queue.html", views=views, sort=sort, order=order)


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
