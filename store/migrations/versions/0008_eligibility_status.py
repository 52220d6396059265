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
    bind = op.get_bind()
    # SQLite: the table is rebuilt with the column before `form`. A row's columns are read in
    # order and its large JSON values spill into overflow pages, so a column after them costs
    # a walk through those pages per row; before them, a queue of 500 reads none (~2.4 ms).
    # PostgreSQL appends it (large values are kept out of line there).
    column = sa.Column("eligibility_status", sa.String(20), nullable=True)
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("application", recreate="always") as batch:
            batch.add_column(column, insert_before="form")
    else:
        op.add_column("application", column)
    # every stored check's verdict, in one statement (SQLite: json_extract; PostgreSQL: #>>);
    # a check without one (an empty form's `{}`) leaves NULL, as the writers do
    app = sa.table(
        "application",
        sa.column("form_check", sa.JSON()),
        sa.column("eligibility_status", sa.String(20)),
    )
    verdict = app.c.form_check[("eligibility", "status")].as_string()
    bind.execute(app.update().values(eligibility_status=sa.func.substr(verdict, 1, 20)))


def downgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.drop_column("eligibility_status")
