"""Every write the web service does, one function per act, each taking the signed-in principal.

This is the only module of `web/` that changes anything: pages and the JSON API call these
functions and nothing else that writes. The acts of the lifecycle call the command handlers of
`services.handlers` (authorisation, policy, audit and outbox happen there); the acts of the door
itself (accounts, sessions, tokens, the public rate limit, an expert's declaration) call the
account store. No business rule lives here: this module names the actor (always the signed-in
account, never a request parameter) and refuses writes of read-only principals (auditors,
read-only tokens) before they reach a handler.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from services import handlers
from services.accounts import mail_link
from services.errors import NotFound
from states.actors import Actor, Role
from states.rules import Refusal
from store import accounts
from store.db import Database
from store.transitions import Result
from web.batch import SubmitBatcher
from web.principal import Principal


class Forbidden(Exception):
    """The principal's role may not do this act at all (HTTP 403); nothing was attempted."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass
class Services:
    """The unit of work the handlers run in, and the batcher of submissions over it."""

    db: Database
    submissions: SubmitBatcher = field(init=False, repr=False)
    # PostgreSQL: one statement that is its own unit of work, in autocommit (one round trip)
    autocommit: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.submissions = SubmitBatcher(self.db)
        self.autocommit = (
            self.db.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.db.dialect == "postgresql"
            else None
        )

    @classmethod
    def over(cls, db: Database) -> Services:
        return cls(db)


def _writer(who: Principal, *roles: str) -> Actor:
    if not who.can_write:
        raise Forbidden(
            "EnforceActorRole",
            f"只读: {who.actor_text} changes nothing (read-only account or token)",
        )
    if roles and who.role not in roles:
        raise Forbidden(
            "EnforceActorRole",
            f"无权操作: {who.actor_text} may not do this (only {', '.join(roles)})",
        )
    return who.actor()


def public_actor() -> Actor:
    """A member of the public: no account; the contact is kept with the objection itself."""
    return Actor(Role.PUBLIC)


# ---------------------------------------------------------------------------------------------
# Accounts


def register_enterprise(
    svc: Services,
    *,
    uscc: str,
    email: str,
    name: str,
    now: datetime,
    base_url: str,
    lang: str = "zh",
) -> int:
    """An enterprise's own registration: a pending account and a confirmation link by mail."""
    with svc.db.transaction() as s:
        account, token = accounts.create_account(
            s,
            email=email,
            role="enterprise",
            scope=uscc,
            display_name=name,
            now=now,
            created_by="self-registration",
            purpose="confirm",
        )
        mail_link(s, account, token, "confirm", now, base_url, lang)
        return account.id


def invite(
    svc: Services,
    who: Principal,
    *,
    email: str,
    role: str,
    scope: str | None,
    name: str,
    now: datetime,
    base_url: str,
) -> tuple[int, str]:
    """The ministry invites a province, group, expert or auditor (or another ministry user)."""
    actor = _writer(who, "ministry")
    if role == "enterprise":
        raise accounts.AccountError(
            "InviteRole", "role: 申报单位自行注册 (enterprises register themselves)"
        )
    from services.accounts import invite_account

    return invite_account(
        svc.db, actor, email=email, role=role, scope=scope, name=name, now=now,
        base_url=base_url,
    )  # fmt: skip


def invite_as_operator(
    svc: Services,
    *,
    email: str,
    role: str,
    scope: str | None,
    name: str,
    now: datetime,
    base_url: str,
    operator: str,
) -> tuple[int, str]:
    """`shenbao accounts invite`: the operator's shell (any role, the first ministry account).

    `operator` is the acting operator (`ministry` or `system`), authorised and audited by the
    handler like every other operator act.
    """
    from services.accounts import invite_account

    return invite_account(
        svc.db, Actor.parse(operator), email=email, role=role, scope=scope, name=name, now=now,
        base_url=base_url,
    )  # fmt: skip


def activate(svc: Services, *, token: str, password: str, now: datetime) -> int:
    """Use a confirmation or invitation link once, setting the password."""
    with svc.db.transaction() as s:
        return accounts.redeem_one_time(s, token, password, now).id


