"""One import path for the bot and the CLI: bytes → checked rows → one transaction.

`import_file` refuses a file before reading it when it is too large, reads its layout (which
also hashes its content and counts its rows), refuses content the workspace already has,
then converts and writes the rows chunk by chunk through the bulk-insert repository
functions, each row carrying the new import record's id. A bad row anywhere stops the
writing; the rows already written for this file and its import record are deleted again
before `ImportRejected` is raised, so nothing of a refused file stays even if the caller
commits. The function flushes and never commits: the caller's unit of work
(`storage.engine.session_scope`) does.

Times without a zone are the workspace's local time (`Workspace.timezone`); a minute file
that gives only clock times (`20:01`) is dated by its session's start day.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from storage import repositories as repo
from storage.errors import DuplicateImport, WorkspaceNotFound
from storage.importers.detect import MAX_BYTES
from storage.importers.errors import ImportRejected, RowError
from storage.importers.readers import DEFAULT_CHUNK_ROWS, Layout, iter_chunks, read_layout
from storage.importers.source import Blob, BlobData
from storage.importers.validate import MAX_REPORTED, ConvertContext, convert_chunk
from storage.models import (
    ImportRecord,
    MinuteRow,
    PastSession,
    ProductRow,
    ViewerRow,
    Workspace,
)

__all__ = ["ImportResult", "import_file"]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import stored: kind, rows, its import record, the session it went to, and
    for a sessions file the number of past sessions created."""

    kind: str
    rows: int
    import_id: int
    session_id: int | None
    created_sessions: int


_TABLES: dict[str, sa.Table] = {
    "minutes": MinuteRow.__table__,  # type: ignore[attr-defined]
    "viewers": ViewerRow.__table__,  # type: ignore[attr-defined]
    "sessions": PastSession.__table__,  # type: ignore[attr-defined]
    "products": ProductRow.__table__,  # type: ignore[attr-defined]
}


def _zone(workspace: Workspace) -> tzinfo:
    try:
        return ZoneInfo(workspace.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _write(
    session: Session,
    kind: str,
    frame: pd.DataFrame,
    *,
    workspace_id: int,
    session_id: int | None,
    import_id: int,
) -> int:
    if kind == "minutes":
        assert session_id is not None
        return repo.bulk_insert_minutes(
            session,
            session_id=session_id,
            rows=frame,
            import_id=import_id,
        )
    if kind == "viewers":
        assert session_id is not None
        return repo.bulk_insert_viewers(
            session,
            session_id=session_id,
            rows=frame,
            import_id=import_id,
        )
    if kind == "products":
        assert session_id is not None
        return repo.bulk_insert_products(
            session, session_id=session_id, rows=frame, import_id=import_id
        )
    return repo.bulk_insert_past_sessions(
        session,
        workspace_id=workspace_id,
        rows=frame,
        import_id=import_id,
    )


def _undo(session: Session, kind: str, import_id: int) -> None:
    table = _TABLES[kind]
    session.execute(sa.delete(table).where(table.c.import_id == import_id))
    record_table: sa.Table = ImportRecord.__table__  # type: ignore[attr-defined]
    session.execute(sa.delete(record_table).where(record_table.c.id == import_id))
    session.expire_all()


def _duplicate(record: ImportRecord) -> ImportRejected:
    return ImportRejected.for_code(
        "duplicate",
        imported_at=record.created_at,
        import_id=record.id,
        filename=record.filename,
    )


def _convert_and_write(
    session: Session,
    blob: Blob,
    layout: Layout,
    ctx: ConvertContext,
    *,
    chunk_rows: int,
    progress: Callable[[int], None] | None,
    workspace_id: int,
    session_id: int | None,
    import_id: int,
) -> int:
    """Convert and store the rows chunk by chunk; after a bad row only check the rest."""
    kind = layout.kind
    errors: list[RowError] = []
    bad = stored = done = 0
    for first, raw in iter_chunks(blob, layout, chunk_rows):
        result = convert_chunk(raw, layout.match, first, ctx, max_errors=MAX_REPORTED - len(errors))
        errors.extend(result.errors)
        bad += result.bad_rows
        if not bad and len(result.frame):
            stored += _write(
                session,
                kind,
                result.frame,
                workspace_id=workspace_id,
                session_id=session_id,
                import_id=import_id,
            )
        done += len(raw)
        if progress is not None:
            progress(done)
    if bad:
        raise ImportRejected.for_code("bad_values", errors=errors, count=bad)
    if stored == 0:
        raise ImportRejected.for_code(
            "header_only", kind=kind, columns=[c.strip() for c in layout.header]
        )
    return stored


def import_file(
    session: Session,
    *,
    workspace_id: int,
    data: BlobData,
    filename: str | None,
    session_id: int | None,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    max_bytes: int | None = MAX_BYTES,
) -> ImportResult:
    """Import one uploaded file into the workspace (see module doc).

    `data` is the file's bytes (or a path to them); `filename` is only recorded, never used
    to guess the format. Minutes and viewers go to `session_id` (required for those kinds:
    None raises `ImportRejected("no_session")`, an id of another workspace
    "unknown_session"); a sessions file adds past sessions to the workspace.
    `progress(rows_done)` is called after each chunk. `max_bytes=None` lifts the 20 MB
    limit (for the CLI on trusted files). Raises `ImportRejected`; on success the rows are
    flushed in the caller's transaction, which the caller commits.
    """
    blob = Blob(data)
    if max_bytes is not None and blob.size > max_bytes:
        raise ImportRejected.for_code("too_large", size=blob.size, limit=max_bytes)
    workspace = repo.get_workspace(session, workspace_id=workspace_id)
    if workspace is None:
        raise WorkspaceNotFound(f"workspace {workspace_id}")
    layout = read_layout(blob)
    kind = layout.kind
    base_date = None
    tz = _zone(workspace)
    if kind in ("minutes", "viewers", "products"):
        if session_id is None:
            raise ImportRejected.for_code("no_session", kind=kind)
        live = repo.get_session(session, workspace_id=workspace_id, session_id=session_id)
        if live is None:
            raise ImportRejected.for_code("unknown_session", id=session_id)
        base_date = live.started_at.astimezone(tz).date()
    else:
        session_id = None
    earlier = repo.find_import(session, workspace_id=workspace_id, content_hash=layout.content_hash)
    if earlier is not None:
        raise _duplicate(earlier)
    try:
        record = repo.create_import(
            session,
            workspace_id=workspace_id,
            kind=kind,
            content_hash=layout.content_hash,
            rows=layout.rows,
            filename=filename,
            session_id=session_id,
        )
    except DuplicateImport as exc:
        found = repo.find_import(session, workspace_id=workspace_id, content_hash=exc.content_hash)
        if found is None:  # pragma: no cover - the duplicate was removed meanwhile
            raise
        raise _duplicate(found) from exc
    assert record.id is not None
    import_id = record.id
    ctx = ConvertContext(tz=tz, base_date=base_date)
    try:
        stored = _convert_and_write(
            session,
            blob,
            layout,
            ctx,
            chunk_rows=chunk_rows,
            progress=progress,
            workspace_id=workspace_id,
            session_id=session_id,
            import_id=import_id,
        )
    except BaseException:
        # A broken connection cannot undo; the caller's rollback then discards it all.
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            _undo(session, kind, import_id)
        raise
    record.rows = stored
    if now is not None:
        record.created_at = now
    session.add(record)
    session.flush()
    return ImportResult(
        kind=kind,
        rows=stored,
        import_id=import_id,
        session_id=session_id,
        created_sessions=stored if kind == "sessions" else 0,
    )
