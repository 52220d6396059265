"""SQLAlchemy 2 typed models: organisations, campaigns, applications, audit log, outbox, contacts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, date: Date}


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(20))
    group_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class Campaign(Base):
    """One edition run for one program year, with the windows actually in force."""

    __tablename__ = "campaign"
    __table_args__ = (UniqueConstraint("edition_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[str] = mapped_column(String(40))
    year: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="open")
    application_opens: Mapped[date | None]
    application_closes: Mapped[date | None]
    screening_opens: Mapped[date | None]
    screening_closes: Mapped[date | None]
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    edition_version: Mapped[str] = mapped_column(String(32), default="")
    calendar_version: Mapped[str] = mapped_column(String(32), default="")
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(120))


class Application(Base):
    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_campaign_status", "campaign_id", "status"),
        Index("ix_application_quota", "campaign_id", "province", "group_name", "status"),
        Index("ix_application_next_due", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(20))
    group_name: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    consortium: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(40), default="draft", index=True)
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    form_version: Mapped[int] = mapped_column(Integer, default=0)
    # validation and eligibility of the current form, computed when it is saved (store.formcheck)
    form_check: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    # form_check's eligibility verdict (met | not_met | needs_review | missing | error), written
    # with it (store.formcheck.eligibility_status): what a reviewer's queue shows, read as a column
    eligibility_status: Mapped[str | None] = mapped_column(String(20))
    audit_count: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # when a sweep next has to act on it in its state (a draft lapses when the window closes);
    # NULL: no sweep acts on it; kept by every move (store.transitions.next_due)
    next_due_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class FormVersion(Base):
    """Every saved form, kept: the application row holds the latest."""

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("application_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    version: Mapped[int]
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime]
    saved_by: Mapped[str] = mapped_column(String(120))


class AuditRecord(Base):
    """Append-only: one row per trigger, accepted or refused, hash-chained per application."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("application_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    seq: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    accepted: Mapped[bool] = mapped_column(Boolean)
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_scope: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OperatorRecord(Base):
    """Append-only: one row per operator act (calendar import, contacts, notify send), accepted or
    refused, hash-chained as applications' records are, in one chain of its own."""

    __tablename__ = "operator_audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    act: Mapped[str] = mapped_column(String(40))
    accepted: Mapped[bool] = mapped_column(Boolean)
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_scope: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """Count and head of a chain that has no row of its own to keep them (the operators')."""

    __tablename__ = "audit_chain"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    audit_count: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")


class AuditAnchor(Base):
    """Append-only anchor log: one entry per committed change of any chain's head.

    Entry n holds the (chain, count, head) triples its transaction produced and a digest over the
    digest of entry n-1 and those triples, so entry n commits to every head of the database at n.
    """

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    prev_digest: Mapped[str] = mapped_column(String(64))
    heads: Mapped[list[Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime]
    digest: Mapped[str] = mapped_column(String(64))


class OutboxMessage(Base):
    """A message to send, written in the same transaction as the event that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    message_id: Mapped[str] = mapped_column(String(120))
    message_type: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(254))
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Contact(Base):
    """Coordinators' addresses: provincial commerce / industry departments, groups, the ministry."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("role", "scope", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(
        String(30)
    )  # province_commerce, province_industry, group, ministry
    scope: Mapped[str] = mapped_column(String(120), default="")
    name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]


from store import review_models  # noqa: E402,F401  (registers the review tables)
