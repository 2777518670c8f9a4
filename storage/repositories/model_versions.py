"""Stored model versions: numbered per kind, one active per kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.errors import Conflict, InvalidValue, ModelVersionNotFound
from storage.models import MODEL_KINDS, ModelVersion
from storage.repositories._common import as_utc, insert_ignore

__all__ = [
    "CHOSEN",
    "activate_model_version",
    "active_model_version",
    "add_model_version",
    "list_model_versions",
]


def _check_kind(kind: str) -> None:
    if kind not in MODEL_KINDS:
        raise InvalidValue(f"kind must be one of {MODEL_KINDS}, got {kind!r}")


def _deactivate_others(session: Session, *, kind: str, keep_id: int) -> None:
    session.execute(
        sa.update(ModelVersion)
        .where(col(ModelVersion.kind) == kind, col(ModelVersion.id) != keep_id)
        .values(active=False),
        execution_options={"synchronize_session": "fetch"},
    )


def add_model_version(
    session: Session,
    *,
    kind: str,
    trained_at: datetime,
    sha256: str,
    path: str,
    rows_used: int | None = None,
    metrics: dict[str, Any] | None = None,
    activate: bool = True,
) -> ModelVersion:
    """Record a trained model as the next version of its kind (active unless told not)."""
    _check_kind(kind)
    for _ in range(5):  # a concurrent writer may take the same number: try the next one
        latest = session.exec(
            select(sa.func.max(ModelVersion.version)).where(ModelVersion.kind == kind)
        ).one()
        candidate = ModelVersion(
            kind=kind,
            version=(latest or 0) + 1,
            trained_at=as_utc(trained_at, "trained_at"),
            rows_used=rows_used,
            metrics=metrics,
            active=activate,
            sha256=sha256,
            path=path,
        )
        new_id = insert_ignore(session, candidate, conflict=["kind", "version"])
        if new_id is not None:
            if activate:
                _deactivate_others(session, kind=kind, keep_id=new_id)
            created = session.get(ModelVersion, new_id)
            assert created is not None
            return created
    raise Conflict(f"could not number a new {kind} model version")


def active_model_version(session: Session, *, kind: str) -> ModelVersion | None:
    """The active model of that kind, if any."""
    _check_kind(kind)
    stmt = select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.active == sa.true())
    return session.exec(stmt.order_by(col(ModelVersion.version).desc())).first()


def list_model_versions(session: Session, *, kind: str | None = None) -> list[ModelVersion]:
    """Stored models, newest version first (of one kind when given)."""
    stmt = select(ModelVersion)
    if kind is not None:
        _check_kind(kind)
        stmt = stmt.where(ModelVersion.kind == kind)
    stmt = stmt.order_by(col(ModelVersion.kind), col(ModelVersion.version).desc())
    return list(session.exec(stmt).all())


CHOSEN: str = "chosen_by_admin"
"""The metrics key set on a version an admin activated by hand (forced or rolled back to)."""


def activate_model_version(
    session: Session, *, kind: str, version: int, chosen: bool = False
) -> ModelVersion:
    """Make that version the active one of its kind (a rollback is this with an older one);
    ``chosen``: an admin chose it by hand, recorded in its metrics under :data:`CHOSEN`."""
    _check_kind(kind)
    row = session.exec(
        select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.version == version)
    ).first()
    if row is None or row.id is None:
        raise ModelVersionNotFound(f"{kind} model version {version}")
    row.active = True
    if chosen:
        row.metrics = {**(row.metrics or {}), CHOSEN: True}
    session.add(row)
    session.flush()
    _deactivate_others(session, kind=kind, keep_id=row.id)
    return row