def disable_account(svc: Services, who: Principal, *, email: str, now: datetime) -> None:
    from services.accounts import disable_account as disable

    disable(svc.db, _writer(who, "ministry"), email, now=now)


def disable_as_operator(svc: Services, *, email: str, now: datetime, operator: str) -> None:
    """`shenbao accounts disable`: `operator` is `ministry` or `system` (authorised, audited)."""
    from services.accounts import disable_account as disable

    disable(svc.db, Actor.parse(operator), email, now=now)


def login(
    svc: Services,
    *,
    email: str,
    password: str,
    client: str,
    now: datetime,
    replaces: str | None,
) -> accounts.OpenedSession:
    """Check the password (throttled, locking) and open a fresh session.

    The attempt is recorded even when refused, so the refusal is committed before it is raised.
    """
    refused: accounts.AccountError | None = None
    opened: accounts.OpenedSession | None = None
    with svc.db.transaction() as s:
        try:
            account = accounts.authenticate(s, email, password, client, now)
            opened = accounts.open_session(s, account, now, replaces=replaces, client=client)
        except accounts.AccountError as exc:
            refused = exc
    if refused is not None:
        raise refused
    assert opened is not None
    return opened


def sign_in_external(
    svc: Services, *, subject: str, email: str, client: str, now: datetime, replaces: str | None
) -> accounts.OpenedSession:
    """OpenID Connect sign-in: the provider's subject binds to an active account by e-mail."""
    from sqlalchemy import select

    with svc.db.transaction() as s:
        account = s.scalar(
            select(accounts.Account).where(accounts.Account.oidc_subject == subject)
        ) or accounts.get_by_email(s, email)
        if account is None or account.status != "active":
            raise accounts.AccountError(
                "NoSuchAccount", "login: 无对应的已激活账户 (no active account for this identity)"
            )
        if account.oidc_subject is None:
            account.oidc_subject = subject
        elif account.oidc_subject != subject:
            raise accounts.AccountError(
                "OidcSubject", "login: 该账户已绑定其他身份 (bound to another identity)"
            )
        account.last_login_at = now
        return accounts.open_session(s, account, now, replaces=replaces, client=client)


def logout(svc: Services, *, token: str | None, now: datetime) -> None:
    with svc.db.transaction() as s:
        accounts.close_session(s, token, now)


TOUCH_EVERY = timedelta(minutes=1)


def _touch_statement() -> Any:
    from sqlalchemy import bindparam, update

    ws = accounts.WebSession
    seen = ws.last_seen_at
    return (
        update(ws)
        .where(ws.token_hash == bindparam("h"), seen < bindparam("before", type_=seen.type))
        .values(last_seen_at=bindparam("seen", type_=seen.type))
        .execution_options(synchronize_session=False)
    )


_TOUCH = _touch_statement()  # built once: every signed-in request may come here


def touch(svc: Services, *, token: str, now: datetime) -> None:
    """Keep a session's idle clock: `last_seen_at` moves when it is over a minute old, in one
    conditional UPDATE (no read first: every signed-in request may come here), on PostgreSQL
    in autocommit (the statement is the whole unit of work: one round trip)."""
    params = {"h": accounts.digest(token), "before": now - TOUCH_EVERY, "seen": now}
    if svc.autocommit is not None:
        with svc.autocommit.connect() as conn:
            conn.execute(_TOUCH, params)
        return
    with svc.db.transaction() as s:
        s.execute(_TOUCH, params)


def create_api_token(
    svc: Services,
    who: Principal,
    *,
    name: str,
    scopes: Sequence[str],
    days: int,
    now: datetime,
) -> str:
    if who.via != "session":
        raise Forbidden(
            "TokenFromSession", "tokens: 只能在登录后的页面创建 (sign in to create one)"
        )
    with svc.db.transaction() as s:
        account = s.get(accounts.Account, who.account_id)
        assert account is not None
        return accounts.create_api_token(
            s, account, name=name, scopes=list(scopes), lifetime=timedelta(days=days), now=now
        )


