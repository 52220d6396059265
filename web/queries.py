"""What the pages read, always through the principal's scope: an object outside it is not found.

Read-only: nothing here writes (writes go through `web.acts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from deadlines import Window
from programs.editions import Edition, load_edition
from services import queries as service_queries
from services.queries import HistoryRow
from states.lifecycle import State
from store import accounts, audit
from store.db import Database
from store.models import Application, Campaign, OutboxMessage
from store.review_models import (
    AnnualReport,
    ExpertAssignment,
    ExpertScore,
    Notice,
    NoticeEntry,
    Objection,
    ScoringSheet,
    Title,
)
from store.transitions import QUOTA_STATES
from web.principal import Principal

NEVER_SUBMITTED = (State.DRAFT.value, State.LAPSED.value)


class NotVisible(LookupError):
    """Unknown, or outside the principal's scope: both look the same from outside (404)."""


@dataclass(frozen=True)
class QuotaLine:
    name: str
    limit: int
    used: int
    clause: str

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.limit)) if self.limit else 100


class ReviewRow(NamedTuple):
    """One line of a reviewer's queue: what the table shows, nothing more (a tuple: a queue of
    hundreds is made from the fetched rows without an `__init__` call each)."""

    id: int
    campaign_id: int
    name: str
    uscc: str
    category: str
    consortium: bool
    status: str
    eligibility: str | None


@dataclass
class CampaignSummary:
    campaign: Campaign
    edition: Edition
    by_state: Counter[str] = field(default_factory=Counter)
    by_province: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def window_of(campaign: Campaign) -> Window | None:
    if campaign.application_opens and campaign.application_closes:
        return Window(campaign.application_opens, campaign.application_closes)
    return None


def screening_of(campaign: Campaign) -> Window | None:
    if campaign.screening_opens and campaign.screening_closes:
        return Window(campaign.screening_opens, campaign.screening_closes)
    return None


def last_second(window: Window | None) -> datetime | None:
    """The last instant a window accepts (23:59:59 of its closing day)."""
    return window.ends_at - timedelta(seconds=1) if window else None


