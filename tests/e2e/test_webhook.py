"""Webhook mode end to end: real Applications behind a tiny load balancer, the fake Bot API
posting updates with the secret header.

Two instances on one PostgreSQL database: each update takes effect once whichever instance
gets it, also when the same update reaches both at once, and the confirmation of a state
change is sent once. A request without the right secret gets 403 and changes nothing;
/healthz reports the database and the scheduler.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from telegram.ext import Application

from bot.app import build_application
from bot.cli import main as cli_main
from bot.config import Settings
from bot.services.sending import DatabasePaces, MemoryPaces, PacedRateLimiter
from bot.webhook import (
    HEALTH_PATH,
    MAX_BODY_BYTES,
    SECRET_HEADER,
    WEBHOOK_PATH,
    WebhookServer,
    check_webhook_settings,
    serve_webhook,
)
from fakebot import FakeBotApi
from storage.engine import make_engine, session_scope
from storage.models import InboxUpdate, LiveSession, Snapshot, Workspace
from tests.e2e.conftest import make_settings
from tests.utils.loadbalancer import LoadBalancer

SECRET = "s3cret-token_for-tests"
HOST = 1001
MALLORY = 6666


# --------------------------------------------------------------------------- the cluster


@dataclass
class Instance:
    app: Application  # type: ignore[type-arg]
    server: WebhookServer
    stop: asyncio.Event
    task: asyncio.Task[None]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@dataclass
class Cluster:
    api: FakeBotApi
    lb: LoadBalancer
    instances: list[Instance]
    engine: Engine
    http: aiohttp.ClientSession
    _help_marks: list[int] = field(default_factory=list)

    def count(self, model: type, **where: object) -> int:
        with session_scope(self.engine) as session:
            stmt = select(func.count()).select_from(model)
            for name, value in where.items():
                stmt = stmt.where(getattr(model, name) == value)
            return int(session.execute(stmt).scalar_one())

    async def say(self, chat_id: int, text: str, contains: str) -> dict[str, Any]:
        update = self.api.send_text(chat_id, text)
        await self.api.wait_for_message(chat_id, contains=contains, since=update, timeout=15)
        return update

    async def settle(self, chat_id: int) -> None:
        """Wait until the updates of the chat given before now are handled.

        A chat's updates are processed in order from the database whichever instance stored
        them, so once a `/help` sent now is answered, the updates before it are done.
        """
        update = self.api.send_text(chat_id, "/help")
        await self.api.wait_until(
            lambda: len(self.replies(chat_id, update, "How to use me")) >= 1, timeout=15
        )

    def replies(self, chat_id: int, update: dict[str, Any], contains: str) -> list[str]:
        """The bot's messages in the chat after `update` that contain `contains`."""
        after = int(update["message"]["message_id"])
        return [
            m.text
            for m in self.api.messages_to(chat_id)
            if m.text and m.message_id > after and contains in m.text
        ]

    async def post(self, instance: Instance, body: object, headers: dict[str, str]) -> int:
        async with self.http.post(
            instance.url + WEBHOOK_PATH, json=body, headers=headers
        ) as response:
            return response.status

    async def get_health(self, instance: Instance) -> tuple[int, dict[str, Any]]:
        async with self.http.get(instance.url + HEALTH_PATH) as response:
            return response.status, await response.json()


def webhook_settings(api: FakeBotApi, tmp_path: Path, lb: LoadBalancer) -> Settings:
    return make_settings(
        api,
        tmp_path,
        webhook_url=lb.url + WEBHOOK_PATH,
        webhook_secret=SECRET,
        listen="127.0.0.1",
        port=0,
    )