def count_public_attempt(svc: Services, *, client: str, now: datetime, limit: int,
                         window: timedelta) -> bool:  # fmt: skip
    with svc.db.transaction() as s:
        return accounts.public_rate_ok(s, client, now, limit=limit, window=window)


# ---------------------------------------------------------------------------------------------
# Applications (enterprise)


def create_application(
    svc: Services,
    who: Principal,
    *,
    edition_id: str,
    name: str,
    province: str | None,
    category: str | None,
    email: str | None,
    now: datetime,
) -> int:
    actor = _writer(who, "enterprise")
    assert actor.scope is not None
    return handlers.create_application(
        svc.db, actor, edition_id, uscc=actor.scope, name=name, province=province,
        category=category, email=email, now=now,
    )  # fmt: skip


def save_form(
    svc: Services, who: Principal, app_id: int, form: Mapping[str, Any], *, now: datetime
) -> int:
    return handlers.save_form(svc.db, _writer(who), app_id, form, now=now)


def submit(svc: Services, who: Principal, app_id: int, *, now: datetime) -> Result:
    """`handlers.submit`, batched with the submissions arriving together (web.batch)."""
    return svc.submissions.submit(_writer(who), app_id, now=now)


def withdraw(svc: Services, who: Principal, app_id: int, *, now: datetime) -> Result:
    return handlers.withdraw(svc.db, _writer(who), app_id, now=now)


def submit_report(
    svc: Services,
    who: Principal,
    app_id: int,
    report_year: int,
    data: Mapping[str, Any],
    *,
    now: datetime,
) -> Any:
    return handlers.submit_report(svc.db, _writer(who), app_id, report_year, data, now=now)


# ---------------------------------------------------------------------------------------------
# Provincial and group review

REVIEW_DECISIONS = tuple(handlers.DECISIONS)


def review(
    svc: Services,
    who: Principal,
    app_id: int,
    decision: str,
    *,
    reason: str | None,
    now: datetime,
) -> Result:
    return handlers.review(
        svc.db, _writer(who), app_id, decision, now=now, reason=(reason or "").strip() or None
    )


# ---------------------------------------------------------------------------------------------
# Ministry


def _campaign(svc: Services, campaign_id: int) -> tuple[str, int]:
    """The edition and year of a campaign id (the handlers name campaigns by edition + year)."""
    from store.models import Campaign

    with svc.db.sessions() as s:
        row = s.get(Campaign, campaign_id)
        if row is None:
            raise NotFound(f"campaign: no campaign with id {campaign_id}")
        return row.edition_id, row.year


def open_campaign(svc: Services, who: Principal, edition_id: str, *, now: datetime) -> int:
    return handlers.open_campaign(svc.db, _writer(who), edition_id, now=now).id


def define_sheet(
    svc: Services, who: Principal, campaign_id: int, data: Mapping[str, Any], *, now: datetime
) -> None:
    edition, year = _campaign(svc, campaign_id)
    handlers.define_sheet(svc.db, _writer(who), edition, data, now=now, year=year)


def open_scoring(svc: Services, who: Principal, campaign_id: int, *, now: datetime) -> list[Result]:
    edition, year = _campaign(svc, campaign_id)
    results = handlers.open_scoring(svc.db, _writer(who), edition, now=now, year=year)
    refused = [r for r in results if not r.accepted]
    if refused and not any(r.accepted for r in results):
        raise refused[0].refusal()
    return results


def assign_expert(
    svc: Services,
    who: Principal,
    app_id: int,
    *,
    expert_id: str,
    org_uscc: str | None,
    province: str | None,
    now: datetime,
) -> int:
    return handlers.assign_expert(
        svc.db, _writer(who), app_id, expert_id, now=now, org_uscc=org_uscc or None,
        province=province or None,
    )  # fmt: skip


def submit_score(
    svc: Services, who: Principal, app_id: int, scores: Mapping[str, object], *, now: datetime
) -> Decimal:
    actor = _writer(who, "expert")
    return handlers.submit_score(svc.db, actor, app_id, scores, now=now, expert_id=actor.scope)


