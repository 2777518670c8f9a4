"""Live sessions: go live, push the numbers seen on screen, end the stream."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.services.figures import refresh_session_figures
from bot.settings_input import currencies_of_symbol, currency_from_symbol
from bot.statparse import KINDS, Ignored, parse_stats
from storage import repositories as repo
from storage.engine import session_scope
from storage.errors import SessionAlreadyOpen
from storage.models import row_id

__all__ = [
    "TITLE_LIMIT",
    "EndLiveResult",
    "GoLiveResult",
    "StatResult",
    "UndoResult",
    "answered_pushes",
    "cap_title",
    "end_live",
    "go_live",
    "note_answer",
    "push_stat",
    "undo_push",
]

RECENT_WINDOW_S = 600.0


@dataclass(frozen=True, slots=True)
class GoLiveResult:
    session_id: int
    title: str
    created: bool
    duplicate: bool = False
    """This very message was applied before (a redelivery, maybe to another instance)."""


@dataclass(frozen=True, slots=True)
class EndLiveResult:
    session_id: int
    title: str
    duration_s: float
    duplicate: bool = False
    """This very message was applied before (a redelivery, maybe to another instance)."""
    summary_due: datetime | None = None
    """When the summary scheduled with the close is due (None when none was scheduled)."""
    summary_state: Literal["pending", "sent", "none"] = "pending"
    """For a duplicate: whether the ended session's summary is still to come (due at
    `summary_due`), went out, or is not scheduled (then /summary gives it)."""


StatStatus = Literal["ok", "duplicate", "no_session", "bad_values", "nothing"]


@dataclass(slots=True)
class StatResult:
    """A push: what was stored (or why not), what was left out, and what it means live.

    `bad_values`: nothing in it read as a value (`ignored` says why); `nothing`: no number at
    all. `lambda_per_s` and the half-lives are the attention model's; the reply turns them into
    words about stay and leaving."""

    status: StatStatus
    values: dict[str, float] = field(default_factory=dict)
    ignored: list[Ignored] = field(default_factory=list)
    currency: str | None = None  # the workspace's (ISO code), after this push
    session_id: int | None = None
    changes: dict[str, float] = field(default_factory=dict)
    since_s: float | None = None  # from the previous push
    live_s: float | None = None  # from /golive (the session's start)
    lambda_per_s: float | None = None
    half_life_s: float | None = None
    recent_lambda_per_s: float | None = None
    recent_half_life_s: float | None = None
    recent_window_s: float = RECENT_WINDOW_S
    attention_reason: str | None = None
    """Why the pushes cannot carry an attention figure yet (see core.attention)."""
    foreign_currency: str | None = None
    """The currency (ISO code) of money typed in another one than the workspace's: those
    values were not stored."""
    suspicious: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Running totals that look mistyped beside the push before (``core.figures.
    implausible_step``): key → ("jump", "fall" or "swing", the previous reading)."""


@dataclass(frozen=True, slots=True)
class UndoResult:
    """/undo: the push taken back (its values) and the session's latest reading of each of
    those figures afterwards; or why nothing was taken back."""

    status: Literal["removed", "no_session", "nothing", "not_found", "already"]
    session_id: int | None = None
    removed: dict[str, float] = field(default_factory=dict)
    now: dict[str, float] = field(default_factory=dict)


TITLE_LIMIT = 100
"""Characters of a session title kept (a longer one is cut and ends with …)."""


def cap_title(title: str) -> str:
    """The title as stored: at most `TITLE_LIMIT` characters."""
    if len(title) <= TITLE_LIMIT:
        return title
    return title[: TITLE_LIMIT - 1].rstrip() + "…"


def go_live(
    engine: Engine,
    *,
    workspace_id: int,
    title: str,
    now: datetime,
    chat_id: int,
    message_id: int,
) -> GoLiveResult:
    """Open a session, or return the one already open (one open per workspace).

    The message is recorded first: a second delivery of it (to this or another instance,
    even while the first is still being applied) gets `duplicate=True` and changes nothing.
    A title is stored at most `TITLE_LIMIT` characters long.
    """
    title = cap_title(title)
    with session_scope(engine) as session:
        first_time = repo.mark_update_processed(
            session, chat_id=chat_id, message_id=message_id, kind="golive"
        )
        if not first_time:
            last = repo.last_session(session, workspace_id=workspace_id)
            return GoLiveResult(
                row_id(last) if last is not None else 0,
                (last.title or "") if last is not None else "",
                created=False,
                duplicate=True,
            )
        current = repo.get_open_session(session, workspace_id=workspace_id)
        if current is not None:
            return GoLiveResult(row_id(current), current.title or "", created=False)
        try:
            live = repo.open_session(
                session, workspace_id=workspace_id, title=title, started_at=now
            )
        except SessionAlreadyOpen:
            session.rollback()
            current = repo.get_open_session(session, workspace_id=workspace_id)
            assert current is not None
            return GoLiveResult(row_id(current), current.title or "", created=False)
        return GoLiveResult(row_id(live), live.title or "", created=True)


