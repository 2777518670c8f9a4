"""A tiny round-robin load balancer for webhook tests and benchmarks.

It forwards each `POST /telegram` (body and secret header) to the next backend in turn and
answers with the backend's status; with `fan_out` it forwards to every backend at once (the
same update reaching several instances) and answers 200 when any of them did.
"""

from __future__ import annotations

import asyncio
import itertools

import aiohttp
from aiohttp import web

from bot.webhook import SECRET_HEADER, WEBHOOK_PATH

__all__ = ["LoadBalancer"]


class LoadBalancer:
    """Forwards each webhook POST to the next instance in turn; with `fan_out` to all of them
    at once (the same update reaching two instances)."""

    def __init__(self) -> None:
        self.backends: list[str] = []
        self.fan_out = False
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(WEBHOOK_PATH, self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, backend: str, body: bytes, headers: dict[str, str]) -> int:
        assert self._client is not None
        try:
            async with self._client.post(backend, data=body, headers=headers) as response:
                return response.status
        except aiohttp.ClientError:
            return 502

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k in (SECRET_HEADER, "Content-Type")}
        if not self.backends:
            return web.Response(status=502)
        if self.fan_out:
            targets = self.backends
        else:
            targets = [self.backends[next(self._turn) % len(self.backends)]]
        statuses = await asyncio.gather(*(self._post(t, body, headers) for t in targets))
        status = 200 if 200 in statuses else statuses[0]
        return web.Response(status=status)
