"""Processed Telegram updates: a state change is applied once per (chat, message)."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import ProcessedUpdate
from storage.repositories._common import insert_ignore

__all__ = ["is_update_processed", "mark_update_processed"]


def mark_update_processed(session: Session, *, chat_id: int, message_id: int, kind: str) -> bool:
    """Record the update; False when it was recorded before (then do not apply it again).

    Call it in the transaction that applies the change, so both land or neither does.
    """
    candidate = ProcessedUpdate(chat_id=chat_id, message_id=message_id, kind=kind)
    return insert_ignore(session, candidate, conflict=["chat_id", "message_id"]) is not None


def is_update_processed(session: Session, *, chat_id: int, message_id: int) -> bool:
    """Whether the update was recorded."""
    stmt = select(ProcessedUpdate.id).where(
        ProcessedUpdate.chat_id == chat_id, ProcessedUpdate.message_id == message_id
    )
    return session.exec(stmt).first() is not None
