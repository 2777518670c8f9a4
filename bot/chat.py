"""`livehost chat`: talk to the real bot in a terminal, without a token.

The real Application runs against the in-repo fake Bot API (`fakebot`) on the loopback
interface, with a real database. Typed lines are messages from one user; `/upload FILE
[caption]` sends a file, `/press N` presses the button numbered N, `/reply [N] TEXT` sends
TEXT as a reply to the bot's latest message (N: the Nth latest), `/quit` (or end of input)
stops. The bot's messages are printed as they arrive: buttons numbered, photos saved to a
folder and their paths printed, alerts shown.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["ChatOptions", "run_chat"]

USER_ID = 424_242
GROUP_ID = -100_424_242
HELP = (
    "Type as a host would. /upload FILE [caption] sends a file, /press N presses button N, "
    "/reply [N] TEXT answers the bot's latest (or Nth latest) message, /quit ends. "
    "Photos go to {out}."
)


@dataclass(frozen=True)
class ChatOptions:
    """How `livehost chat` runs: the user's Telegram language, a group or a private chat."""

    lang: str = "en"
    group: bool = False
    out_dir: Path = Path("chat-out")
    settle_s: float = 0.8
    """Quiet time after which the bot is taken to have finished answering a line."""
    max_wait_s: float = 60.0
    summary_delay_s: float = 5.0


@dataclass
class _Screen:
    """What has been shown: the index into the fake's calls, and the numbered buttons."""

    out: IO[str]
    out_dir: Path
    shown: int = 0
    alerts: int = 0
    photos: int = 0
    buttons: list[tuple[int | str, int, str]] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    """Ids of the bot's messages shown, oldest first (for `/reply`)."""

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def run_chat(
    settings: Settings,
    options: ChatOptions,
    *,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
) -> int:
    """Run the conversation until /quit or the end of input; 0 when it ended cleanly."""
    return asyncio.run(_chat(settings, options, stdin or sys.stdin, stdout or sys.stdout))


_EPOCH_TENTHS = 17_356_896_000
"""2025-01-01 in tenths of a second: message ids count from there (they fit in 32 bits)."""


async def _chat(settings: Settings, options: ChatOptions, stdin: IO[str], out: IO[str]) -> int:
    from bot.app import ALLOWED_UPDATES, build_application
    from fakebot import FakeBotApi

    options.out_dir.mkdir(parents=True, exist_ok=True)
    screen = _Screen(out=out, out_dir=options.out_dir)
    # Update and message ids go on rising from one run to the next, as Telegram's do: the bot
    # remembers the ids it processed and would take a restarted count for replays.
    tenths = time.time_ns() // 100_000_000 - _EPOCH_TENTHS
    async with FakeBotApi(
        bot_username="livehost_bot", first_update_id=tenths, first_message_id=tenths
    ) as api:
        local = settings.model_copy(
            update={
                "bot_token": api.token,
                "telegram_api_url": api.url,
                "summary_delay_seconds": options.summary_delay_s,
                "webhook_url": "",
            }
        )
        app = build_application(local)
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        screen.say(HELP.format(out=options.out_dir))
        try:
            await _converse(api, screen, options, stdin, app.bot_data.engine)
        finally:
            await app.updater.stop()
            await app.stop()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
            await app.shutdown()
    return 0


async def _converse(
    api: Any, screen: _Screen, options: ChatOptions, stdin: IO[str], engine: Engine
) -> None:
    loop = asyncio.get_running_loop()
    chat_id = GROUP_ID if options.group else USER_ID
    who: dict[str, Any] = {
        "user_id": USER_ID,
        "language_code": options.lang,
        "chat_type": "supergroup" if options.group else "private",
    }
    if options.group:
        who["chat_title"] = "Live team"
    # what the bot says while the user is typing (a reply a group's pace held back, a nudge)
    watcher = asyncio.create_task(_watch(api, screen))
    try:
        while True:
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            if text.strip() in ("/quit", "/exit"):
                break
            update = _act(api, screen, chat_id, who, text.strip())
            if update is not None:
                await _wait_for_answer(api, screen, update, options)
            _show(api, screen)
        # what the bot still has to say after the last line: the answers to the updates
        # still in hand, the summary of a closed session
        deadline = loop.time() + options.summary_delay_s + options.max_wait_s
        while loop.time() < deadline and await loop.run_in_executor(None, _pending, engine):
            await asyncio.sleep(0.2)
            _show(api, screen)
        # a group gets a message each few seconds: the last answers may still be on their way
        from bot.services.sending import GROUP_INTERVAL

        quiet = GROUP_INTERVAL + 0.5 if options.group else None
        await _settle(api, screen, options, quiet_s=quiet)
        _show(api, screen)
    finally:
        watcher.cancel()


async def _watch(api: Any, screen: _Screen) -> None:
    while True:
        await asyncio.sleep(0.2)
        _show(api, screen)


