"""An in-process fake of the Telegram Bot API over real HTTP (aiohttp), for end-to-end tests.

The server answers the layout of a local Bot API server: ``{url}/bot{token}/{method}`` (GET or
POST; query string, url-encoded or multipart form, or JSON body) and
``{url}/file/bot{token}/{file_path}`` for downloads. Answers use Telegram's envelope
``{"ok": true, "result": ...}`` / ``{"ok": false, "error_code": ..., "description": ...}``.
See the package docstring (``fakebot``) for the test-side API.

All state lives on the :class:`FakeBotApi` object and is changed only from the event loop the
server runs in, so tests (in the same loop) read it directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from fakebot.models import (
    MAX_CAPTION_LENGTH,
    MAX_DOWNLOAD_SIZE,
    MAX_TEXT_LENGTH,
    BotMessage,
    EntityParseError,
    Limits,
    RecordedRequest,
    SentCall,
    StoredFile,
    UploadedFile,
    decode_form_value,
    html_to_text,
    png_size,
    tiny_png,
    utf16_len,
)

__all__ = [
    "DEFAULT_GROUP_USER_ID",
    "DEFAULT_TOKEN",
    "ApiError",
    "FakeBotApi",
]

DEFAULT_TOKEN = "123456789:AAFakeTokenForLiveHostTests_0123456789"
DEFAULT_GROUP_USER_ID = 7001
"""The sender of group messages when a test names none."""

_DEFAULT_ALLOWED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_MESSAGE_SENDS = frozenset({"sendmessage", "sendphoto", "senddocument", "sendmediagroup"})
_REPLY_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "editMessageText"}
)
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,})?")
_BOT_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)

Handler = Callable[[dict[str, Any], dict[str, UploadedFile]], Any]
Since = int | dict[str, Any] | SentCall | None


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code, with Telegram's description."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class _Pending:
    """An update waiting to be confirmed."""

    __slots__ = ("delivered", "forced", "update")

    def __init__(self, update: dict[str, Any], forced: bool = False) -> None:
        self.update = update
        self.forced = forced
        self.delivered = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next(k for k in self.update if k != "update_id")


class _FloodControl:
    """Sliding windows (global per second, group per minute) and a token bucket per private
    chat; ``acquire`` answers None (allowed, counted) or the seconds to wait."""

    def __init__(self) -> None:
        self.global_times: deque[float] = deque()
        self.groups: dict[int | str, deque[float]] = {}
        self.private: dict[int | str, tuple[float, float]] = {}

    def acquire(self, limits: Limits, chat_id: int | str, now: float) -> int | None:
        waits: list[float] = []
        times = self.global_times
        while times and times[0] <= now - 1.0:
            times.popleft()
        if len(times) >= limits.global_per_second:
            waits.append(times[0] + 1.0 - now)
        is_group = isinstance(chat_id, str) or chat_id < 0
        tokens = 0.0
        if is_group:
            window = self.groups.setdefault(chat_id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= limits.group_per_minute:
                waits.append(window[0] + 60.0 - now)
        else:
            tokens, last = self.private.get(chat_id, (float(limits.private_burst), now))
            tokens = min(
                float(limits.private_burst), tokens + (now - last) * limits.private_per_second
            )
            if tokens < 1.0:
                waits.append((1.0 - tokens) / limits.private_per_second)
        if waits:
            return max(1, math.ceil(max(waits)))
        times.append(now)
        if is_group:
            self.groups[chat_id].append(now)
        else:
            self.private[chat_id] = (tokens - 1.0, now)
        return None


class FakeBotApi:
    """The fake Bot API server and its inspectable state. Use as ``async with FakeBotApi()``."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "livehost_test_bot",
        bot_name: str = "LiveHost",
        latency: float = 0.0,
        limits: Limits | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        first_update_id: int = 700_000_001,
        first_message_id: int = 1,
    ) -> None:
        """``first_update_id``, ``first_message_id``: where update and message ids start; a
        server restarted against a bot that keeps its database must start above the ids it
        gave before, as Telegram's never repeat."""
        head = token.split(":", 1)[0]
        self.token = token
        self.bot_id = int(head) if head.isdigit() else 1
        self.bot_username = bot_username
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.host = host
        self.port = port
        self.url = ""
        self.latency = latency
        """Seconds every Bot API answer is delayed by."""
        self.enforce_limits = False
        self.limits = limits or Limits()
        self.blocked_chats: set[int | str] = set()
        self.count_429 = 0
        self.sent: list[SentCall] = []
        self.requests: list[RecordedRequest] = []
        self.updates: list[dict[str, Any]] = []
        """Every update the test queued, in order (redeliveries included)."""
        self.queued_at: dict[int, float] = {}
        """update_id -> time.monotonic() when the test queued it."""
        self.delivered_at: dict[int, float] = {}
        """update_id -> time.monotonic() when the bot first received it."""
        self.deliveries: dict[int, int] = {}
        """update_id -> how many times the bot received it."""
        self.callback_answers: list[dict[str, Any]] = []
        self.webhook_errors: list[str] = []
        self.chat_admins: dict[int, dict[int, str]] = {}
        """group chat id -> {user id: "creator" | "administrator"}; a group not listed has
        one administrator, its creator DEFAULT_GROUP_USER_ID."""
        self.admin_list_denied: set[int] = set()
        """Groups whose getChatAdministrators answers 400 (getChatMember still works)."""

        self._pending: list[_Pending] = []
        self._update_ids = itertools.count(first_update_id)
        self._first_message_id = first_message_id
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._media_group_ids = itertools.count(13_000_000_000_000_001)
        self._sent_mark: dict[int, int] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._counters: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self._bot_messages: dict[tuple[int | str, int], BotMessage] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._allowed_updates: frozenset[str] | None = None
        self._webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._flood = _FloodControl()
        self._failures: list[list[Any]] = []
        self._poll_generation = 0
        self.polling_now = 0
        """How many getUpdates requests are waiting right now."""
        self._update_event = asyncio.Event()
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Handler] = {
            name.lower(): getattr(self, "_m_" + name)
            for name in (
                "getMe",
                "getUpdates",
                "deleteWebhook",
                "setWebhook",
                "getWebhookInfo",
                "setMyCommands",
                "getMyCommands",
                "deleteMyCommands",
                "sendMessage",
                "editMessageText",
                "editMessageReplyMarkup",
                "deleteMessage",
                "sendChatAction",
                "answerCallbackQuery",
                "getFile",
                "sendPhoto",
                "sendDocument",
                "sendMediaGroup",
                "getChatAdministrators",
                "getChatMember",
            )
        }

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """What the bot takes as ``base_url``: ``{url}/bot``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What the bot takes as ``base_file_url``: ``{url}/file/bot``."""
        return f"{self.url}/file/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.port = int(port)
        self.url = f"http://{host}:{self.port}"

    async def close(self) -> None:
        self._closing = True
        self._wake_pollers()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        if tail.startswith("file/bot"):
            return self._download(tail[len("file/bot") :])
        token, _, method = tail[3:].partition("/") if tail.startswith("bot") else ("", "", "")
        if not tail.startswith("bot") or not method:
            return web.json_response(ApiError(404, "Not Found").envelope(), status=404)
        if token != self.token:
            return web.json_response(ApiError(401, "Unauthorized").envelope(), status=401)
        try:
            params, files = await self._read_params(request)
        except ValueError as exc:
            error = ApiError(400, f"Bad Request: {exc}")
            return web.json_response(error.envelope(), status=400)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        handler = self._methods.get(method.lower())
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            self._injected_failure(method.lower(), params)
            try:
                result = await handler(params, files)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise ApiError(400, f"Bad Request: invalid parameters: {exc}") from exc
        except ApiError as error:
            self._record_request(method, params, error.status, error.description)
            return web.json_response(error.envelope(), status=error.status)
        self._record_request(method, params, 200, None)
        return web.json_response({"ok": True, "result": result})

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = {k: decode_form_value(k, v) for k, v in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            if request.can_read_body:
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("request body must be a JSON object")
                params.update(body)
        elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    files[key] = UploadedFile(key, value.filename, value.content_type, data)
                elif isinstance(value, str):
                    params[key] = decode_form_value(key, value)
        return params, files

    def _download(self, rest: str) -> web.Response:
        token, _, path = rest.partition("/")
        stored = self._files_by_path.get(path)
        if token != self.token or stored is None:
            return web.json_response(ApiError(404, "Not Found").envelope(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        count: int = 1,
        chat_id: int | str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (to ``chat_id`` if given) with an
        error: ``status`` and ``description``, with ``parameters.retry_after`` when given."""
        self._failures.append([method.lower(), status, description, count, chat_id, retry_after])

    def _injected_failure(self, method: str, params: dict[str, Any]) -> None:
        for failure in self._failures:
            name, status, description, count, chat_id, retry_after = failure
            if name != method or count <= 0:
                continue
            if chat_id is not None and params.get("chat_id") != chat_id:
                continue
            failure[3] = count - 1
            parameters = {"retry_after": retry_after} if retry_after is not None else None
            raise ApiError(status, description, parameters)

    def _record_request(
        self, method: str, params: dict[str, Any], status: int, description: str | None
    ) -> None:
        self.requests.append(RecordedRequest(method, params, status, time.monotonic(), description))
        self._notify()

    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    # ------------------------------------------------------------------ updates (server side)

    def _wake_pollers(self) -> None:
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    def _allowed(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in _DEFAULT_ALLOWED
        return kind in self._allowed_updates

    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int) or offset == 0:
            return
        if offset < 0:
            self._pending = sorted(self._pending, key=lambda p: p.update_id)[offset:]
            return
        self._pending = [
            p for p in self._pending if p.update_id >= offset or (p.forced and not p.delivered)
        ]

    def _take(self, limit: int) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        kept: list[_Pending] = []
        now = time.monotonic()
        for pending in sorted(self._pending, key=lambda p: p.update_id):
            if not self._allowed(pending.kind):
                continue
            kept.append(pending)
            if len(batch) < limit:
                pending.delivered = True
                self.delivered_at.setdefault(pending.update_id, now)
                self.deliveries[pending.update_id] = self.deliveries.get(pending.update_id, 0) + 1
                batch.append(copy.deepcopy(pending.update))
        self._pending = kept
        if batch:
            self._notify()
        return batch

    async def _m_getUpdates(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()  # an older long poll is terminated by this one
        limit = min(100, max(1, int(p.get("limit") or 100)))
        timeout = max(0.0, float(p.get("timeout") or 0))
        if "allowed_updates" in p and isinstance(p["allowed_updates"], list):
            self._allowed_updates = frozenset(p["allowed_updates"]) or None
        self._confirm(p.get("offset"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.polling_now += 1
        self._notify()
        try:
            while True:
                event = self._update_event
                batch = self._take(limit)
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or self._closing:
                    return batch
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
        finally:
            self.polling_now -= 1

    async def _m_deleteWebhook(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        await self._stop_webhook()
        if p.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _m_setWebhook(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        url = str(p.get("url") or "")
        await self._stop_webhook()
        if p.get("drop_pending_updates"):
            self._pending.clear()
        if "allowed_updates" in p and isinstance(p["allowed_updates"], list):
            self._allowed_updates = frozenset(p["allowed_updates"]) or None
        if not url:
            return True
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        self._webhook = {
            "url": url,
            "secret_token": p.get("secret_token"),
            "max_connections": int(p.get("max_connections") or 40),
        }
        self._wake_pollers()
        self._webhook_task = asyncio.create_task(self._webhook_loop(self._webhook))
        return True

    async def _stop_webhook(self) -> None:
        self._webhook = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None

    async def _webhook_loop(self, hook: dict[str, Any]) -> None:
        """Post pending updates as Telegram does: up to ``max_connections`` at once, one at a
        time per chat (in update order); an update is confirmed by a 2xx answer."""
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
        slots = asyncio.Semaphore(int(hook.get("max_connections") or 40))
        in_flight: dict[int, int | None] = {}  # update_id -> chat
        backoff = [0.05]
        tasks: set[asyncio.Task[None]] = set()

        async def post(session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
            error: str | None = None
            try:
                async with session.post(
                    hook["url"], data=json.dumps(update), headers=headers
                ) as response:
                    if not 200 <= response.status < 300:
                        error = f"Wrong response from the webhook: {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            if error is None:
                self._pending = [p for p in self._pending if p.update_id != update["update_id"]]
                backoff[0] = 0.05
                self._notify()
            else:
                hook["last_error_date"] = int(time.time())
                hook["last_error_message"] = error
                self.webhook_errors.append(error)
                await asyncio.sleep(backoff[0])
                backoff[0] = min(1.0, backoff[0] * 2)
            in_flight.pop(update["update_id"], None)
            slots.release()
            self._wake_pollers()

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            try:
                while self._webhook is hook:
                    event = self._update_event
                    busy_chats = set(in_flight.values())
                    ready = [
                        p
                        for p in sorted(self._pending, key=lambda p: p.update_id)
                        if self._allowed(p.kind)
                        and p.update_id not in in_flight
                        and _chat_of(p.update) not in busy_chats
                    ]
                    if not ready:
                        await event.wait()
                        continue
                    await slots.acquire()
                    if self._webhook is not hook:
                        slots.release()
                        break
                    pending = ready[0]
                    pending.delivered = True
                    self.delivered_at.setdefault(pending.update_id, time.monotonic())
                    self.deliveries[pending.update_id] = (
                        self.deliveries.get(pending.update_id, 0) + 1
                    )
                    in_flight[pending.update_id] = _chat_of(pending.update)
                    task = asyncio.create_task(post(session, copy.deepcopy(pending.update)))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            finally:
                for task in list(tasks):
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _m_getWebhookInfo(self, _p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["url"] = self._webhook["url"]
            info["max_connections"] = self._webhook["max_connections"]
            for key in ("last_error_date", "last_error_message"):
                if key in self._webhook:
                    info[key] = self._webhook[key]
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    # ------------------------------------------------------------------ bot, commands

    async def _m_getMe(self, _p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _commands_key(p: dict[str, Any]) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")

    async def _m_setMyCommands(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 commands")
        for command in commands:
            if not _BOT_COMMAND_NAME.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description must be 1-256 characters")
        self._commands[self._commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _m_getMyCommands(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        return copy.deepcopy(self._commands.get(self._commands_key(p), []))

    async def _m_deleteMyCommands(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        self._commands.pop(self._commands_key(p), None)
        return True

    # ------------------------------------------------------------------ chat members

    def _admins_of(self, chat_id: int) -> dict[int, str]:
        return self.chat_admins.get(chat_id, {DEFAULT_GROUP_USER_ID: "creator"})

    def _member(self, user_id: int, status: str) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            rights = [
                "can_be_edited",
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
                "is_anonymous",
            ]
            member.update(
                {name: name in ("can_manage_chat", "can_delete_messages") for name in rights}
            )
        return member

    def _group_id(self, p: dict[str, Any]) -> int:
        try:
            chat_id = int(p.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "Bad Request: chat not found") from exc
        if chat_id > 0:
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        return chat_id

    async def _m_getChatAdministrators(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        chat_id = self._group_id(p)
        if chat_id in self.admin_list_denied:
            raise ApiError(400, "Bad Request: member list is inaccessible")
        return [self._member(uid, status) for uid, status in self._admins_of(chat_id).items()]

    async def _m_getChatMember(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        chat_id = self._group_id(p)
        try:
            user_id = int(p.get("user_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "Bad Request: invalid user_id specified") from exc
        return self._member(user_id, self._admins_of(chat_id).get(user_id, "member"))

    # ------------------------------------------------------------------ sending

    def _chat_for_send(self, p: dict[str, Any], *, counts: bool) -> dict[str, Any]:
        chat_id = p.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int | str):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked_chats:
            if isinstance(chat_id, int) and chat_id > 0:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        if counts and self.enforce_limits:
            wait = self._flood.acquire(self.limits, chat_id, time.monotonic())
            if wait is not None:
                self.count_429 += 1
                raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        chat = self._chats.get(chat_id)
        if chat is None:
            negative = isinstance(chat_id, str) or chat_id < 0
            chat = (
                {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
                if negative
                else {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
            )
            self._chats[chat_id] = chat
        return chat

    def _next_message_id(self, chat_id: int | str) -> int:
        self._counters[chat_id] = self._counters.get(chat_id, self._first_message_id - 1) + 1
        return self._counters[chat_id]

    @staticmethod
    def _render(p: dict[str, Any], key: str, limit: int, *, required: bool) -> str | None:
        raw = p.get(key)
        if raw is None or raw == "":
            if required:
                raise ApiError(400, "Bad Request: message text is empty")
            return None
        text = str(raw)
        if str(p.get("parse_mode") or "").upper() == "HTML":
            try:
                text = html_to_text(text)
            except EntityParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from exc
        if required and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > limit:
            what = "message is too long" if key == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {what}")
        return text

    @staticmethod
    def _markup(p: dict[str, Any]) -> dict[str, Any] | None:
        markup = p.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _new_bot_message(
        self,
        chat: dict[str, Any],
        p: dict[str, Any],
        content: dict[str, Any],
        files: list[UploadedFile],
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        chat_id = chat["id"]
        reply_to = p.get("reply_to_message_id")
        reply_parameters = p.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id")
        message: dict[str, Any] = {
            "message_id": 0,
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        if reply_to is not None:
            original = self._messages.get((chat_id, int(reply_to)))
            if original is not None:
                message["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
            elif not (
                p.get("allow_sending_without_reply")
                or (
                    isinstance(reply_parameters, dict)
                    and reply_parameters.get("allow_sending_without_reply")
                )
            ):
                raise ApiError(400, "Bad Request: message to be replied not found")
        message["message_id"] = self._next_message_id(chat_id)
        message.update(content)
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        key = (chat_id, message["message_id"])
        self._messages[key] = message
        self._bot_messages[key] = BotMessage(
            chat_id, message["message_id"], message, list(files), time.monotonic()
        )
        return copy.deepcopy(message)

    def _record_sent(
        self,
        method: str,
        chat_id: int | str | None,
        text: str | None,
        p: dict[str, Any],
        files: list[UploadedFile],
        markup: dict[str, Any] | None,
        result: Any,
    ) -> None:
        self.sent.append(
            SentCall(
                len(self.sent), method, chat_id, text, p, files, markup, time.monotonic(), result
            )
        )
        self._notify()

    async def _m_sendMessage(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        text = self._render(p, "text", MAX_TEXT_LENGTH, required=True)
        markup = self._markup(p)
        chat = self._chat_for_send(p, counts=True)
        message = self._new_bot_message(chat, p, {"text": text}, [], markup)
        self._record_sent("sendMessage", chat["id"], p.get("text"), p, [], markup, message)
        return message

    def _own_message(self, p: dict[str, Any], missing: str) -> BotMessage:
        if p.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported here")
        chat = self._chat_for_send(p, counts=False)
        found = self._bot_messages.get((chat["id"], int(p.get("message_id") or 0)))
        if found is None or found.deleted:
            raise ApiError(400, f"Bad Request: {missing}")
        return found

    async def _m_editMessageText(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        text = self._render(p, "text", MAX_TEXT_LENGTH, required=True)
        markup = self._markup(p)
        found = self._own_message(p, "message to edit not found")
        if "text" not in found.raw:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if found.raw.get("text") == text and found.raw.get("reply_markup") == new_markup:
            raise ApiError(400, _NOT_MODIFIED)
        found.raw["text"] = text
        self._set_markup(found, new_markup)
        result = copy.deepcopy(found.raw)
        self._record_sent("editMessageText", found.chat_id, p.get("text"), p, [], markup, result)
        return result

    async def _m_editMessageReplyMarkup(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        markup = self._markup(p)
        found = self._own_message(p, "message to edit not found")
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if found.raw.get("reply_markup") == new_markup:
            raise ApiError(400, _NOT_MODIFIED)
        self._set_markup(found, new_markup)
        result = copy.deepcopy(found.raw)
        self._record_sent("editMessageReplyMarkup", found.chat_id, None, p, [], markup, result)
        return result

    @staticmethod
    def _set_markup(found: BotMessage, markup: dict[str, Any] | None) -> None:
        if markup is None:
            found.raw.pop("reply_markup", None)
        else:
            found.raw["reply_markup"] = markup
        found.raw["edit_date"] = int(time.time())
        found.edits += 1

    async def _m_deleteMessage(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        chat = self._chat_for_send(p, counts=False)
        key = (chat["id"], int(p.get("message_id") or 0))
        if key not in self._messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        del self._messages[key]
        if key in self._bot_messages:
            self._bot_messages[key].deleted = True
        self._record_sent("deleteMessage", chat["id"], None, p, [], None, True)
        return True

    async def _m_sendChatAction(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        chat = self._chat_for_send(p, counts=False)
        if not p.get("action"):
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self._record_sent("sendChatAction", chat["id"], None, p, [], None, True)
        return True

    async def _m_answerCallbackQuery(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        query_id = str(p.get("callback_query_id") or "")
        query = self._callback_queries.get(query_id)
        if query is None or query.get("answered"):
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        query["answered"] = True
        self.callback_answers.append({"callback_query_id": query_id, **p})
        chat_id = query["message"]["chat"]["id"] if "message" in query else None
        self._record_sent("answerCallbackQuery", chat_id, p.get("text"), p, [], None, True)
        return True

    # ------------------------------------------------------------------ files

    def _store_file(
        self,
        data: bytes,
        *,
        folder: str,
        file_name: str | None,
        mime_type: str | None,
        size: int | None = None,
    ) -> StoredFile:
        number = next(self._file_ids)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif mime_type:
            suffix = mimetypes.guess_extension(mime_type) or ""
        stored = StoredFile(
            file_id=f"FAKE{folder[:3].upper()}{number:08d}-{self.bot_id}",
            file_unique_id=f"U{number:08d}",
            file_path=f"{folder}/file_{number}{suffix}",
            data=data,
            size=len(data) if size is None else size,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    async def _m_getFile(self, p: dict[str, Any], _: dict[str, UploadedFile]) -> Any:
        stored = self._files.get(str(p.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise ApiError(400, "Bad Request: file is too big")
        return stored.as_file()

    def _input_file(
        self, value: Any, files: dict[str, UploadedFile], field: str
    ) -> tuple[UploadedFile, StoredFile | None]:
        """Resolve a photo/document parameter: an upload, attach://name, a file_id or a URL."""
        if field in files:
            return files[field], None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise ApiError(400, f"Bad Request: file {value} is not found in the request")
            return upload, None
        if isinstance(value, str) and value in self._files:
            stored = self._files[value]
            return UploadedFile(field, stored.file_name, stored.mime_type, stored.data), stored
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return UploadedFile(field, value.rsplit("/", 1)[-1], None, b""), None
        if value is None or value == "":
            raise ApiError(400, f"Bad Request: there is no {field} in the request")
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _photo_content(
        self, upload: UploadedFile, stored: StoredFile | None
    ) -> list[dict[str, Any]]:
        if stored is None:
            if upload.data and not upload.data.startswith(_IMAGE_SIGNATURES):
                raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
            width, height = png_size(upload.data) or (0, 0)
            if (
                width
                and height
                and (width + height > 10000 or max(width, height) > 20 * min(width, height))
            ):
                raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
            stored = self._store_file(
                upload.data,
                folder="photos",
                file_name=None,
                mime_type="image/png" if upload.data.startswith(b"\x89PNG") else "image/jpeg",
            )
        else:
            width, height = png_size(stored.data) or (0, 0)
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
                "width": width,
                "height": height,
            }
        ]

    def _document_content(self, upload: UploadedFile, stored: StoredFile | None) -> dict[str, Any]:
        if stored is None:
            mime = upload.content_type or (
                mimetypes.guess_type(upload.filename or "")[0] if upload.filename else None
            )
            stored = self._store_file(
                upload.data,
                folder="documents",
                file_name=upload.filename,
                mime_type=mime or "application/octet-stream",
            )
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document

    def _caption(self, p: dict[str, Any]) -> dict[str, Any]:
        caption = self._render(p, "caption", MAX_CAPTION_LENGTH, required=False)
        return {} if caption is None else {"caption": caption}

    async def _m_sendPhoto(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        content = self._caption(p)
        markup = self._markup(p)
        upload, stored = self._input_file(p.get("photo"), files, "photo")
        chat = self._chat_for_send(p, counts=True)
        content["photo"] = self._photo_content(upload, stored)
        message = self._new_bot_message(chat, p, content, [upload], markup)
        self._record_sent("sendPhoto", chat["id"], p.get("caption"), p, [upload], markup, message)
        return message

    async def _m_sendDocument(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        content = self._caption(p)
        markup = self._markup(p)
        upload, stored = self._input_file(p.get("document"), files, "document")
        chat = self._chat_for_send(p, counts=True)
        content["document"] = self._document_content(upload, stored)
        message = self._new_bot_message(chat, p, content, [upload], markup)
        self._record_sent(
            "sendDocument", chat["id"], p.get("caption"), p, [upload], markup, message
        )
        return message

    async def _m_sendMediaGroup(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        media = p.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: media group must contain 2-10 items")
        kinds = {item.get("type") for item in media if isinstance(item, dict)}
        if "document" in kinds and len(kinds) > 1:
            raise ApiError(400, "Bad Request: document can't be mixed with other media types")
        prepared: list[tuple[dict[str, Any], UploadedFile, StoredFile | None]] = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
                raise ApiError(400, "Bad Request: unsupported media type in the album")
            content = self._caption(item)
            upload, stored = self._input_file(item.get("media"), files, str(item["type"]))
            prepared.append((content, upload, stored))
        chat = self._chat_for_send(p, counts=True)
        group_id = str(next(self._media_group_ids))
        messages = []
        reply_p: dict[str, Any] = p
        for item, (content, upload, stored) in zip(media, prepared, strict=True):
            if item["type"] == "photo":
                content["photo"] = self._photo_content(upload, stored)
            else:
                content["document"] = self._document_content(upload, stored)
            content["media_group_id"] = group_id
            messages.append(self._new_bot_message(chat, reply_p, content, [upload], None))
            reply_p = {}  # only the first message of an album is the reply
        caption = next((i["caption"] for i in media if i.get("caption")), None)
        uploads = [upload for _, upload, _ in prepared]
        self._record_sent("sendMediaGroup", chat["id"], caption, p, uploads, None, messages)
        return messages

    # ------------------------------------------------------------------ test side: updates

    def _queue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self._enqueue(_Pending(copy.deepcopy(update)))
        return update

    def _enqueue(self, pending: _Pending) -> None:
        update_id = pending.update_id
        self._pending.append(pending)
        self.updates.append(copy.deepcopy(pending.update))
        self.queued_at[update_id] = time.monotonic()
        self._sent_mark[update_id] = len(self.sent)
        self._wake_pollers()
        self._notify()

    def _user_and_chat(
        self,
        chat_id: int,
        *,
        user_id: int | None,
        chat_type: str | None,
        username: str | None,
        first_name: str,
        language_code: str | None,
        chat_title: str | None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        existing = self._chats.get(chat_id)
        if chat_type is None:
            chat_type = existing["type"] if existing else ("private" if chat_id > 0 else "group")
        if chat_type == "private":
            if chat_id <= 0:
                raise ValueError("a private chat has the user's (positive) id")
            if user_id is not None and user_id != chat_id:
                raise ValueError("in a private chat the user id is the chat id")
            user_id = chat_id
        elif chat_type in ("group", "supergroup"):
            if chat_id >= 0:
                raise ValueError("group chat ids are negative, as in Telegram")
            user_id = DEFAULT_GROUP_USER_ID if user_id is None else user_id
        else:
            raise ValueError(f"unsupported chat type {chat_type!r}")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        if chat_type == "private":
            chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": first_name}
            if username:
                chat["username"] = username
        else:
            title = chat_title or (existing or {}).get("title") or f"Group {chat_id}"
            chat = {"id": chat_id, "type": chat_type, "title": title}
        self._chats[chat_id] = chat
        return user, chat

    def _user_message(
        self,
        chat_id: int,
        content: dict[str, Any],
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        username: str | None = None,
        first_name: str = "Host",
        language_code: str | None = "en",
        chat_title: str | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        user, chat = self._user_and_chat(
            chat_id,
            user_id=user_id,
            chat_type=chat_type,
            username=username,
            first_name=first_name,
            language_code=language_code,
            chat_title=chat_title,
        )
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
        }
        if reply_to is not None:
            original = self._messages.get((chat_id, reply_to))
            if original is None:
                raise KeyError(f"no message {reply_to} in chat {chat_id}")
            message["reply_to_message"] = {
                k: v for k, v in original.items() if k != "reply_to_message"
            }
        message.update(content)
        self._messages[(chat_id, message["message_id"])] = message
        return self._queue("message", copy.deepcopy(message))

    @staticmethod
    def _text_content(text: str, key: str = "text") -> dict[str, Any]:
        content: dict[str, Any] = {key: text}
        entities = []
        for match in _COMMAND_RE.finditer(text):
            entities.append(
                {
                    "type": "bot_command",
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group()),
                }
            )
        if entities:
            content["entities" if key == "text" else "caption_entities"] = entities
        return content

    def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        username: str | None = None,
        first_name: str = "Host",
        language_code: str | None = "en",
        chat_title: str | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """Queue a text message from a user; returns the update (a dict as Telegram sends it)."""
        if not text:
            raise ValueError("Telegram does not deliver empty messages")
        return self._user_message(
            chat_id,
            self._text_content(text),
            user_id=user_id,
            chat_type=chat_type,
            username=username,
            first_name=first_name,
            language_code=language_code,
            chat_title=chat_title,
            reply_to=reply_to,
        )

    def send_command(
        self, chat_id: int, command: str, args: str = "", *, mention: bool = False, **who: Any
    ) -> dict[str, Any]:
        """Queue ``/command args`` (``/command@bot args`` with ``mention``, as in groups)."""
        text = "/" + command.lstrip("/")
        if mention:
            text += "@" + self.bot_username
        if args:
            text += " " + args
        return self.send_text(chat_id, text, **who)

    def send_document(
        self,
        chat_id: int,
        data: bytes,
        filename: str,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
        size: int | None = None,
        **who: Any,
    ) -> dict[str, Any]:
        """Queue a file sent by a user; getFile and the download then work for it.

        ``size`` declares a larger ``file_size`` than ``data`` (to test the 20 MB getFile limit
        without allocating it).
        """
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self._store_file(
            bytes(data), folder="documents", file_name=filename, mime_type=mime, size=size
        )
        content: dict[str, Any] = {
            "document": {
                "file_name": filename,
                "mime_type": mime,
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
            }
        }
        if caption:
            content.update(self._text_content(caption, "caption"))
        return self._user_message(chat_id, content, **who)

    def send_photo(
        self,
        chat_id: int,
        data: bytes | None = None,
        *,
        caption: str | None = None,
        **who: Any,
    ) -> dict[str, Any]:
        """Queue a photo sent by a user (a small PNG unless ``data`` is given)."""
        data = tiny_png(4, 3) if data is None else bytes(data)
        stored = self._store_file(data, folder="photos", file_name=None, mime_type="image/png")
        width, height = png_size(data) or (0, 0)
        content: dict[str, Any] = {
            "photo": [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.size,
                    "width": width,
                    "height": height,
                }
            ]
        }
        if caption:
            content.update(self._text_content(caption, "caption"))
        return self._user_message(chat_id, content, **who)

    def send_sticker(self, chat_id: int, *, emoji: str = "🙂", **who: Any) -> dict[str, Any]:
        """Queue a sticker sent by a user."""
        stored = self._store_file(
            b"RIFF\x00\x00\x00\x00WEBP", folder="stickers", file_name=None, mime_type="image/webp"
        )
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        return self._user_message(chat_id, {"sticker": sticker}, **who)

    def edit_text(self, chat_id: int, message_id: int, new_text: str) -> dict[str, Any]:
        """The user edits a text message they sent: queues an ``edited_message`` update."""
        message = self._messages.get((chat_id, message_id))
        if message is None or message.get("from", {}).get("is_bot") or "text" not in message:
            raise KeyError(f"no text message {message_id} from a user in chat {chat_id}")
        message.pop("entities", None)
        message.update(self._text_content(new_text))
        message["edit_date"] = int(time.time())
        return self._queue("edited_message", copy.deepcopy(message))

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        username: str | None = None,
        first_name: str = "Host",
        language_code: str | None = "en",
        check: bool = True,
    ) -> dict[str, Any]:
        """A user presses an inline button of a bot message: queues a ``callback_query``.

        With ``check`` the message's current keyboard must carry a button with this data.
        """
        found = self._bot_messages.get((chat_id, message_id))
        if found is None or found.deleted:
            raise KeyError(f"no bot message {message_id} in chat {chat_id}")
        if check and data not in found.button_data:
            raise ValueError(f"message {message_id} has no button {data!r}: {found.button_data}")
        user, _ = self._user_and_chat(
            chat_id,
            user_id=user_id,
            chat_type=None,
            username=username,
            first_name=first_name,
            language_code=language_code,
            chat_title=None,
        )
        query_id = f"{self.bot_id}{next(self._callback_ids):010d}"
        query = {
            "id": query_id,
            "from": user,
            "message": copy.deepcopy(found.raw),
            "chat_instance": str(abs(hash((self.bot_id, chat_id)))),
            "data": data,
        }
        self._callback_queries[query_id] = copy.deepcopy(query)
        return self._queue("callback_query", query)

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver the same update (same update_id) again, as after a restart of the bot before
        its offset was confirmed: the next getUpdates returns it whatever the offset."""
        update_id = int(update["update_id"])
        for pending in self._pending:
            if pending.update_id == update_id:
                pending.forced = True
                pending.delivered = False
                return copy.deepcopy(pending.update)
        self._enqueue(_Pending(copy.deepcopy(update), forced=True))
        return copy.deepcopy(update)

    # ------------------------------------------------------------------ test side: inspection

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return [copy.deepcopy(p.update) for p in sorted(self._pending, key=lambda p: p.update_id)]

    def delivered(self, update: dict[str, Any]) -> bool:
        """True once the bot has received this update."""
        return int(update["update_id"]) in self.delivered_at

    @property
    def webhook(self) -> dict[str, Any] | None:
        """The webhook set by the bot (url, secret_token, ...), or None."""
        return copy.deepcopy(self._webhook)

    def calls(self, method: str) -> list[SentCall]:
        """The recorded calls of one method (e.g. ``"sendPhoto"``)."""
        return [c for c in self.sent if c.method.lower() == method.lower()]

    def messages_to(self, chat_id: int | str, *, include_deleted: bool = False) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first, in their current state."""
        return [
            m
            for (chat, _), m in sorted(self._bot_messages.items(), key=lambda kv: kv[0][1])
            if chat == chat_id and (include_deleted or not m.deleted)
        ]

    def message(self, chat_id: int | str, message_id: int) -> BotMessage | None:
        """One message the bot sent, in its current state."""
        return self._bot_messages.get((chat_id, message_id))

    def text_of(self, chat_id: int | str, message_id: int) -> str | None:
        """The current text (or caption) of a bot message, after edits."""
        found = self._bot_messages.get((chat_id, message_id))
        return None if found is None else found.text

    def file(self, file_id: str) -> StoredFile:
        """A stored file (sent by a user, or uploaded by the bot)."""
        return self._files[file_id]

    def commands(
        self, *, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The command list the bot set for a scope and language."""
        key = self._commands_key({"scope": scope, "language_code": language_code})
        return copy.deepcopy(self._commands.get(key, []))

    def reply_latency(self, update: dict[str, Any]) -> float | None:
        """Seconds from queuing ``update`` to the first reply in its chat (None if none yet)."""
        update_id = int(update["update_id"])
        chat_id = _chat_of(update)
        start = self._sent_mark.get(update_id)
        if start is None or chat_id is None:
            return None
        for call in self.sent[start:]:
            if call.method in _REPLY_METHODS and call.chat_id == chat_id:
                return call.time - self.queued_at[update_id]
        return None

    def _since_index(self, since: Since) -> int:
        if since is None:
            return 0
        if isinstance(since, SentCall):
            return since.index + 1
        if isinstance(since, dict):
            return self._sent_mark[int(since["update_id"])]
        return int(since)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``condition()`` holds; it is checked whenever the server state changes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            event = self._changed
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.25))

    async def wait_for(
        self,
        predicate: Callable[[SentCall], bool],
        timeout: float = 5.0,
        *,
        since: Since = None,
    ) -> SentCall:
        """The first recorded call (from ``since`` on) matching ``predicate``, waiting for it.

        ``since``: an index into ``sent``, an update returned by ``send_*`` (calls recorded
        after it was queued) or a SentCall (calls after it). Raises TimeoutError.
        """
        checked = self._since_index(since)
        found: list[SentCall] = []

        def matched() -> bool:
            nonlocal checked
            for call in self.sent[checked:]:
                if predicate(call):
                    found.append(call)
                    return True
            checked = max(checked, len(self.sent))
            return False

        try:
            await self.wait_until(matched, timeout)
        except TimeoutError:
            recent = [(c.method, c.chat_id, c.text) for c in self.sent[-8:]]
            raise TimeoutError(
                f"no matching call within {timeout}s; last calls: {recent}"
            ) from None
        return found[0]

    async def wait_for_message(
        self,
        chat_id: int | str,
        contains: str | None = None,
        timeout: float = 5.0,
        *,
        since: Since = None,
    ) -> SentCall:
        """The first message sent to (or text edited in) ``chat_id`` whose text or caption
        contains ``contains`` (any message when None): sendMessage, sendPhoto, sendDocument,
        sendMediaGroup and editMessageText count."""

        def match(call: SentCall) -> bool:
            if call.method not in _REPLY_METHODS or call.chat_id != chat_id:
                return False
            return contains is None or (call.text is not None and contains in call.text)

        return await self.wait_for(match, timeout, since=since)


def _chat_of(update: dict[str, Any]) -> int | None:
    for key in ("message", "edited_message"):
        if key in update:
            return int(update[key]["chat"]["id"])
    if "callback_query" in update and "message" in update["callback_query"]:
        return int(update["callback_query"]["message"]["chat"]["id"])
    return None
