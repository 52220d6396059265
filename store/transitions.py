"""Firing triggers in batches: one transaction, policy per application, Core statements.

Every request is decided by the pure policy on a snapshot; accepted ones move through the shared
machine; each one, accepted or refused, gets its audit record; accepted ones get their outbox rows.
Quota counts are taken under a lock held to the end of the transaction (PostgreSQL advisory locks;
SQLite's BEGIN IMMEDIATE already serialises writers), then kept in memory for the batch. Updates
carry the version read, so a concurrent change is a `Conflict`, never a silent overwrite.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import RowMapping, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from deadlines import Window
from programs.editions import Edition, QuotaLimit, load_edition
from states.actors import DEPARTMENTS, Actor
from states.lifecycle import State, held_from
from states.machine import fire
from states.policy import evaluate
from states.rules import (
    ApplicationFacts,
    NoticeFacts,
    Outcome,
    QuotaUsage,
    RecertFacts,
    Refusal,
    ScoringFacts,
    TransitionFacts,
    awaits_other_department,
    edition_clauses,
)
from store import audit, formcheck
from store.events import outbox_rows_for
from store.models import Application, AuditRecord, Campaign
from store.outbox import enqueue_rows

# States that hold a recommendation slot (withdrawn / not recommended free it), from the table.
QUOTA_STATES = tuple(s.value for s in held_from(State.RECOMMENDED))
# ids per IN list: well under SQLite's 32,766 bound variables, one round trip for a usual batch
CHUNK = 5000
# where the shared machine took (state, trigger): the table has no conditions, so one firing per
# pair decides every later one; a refusal is cached as the Refusal it raised
_MOVES: dict[tuple[str, str], str | Refusal] = {}


class _Holder:
    __slots__ = ("status",)

    def __init__(self, status: str) -> None:
        self.status = status


def _move(state: str, trigger: str) -> str:
    """The state the shared machine moves `state` to along `trigger` (raises its `Refusal`)."""
    key = (state, trigger)
    dest = _MOVES.get(key)
    if dest is None:
        try:
            dest = State(fire(_Holder(state), trigger)).value
        except Refusal as refusal:
            dest = refusal
        _MOVES[key] = dest
    if isinstance(dest, Refusal):
        raise Refusal(dest.rule, dest.message)
    return dest


def next_due(state: str, application_window: Window | None) -> datetime | None:
    """The instant a sweep next acts on an application in `state`, or None when none does.

    A draft lapses once the application window has closed (`Sweeper.lapse_drafts`); every other
    state is moved by a person or a campaign-wide step (notice close, report round), not by a
    per-application deadline. Every writer of `application.status` stores this beside it.
    """
    if state == State.DRAFT.value and application_window is not None:
        return application_window.ends_at
    return None


class NotFound(LookupError):
    """An unknown application, campaign or edition."""


class Conflict(RuntimeError):
    """Another transaction changed the application first; nothing was changed by this one."""


@dataclass(frozen=True)
class Request:
    app_id: int
    trigger: str
    actor: Actor
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    # the typed facts of the stage, when the trigger needs them
    scoring: ScoringFacts | None = None
    notice: NoticeFacts | None = None
    recert: RecertFacts | None = None
    # decided before the batch (the act's role table): recorded as this refusal, nothing else
    refused: Refusal | None = None


@dataclass(frozen=True)
class Result:
    application_id: int
    trigger: str
    from_state: str
    to_state: str | None
    accepted: bool
    rule: str
    message: str
    audit_seq: int

    def refusal(self) -> Refusal:
        return Refusal(self.rule, self.message)


@dataclass
class _Snapshot:
    """The mutable in-batch view of one application row."""

    id: int
    campaign_id: int
    uscc: str
    name: str
    province: str | None
    group_name: str | None
    category: str
    consortium: bool
    contact_email: str | None
    status: str
    form: dict[str, Any]
    form_version: int
    form_check: dict[str, Any]
    audit_count: int
    audit_head: str
    version: int
    read_version: int
    changed: bool = False
    next_due_at: datetime | None = None


class HasWindows(Protocol):
    """What `windows_of` reads: a Campaign, or the engine's `CampaignWindows`."""

    @property
    def application_opens(self) -> date | None: ...
    @property
    def application_closes(self) -> date | None: ...
    @property
    def screening_opens(self) -> date | None: ...
    @property
    def screening_closes(self) -> date | None: ...


