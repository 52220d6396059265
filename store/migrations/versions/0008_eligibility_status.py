"""application.eligibility_status: form_check's eligibility verdict as a column of its own

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("eligibility_status", sa.String(20), nullable=True))
    # every stored check's verdict, in one statement (SQLite: json_extract; PostgreSQL: #>>);
    # a check without one (an empty form's `{}`) leaves NULL, as the writers do
    app = sa.table(
        "application",
        sa.column("form_check", sa.JSON()),
        sa.column("eligibility_status", sa.String(20)),
    )
    verdict = app.c.form_check[("eligibility", "status")].as_string()
    op.get_bind().execute(app.update().values(eligibility_status=sa.func.substr(verdict, 1, 20)))


def downgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.drop_column("eligibility_status")
