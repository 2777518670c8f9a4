# mypy: disable-error-code="arg-type"
"""The bot killed with SIGKILL at random moments while 500 updates stream in, on SQLite and
PostgreSQL: nothing lost, nothing applied twice, every user answered.

The bot runs as a real process (`livehost run`, polling; forked from one that has done the
imports, see `BotProcess`) against the fake Bot API in this test's event loop. 100 private chats send 5 updates each — /start, /golive, pushes,
file uploads, /sessions, /forget and the press of its "Cancel" button — all queued at once
(the presses as soon as the confirmation they answer is there). The bot is killed with
SIGKILL after a seeded random time, restarted at once, killed again, and so on; after the
last restart it runs until every update is done.

Then: every update is in the inbox and done (none lost); each chat has one workspace, one
session, one snapshot per push and each uploaded file once with all its rows (none applied
twice, and in order: a push applied before its chat's /golive would have found no session);
and each update has its own answer in the chat.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fakebot import FakeBotApi
from storage.engine import session_scope, upgrade
from storage.models import (
    ImportRecord,
    InboxUpdate,
    LiveSession,
    Snapshot,
    ViewerRow,
    Workspace,
)

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
CHATS = 100
FIRST_CHAT = 3001
VIEWER_ROWS = 1500
KILLS = int(os.environ.get("CRASH_KILLS", "6"))
SEED = int(os.environ.get("CRASH_SEED", "20261129"))

EXPECTED = {
    "start": re.compile(r"How to use me"),
    "golive": re.compile(r"is open|is still open"),
    "stat": re.compile(r"Got it|already stored"),
    "upload": re.compile(r"Imported|already imported"),
    "sessions": re.compile(r"Sessions:"),
}


@dataclass
class Chat:
    chat_id: int
    plan: list[str]
    pushes: int = 0
    files: int = 0
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    pressed: int | None = None
    done: bool = False


def plans() -> list[list[str]]:
    """Five updates a chat, three shapes of chat."""
    out = []
    for i in range(CHATS):
        if i % 5 < 3:
            out.append(["start", "golive", "stat", "stat", "stat"])
        elif i % 5 == 3:
            out.append(["start", "golive", "upload", "stat", "sessions"])
        else:
            out.append(["start", "forget", "press", "golive", "stat"])
    return out


def viewers_csv(chat_id: int) -> bytes:
    lines = ["user_id,watch_time,likes,comments,shares,purchase_frequency,purchase_amount"]
    lines += [
        f"c{chat_id}u{i:05d},{(i * 37) % 540 + 1},{i % 4},{i % 3},0,{i % 2},{i % 7 * 9.5}"
        for i in range(VIEWER_ROWS)
    ]
    return ("\n".join(lines) + "\n").encode()


def url_for_child(engine: Engine) -> str:
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "postgresql":
        return url
    with engine.connect() as connection:
        schema = str(connection.execute(sa.text("SELECT current_schema()")).scalar_one())
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


class BotProcess:
    """`livehost run` in a process of its own, started again after each kill.

    A start forks a parent process that has done the bot's imports (and nothing else: no
    thread, no event loop, no connection), so a restart costs what a start of the bot costs
    — reading the settings, building the application, opening the database, the start-up
    requests — not the start of Python and its imports. The bot runs in the child; SIGKILL
    takes it down whatever it is doing."""

    def __init__(self, api: FakeBotApi, database_url: str, workdir: Path, log: Path) -> None:
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            LIVEHOST_BOT_TOKEN=api.token,
            LIVEHOST_TELEGRAM_API_URL=api.url,
            LIVEHOST_DATABASE_URL=database_url,
            LIVEHOST_MODELS_DIR=str(workdir / "models"),
            LIVEHOST_DEFAULT_TIMEZONE="Asia/Shanghai",
            LIVEHOST_UPDATE_LEASE_SECONDS="2",
            LIVEHOST_MAX_MESSAGES_PER_SECOND="400",
        )
        self.log = log
        self.pid: int | None = None
        with log.open("a") as out:
            self.forks = subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.test_crash", str(log)],
                cwd=workdir,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=out,
                text=True,
            )

    async def _ask(self, command: str) -> str:
        assert self.forks.stdin is not None and self.forks.stdout is not None
        self.forks.stdin.write(command + "\n")
        self.forks.stdin.flush()
        return (await asyncio.to_thread(self.forks.stdout.readline)).strip()

    async def start(self) -> None:
        answer = await self._ask("start")
        assert answer.isdigit(), answer
        self.pid = int(answer)

    async def kill(self) -> None:
        assert self.pid is not None
        os.kill(self.pid, signal.SIGKILL)
        assert (await self._ask(f"wait {self.pid}")) == "gone"
        self.pid = None

    async def stop(self) -> None:
        """Stop the bot with SIGTERM (waited for off the event loop: the fake Bot API in it
        answers the bot's last requests), then the process that forks it."""
        try:
            if self.pid is not None:
                os.kill(self.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(self._ask(f"wait {self.pid}"), 30)
                except TimeoutError:
                    os.kill(self.pid, signal.SIGKILL)
                self.pid = None
        finally:
            self.forks.kill()
            self.forks.wait(timeout=30)


def _child(log: str) -> int:
    """The process that forks the bot: imports first, then a bot process for each `start`
    (its pid is the answer), `wait PID` answers `gone` once that process has ended."""
    import bot.app  # noqa: F401  (what a start imports, before any start)

    for line in sys.stdin:
        command, *rest = line.split()
        if command == "wait":
            os.waitpid(int(rest[0]), 0)
            print("gone", flush=True)
            continue
        pid = os.fork()
        if pid:
            print(pid, flush=True)
            continue
        try:  # the bot: its output to the log, nothing from the test's pipes
            out = os.open(log, os.O_WRONLY | os.O_APPEND)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out, 1)
            os.dup2(out, 2)
            from bot.cli import main

            code = main(["run"])
        except BaseException:
            code = 1
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    return 0


def queue(api: FakeBotApi, chat: Chat, kind: str) -> None:
    cid = chat.chat_id
    if kind == "upload":
        chat.files += 1
        update = api.send_document(cid, viewers_csv(cid), "viewers.csv")
    elif kind == "stat":
        chat.pushes += 1
        update = api.send_text(cid, f"/stat online={100 + chat.pushes} gmv={chat.pushes}k")
    elif kind == "golive":
        update = api.send_text(cid, "/golive crash test")
    else:
        update = api.send_text(cid, f"/{kind}")
    chat.sent.append((kind, update))


def feed(api: FakeBotApi, chats: list[Chat]) -> None:
    """Queue each chat's updates up to its button press (queued once the confirmation is
    there, see `press_ready`)."""
    for chat in chats:
        for kind in chat.plan:
            if kind == "press":
                break
            queue(api, chat, kind)


class Replies:
    """The bot's messages in each chat in their current state, kept up to date from the fake
    Bot API's record of calls (read once a tick from where it was left, rather than all the
    messages sorted again for each chat)."""

    SHOWN = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup"})

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.read = 0
        self.messages: dict[int | str, dict[int, str]] = {}
        self.cancel_buttons: dict[int | str, tuple[int, str]] = {}

    def refresh(self) -> None:
        calls = self.api.sent
        for call in calls[self.read :]:
            chat, message_id = call.chat_id, call.message_id
            if chat is None or message_id is None:
                continue
            if call.method in self.SHOWN or call.method == "editMessageText":
                self.messages.setdefault(chat, {})[message_id] = call.text or ""
            elif call.method == "deleteMessage":
                self.messages.get(chat, {}).pop(message_id, None)
            data = [d for d in call.button_data if d.startswith("forget:no:")]
            if call.method in self.SHOWN and data and chat not in self.cancel_buttons:
                self.cancel_buttons[chat] = (message_id, data[0])
        self.read = len(calls)

    def texts(self, chat_id: int) -> list[str]:
        return list(self.messages.get(chat_id, {}).values())


def press_ready(api: FakeBotApi, replies: Replies, chats: list[Chat]) -> None:
    replies.refresh()
    for chat in chats:
        if "press" not in chat.plan or chat.pressed is not None:
            continue
        confirm = replies.cancel_buttons.get(chat.chat_id)
        if confirm is None:
            continue
        chat.pressed, data = confirm
        update = api.press_button(chat.chat_id, chat.pressed, data)
        chat.sent.append(("press", update))
        for kind in chat.plan[chat.plan.index("press") + 1 :]:
            queue(api, chat, kind)


def answered(replies: Replies, chat: Chat) -> bool:
    """Each update has its own answer: as many matching messages as updates of each kind,
    and the pressed confirmation now says it was cancelled."""
    if chat.done:
        return True
    texts = replies.texts(chat.chat_id)
    wanted = Counter(kind for kind, _ in chat.sent if kind in EXPECTED)
    for kind, count in wanted.items():
        if sum(bool(EXPECTED[kind].search(text)) for text in texts) < count:
            return False
    if "press" in chat.plan:
        if chat.pressed is None:
            return False
        if "Cancelled" not in replies.messages.get(chat.chat_id, {}).get(chat.pressed, ""):
            return False
    chat.done = len(chat.sent) == len(chat.plan)  # answers are never taken back
    return chat.done


def database_state(engine: Engine) -> dict[str, Any]:
    with session_scope(engine) as session:
        inbox = dict(
            session.execute(
                sa.select(InboxUpdate.status, sa.func.count()).group_by(InboxUpdate.status)
            ).all()
        )
        ids = set(session.execute(sa.select(InboxUpdate.update_id)).scalars())
        workspaces = dict(
            session.execute(
                sa.select(Workspace.chat_id, sa.func.count()).group_by(Workspace.chat_id)
            ).all()
        )
        sessions = dict(
            session.execute(
                sa.select(Workspace.chat_id, sa.func.count())
                .join(LiveSession, LiveSession.workspace_id == Workspace.id)
                .group_by(Workspace.chat_id)
            ).all()
        )
        snapshots = dict(
            session.execute(
                sa.select(Workspace.chat_id, sa.func.count())
                .join(LiveSession, LiveSession.workspace_id == Workspace.id)
                .join(Snapshot, Snapshot.session_id == LiveSession.id)
                .group_by(Workspace.chat_id)
            ).all()
        )
        imports = dict(
            session.execute(
                sa.select(Workspace.chat_id, sa.func.count())
                .join(ImportRecord, ImportRecord.workspace_id == Workspace.id)
                .group_by(Workspace.chat_id)
            ).all()
        )
        viewers = dict(
            session.execute(
                sa.select(Workspace.chat_id, sa.func.count())
                .join(LiveSession, LiveSession.workspace_id == Workspace.id)
                .join(ViewerRow, ViewerRow.session_id == LiveSession.id)
                .group_by(Workspace.chat_id)
            ).all()
        )
    return {
        "inbox": inbox,
        "ids": ids,
        "workspaces": workspaces,
        "sessions": sessions,
        "snapshots": snapshots,
        "imports": imports,
        "viewers": viewers,
    }


def polls_of(api: FakeBotApi) -> int:
    return sum(r.method.lower() == "getupdates" for r in api.requests)


async def wait_until(
    condition: Callable[[], bool], timeout: float, tick: Callable[[], None]
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tick()
        if condition():
            return True
        await asyncio.sleep(0.25)
    return False


async def test_kill_9_at_random_moments_loses_nothing_and_applies_nothing_twice(
    make_test_engine: Callable[[], Engine], backend: str, tmp_path: Path
) -> None:
    engine = make_test_engine()
    upgrade(engine)  # the bot's own start would do it too; done here once, off the clock
    rng = random.Random(f"{SEED}-{backend}")
    log = tmp_path / "bot.log"
    chats = [Chat(FIRST_CHAT + i, plan) for i, plan in enumerate(plans())]
    started = time.monotonic()
    async with FakeBotApi() as api:
        replies = Replies(api)
        bot = BotProcess(api, url_for_child(engine), tmp_path, log)
        try:
            polls = polls_of(api)
            await bot.start()
            feed(api, chats)
            kills = 0
            for _ in range(KILLS):
                # a random moment after the new process has begun to poll
                await wait_until(
                    lambda n=polls: polls_of(api) > n, 60, lambda: press_ready(api, replies, chats)
                )
                pause = rng.uniform(0.2, 2.5)
                await wait_until(lambda: False, pause, lambda: press_ready(api, replies, chats))
                await bot.kill()
                kills += 1
                polls = polls_of(api)
                await bot.start()
            done = await wait_until(
                lambda: all(answered(replies, chat) for chat in chats),
                120,
                lambda: press_ready(api, replies, chats),
            )
            state = database_state(engine)
            if done:  # the last update is answered: let its done mark land
                await wait_until(
                    lambda: set(database_state(engine)["inbox"]) == {"done"}, 15, lambda: None
                )
                state = database_state(engine)
        finally:
            await bot.stop()
        replies.refresh()
        for chat in chats:  # checked again from the messages as they are now
            chat.done = False
        unanswered = [c.chat_id for c in chats if not answered(replies, c)]
        cut_off = sum(
            "cut off by a restart" in (m.text or "")
            for c in chats
            for m in api.messages_to(c.chat_id)
        )
        sent_ids = {int(u["update_id"]) for c in chats for _, u in c.sent}
        for chat in [c for c in chats if c.chat_id in unanswered][:3]:
            print(
                chat.chat_id,
                [k for k, _ in chat.sent],
                [(m.text or "")[:40] for m in api.messages_to(chat.chat_id)],
            )
    elapsed = time.monotonic() - started
    print(
        f"{backend}: {len(sent_ids)} updates, {kills} kills, {cut_off} imports started again, "
        f"{elapsed:.1f} s; inbox {state['inbox']}"
    )
    if unanswered or not done:
        print(log.read_text(errors="replace")[-6000:])

    assert len(sent_ids) == CHATS * 5 == 500
    # none lost: every update stored and done
    assert sent_ids <= state["ids"], sorted(sent_ids - state["ids"])[:10]
    assert state["inbox"] == {"done": len(state["ids"])}, state["inbox"]
    # none applied twice, each in its chat's order
    for chat in chats:
        cid = chat.chat_id
        assert state["workspaces"].get(cid) == 1, cid
        assert state["sessions"].get(cid) == 1, cid
        assert state["snapshots"].get(cid, 0) == chat.pushes, (cid, state["snapshots"].get(cid))
        assert state["imports"].get(cid, 0) == chat.files, cid
        assert state["viewers"].get(cid, 0) == chat.files * VIEWER_ROWS, cid
    # every user answered, and no update was given up on
    assert not unanswered, unanswered[:10]
    assert "given up" not in log.read_text(errors="replace")
    assert kills == KILLS


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
