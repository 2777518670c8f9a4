"""Sending within Telegram's limits, against the fake Bot API over HTTP: a retry_after pauses
only what it covers, texts and captions always fit, and a summary's parts are sent once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.error import NetworkError
from telegram.ext import ExtBot

from bot.services.sending import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    MemoryPaces,
    PacedRateLimiter,
    deliver,
    fit_text,
)
from fakebot import FakeBotApi, Limits, tiny_png
from fakebot.models import utf16_len

GROUP = -500
HOST = 1001


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[ExtBot[None]]:
    limiter = PacedRateLimiter(paces=MemoryPaces(), max_retries=3)
    ext = ExtBot(api.token, base_url=api.base_url, rate_limiter=limiter)
    async with ext:
        yield ext


# --------------------------------------------------------------------- retry_after


async def test_a_429_for_a_group_pauses_that_group_only(api: FakeBotApi, bot: ExtBot[None]) -> None:
    """The fake's own flood control: a group over its per-minute limit gets a long
    retry_after; a private chat's reply meanwhile goes out at once."""
    api.enforce_limits = True
    api.limits = Limits(group_per_minute=2)
    limiter = bot.rate_limiter
    assert isinstance(limiter, PacedRateLimiter)
    for i in range(2):
        await bot.send_message(GROUP, f"group {i}")
    flooded = asyncio.create_task(bot.send_message(GROUP, "group 2"))
    await api.wait_until(lambda: api.count_429 >= 1, timeout=5)
    await asyncio.sleep(0.2)  # the limiter has taken the 429 in
    started = time.monotonic()
    await bot.send_message(HOST, "/help answer")
    assert time.monotonic() - started < 2.0
    assert not flooded.done()  # the group still waits its turn
    assert [key for key, _ in limiter.pauses] == [f"chat:{GROUP}"]
    assert limiter.paused_for(f"chat:{HOST}") == 0.0
    assert limiter.paused_for(f"chat:{GROUP}") > 30
    flooded.cancel()


async def test_the_old_limiter_paused_everyone() -> None:
    """The check above can fail: PTB's AIORateLimiter holds every request on any 429."""
    from telegram.ext import AIORateLimiter

    async with FakeBotApi() as api:
        api.enforce_limits = True
        api.limits = Limits(group_per_minute=2)
        async with ExtBot(
            api.token, base_url=api.base_url, rate_limiter=AIORateLimiter(max_retries=1)
        ) as old:
            for i in range(2):
                await old.send_message(GROUP, f"group {i}")
            flooded = asyncio.create_task(old.send_message(GROUP, "group 2"))
            await api.wait_until(lambda: api.count_429 >= 1, timeout=5)
            await asyncio.sleep(0.2)
            private = asyncio.create_task(old.send_message(HOST, "/help answer"))
            await asyncio.sleep(2.0)
            assert not private.done()  # held up by the group's retry_after
            for task in (flooded, private):
                task.cancel()
            await asyncio.gather(flooded, private, return_exceptions=True)


def test_many_chats_refused_at_once_mean_a_global_pause() -> None:
    clock = [100.0]
    limiter = PacedRateLimiter(paces=MemoryPaces(), clock=lambda: clock[0])
    assert limiter.note_retry_after("chat:1", 5.0) == "chat:1"
    assert limiter.paused_for("chat:2") == 0.0
    assert limiter.note_retry_after("chat:2", 5.0) == "chat:2"
    assert limiter.note_retry_after("chat:3", 5.0) == "*"  # the third chat within 5 s
    assert limiter.paused_for("chat:9") == pytest.approx(5.0)
    assert limiter.paused_for(None) == pytest.approx(5.0)
    clock[0] += 5.0
    assert limiter.paused_for("chat:9") == 0.0
    assert limiter.note_retry_after(None, 2.0) == "*"  # no chat named: the bot's limit