def end_live(
    engine: Engine,
    *,
    workspace_id: int,
    now: datetime,
    chat_id: int | None = None,
    message_id: int | None = None,
    summary_delay_s: float | None = None,
) -> EndLiveResult | None:
    """Close the open session; None when there is none.

    With `chat_id` and `message_id` the message is recorded in the same transaction: a second
    delivery of it gets `duplicate=True` and closes nothing (not even a session opened since).
    """
    with session_scope(engine) as session:
        if chat_id is not None and message_id is not None:
            first_time = repo.mark_update_processed(
                session, chat_id=chat_id, message_id=message_id, kind="endlive"
            )
            if not first_time:
                return _ended_before(session, workspace_id)
        current = repo.get_open_session(session, workspace_id=workspace_id)
        if current is None:
            return None
        closed = repo.close_session(session, session_id=row_id(current), ended_at=now)
        due: datetime | None = None
        refresh_session_figures(session, row_id(closed))
        if summary_delay_s is not None:  # the summary is scheduled in the same transaction
            from bot.services.summaries import schedule_summary

            due = _utc(now) + timedelta(seconds=summary_delay_s)
            schedule_summary(
                session, session_id=row_id(closed), workspace_id=workspace_id, due_at=due
            )
        started = _utc(closed.started_at)
        duration = (_utc(now) - started).total_seconds()
        return EndLiveResult(
            row_id(closed), closed.title or "", max(duration, 0.0), summary_due=due
        )


def _ended_before(session: Session, workspace_id: int) -> EndLiveResult:
    """What an /endlive applied before closed: the session that ended last, and where its
    summary is."""
    from bot.services.summaries import summary_key

    last = repo.last_ended_session(session, workspace_id=workspace_id)
    if last is None or last.ended_at is None:
        return EndLiveResult(0, "", 0.0, duplicate=True, summary_state="none")
    duration = (_utc(last.ended_at) - _utc(last.started_at)).total_seconds()
    send = repo.get_send(session, key=summary_key(row_id(last)))
    state: Literal["pending", "sent", "none"] = "none"
    due: datetime | None = None
    if send is not None and send.status == "sent":
        state = "sent"
    elif send is not None and send.status in ("pending", "claimed"):
        state, due = "pending", _utc(send.due_at)
    return EndLiveResult(
        row_id(last),
        last.title or "",
        max(duration, 0.0),
        duplicate=True,
        summary_due=due,
        summary_state=state,
    )


def push_stat(
    engine: Engine,
    *,
    workspace_id: int,
    text: str,
    now: datetime,
    dedupe_key: str,
    author_id: int | None = None,
) -> StatResult:
    """Parse a push, store what it understood as a snapshot of the open session at `now`
    (the message's own date) with who sent it, and say what it means. Parts that did not
    read are named in `ignored` and never keep the others from being stored."""
    parsed = parse_stats(text)
    if not parsed.values:
        if parsed.ignored:
            return StatResult("bad_values", ignored=parsed.ignored)
        return StatResult("nothing")
    values, ignored = dict(parsed.values), list(parsed.ignored)
    foreign: str | None = None
    with session_scope(engine) as session:
        held: str | None = None
        if parsed.currency:
            ws = repo.get_workspace(session, workspace_id=workspace_id)
            held = ws.currency if ws is not None else None
            if held is not None and held not in currencies_of_symbol(parsed.currency):
                # money in another currency than the workspace's is not mixed in
                foreign = currency_from_symbol(parsed.currency) or parsed.currency
                for key in [k for k in values if KINDS.get(k) == "money"]:
                    amount = f"{values.pop(key):,.2f}".rstrip("0").rstrip(".")
                    ignored.append(Ignored(f"{parsed.currency}{amount}", "other_currency", key))
        if not values:
            return StatResult(
                "bad_values", ignored=ignored, currency=held, foreign_currency=foreign
            )
        pushed = repo.record_push(
            session,
            workspace_id=workspace_id,
            ts=now,
            values=values,
            dedupe_key=dedupe_key,
            author_id=author_id,
        )
        if pushed.status == "ok" and parsed.currency and foreign is None:
            from bot.services.workspaces import note_currency_symbol

            # the first money symbol a host types sets the workspace's currency
            currency = note_currency_symbol(session, workspace_id, parsed.currency)
        else:
            ws = repo.get_workspace(session, workspace_id=workspace_id)
            currency = ws.currency if ws is not None else None
    result = StatResult(
        pushed.status,
        values,
        ignored,
        currency,
        session_id=pushed.session_id,
        foreign_currency=foreign,
    )
    if pushed.status == "ok":
        if pushed.started_at is not None:
            result.live_s = max((_utc(now) - pushed.started_at).total_seconds(), 0.0)
        _describe(result, pushed.rows, pushed.started_at)
    return result


