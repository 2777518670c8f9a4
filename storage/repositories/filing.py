"""Filing imported files: the workspace's column answers, uploads waiting for them, and
the fingerprint of a session's data (to tell whether a summary would say anything new)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.errors import InvalidValue, WorkspaceNotFound
from storage.models import (
    ColumnMapping,
    ImportRecord,
    MinuteRow,
    PendingUpload,
    ScheduledSend,
    Snapshot,
    ViewerRow,
    Workspace,
)
from storage.repositories._common import table_of

__all__ = [
    "add_pending_upload",
    "answer_pending_upload",
    "claim_summary_sending",
    "column_mapping",
    "drop_pending_upload",
    "get_pending_upload",
    "release_summary_sending",
    "remember_summary_hash",
    "save_column_mapping",
    "session_data_hash",
    "summary_hashes",
]

MAX_PENDING = 20
"""Uploads kept waiting per workspace; older ones are dropped."""


def column_mapping(session: Session, *, workspace_id: int, signature: str) -> dict[str, str]:
    """The workspace's answers for files with this header signature: field → header."""
    stmt = select(ColumnMapping).where(
        ColumnMapping.workspace_id == workspace_id, ColumnMapping.signature == signature
    )
    return {row.field: row.header for row in session.exec(stmt).all()}


def save_column_mapping(
    session: Session, *, workspace_id: int, signature: str, mapping: Mapping[str, str]
) -> None:
    """Remember (or replace) the workspace's answers for this header signature."""
    if session.get(Workspace, workspace_id) is None:
        raise WorkspaceNotFound(f"workspace {workspace_id}")
    table = table_of(ColumnMapping)
    for field_name, header in mapping.items():
        if not field_name or not header:
            raise InvalidValue("a column answer needs a field and a header")
        session.execute(
            sa.delete(table).where(
                table.c.workspace_id == workspace_id,
                table.c.signature == signature,
                table.c.field == field_name,
            )
        )
        session.add(
            ColumnMapping(
                workspace_id=workspace_id, signature=signature, field=field_name, header=header
            )
        )
    session.flush()


def add_pending_upload(
    session: Session,
    *,
    workspace_id: int,
    user_id: int | None,
    file_id: str,
    filename: str | None,
    caption: str | None,
    signature: str,
    kind: str,
    headers: list[str],
    missing: list[str],
) -> PendingUpload:
    """Keep an upload that waits for column answers (the oldest beyond `MAX_PENDING` go)."""
    if session.get(Workspace, workspace_id) is None:
        raise WorkspaceNotFound(f"workspace {workspace_id}")
    row = PendingUpload(
        workspace_id=workspace_id,
        user_id=user_id,
        file_id=file_id,
        filename=filename,
        caption=caption,
        signature=signature,
        kind=kind,
        headers=list(headers),
        missing=list(missing),
        answers={},
    )
    session.add(row)
    session.flush()
    keep = (
        select(PendingUpload.id)
        .where(PendingUpload.workspace_id == workspace_id)
        .order_by(col(PendingUpload.id).desc())
        .limit(MAX_PENDING)
    )
    table = table_of(PendingUpload)
    session.execute(
        sa.delete(table).where(
            table.c.workspace_id == workspace_id, table.c.id.not_in(keep.scalar_subquery())
        )
    )
    return row


def get_pending_upload(
    session: Session, *, workspace_id: int, pending_id: int
) -> PendingUpload | None:
    """The workspace's waiting upload with that id."""
    stmt = select(PendingUpload).where(
        PendingUpload.id == pending_id, PendingUpload.workspace_id == workspace_id
    )
    return session.exec(stmt).first()


def answer_pending_upload(
    session: Session, *, workspace_id: int, pending_id: int, field: str, header: str
) -> PendingUpload | None:
    """Record one answer ("`field` is the column `header`"); None when nothing waits."""
    row = get_pending_upload(session, workspace_id=workspace_id, pending_id=pending_id)
    if row is None:
        return None
    if field not in row.missing or header not in row.headers:
        raise InvalidValue(f"{field!r} / {header!r} is not a question of this upload")
    row.answers = {**row.answers, field: header}
    session.add(row)
    session.flush()
    return row


def drop_pending_upload(session: Session, *, workspace_id: int, pending_id: int) -> None:
    """Forget a waiting upload (imported, or given up)."""
    table = table_of(PendingUpload)
    session.execute(
        sa.delete(table).where(table.c.id == pending_id, table.c.workspace_id == workspace_id)
    )


