"""A summary is not sent twice for the same data: the fingerprint of a session's data is
kept with its sent summary and compared before the scheduler sends it, and while one
sender (the scheduled summary, or a /summary) is sending the summary of some data, a
second sender of the same data stands back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.engine import Engine

from storage import repositories as repo
from storage.engine import session_scope

__all__ = [
    "JUST_SENT_S",
    "SCHEDULED",
    "SENDING_HOLD_S",
    "claim_summary_sending",
    "release_summary_sending",
    "remember_summary",
    "summary_fingerprint",
    "summary_is_stale_repeat",
]

SENDING_HOLD_S = 120.0
"""How long a sender's mark holds others back: a summary in a group, paced, is sent
within a minute; a mark left by a sender that died lapses after this."""
JUST_SENT_S = 30.0
"""A summary of the same data asked for this soon after it went out is the one just
above (two people in a group typing /summary at once)."""
SCHEDULED = "scheduled"
"""The sender name of the scheduled summary (a /summary names itself uniquely)."""


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


def claim_summary_sending(
    engine: Engine, *, session_id: int, fingerprint: str, by: str, now: datetime | None = None
) -> Literal["claimed", "underway", "just_sent"]:
    """Whether ``by`` may send the summary of this data now ("claimed"), or another sender
    is sending it ("underway") or sent it moments ago ("just_sent"). For a session with
    no summary row (nothing scheduled), a sender that began on the same data less than
    :data:`JUST_SENT_S` ago counts as under way."""
    at = now or datetime.now(UTC)
    with session_scope(engine) as session:
        got = repo.claim_summary_sending(
            session,
            key=_key(session_id),
            data_hash=fingerprint,
            by=by,
            now=at,
            hold_s=SENDING_HOLD_S,
            just_sent_s=JUST_SENT_S,
        )
        if got is not None:
            return got
        # nothing scheduled (an imported stream): one sender of this data per moment
        first = repo.claim_once_per(
            session,
            key=f"{_key(session_id)}:{fingerprint[:16]}",
            every=JUST_SENT_S,
            now=at.timestamp(),
        )
    return "claimed" if first else "underway"


def release_summary_sending(
    engine: Engine, *, session_id: int, by: str, sent: bool, now: datetime | None = None
) -> None:
    """``by`` is done: it ``sent`` the summary (others stand back for a moment), or gave up."""
    with session_scope(engine) as session:
        repo.release_summary_sending(
            session, key=_key(session_id), by=by, now=now or datetime.now(UTC), sent=sent
        )
