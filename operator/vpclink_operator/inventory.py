"""Shared observation: one paginated list per key (a region's links, an API's integrations), not a
GET per object.

Every object reads the same snapshot. A snapshot older than the caller's `max_age` is re-listed
once (concurrent callers wait for that one list). After a write, the writer applies AWS's answer
to the snapshot (`Snapshots.update`), so the next pass sees the effect without a list; only a
write whose answer does not say enough invalidates the key. Each snapshot remembers which objects
read it (`context.current_object`), so the scheduler's observer re-lists it on its own schedule
and wakes exactly those readers when it changed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from vpclink_operator.aws.links import LinkAdapter
from vpclink_operator.context import current_object
from vpclink_operator.models.vpclink import ApiType, ObservedLink

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Entry(Generic[V]):
    taken: float = float("-inf")
    value: V | None = None
    writes: int = 0  # write-throughs so far; a list that overlapped one may predate it
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Snapshots(Generic[K, V]):
    def __init__(self, load: Callable[[K], Awaitable[V]], clock: Callable[[], float] = time.monotonic) -> None:
        self.load = load
        self.clock = clock
        self._entries: dict[K, _Entry[V]] = {}
        self._readers: dict[K, set[str]] = {}  # who read each key in their latest pass
        self._read_by: dict[str, set[K]] = {}

    def _note_reader(self, key: K) -> None:
        uid = current_object()
        if uid is not None:
            self._readers.setdefault(key, set()).add(uid)
            self._read_by.setdefault(uid, set()).add(key)

    def readers(self) -> dict[K, set[str]]:
        return self._readers

    def drop_reader(self, uid: str) -> None:
        for key in self._read_by.pop(uid, ()):
            readers = self._readers.get(key)
            if readers is not None:
                readers.discard(uid)
                if not readers:
                    del self._readers[key]

    def age(self, key: K) -> float:
        """Seconds since the snapshot of `key` was listed (infinite if never, or invalidated)."""
        return self.clock() - self._entry(key).taken

    async def relist(self, key: K) -> bool:
        """List `key` now (the observer's schedule); True if what it holds changed."""
        before = self._entry(key).value
        after = await self.get(key, max_age=-1.0)
        return before != after

    def _entry(self, key: K) -> _Entry[V]:
        return self._entries.setdefault(key, _Entry())

    async def get(self, key: K, max_age: float) -> V:
        self._note_reader(key)
        entry = self._entry(key)
        if self._stale(entry, max_age):
            async with entry.lock:
                if self._stale(entry, max_age):  # another caller may have listed meanwhile
                    started, writes = self.clock(), entry.writes
                    listed = await self.load(key)
                    if entry.writes == writes or entry.value is None:
                        entry.value, entry.taken = listed, started
                    # else a write answered while the list was in flight may be missing from it: keep the
                    # written-through value, and list again at the next look.
        assert entry.value is not None
        return entry.value

    def _stale(self, entry: _Entry[V], max_age: float) -> bool:
        return entry.value is None or entry.taken == float("-inf") or self.clock() - entry.taken > max_age

    def peek(self, key: K) -> V | None:
        return self._entry(key).value

    def invalidate(self, key: K) -> None:
        entry = self._entry(key)
        entry.taken = float("-inf")
        entry.writes += 1  # a list already in flight may predate the write that made this necessary

    def update(self, key: K, change: Callable[[V], V]) -> None:
        """Write-through: apply what a write's answer says to the snapshot, instead of listing again.

        Nothing listed yet: nothing to update (the first list will include the write).
        """
        entry = self._entry(key)
        if entry.value is not None:
            entry.value = change(entry.value)
            entry.writes += 1


class LinkInventory:
    """Every VPC link of a (region, API type), by id."""

    def __init__(self, adapters: Mapping[ApiType, LinkAdapter],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.adapters = adapters
        self.snapshots: Snapshots[tuple[str, ApiType], dict[str, ObservedLink]] = Snapshots(self._list, clock)

    async def _list(self, key: tuple[str, ApiType]) -> dict[str, ObservedLink]:
        region, api_type = key
        return {link.id: link for link in await self.adapters[api_type].list_links(region)}

    async def links(self, region: str, api_type: ApiType, max_age: float) -> Mapping[str, ObservedLink]:
        return dict(await self.snapshots.get((region, api_type), max_age))

    async def refresh(self, region: str, api_type: ApiType, link_id: str) -> ObservedLink | None:
        """Direct GET of one link, right after a write to it."""
        link = await self.adapters[api_type].get_link(region, link_id)
        self.remember(region, api_type, link_id, link)
        return link

    def remember(self, region: str, api_type: ApiType, link_id: str, link: ObservedLink | None) -> None:
        def change(links: dict[str, ObservedLink]) -> dict[str, ObservedLink]:
            others = {key: value for key, value in links.items() if key != link_id}
            return others if link is None else {**others, link_id: link}
        self.snapshots.update((region, api_type), change)
