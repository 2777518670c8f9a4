"""The limiter's paces against the fake Bot API's flood control: whatever the pattern of
sends (fan-outs, one chat flooded, busy groups), none is ever refused with a 429."""

from __future__ import annotations

import asyncio
import heapq
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bot.services.sending import GLOBAL_RATE, MemoryPaces, PacedRateLimiter
from fakebot.models import Limits
from fakebot.server import _FloodControl
from storage import repositories as repo
from storage.engine import session_scope
from storage.repositories import Pace

CHATS = [1, 2, 3, 4, 5, -100, -200, "@channel"]


def send_times(arrivals: list[tuple[float, int | str]]) -> list[tuple[float, int | str]]:
    """When each send leaves, the limiter's loop run on a simulated clock: a send held back
    by its chat asks again when told; a reserved one leaves after its wait."""
    clock = [0.0]
    paces = MemoryPaces(clock=lambda: clock[0])
    limiter = PacedRateLimiter(paces=paces)
    events = [(at, seq, chat) for seq, (at, chat) in enumerate(arrivals)]
    heapq.heapify(events)
    sent: list[tuple[float, int | str]] = []
    while events:
        at, seq, chat = heapq.heappop(events)
        clock[0] = at
        slot = paces.reserve_now(limiter.global_pace, limiter.chat_pace(chat))
        if slot.reserved:
            sent.append((at + slot.wait, chat))
        else:
            heapq.heappush(events, (at + slot.wait, seq, chat))
    return sorted(sent, key=lambda item: item[0])


def refused(sent: list[tuple[float, int | str]]) -> int:
    flood, limits = _FloodControl(), Limits()
    return sum(flood.acquire(limits, chat, at) is not None for at, chat in sent)


# bursts: `count` sends to one chat at one moment (a fan-out is many bursts of one)
burst = st.tuples(st.floats(0, 60, allow_nan=False), st.sampled_from(CHATS), st.integers(1, 25))


@settings(max_examples=200, deadline=None)
@given(st.lists(burst, max_size=30))
def test_no_pattern_of_sends_is_refused(bursts: list[tuple[float, int | str, int]]) -> None:
    arrivals = [(at, chat) for at, chat, count in bursts for _ in range(count)]
    sent = send_times(arrivals)
    assert len(sent) == len(arrivals)
    assert refused(sent) == 0


def test_a_fan_out_leaves_at_the_global_rate() -> None:
    sent = send_times([(0.0, chat) for chat in range(1, 281)])
    assert sent[-1][0] == pytest.approx(279 / GLOBAL_RATE)
    assert refused(sent) == 0


def test_unpaced_sends_would_be_refused() -> None:
    """The check above can fail: the same fan-out sent as it comes is refused."""
    assert refused([(0.0, chat) for chat in range(1, 281)]) > 0
    assert refused([(i * 0.5, -100) for i in range(30)]) > 0  # a group, 2 a second


async def _fan_out_with_a_stall(limiter: PacedRateLimiter, sends: int) -> list[float]:
    """`sends` sends to as many chats through the limiter, the event loop blocked for
    0.25 s one second in (as by work holding the interpreter): when each left."""
    left: list[float] = []

    async def send() -> bool:
        left.append(time.monotonic())
        return True

    async def stall() -> None:
        await asyncio.sleep(1.0)
        time.sleep(0.25)

    await asyncio.gather(
        stall(),
        *(
            limiter.process_request(send, (), {}, "sendMessage", {"chat_id": chat}, None)
            for chat in range(1, sends + 1)
        ),
    )
    return sorted(left)


async def test_sends_held_back_by_a_stall_do_not_crowd_the_second_after_it() -> None:
    left = await _fan_out_with_a_stall(PacedRateLimiter(), 90)
    assert len(left) == 90
    assert refused([(at, chat) for chat, at in enumerate(left, start=1)]) == 0


async def test_without_the_window_a_stall_would_bring_a_429() -> None:
    """The check above can fail: on the schedule alone, the sends the stall held back and
    the ones after it on time are too many for one second."""
    limiter = PacedRateLimiter()
    limiter.window_sends = 10_000
    left = await _fan_out_with_a_stall(limiter, 90)
    assert refused([(at, chat) for chat, at in enumerate(left, start=1)]) > 0


def test_a_group_gets_a_burst_then_one_each_four_seconds() -> None:
    sent = send_times([(0.0, -100)] * 6)
    assert [round(at, 3) for at, _ in sent] == [0.0, 0.036, 0.071, 0.107, 4.0, 8.0]