async def start_instance(settings: Settings, engine: Engine, *, register: bool) -> Instance:
    app = build_application(settings, engine=engine)
    stop, started = asyncio.Event(), asyncio.Event()
    servers: list[WebhookServer] = []
    task = asyncio.create_task(
        serve_webhook(
            app, settings, stop=stop, register=register, started=started, server_out=servers
        )
    )
    waiter = asyncio.create_task(started.wait())
    done, _ = await asyncio.wait({task, waiter}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        task.result()  # raises what went wrong
    assert started.is_set(), "the instance did not start within 60 s"
    return Instance(app, servers[0], stop, task)


@asynccontextmanager
async def cluster(tmp_path: Path, engines: list[Engine]) -> AsyncIterator[Cluster]:
    """One instance per engine behind the load balancer; the first registers the webhook."""
    lb = LoadBalancer()
    await lb.start()
    instances: list[Instance] = []
    async with FakeBotApi() as api, aiohttp.ClientSession() as http:
        try:
            settings = webhook_settings(api, tmp_path, lb)
            # started together: their migrations meet at the advisory lock
            instances = list(
                await asyncio.gather(
                    *(
                        start_instance(settings, engine, register=index == 0)
                        for index, engine in enumerate(engines)
                    )
                )
            )
            lb.backends = [instance.url + WEBHOOK_PATH for instance in instances]
            assert api.webhook is not None and api.webhook["secret_token"] == SECRET
            yield Cluster(api, lb, instances, engines[0], http)
        finally:
            for instance in instances:
                instance.stop.set()
            for instance in instances:
                with suppress(Exception):
                    await asyncio.wait_for(instance.task, 30)
            await lb.close()


# --------------------------------------------------------------------------- two instances


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_two_instances_on_one_database_apply_each_update_once(
    backend: str, make_test_engine: Callable[[], Engine], tmp_path: Path
) -> None:
    async with cluster(tmp_path, [make_test_engine(), make_test_engine()]) as c:
        # round robin: consecutive updates alternate between the instances
        await c.say(HOST, "/start", "LiveHost")
        await c.say(HOST, "/golive Two instances", "is open")
        for i in range(10):
            await c.say(HOST, f"/stat online={1000 + i} gmv={i}k", "Got it")
        taken = [instance.server.accepted for instance in c.instances]
        assert sum(taken) == 12 and min(taken) == 6, taken
        assert c.count(Snapshot) == 10
        assert c.count(LiveSession) == 1

        # the same update reaching both instances at once: stored once, answered once
        c.lb.fan_out = True
        stat = c.api.send_text(HOST, "/stat online=4242")
        await c.settle(HOST)
        assert c.count(Snapshot, online=4242) == 1
        assert len(c.replies(HOST, stat, "Got it")) == 1
        assert c.replies(HOST, stat, "already stored") == []

        end = c.api.send_text(HOST, "/endlive")
        await c.settle(HOST)
        assert len(c.replies(HOST, end, "closed after")) == 1
        assert c.replies(HOST, end, "No session is open") == []
        assert c.count(LiveSession, status="closed") == 1

        golive = c.api.send_text(HOST, "/golive Second")
        await c.settle(HOST)
        assert len(c.replies(HOST, golive, "is open")) == 1
        assert c.replies(HOST, golive, "still open") == []
        assert c.count(LiveSession) == 2 and c.count(LiveSession, status="open") == 1

        # the old /endlive delivered again (round robin) must not close the new session
        c.lb.fan_out = False
        marker = c.api.redeliver(end)
        await c.api.wait_until(lambda: c.api.deliveries[end["update_id"]] >= 2, timeout=10)
        await c.settle(HOST)
        assert c.count(LiveSession, status="open") == 1
        assert c.replies(HOST, golive, "closed after") == []
        assert marker["update_id"] == end["update_id"]
        assert c.api.webhook_errors == []


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_setting_changed_on_one_instance_shows_at_once_on_the_other(
    backend: str, make_test_engine: Callable[[], Engine], tmp_path: Path
) -> None:
    async with cluster(tmp_path, [make_test_engine(), make_test_engine()]) as c:
        await c.say(HOST, "/start", "LiveHost")  # instance 1
        await c.say(HOST, "/golive Coherent", "is open")  # instance 2 (caches nothing)
        await c.say(HOST, "/lang zh", "语言已设为中文")  # instance 1
        await c.say(HOST, "/stat online=1200", "已记录")  # instance 2, no wait
        await c.say(HOST, "/lang en", "Language: English")  # instance 1
        await c.say(HOST, "/stat online=1300", "Got it")  # instance 2
        assert [instance.server.accepted for instance in c.instances] == [3, 3]
        for instance in c.instances:
            assert not instance.app.bot_data.cache_workspaces


async def burst_from_both(c: Cluster, first_chat: int, chats: int, shared_chat: int) -> float:
    """Each instance sends to `chats` chats of its own and three times to `shared_chat`,
    all at once; the seconds it took."""
    started = time.monotonic()
    sends = []
    for index, instance in enumerate(c.instances):
        base = first_chat + index * chats
        sends += [
            instance.app.bot.send_message(chat_id=base + i, text=f"digest {i}")
            for i in range(chats)
        ]
        sends += [
            instance.app.bot.send_message(chat_id=shared_chat, text=f"from {index}: {i}")
            for i in range(3)
        ]
    await asyncio.gather(*sends)
    return time.monotonic() - started


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_two_instances_share_telegrams_limits(
    backend: str, make_test_engine: Callable[[], Engine], tmp_path: Path
) -> None:
    """30 messages a second and 1 a second per private chat (a burst of 3) are the bot's
    limits, not an instance's: the fake Bot API enforces them (429 past them), and two
    instances sending flat out at once stay within them together."""
    async with cluster(tmp_path, [make_test_engine(), make_test_engine()]) as c:
        for instance in c.instances:
            assert isinstance(instance.app.bot.rate_limiter, PacedRateLimiter)
            assert isinstance(instance.app.bot.rate_limiter.paces, DatabasePaces)
        c.api.enforce_limits = True
        took = await burst_from_both(c, 70_000, chats=25, shared_chat=69_999)
        assert c.api.count_429 == 0
        assert len(c.api.messages_to(69_999)) == 6
        # 56 sends at 28 a second; the shared chat's last three at 1 a second
        assert took >= 3.0, took

        # the same burst paced by each instance alone goes past the limits
        for instance in c.instances:
            limiter = instance.app.bot.rate_limiter
            assert isinstance(limiter, PacedRateLimiter)
            limiter.paces = MemoryPaces()
        await asyncio.sleep(1.5)  # the fake's windows empty
        await burst_from_both(c, 80_000, chats=25, shared_chat=79_999)
        assert c.api.count_429 > 0


# --------------------------------------------------------------------------- secret, health


def forged_update(chat_id: int = MALLORY) -> dict[str, Any]:
    """A well-formed update that would register a workspace, were it accepted."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Mallory", "language_code": "en"}
    return {
        "update_id": 999_000_001,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "from": user,
            "chat": {"id": chat_id, "type": "private", "first_name": "Mallory"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_requests_without_the_right_secret_get_403_and_change_nothing(
    make_test_engine: Callable[[], Engine], tmp_path: Path
) -> None:
    async with cluster(tmp_path, [make_test_engine()]) as c:
        instance = c.instances[0]
        wrong = [
            {},
            {SECRET_HEADER: ""},
            {SECRET_HEADER: "wrong"},
            {SECRET_HEADER: SECRET[:-1]},
            {SECRET_HEADER: SECRET + "x"},
            {SECRET_HEADER: SECRET.upper()},
        ]
        for headers in wrong:
            assert await c.post(instance, forged_update(), headers) == 403, headers
        assert instance.server.refused == len(wrong) and instance.server.accepted == 0
        await c.say(HOST, "/start", "LiveHost")  # handled after anything queued before it
        assert c.count(Workspace, chat_id=MALLORY) == 0
        assert c.api.messages_to(MALLORY) == []

        # a malformed body with the right secret is refused too
        assert await c.post(instance, {"hello": "world"}, {SECRET_HEADER: SECRET}) == 400
        # and the same update with the right secret is taken
        assert await c.post(instance, forged_update(), {SECRET_HEADER: SECRET}) == 200
        await c.api.wait_for_message(MALLORY, contains="LiveHost", timeout=10)
        assert c.count(Workspace, chat_id=MALLORY) == 1


async def test_healthz_reports_database_and_scheduler(
    make_test_engine: Callable[[], Engine], tmp_path: Path
) -> None:
    async with cluster(tmp_path, [make_test_engine()]) as c:
        instance = c.instances[0]
        status, body = await c.get_health(instance)
        assert status == 200, body
        assert body["status"] == "ok"
        assert body["database"]["ok"] is True and body["scheduler"]["ok"] is True

        state = instance.app.bot_data
        real_engine = state.engine
        unreachable = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
        state.engine = unreachable
        try:
            status, body = await c.get_health(instance)
        finally:
            state.engine = real_engine
            unreachable.dispose()
        assert status == 503
        assert body["database"]["ok"] is False and body["scheduler"]["ok"] is True

        assert instance.app.job_queue is not None
        await instance.app.job_queue.stop()
        status, body = await c.get_health(instance)
        assert status == 503
        assert body["database"]["ok"] is True and body["scheduler"]["ok"] is False


async def test_healthz_fails_when_the_database_cannot_be_written(
    make_test_engine: Callable[[], Engine], tmp_path: Path
) -> None:
    """A database that answers `SELECT 1` but refuses writes is unhealthy."""
    async with cluster(tmp_path, [make_test_engine()]) as c:
        instance = c.instances[0]
        assert (await c.get_health(instance))[0] == 200
        with c.engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE send_pace RENAME TO send_pace_away"))
        try:
            with c.engine.connect() as connection:  # reads still work
                assert connection.execute(sa.text("SELECT 1")).scalar_one() == 1
            status, body = await c.get_health(instance)
        finally:
            with c.engine.begin() as connection:
                connection.execute(sa.text("ALTER TABLE send_pace_away RENAME TO send_pace"))
        assert status == 503, body
        assert body["database"]["ok"] is False
        assert (await c.get_health(instance))[0] == 200
        with session_scope(c.engine) as session:  # the check left nothing behind
            assert session.execute(sa.text("SELECT count(*) FROM send_pace")).scalar_one() == 0


async def test_an_update_is_stored_before_200_and_replays_are_not_processed_again(
    make_test_engine: Callable[[], Engine], tmp_path: Path
) -> None:
    async with cluster(tmp_path, [make_test_engine()]) as c:
        instance = c.instances[0]
        await c.say(HOST, "/start", "LiveHost")
        await c.say(HOST, "/golive Replays", "is open")
        await c.say(HOST, "/stat online=10", "Got it")
        summary = c.api.send_text(HOST, "/summary")
        await c.api.wait_for(lambda call: call.chat_id == HOST, since=summary, timeout=60)
        await c.settle(HOST)
        export = c.api.send_text(HOST, "/export")
        await c.api.wait_for(lambda call: call.method == "sendDocument", since=export, timeout=30)
        await c.settle(HOST)
        before = [(m.method, m.text) for m in c.api.sent if m.chat_id == HOST]
        for update in (summary, export):  # Telegram sends them again (a lost 200, a retry)
            for _ in range(2):
                assert await c.post(instance, update, {SECRET_HEADER: SECRET}) == 200
        await c.settle(HOST)
        after = [(m.method, m.text) for m in c.api.sent if m.chat_id == HOST]
        assert after[len(before) :] == [("sendMessage", after[-1][1])]  # only the /help answer
        with session_scope(c.engine) as session:
            ids = (
                session.execute(
                    sa.select(InboxUpdate.update_id).where(
                        InboxUpdate.update_id.in_([summary["update_id"], export["update_id"]])  # type: ignore[attr-defined]
                    )
                )
                .scalars()
                .all()
            )
        assert sorted(ids) == sorted([summary["update_id"], export["update_id"]])


async def test_kinds_not_asked_for_are_ignored_and_oversize_bodies_get_413(
    make_test_engine: Callable[[], Engine], tmp_path: Path
) -> None:
    async with cluster(tmp_path, [make_test_engine()]) as c:
        instance = c.instances[0]
        post = {
            "update_id": 999_000_777,
            "channel_post": {
                "message_id": 5,
                "date": int(time.time()),
                "chat": {"id": -100777, "type": "channel", "title": "News"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        assert await c.post(instance, post, {SECRET_HEADER: SECRET}) == 200
        huge = forged_update()
        huge["message"]["text"] = "x" * (MAX_BODY_BYTES + 10)
        assert await c.post(instance, huge, {SECRET_HEADER: SECRET}) == 413
        await c.say(HOST, "/start", "LiveHost")
        assert c.api.messages_to(-100777) == []
        assert c.count(Workspace, chat_id=-100777) == 0
        assert c.count(InboxUpdate, update_id=999_000_777) == 0


# --------------------------------------------------------------------------- refusing to start


def test_webhook_mode_refuses_to_start_without_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("LIVEHOST_WEBHOOK_SECRET", "LIVEHOST_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIVEHOST_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("LIVEHOST_WEBHOOK_URL", "https://bot.example.com/telegram")
    assert cli_main(["run", "--webhook"]) == 2
    err = capsys.readouterr().err
    assert "LIVEHOST_WEBHOOK_SECRET is not set" in err and "fake updates" in err
    assert not (tmp_path / "data").exists()  # refused before touching the database

    base = Settings(_env_file=None, bot_token="1:a", webhook_url="https://x/telegram")  # type: ignore[call-arg]
    assert check_webhook_settings(base) is not None
    bad = base.model_copy(update={"webhook_secret": "has spaces!"})
    assert "A-Z" in (check_webhook_settings(bad) or "")
    good = base.model_copy(update={"webhook_secret": SECRET})
    assert check_webhook_settings(good) is None
    no_url = good.model_copy(update={"webhook_url": ""})
    assert check_webhook_settings(no_url) is not None
    assert check_webhook_settings(no_url, register=False) is None
    with pytest.raises(ValueError):
        WebhookServer(build_application(good), secret="")
