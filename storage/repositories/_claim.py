"""Claims with leases: the one query shape behind scheduled sends and stored updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel import Session, SQLModel, select

from storage.repositories._common import table_of

__all__ = ["claim_rows"]

RowT = TypeVar("RowT", bound=SQLModel)


def claim_rows(
    session: Session,
    model: type[RowT],
    *,
    claimable: sa.ColumnElement[bool],
    order_by: Sequence[sa.ColumnElement[Any] | Mapped[Any]],
    worker_id: str,
    until: datetime,
    limit: int,
) -> list[RowT]:
    """Claim up to `limit` rows of `model` that `claimable` selects, first in `order_by`,
    for `worker_id` until `until` (status "claimed", `claimed_by`, `lease_until`, one more
    `attempts`); the claimed rows, fresh, in that order.

    The table needs the columns id, status, claimed_by, lease_until and attempts. On
    PostgreSQL the pick skips rows another transaction holds (FOR UPDATE SKIP LOCKED), so
    concurrent workers never wait for or share a row; SQLite has one writer, and the
    condition, checked again by the UPDATE, leaves a claimed row alone until its lease
    lapses. A CTE is evaluated once; an IN (subquery … LIMIT) may be re-run per row by the
    planner and then hand out more than `limit` rows.
    """
    if limit <= 0:
        return []
    table = table_of(model)
    picked = (
        sa.select(table.c.id)
        .where(claimable)
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True, of=table)
        .cte("picked")
    )
    claim = (
        sa.update(table)
        .where(table.c.id.in_(sa.select(picked.c.id)), claimable)
        .values(
            status="claimed",
            claimed_by=worker_id,
            lease_until=until,
            attempts=table.c.attempts + 1,
        )
        .returning(table.c.id)
    )
    session.flush()
    ids = list(session.execute(claim).scalars())
    if not ids:
        return []
    stmt = (
        select(model)
        .where(table.c.id.in_(ids))
        .order_by(*order_by)
        .execution_options(populate_existing=True)
    )
    return list(session.exec(stmt).all())
