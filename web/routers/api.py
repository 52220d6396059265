"""The JSON API under /api/v1: the same acts and queries as the pages; bearer tokens or a
session (with X-CSRF-Token on writes); every error is application/problem+json (RFC 9457)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from deadlines import format_instant
from store.models import Application
from web import acts
from web.deps import Context, Id, api_csrf, ctx, role, signed_in
from web.principal import Principal
from web.queries import last_second, window_of

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "description": text,
        "content": {
            "application/problem+json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "rule": {"type": "string"},
                        "instance": {"type": "string"},
                    },
                }
            }
        },
    }
    for code, text in (
        (401, "Not signed in"),
        (403, "Outside the principal's role or scope, or CSRF"),
        (404, "Unknown, or another scope's object"),
        (409, "Refused by a rule (the rule is named)"),
        (422, "Bad input (the field and rule are named)"),
        (429, "Rate limited"),
    )
}

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES, tags=["api"])


class Me(BaseModel):
    email: str
    actor: str
    role: str
    scope: str | None
    via: str


class AppOut(BaseModel):
    id: int
    edition: str
    year: int
    name: str
    uscc: str
    province: str | None
    group: str | None
    category: str
    state: str
    state_name: str
    form_version: int
    closes_at: str | None
    form_errors: list[str]


class HistoryOut(BaseModel):
    seq: int
    trigger: str
    from_state: str
    to_state: str | None
    accepted: bool
    actor: str
    rule: str
    message: str
    reason: str | None
    at: str
    hash: str


class ResultOut(BaseModel):
    application_id: int
    trigger: str
    from_state: str
    to_state: str | None
    accepted: bool
    rule: str
    message: str


class NewApplication(BaseModel):
    edition: str = Field(max_length=40)
    name: str = Field(max_length=200)
    province: str | None = Field(default=None, max_length=20)
    category: str | None = Field(default=None, max_length=40)


class FormIn(BaseModel):
    form: dict[str, Any]


class Decision(BaseModel):
    decision: Literal["recommend", "return", "reject"]
    reason: str | None = Field(default=None, max_length=2000)


class Scores(BaseModel):
    scores: dict[str, str]


class ObjectionIn(BaseModel):
    contact: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)


class NoticeOut(BaseModel):
    notice_id: int
    label: str
    first_day: str
    ends_at: str
    last_second: str
    entries: list[dict[str, Any]]


def _app_out(app: Application, who: Principal) -> AppOut:
    from states.lifecycle import State

    state = State(app.status)
    return AppOut(
        id=app.id,
        edition=app.campaign.edition_id,
        year=app.campaign.year,
        name=app.name,
        uscc=app.uscc,
        province=app.province,
        group=app.group_name,
        category=app.category,
        state=app.status,
        state_name=state.applicant_name if who.role == "enterprise" else state.staff_name,
        form_version=app.form_version,
        closes_at=_iso(last_second(window_of(app.campaign))),
        form_errors=list((app.form_check or {}).get("errors", [])),
    )


def _iso(value: datetime | None) -> str | None:
    return format_instant(value) if value is not None else None


def _result(r: Any) -> ResultOut:
    return ResultOut(application_id=r.application_id, trigger=r.trigger, from_state=r.from_state,
                     to_state=r.to_state, accepted=r.accepted, rule=r.rule, message=r.message)  # fmt: skip


@router.get("/me", response_model=Me)
def me(who: Principal = Depends(signed_in)) -> Me:
    return Me(email=who.email, actor=who.actor_text, role=who.role, scope=who.scope, via=who.via)


@router.get("/applications", response_model=list[AppOut])
def applications(
    state: str | None = None, who: Principal = Depends(signed_in), c: Context = Depends(ctx)
) -> list[AppOut]:
    states = (state,) if state else None
    return [_app_out(a, who) for a in c.queries.applications(who, states=states)]


@router.get("/applications/{app_id}", response_model=AppOut)
def application(
    app_id: Id, who: Principal = Depends(signed_in), c: Context = Depends(ctx)
) -> AppOut:
    return _app_out(c.queries.application(who, app_id), who)


@router.get("/applications/{app_id}/history", response_model=list[HistoryOut])
def history(
    app_id: Id, who: Principal = Depends(signed_in), c: Context = Depends(ctx)
) -> list[HistoryOut]:
    return [
        HistoryOut(
            seq=r.seq,
            trigger=r.trigger,
            from_state=r.from_state,
            to_state=r.to_state,
            accepted=r.accepted,
            actor=r.actor,
            rule=r.rule,
            message=r.message,
            reason=r.reason,
            at=format_instant(r.at),
            hash=r.hash,
        )  # fmt: skip
        for r in c.queries.history(who, app_id)
    ]


@router.post("/applications", response_model=AppOut, status_code=201,
             dependencies=[Depends(api_csrf)])  # fmt: skip
def create_application(
    body: NewApplication, who: Principal = Depends(role("enterprise")), c: Context = Depends(ctx)
) -> AppOut:
    app_id = acts.create_application(c.services, who, edition_id=body.edition, name=body.name,
                                     province=body.province, category=body.category,
                                     email=who.email, now=c.now())  # fmt: skip
    return _app_out(c.queries.application(who, app_id), who)


@router.put("/applications/{app_id}/form", response_model=AppOut, dependencies=[Depends(api_csrf)])
def save_form(
    app_id: Id, body: FormIn, who: Principal = Depends(signed_in), c: Context = Depends(ctx)
) -> AppOut:
    app = c.queries.application(who, app_id)
    acts.save_form(c.services, who, app.id, body.form, now=c.now())
    return _app_out(c.queries.application(who, app_id), who)


@router.post("/applications/{app_id}/submit", response_model=ResultOut,
             dependencies=[Depends(api_csrf)])  # fmt: skip
def submit(app_id: Id, who: Principal = Depends(signed_in), c: Context = Depends(ctx)) -> ResultOut:
    visible = c.queries.visible_id(who, app_id)
    return _result(acts.submit(c.services, who, visible, now=c.now()))


@router.post("/applications/{app_id}/withdraw", response_model=ResultOut,
             dependencies=[Depends(api_csrf)])  # fmt: skip
def withdraw(
    app_id: Id, who: Principal = Depends(signed_in), c: Context = Depends(ctx)
) -> ResultOut:
    visible = c.queries.visible_id(who, app_id)
    return _result(acts.withdraw(c.services, who, visible, now=c.now()))


@router.post("/applications/{app_id}/review", response_model=ResultOut,
             dependencies=[Depends(api_csrf)])  # fmt: skip
def review(
    app_id: Id, body: Decision, who: Principal = Depends(signed_in), c: Context = Depends(ctx)
) -> ResultOut:
    visible = c.queries.visible_id(who, app_id)
    return _result(acts.review(c.services, who, visible, body.decision, reason=body.reason,
                               now=c.now()))  # fmt: skip


@router.post("/applications/{app_id}/scores", dependencies=[Depends(api_csrf)])
def score(
    app_id: Id, body: Scores, who: Principal = Depends(role("expert")), c: Context = Depends(ctx)
) -> dict[str, str]:
    app = c.queries.application(who, app_id)
    declaration = c.queries.declaration(who, app.id)
    if declaration is None or declaration.has_conflict:
        raise acts.Forbidden("DeclareBeforeScoring",
                             "须先声明无利益冲突: declare no conflict of interest before scoring")  # fmt: skip
    total = acts.submit_score(c.services, who, app.id, body.scores, now=c.now())
    return {"total": str(total)}


@router.get("/notices", response_model=list[NoticeOut])
def notices(c: Context = Depends(ctx)) -> list[NoticeOut]:
    """The running 公示 lists (public, no sign-in)."""
    out = []
    for n, entries, _cp in c.queries.running_notices(c.now()):
        from datetime import timedelta

        out.append(
            NoticeOut(
                notice_id=n.id,
                label=n.label,
                first_day=n.first_day.isoformat(),
                ends_at=format_instant(n.ends_at),
                last_second=format_instant(n.ends_at - timedelta(seconds=1)),
                entries=[
                    {
                        "application_id": e.application_id,
                        "position": e.position,
                        "name": e.name,
                        "province": e.province,
                        "category": e.category,
                    }
                    for e in entries
                ],
            )  # fmt: skip
        )
    return out


@router.post("/notices/{app_id}/objections", status_code=201)
def object_to(app_id: Id, body: ObjectionIn, request: Request,
              c: Context = Depends(ctx)) -> dict[str, int]:  # fmt: skip
    """A member of the public objects to an application on a running notice (rate-limited)."""
    from fastapi import HTTPException

    now = c.now()
    client = request.client.host if request.client else ""
    if not acts.count_public_attempt(c.services, client=client, now=now,
                                     limit=c.settings.public_rate_limit,
                                     window=c.settings.public_rate_window):  # fmt: skip
        raise HTTPException(429, "objection: too many objections from this address")
    oid = acts.file_objection(c.services, app_id, contact=body.contact, reason=body.reason, now=now)
    return {"objection_id": oid}
