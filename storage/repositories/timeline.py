"""The stream's timeline told from chat (products presented, events) and the products of a
session from a platform's product export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlmodel import Session

from storage.errors import InvalidValue, SessionNotFound
from storage.models import (
    MARK_LABEL_MAX,
    PRODUCT_COLUMNS,
    PRODUCT_NAME_MAX,
    TIMELINE_KINDS,
    LiveSession,
    ProductRow,
    TimelineMark,
)
from storage.repositories._common import as_utc, dialect_name, insert_ignore, placeholder, table_of
from storage.repositories.bulk import Rows, _as_frame, _columns, _require_session
from storage.repositories.bulk import _insert as _insert_rows
from storage.repositories.frames import Spec, read_frame

__all__ = [
    "MARK_SPEC",
    "PRODUCT_SPEC",
    "add_mark",
    "bulk_insert_products",
    "marks_frame",
    "products_frame",
    "workspace_marks_frame",
]

MARK_SPEC: Spec = (("ts", "ts"), ("kind", "text"), ("label", "text"), ("product_no", "float"))
PRODUCT_SPEC: Spec = tuple(
    (name, "text" if name in ("product_id", "name") else "float") for name in PRODUCT_COLUMNS
)


def _cap(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text[:limit] or None


def add_mark(
    session: Session,
    *,
    session_id: int,
    ts: datetime,
    kind: str,
    dedupe_key: str,
    label: str | None = None,
    product_no: int | None = None,
) -> TimelineMark | None:
    """Store a mark on a session's timeline; None when `dedupe_key` was seen before."""
    if kind not in TIMELINE_KINDS:
        raise InvalidValue(f"kind: {kind!r} is not one of {', '.join(TIMELINE_KINDS)}")
    if product_no is not None and (isinstance(product_no, bool) or product_no < 0):
        raise InvalidValue(f"product_no: {product_no!r} is not a link number")
    if session.get(LiveSession, session_id) is None:
        raise SessionNotFound(f"session {session_id}")
    mark = TimelineMark(
        session_id=session_id,
        ts=as_utc(ts, "ts"),
        kind=kind,
        label=_cap(label, MARK_LABEL_MAX),
        product_no=product_no,
        dedupe_key=dedupe_key,
    )
    new_id = insert_ignore(session, mark, conflict=["dedupe_key"])
    if new_id is None:
        return None
    return session.get(TimelineMark, new_id)


def marks_frame(session: Session, *, session_id: int) -> pd.DataFrame:
    """The session's marks in time order: `ts`, `kind`, `label`, `product_no` (NaN if none)."""
    ph = placeholder(session)
    cols = ", ".join(name for name, _ in MARK_SPEC)
    sql = f"SELECT {cols} FROM timeline_mark WHERE session_id = {ph} ORDER BY ts, id"
    frame = read_frame(session, sql, (session_id,), MARK_SPEC)
    return _none_for_missing_labels(frame)


def workspace_marks_frame(
    session: Session, *, workspace_id: int, kinds: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Marks of every session of a workspace (`session_id` first), oldest first."""
    ph = placeholder(session)
    spec: Spec = (("session_id", "float"), *MARK_SPEC)
    cols = ", ".join(f"m.{name}" for name, _ in spec)
    where = f"s.workspace_id = {ph}"
    params: list[Any] = [workspace_id]
    if kinds:
        where += f" AND m.kind IN ({', '.join(ph for _ in kinds)})"
        params.extend(kinds)
    sql = (
        f"SELECT {cols} FROM timeline_mark m JOIN live_session s ON s.id = m.session_id "
        f"WHERE {where} ORDER BY m.ts, m.id"
    )
    frame = read_frame(session, sql, params, spec)
    frame["session_id"] = frame["session_id"].astype("int64")
    return _none_for_missing_labels(frame)


def _none_for_missing_labels(frame: pd.DataFrame) -> pd.DataFrame:
    labels = frame["label"].astype(object)
    frame["label"] = labels.where(labels.notna() & (labels != "None"), None)
    return frame


def products_frame(session: Session, *, session_id: int) -> pd.DataFrame:
    """The session's products (the frame of `core.products.PRODUCT_COLUMNS`), import order."""
    ph = placeholder(session)
    cols = ", ".join(name for name, _ in PRODUCT_SPEC)
    sql = f"SELECT {cols} FROM product_row WHERE session_id = {ph} ORDER BY id"
    frame = read_frame(session, sql, (session_id,), PRODUCT_SPEC)
    for name in ("product_id", "name"):
        values = frame[name].astype(object)
        frame[name] = values.where(values.notna() & (values != "None"), None)
    return frame


def bulk_insert_products(
    session: Session, *, session_id: int, rows: Rows, import_id: int | None = None
) -> int:
    """Store a session's products (names capped at 200 characters); returns the row count."""
    _require_session(session, session_id)
    table = table_of(ProductRow)
    frame = _as_frame(rows, table.name, PRODUCT_SPEC).copy()
    if "name" in frame.columns:
        frame["name"] = [
            _cap(str(v), PRODUCT_NAME_MAX) if v is not None and not pd.isna(v) else None
            for v in frame["name"]
        ]
    sqlite = dialect_name(session) == "sqlite"
    names, columns = _columns(frame, PRODUCT_SPEC, sqlite, ())
    constants = {"session_id": session_id, "import_id": import_id}
    return _insert_rows(session, table, constants, names, columns, len(frame))
