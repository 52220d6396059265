"""The ministry: campaigns and their timetable, scoring, shortlist, 公示, objections, accounts."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from programs.editions import known_edition_ids, load_edition
from programs.safeload import load_mapping
from shenbao.args import scoring_sheet
from states.lifecycle import State
from web import acts
from web.deps import Context, Id, checked_form, ctx, role
from web.principal import Principal
from web.queries import STATE_ORDER, last_second, screening_of, window_of
from web.render import page
from web.routers.auth import see_other

router = APIRouter(prefix="/ministry")
Ministry = role("ministry")

DEFAULT_SHEET = {
    "aggregation": "mean",
    "conflict_same_province": True,
    "top_k": 1,
    "criteria": [
        {"id": "capability", "label_zh": "综合实力", "max_points": 40, "weight": 1},
        {"id": "innovation", "label_zh": "创新能力", "max_points": 30, "weight": 1},
        {"id": "cases", "label_zh": "典型案例", "max_points": 30, "weight": 1},
    ],
}


@router.get("")
def campaigns(
    request: Request, who: Principal = Depends(Ministry), c: Context = Depends(ctx)
) -> Response:
    rows = []
    for summary in c.queries.campaigns():
        cp = summary.campaign
        rows.append({"s": summary, "closes": last_second(window_of(cp)),
                     "screening_last": last_second(screening_of(cp))})  # fmt: skip
    return page(request, "ministry/campaigns.html", rows=rows, editions=known_edition_ids(),
                states=STATE_ORDER)  # fmt: skip


@router.post("/campaigns")
def open_campaign(
    form: FormData = Depends(checked_form),
    who: Principal = Depends(Ministry),
    c: Context = Depends(ctx),
) -> Response:
    cid = acts.open_campaign(c.services, who, str(form.get("edition") or ""), now=c.now())
    return see_other(f"/ministry/campaigns/{cid}")


@router.get("/campaigns/{cid}")
def campaign(
    cid: Id, request: Request, who: Principal = Depends(Ministry), c: Context = Depends(ctx)
) -> Response:
    summary = c.queries.campaign(cid)
    cp = summary.campaign
    apps = [a for a in c.queries.applications(who) if a.campaign_id == cid]
    scoring = [a for a in apps if a.status == State.EXPERT_SCORING.value]
    experts = {a.id: c.queries.assignments(a.id) for a in scoring}
    declared = {a.id: c.queries.declarations(a.id) for a in scoring}
    sheet = c.queries.sheet(cid)
    ranking = None
    if sheet is not None:
        try:
            ranking = c.queries.rank(cid)
        except LookupError:
            ranking = None
    return page(
        request,
        "ministry/campaign.html",
        s=summary,
        edition=load_edition(cp.edition_id),
        apps=apps,
        scoring=scoring,
        experts=experts,
        declared=declared,
        sheet=sheet,
        default_sheet=json.dumps(DEFAULT_SHEET, ensure_ascii=False, indent=1),
        ranking=ranking,
        notices=c.queries.notices(cid),
        objections=c.queries.objections(cid),
        closes=last_second(window_of(cp)),
        screening_last=last_second(screening_of(cp)),
        states=STATE_ORDER,
        outcome=None,
        titles=c.queries.titles(cid),
        overdue=c.queries.overdue_reports(cid, c.now()),
    )


@router.post("/campaigns/{cid}/sheet")
def sheet(cid: Id, form: FormData = Depends(checked_form), who: Principal = Depends(Ministry),
          c: Context = Depends(ctx)) -> Response:  # fmt: skip
    try:
        data = scoring_sheet(
            load_mapping(str(form.get("sheet") or "").encode(), field="sheet", fmt="json")
        )
    except ValueError as exc:
        raise ValueError(f"sheet: 不是有效的JSON (not valid JSON: {exc})") from None
    acts.define_sheet(c.services, who, cid, data, now=c.now())
    return see_other(f"/ministry/campaigns/{cid}")


@router.post("/campaigns/{cid}/open-scoring")
def open_scoring(cid: Id, form: FormData = Depends(checked_form),
                 who: Principal = Depends(Ministry), c: Context = Depends(ctx)) -> Response:  # fmt: skip
    acts.open_scoring(c.services, who, cid, now=c.now())
    return see_other(f"/ministry/campaigns/{cid}")


@router.post("/applications/{app_id}/assign")
def assign(app_id: Id, form: FormData = Depends(checked_form),
           who: Principal = Depends(Ministry), c: Context = Depends(ctx)) -> Response:  # fmt: skip
    app = c.queries.application(who, app_id)
    acts.assign_expert(
        c.services,
        who,
        app.id,
        expert_id=str(form.get("expert_id") or ""),
        org_uscc=str(form.get("org_uscc") or "") or None,
        province=str(form.get("province") or "") or None,
        now=c.now(),
    )
    return see_other(f"/ministry/campaigns/{app.campaign_id}")


def _int_or_none(value: object, field: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise ValueError(f"{field}: 应为正整数 (a positive whole number)")
    return int(text)


@router.post("/campaigns/{cid}/shortlist")
def shortlist(cid: Id, request: Request, form: FormData = Depends(checked_form),
              who: Principal = Depends(Ministry), c: Context = Depends(ctx)) -> Response:  # fmt: skip
    outcome = acts.shortlist(
        c.services,
        who,
        cid,
        top_k=_int_or_none(form.get("top_k"), "top_k"),
        min_score=str(form.get("min_score") or "").strip() or None,
        now=c.now(),
    )
    return page(request, "ministry/shortlist.html", cid=cid, outcome=outcome)


@router.post("/campaigns/{cid}/ties")
def resolve_tie(cid: Id, form: FormData = Depends(checked_form),
                who: Principal = Depends(Ministry), c: Context = Depends(ctx)) -> Response:  # fmt: skip
    chosen = [_int_or_none(x, "chosen") for x in form.getlist("chosen")]
    acts.resolve_tie(c.services, who, cid, str(form.get("category") or ""),
                     [x for x in chosen if x is not None], now=c.now())  # fmt: skip
    return see_other(f"/ministry/campaigns/{cid}")


@router.post("/campaigns/{cid}/publish")
def publish(cid: Id, form: FormData = Depends(checked_form),
            who: Principal = Depends(Ministry), c: Context = Depends(ctx)) -> Response:  # fmt: skip
    acts.publish_notice(c.services, who, cid, now=c.now())
    return see_other(f"/ministry/campaigns/{cid}")


@router.post("/objections/{oid}/resolve")
def resolve_objection(oid: Id, form: FormData = Depends(checked_form),
                      who: Principal = Depends(Ministry), c: Context = Depends(ctx)) -> Response:  # fmt: skip
    acts.resolve_objection(c.services, who, oid, str(form.get("outcome") or ""),
                           reason=str(form.get("reason") or ""), now=c.now())  # fmt: skip
    cid = str(form.get("campaign_id") or "")
    return see_other(f"/ministry/campaigns/{cid}" if cid.isdigit() else "/ministry")


@router.post("/campaigns/{cid}/close")
def close(cid: Id, request: Request, form: FormData = Depends(checked_form),
          who: Principal = Depends(Ministry), c: Context = Depends(ctx)) -> Response:  # fmt: skip
    outcome = acts.close_notice(c.services, who, cid, now=c.now())
    return page(request, "ministry/closed.html", cid=cid, outcome=outcome)


@router.get("/accounts")
def accounts(
    request: Request, who: Principal = Depends(Ministry), c: Context = Depends(ctx)
) -> Response:
    return page(request, "ministry/accounts.html", accounts=c.queries.accounts())


@router.post("/accounts/invite")
def invite(request: Request, form: FormData = Depends(checked_form),
           who: Principal = Depends(Ministry), c: Context = Depends(ctx)) -> Response:  # fmt: skip
    acts.invite(
        c.services,
        who,
        email=str(form.get("email") or ""),
        role=str(form.get("role") or ""),
        scope=str(form.get("scope") or "") or None,
        name=str(form.get("name") or ""),
        now=c.now(),
        base_url=c.settings.base_url,
    )
    return see_other("/ministry/accounts")


@router.post("/accounts/disable")
def disable(form: FormData = Depends(checked_form), who: Principal = Depends(Ministry),
            c: Context = Depends(ctx)) -> Response:  # fmt: skip
    acts.disable_account(c.services, who, email=str(form.get("email") or ""), now=c.now())
    return see_other("/ministry/accounts")
