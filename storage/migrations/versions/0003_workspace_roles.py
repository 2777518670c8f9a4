"""Workspace roles and settings: the member who ran /start, the currency, whether the time
zone was chosen.

Workspaces of the previous release keep working as before: a private chat's owner is its
user (the chat id), and their time zone counts as chosen (they have been in use).

Revision ID: 0003_workspace_roles
Revises: 0002
Create Date: 2026-11-29 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_workspace_roles"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN on both backends: a batch (copy-and-move) rebuild of the workspace
    # table on SQLite would cascade-delete every row that refers to it
    op.add_column("workspace", sa.Column("owner_user_id", sa.BigInteger(), nullable=True))
    op.add_column("workspace", sa.Column("currency", sa.String(), nullable=True))
    op.add_column(
        "workspace",
        sa.Column("tz_confirmed", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute("UPDATE workspace SET owner_user_id = chat_id WHERE chat_type = 'private'")
    op.execute(sa.text("UPDATE workspace SET tz_confirmed = :yes").bindparams(yes=True))


def downgrade() -> None:
    for name in ("tz_confirmed", "currency", "owner_user_id"):
        op.drop_column("workspace", name)
