"""Import records: one per imported file, content hash unique per workspace."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.errors import DuplicateImport, InvalidValue, SessionNotFound, WorkspaceNotFound
from storage.models import IMPORT_KINDS, ImportRecord, LiveSession, Workspace
from storage.repositories._common import insert_ignore

__all__ = ["create_import", "find_import", "list_imports"]


def find_import(session: Session, *, workspace_id: int, content_hash: str) -> ImportRecord | None:
    """The earlier import of the same content into the workspace, if any."""
    stmt = select(ImportRecord).where(
        ImportRecord.workspace_id == workspace_id, ImportRecord.content_hash == content_hash
    )
    return session.exec(stmt).first()


def create_import(
    session: Session,
    *,
    workspace_id: int,
    kind: str,
    content_hash: str,
    rows: int,
    filename: str | None = None,
    session_id: int | None = None,
    dedupe_key: str | None = None,
) -> ImportRecord:
    """Record an import; raises `DuplicateImport` when the content (or dedupe key) was seen.

    Call it in the same transaction as the bulk insert of its rows, then pass its id as
    `import_id`, so a file imports whole or not at all.
    """
    if kind not in IMPORT_KINDS:
        raise InvalidValue(f"kind must be one of {IMPORT_KINDS}, got {kind!r}")
    if rows < 0:
        raise InvalidValue("rows must not be negative")
    if session.get(Workspace, workspace_id) is None:
        raise WorkspaceNotFound(f"workspace {workspace_id}")
    if session_id is not None:
        live = session.get(LiveSession, session_id)
        if live is None or live.workspace_id != workspace_id:
            raise SessionNotFound(f"session {session_id}")
    candidate = ImportRecord(
        workspace_id=workspace_id,
        session_id=session_id,
        kind=kind,
        filename=filename,
        content_hash=content_hash,
        rows=rows,
        dedupe_key=dedupe_key,
    )
    new_id = insert_ignore(session, candidate)
    if new_id is None:
        existing = find_import(session, workspace_id=workspace_id, content_hash=content_hash)
        raise DuplicateImport(workspace_id, content_hash, existing.id if existing else None)
    created = session.get(ImportRecord, new_id)
    assert created is not None
    return created


def list_imports(
    session: Session, *, workspace_id: int, session_id: int | None = None
) -> list[ImportRecord]:
    """The workspace's imports (of one session when `session_id` is given), oldest first."""
    stmt = select(ImportRecord).where(ImportRecord.workspace_id == workspace_id)
    if session_id is not None:
        stmt = stmt.where(ImportRecord.session_id == session_id)
    return list(session.exec(stmt.order_by(col(ImportRecord.id))).all())