@dataclass(frozen=True, slots=True)
class CampaignWindows:
    """The campaign columns a batch of transitions reads (no ORM object per batch)."""

    id: int
    edition_id: str
    application_opens: date | None
    application_closes: date | None
    screening_opens: date | None
    screening_closes: date | None


_CAMPAIGN_COLS = tuple(Campaign.__table__.c[f.name] for f in fields(CampaignWindows))
_CAMPAIGNS = select(*_CAMPAIGN_COLS).where(_CAMPAIGN_COLS[0].in_(bindparam("ids", expanding=True)))
# the columns of an application a batch reads besides form / form_check (the _Snapshot's)
_SNAPSHOT_COLS = (
    "id", "campaign_id", "uscc", "name", "province", "group_name", "category", "consortium",
    "contact_email", "status", "form_version", "audit_count", "audit_head", "version",
)  # fmt: skip


def windows_of(campaign: HasWindows) -> tuple[Window | None, Window | None]:
    app_w = (
        Window(campaign.application_opens, campaign.application_closes)
        if campaign.application_opens and campaign.application_closes
        else None
    )
    scr_w = (
        Window(campaign.screening_opens, campaign.screening_closes)
        if campaign.screening_opens and campaign.screening_closes
        else None
    )
    return app_w, scr_w


def _scope_key(snap: _Snapshot) -> tuple[str | None, str | None]:
    return (None, snap.group_name) if snap.group_name else (snap.province, None)


