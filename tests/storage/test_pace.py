"""Send pacing shared through the database (GCRA rows in `send_pace`), on both backends."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.engine import Engine

from storage import repositories as repo
from storage.engine import session_scope, upgrade
from storage.errors import InvalidValue

T0 = 1_800_000_000.0
GLOBAL = repo.Pace("global", 1 / 28)
CHAT = repo.Pace("chat:7", 1.0, burst=3)


def reserve(engine: Engine, pace: repo.Pace, now: float | None = T0) -> float:
    """The wait for a send under `pace` alone (always reserved)."""
    slot = slot_for(engine, pace, now=now)
    assert slot.reserved
    return slot.wait


def slot_for(
    engine: Engine, pace: repo.Pace, chat: repo.Pace | None = None, now: float | None = T0
) -> repo.Slot:
    with session_scope(engine) as session:
        return repo.reserve_send(session, pace=pace, chat=chat, now=now)


def test_even_pace_spaces_sends_one_interval_apart(engine: Engine) -> None:
    waits = [reserve(engine, GLOBAL) for _ in range(5)]
    assert waits == pytest.approx([i / 28 for i in range(5)], abs=1e-5)
    # later, the queue has drained: the next send goes at once
    assert reserve(engine, GLOBAL, now=T0 + 10) == 0.0


def test_burst_goes_at_once_then_one_per_interval(engine: Engine) -> None:
    waits = [reserve(engine, CHAT) for _ in range(5)]
    assert waits == pytest.approx([0, 0, 0, 1, 2], abs=1e-5)
    # at T0 + 4.5 the last send (T0 + 2) is 2.5 s behind: 2.5 sends' worth of burst
    later = [reserve(engine, CHAT, now=T0 + 4.5) for _ in range(3)]
    assert later == pytest.approx([0, 0, 0.5], abs=1e-5)


def test_a_chat_held_back_takes_no_global_slot(engine: Engine) -> None:
    for i in range(3):
        assert slot_for(engine, GLOBAL, CHAT) == repo.Slot(
            pytest.approx(i / 28, abs=1e-5), reserved=True
        )
    # the chat's burst is spent: come back in 1 s (its sends left at 0, 1/28, 2/28)
    held = slot_for(engine, GLOBAL, CHAT)
    assert held == repo.Slot(pytest.approx(1.0, abs=1e-5), reserved=False)
    # ...and the global queue did not move for it
    assert reserve(engine, GLOBAL) == pytest.approx(3 / 28, abs=1e-5)
    # at T0 + 1 the chat allows its fourth send; it takes the next global slot
    late = slot_for(engine, GLOBAL, CHAT, now=T0 + 1)
    assert late == repo.Slot(0.0, reserved=True)


def test_the_chat_pace_counts_from_when_the_send_leaves(engine: Engine) -> None:
    """A send queued 2 s on the global pace leaves at T0 + 2: its chat's burst is counted
    from there, not from when it was reserved."""
    slow = repo.Pace("global", 1.0)
    assert reserve(engine, slow) == 0.0
    assert reserve(engine, slow) == pytest.approx(1.0, abs=1e-5)
    chat = repo.Pace("chat:5", 1.0, burst=1)
    assert slot_for(engine, slow, chat) == repo.Slot(pytest.approx(2.0, abs=1e-5), reserved=True)
    # the chat's next send conforms at T0 + 3 (one interval after T0 + 2)
    assert slot_for(engine, slow, chat, now=T0 + 2.5) == repo.Slot(
        pytest.approx(0.5, abs=1e-5), reserved=False
    )


def test_keys_do_not_share_a_pace(engine: Engine) -> None:
    other = repo.Pace("chat:8", 1.0, burst=1)
    assert reserve(engine, other) == 0.0
    assert reserve(engine, repo.Pace("chat:9", 1.0, burst=1)) == 0.0
    assert reserve(engine, other) == pytest.approx(1.0, abs=1e-5)


def test_the_database_clock_is_used_when_no_time_is_given(engine: Engine) -> None:
    first = reserve(engine, repo.Pace("db-clock", 0.5), now=None)
    second = reserve(engine, repo.Pace("db-clock", 0.5), now=None)
    assert first == 0.0
    assert 0.4 < second <= 0.5


def test_idle_keys_are_forgotten(engine: Engine) -> None:
    reserve(engine, CHAT)
    reserve(engine, GLOBAL, now=T0 + 100)
    with session_scope(engine) as session:
        assert repo.forget_idle_paces(session, before=T0 + 50) == 1
    # the chat starts afresh; the global key kept its place
    assert reserve(engine, CHAT, now=T0 + 100) == 0.0
    assert reserve(engine, GLOBAL, now=T0 + 100) == pytest.approx(1 / 28, abs=1e-5)


@pytest.mark.parametrize("pace", [("", 1.0, 1), ("k", 0.0, 1), ("k", -1.0, 1), ("k", 1.0, 0)])
def test_invalid_paces_are_refused(pace: tuple[str, float, int]) -> None:
    with pytest.raises(InvalidValue):
        repo.Pace(*pace)


def _from_two_instances(make_test_engine, calls: int, call) -> list:  # type: ignore[no-untyped-def]
    """``call(engine)`` ``calls`` times from each of four threads on two engines (two
    instances), all started together: every result (an error in a thread fails here)."""
    engines = [make_test_engine() for _ in range(2)]
    upgrade(engines[0])
    results: list[object] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker(engine: Engine) -> None:
        try:
            start.wait()
            for _ in range(calls):
                got = call(engine)
                with lock:
                    results.append(got)
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(engines[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_concurrent_reservations_from_several_engines_never_share_a_slot(
    make_test_engine,
) -> None:
    """Two instances (engines) reserving at once from four threads, all at the same
    moment: every send gets a slot of its own (none lost, none shared), one interval apart,
    with the row lock (or SQLite's write lock) ordering them."""
    pace = repo.Pace("global", 0.01)
    waits = _from_two_instances(make_test_engine, 25, lambda engine: reserve(engine, pace))
    assert sorted(waits) == pytest.approx([i * 0.01 for i in range(100)], abs=1e-5)


def claim(engine: Engine, key: str, now: float | None = T0, every: float = 3600.0) -> bool:
    with session_scope(engine) as session:
        return repo.claim_once_per(session, key=key, every=every, now=now)


def test_once_an_hour_per_key(engine: Engine) -> None:
    assert claim(engine, "alert:KeyError@bot/x.py:1")
    assert not claim(engine, "alert:KeyError@bot/x.py:1", now=T0 + 3599)
    assert claim(engine, "alert:ValueError@bot/x.py:1", now=T0 + 10)  # another kind
    assert claim(engine, "alert:KeyError@bot/x.py:1", now=T0 + 3600)
    assert not claim(engine, "alert:KeyError@bot/x.py:1", now=T0 + 3601)
    # forgotten once idle, it is as if never claimed
    with session_scope(engine) as session:
        repo.forget_idle_paces(session, before=T0 + 3 * 3600)
    assert claim(engine, "alert:KeyError@bot/x.py:1", now=T0 + 3 * 3600)
    assert claim(engine, "alert:database clock", now=None)
    assert not claim(engine, "alert:database clock", now=None)
    with pytest.raises(InvalidValue):
        claim(engine, "", every=1.0)


def test_concurrent_claims_from_several_engines_give_exactly_one(make_test_engine) -> None:  # type: ignore[no-untyped-def]
    """Two instances meeting the same error at once from four threads: one alert."""
    won = _from_two_instances(make_test_engine, 5, lambda e: claim(e, "alert:same", now=None))
    assert len(won) == 20 and won.count(True) == 1
