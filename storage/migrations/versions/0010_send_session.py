"""The live session a scheduled send is about (summaries and nudges), as a column: a
session's nudges are found by it rather than by a prefix of their key or their payload.

Revision ID: 0010_send_session
Revises: 0009_session_export_figures
Create Date: 2026-11-29 22:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_send_session"
down_revision: str | None = "0009_session_export_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_scheduled_send_kind_session_id"


def upgrade() -> None:
    with op.batch_alter_table("scheduled_send") as batch:
        batch.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch.create_index(INDEX, ["kind", "session_id"])
    sends = sa.table(
        "scheduled_send",
        sa.column("id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("session_id", sa.Integer()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(sends.c.id, sends.c.payload).where(sends.c.kind.in_(("summary", "nudge")))
    ).all()
    for send_id, payload in rows:
        session_id = (payload or {}).get("session_id") if isinstance(payload, dict) else None
        if isinstance(session_id, int) and not isinstance(session_id, bool):
            connection.execute(
                sa.update(sends).where(sends.c.id == send_id).values(session_id=session_id)
            )


def downgrade() -> None:
    with op.batch_alter_table("scheduled_send") as batch:
        batch.drop_index(INDEX)
        batch.drop_column("session_id")