class TransitionEngine:
    """Decides and persists triggers; used by the CLI (batches of one) and by the sweeps."""

    def __init__(self, *, lock: Callable[[Session, str], None]) -> None:
        self.lock = lock
        self._keys: dict[tuple[str, str, str, int], str] = {}

    def _key(self, edition: Edition, category: str, form_version: int) -> str:
        """`formcheck.check_key`, computed once per (edition, form set, version)."""
        k = (edition.id, edition.version, category, form_version)
        key = self._keys.get(k)
        if key is None:
            key = self._keys[k] = formcheck.check_key(edition, category, form_version)
        return key

    def _check(self, edition: Edition, snap: _Snapshot) -> Mapping[str, Any]:
        """The stored form check while its key still matches (read only), else a fresh one."""
        if snap.form_check and snap.form_check.get("key") == self._key(
            edition, snap.category, snap.form_version
        ):
            return snap.form_check
        return formcheck.compute(edition, snap.category, snap.form, snap.form_version)

    def run(self, s: Session, requests: Sequence[Request], now: datetime) -> list[Result]:
        """Decide and write every request inside the caller's transaction."""
        checked = any(r.trigger in CHECKED_TRIGGERS for r in requests)
        snaps, campaigns, editions = self._load(s, sorted({r.app_id for r in requests}), checked)
        for r in requests:
            if r.app_id not in snaps:
                raise NotFound(f"APP: no application with id {r.app_id}")
        windows = {c.id: windows_of(c) for c in campaigns.values()}
        usage = self._quota_counts(
            s, [snaps[r.app_id] for r in requests if r.trigger == "recommend"]
        )
        opinions = self._opinions(
            s,
            [
                r.app_id
                for r in requests
                if r.trigger == "recommend"
                and len(editions[snaps[r.app_id].campaign_id].reviewing_departments) > 1
            ],
        )
        recorded_at = datetime.now(UTC)
        results: list[Result] = []
        audit_rows: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        for r in requests:
            snap = snaps[r.app_id]
            campaign = campaigns[snap.campaign_id]
            edition = editions[snap.campaign_id]
            app_w, scr_w = windows[campaign.id]
            info: dict[str, Any] = dict(r.details)
            quotas: tuple[QuotaUsage, ...] = ()
            limits: tuple[QuotaLimit, ...] = ()
            if r.trigger == "recommend":
                limits = edition.quota_limits(
                    province=snap.province,
                    group=snap.group_name,
                    category=snap.category,
                    consortium=snap.consortium,
                )
                quotas = tuple(_usage(usage, snap, limit) for limit in limits)
                info["quotas"] = [
                    {"name": q.name, "limit": q.limit, "used": q.used, "clause": q.clause}
                    for q in quotas
                ]
            form_errors: tuple[str, ...] = ()
            if r.trigger == "submit":
                form_errors = tuple(self._check(edition, snap)["errors"])
            if r.trigger in CHECKED_TRIGGERS[1:] and snap.form_version:
                info["eligibility"] = self._check(edition, snap)["eligibility"]
            facts = self._facts(
                r, snap, edition, now, app_w, scr_w, quotas, form_errors,
                tuple(sorted(opinions.get(snap.id, ()))),
            )  # fmt: skip
            if r.refused is not None:
                outcome = Outcome(False, r.refused.rule, r.refused.message)
            else:
                outcome = evaluate(facts)
            from_state = snap.status
            to_state: str | None = None
            trigger = r.trigger
            waiting = awaits_other_department(facts) if outcome.accepted else ()
            if waiting:  # one department's opinion: recorded, no move, no quota slot yet
                trigger = "opinion:recommend"
                to_state = from_state
                dept = r.actor.department or ""
                opinions.setdefault(snap.id, set()).add(dept)
                outcome = Outcome(
                    True,
                    "AwaitOtherDepartment",
                    f"推荐意见已记录: {DEPARTMENTS.get(dept, dept)} of {r.actor.region} "
                    f"recommended application {snap.id}; it takes effect once "
                    f"{'、'.join(DEPARTMENTS[d] for d in waiting)} recommends too",
                )
                info["opinions"] = sorted(opinions[snap.id])
            elif outcome.accepted:
                to_state = _move(snap.status, r.trigger)
                snap.status = to_state
                if limits:  # one recommendation holds one slot, whatever limits it counts in
                    usage[_usage_key(snap)] += 1
            if r.trigger == "recommend" and opinions.get(snap.id) and not waiting:
                info["opinions"] = sorted({*opinions[snap.id], r.actor.department or ""})
            row = audit.new_row(
                application_id=snap.id,
                seq=snap.audit_count + 1,
                prev_hash=snap.audit_head,
                trigger=trigger,
                from_state=from_state,
                to_state=to_state,
                accepted=outcome.accepted,
                actor_role=r.actor.role.value,
                actor_scope=r.actor.scope,
                reason=r.reason,
                rule=outcome.rule,
                message=outcome.message,
                at=now,
                details=info,
                recorded_at=recorded_at,
            )
            snap.audit_count = row["seq"]
            snap.audit_head = row["hash"]
            snap.version += 1
            snap.changed = True
            snap.next_due_at = next_due(snap.status, app_w)
            audit_rows.append(row)
            if outcome.accepted and not waiting:
                outbox.extend(outbox_rows_for(snap, edition, row, now, app_w))
            results.append(
                Result(
                    snap.id,
                    trigger,
                    from_state,
                    to_state,
                    outcome.accepted,
                    outcome.rule,
                    outcome.message,
                    row["seq"],
                )
            )
        self._write(s, [sn for sn in snaps.values() if sn.changed], audit_rows, outbox, now)
        return results

    # -- steps ---------------------------------------------------------------------------------
    def _load(
        self, s: Session, ids: list[int], checked: bool
    ) -> tuple[dict[int, _Snapshot], dict[int, CampaignWindows], dict[int, Edition]]:
        """The rows to move, their campaigns and editions (by campaign id); forms are read only
        where a fresh check or a contact needs them, stored form checks only when a request of
        the batch reads them (`checked`)."""
        snaps: dict[int, _Snapshot] = {}
        t = Application.__table__
        names = (*_SNAPSHOT_COLS, "form_check") if checked else _SNAPSHOT_COLS
        for row in locked_rows(s, [t.c[name] for name in names], ids):
            snaps[row["id"]] = _Snapshot(
                id=row["id"],
                campaign_id=row["campaign_id"],
                uscc=row["uscc"],
                name=row["name"],
                province=row["province"],
                group_name=row["group_name"],
                category=row["category"],
                consortium=bool(row["consortium"]),
                contact_email=row["contact_email"],
                status=row["status"],
                form={},
                form_version=row["form_version"],
                form_check=(row["form_check"] or {}) if checked else {},
                audit_count=row["audit_count"],
                audit_head=row["audit_head"],
                version=row["version"],
                read_version=row["version"],
            )
        cids = {sn.campaign_id for sn in snaps.values()}
        rows = s.connection().execute(_CAMPAIGNS, {"ids": sorted(cids)})
        campaigns = {row[0]: CampaignWindows(*row) for row in rows}
        editions = {c.id: load_edition(c.edition_id) for c in campaigns.values()}
        need = [
            sn.id
            for sn in snaps.values()
            if not sn.contact_email
            or (
                checked
                and sn.form_check.get("key")
                != self._key(editions[sn.campaign_id], sn.category, sn.form_version)
            )
        ]
        for i in range(0, len(need), CHUNK):
            stmt_f = select(t.c.id, t.c.form).where(t.c.id.in_(need[i : i + CHUNK]))
            for app_id, form in s.execute(stmt_f):
                snaps[app_id].form = form or {}
        return snaps, campaigns, editions

    def _quota_counts(self, s: Session, snaps: list[_Snapshot]) -> Counter[tuple[Any, ...]]:
        """Recommendations already held, per (campaign, province|group, category, consortium).

        Every scope's lock is taken first (in one order, so two batches never wait on each other
        crosswise), then one grouped count per campaign reads them all.
        """
        counts: Counter[tuple[Any, ...]] = Counter()
        scopes = sorted({(sn.campaign_id, *_scope_key(sn)) for sn in snaps}, key=lambda k: str(k))
        for campaign_id, province, group in scopes:
            scope = f"group:{group}" if group else f"province:{province}"
            self.lock(s, f"quota:{campaign_id}:{scope}")
        wanted = set(scopes)
        t = Application.__table__
        for campaign_id in sorted({c for c, _, _ in scopes}):
            # only the scopes asked for (ix_application_quota), not the whole campaign's count
            provinces = sorted({p for c, p, g in scopes if c == campaign_id and not g and p})
            groups = sorted({g for c, _, g in scopes if c == campaign_id and g})
            where_scope = []
            if provinces:
                where_scope.append(and_(t.c.group_name.is_(None), t.c.province.in_(provinces)))
            if groups:
                where_scope.append(t.c.group_name.in_(groups))
            if (campaign_id, None, None) in wanted:
                where_scope.append(and_(t.c.group_name.is_(None), t.c.province.is_(None)))
            stmt = (
                select(t.c.province, t.c.group_name, t.c.category, t.c.consortium, func.count())
                .where(
                    t.c.campaign_id == campaign_id,
                    t.c.status.in_(QUOTA_STATES),
                    or_(*where_scope),
                )
                .group_by(t.c.province, t.c.group_name, t.c.category, t.c.consortium)
            )
            for province, group, category, consortium, n in s.execute(stmt):
                key = (None, group) if group else (province, None)
                if (campaign_id, *key) in wanted:
                    counts[(campaign_id, *key, category, bool(consortium))] += n
        return counts

    def _opinions(self, s: Session, ids: list[int]) -> dict[int, set[str]]:
        """Departments that recommended each application since its last submission."""
        out: dict[int, set[str]] = {}
        t = AuditRecord.__table__
        for i in range(0, len(ids), CHUNK):
            stmt = (
                select(t.c.application_id, t.c.trigger, t.c.actor_scope)
                .where(
                    t.c.application_id.in_(ids[i : i + CHUNK]),
                    t.c.accepted.is_(True),
                    t.c.trigger.in_(("submit", "opinion:recommend")),
                )
                .order_by(t.c.application_id, t.c.seq)
            )
            for app_id, trigger, scope in s.execute(stmt):
                if trigger == "submit":
                    out[app_id] = set()
                else:
                    out.setdefault(app_id, set()).add((scope or "").partition("/")[2])
        return out

    def _facts(
        self,
        r: Request,
        snap: _Snapshot,
        edition: Edition,
        now: datetime,
        app_w: Window | None,
        scr_w: Window | None,
        quotas: tuple[QuotaUsage, ...],
        form_errors: tuple[str, ...],
        opinions: tuple[str, ...] = (),
    ) -> TransitionFacts:
        return TransitionFacts(
            trigger=r.trigger,
            actor=r.actor,
            now=now,
            application=ApplicationFacts(
                id=snap.id,
                edition_id=edition.id,
                org_uscc=snap.uscc,
                province=snap.province,
                group=snap.group_name,
                category=snap.category,
                consortium=snap.consortium,
                state=snap.status,
            ),
            application_window=app_w,
            screening_window=scr_w,
            reason=r.reason,
            quotas=quotas,
            form_errors=form_errors,
            scoring=r.scoring,
            notice=r.notice,
            recert=r.recert,
            clauses=edition_clauses(edition),
            departments=edition.reviewing_departments,
            opinions=opinions,
        )

    def _write(
        self,
        s: Session,
        changed: list[_Snapshot],
        audit_rows: list[dict[str, Any]],
        outbox: list[dict[str, Any]],
        now: datetime,
    ) -> None:
        if changed:
            params = [
                {
                    "b_id": sn.id,
                    "b_read": sn.read_version,
                    "b_status": sn.status,
                    "b_count": sn.audit_count,
                    "b_head": sn.audit_head,
                    "b_version": sn.version,
                    "b_now": now,
                    "b_due": sn.next_due_at,
                }
                for sn in changed
            ]
            update_versions(s, params, status="b_status", updated_at="b_now", next_due_at="b_due")
            for sn in changed:
                sn.read_version = sn.version
                sn.changed = False
        if audit_rows:
            s.execute(AuditRecord.__table__.insert(), audit_rows)
            audit.note_heads(s, {sn.id: (sn.audit_count, sn.audit_head) for sn in changed})
        enqueue_rows(s, outbox)  # a key already queued is skipped, not counted
        s.expire_all()