class Queries:
    def __init__(self, db: Database) -> None:
        self.db = db
        # One-statement reads on a Core connection. PostgreSQL: in autocommit, one round trip
        # (no BEGIN, no ROLLBACK: a single SELECT sees one snapshot anyway). SQLite: its read
        # transaction (BEGIN without the write lock).
        self.in_autocommit = db.dialect == "postgresql"
        self._reader = (
            db.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.in_autocommit
            else db.engine.execution_options(shenbao_readonly=True)
        )

    def read_one(self, stmt: Any, params: dict[str, Any] | None = None) -> Any:
        """The first row of one statement (None when there is none)."""
        with self._reader.connect() as conn:
            return conn.execute(stmt, params).first()

    # -- visibility ----------------------------------------------------------------------------
    @staticmethod
    def _scope_filter(who: Principal) -> Any:
        return role_filter(who.role).params(vis_scope=who.scope, vis_province=who.province)

    def application(self, who: Principal, app_id: int) -> Application:
        with self.db.sessions() as s:
            app = s.scalar(
                select(Application).where(Application.id == app_id, self._scope_filter(who))
            )
            if app is None:
                raise NotVisible(f"APP: no application with id {app_id}")
            return app

    def visible_id(self, who: Principal, app_id: int) -> int:
        """The id of an application in the principal's scope (NotVisible otherwise), reading
        nothing else: the check before an act, which loads what it needs itself."""
        stmt = _visible_stmt(who.role)
        params = {"vis_id": app_id, "vis_scope": who.scope, "vis_province": who.province}
        row = self.read_one(stmt, params)
        if row is None:
            raise NotVisible(f"APP: no application with id {app_id}")
        return int(row[0])

    def applications(
        self, who: Principal, *, states: tuple[str, ...] | None = None, text: str | None = None
    ) -> list[Application]:
        with self.db.sessions() as s:
            stmt = select(Application).where(self._scope_filter(who))
            if states:
                stmt = stmt.where(Application.status.in_(states))
            if text:
                like = f"%{text.strip()[:60]}%"
                cond = [Application.name.like(like), Application.uscc.like(like)]
                as_id = _search_id(text)
                if as_id is not None:
                    cond.append(Application.id == as_id)
                stmt = stmt.where(or_(*cond))
            return list(s.scalars(stmt.order_by(Application.id).limit(500)))

    def review_rows(
        self, who: Principal, campaign_ids: Sequence[int] | None = None
    ) -> list[ReviewRow]:
        """Every application in a reviewer's scope (of `campaign_ids` when given), each as the
        columns its queue shows (no form, no history): all of them, in id order; the page sorts
        them as asked. The eligibility is the stored column written with the form check (no
        JSON read per row). With the campaigns named, a province's rows are found through the
        index on (campaign, province, group, state) instead of a scan of every application."""
        stmt = (
            select(
                Application.id,
                Application.campaign_id,
                Application.name,
                Application.uscc,
                Application.category,
                Application.consortium,
                Application.status,
                Application.eligibility_status,
            )
            .where(self._scope_filter(who))
            .order_by(Application.id)
        )
        if campaign_ids is not None:
            stmt = stmt.where(Application.campaign_id.in_(campaign_ids))
        with self._reader.connect() as conn:
            # the driver's tuples as they come (no SQLAlchemy row object each: every column
            # is a plain int, str or None; 联合体 is made a bool here)
            raw = conn.execute(stmt).cursor.fetchall()
        return [ReviewRow(i, c, n, u, k, bool(j), st, el) for i, c, n, u, k, j, st, el in raw]

    # -- one application -----------------------------------------------------------------------
    def history(self, who: Principal, app_id: int) -> list[HistoryRow]:
        """Every act tried on an application in the principal's scope (services.queries)."""
        return service_queries.history(self.db, self.visible_id(who, app_id))

    def verification(self, who: Principal, app_id: int) -> tuple[bool, str]:
        """Recompute one application's chain: (intact, what was found)."""
        app = self.application(who, app_id)
        with self.db.sessions() as s:
            prev = audit.GENESIS
            records = audit.history(s, app_id)
            for i, rec in enumerate(records, start=1):
                if rec.seq != i:
                    return False, f"record {rec.id}: expected seq {i}, found {rec.seq}"
                if rec.prev_hash != prev or audit.record_hash(rec.prev_hash, rec) != rec.hash:
                    return (
                        False,
                        f"record {rec.id} (seq {rec.seq}): content does not match its hash",
                    )
                prev = rec.hash
            if len(records) != app.audit_count or (records and prev != app.audit_head):
                return False, (
                    f"application says {app.audit_count} records, the log has {len(records)}"
                )
            return True, f"{len(records)} records, head {prev[:12]}"

    def return_reasons(self, who: Principal, app_id: int) -> list[HistoryRow]:
        return reasons_in(self.history(who, app_id))

    def messages(self, who: Principal) -> list[OutboxMessage]:
        with self.db.sessions() as s:
            cond = [OutboxMessage.recipient == who.email]
            if who.role == "enterprise":
                mine = select(Application.id).where(Application.uscc == who.scope)
                cond.append(OutboxMessage.application_id.in_(mine))
            stmt = select(OutboxMessage).where(or_(*cond)).order_by(OutboxMessage.id.desc())
            return list(s.scalars(stmt.limit(200)))

    def message(self, who: Principal, message_id: int) -> OutboxMessage:
        for m in self.messages(who):
            if m.id == message_id:
                return m
        raise NotVisible(f"message: no message with id {message_id}")

    def reports(self, who: Principal) -> list[tuple[AnnualReport, Title, Application]]:
        with self.db.sessions() as s:
            stmt = (
                select(AnnualReport, Title, Application)
                .join(Title, AnnualReport.title_id == Title.id)
                .join(Application, Title.application_id == Application.id)
                .where(self._scope_filter(who))
                .order_by(AnnualReport.due_date, Application.id)
            )
            return [tuple(r) for r in s.execute(stmt).all()]  # type: ignore[misc]

    # -- campaigns -----------------------------------------------------------------------------
    def campaigns(self) -> list[CampaignSummary]:
        with self.db.sessions() as s:
            out: list[CampaignSummary] = []
            for c in s.scalars(select(Campaign).order_by(Campaign.id)):
                summary = CampaignSummary(c, load_edition(c.edition_id))
                rows = s.execute(
                    select(Application.status, Application.province, Application.group_name).where(
                        Application.campaign_id == c.id
                    )
                )
                for status, province, group in rows:
                    summary.by_state[status] += 1
                    key = province or (f"集团:{group}" if group else "-")
                    summary.by_province.setdefault(key, Counter())[status] += 1
                out.append(summary)
            return out

    def campaign(self, campaign_id: int) -> CampaignSummary:
        for c in self.campaigns():
            if c.campaign.id == campaign_id:
                return c
        raise NotVisible(f"campaign: no campaign with id {campaign_id}")

    def campaign_list(self) -> list[Campaign]:
        """Every campaign, without counting its applications."""
        with self.db.sessions() as s:
            return list(s.scalars(select(Campaign).order_by(Campaign.id)))

    def open_campaigns(self, now: datetime) -> list[Campaign]:
        """Campaigns whose application window has not closed (enterprises may start one)."""
        with self.db.sessions() as s:
            out = []
            for c in s.scalars(select(Campaign).order_by(Campaign.id)):
                w = window_of(c)
                if w is None or now < w.ends_at:
                    out.append(c)
            return out

    def quota(
        self, who: Principal, campaign: Campaign, rows: list[ReviewRow] | None = None
    ) -> list[QuotaLine]:
        """Used and left of every limit on the principal's recommendations in one campaign.

        `rows`: the reviewer's `review_rows`, already read (the queue page); the recommendations
        held are counted from them instead of read again. Their scope (the province's own, or
        the group's, submitted) holds every application a limit of this reviewer counts."""
        edition = load_edition(campaign.edition_id)
        province = who.province if who.role == "province" else None
        group = who.scope if who.role == "group" else None
        if province is None and group is None:
            return []
        limits: dict[str, Any] = {}
        for category in edition.category_ids:
            for consortium in (False, True) if edition.consortium_allowed else (False,):
                try:
                    found = edition.quota_limits(
                        province=province, group=group, category=category, consortium=consortium
                    )
                except ValueError:
                    continue
                for limit in found:
                    key = f"{limit.name}:{category if limit.per_category else '*'}"
                    limits.setdefault(key, (limit, category))
        if not limits:
            return []
        held: list[tuple[str, bool]]
        if rows is not None:
            held = [
                (r.category, bool(r.consortium))
                for r in rows
                if r.campaign_id == campaign.id and r.status in QUOTA_STATES
            ]
        else:
            stmt = select(Application.category, Application.consortium).where(
                Application.campaign_id == campaign.id,
                Application.status.in_(QUOTA_STATES),
            )
            if group:
                stmt = stmt.where(Application.group_name == group)
            else:
                stmt = stmt.where(
                    Application.province == province, Application.group_name.is_(None)
                )
            with self._reader.connect() as conn:
                held = [(cat, bool(cons)) for cat, cons in conn.execute(stmt).all()]
        lines = []
        for limit, category in limits.values():
            used = sum(
                1
                for cat, cons in held
                if (not limit.per_category or cat == category)
                and (not limit.consortium_only or cons)
            )
            name = limit.label or limit.name
            if limit.per_category:
                name = f"{name} · {edition.category(category).name_zh}"
            lines.append(QuotaLine(name, limit.limit, used, limit.clause))
        return lines

    # -- scoring -------------------------------------------------------------------------------
    def sheet(self, campaign_id: int) -> ScoringSheet | None:
        with self.db.sessions() as s:
            return s.scalar(select(ScoringSheet).where(ScoringSheet.campaign_id == campaign_id))

    def assignments(self, app_id: int) -> list[tuple[ExpertAssignment, ExpertScore | None]]:
        with self.db.sessions() as s:
            stmt = (
                select(ExpertAssignment, ExpertScore)
                .outerjoin(ExpertScore, ExpertScore.assignment_id == ExpertAssignment.id)
                .where(ExpertAssignment.application_id == app_id)
                .order_by(ExpertAssignment.id)
            )
            return [tuple(r) for r in s.execute(stmt).all()]  # type: ignore[misc]

    def expert_work(self, who: Principal) -> list[tuple[Application, ExpertAssignment, bool]]:
        """An expert's active assignments, each with whether the expert has scored it."""
        with self.db.sessions() as s:
            stmt = (
                select(Application, ExpertAssignment)
                .join(ExpertAssignment, ExpertAssignment.application_id == Application.id)
                .where(
                    ExpertAssignment.expert_id == who.scope,
                    ExpertAssignment.replaced_at.is_(None),
                )
                .order_by(Application.id)
            )
            out = []
            for app, a in s.execute(stmt).all():
                scored = s.scalar(select(ExpertScore.id).where(ExpertScore.assignment_id == a.id))
                out.append((app, a, scored is not None))
            return out

    def declaration(self, who: Principal, app_id: int) -> accounts.ConflictDeclaration | None:
        with self.db.sessions() as s:
            return s.scalar(
                select(accounts.ConflictDeclaration)
                .where(
                    accounts.ConflictDeclaration.application_id == app_id,
                    accounts.ConflictDeclaration.expert_id == who.scope,
                )
                .order_by(accounts.ConflictDeclaration.id.desc())
                .limit(1)
            )

    def rank(self, campaign_id: int) -> Any:
        """The ranking per category (complete applications by score, then the incomplete)."""
        from store.review import Review
        from store.service import Lifecycle

        return Review(Lifecycle(self.db)).rank(campaign_id)

    def declarations(self, app_id: int) -> dict[str, bool]:
        """Each expert's latest declaration on an application: True when a conflict was declared."""
        with self.db.sessions() as s:
            rows = s.scalars(
                select(accounts.ConflictDeclaration)
                .where(accounts.ConflictDeclaration.application_id == app_id)
                .order_by(accounts.ConflictDeclaration.id)
            )
            return {r.expert_id: r.has_conflict for r in rows}

    # -- 公示 ------------------------------------------------------------------------------------
    def notices(self, campaign_id: int | None = None) -> list[tuple[Notice, list[NoticeEntry]]]:
        with self.db.sessions() as s:
            stmt = select(Notice).order_by(Notice.id.desc())
            if campaign_id is not None:
                stmt = stmt.where(Notice.campaign_id == campaign_id)
            out = []
            for n in s.scalars(stmt):
                entries = list(
                    s.scalars(
                        select(NoticeEntry)
                        .where(NoticeEntry.notice_id == n.id)
                        .order_by(NoticeEntry.position)
                    )
                )
                out.append((n, entries))
            return out

    def running_notices(self, now: datetime) -> list[tuple[Notice, list[NoticeEntry], Campaign]]:
        """Notices whose period runs at `now` (the public sees only these)."""
        from deadlines import day_start

        out = []
        with self.db.sessions() as s:
            campaigns = {c.id: c for c in s.scalars(select(Campaign))}
        for n, entries in self.notices():
            if day_start(n.first_day) <= now < n.ends_at:
                out.append((n, entries, campaigns[n.campaign_id]))
        return out

    def public_entry(self, now: datetime, app_id: int) -> tuple[Notice, NoticeEntry] | None:
        for n, entries, _c in self.running_notices(now):
            for e in entries:
                if e.application_id == app_id:
                    return n, e
        return None

    def objections(self, campaign_id: int) -> list[tuple[Objection, Application]]:
        with self.db.sessions() as s:
            stmt = (
                select(Objection, Application)
                .join(Application, Objection.application_id == Application.id)
                .where(Application.campaign_id == campaign_id)
                .order_by(Objection.id)
            )
            return [tuple(r) for r in s.execute(stmt).all()]  # type: ignore[misc]

    # -- titles, reports, checkpoints ----------------------------------------------------------
    def titles(self, campaign_id: int) -> list[tuple[Title, Application]]:
        with self.db.sessions() as s:
            stmt = (
                select(Title, Application)
                .join(Application, Title.application_id == Application.id)
                .where(Application.campaign_id == campaign_id)
                .order_by(Application.id)
            )
            return [tuple(r) for r in s.execute(stmt).all()]  # type: ignore[misc]

    def overdue_reports(
        self, campaign_id: int, now: datetime
    ) -> list[tuple[AnnualReport, Application]]:
        from deadlines import local_date

        today = local_date(now)
        with self.db.sessions() as s:
            stmt = (
                select(AnnualReport, Application)
                .join(Title, AnnualReport.title_id == Title.id)
                .join(Application, Title.application_id == Application.id)
                .where(
                    Application.campaign_id == campaign_id,
                    AnnualReport.submitted_at.is_(None),
                    AnnualReport.due_date < today,
                )
                .order_by(AnnualReport.due_date)
            )
            return [tuple(r) for r in s.execute(stmt).all()]  # type: ignore[misc]

    def latest_checkpoint(self) -> Any:
        """The newest entry of the audit anchor log (it commits to every chain's head)."""
        from store.models import AuditAnchor

        with self.db.sessions() as s:
            return s.scalar(select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(1))

    # -- accounts ------------------------------------------------------------------------------
    def accounts(self) -> list[accounts.Account]:
        with self.db.sessions() as s:
            return accounts.list_accounts(s)

    def session_of(self, token: str | None, now: datetime) -> accounts.LiveSession | None:
        """The live session of a cookie value and its active account (`accounts.live_session`),
        in one statement on a Core connection."""
        if not token:
            return None
        with self._reader.connect() as conn:
            return accounts.live_session(conn, token, now)

    def token_of(
        self, token: str | None, now: datetime
    ) -> tuple[accounts.ApiToken, accounts.Account] | None:
        with self.db.sessions() as s:
            return accounts.token_for(s, token, now)

    def peek_link(self, token: str, now: datetime) -> accounts.Account:
        with self.db.sessions() as s:
            return accounts.peek_one_time(s, token, now)[1]


