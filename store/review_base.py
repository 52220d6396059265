"""The common ground of the review stages: one unit of work per use case (a refusal audited after
the rollback, a conflict audited per move), accepted events that move no state, lookups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, defer

from deadlines import (
    Calendar,
    NoticePeriod,
    default_calendar,
    format_instant,
    require_aware,
    to_shanghai,
)
from programs.editions import Edition
from states import notice as notice_rules
from states import scoring
from states.actors import Actor
from states.rules import ApplicationFacts, Refusal
from store import audit
from store.models import Application, AuditRecord, Campaign
from store.review_models import (
    Notice,
)
from store.service import Lifecycle
from store.transitions import (
    Conflict,
    NotFound,
    Request,
    Result,
    locked_rows,
    update_versions,
)

ACCEPTED = "Review"  # the rule name on accepted events that move no state
# campaign-wide reads of application rows: the form is loaded only if something reads it
WITHOUT_FORM = (defer(Application.form), defer(Application.form_check))


class _Refused(Exception):
    """A refused event: audited in its own transaction after the rollback, then raised."""

    def __init__(
        self,
        app_id: int,
        trigger: str,
        actor: Actor,
        rule: str,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(rule, message)
        self.app_id = app_id
        self.trigger = trigger
        self.actor = actor
        self.rule = rule
        self.message = message
        self.reason = reason
        self.details = details or {}


@dataclass(frozen=True)
class _On:
    """The application, event and actor (and reason) a refusal is recorded against."""

    app_id: int
    trigger: str
    actor: Actor
    reason: str | None = None

    def refuse(self, rule: str, message: str, details: dict[str, Any] | None = None) -> _Refused:
        return _Refused(self.app_id, self.trigger, self.actor, rule, message, self.reason, details)


MOVE_PART = 2000


class _Tx:
    """One unit of work: a session and the lifecycle moves made in it."""

    def __init__(self, session: Session, review: ReviewBase, now: datetime) -> None:
        self.session = session
        self.review = review
        self.now = now
        self.requests: list[Request] = []

    def move(self, requests: Sequence[Request]) -> list[Result]:
        """Fire triggers through the transition engine in this transaction."""
        if not requests:
            return []
        self.requests.extend(requests)
        self.session.flush()
        engine = self.review.lifecycle.engine()
        # a whole campaign's move (scoring opened, the shortlist) goes in parts of one
        # transaction: each part reads what the one before wrote, and what a part holds (rows,
        # records, mails) is let go before the next, so time and memory grow with N, not faster
        results: list[Result] = []
        for i in range(0, len(requests), MOVE_PART):
            results.extend(engine.run(self.session, requests[i : i + MOVE_PART], self.now))
        return results


def _details_notice(notice: Notice | NoticePeriod, published_at: datetime) -> dict[str, Any]:
    if isinstance(notice, Notice):
        first, last, ends_at = notice.first_day, notice.last_day, notice.ends_at
        days, version, label = notice.working_days, notice.calendar_version, notice.label
    else:
        first, last, ends_at = notice.first, notice.last, notice.ends_at
        days, version, label = notice.working_days, notice.calendar_version, notice.label()
    return {
        "first": first.isoformat(),
        "last": last.isoformat(),
        "label": label,
        "ends_at": to_shanghai(ends_at).isoformat(),
        "ends_label": notice_rules.last_second_label(ends_at),
        "working_days": days,
        "published_at": format_instant(published_at),
        "calendar_version": version,
    }


def title_name(edition: Edition) -> str:
    """The name of the title an edition confers (e.g. 信息技术外包和制造业融合发展重点企业)."""
    return edition.title_name or edition.title


def _term_label(first: int, last: int | None) -> str:
    return f"{first}–{last}" if last is not None else f"{first}起（未规定期限）"


def _require_role(actor: Actor, act_name: str) -> None:
    """The roles of the act's row in the table of every act (states.acts), nothing written here."""
    from states.acts import act

    message = act(act_name).refusal(actor)
    if message is not None:
        raise Refusal("EnforceActorRole", message)


def application_facts(app: Application | Chain, edition_id: str) -> ApplicationFacts:
    """What a rule may know about an application row."""
    return ApplicationFacts(
        id=app.id,
        edition_id=edition_id,
        org_uscc=app.uscc,
        province=app.province,
        group=app.group_name,
        category=app.category,
        consortium=app.consortium,
        state=app.status,
    )


