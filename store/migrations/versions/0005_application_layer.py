"""application layer: no schema change (the operators' trail is 0004's)

Kept so that the revisions stay chained 0004 -> 0005 -> 0006.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:20:00
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
