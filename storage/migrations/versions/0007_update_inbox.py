"""Durable updates: the inbox_update table.

Revision ID: 0007_update_inbox
Revises: 0006_session_figures
Create Date: 2026-11-29 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_update_inbox"
down_revision: str | None = "0006_session_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_update",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_update"),
        sa.UniqueConstraint("update_id", name="uq_inbox_update_update_id"),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'running', 'done')", name="ck_inbox_update_status"
        ),
    )
    op.create_index("ix_inbox_update_status_chat_id", "inbox_update", ["status", "chat_id"])


def downgrade() -> None:
    op.drop_index("ix_inbox_update_status_chat_id", table_name="inbox_update")
    op.drop_table("inbox_update")
