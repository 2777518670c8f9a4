"""Snapshot keys hosts push from their screens: items, avg stay, conversion, CTR, GPM,
room and product impressions (nullable: missing is missing).

Revision ID: 0004_snapshot_keys
Revises: 0003_workspace_roles
Create Date: 2026-11-29 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_snapshot_keys"
down_revision: str | None = "0003_workspace_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "items",
    "avg_stay_s",
    "conversion",
    "ctr",
    "gpm",
    "impressions",
    "product_impressions",
)


def upgrade() -> None:
    with op.batch_alter_table("snapshot") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshot") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
