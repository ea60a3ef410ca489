"""A fixed response delay, as a provider behind the Spine Secure Proxy shows.

The delay is an asyncio sleep before the request is handled, so concurrent requests wait
side by side (as they would on a real server) rather than one after another.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]


class Latency:
    """ASGI middleware delaying every HTTP request by `ms` milliseconds."""

    def __init__(self, app, ms: int, sleep: Sleep = asyncio.sleep):
        self.app = app
        self.seconds = ms / 1000.0
        self._sleep = sleep

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.seconds > 0:
            await self._sleep(self.seconds)
        await self.app(scope, receive, send)


def with_latency(app, ms: int):
    """The app itself when ms is 0, else the app behind a fixed delay."""
    return Latency(app, ms) if ms > 0 else app