def note_answer(engine: Engine, *, dedupe_keys: Sequence[str], answer_id: int) -> None:
    """Remember that the bot's message `answer_id` answered these pushes, for an /undo
    sent later as a reply to it."""
    with session_scope(engine) as session:
        repo.note_push_answer(session, dedupe_keys=dedupe_keys, answer_id=answer_id)


def answered_pushes(
    engine: Engine, *, workspace_id: int, answer_id: int
) -> list[repo.AnsweredPush]:
    """The open session's pushes the bot's message `answer_id` answered."""
    with session_scope(engine) as session:
        return repo.pushes_answered(session, workspace_id=workspace_id, answer_id=answer_id)


UNDO_ONCE_S = 30 * 86400.0
"""How long an /undo message is remembered as done (a redelivery takes nothing more)."""


def undo_push(
    engine: Engine,
    *,
    workspace_id: int,
    dedupe_key: str | None = None,
    request_key: str | None = None,
) -> UndoResult:
    """Take back a push of the open session: the one from the message ``dedupe_key``
    names, else the latest. Says what it held and what the session reads now. The same
    request (``request_key``: the /undo message) takes back one push only, even when it is
    delivered again."""
    with session_scope(engine) as session:
        if request_key is not None and not repo.claim_once_per(
            session, key=f"undo:{request_key}", every=UNDO_ONCE_S
        ):
            return UndoResult("already")
        removed = repo.remove_push(session, workspace_id=workspace_id, dedupe_key=dedupe_key)
        if removed.status != "removed" or removed.session_id is None:
            return UndoResult(removed.status, removed.session_id)
        rows = repo.snapshot_rows(session, session_id=removed.session_id)
    now = {}
    for key in removed.values:
        latest = next((r[key] for r in reversed(rows) if r.get(key) is not None), None)
        if latest is not None:
            now[key] = float(latest)
    return UndoResult("removed", removed.session_id, dict(removed.values), now)


def _describe(
    result: StatResult, rows: list[dict[str, Any]], started_at: datetime | None = None
) -> None:
    """Fill the change since the last push, the readings that look mistyped and the live
    attention from the session's pushes (plain rows and numpy: this runs on every push)."""
    from core.figures import implausible_step

    if len(rows) >= 2:
        last, earlier = rows[-1], rows[:-1]
        start = _utc(started_at) if started_at is not None else _utc(rows[0]["ts"])
        for key in result.values:
            before = next((r for r in reversed(earlier) if r.get(key) is not None), None)
            if before is None or last.get(key) is None:
                continue
            previous = float(before[key])
            result.changes[key] = float(last[key]) - previous
            kind = implausible_step(
                key,
                previous,
                (_utc(before["ts"]) - start).total_seconds(),
                float(last[key]),
                (_utc(last["ts"]) - start).total_seconds(),
            )
            if kind is not None:
                result.suspicious[key] = (kind, previous)
        result.since_s = (_utc(last["ts"]) - _utc(earlier[-1]["ts"])).total_seconds()
    if not rows:
        return
    estimate, recent = push_attention(rows)
    if estimate is None or not _finite(estimate.lambda_per_s, estimate.half_life_s):
        return
    if not estimate.supported:
        result.attention_reason = estimate.reason
        return
    result.lambda_per_s = estimate.lambda_per_s
    result.half_life_s = estimate.half_life_s
    if recent is not None:
        result.recent_lambda_per_s = recent.lambda_per_s
        result.recent_half_life_s = recent.half_life_s


def push_attention(rows: list[dict[str, Any]]) -> tuple[Any, Any]:
    """The attention estimates of a session's pushes (rows with ``ts``, ``online``,
    ``entries``, ``viewers``): :func:`core.attention.from_push_series` over the last
    ``RECENT_WINDOW_S`` for the recent one."""
    import numpy as np

    from core import attention

    if not rows:
        return None, None
    start = _utc(rows[0]["ts"])
    t = np.array([(_utc(r["ts"]) - start).total_seconds() for r in rows], dtype=float)

    def column(key: str) -> np.ndarray:
        return np.array([_nan(r[key]) for r in rows], dtype=float)

    return attention.from_push_series(
        t,
        column("online"),
        column("entries"),
        column("viewers"),
        recent_window_s=RECENT_WINDOW_S,
    )


def _finite(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) and v > 0 for v in values)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _utc(ts: datetime) -> datetime:
    from datetime import UTC

    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
