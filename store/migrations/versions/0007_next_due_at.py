"""application.next_due_at: the instant a sweep next acts on an application, indexed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("next_due_at", UTCDateTime(), nullable=True))
    op.create_index("ix_application_next_due", "application", ["next_due_at"])
    # drafts already stored lapse when their campaign's application window closes
    from deadlines import Window

    bind = op.get_bind()
    campaigns = bind.execute(
        sa.text(
            "SELECT id, application_opens, application_closes FROM campaign "
            "WHERE application_opens IS NOT NULL AND application_closes IS NOT NULL"
        )
    ).all()
    app = sa.table(
        "application",
        sa.column("campaign_id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("next_due_at", UTCDateTime()),
    )
    for campaign_id, opens, closes in campaigns:
        if isinstance(opens, str):  # SQLite hands dates back as text here
            from datetime import date

            opens, closes = date.fromisoformat(opens), date.fromisoformat(closes)
        due = Window(opens, closes).ends_at
        bind.execute(
            app.update()
            .where(app.c.campaign_id == campaign_id, app.c.status == "draft")
            .values(next_due_at=due)
        )


def downgrade() -> None:
    op.drop_index("ix_application_next_due", table_name="application")
    with op.batch_alter_table("application") as batch:
        batch.drop_column("next_due_at")