# the triggers that read an application's form check: submit its errors, the reviewers' acts
# the eligibility they decided on (kept in their record)
CHECKED_TRIGGERS = ("submit", "recommend", "reject", "return_for_revision")

CONCURRENT_CHANGE = (
    "冲突: an application was changed by another transaction at the same time; "
    "nothing was changed, reload and try again"
)


def locked_rows(s: Session, cols: Sequence[Any], ids: Sequence[int]) -> Iterator[RowMapping]:
    """The application rows of `ids` (sorted ids, columns `cols`) in parts of CHUNK, each locked
    for the rest of the transaction on PostgreSQL (SQLite's writer already holds the database)."""
    conn = s.connection()
    key = (tuple(cols), conn.dialect.name == "postgresql")
    stmt = _LOCKED_ROWS.get(key)
    if stmt is None:
        t = Application.__table__
        stmt = select(*cols).where(t.c.id.in_(bindparam("ids", expanding=True))).order_by(t.c.id)
        if key[1]:
            stmt = stmt.with_for_update()
        stmt = _LOCKED_ROWS.setdefault(key, stmt)
    for i in range(0, len(ids), CHUNK):
        yield from conn.execute(stmt, {"ids": list(ids[i : i + CHUNK])}).mappings()


# the statements of `locked_rows` and `update_versions`, built once per shape
_LOCKED_ROWS: dict[tuple[tuple[Any, ...], bool], Any] = {}
_UPDATES: dict[tuple[tuple[str, str], ...], Any] = {}