def session_data_hash(session: Session, *, session_id: int) -> str:
    """A fingerprint of everything stored for a session (pushes, minute and viewer rows,
    imports): equal fingerprints mean a summary built from them says the same."""
    parts: list[str] = []
    for table, columns in (
        (table_of(Snapshot), ("online", "gmv", "orders", "buyers", "viewers")),
        (table_of(MinuteRow), ("online", "gmv", "orders", "buyers", "entries", "exits")),
        (table_of(ViewerRow), ("watch_time_s", "spend", "purchase_amount", "likes")),
    ):
        aggregates = [sa.func.count(), sa.func.max(table.c.id), sa.func.sum(table.c.id)]
        aggregates += [sa.func.sum(table.c[c]) for c in columns]
        if "import_id" in table.c:
            aggregates.append(sa.func.sum(table.c.import_id))
        row = session.execute(sa.select(*aggregates).where(table.c.session_id == session_id)).one()
        parts.append("|".join(_canonical(v) for v in row))
    imports = session.execute(
        sa.select(sa.func.count(), sa.func.max(ImportRecord.id)).where(
            col(ImportRecord.session_id) == session_id
        )
    ).one()
    parts.append("|".join(_canonical(v) for v in imports))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _canonical(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def summary_hashes(session: Session, *, key: str) -> list[str]:
    """The data fingerprints the summary `key` (`summary:<id>`) was already sent with."""
    row = session.exec(select(ScheduledSend).where(ScheduledSend.key == key)).first()
    if row is None or not row.payload:
        return []
    return [str(h) for h in row.payload.get("sent_hashes") or []]


def remember_summary_hash(session: Session, *, key: str, data_hash: str) -> bool:
    """Note on the summary row `key` that a summary of data `data_hash` went out; False
    when the session has no summary row (nothing scheduled to hold back)."""
    row = session.exec(select(ScheduledSend).where(ScheduledSend.key == key)).first()
    if row is None:
        return False
    payload = dict(row.payload or {})
    hashes = [str(h) for h in payload.get("sent_hashes") or []]
    if data_hash not in hashes:
        hashes.append(data_hash)
    payload["sent_hashes"] = hashes[-10:]
    row.payload = payload
    session.add(row)
    session.flush()
    return True


def claim_summary_sending(
    session: Session,
    *,
    key: str,
    data_hash: str,
    by: str,
    now: datetime,
    hold_s: float,
    just_sent_s: float,
) -> Literal["claimed", "underway", "just_sent"] | None:
    """Note on the summary row ``key`` that ``by`` is sending the summary of ``data_hash``
    ("claimed"), unless another sender's mark for the same data says it is being sent
    (younger than ``hold_s`` seconds: "underway") or went out less than ``just_sent_s``
    seconds ago ("just_sent"). None when the session has no summary row (nothing to race
    with). The row is locked for the check."""
    stmt = select(ScheduledSend).where(ScheduledSend.key == key).with_for_update()
    row = session.exec(stmt).first()
    if row is None:
        return None
    payload = dict(row.payload or {})
    mark = payload.get("sending") or {}
    if mark.get("hash") == data_hash and mark.get("by") != by:
        age = (now - datetime.fromisoformat(str(mark.get("at")))).total_seconds()
        if mark.get("done") and age < just_sent_s:
            return "just_sent"
        if not mark.get("done") and age < hold_s:
            return "underway"
    payload["sending"] = {"hash": data_hash, "by": by, "at": now.isoformat()}
    row.payload = payload
    session.add(row)
    session.flush()
    return "claimed"


def release_summary_sending(
    session: Session, *, key: str, by: str, now: datetime, sent: bool
) -> None:
    """``by`` is done with the summary row ``key``: its mark notes when the summary went
    out (``sent``), or is taken off (it gave up); another's mark stays."""
    stmt = select(ScheduledSend).where(ScheduledSend.key == key).with_for_update()
    row = session.exec(stmt).first()
    if row is None or not row.payload:
        return
    mark = row.payload.get("sending") or {}
    if mark.get("by") != by:
        return
    payload = dict(row.payload)
    if sent:
        payload["sending"] = {**mark, "at": now.isoformat(), "done": True}
    else:
        del payload["sending"]
    row.payload = payload
    session.add(row)
    session.flush()