def declare_conflict(
    svc: Services, who: Principal, app_id: int, *, has_conflict: bool, note: str, now: datetime
) -> int:
    """An assigned expert's declaration of interest, kept and written to the audit trail."""
    from sqlalchemy import select

    from store import audit
    from store.models import Application
    from store.review_models import ExpertAssignment

    actor = _writer(who, "expert")
    from programs.text import clean

    note = clean(note or "", field="note", max_len=1000, kind="multiline")
    with svc.db.transaction() as s:
        app = s.get(Application, app_id, with_for_update={"of": Application})
        assigned = s.scalar(
            select(ExpertAssignment.id).where(
                ExpertAssignment.application_id == app_id,
                ExpertAssignment.expert_id == actor.scope,
                ExpertAssignment.replaced_at.is_(None),
            )
        )
        if app is None or assigned is None:
            raise LookupError(f"APP: no application {app_id} assigned to {actor}")
        row = accounts.ConflictDeclaration(
            application_id=app_id,
            expert_id=str(actor.scope),
            has_conflict=has_conflict,
            note=note,
            declared_at=now,
            declared_by=str(actor),
        )
        s.add(row)
        s.flush()
        audit.append(
            s,
            app,
            trigger="expert:declare",
            from_state=app.status,
            to_state=app.status,
            accepted=True,
            actor_role=actor.role.value,
            actor_scope=actor.scope,
            reason=note or None,
            rule="Review",
            message=(
                f"accepted: expert {actor.scope} declared "
                f"{'a conflict of interest' if has_conflict else 'no conflict of interest'} "
                f"on application {app_id}"
            ),
            at=now,
            details={"declaration": row.id, "has_conflict": has_conflict},
        )
        return row.id


def shortlist(
    svc: Services,
    who: Principal,
    campaign_id: int,
    *,
    top_k: int | None,
    min_score: str | None,
    now: datetime,
) -> Any:
    edition, year = _campaign(svc, campaign_id)
    return handlers.shortlist(
        svc.db, _writer(who), edition, now=now, top_k=top_k, min_score=min_score, year=year
    )


def resolve_tie(
    svc: Services,
    who: Principal,
    campaign_id: int,
    category: str,
    chosen: Sequence[int],
    *,
    now: datetime,
) -> list[Result]:
    edition, year = _campaign(svc, campaign_id)
    return handlers.resolve_tie(svc.db, _writer(who), edition, category, chosen, now=now, year=year)


def publish_notice(svc: Services, who: Principal, campaign_id: int, *, now: datetime) -> Any:
    edition, year = _campaign(svc, campaign_id)
    return handlers.publish_notice(svc.db, _writer(who), edition, now=now, year=year)


def resolve_objection(
    svc: Services,
    who: Principal,
    objection_id: int,
    outcome: str,
    *,
    reason: str,
    now: datetime,
) -> None:
    handlers.resolve_objection(svc.db, _writer(who), objection_id, outcome, reason=reason, now=now)


def close_notice(svc: Services, who: Principal, campaign_id: int, *, now: datetime) -> Any:
    return handlers.close_notice_of(svc.db, _writer(who), campaign_id, now=now)


# ---------------------------------------------------------------------------------------------
# The public


def file_objection(svc: Services, app_id: int, *, contact: str, reason: str, now: datetime) -> int:
    """An objection from a member of the public (no account; the contact is recorded)."""
    return handlers.file_objection(
        svc.db, public_actor(), app_id, contact=contact, reason=reason, now=now
    )


__all__ = [
    "Forbidden",
    "Refusal",
    "Services",
    "activate",
    "assign_expert",
    "close_notice",
    "count_public_attempt",
    "create_api_token",
    "create_application",
    "declare_conflict",
    "define_sheet",
    "disable_account",
    "file_objection",
    "invite",
    "login",
    "logout",
    "open_campaign",
    "open_scoring",
    "publish_notice",
    "register_enterprise",
    "resolve_objection",
    "resolve_tie",
    "review",
    "save_form",
    "shortlist",
    "sign_in_external",
    "submit",
    "submit_report",
    "submit_score",
    "touch",
    "withdraw",
]
