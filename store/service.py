"""Use cases of the lifecycle: open campaigns, take applications, fire triggers under the policy.

Each use case is one transaction: the state change, its audit record and its outbox rows commit
together or not at all. A refused trigger commits only its audit record and raises `Refusal`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deadlines import Window, default_calendar, require_aware
from programs import text
from programs.editions import load_edition
from programs.provinces import normalize_province
from states.actors import Actor, Role
from states.acts import act
from states.campaign_rules import (
    CampaignFacts,
    OneApplicationPerOrganisation,
    OnlyApplicantCreates,
    check_campaign,
)
from states.event_rules import EventFacts, evaluate_event
from states.lifecycle import State
from states.rules import ApplicationFacts, Refusal, edition_clauses
from store import audit, formcheck
from store.db import Database
from store.models import Application, Campaign, FormVersion, Organisation
from store.transitions import (
    Conflict,
    NotFound,
    Request,
    Result,
    TransitionEngine,
    next_due,
    windows_of,
)

CONFLICT_MESSAGE = (
    "冲突: application {} was changed by another transaction at the same time; "
    "nothing was changed, reload and try again"
)


class Lifecycle:
    """The application service over one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- campaigns -----------------------------------------------------------------------------
    def open_campaign(
        self,
        edition_id: str,
        *,
        now: datetime,
        actor: Actor,
        year: int | None = None,
        application_window: Window | None = None,
        screening_window: Window | None = None,
        settings: dict[str, Any] | None = None,
        after: Callable[[Session, Campaign], None] | None = None,
    ) -> Campaign:
        require_aware(now, "--now")
        refused = act("campaign.open").refusal(actor)  # the row of the table of every act
        if refused is not None:
            raise Refusal("EnforceActorRole", refused)
        edition = load_edition(edition_id)
        year = year or edition.year
        app_w = application_window or edition.application_window
        scr_w = screening_window or edition.screening_window
        with self.db.transaction() as s:
            existing = s.scalar(
                select(Campaign).where(Campaign.edition_id == edition.id, Campaign.year == year)
            )
            if existing is not None:
                return existing
            campaign = Campaign(
                edition_id=edition.id,
                year=year,
                status="open",
                application_opens=app_w.opens if app_w else None,
                application_closes=app_w.closes if app_w else None,
                screening_opens=scr_w.opens if scr_w else None,
                screening_closes=scr_w.closes if scr_w else None,
                settings=dict(settings or {}),
                edition_version=edition.version,
                calendar_version=default_calendar().version,
                opened_at=now,
                opened_by=str(actor),
            )
            s.add(campaign)
            s.flush()
            if after is not None:
                after(s, campaign)
            return campaign

    def campaign_for(self, s: Session, edition_id: str, year: int | None = None) -> Campaign:
        load_edition(edition_id)  # unknown id -> EditionError naming the known ones
        stmt = select(Campaign).where(Campaign.edition_id == edition_id)
        if year is not None:
            stmt = stmt.where(Campaign.year == year)
        campaign = s.scalar(stmt.order_by(Campaign.year.desc()).limit(1))
        if campaign is None:
            raise NotFound(
                f"campaign: no campaign of {edition_id} is open; "
                f"run `shenbao campaign open {edition_id}` first"
            )
        return campaign

    # -- applications --------------------------------------------------------------------------
    def create_application(
        self,
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
        actor: Actor | None = None,
        after: Callable[[Session, Application], None] | None = None,
    ) -> int:
        """Create a draft; a consortium is what the form says (its members), nothing else.

        A second application of one organisation to one campaign is refused, naming the first.
        """
        require_aware(now, "--now")
        edition = load_edition(edition_id)
        uscc = uscc.strip().upper()
        _check_uscc(uscc)
        actor = actor or Actor(Role.ENTERPRISE, uscc)
        clauses = edition_clauses(edition)
        check_campaign(
            CampaignFacts(
                act="application.create",
                actor=actor,
                now=now,
                campaign_id=None,
                edition_id=edition.id,
                applicant_uscc=uscc,
                clauses=clauses,
            ),
            (OnlyApplicantCreates,),
        )
        name, email, group = text.applicant_name(name), text.email(email), text.group_name(group)
        if not name:
            raise ValueError("--name: 名称不能为空 (the applicant's name is required)")
        short = normalize_province(province) if province else None
        if short is None and group is None:
            raise ValueError(
                "--province: 必须指明所在省份或中央企业集团 (province or group required)"
            )
        category = category or (edition.categories[0].id if len(edition.categories) == 1 else None)
        if category is None:
            raise ValueError(
                f"--category: {edition.id} 需指明类别 (one of {', '.join(edition.category_ids)})"
            )
        edition.category(category)
        consortium = consortium_of(form)
        # the quota rules refuse combinations the edition does not know (consortium, group route)
        edition.quota_limits(province=short, group=group, category=category, consortium=consortium)
        if email is not None:
            _check_email(email)
        _check_form_owner(form, uscc)
        with self.db.transaction() as s:
            campaign = self.campaign_for(s, edition.id, year)
            self.db.advisory_lock(s, f"apply:{campaign.id}:{uscc}")
            first = s.scalar(
                select(Application.id)
                .where(Application.campaign_id == campaign.id, Application.uscc == uscc)
                .order_by(Application.id)
                .limit(1)
            )
            check_campaign(
                CampaignFacts(
                    act="application.create",
                    actor=actor,
                    now=now,
                    campaign_id=campaign.id,
                    edition_id=edition.id,
                    applicant_uscc=uscc,
                    campaign_year=campaign.year,
                    earlier_application=first,
                    clauses=clauses,
                ),
                (OneApplicationPerOrganisation,),
            )
            org = s.scalar(select(Organisation).where(Organisation.uscc == uscc))
            if org is None:
                org = Organisation(
                    uscc=uscc, name=name, province=short, group_name=group, created_at=now
                )
                s.add(org)
                s.flush()
            check = formcheck.compute(edition, category, form or {}, 1 if form else 0)
            app = Application(
                campaign_id=campaign.id,
                organisation_id=org.id,
                uscc=uscc,
                name=name,
                province=short,
                group_name=group,
                category=category,
                consortium=consortium,
                contact_email=email,
                status=State.DRAFT.value,
                form=dict(form or {}),
                form_version=1 if form else 0,
                form_check=check,
                eligibility_status=formcheck.eligibility_status(check),
                created_at=now,
                updated_at=now,
                next_due_at=next_due(State.DRAFT.value, windows_of(campaign)[0]),
            )
            s.add(app)
            s.flush()
            if form:
                s.add(
                    FormVersion(
                        application_id=app.id,
                        version=1,
                        form=dict(form),
                        saved_at=now,
                        saved_by=f"enterprise:{uscc}",
                    )
                )
            audit.append(
                s,
                app,
                trigger="create",
                from_state=State.DRAFT.value,
                to_state=State.DRAFT.value,
                accepted=True,
                actor_role=actor.role.value,
                actor_scope=actor.scope,
                reason=None,
                rule="Created",
                message=f"created: application {app.id} of {uscc} to {edition.id} "
                f"{campaign.year} by {actor}",
                at=now,
                details={"consortium": consortium, "form_version": app.form_version},
            )
            if after is not None:
                after(s, app)
            return app.id

    def save_form(
        self, app_id: int, form: Mapping[str, Any], *, actor: Actor, now: datetime
    ) -> int:
        """Store a new version of the form (drafts only, by the applicant)."""
        with self.db.transaction() as s:
            app = self._get(s, app_id)
            edition = load_edition(app.campaign.edition_id)
            outcome = evaluate_event(
                EventFacts(
                    event="form:save",
                    actor=actor,
                    now=now,
                    application=ApplicationFacts(
                        app.id, edition.id, app.uscc, app.province, app.group_name,
                        app.category, app.consortium, app.status,
                    ),
                )
            )  # fmt: skip
            if not outcome.accepted:
                raise Refusal(outcome.rule, outcome.message)
            _check_form_owner(form, app.uscc)
            app.consortium = consortium_of(form)
            edition.quota_limits(
                province=app.province,
                group=app.group_name,
                category=app.category,
                consortium=app.consortium,
            )
            app.form_version += 1
            app.form = dict(form)
            app.form_check = formcheck.compute(edition, app.category, form, app.form_version)
            app.eligibility_status = formcheck.eligibility_status(app.form_check)
            app.updated_at = now
            s.add(
                FormVersion(
                    application_id=app.id,
                    version=app.form_version,
                    form=dict(form),
                    saved_at=now,
                    saved_by=str(actor),
                )
            )
            audit.append(
                s,
                app,
                trigger="form:save",
                from_state=app.status,
                to_state=app.status,
                accepted=True,
                actor_role=actor.role.value,
                actor_scope=actor.scope,
                reason=None,
                rule="Review",
                message=f"accepted: form version {app.form_version} of application {app.id} saved",
                at=now,
                details={"form_version": app.form_version, "consortium": app.consortium},
            )
            return app.form_version

    def _get(self, s: Session, app_id: int, *, lock: bool = False) -> Application:
        # lock only the application row (its campaign is eager-loaded by a join)
        app = s.get(Application, app_id, with_for_update={"of": Application} if lock else None)
        if app is None:
            raise NotFound(f"APP: no application with id {app_id}")
        return app

    def get(self, app_id: int) -> Application:
        with self.db.sessions() as s:
            return self._get(s, app_id)

    # -- triggers ------------------------------------------------------------------------------
    def engine(self) -> TransitionEngine:
        return TransitionEngine(lock=self.db.advisory_lock)

    def trigger(
        self,
        app_id: int,
        trigger: str,
        *,
        actor: Actor,
        now: datetime,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> Result:
        """Fire one trigger; a refusal is committed to the audit log, then raised as `Refusal`."""
        request = Request(app_id, trigger, actor, reason, details or {}, extra or {})
        (result,) = self.trigger_many([request], now=now)
        if not result.accepted:
            refusal = result.refusal()
            refusal.audited = True  # recorded by the engine in the same transaction
            raise refusal
        return result

    def trigger_many(self, requests: Sequence[Request], *, now: datetime) -> list[Result]:
        """Fire many triggers in one transaction (sweeps, demo, benchmarks)."""
        require_aware(now, "--now")
        requests = text.clean_reasons(requests)
        try:
            with self.db.transaction() as s:
                return self.engine().run(s, requests, now)
        except Conflict:
            self.audit_conflicts(requests, now)
            raise

    def audit_conflicts(self, requests: Sequence[Request], now: datetime) -> None:
        """After a version conflict: every attempt is recorded as refused; nothing else changed."""
        for r in requests:
            self.audit_refusal(
                r.app_id, r.trigger, r.actor, now, "Conflict",
                CONFLICT_MESSAGE.format(r.app_id), reason=r.reason,
            )  # fmt: skip

    def audit_refusal(
        self,
        app_id: int,
        trigger: str,
        actor: Actor,
        now: datetime,
        rule: str,
        message: str,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Commit the audit record of a refused attempt, in its own transaction."""
        with self.db.transaction() as s:
            app = self._get(s, app_id, lock=True)
            audit.append(
                s,
                app,
                trigger=trigger,
                from_state=app.status,
                to_state=None,
                accepted=False,
                actor_role=actor.role.value,
                actor_scope=actor.scope,
                reason=reason,
                rule=rule,
                message=message,
                at=now,
                details=details,
            )

    # -- queries -------------------------------------------------------------------------------
    def list_applications(
        self, *, edition: str | None = None, state: str | None = None
    ) -> list[tuple[Application, Campaign]]:
        with self.db.sessions() as s:
            stmt = select(Application, Campaign).join(Campaign)
            if edition:
                load_edition(edition)
                stmt = stmt.where(Campaign.edition_id == edition)
            if state:
                State(state)
                stmt = stmt.where(Application.status == state)
            return list(s.execute(stmt.order_by(Application.id)).tuples())


def consortium_of(form: Mapping[str, Any] | None) -> bool:
    """A consortium application is one whose form lists consortium members (联合体成员单位)."""
    section = (form or {}).get("consortium")
    members = section.get("members") if isinstance(section, Mapping) else None
    return bool(members)


def _check_uscc(uscc: str) -> None:
    try:
        from programs.forms.uscc import check_uscc
    except ImportError:  # pragma: no cover - forms package always ships
        return
    if not check_uscc(uscc):
        raise ValueError(
            f"--org: '{uscc}' 不是有效的统一社会信用代码 (fails the GB 32100-2015 check character)"
        )


def _check_form_owner(form: Mapping[str, Any] | None, uscc: str) -> None:
    basic = (form or {}).get("basic")
    if isinstance(basic, Mapping) and basic.get("uscc"):
        in_form = str(basic["uscc"]).strip().upper()
        if in_form != uscc:
            raise ValueError(
                f"--file: basic.uscc '{in_form}' 与 --org '{uscc}' 不一致 "
                "(the form's unified social credit code must be the applicant's)"
            )


def _check_email(email: str) -> None:
    import re

    if not re.fullmatch(r"[^@\s\r\n]+@[^@\s\r\n]+\.[^@\s\r\n]+", email):
        raise ValueError(f"--email: '{email}' 不是有效的电子邮箱 (not an email address)")