def _pending(engine: Engine) -> bool:
    """Updates not yet handled, or a summary not yet sent."""
    from storage import repositories as repo
    from storage.engine import session_scope

    with session_scope(engine) as session:
        return bool(repo.unfinished_updates(session)) or bool(
            repo.pending_sends(session, kind="summary")
        )


def _act(
    api: Any, screen: _Screen, chat_id: int, who: dict[str, Any], text: str
) -> dict[str, Any] | None:
    """Queue what the typed line stands for; None when the line was handled here."""
    if text.startswith("/upload"):
        parts = text.split(maxsplit=2)
        if len(parts) < 2:
            screen.say("usage: /upload FILE [caption]")
            return None
        path = Path(parts[1]).expanduser()
        if not path.is_file():
            screen.say(f"no such file: {path}")
            return None
        caption = parts[2] if len(parts) > 2 else None
        return dict(
            api.send_document(chat_id, path.read_bytes(), path.name, caption=caption, **who)
        )
    if text.startswith("/press"):
        parts = text.split()
        number = parts[1] if len(parts) > 1 else ""
        if not number.isdigit() or not 1 <= int(number) <= len(screen.buttons):
            screen.say(f"no button {number or '?'}: {len(screen.buttons)} shown")
            return None
        target_chat, message_id, data = screen.buttons[int(number) - 1]
        press_who = {k: v for k, v in who.items() if k in ("user_id", "language_code")}
        try:
            return dict(api.press_button(target_chat, message_id, data, **press_who))
        except (KeyError, ValueError):
            screen.say("that button is gone")
            return None
    if text.startswith("/reply"):
        body, back = text.removeprefix("/reply").strip(), 1
        head, _, tail = body.partition(" ")
        if head.isdigit() and tail.strip():
            back, body = int(head), tail.strip()
        if not body or not 1 <= back <= len(screen.messages):
            screen.say(f"usage: /reply [N] TEXT ({len(screen.messages)} messages of the bot shown)")
            return None
        return dict(api.send_text(chat_id, body, reply_to=screen.messages[-back], **who))
    return dict(api.send_text(chat_id, text, **who))


async def _wait_for_answer(
    api: Any, screen: _Screen, update: dict[str, Any], options: ChatOptions
) -> None:
    """Wait until the bot has taken the update and then stayed quiet for a moment."""
    try:
        await api.wait_until(lambda: api.delivered(update), timeout=options.max_wait_s)
    except (TimeoutError, AssertionError):
        screen.say("(the bot did not take the message)")
        return
    await _settle(api, screen, options)


async def _settle(
    api: Any, screen: _Screen, options: ChatOptions, *, quiet_s: float | None = None
) -> None:
    """Show what the bot sends until it has been quiet for `quiet_s` (or the wait is over)."""
    quiet_s = options.settle_s if quiet_s is None else quiet_s
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.max_wait_s
    seen, quiet_since = len(api.sent), loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.1)
        _show(api, screen)
        if len(api.sent) != seen:
            seen, quiet_since = len(api.sent), loop.time()
        elif loop.time() - quiet_since >= quiet_s:
            return


def _show(api: Any, screen: _Screen) -> None:
    """Print every call the bot made since the last look."""
    calls = api.sent[screen.shown :]
    screen.shown += len(calls)
    for call in calls:
        _print_call(call, screen)


def _print_call(call: Any, screen: _Screen) -> None:
    from fakebot.models import html_to_text

    if call.method == "answerCallbackQuery":
        if call.text:
            screen.say(f"  (alert) {call.text}")
        return
    if call.method in ("sendChatAction", "deleteMessage"):
        return
    text = call.text
    if text and call.params.get("parse_mode") == "HTML":
        text = html_to_text(text)
    label = {"editMessageText": "bot (edited)", "editMessageReplyMarkup": None}.get(
        call.method, "bot"
    )
    if text and label:
        screen.say(f"{label}: {text}")
    if call.method.startswith("send") and call.message_id is not None:
        screen.messages.append(call.message_id)
    for upload in call.files:
        if upload.is_png:
            screen.photos += 1
            path = screen.out_dir / f"photo-{screen.photos:03d}.png"
            path.write_bytes(upload.data)
            screen.say(f"  [photo] {path}")
        elif upload.data:
            path = screen.out_dir / (upload.filename or f"file-{screen.photos:03d}")
            path.write_bytes(upload.data)
            screen.say(f"  [file] {path}")
    rows = (call.reply_markup or {}).get("inline_keyboard") or []
    message_id = call.message_id
    for row in rows:
        for button in row:
            if "callback_data" in button and message_id is not None and call.chat_id is not None:
                screen.buttons.append((call.chat_id, message_id, button["callback_data"]))
                screen.say(f"  [{len(screen.buttons)}] {button.get('text', '')}")
