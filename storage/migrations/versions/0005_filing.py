"""Files filed by their time: one row per minute, viewer and past stream; column answers.

Unique indexes make a re-imported row update the stored one instead of adding a copy:
minute rows by (session, minute), viewer rows by (session, viewer id), past sessions by
(workspace, room id) or, without a room id, (workspace, start time). Copies already stored
by earlier releases are removed first, keeping the newest of each. `column_mapping` keeps
the workspace's answers to "which column is …?", `pending_upload` the file waiting for
them; `scheduled_send.data_hash` the fingerprint of the data a summary was built from.

Revision ID: 0005_filing
Revises: 0004_snapshot_keys
Create Date: 2026-11-29 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_filing"
down_revision: str | None = "0004_snapshot_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROOM = "room_id IS NOT NULL"
_NO_ROOM = "room_id IS NULL"


def _dedupe(table: str, keys: Sequence[str], where: str = "") -> None:
    """Delete every row that has a newer row (higher id) with the same keys."""
    same = " AND ".join(f"b.{k} = {table}.{k}" for k in keys)
    extra = f" AND {where}" if where else ""
    op.execute(
        f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {table} b "
        f"WHERE {same} AND b.id > {table}.id){extra}"
    )


def upgrade() -> None:
    _dedupe("minute_row", ("session_id", "ts"))
    _dedupe("viewer_row", ("session_id", "user_id"), "user_id IS NOT NULL")
    _dedupe("past_session", ("workspace_id", "room_id"), _ROOM)
    _dedupe(
        "past_session",
        ("workspace_id", "started_at"),
        f"{_NO_ROOM} AND started_at IS NOT NULL",
    )
    op.drop_index("ix_minute_row_session_id_ts", table_name="minute_row")
    op.create_index("uq_minute_row_session_id_ts", "minute_row", ["session_id", "ts"], unique=True)
    op.create_index(
        "uq_viewer_row_session_id_user_id", "viewer_row", ["session_id", "user_id"], unique=True
    )
    op.drop_index("ix_viewer_row_session_id", table_name="viewer_row")  # the above leads with it
    op.create_index(
        "uq_past_session_workspace_id_room_id",
        "past_session",
        ["workspace_id", "room_id"],
        unique=True,
        sqlite_where=sa.text(_ROOM),
        postgresql_where=sa.text(_ROOM),
    )
    op.create_index(
        "uq_past_session_workspace_id_started_at",
        "past_session",
        ["workspace_id", "started_at"],
        unique=True,
        sqlite_where=sa.text(_NO_ROOM),
        postgresql_where=sa.text(_NO_ROOM),
    )
    op.create_table(
        "column_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("header", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_column_mapping"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name="fk_column_mapping_workspace_id_workspace",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "workspace_id",
            "signature",
            "field",
            name="uq_column_mapping_workspace_id_signature_field",
        ),
    )
    op.create_table(
        "pending_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("file_id", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=True),
        sa.Column("caption", sa.String(), nullable=True),
        sa.Column("signature", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pending_upload"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name="fk_pending_upload_workspace_id_workspace",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_pending_upload_workspace_id", "pending_upload", ["workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_pending_upload_workspace_id", table_name="pending_upload")
    op.drop_table("pending_upload")
    op.drop_table("column_mapping")
    op.drop_index("uq_past_session_workspace_id_started_at", table_name="past_session")
    op.drop_index("uq_past_session_workspace_id_room_id", table_name="past_session")
    op.create_index("ix_viewer_row_session_id", "viewer_row", ["session_id"])
    op.drop_index("uq_viewer_row_session_id_user_id", table_name="viewer_row")
    op.drop_index("uq_minute_row_session_id_ts", table_name="minute_row")
    op.create_index("ix_minute_row_session_id_ts", "minute_row", ["session_id", "ts"])
