"""Initial schema: workspaces, live sessions, snapshots, imported rows, schedules, models.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ONLY = "status = 'open'"


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def _float(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Float(), nullable=True) for name in names]


def _id(big: bool = False) -> sa.Column:
    kind = sa.BigInteger().with_variant(sa.Integer(), "sqlite") if big else sa.Integer()
    return sa.Column("id", kind, nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def _check(table: str, column: str, values: Sequence[str]) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=f"ck_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "workspace",
        _id(),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        _str("chat_type", nullable=False),
        _str("title"),
        _str("language", nullable=False),
        _str("timezone", nullable=False),
        _str("digest_time", nullable=False),
        sa.Column("digest_enabled", sa.Boolean(), nullable=False),
        sa.Column("nudges_enabled", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workspace"),
        sa.UniqueConstraint("chat_id", name="uq_workspace_chat_id"),
        _check("workspace", "language", ("en", "zh")),
    )

    op.create_table(
        "live_session",
        _id(),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        _str("title"),
        _str("status", nullable=False),
        _str("source", nullable=False),
        _ts("started_at", nullable=False),
        _ts("ended_at"),
        _ts("last_push_at"),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_live_session"),
        _fk("live_session", "workspace_id", "workspace"),
        _check("live_session", "status", ("open", "closed")),
        _check("live_session", "source", ("live", "import")),
    )
    op.create_index(
        "ix_live_session_workspace_id_started_at", "live_session", ["workspace_id", "started_at"]
    )
    op.create_index(
        "uq_live_session_one_open",
        "live_session",
        ["workspace_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_ONLY),
        postgresql_where=sa.text(OPEN_ONLY),
    )

    op.create_table(
        "snapshot",
        _id(big=True),
        sa.Column("session_id", sa.Integer(), nullable=False),
        _ts("ts", nullable=False),
        *_float(
            "online",
            "viewers",
            "entries",
            "likes",
            "comments",
            "shares",
            "followers",
            "clicks",
            "orders",
            "buyers",
            "gmv",
        ),
        _str("dedupe_key", nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_snapshot"),
        _fk("snapshot", "session_id", "live_session"),
        sa.UniqueConstraint("dedupe_key", name="uq_snapshot_dedupe_key"),
    )
    op.create_index("ix_snapshot_session_id_ts", "snapshot", ["session_id", "ts"])

    op.create_table(
        "import_record",
        _id(),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        _str("kind", nullable=False),
        _str("filename"),
        _str("content_hash", nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        _str("dedupe_key"),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_record"),
        _fk("import_record", "workspace_id", "workspace"),
        _fk("import_record", "session_id", "live_session"),
        sa.UniqueConstraint(
            "workspace_id", "content_hash", name="uq_import_record_workspace_id_content_hash"
        ),
        sa.UniqueConstraint("dedupe_key", name="uq_import_record_dedupe_key"),
        _check("import_record", "kind", ("minutes", "viewers", "sessions")),
    )
    op.create_index("ix_import_record_session_id", "import_record", ["session_id"])

    op.create_table(
        "minute_row",
        _id(big=True),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        _ts("ts", nullable=False),
        *_float(
            "online",
            "entries",
            "exits",
            "avg_watch_s",
            "impressions",
            "clicks",
            "buyers",
            "orders",
            "gmv",
            "followers",
            "likes",
            "comments",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_minute_row"),
        _fk("minute_row", "session_id", "live_session"),
        _fk("minute_row", "import_id", "import_record"),
    )
    op.create_index("ix_minute_row_session_id_ts", "minute_row", ["session_id", "ts"])
    op.create_index("ix_minute_row_import_id", "minute_row", ["import_id"])

    op.create_table(
        "viewer_row",
        _id(big=True),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        _str("user_id"),
        *_float(
            "watch_time_s",
            "likes",
            "comments",
            "shares",
            "purchase_count",
            "purchase_amount",
            "spend",
        ),
        sa.Column("censored", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_viewer_row"),
        _fk("viewer_row", "session_id", "live_session"),
        _fk("viewer_row", "import_id", "import_record"),
    )
    op.create_index("ix_viewer_row_session_id", "viewer_row", ["session_id"])
    op.create_index("ix_viewer_row_import_id", "viewer_row", ["import_id"])

    op.create_table(
        "past_session",
        _id(),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        _str("room_id"),
        _str("title"),
        _ts("started_at"),
        *_float(
            "duration_s",
            "gmv",
            "views",
            "impressions",
            "clicks",
            "orders",
            "buyers",
            "followers",
            "peak_online",
            "avg_watch_s",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_past_session"),
        _fk("past_session", "workspace_id", "workspace"),
        _fk("past_session", "import_id", "import_record"),
    )
    op.create_index(
        "ix_past_session_workspace_id_started_at", "past_session", ["workspace_id", "started_at"]
    )
    op.create_index("ix_past_session_import_id", "past_session", ["import_id"])

    op.create_table(
        "processed_update",
        _id(),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        _str("kind", nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_processed_update"),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_processed_update_chat_id_message_id"),
    )

    op.create_table(
        "model_version",
        _id(),
        _str("kind", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("trained_at", nullable=False),
        sa.Column("rows_used", sa.Integer(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _str("sha256", nullable=False),
        _str("path", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_version"),
        sa.UniqueConstraint("kind", "version", name="uq_model_version_kind_version"),
        _check("model_version", "kind", ("buying_power", "forecast")),
    )

    op.create_table(
        "scheduled_send",
        _id(),
        _str("kind", nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=True),
        _str("key", nullable=False),
        _ts("due_at", nullable=False),
        _str("status", nullable=False),
        _str("claimed_by"),
        _ts("lease_until"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("sent_at"),
        _str("last_error"),
        sa.Column("payload", sa.JSON(), nullable=True),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_send"),
        _fk("scheduled_send", "workspace_id", "workspace"),
        sa.UniqueConstraint("key", name="uq_scheduled_send_key"),
        _check("scheduled_send", "kind", ("summary", "digest", "retrain", "close", "nudge")),
        _check("scheduled_send", "status", ("pending", "claimed", "sent", "dropped", "failed")),
    )
    op.create_index("ix_scheduled_send_status_due_at", "scheduled_send", ["status", "due_at"])
    op.create_index("ix_scheduled_send_workspace_id", "scheduled_send", ["workspace_id"])


def downgrade() -> None:
    for table in (
        "scheduled_send",
        "model_version",
        "processed_update",
        "past_session",
        "viewer_row",
        "minute_row",
        "import_record",
        "snapshot",
        "live_session",
        "workspace",
    ):
        op.drop_table(table)
