"""The platform's own figures of a past session: items sold, CTR, CTOR and GPM as its
sessions export states them.

Revision ID: 0009_session_export_figures
Revises: 0008_products_timeline
Create Date: 2026-11-29 21:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_session_export_figures"
down_revision: str | None = "0008_products_timeline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("items", "ctr", "ctor", "gpm")


def upgrade() -> None:
    with op.batch_alter_table("past_session") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("past_session") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
