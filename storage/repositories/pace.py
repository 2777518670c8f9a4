"""Send pacing shared through the database: Telegram's limits hold across instances.

Each paced key (``global``, ``chat:<id>``) is one `send_pace` row holding the theoretical
arrival time ``tat`` of its next send (GCRA, the generic cell rate algorithm): under a pace
of one send per ``interval`` with a burst of ``burst``, a send at ``s`` conforms when
``s >= tat - (burst - 1) * interval`` and moves ``tat`` to ``max(tat, s) + interval``.

:func:`reserve_send` queues a send on the global pace (the reply says how long to wait for
its slot) and first checks the chat's own pace, if it has one, without queueing: a send its
chat holds back must not hold a global slot meanwhile, and the chat's ``tat`` moves by the
time the send really leaves. All in one transaction: on PostgreSQL the rows' locks
order the instances and the clock is the database's, so instances whose clocks differ
still share one schedule.

:func:`claim_once_per` is the same row put to a limit of one in ``every`` seconds with no
queue: the bot's admins get at most one alert an hour per kind of error, whichever
instance met it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlmodel import Session

from storage.errors import InvalidValue
from storage.repositories._common import dialect_name, placeholder

__all__ = ["Pace", "Slot", "claim_once_per", "forget_idle_paces", "reserve_send"]

_PG_NOW = "CAST(extract(epoch FROM clock_timestamp()) AS DOUBLE PRECISION)"


@dataclass(frozen=True, slots=True)
class Pace:
    """A limit of one send per ``interval`` seconds on ``key``, ``burst`` at once."""

    key: str
    interval: float
    burst: int = 1

    def __post_init__(self) -> None:
        if not self.key or self.interval <= 0 or self.burst < 1:
            raise InvalidValue(f"invalid pace {self!r}")

    @property
    def tolerance(self) -> float:
        return (self.burst - 1) * self.interval


@dataclass(frozen=True, slots=True)
class Slot:
    """The answer to a reservation: send after ``wait`` seconds when ``reserved``; else
    nothing was taken and the chat's pace allows the send in ``wait`` seconds: ask again."""

    wait: float
    reserved: bool


def reserve_send(
    session: Session, *, pace: Pace, chat: Pace | None = None, now: float | None = None
) -> Slot:
    """Reserve the next send under ``pace`` (queued: slots one after another), unless
    ``chat`` (checked first, not queued) does not allow a send yet.

    ``now`` is seconds since the epoch; None takes the database's clock on PostgreSQL and
    this machine's on SQLite. The caller commits (one short transaction a send).
    """
    postgres = dialect_name(session) == "postgresql"
    p = placeholder(session)
    connection = session.connection()
    if now is None and not postgres:
        now = time.time()
    clock = p if now is not None else _PG_NOW
    clock_args = (now,) if now is not None else ()
    greatest = "GREATEST" if postgres else "MAX"

    if chat is not None:
        # one statement makes the row if need be and holds it (PostgreSQL's row lock, or
        # SQLite's write lock) until the commit: no other reservation reads it meanwhile
        chat_tat, at = connection.exec_driver_sql(
            f"INSERT INTO send_pace (key, tat) VALUES ({p}, 0) "
            f"ON CONFLICT (key) DO UPDATE SET tat = send_pace.tat RETURNING tat, {clock}",
            (chat.key, *clock_args),
        ).one()
        early = float(chat_tat) - chat.tolerance - float(at)
        if early > 0:
            return Slot(early, reserved=False)

    start = (*clock_args, pace.interval)  # clock + interval
    tat, at = connection.exec_driver_sql(
        f"INSERT INTO send_pace (key, tat) VALUES ({p}, {clock} + {p}) "
        f"ON CONFLICT (key) DO UPDATE SET tat = {greatest}(send_pace.tat, {clock}) + {p} "
        f"RETURNING tat, {clock}",
        (pace.key, *start, *start, *clock_args),
    ).one()
    wait = max(0.0, float(tat) - pace.interval - pace.tolerance - float(at))
    if chat is not None:
        leaves = float(at) + wait
        connection.exec_driver_sql(
            f"UPDATE send_pace SET tat = {greatest}(tat, {p}) + {p} WHERE key = {p}",
            (leaves, chat.interval, chat.key),
        )
    return Slot(wait, reserved=True)


def forget_idle_paces(session: Session, *, before: float) -> int:
    """Drop the keys whose next send was due before ``before`` (epoch seconds): a key
    that idle has its whole burst again, exactly as if it had no row. The rows dropped."""
    p = placeholder(session)
    result = session.connection().exec_driver_sql(
        f"DELETE FROM send_pace WHERE tat < {p}", (before,)
    )
    return int(result.rowcount or 0)


def claim_once_per(session: Session, *, key: str, every: float, now: float | None = None) -> bool:
    """Whether the caller may act on ``key`` now: True, and the next allowed moment set
    ``every`` seconds on, when nobody on this database did within the last ``every``
    seconds; else False and nothing changes. ``now`` as in :func:`reserve_send`. The caller
    commits."""
    if not key or every <= 0:
        raise InvalidValue(f"invalid claim {key!r} every {every!r}")
    postgres = dialect_name(session) == "postgresql"
    p = placeholder(session)
    if now is None and not postgres:
        now = time.time()
    clock = p if now is not None else _PG_NOW
    clock_args = (now,) if now is not None else ()
    row = (
        session.connection()
        .exec_driver_sql(
            f"INSERT INTO send_pace (key, tat) VALUES ({p}, {clock} + {p}) "
            f"ON CONFLICT (key) DO UPDATE SET tat = {clock} + {p} "
            f"WHERE send_pace.tat <= {clock} RETURNING tat",
            (key, *clock_args, every, *clock_args, every, *clock_args),
        )
        .first()
    )
    return row is not None
