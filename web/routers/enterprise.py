"""The applicant's pages: my applications, the form editor, submit / withdraw, reports, messages."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from programs.editions import load_edition
from programs.forms import FormLoadError, read_form_xlsx, to_jsonable, write_form_xlsx
from programs.provinces import all_provinces
from services import queries as service_queries
from store.models import Application
from web import acts
from web.deps import Context, Id, Year, checked_form, ctx, role
from web.forms_ui import issues_by_key, posted_form, schema_for, sections
from web.principal import Principal
from web.queries import last_second, reasons_in, window_of
from web.render import env, form_fields, page
from web.routers.auth import see_other

router = APIRouter(prefix="/enterprise")
Enterprise = role("enterprise")
MAX_UPLOAD = 2_000_000


@router.get("")
def my_applications(
    request: Request, who: Principal = Depends(Enterprise), c: Context = Depends(ctx)
) -> Response:
    apps = c.queries.applications(who)
    return page(request, "enterprise/list.html", apps=apps,
                campaigns=c.queries.open_campaigns(c.now()))  # fmt: skip


@router.get("/new")
def new_page(
    request: Request, who: Principal = Depends(Enterprise), c: Context = Depends(ctx)
) -> Response:
    campaigns = c.queries.open_campaigns(c.now())
    editions = {cp.edition_id: load_edition(cp.edition_id) for cp in campaigns}
    return page(request, "enterprise/new.html", campaigns=campaigns, editions=editions,
                provinces=all_provinces())  # fmt: skip


@router.post("/new")
def create(
    request: Request,
    form: FormData = Depends(checked_form),
    who: Principal = Depends(Enterprise),
    c: Context = Depends(ctx),
) -> Response:
    app_id = acts.create_application(
        c.services,
        who,
        edition_id=str(form.get("edition") or ""),
        name=str(form.get("name") or who.display_name),
        province=str(form.get("province") or "") or None,
        category=str(form.get("category") or "") or None,
        email=who.email,
        now=c.now(),
    )
    return see_other(f"/enterprise/applications/{app_id}")


def _detail(request: Request, c: Context, who: Principal, app: Application, status: int = 200,
            form_data: dict | None = None, error: tuple[str, str] | None = None,
            notice: str | None = None) -> Response:  # fmt: skip
    forms_id, schema = schema_for(app.campaign.edition_id, app.category)
    data = form_data if form_data is not None else dict(app.form or {})
    fields, found = form_fields(forms_id, app.category, schema, data, app.status == "draft")
    window = window_of(app.campaign)
    history = service_queries.history(c.services.db, app.id)  # `app` is in the principal's scope
    return page(
        request,
        "enterprise/application.html",
        status=status,
        app=app,
        edition=load_edition(app.campaign.edition_id),
        fields=fields,
        all_issues=found,
        closes=last_second(window),
        ends=window.ends_at if window else None,
        reasons=reasons_in(history),
        history=history,
        error=error,
        notice=notice,
    )


@router.get("/applications/{app_id}")
def application(
    app_id: Id, request: Request, who: Principal = Depends(Enterprise), c: Context = Depends(ctx)
) -> Response:
    app = c.queries.application(who, app_id)
    return _detail(request, c, who, app)


@router.post("/applications/{app_id}/check")
def check(
    app_id: Id,
    form: FormData = Depends(checked_form),
    who: Principal = Depends(Enterprise),
    c: Context = Depends(ctx),
) -> HTMLResponse:
    """As typed: every field's issues, swapped into place out of band (nothing is stored)."""
    app = c.queries.application(who, app_id)
    forms_id, schema = schema_for(app.campaign.edition_id, app.category)
    data = posted_form(schema, form)
    by_key, found = issues_by_key(forms_id, app.category, schema, data)
    body = env.get_template("enterprise/_issues.html").render(
        sections=sections(schema, data), issues=by_key, all_issues=found
    )
    return HTMLResponse(body)


@router.post("/applications/{app_id}/form")
def save(
    app_id: Id,
    request: Request,
    form: FormData = Depends(checked_form),
    who: Principal = Depends(Enterprise),
    c: Context = Depends(ctx),
) -> Response:
    app = c.queries.application(who, app_id)
    _forms_id, schema = schema_for(app.campaign.edition_id, app.category)
    data = posted_form(schema, form)
    acts.save_form(c.services, who, app.id, data, now=c.now())
    app = c.queries.application(who, app_id)
    return _detail(request, c, who, app, notice="saved")


@router.post("/applications/{app_id}/upload")
async def upload(
    app_id: Id,
    request: Request,
    form: FormData = Depends(checked_form),
    who: Principal = Depends(Enterprise),
    c: Context = Depends(ctx),
) -> Response:
    app = c.queries.application(who, app_id)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise ValueError("file: 请选择Excel申报表 (choose the filled .xlsx template)")
    raw = await file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise HTTPException(413, f"file: 超过{MAX_UPLOAD // 1_000_000} MB (too large)")
    forms_id, _schema = schema_for(app.campaign.edition_id, app.category)
    try:
        data = to_jsonable(read_form_xlsx(io.BytesIO(raw), forms_id, app.category))
    except FormLoadError as exc:
        first = exc.issues[0]
        return _detail(request, c, who, app, status=422, error=(first.code, str(first)))
    acts.save_form(c.services, who, app.id, data, now=c.now())
    app = c.queries.application(who, app_id)
    return _detail(request, c, who, app, notice="uploaded")


