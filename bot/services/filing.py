"""A summary is not sent twice for the same data: the fingerprint of a session's data is
kept with its sent summary and compared before the scheduler sends it."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from storage import repositories as repo
from storage.engine import session_scope

__all__ = ["remember_summary", "summary_fingerprint", "summary_is_stale_repeat"]


def _key(session_id: int) -> str:
    return f"summary:{session_id}"


def summary_fingerprint(engine: Engine, *, session_id: int) -> str:
    """The fingerprint of everything a summary of the session is built from."""
    with session_scope(engine) as session:
        return repo.session_data_hash(session, session_id=session_id)


def summary_is_stale_repeat(engine: Engine, *, session_id: int, fingerprint: str) -> bool:
    """True when a summary of exactly this data was already sent for the session."""
    with session_scope(engine) as session:
        return fingerprint in repo.summary_hashes(session, key=_key(session_id))


def remember_summary(engine: Engine, *, session_id: int, fingerprint: str) -> None:
    """Record that a summary of this data went out (on the session's summary row)."""
    with session_scope(engine) as session:
        repo.remember_summary_hash(session, key=_key(session_id), data_hash=fingerprint)
