"""Many drafts created in one unit of work, with the checks of `Lifecycle.create_application`.

Each item is checked on its own (code, name, province or group, category, the quota route, e-mail,
the form's owner, one application per organisation per campaign, also within the batch); a bad
item becomes a refusal in the operators' trail (there is no application to hold it) and the others
are written with Core statements: organisations, applications with their form check, form
versions, and one `create` record each on its own chain (anchored at commit as every append is).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from programs.editions import load_edition
from programs.provinces import normalize_province
from states.actors import Actor, Role
from states.lifecycle import State
from states.rules import Refusal
from store import audit, formcheck
from store.db import Database, JSONText
from store.models import Application, FormVersion, Organisation
from store.transitions import next_due, windows_of

# advisory locks held to the end of the transaction, one per organisation: keep well inside
# PostgreSQL's lock table (max_locks_per_transaction x connections)
MAX_BATCH = 2000


@dataclass(frozen=True)
class NewApplication:
    actor: Actor
    uscc: str
    name: str
    province: str | None
    category: str | None
    group: str | None = None
    email: str | None = None
    form: Mapping[str, Any] | None = None


@dataclass
class Created:
    """Per item, in order: the new application's id, or the refusal (rule, one line)."""

    ids: list[int | None] = field(default_factory=list)
    refusals: dict[int, Refusal] = field(default_factory=dict)  # item index -> refusal


def _prepare(edition: Any, item: NewApplication) -> dict[str, Any]:
    """The checks of `Lifecycle.create_application`, raising ValueError / Refusal."""
    from store.service import _check_email, _check_form_owner, _check_uscc, consortium_of

    uscc = item.uscc.strip().upper()
    _check_uscc(uscc)
    if item.actor.role is Role.ENTERPRISE and item.actor.scope != uscc:
        raise Refusal(
            "OnlyApplicantActs", f"只能由申报单位本人操作: {item.actor} may not apply for {uscc}"
        )
    name = item.name.strip()
    if not name:
        raise ValueError("--name: 名称不能为空 (the applicant's name is required)")
    short = normalize_province(item.province) if item.province else None
    if short is None and item.group is None:
        raise ValueError("--province: 必须指明所在省份或中央企业集团 (province or group required)")
    category = item.category or (edition.categories[0].id if len(edition.categories) == 1 else None)
    if category is None:
        raise ValueError(
            f"--category: {edition.id} 需指明类别 (one of {', '.join(edition.category_ids)})"
        )
    edition.category(category)
    consortium = consortium_of(item.form)
    edition.quota_limits(province=short, group=item.group, category=category, consortium=consortium)
    if item.email is not None:
        _check_email(item.email)
    _check_form_owner(item.form, uscc)
    return {
        "uscc": uscc,
        "name": name,
        "province": short,
        "group_name": item.group,
        "category": category,
        "consortium": consortium,
        "contact_email": item.email,
        "form": dict(item.form or {}),
        "form_version": 1 if item.form else 0,
    }


def new_application_ids(db: Database, s: Session, n: int) -> list[int]:
    """`n` fresh application ids, taken inside the caller's transaction: from the table's
    sequence on PostgreSQL; on SQLite, which has one writer at a time (BEGIN IMMEDIATE), the
    next `n` after the largest (applications are never deleted, audit records refer to them)."""
    if n <= 0:
        return []
    if db.dialect == "postgresql":
        got = s.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('application', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": n},
        ).scalars()
        return sorted(int(x) for x in got)
    t = Application.__table__
    last = s.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()
    return list(range(int(last) + 1, int(last) + 1 + n))


