"""Stored per-session figures: the session_figures table.

Existing sessions get no row here: a session without a row, or with a row of an older
definitions version, is computed the first time its history is read (the service reads
the stored rows in one query and computes the missing ones, then stores them), so the
migration stays a schema change that runs in milliseconds on any database.

Revision ID: 0006_session_figures
Revises: 0005_filing
Create Date: 2026-11-29 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_session_figures"
down_revision: str | None = "0005_filing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_figures",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("definitions_version", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gmv", sa.Float(), nullable=True),
        sa.Column("orders", sa.Float(), nullable=True),
        sa.Column("buyers", sa.Float(), nullable=True),
        sa.Column("viewers", sa.Float(), nullable=True),
        sa.Column("views", sa.Float(), nullable=True),
        sa.Column("peak_online", sa.Float(), nullable=True),
        sa.Column("avg_online", sa.Float(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("half_life_s", sa.Float(), nullable=True),
        sa.Column("conversion", sa.Float(), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["live_session.id"],
            name="fk_session_figures_session_id_live_session",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name="pk_session_figures"),
    )


def downgrade() -> None:
    op.drop_table("session_figures")
