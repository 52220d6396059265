"""Command handlers: one function per act that changes something, all of one shape.

    handler(db, actor, <typed arguments>, *, now, ...) -> result

1. `now` must be aware; the act's row of `states.acts.ACTS` authorises the actor's role first,
   before anything is read that could lead to a write;
2. the store reads the typed facts and runs the ordered policy (`states.policy`, rule classes);
3. the change, its audit records and its outbox rows commit in one unit of work;
4. a refusal (a rule, or bad input) is audited exactly once, then raised as `Refused` (rule +
   one-line message): on the application's chain when there is one, else in the operators'
   trail; a version conflict is audited per attempt and raised as `Conflict`.

Batches (sweeps, a bulk recommend) call the same handlers with many ids.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from deadlines import Window, require_aware
from programs import text
from services.errors import Conflict, NotFound, Refused
from shenbao import args
from states.actors import SYSTEM, Actor
from states.acts import ActSpec, act
from states.rules import Refusal
from store.audit import append_operator
from store.db import Database
from store.models import Campaign
from store.transitions import Request, Result

T = TypeVar("T")
DECISIONS = {"recommend": "recommend", "return": "return_for_revision", "reject": "reject"}


# ---------------------------------------------------------------------------------------------
# The one refusal path


def _lifecycle(db: Database) -> Any:
    from store.service import Lifecycle

    return Lifecycle(db)


def _review(db: Database) -> Any:
    from store.review import Review

    return Review(_lifecycle(db))


def _trail_trigger(spec: ActSpec) -> str:
    return spec.trail


def audit_refusal(
    db: Database,
    spec: ActSpec,
    actor: Actor,
    now: datetime,
    rule: str,
    message: str,
    *,
    app_id: int | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record a refused act: on the application's chain, or in the operators' trail."""
    if app_id is not None:
        try:
            _lifecycle(db).audit_refusal(
                app_id,
                _trail_trigger(spec),
                actor,
                now,
                rule,
                message,
                reason=reason,
                details=details,
            )
            return
        except NotFound:
            details = {**(details or {}), "application": app_id}
    with db.transaction() as s:
        append_operator(
            s,
            act=spec.name,
            actor_role=actor.role.value,
            actor_scope=actor.scope,
            accepted=False,
            rule=rule,
            message=message,
            at=now,
            reason=reason,
            details=details,
        )


def audit_operator(
    s: Any, spec: ActSpec, actor: Actor, now: datetime, message: str, **details: Any
) -> None:
    """Record an accepted operator act in the caller's unit of work."""
    append_operator(
        s,
        act=spec.name,
        actor_role=actor.role.value,
        actor_scope=actor.scope,
        accepted=True,
        rule="Accepted",
        message=message,
        at=now,
        details={k: v for k, v in details.items() if v is not None},
    )