def update_versions(s: Session, params: list[dict[str, Any]], **columns: str) -> None:
    """One version-checked executemany UPDATE of application rows. Each row of `params` binds
    `b_id`, `b_read` (the version read), `b_count`, `b_head`, `b_version` and one key per extra
    column (`columns`: column name -> key); Conflict, and nothing written, unless every row still
    had the version read."""
    shape = tuple(columns.items())
    stmt = _UPDATES.get(shape)
    if stmt is None:
        t = Application.__table__
        values = {"audit_count": "b_count", "audit_head": "b_head", "version": "b_version"}
        values.update(columns)
        stmt = (
            update(t)
            .where(t.c.id == bindparam("b_id"), t.c.version == bindparam("b_read"))
            .values({name: bindparam(key) for name, key in values.items()})
        )
        stmt = _UPDATES.setdefault(shape, stmt)
    if s.connection().execute(stmt, params).rowcount != len(params):
        raise Conflict(CONCURRENT_CHANGE)


def _usage_key(snap: _Snapshot) -> tuple[Any, ...]:
    """The count a recommendation adds to: each limit then sums the keys it covers."""
    return (snap.campaign_id, *_scope_key(snap), snap.category, snap.consortium)


def _usage(counts: Counter[tuple[Any, ...]], snap: _Snapshot, limit: QuotaLimit) -> QuotaUsage:
    province, group = _scope_key(snap)
    used = 0
    for (cid, p, g, category, consortium), n in counts.items():
        if cid != snap.campaign_id or p != province or g != group:
            continue
        if limit.per_category and category != snap.category:
            continue
        if limit.consortium_only and not consortium:
            continue
        used += n
    if snap.status in QUOTA_STATES:  # its own slot is not "another" recommendation
        used -= 1
    label = f"{limit.label} {limit.name}".strip()
    return QuotaUsage(name=label, limit=limit.limit, used=used, clause=limit.clause)
