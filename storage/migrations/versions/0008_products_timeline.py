"""Products and the stream's timeline: product_row (a product export's rows), timeline_mark
(products presented and events told from chat), and the "products" import kind.

Revision ID: 0008_products_timeline
Revises: 0007_update_inbox
Create Date: 2026-11-29 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_products_timeline"
down_revision: str | None = "0007_update_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_KINDS = ("giveaway", "coupon", "price_drop", "new_product", "pin", "flash_sale", "restock")
TIMELINE_KINDS = ("product", "product_end", *EVENT_KINDS)
OLD_IMPORT_KINDS = ("minutes", "viewers", "sessions")
NEW_IMPORT_KINDS = (*OLD_IMPORT_KINDS, "products")
# The name 0001 gave the check (the naming convention prefixed the name it was handed).
KIND_CHECK = "ck_import_record_ck_import_record_kind"
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def _import_record(kinds: Sequence[str]) -> sa.Table:
    """import_record as 0001 made it, with `kinds` in its kind check (SQLite rebuilds it)."""
    return sa.Table(
        "import_record",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_record"),
        _fk("import_record", "workspace_id", "workspace"),
        _fk("import_record", "session_id", "live_session"),
        sa.UniqueConstraint(
            "workspace_id", "content_hash", name="uq_import_record_workspace_id_content_hash"
        ),
        sa.UniqueConstraint("dedupe_key", name="uq_import_record_dedupe_key"),
        sa.CheckConstraint(_in("kind", kinds), name=KIND_CHECK),
        sa.Index("ix_import_record_session_id", "session_id"),
    )


def _import_kinds(kinds: Sequence[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "import_record", copy_from=_import_record(kinds), recreate="always"
        ):
            pass
        return
    op.drop_constraint(op.f(KIND_CHECK), "import_record", type_="check")
    op.create_check_constraint(op.f(KIND_CHECK), "import_record", _in("kind", kinds))


def upgrade() -> None:
    op.create_table(
        "product_row",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.String(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        *(
            sa.Column(name, sa.Float(), nullable=True)
            for name in (
                "impressions",
                "clicks",
                "orders",
                "buyers",
                "items",
                "gmv",
                "explain_count",
                "explain_s",
            )
        ),
        sa.PrimaryKeyConstraint("id", name="pk_product_row"),
        _fk("product_row", "session_id", "live_session"),
        _fk("product_row", "import_id", "import_record"),
    )
    op.create_index("ix_product_row_session_id", "product_row", ["session_id"])
    op.create_index("ix_product_row_import_id", "product_row", ["import_id"])

    op.create_table(
        "timeline_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("product_no", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_timeline_mark"),
        _fk("timeline_mark", "session_id", "live_session"),
        sa.UniqueConstraint("dedupe_key", name="uq_timeline_mark_dedupe_key"),
        sa.CheckConstraint(_in("kind", TIMELINE_KINDS), name="ck_timeline_mark_kind"),
    )
    op.create_index("ix_timeline_mark_session_id_ts", "timeline_mark", ["session_id", "ts"])

    _import_kinds(NEW_IMPORT_KINDS)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM import_record WHERE kind = 'products'"))
    _import_kinds(OLD_IMPORT_KINDS)
    op.drop_index("ix_timeline_mark_session_id_ts", table_name="timeline_mark")
    op.drop_table("timeline_mark")
    op.drop_index("ix_product_row_import_id", table_name="product_row")
    op.drop_index("ix_product_row_session_id", table_name="product_row")
    op.drop_table("product_row")