@lru_cache(maxsize=16)
def role_filter(role: str) -> Any:
    """What a principal of `role` may see, its scope and province left as bind parameters
    (`vis_scope`, `vis_province`): built once per role, so a statement over it is compiled once."""
    scope, province = bindparam("vis_scope"), bindparam("vis_province")
    if role == "enterprise":
        return Application.uscc == scope
    # a draft (and a draft locked unsubmitted) is the applicant's own until it is submitted
    submitted = Application.status.not_in(NEVER_SUBMITTED)
    if role == "province":
        return (Application.province == province) & Application.group_name.is_(None) & submitted
    if role == "group":
        return (Application.group_name == scope) & submitted
    if role == "expert":
        sub = select(ExpertAssignment.application_id).where(ExpertAssignment.expert_id == scope)
        return Application.id.in_(sub)
    if role in ("ministry", "auditor"):
        return Application.id.is_not(None)
    return Application.id.is_(None)


@lru_cache(maxsize=16)
def _visible_stmt(role: str) -> Any:
    return select(Application.id).where(Application.id == bindparam("vis_id"), role_filter(role))


def session_scope(s: Session) -> Session:  # pragma: no cover - typing helper
    return s


def reasons_in(history: list[HistoryRow]) -> list[HistoryRow]:
    """The reasons given for returning or rejecting, out of an application's history."""
    return [
        r
        for r in history
        if r.accepted and r.trigger in ("return_for_revision", "reject") and r.reason
    ]


STATE_ORDER = [st.value for st in State]


def _search_id(text: str) -> int | None:
    """The search text as an application id, if it is one (ASCII digits within the column)."""
    from shenbao.args import record_id

    try:
        return record_id(text, "q")
    except ValueError:
        return None
