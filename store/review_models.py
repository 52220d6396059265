"""Typed models after the provincial review: scoring sheets, experts and scores, 公示 notices and
objections, confirmed titles, annual reports and recertifications."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base

POINTS = Numeric(7, 2)  # totals and cut-offs out of 100, two decimals


class ScoringSheet(Base):
    """A campaign's scoring sheet (`states.scoring.ScoringSheet.to_mapping`) and the cut applied."""

    __tablename__ = "scoring_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), unique=True)
    sheet: Mapped[dict[str, Any]] = mapped_column(JSON)
    aggregation: Mapped[str] = mapped_column(String(20))
    conflict_same_province: Mapped[bool] = mapped_column(Boolean, default=False)
    top_k: Mapped[int | None] = mapped_column(Integer)
    min_score: Mapped[Decimal | None] = mapped_column(POINTS)
    defined_at: Mapped[datetime]
    defined_by: Mapped[str] = mapped_column(String(120))


class ExpertAssignment(Base):
    """An expert assigned to one application; a replacement keeps the old row with its reason."""

    __tablename__ = "expert_assignment"
    __table_args__ = (UniqueConstraint("application_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    expert_id: Mapped[str] = mapped_column(String(60))
    expert_org_uscc: Mapped[str | None] = mapped_column(String(18))
    expert_province: Mapped[str | None] = mapped_column(String(20))
    assigned_at: Mapped[datetime]
    assigned_by: Mapped[str] = mapped_column(String(120))
    replaced_at: Mapped[datetime | None]
    replacement_reason: Mapped[str | None] = mapped_column(Text)
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("expert_assignment.id"))


class ExpertScore(Base):
    """One expert's scores (criterion id -> Decimal as text) and their weighted total."""

    __tablename__ = "expert_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("expert_assignment.id"), unique=True)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[Decimal] = mapped_column(POINTS)
    submitted_at: Mapped[datetime]
    submitted_by: Mapped[str] = mapped_column(String(120))


class Notice(Base):
    """A published 公示: absolute instants and the calendar data version it was computed with."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    published_at: Mapped[datetime]
    published_by: Mapped[str] = mapped_column(String(120))
    first_day: Mapped[date]
    last_day: Mapped[date]
    ends_at: Mapped[datetime] = mapped_column(index=True)  # exclusive
    working_days: Mapped[int]
    calendar_version: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(80))


class NoticeEntry(Base):
    """An application on a notice list, with what the list shows (name, province, category)."""

    __tablename__ = "notice_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(20))
    group_name: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))


class Objection(Base):
    """An objection (异议) filed during the notice, and the ministry's resolution."""

    __tablename__ = "objection"
    __table_args__ = (Index("ix_objection_application_resolution", "application_id", "resolution"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    filed_at: Mapped[datetime]
    filed_by: Mapped[str] = mapped_column(String(120))
    objector_contact: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(String(12))  # upheld | dismissed
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(120))


class Title(Base):
    """A confirmed title: its current term and start date, its next recertification, revocation."""

    __tablename__ = "title"
    __table_args__ = (
        Index("ix_title_edition_status", "edition_id", "status"),
        Index("ix_title_recert_due", "status", "next_recert_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    edition_id: Mapped[str] = mapped_column(String(40))
    term_first: Mapped[int]
    term_last: Mapped[int | None]  # None: the edition states no term
    confirmed_on: Mapped[date]
    start_date: Mapped[date]  # start of the current term (confirmation, then each renewal)
    next_recert_due: Mapped[date | None]  # None: the edition has no recertification cycle
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | revoked
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class AnnualReport(Base):
    """One year's report of a title: opened, then submitted (late ones marked with working days)."""

    __tablename__ = "annual_report"
    __table_args__ = (
        UniqueConstraint("title_id", "report_year"),
        Index("ix_annual_report_pending", "submitted_at", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("title.id"))
    report_year: Mapped[int]
    due_date: Mapped[date]
    opened_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(String(120))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    working_days_late: Mapped[int | None]
    calendar_version: Mapped[str] = mapped_column(String(32), default="")


class Recertification(Base):
    """One re-examination (复审) of a title: due, opened, decided renewed or revoked."""

    __tablename__ = "recertification"
    __table_args__ = (
        UniqueConstraint("title_id", "cycle_no"),
        Index("ix_recertification_due", "due_date", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("title.id"))
    cycle_no: Mapped[int]
    due_date: Mapped[date]
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str | None] = mapped_column(String(12))  # renewed | revoked
    reason: Mapped[str | None] = mapped_column(Text)
    new_term_first: Mapped[int | None]
    new_term_last: Mapped[int | None]
