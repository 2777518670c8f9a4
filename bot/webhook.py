"""Webhook mode: a small aiohttp server in front of the Application, with a health endpoint.

`POST /telegram` takes an update from Telegram. The `X-Telegram-Bot-Api-Secret-Token` header
must equal `LIVEHOST_WEBHOOK_SECRET` (compared in constant time); otherwise the answer is 403
and nothing happens. A body over `MAX_BODY_BYTES` is 413, a malformed one 400. A good update
is written to the inbox (`bot.updates`) and only then answered 200: the handlers run
afterwards from the database, so Telegram never waits for them, and an update that could not
be stored is a 500 that Telegram sends again. An update stored before (a replay) is answered
200 and not processed again; kinds the bot does not ask for are answered 200 and dropped.

`GET /healthz` reports the database (a row written in a transaction that is rolled back, in a
worker thread: a database that can be read but not written is unhealthy) and the scheduler
(the JobQueue's scheduler running) as JSON: 200 when both are fine, 503 otherwise.

Several instances may serve the same bot behind a load balancer: each one stores whatever
update it is given; the inbox hands each update to one instance, in order per chat.
Registering the webhook once is enough (`register=False` on the others); registering
again is harmless. Stopping an instance never deletes the webhook, so the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import signal
import time
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Update

from bot.config import Settings
from bot.context import App
from storage import repositories as repo

__all__ = [
    "HEALTH_PATH",
    "SECRET_HEADER",
    "WEBHOOK_PATH",
    "Health",
    "WebhookServer",
    "check_webhook_settings",
    "run_webhook",
    "serve_webhook",
]

log = logging.getLogger("livehost.webhook")

WEBHOOK_PATH = "/telegram"
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DB_CHECK_TIMEOUT_S = 5.0
MAX_BODY_BYTES = 1024 * 1024

# What Telegram accepts as a secret token: 1-256 of A-Z, a-z, 0-9, _ and -.
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_webhook_settings(settings: Settings, *, register: bool = True) -> str | None:
    """Why webhook mode cannot start with these settings, or None when it can."""
    if not settings.webhook_secret:
        return (
            "LIVEHOST_WEBHOOK_SECRET is not set. In webhook mode anyone who finds the URL could "
            "post fake updates; the secret (e.g. `openssl rand -hex 32`) is how LiveHost tells "
            "Telegram's requests from theirs."
        )
    if not _SECRET_RE.fullmatch(settings.webhook_secret):
        return (
            "LIVEHOST_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
            "(Telegram refuses other secrets)."
        )
    if register and not settings.webhook_url:
        return "LIVEHOST_WEBHOOK_URL is not set (the public HTTPS URL ending in /telegram)."
    return None


@dataclass(frozen=True, slots=True)
class Health:
    """One health check: overall verdict and the JSON body served at /healthz."""

    ok: bool
    body: dict[str, Any]


def _write_check(engine: Engine) -> None:
    """Write one row and roll it back: fails when the database cannot take writes."""
    with Session(engine) as session:
        try:
            repo.probe_write(session, key=f"healthz:{uuid.uuid4().hex}")
        finally:
            session.rollback()


class WebhookServer:
    """The HTTP side of webhook mode for one started `Application`.

    `start()` binds `listen:port` (port 0 picks a free one, then `port` holds it) and
    `stop()` closes it; the Application's own life cycle is the caller's (see
    `serve_webhook`).
    """

    def __init__(
        self,
        application: App,
        *,
        secret: str,
        listen: str = "0.0.0.0",
        port: int = 8443,
        path: str = WEBHOOK_PATH,
    ) -> None:
        if not secret:
            raise ValueError("a webhook secret is required")
        self.application = application
        self.listen = listen
        self.port = port
        self.path = path
        self._secret = secret.encode("utf-8")
        self._runner: web.AppRunner | None = None
        self.accepted = 0
        """Updates put on the queue so far."""
        self.refused = 0
        """Requests refused for a missing or wrong secret."""

    def web_app(self) -> web.Application:
        """The aiohttp application: the webhook path and the health endpoint."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self.path, self._on_update)
        app.router.add_get(HEALTH_PATH, self._on_health)
        return app

    async def start(self) -> None:
        """Listen on `listen:port`."""
        self._runner = web.AppRunner(self.web_app(), access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("webhook server listening on %s:%d%s", self.listen, self.port, self.path)

    async def stop(self) -> None:
        """Stop listening (requests in flight are answered first)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _secret_ok(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return False
        return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), self._secret)

    async def _on_update(self, request: web.Request) -> web.Response:
        if not self._secret_ok(request):
            self.refused += 1
            log.warning("webhook request from %s refused: wrong or missing secret", request.remote)
            return web.Response(status=403, text="Forbidden")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.Response(status=413, text="Request Entity Too Large")
        try:
            data = await request.json(loads=json.loads)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.application.bot)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="Request Entity Too Large")
        except Exception as exc:  # a malformed body: tell the sender, keep running
            log.warning("webhook request with a malformed update: %s", exc)
            return web.Response(status=400, text="Bad Request")
        inbox = getattr(self.application, "inbox", None)
        if inbox is None:
            await self.application.update_queue.put(update)
        else:
            try:
                await inbox.store([data])
            except Exception as exc:  # not stored: Telegram sends it again
                log.warning("webhook update %s not stored: %s", data.get("update_id"), exc)
                return web.Response(status=500, text="Not stored")
        self.accepted += 1
        return web.Response(status=200)

    async def health(self) -> Health:
        """Check the database and the scheduler."""
        database: dict[str, Any]
        state = self.application.bot_data
        started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            await asyncio.wait_for(
                loop.run_in_executor(None, _write_check, state.engine), DB_CHECK_TIMEOUT_S
            )
            database = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            database = {"ok": False, "error": reason}
        job_queue = self.application.job_queue
        scheduler: dict[str, Any]
        if job_queue is None:
            scheduler = {"ok": False, "error": "no job queue"}
        else:
            running = bool(job_queue.scheduler.running)
            scheduler = {"ok": running, "jobs": len(job_queue.jobs())}
            if not running:
                scheduler["error"] = "not running"
        ok = bool(database["ok"] and scheduler["ok"] and self.application.running)
        body = {
            "status": "ok" if ok else "unhealthy",
            "database": database,
            "scheduler": scheduler,
            "running": self.application.running,
        }
        return Health(ok, body)

    async def _on_health(self, _request: web.Request) -> web.Response:
        result = await self.health()
        return web.json_response(result.body, status=200 if result.ok else 503)


async def serve_webhook(
    application: App,
    settings: Settings,
    *,
    stop: asyncio.Event,
    register: bool = True,
    allowed_updates: list[str] | None = None,
    started: asyncio.Event | None = None,
    server_out: list[WebhookServer] | None = None,
) -> None:
    """Run `application` in webhook mode until `stop` is set, then shut it down cleanly.

    Initialise (and `post_init`: migrations, command menu), start the handlers and the job
    queue, listen on `settings.listen:settings.port`, register the webhook when `register`,
    set `started`; on `stop` stop listening, let the queued updates finish, and shut down.
    `server_out`, when given, receives the server (tests read its port).
    """
    problem = check_webhook_settings(settings, register=register)
    if problem is not None:
        raise ValueError(problem)
    from bot.updates import ALLOWED_UPDATES

    server = WebhookServer(
        application, secret=settings.webhook_secret, listen=settings.listen, port=settings.port
    )
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            await server.start()
            if server_out is not None:
                server_out.append(server)
            if register:
                await application.bot.set_webhook(
                    url=settings.webhook_url,
                    secret_token=settings.webhook_secret,
                    allowed_updates=allowed_updates
                    if allowed_updates is not None
                    else ALLOWED_UPDATES,
                )
                log.info("webhook registered")
            if started is not None:
                started.set()
            await stop.wait()
            log.info(
                "stopping: %d updates taken, %d requests refused", server.accepted, server.refused
            )
        finally:
            await server.stop()
            if application.running:
                await application.stop()  # after the updates already queued are handled
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


def run_webhook(
    application: App,
    settings: Settings,
    *,
    register: bool = True,
) -> None:
    """Serve in webhook mode until SIGTERM or SIGINT (what `livehost run --webhook` does)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await serve_webhook(application, settings, stop=stop, register=register)

    asyncio.run(main())