async def test_a_retry_after_is_honoured_and_the_send_retried(
    api: FakeBotApi, bot: ExtBot[None]
) -> None:
    api.fail_next(
        "sendMessage",
        status=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        chat_id=HOST,
    )
    started = time.monotonic()
    await bot.send_message(HOST, "after the pause")
    assert time.monotonic() - started >= 1.0
    assert [m.text for m in api.messages_to(HOST)] == ["after the pause"]


# --------------------------------------------------------------------- limits


lines = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=300),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(lines, st.sampled_from([TEXT_LIMIT, CAPTION_LIMIT, 200]))
def test_a_fitted_text_fits_and_says_how_much_was_left_out(parts: list[str], limit: int) -> None:
    text = "\n".join(parts)
    fitted = fit_text(text, limit)
    assert utf16_len(fitted) <= limit
    if utf16_len(text) <= limit:
        assert fitted == text
        return
    kept = fitted.split("\n")
    note = kept[-1]
    if "more" in note or "还有" in note:
        left_out = int("".join(ch for ch in note if ch.isdigit()))
        assert kept[:-1] == parts[: len(kept) - 1] or kept[0].endswith("…")
        assert left_out == len(parts) - (len(kept) - 1)
    else:
        assert fitted.endswith("…")


def test_440_bad_values_are_summarised() -> None:
    text = "Not understood:\n" + "\n".join(f"• value {i}=abc{'x' * 20}" for i in range(440))
    fitted = fit_text(text)
    assert len(fitted) <= TEXT_LIMIT
    assert fitted.startswith("Not understood:\n• value 0=")
    assert fitted.rsplit("\n", 1)[1].startswith("…and ") and fitted.endswith(" more")
    assert fit_text("标题" * 3000).endswith("…")


async def test_every_reply_path_fits_whatever_it_is_given(
    api: FakeBotApi, bot: ExtBot[None]
) -> None:
    """The limiter shortens what would be refused: a text, an edit, a caption."""
    long = "\n".join(f"line {i} " + "x" * 50 for i in range(200))
    message = await bot.send_message(HOST, long)
    assert len(message.text or "") <= TEXT_LIMIT
    edited = await bot.edit_message_text(
        "edited\n" + long, chat_id=HOST, message_id=message.message_id
    )
    assert not isinstance(edited, bool) and len(edited.text or "") <= TEXT_LIMIT
    photo = await bot.send_photo(HOST, tiny_png(), caption=long)
    assert len(photo.caption or "") <= CAPTION_LIMIT
    assert "more" in (photo.caption or "")
    assert all(r.status == 200 for r in api.requests)


# --------------------------------------------------------------------- a summary's parts


async def test_a_failed_text_is_sent_again_alone(api: FakeBotApi, bot: ExtBot[None]) -> None:
    photos = [(f"chart{i}", tiny_png()) for i in range(3)]
    text = "Summary\n" + "\n".join("y" * 100 for _ in range(25))  # a caption and a message
    recorded: list[int] = []

    async def record(parts: int) -> None:
        recorded.append(parts)

    api.fail_next("sendMessage", status=500, description="Internal Server Error")
    with pytest.raises(NetworkError):
        await deliver(bot, HOST, text, photos, on_part=record)
    assert recorded == [1]  # the album went out, the text did not
    await deliver(bot, HOST, text, photos, skip=recorded[-1], on_part=record)
    assert recorded == [1, 2]
    assert len(api.calls("sendMediaGroup")) == 1
    assert len([c for c in api.calls("sendMessage") if c.result is not None]) == 1


async def test_without_the_record_the_album_would_be_sent_twice(
    api: FakeBotApi, bot: ExtBot[None]
) -> None:
    """The check above can fail: retried whole, the photos go out again."""
    photos = [(f"chart{i}", tiny_png()) for i in range(3)]
    text = "Summary\n" + "\n".join("y" * 100 for _ in range(25))
    api.fail_next("sendMessage", status=500, description="Internal Server Error")
    with pytest.raises(NetworkError):
        await deliver(bot, HOST, text, photos)
    await deliver(bot, HOST, text, photos)
    assert len(api.calls("sendMediaGroup")) == 2