def authorize(
    db: Database,
    name: str,
    actor: Actor,
    now: datetime,
    *,
    app_id: int | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> ActSpec:
    """The first rule of every act: the actor's role is one the table allows (audited if not)."""
    require_aware(now, "--now")
    spec = act(name)
    message = spec.refusal(actor)
    if message is not None:
        audit_refusal(
            db,
            spec,
            actor,
            now,
            "EnforceActorRole",
            message,
            app_id=app_id,
            reason=reason,
            details=details,
        )
        raise Refused("EnforceActorRole", message, act=spec.name, app_id=app_id)
    return spec


@contextmanager
def _refusals(
    db: Database,
    spec: ActSpec,
    actor: Actor,
    now: datetime,
    *,
    app_id: int | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> Iterator[None]:
    """Every refusal below is audited once (unless the store already did) and raised `Refused`;
    bad input (ValueError) and unknown ids (NotFound) are audited too and keep their type."""
    try:
        yield
    except (Refused, Conflict):
        raise
    except Refusal as exc:
        if not exc.audited:
            audit_refusal(
                db, spec, actor, now, exc.rule, exc.message,
                app_id=app_id, reason=reason, details=details,
            )  # fmt: skip
        raise Refused(exc.rule, exc.message, act=spec.name, app_id=app_id) from None
    except (ValueError, LookupError) as exc:
        rule = "NotFound" if isinstance(exc, LookupError) else "InvalidInput"
        line = " ".join(str(exc).splitlines())
        audit_refusal(
            db, spec, actor, now, rule, line, app_id=app_id, reason=reason, details=details
        )
        raise


def _guarded(
    db: Database,
    name: str,
    actor: Actor,
    now: datetime,
    body: Callable[[], T],
    *,
    app_id: int | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> T:
    spec = authorize(db, name, actor, now, app_id=app_id, reason=reason, details=details)
    with _refusals(db, spec, actor, now, app_id=app_id, reason=reason, details=details):
        return body()


def _campaign_id(db: Database, edition_id: str, year: int | None) -> int:
    from store.service import Lifecycle

    with db.sessions() as s:
        return int(Lifecycle(db).campaign_for(s, edition_id, year).id)


# ---------------------------------------------------------------------------------------------
# Campaigns and applications


def open_campaign(
    db: Database,
    actor: Actor,
    edition_id: str,
    *,
    now: datetime,
    year: int | None = None,
    application_window: Window | None = None,
    screening_window: Window | None = None,
    settings: dict[str, Any] | None = None,
) -> Campaign:
    """Open (or return the open) campaign of an edition for a year.

    `settings` holds campaign facts that are not the edition's, such as `objection_contact`
    (where the public sends objections, printed with the 公示).
    """
    spec = authorize(db, "campaign.open", actor, now, details={"edition": edition_id})

    def after(s: Any, campaign: Campaign) -> None:
        audit_operator(
            s, spec, actor, now, f"opened campaign {campaign.id} of {edition_id} {campaign.year}",
            campaign=campaign.id, edition=edition_id, year=campaign.year, settings=settings,
        )  # fmt: skip

    with _refusals(db, spec, actor, now, details={"edition": edition_id}):
        args.campaign_bounds(edition_id, year, application_window, screening_window)
        return _lifecycle(db).open_campaign(  # type: ignore[no-any-return]
            edition_id,
            now=now,
            actor=actor,
            year=year,
            application_window=application_window,
            screening_window=screening_window,
            settings=settings,
            after=after,
        )


def create_application(
    db: Database,
    actor: Actor,
    edition_id: str,
    *,
    uscc: str,
    name: str,
    province: str | None,
    category: str | None,
    now: datetime,
    group: str | None = None,
    email: str | None = None,
    form: Mapping[str, Any] | None = None,
    year: int | None = None,
) -> int:
    """A new draft (audited as `create` on its own chain); the consortium comes from the form.

    An enterprise creates only its own application; one per organisation per campaign.
    """
    details = {"edition": edition_id, "uscc": uscc}

    def body() -> int:
        from store.service import _check_uscc

        _check_uscc(uscc.strip().upper())  # a malformed code is bad input, named as such
        return int(
            _lifecycle(db).create_application(
                edition_id,
                uscc=uscc,
                name=name,
                province=province,
                category=category,
                now=now,
                group=group,
                email=email,
                form=form,
                year=year,
                actor=actor,
            )
        )

    return _guarded(db, "application.create", actor, now, body, details=details)


def create_many(
    db: Database, edition_id: str, items: Sequence[Any], *, now: datetime, year: int | None = None
) -> list[int | Refused]:
    """Many drafts (`store.bulk.NewApplication`: actor, uscc, name, province, category, group,
    email, form) in one unit of work; per item, in order, its id or its `Refused`.

    Every actor is authorised first from the act table; a refused item (role, bad input, a second
    application of one organisation) is audited in the operators' trail, in the same unit of
    work, and changes nothing else; the others are created as `create_application` creates one.
    """
    from store import bulk
    from store.service import Lifecycle

    require_aware(now, "--now")
    spec = act("application.create")
    roles = {
        i: Refusal("EnforceActorRole", m)
        for i, item in enumerate(items)
        if (m := spec.refusal(item.actor)) is not None
    }
    first = items[0].actor if items else SYSTEM
    with _refusals(db, spec, first, now, details={"edition": edition_id, "items": len(items)}):
        with db.transaction() as s:
            campaign = Lifecycle(db).campaign_for(s, edition_id, year)
            made = bulk.create_many(db, s, campaign, items, roles, now)
            for i, refusal in sorted(made.refusals.items()):
                item = items[i]
                append_operator(
                    s,
                    act=spec.name,
                    actor_role=item.actor.role.value,
                    actor_scope=item.actor.scope,
                    accepted=False,
                    rule=refusal.rule,
                    message=refusal.message,
                    at=now,
                    details={"edition": edition_id, "uscc": item.uscc},
                )
    out: list[int | Refused] = []
    for i, app_id in enumerate(made.ids):
        if app_id is None:
            r = made.refusals[i]
            out.append(Refused(r.rule, r.message, act=spec.name, app_id=None))
        else:
            out.append(app_id)
    return out


def save_form(
    db: Database, actor: Actor, app_id: int, form: Mapping[str, Any], *, now: datetime
) -> int:
    """Store a new version of a draft's form; returns the form version."""
    return _guarded(
        db,
        "form.save",
        actor,
        now,
        lambda: int(_lifecycle(db).save_form(app_id, form, actor=actor, now=now)),
        app_id=app_id,
    )


# ---------------------------------------------------------------------------------------------
# Lifecycle moves of one application (and batches of them)


def _move(
    db: Database, name: str, actor: Actor, app_id: int, now: datetime, reason: str | None
) -> Result:
    spec = act(name)
    trigger = spec.triggers[0]
    return _guarded(
        db,
        name,
        actor,
        now,
        lambda: _lifecycle(db).trigger(app_id, trigger, actor=actor, now=now, reason=reason),
        app_id=app_id,
        reason=reason,
    )


def submit(db: Database, actor: Actor, app_id: int, *, now: datetime) -> Result:
    return _move(db, "submit", actor, app_id, now, None)


def withdraw(db: Database, actor: Actor, app_id: int, *, now: datetime) -> Result:
    return _move(db, "withdraw", actor, app_id, now, None)


def recommend(
    db: Database, actor: Actor, app_id: int, *, now: datetime, reason: str | None = None
) -> Result:
    return _move(db, "recommend", actor, app_id, now, reason)


def return_for_revision(
    db: Database, actor: Actor, app_id: int, *, now: datetime, reason: str | None
) -> Result:
    return _move(db, "return", actor, app_id, now, reason)


def reject(db: Database, actor: Actor, app_id: int, *, now: datetime, reason: str | None) -> Result:
    return _move(db, "reject", actor, app_id, now, reason)


def review(
    db: Database,
    actor: Actor,
    app_id: int,
    decision: str,
    *,
    now: datetime,
    reason: str | None = None,
) -> Result:
    """`decision` is recommend | return | reject."""
    if decision not in DECISIONS:
        raise ValueError(f"DECISION: '{decision}' is not one of {', '.join(DECISIONS)}")
    return _move(db, decision, actor, app_id, now, reason)


@dataclass(frozen=True)
class BatchResult:
    """Per-application results of a batch (refusals inside are audited, not raised)."""

    results: list[Result]

    @property
    def accepted(self) -> list[int]:
        return [r.application_id for r in self.results if r.accepted]

    @property
    def refused(self) -> list[Result]:
        return [r for r in self.results if not r.accepted]


def fire_many(
    db: Database,
    name: str,
    actor: Actor,
    app_ids: Sequence[int],
    *,
    now: datetime,
    reason: str | None = None,
) -> BatchResult:
    """One act over many applications in one unit of work (a bulk recommend, a sweep's lapse).

    Each application gets its own decision and audit record; quotas are counted once each.
    """
    spec = authorize(db, name, actor, now, details={"applications": list(app_ids)})
    trigger = spec.triggers[0]
    requests = [Request(a, trigger, actor, reason) for a in app_ids]
    with _refusals(db, spec, actor, now):
        return BatchResult(_lifecycle(db).trigger_many(requests, now=now))


def fire_each(
    db: Database,
    name: str,
    items: Sequence[tuple[Actor, int]],
    *,
    now: datetime,
    reason: str | None = None,
) -> BatchResult:
    """One act by many actors, each on its application, in one unit of work (a submission rush,
    a campaign run in batch).

    Every actor is authorised first from the act's row of the table; a member whose role may not
    act gets its refusal record (EnforceActorRole) in the same unit of work and nothing else.
    Each application gets its own decision and one audit record; refusals are audited, not
    raised. Unknown ids raise `NotFound` (audited in the operators' trail), as `fire_many` does.
    """
    require_aware(now, "--now")
    spec = act(name)
    trigger = spec.triggers[0]
    requests = []
    for actor, app_id in items:
        message = spec.refusal(actor)
        refused = Refusal("EnforceActorRole", message) if message is not None else None
        requests.append(Request(app_id, trigger, actor, reason, refused=refused))
    first = items[0][0] if items else SYSTEM
    with _refusals(db, spec, first, now, details={"applications": [a for _, a in items]}):
        return BatchResult(_lifecycle(db).trigger_many(requests, now=now))


def submit_many(db: Database, items: Sequence[tuple[Actor, int]], *, now: datetime) -> BatchResult:
    """Many enterprises submit, each its own application, in one unit of work."""
    return fire_each(db, "submit", items, now=now)


def recommend_many(
    db: Database, actor: Actor, app_ids: Sequence[int], *, now: datetime
) -> BatchResult:
    return fire_many(db, "recommend", actor, app_ids, now=now)


def lapse(db: Database, actor: Actor, app_ids: Sequence[int], *, now: datetime) -> BatchResult:
    return fire_many(db, "lapse", actor, app_ids, now=now)


# ---------------------------------------------------------------------------------------------
# Expert scoring


def define_sheet(
    db: Database,
    actor: Actor,
    edition_id: str,
    data: Mapping[str, Any],
    *,
    now: datetime,
    year: int | None = None,
) -> Any:
    """The campaign's scoring sheet (criteria, aggregation, avoidance, default cut)."""
    spec = authorize(db, "scoring.sheet", actor, now, details={"edition": edition_id})
    with _refusals(db, spec, actor, now, details={"edition": edition_id}):
        campaign_id = _campaign_id(db, edition_id, year)

        def after(s: Any, sheet: Any) -> None:
            audit_operator(
                s, spec, actor, now, f"scoring sheet of campaign {campaign_id} defined",
                campaign=campaign_id, criteria=len(sheet.criteria),
            )  # fmt: skip

        return _review(db).define_sheet(campaign_id, data, actor=actor, now=now, after=after)


def open_scoring(
    db: Database, actor: Actor, edition_id: str, *, now: datetime, year: int | None = None
) -> list[Result]:
    """Move every recommended application of the campaign into expert scoring."""
    spec = authorize(db, "scoring.open", actor, now, details={"edition": edition_id})
    with _refusals(db, spec, actor, now, details={"edition": edition_id}):
        campaign_id = _campaign_id(db, edition_id, year)
        return list(_review(db).open_scoring(campaign_id, now=now, actor=actor))


def assign_expert(
    db: Database,
    actor: Actor,
    app_id: int,
    expert_id: str,
    *,
    now: datetime,
    org_uscc: str | None = None,
    province: str | None = None,
) -> int:
    """Assign an expert (conflicts of interest refused); returns the assignment id."""
    return _guarded(
        db,
        "scoring.assign",
        actor,
        now,
        lambda: int(
            _review(db).assign_expert(
                app_id,
                expert_id=expert_id,
                org_uscc=org_uscc,
                province=province,
                actor=actor,
                now=now,
            )
        ),
        app_id=app_id,
    )


def assign_many(db: Database, actor: Actor, items: Sequence[Any], *, now: datetime) -> list[Any]:
    """Many assignments (`store.scoring_stage.ExpertItem`: application, expert, its organisation
    and province) in one unit of work; per item, in order, a `store.review_base.EventResult`
    (`.value`: the assignment id).

    The actor is authorised first from the act table (refused: nothing is written but the
    refusal in the operators' trail); each item is checked as `assign_expert` checks it, a
    conflict of interest included, and a refused item gets its refusal record on its chain and
    nothing else. Unknown ids raise `NotFound` (audited in the operators' trail).
    """
    details = {"applications": [i.app_id for i in items]}
    spec = authorize(db, "scoring.assign", actor, now, details=details)
    with _refusals(db, spec, actor, now, details=details):
        return list(_review(db).assign_many(items, actor=actor, now=now))


def _role_refusals(spec: ActSpec, items: Sequence[Any]) -> list[Any]:
    """Each item with its actor's refusal from the act's row of the table (None: may act)."""
    from states.rules import Outcome

    out = []
    for item in items:
        message = spec.refusal(item.actor)
        if message is not None:
            item = dataclasses.replace(item, refused=Outcome(False, "EnforceActorRole", message))
        out.append(item)
    return out


def replace_expert(
    db: Database,
    actor: Actor,
    app_id: int,
    old_expert_id: str,
    new_expert_id: str,
    *,
    now: datetime,
    reason: str | None,
    org_uscc: str | None = None,
    province: str | None = None,
) -> int:
    return _guarded(
        db,
        "scoring.replace",
        actor,
        now,
        lambda: int(
            _review(db).replace_expert(
                app_id,
                old_expert_id,
                new_expert_id=new_expert_id,
                org_uscc=org_uscc,
                province=province,
                reason=reason,
                actor=actor,
                now=now,
            )
        ),
        app_id=app_id,
        reason=reason,
    )


def submit_score(
    db: Database,
    actor: Actor,
    app_id: int,
    scores: Mapping[str, object],
    *,
    now: datetime,
    expert_id: str | None = None,
) -> Decimal:
    """An expert's scores (default: the expert acting); returns the expert's total."""
    who = expert_id or actor.scope
    if not who:
        raise ValueError("--expert: name the expert (or act --as expert:ID)")
    return _guarded(
        db,
        "scoring.score",
        actor,
        now,
        lambda: _review(db).submit_score(
            app_id, expert_id=who, scores=scores, actor=actor, now=now
        ),
        app_id=app_id,
    )


def score_many(db: Database, items: Sequence[Any], *, now: datetime) -> list[Any]:
    """Many experts' scores (`store.scoring_stage.ScoreItem`: actor, application, scores), each
    expert its own, in one unit of work; per item, in order, an `EventResult` (`.value`: the
    expert's total).

    Every actor is authorised first from the act table (a refused one gets its EnforceActorRole
    record on the application's chain and nothing else); each item is checked as `submit_score`
    checks it; refusals are audited, not raised. Unknown ids raise `NotFound`.
    """
    require_aware(now, "--now")
    spec = act("scoring.score")
    checked = _role_refusals(spec, items)
    first = items[0].actor if items else SYSTEM
    with _refusals(db, spec, first, now, details={"applications": [i.app_id for i in items]}):
        return list(_review(db).score_many(checked, now=now))


def shortlist(
    db: Database,
    actor: Actor,
    edition_id: str,
    *,
    now: datetime,
    top_k: int | None = None,
    min_score: Decimal | str | None = None,
    year: int | None = None,
) -> Any:
    """Cut the ranking (the cut is stored only for an allowed actor); returns ShortlistOutcome."""
    details = {"edition": edition_id, "top_k": top_k, "min_score": str(min_score)}
    spec = authorize(db, "scoring.shortlist", actor, now, details=details)
    with _refusals(db, spec, actor, now, details=details):
        campaign_id = _campaign_id(db, edition_id, year)
        return _review(db).shortlist(
            campaign_id, top_k=top_k, min_score=min_score, actor=actor, now=now
        )


def resolve_tie(
    db: Database,
    actor: Actor,
    edition_id: str,
    category: str,
    chosen: Sequence[int],
    *,
    now: datetime,
    year: int | None = None,
) -> list[Result]:
    details = {"edition": edition_id, "category": category, "chosen": list(chosen)}
    spec = authorize(db, "scoring.resolve_tie", actor, now, details=details)
    with _refusals(db, spec, actor, now, details=details):
        campaign_id = _campaign_id(db, edition_id, year)
        return list(_review(db).resolve_tie(campaign_id, category, chosen, actor=actor, now=now))


# ---------------------------------------------------------------------------------------------
# 公示


def publish_notice(
    db: Database,
    actor: Actor,
    edition_id: str,
    *,
    now: datetime,
    at: datetime | None = None,
    year: int | None = None,
) -> Any:
    """Publish the shortlist for 公示 at `at` (default `now`); returns PublishedNotice."""
    spec = authorize(db, "notice.publish", actor, now, details={"edition": edition_id})
    with _refusals(db, spec, actor, now, details={"edition": edition_id}):
        campaign_id = _campaign_id(db, edition_id, year)
        return _review(db).publish_notice(campaign_id, at=at or now, actor=actor)


def file_objection(
    db: Database, actor: Actor, app_id: int, *, contact: str, reason: str, now: datetime
) -> int:
    """An objection (异议) while the notice period runs; returns the objection id."""
    return _guarded(
        db,
        "notice.object",
        actor,
        now,
        lambda: int(
            _review(db).file_objection(app_id, contact=contact, reason=reason, actor=actor, now=now)
        ),
        app_id=app_id,
        reason=reason,
    )


def resolve_objection(
    db: Database, actor: Actor, objection_id: int, outcome: str, *, reason: str, now: datetime
) -> None:
    """Resolve an objection as upheld | dismissed, with a reason."""
    details = {"objection": objection_id, "outcome": outcome}
    _guarded(
        db,
        "notice.resolve",
        actor,
        now,
        lambda: _review(db).resolve_objection(
            objection_id, outcome, reason=reason, actor=actor, now=now
        ),
        reason=reason,
        details=details,
    )


def close_notice(
    db: Database, actor: Actor, edition_id: str, *, now: datetime, year: int | None = None
) -> Any:
    """After the period: confirm, remove or hold; returns CloseOutcome."""
    spec = authorize(db, "notice.close", actor, now, details={"edition": edition_id})
    with _refusals(db, spec, actor, now, details={"edition": edition_id}):
        campaign_id = _campaign_id(db, edition_id, year)
        return _review(db).close_notice(campaign_id, actor=actor, now=now)


def close_notice_of(db: Database, actor: Actor, campaign_id: int, *, now: datetime) -> Any:
    """`close_notice` by campaign id (the sweep)."""
    spec = authorize(db, "notice.close", actor, now, details={"campaign": campaign_id})
    with _refusals(db, spec, actor, now, details={"campaign": campaign_id}):
        return _review(db).close_notice(campaign_id, actor=actor, now=now)


def confirm_results(
    db: Database, actor: Actor, edition_id: str, *, now: datetime, year: int | None = None
) -> list[Result]:
    """Editions without 公示: confirm the shortlist as announced."""
    spec = authorize(db, "notice.results", actor, now, details={"edition": edition_id})
    with _refusals(db, spec, actor, now, details={"edition": edition_id}):
        campaign_id = _campaign_id(db, edition_id, year)
        return list(_review(db).confirm_results(campaign_id, actor=actor, now=now))


# ---------------------------------------------------------------------------------------------
# Annual reports and recertification


def open_reports(
    db: Database, actor: Actor, edition_id: str, report_year: int, *, now: datetime
) -> Any:
    """Open the report on `report_year` for every active title; returns ReportsOpened."""
    details = {"edition": edition_id, "report_year": report_year}
    return _guarded(
        db,
        "reports.open",
        actor,
        now,
        lambda: _review(db).open_reports(edition_id, report_year, actor=actor, now=now),
        details=details,
    )


def submit_report(
    db: Database,
    actor: Actor,
    app_id: int,
    report_year: int,
    data: Mapping[str, Any],
    *,
    now: datetime,
) -> Any:
    """The applicant's report on `report_year`; returns ReportSubmitted."""
    return _guarded(
        db,
        "reports.submit",
        actor,
        now,
        lambda: _review(db).submit_report(app_id, report_year, data, actor=actor, now=now),
        app_id=app_id,
    )


def report_many(db: Database, items: Sequence[Any], *, now: datetime) -> list[Any]:
    """Many annual reports (`store.titles_stage.ReportItem`: actor, application, year, data),
    each enterprise its own, in one unit of work; per item, in order, an `EventResult`
    (`.value`: the `ReportSubmitted`).

    Every actor is authorised first from the act table (a refused one gets its EnforceActorRole
    record on the application's chain and nothing else); each item is checked as
    `submit_report` checks it; refusals are audited, not raised. Unknown ids raise `NotFound`.
    """
    require_aware(now, "--now")
    spec = act("reports.submit")
    checked = _role_refusals(spec, items)
    first = items[0].actor if items else SYSTEM
    with _refusals(db, spec, first, now, details={"applications": [i.app_id for i in items]}):
        return list(_review(db).report_many(checked, now=now))


def open_recertification(
    db: Database,
    actor: Actor,
    *,
    now: datetime,
    app_id: int | None = None,
    edition_id: str | None = None,
) -> list[Result]:
    """Open the recertification of one title, or of every title due by `now`."""
    details = {"application": app_id, "edition": edition_id}
    return _guarded(
        db,
        "recert.open",
        actor,
        now,
        lambda: list(
            _review(db).open_recertification(
                actor=actor, now=now, app_id=app_id, edition_id=edition_id
            )
        ),
        app_id=app_id,
        details=details,
    )


def renew(
    db: Database, actor: Actor, app_id: int, *, now: datetime, reason: str | None = None
) -> Result:
    return _guarded(
        db,
        "recert.renew",
        actor,
        now,
        lambda: _review(db).renew(app_id, reason=reason, actor=actor, now=now),
        app_id=app_id,
        reason=reason,
    )


def revoke(db: Database, actor: Actor, app_id: int, *, now: datetime, reason: str) -> Result:
    return _guarded(
        db,
        "recert.revoke",
        actor,
        now,
        lambda: _review(db).revoke(app_id, reason=reason, actor=actor, now=now),
        app_id=app_id,
        reason=reason,
    )


# ---------------------------------------------------------------------------------------------
# Operator acts


def add_contact(
    db: Database,
    actor: Actor,
    role: str,
    scope: str,
    email: str,
    *,
    now: datetime,
    name: str = "",
) -> int:
    """Register a coordinator's contact (audited in the operators' trail); returns its id."""
    from sqlalchemy import select

    from store.contacts import _check
    from store.models import Contact

    details = {"role": role, "scope": scope, "email": email}
    spec = authorize(db, "contacts.add", actor, now, details=details)
    with _refusals(db, spec, actor, now, details=details):
        scope, email, name = text.contact_fields(scope, email, name)
        scope, email = _check(role, scope, email)
        with db.transaction() as s:
            contact = s.scalar(
                select(Contact).where(
                    Contact.role == role, Contact.scope == scope, Contact.email == email
                )
            )
            if contact is not None:
                contact.name = name or contact.name
            else:
                contact = Contact(role=role, scope=scope, email=email, name=name, created_at=now)
                s.add(contact)
            s.flush()
            audit_operator(
                s, spec, actor, now, f"contact {contact.id} {role} {scope} {email}",
                contact=contact.id, role=role, scope=scope, email=email, name=name,
            )  # fmt: skip
            return int(contact.id)


def remove_contact(db: Database, actor: Actor, contact_id: int, *, now: datetime) -> None:
    """Remove a contact (audited with what it was)."""
    from store.models import Contact

    spec = authorize(db, "contacts.remove", actor, now, details={"contact": contact_id})
    with _refusals(db, spec, actor, now, details={"contact": contact_id}):
        with db.transaction() as s:
            contact = s.get(Contact, contact_id)
            if contact is None:
                raise NotFound(f"ID: no contact with id {contact_id}")
            was = {"role": contact.role, "scope": contact.scope, "email": contact.email}
            s.delete(contact)
            audit_operator(
                s, spec, actor, now, f"contact {contact_id} removed", contact=contact_id, **was
            )


@dataclass(frozen=True)
class CalendarInstalled:
    year: int
    document_number: str
    path: Path


def import_calendar(
    db: Database,
    actor: Actor,
    file: Path,
    *,
    now: datetime,
    replace: bool = False,
    target_dir: Path | None = None,
) -> CalendarInstalled:
    """Check a State Council notice file and install it; audited with the file's content hash."""
    import hashlib
    import os

    from deadlines import calendar as cal

    details = {"file": str(file), "replace": replace}
    spec = authorize(db, "calendar.import", actor, now, details=details)
    with _refusals(db, spec, actor, now, details=details):
        if not file.is_file():
            raise ValueError(f"FILE: {file} does not exist")
        notice = cal.parse_notice(file)
        existing = cal.load_notices(cal.calendar_dirs())
        if notice.year in existing and not replace:
            raise ValueError(
                f"FILE: a schedule for {notice.year} is already installed "
                f"({existing[notice.year].path}); pass --replace to replace it"
            )
        existing[notice.year] = notice
        cal.Calendar(existing)  # cross-file checks: no day both off and working
        folder = target_dir or Path(os.environ.get(cal.CALENDAR_DIR_ENV) or cal.DATA_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{notice.year}.toml"
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        with db.transaction() as s:
            tmp = target.with_suffix(".toml.tmp")
            shutil.copyfile(file, tmp)
            tmp.replace(target)
            audit_operator(
                s, spec, actor, now,
                f"installed calendar {notice.year} ({notice.document_number}) at {target}",
                year=notice.year, document=notice.document_number, sha256=digest,
                path=str(target), replaced=replace,
            )  # fmt: skip
        cal.reset_cache()
        return CalendarInstalled(notice.year, notice.document_number, target)


def notify_send(
    db: Database, actor: Actor, *, now: datetime, send: Callable[[], Mapping[str, Any]]
) -> Mapping[str, Any]:
    """Drain the outbox once with `send` (returns its counts), audited in the operators' trail."""
    spec = authorize(db, "notify.send", actor, now)
    with _refusals(db, spec, actor, now):
        stats = send()
        with db.transaction() as s:
            audit_operator(
                s, spec, actor, now, "outbox drained: " + ", ".join(
                    f"{k} {v}" for k, v in stats.items()
                ),
                **{str(k): v for k, v in stats.items()},
            )  # fmt: skip
        return stats


__all__ = [
    "BatchResult",
    "CalendarInstalled",
    "DECISIONS",
    "add_contact",
    "assign_expert",
    "assign_many",
    "audit_refusal",
    "authorize",
    "close_notice",
    "close_notice_of",
    "confirm_results",
    "create_application",
    "define_sheet",
    "file_objection",
    "create_many",
    "fire_each",
    "fire_many",
    "import_calendar",
    "lapse",
    "notify_send",
    "open_campaign",
    "open_recertification",
    "open_reports",
    "open_scoring",
    "publish_notice",
    "recommend",
    "recommend_many",
    "reject",
    "remove_contact",
    "renew",
    "report_many",
    "replace_expert",
    "resolve_objection",
    "resolve_tie",
    "return_for_revision",
    "review",
    "revoke",
    "save_form",
    "score_many",
    "shortlist",
    "submit",
    "submit_many",
    "submit_report",
    "withdraw",
]