def create_many(
    db: Database,
    s: Session,
    campaign: Any,
    items: Sequence[NewApplication],
    refused: Mapping[int, Refusal],
    now: datetime,
) -> Created:
    """Create the drafts of `items` (except the indexes in `refused`) in the caller's
    transaction; returns ids and refusals per item."""
    if len(items) > MAX_BATCH:
        raise ValueError(f"applications: at most {MAX_BATCH} in one batch, got {len(items)}")
    edition = load_edition(campaign.edition_id)
    out = Created(ids=[None] * len(items), refusals=dict(refused))
    rows: dict[int, dict[str, Any]] = {}
    for i, item in enumerate(items):
        if i in out.refusals:
            continue
        try:
            rows[i] = _prepare(edition, item)
        except (ValueError, LookupError, Refusal) as exc:
            rule = exc.rule if isinstance(exc, Refusal) else "InvalidInput"
            message = exc.message if isinstance(exc, Refusal) else " ".join(str(exc).splitlines())
            out.refusals[i] = Refusal(rule, message)
    usccs = sorted({r["uscc"] for r in rows.values()})
    if db.dialect == "postgresql" and usccs:
        s.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM "
                "(SELECT unnest(CAST(:keys AS text[])) AS k ORDER BY 1) AS q"
            ),
            {"keys": [f"apply:{campaign.id}:{u}" for u in usccs]},
        )
    t = Application.__table__
    first: dict[str, int] = {}
    for k in range(0, len(usccs), 5000):
        # by code alone (ix_application_uscc: an organisation's few applications), the campaign
        # checked here, so that no plan walks the campaign's applications for every batch
        stmt = (
            select(t.c.uscc, t.c.id, t.c.campaign_id)
            .where(t.c.uscc.in_(usccs[k : k + 5000]))
            .order_by(t.c.id.desc())
        )
        first.update((u, int(a)) for u, a, c in s.execute(stmt) if c == campaign.id)
    for i, row in list(rows.items()):
        earlier = first.get(row["uscc"])
        if earlier is not None:
            del rows[i]
            out.refusals[i] = Refusal(
                "OneApplicationPerOrganisation",
                f"重复申报: {row['uscc']} already applied to campaign {campaign.id} "
                f"({edition.id} {campaign.year}) as application "
                f"{earlier if earlier > 0 else 'earlier in this batch'}; one application "
                f"per organisation per campaign ({edition.clause('route')})",
            )
        else:
            first[row["uscc"]] = 0  # a second item of the same organisation in this batch
    if not rows:
        return out
    o = Organisation.__table__
    orgs: dict[str, int] = {}
    wanted = sorted({r["uscc"] for r in rows.values()})
    for k in range(0, len(wanted), 5000):
        orgs.update(
            (u, int(a))
            for u, a in s.execute(
                select(o.c.uscc, o.c.id).where(o.c.uscc.in_(wanted[k : k + 5000]))
            )
        )
    new_orgs = [
        {
            "uscc": r["uscc"],
            "name": r["name"],
            "province": r["province"],
            "group_name": r["group_name"],
            "created_at": now,
        }
        for r in rows.values()
        if r["uscc"] not in orgs
    ]
    if new_orgs:
        made = s.execute(
            insert(o).returning(o.c.uscc, o.c.id, sort_by_parameter_order=True), new_orgs
        )
        orgs.update((u, int(a)) for u, a in made)
    order = sorted(rows)
    due = next_due(State.DRAFT.value, windows_of(campaign)[0])
    # ids first, so that each row is written once, with its first record's hash as its head
    new_ids = new_application_ids(db, s, len(order))
    recorded_at = datetime.now(UTC)
    app_rows, versions, records, heads = [], [], [], {}
    for i, app_id in zip(order, new_ids, strict=True):
        r = rows[i]
        out.ids[i] = app_id
        item = items[i]
        rec = audit.new_row(
            application_id=app_id,
            seq=1,
            prev_hash="",
            trigger="create",
            from_state=State.DRAFT.value,
            to_state=State.DRAFT.value,
            accepted=True,
            actor_role=item.actor.role.value,
            actor_scope=item.actor.scope,
            reason=None,
            rule="Created",
            message=f"created: application {app_id} of {r['uscc']} to {edition.id} "
            f"{campaign.year} by {item.actor}",
            at=now,
            details={"consortium": r["consortium"], "form_version": r["form_version"]},
            recorded_at=recorded_at,
        )
        records.append(rec)
        heads[app_id] = (1, rec["hash"])
        form_text = JSONText.of(r["form"])  # the same text in the row and its first version
        check = formcheck.compute(edition, r["category"], r["form"], r["form_version"])
        app_rows.append(
            {
                **r,
                "id": app_id,
                "form": form_text,
                "campaign_id": campaign.id,
                "organisation_id": orgs[r["uscc"]],
                "status": State.DRAFT.value,
                "form_check": check,
                "eligibility_status": formcheck.eligibility_status(check),
                "audit_count": 1,
                "audit_head": rec["hash"],
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "next_due_at": due,
            }
        )
        if r["form_version"]:
            versions.append(
                {
                    "application_id": app_id,
                    "version": 1,
                    "form": form_text,
                    "saved_at": now,
                    "saved_by": f"enterprise:{r['uscc']}",
                }
            )
    s.execute(insert(t), app_rows)
    if versions:
        s.execute(insert(FormVersion.__table__), versions)
    s.execute(insert(audit.AuditRecord.__table__), records)
    audit.note_heads(s, heads)
    return out
