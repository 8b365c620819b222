"""Coalesced calls: concurrent requests for the same key share one call that started after they asked.

REST deployments are coalesced per (Region, API, stage): a deployment snapshots the whole API, so one
that starts after a request was made covers it, however many integrations changed meanwhile. A call
starts only once no new request has joined for one `window` (at most `max_windows` windows after the
first request waited), so a burst of changes shares one call instead of one each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


@dataclass
class _Slot(Generic[R]):
    asked: int = 0  # requests numbered in arrival order
    covered: int = 0  # every request up to this number is covered by `result`
    result: R | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Coalescer(Generic[K, R]):
    def __init__(self, window: float = 0.0, max_windows: int = 1,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.window = window
        self.max_windows = max_windows
        self.sleep = sleep
        self._slots: dict[K, _Slot[R]] = {}

    async def run(self, key: K, call: Callable[[], Awaitable[R]]) -> R:
        slot = self._slots.setdefault(key, _Slot())
        slot.asked += 1
        ticket = slot.asked
        async with slot.lock:
            if slot.covered >= ticket and slot.result is not None:
                return slot.result
            await self._gather(slot)
            starting = slot.asked  # everyone who asked so far is covered by a call that starts now
            slot.result = await call()
            slot.covered = starting
            return slot.result

    async def _gather(self, slot: _Slot[R]) -> None:
        """Wait until a whole window passes with no new request (or `max_windows` have passed)."""
        for _ in range(self.max_windows if self.window > 0 else 0):
            asked = slot.asked
            await self.sleep(self.window)
            if slot.asked == asked:
                return