class ReviewBase:
    """The lifecycle service, the calendar, and one unit of work per use case."""

    def __init__(self, lifecycle: Lifecycle, calendar: Calendar | None = None) -> None:
        self.lifecycle = lifecycle
        self.db = lifecycle.db
        self._calendar = calendar

    @property
    def calendar(self) -> Calendar:
        return self._calendar or default_calendar()

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def _tx(self, now: datetime) -> Iterator[_Tx]:
        """A transaction; a refusal is audited after the rollback, a conflict audited per move."""
        require_aware(now, "--now")
        tx: _Tx | None = None
        try:
            with self.db.transaction() as s:
                tx = _Tx(s, self, now)
                yield tx
        except _Refused as refused:
            self._record_refusal(refused, now)
            refusal = Refusal(refused.rule, refused.message)
            refusal.audited = True
            raise refusal from None
        except Conflict:
            self.lifecycle.audit_conflicts(tx.requests if tx is not None else (), now)
            raise

    def _record_refusal(self, refused: _Refused, now: datetime) -> None:
        self.lifecycle.audit_refusal(
            refused.app_id,
            refused.trigger,
            refused.actor,
            now,
            refused.rule,
            refused.message,
            reason=refused.reason,
            details=refused.details,
        )

    def _event(
        self,
        s: Session,
        app: Application,
        trigger: str,
        actor: Actor,
        now: datetime,
        message: str,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Audit an accepted event that moves no state, in the caller's transaction."""
        audit.append(
            s,
            app,
            trigger=trigger,
            from_state=app.status,
            to_state=app.status,
            accepted=True,
            actor_role=actor.role.value,
            actor_scope=actor.scope,
            reason=reason,
            rule=ACCEPTED,
            message=message,
            at=now,
            details=details or {},
        )

    @staticmethod
    def _app(s: Session, app_id: int, *, lock: bool = False) -> Application:
        app = s.get(Application, app_id, with_for_update={"of": Application} if lock else None)
        if app is None:
            raise NotFound(f"APP: no application with id {app_id}")
        return app

    @staticmethod
    def _campaign(s: Session, campaign_id: int) -> Campaign:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound(f"campaign: no campaign with id {campaign_id}")
        return campaign

    def campaign_id(self, edition_id: str, year: int | None = None) -> int:
        """The campaign of an edition (the latest year unless `year` is given)."""
        with self.db.sessions() as s:
            return self.lifecycle.campaign_for(s, edition_id, year).id


def _dec(value: object) -> Decimal | None:
    """A score cut-off as stored: Decimal to 0.01 (ScoringError naming min_score otherwise)."""
    if value is None:
        return None
    return scoring.to_decimal(value, "min_score").quantize(scoring.CENT)


# -- batches of events that move no state ---------------------------------------------------------


@dataclass(frozen=True)
class EventResult:
    """One item of a batch of events: accepted (with what it made) or refused (audited)."""

    application_id: int
    accepted: bool
    rule: str
    message: str
    audit_seq: int
    value: Any = None  # the assignment id, the expert's total, the ReportSubmitted


@dataclass
class Chain:
    """An application row read (locked) for a batch: the facts its rules see, and its audit chain
    as the batch extends it."""

    id: int
    campaign_id: int
    uscc: str
    province: str | None
    group_name: str | None
    category: str
    consortium: bool
    status: str
    audit_count: int
    audit_head: str
    version: int
    read_version: int
    records: list[dict[str, Any]] = field(default_factory=list)


class EventBatch:
    """The chains of many applications in one unit of work: each record hash-chained after the
    previous one of its application (also within the batch), written with Core statements, one
    version-checked update per application, the heads noted for the anchor at commit."""

    def __init__(self, s: Session, app_ids: Sequence[int]) -> None:
        self.session = s
        self.chains: dict[int, Chain] = {}
        self.recorded_at = datetime.now(UTC)
        t = Application.__table__
        cols = [t.c[n] for n in Chain.__dataclass_fields__ if n in t.c]
        for row in locked_rows(s, cols, sorted(set(app_ids))):
            self.chains[row["id"]] = Chain(
                **{**row, "consortium": bool(row["consortium"])}, read_version=row["version"]
            )
        for a in app_ids:
            if a not in self.chains:
                raise NotFound(f"APP: no application with id {a}")

    def record(
        self,
        app_id: int,
        trigger: str,
        actor: Actor,
        now: datetime,
        *,
        accepted: bool,
        rule: str,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Append the next record of the application (accepted: no move; refused: to None)."""
        chain = self.chains[app_id]
        row = audit.new_row(
            application_id=app_id,
            seq=chain.audit_count + 1,
            prev_hash=chain.audit_head,
            trigger=trigger,
            from_state=chain.status,
            to_state=chain.status if accepted else None,
            accepted=accepted,
            actor_role=actor.role.value,
            actor_scope=actor.scope,
            reason=reason,
            rule=rule,
            message=message,
            at=now,
            details=details,
            recorded_at=self.recorded_at,
        )
        chain.audit_count, chain.audit_head = row["seq"], row["hash"]
        chain.version += 1  # as each record appended one by one bumps it
        chain.records.append(row)
        return int(row["seq"])

    def write(self) -> None:
        """The records and the new heads, in the caller's transaction (Conflict on a race)."""
        s = self.session
        changed = [c for c in self.chains.values() if c.records]
        if not changed:
            return
        params = [
            {
                "b_id": c.id,
                "b_read": c.read_version,
                "b_count": c.audit_count,
                "b_head": c.audit_head,
                "b_version": c.version,
            }
            for c in changed
        ]
        update_versions(s, params)
        s.execute(insert(AuditRecord.__table__), [r for c in changed for r in c.records])
        audit.note_heads(s, {c.id: (c.audit_count, c.audit_head) for c in changed})
        for c in changed:
            c.read_version = c.version
            c.records = []