def test_a_chat_id_that_is_not_a_chat_is_paced_globally_only() -> None:
    limiter = PacedRateLimiter(paces=MemoryPaces())
    assert limiter.chat_pace(None) is None and limiter.chat_pace("") is None
    assert limiter.chat_pace(True) is None
    assert limiter.chat_pace(7) == Pace("chat:7", 1.05, 3)
    assert limiter.chat_pace(-7) == Pace("chat:-7", 4.0, 4)


def test_memory_and_database_paces_follow_the_same_rules(engine: Engine) -> None:
    """`MemoryPaces` (one process) and `reserve_send` (several instances) give the same
    slots for the same sends: a fan-out, a flooded private chat and a busy group, mixed."""
    t0 = 1_800_000_000.0
    clock = [t0]
    memory = MemoryPaces(clock=lambda: clock[0])
    limiter = PacedRateLimiter(paces=memory)
    chats: list[int | str] = [7, 7, 7, 7, 8, -100, -100, -100, -100, -100, 9, 7, "@channel"]
    held = 0
    for step, chat in enumerate(chats):
        clock[0] = t0 + step * 0.2
        pace = limiter.chat_pace(chat)
        in_memory = memory.reserve_now(limiter.global_pace, pace)
        with session_scope(engine) as session:
            stored = repo.reserve_send(session, pace=limiter.global_pace, chat=pace, now=clock[0])
        assert stored.reserved == in_memory.reserved, (step, chat)
        assert stored.wait == pytest.approx(in_memory.wait, abs=1e-5), (step, chat)
        held += not stored.reserved
    assert held == 2  # the private chat's fourth send and the group's fifth wait their turn


async def _fan_out_to_a_stalling_server(limiter: PacedRateLimiter, sends: int) -> list[float]:
    """`sends` sends to as many chats through the limiter to a server that answers each in
    5 ms but stops reading for 0.4 s one second in (a stall on the other side, or requests
    held in a connection pool): when each arrived."""
    arrived: list[float] = []
    stalled_until = [0.0]
    started = time.monotonic()

    async def send() -> bool:
        await asyncio.sleep(0.005)
        now = time.monotonic()
        if stalled_until[0] == 0.0 and now - started >= 1.0:
            stalled_until[0] = now + 0.4
        if now < stalled_until[0]:
            await asyncio.sleep(stalled_until[0] - now)
        arrived.append(time.monotonic())
        return True

    await asyncio.gather(
        *(
            limiter.process_request(send, (), {}, "sendMessage", {"chat_id": chat}, None)
            for chat in range(1, sends + 1)
        )
    )
    return sorted(arrived)


async def test_sends_held_up_on_the_other_side_do_not_arrive_together() -> None:
    limiter = PacedRateLimiter()
    arrived = await _fan_out_to_a_stalling_server(limiter, 90)
    assert len(arrived) == 90
    assert refused([(at, chat) for chat, at in enumerate(arrived, start=1)]) == 0
    assert limiter._in_flight == 0  # every send that left was answered


class _CountedAsTheyLeave(PacedRateLimiter):
    """The window as it was: sends counted when they left, their answers not awaited."""

    async def _leave(self) -> None:
        while True:
            now = self._clock()
            while self._answered and self._answered[0] <= now - self.WINDOW_S:
                self._answered.popleft()
            if len(self._answered) < self.window_sends:
                self._answered.append(now)
                return
            await asyncio.sleep(self._answered[0] + self.WINDOW_S - now + 0.001)

    def _answered_now(self) -> None:
        pass


async def test_counting_sends_as_they_leave_lets_a_stall_on_the_other_side_through() -> None:
    """The check above can fail: counted as they leave, the sends that left on time during
    the other side's stall arrive together after it, with the ones on time after it."""
    arrived = await _fan_out_to_a_stalling_server(_CountedAsTheyLeave(), 90)
    assert len(arrived) == 90
    assert refused([(at, chat) for chat, at in enumerate(arrived, start=1)]) > 0


async def test_sends_to_one_chat_leave_in_the_order_they_were_made() -> None:
    """A group's pace holds several sends at once (answers, a session closed, its
    summary): they leave in the order they were made, never the summary before the
    answer that says it is coming."""
    limiter = PacedRateLimiter(group_interval=0.03, group_burst=1)
    left: list[int] = []

    async def made(k: int) -> None:
        await asyncio.sleep(0.004 * k)

        async def send() -> bool:
            left.append(k)
            return True

        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": -100}, None)

    await asyncio.gather(*(made(k) for k in range(30)))
    assert left == list(range(30))
    assert not limiter._turns  # nothing is kept for a chat with no send waiting
