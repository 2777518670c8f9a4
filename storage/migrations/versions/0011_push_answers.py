"""Who sent each push and which of the bot's messages answered it, so that /undo sent as a
reply to the answer finds the push on any instance, after any restart.

Revision ID: 0011_push_answers
Revises: 0010_send_session
Create Date: 2026-11-30 10:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_push_answers"
down_revision: str | None = "0010_send_session"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_snapshot_session_id_answer_id"


def upgrade() -> None:
    with op.batch_alter_table("snapshot") as batch:
        batch.add_column(sa.Column("author_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("answer_id", sa.BigInteger(), nullable=True))
        batch.create_index(INDEX, ["session_id", "answer_id"])


def downgrade() -> None:
    with op.batch_alter_table("snapshot") as batch:
        batch.drop_index(INDEX)
        batch.drop_column("answer_id")
        batch.drop_column("author_id")