@router.get("/applications/{app_id}/template.xlsx")
def xlsx(app_id: Id, who: Principal = Depends(Enterprise), c: Context = Depends(ctx)) -> Response:
    app = c.queries.application(who, app_id)
    forms_id, _ = schema_for(app.campaign.edition_id, app.category)
    buf = io.BytesIO()
    write_form_xlsx(forms_id, app.category, buf, app.form or None)
    return Response(
        buf.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="application-{app.id}.xlsx"'},
    )


@router.get("/applications/{app_id}/form.docx")
def docx(app_id: Id, who: Principal = Depends(Enterprise), c: Context = Depends(ctx)) -> Response:
    from programs.forms import export_docx

    app = c.queries.application(who, app_id)
    forms_id, _ = schema_for(app.campaign.edition_id, app.category)
    buf = io.BytesIO()
    export_docx(forms_id, app.category, app.form or {}, buf, applicant_name=app.name)
    return Response(
        buf.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="application-{app.id}.docx"'},
    )


def _move(
    act: Callable[..., Any], app_id: int, request: Request, who: Principal, c: Context
) -> Response:
    """Submit or withdraw: the page again with the refusal's rule and line, or back to it."""
    visible = c.queries.visible_id(who, app_id)
    try:
        act(c.services, who, visible, now=c.now())
    except acts.Refusal as exc:
        app = c.queries.application(who, app_id)
        return _detail(request, c, who, app, status=409, error=(exc.rule, exc.message))
    return see_other(f"/enterprise/applications/{visible}")


@router.post("/applications/{app_id}/submit")
def submit(
    app_id: Id,
    request: Request,
    form: FormData = Depends(checked_form),
    who: Principal = Depends(Enterprise),
    c: Context = Depends(ctx),
) -> Response:
    return _move(acts.submit, app_id, request, who, c)


@router.post("/applications/{app_id}/withdraw")
def withdraw(
    app_id: Id,
    request: Request,
    form: FormData = Depends(checked_form),
    who: Principal = Depends(Enterprise),
    c: Context = Depends(ctx),
) -> Response:
    return _move(acts.withdraw, app_id, request, who, c)


@router.get("/applications/{app_id}/deadline.ics")
def deadline_ics(
    app_id: Id, who: Principal = Depends(Enterprise), c: Context = Depends(ctx)
) -> Response:
    from notifications.ics import deadline_event

    app = c.queries.application(who, app_id)
    closes = last_second(window_of(app.campaign))
    if closes is None:
        raise HTTPException(404, "deadline: 本批次未规定申报截止时间 (no closing instant)")
    edition = load_edition(app.campaign.edition_id)
    body = deadline_event(
        f"申报截止：{edition.title}", closes, uid=f"shenbao-app-{app.id}-close@shenbao.local",
        description=f"申报编号 {app.id}",
    )  # fmt: skip
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="deadline-{app.id}.ics"'})  # fmt: skip


@router.get("/reports")
def reports(
    request: Request, who: Principal = Depends(Enterprise), c: Context = Depends(ctx)
) -> Response:
    return page(request, "enterprise/reports.html", reports=c.queries.reports(who))


@router.post("/reports/{app_id}/{year}")
async def submit_report(
    app_id: Id,
    year: Year,
    request: Request,
    form: FormData = Depends(checked_form),
    who: Principal = Depends(Enterprise),
    c: Context = Depends(ctx),
) -> Response:
    from programs.forms import load_form_text

    c.queries.visible_id(who, app_id)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise ValueError("file: 请选择年度报告文件 (choose the report file: .yaml or .json)")
    raw = await file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise HTTPException(413, "file: too large")
    suffix = "." + (file.filename or "report.yaml").rsplit(".", 1)[-1].lower()
    data = load_form_text(raw, suffix)
    acts.submit_report(c.services, who, app_id, year, data, now=c.now())
    return see_other("/enterprise/reports")


@router.get("/messages")
def messages(
    request: Request, who: Principal = Depends(Enterprise), c: Context = Depends(ctx)
) -> Response:
    return page(request, "messages.html", messages=c.queries.messages(who))


@router.get("/messages/{message_id}.ics")
def message_ics(
    message_id: Id, who: Principal = Depends(Enterprise), c: Context = Depends(ctx)
) -> Response:
    from notifications.render import render

    m = c.queries.message(who, message_id)
    rendered = render(m.message_type, m.context, lang=m.lang)
    if rendered.ics is None:
        raise HTTPException(404, "ics: 该消息没有日程 (this message has no deadline)")
    return Response(rendered.ics, media_type="text/calendar; charset=utf-8")


def _unused(_: datetime) -> None:  # keep the import for typing tools
    return None
