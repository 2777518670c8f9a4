"""The real LiveHost Application, polling the in-repo fake Bot API over HTTP.

The `bot` fixture runs on each database backend of `tests/conftest.py`: SQLite in a temporary
file, and PostgreSQL in a fresh schema when `LIVEHOST_TEST_POSTGRES_URL` is set.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import Engine
from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Settings
from fakebot import FakeBotApi


class FakeClock:
    """The fake Bot API's wall clock, which dates the messages users send."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
        self.now = start.timestamp()
        shim = SimpleNamespace(time=lambda: self.now, monotonic=time.monotonic)
        monkeypatch.setattr("fakebot.server.time", shim)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta).total_seconds()


@dataclass
class RunningBot:
    api: FakeBotApi
    app: Application  # type: ignore[type-arg]
    engine: Engine
    settings: Settings


def make_settings(api: FakeBotApi, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "bot_token": api.token,
        "telegram_api_url": api.url,
        "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "summary_delay_seconds": 600,
        "default_timezone": "Asia/Shanghai",
        "models_dir": tmp_path / "models",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def start_bot(
    api: FakeBotApi, settings: Settings, *, engine: Engine | None = None
) -> Application:  # type: ignore[type-arg]
    app = build_application(settings, engine=engine)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    return app


async def stop_bot(app: Application) -> None:  # type: ignore[type-arg]
    assert app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    await app.shutdown()


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def bot(
    fake_api: FakeBotApi, tmp_path: Path, make_test_engine: Callable[[], Engine]
) -> AsyncIterator[RunningBot]:
    settings = make_settings(fake_api, tmp_path)
    app = await start_bot(fake_api, settings, engine=make_test_engine())
    try:
        yield RunningBot(fake_api, app, app.bot_data.engine, settings)
    finally:
        await stop_bot(app)
