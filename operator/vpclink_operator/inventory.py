"""Shared observation of VPC links: one paginated list per (region, API type), not a GET per object.

Every VpcLink object reads the same snapshot. A snapshot older than the caller's `max_age` is
re-listed once (concurrent callers wait for that one list). Writes refresh the one link they
touched with a direct GET, so the next pass sees their effect without a new list.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from vpclink_operator.aws.links import LinkAdapter
from vpclink_operator.models.vpclink import ApiType, ObservedLink


@dataclass
class _Snapshot:
    taken: float
    links: dict[str, ObservedLink]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class LinkInventory:
    def __init__(self, adapters: Mapping[ApiType, LinkAdapter],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.adapters = adapters
        self.clock = clock
        self._snapshots: dict[tuple[str, ApiType], _Snapshot] = {}

    def _entry(self, region: str, api_type: ApiType) -> _Snapshot:
        key = (region, api_type)
        if key not in self._snapshots:
            self._snapshots[key] = _Snapshot(taken=float("-inf"), links={})
        return self._snapshots[key]

    async def links(self, region: str, api_type: ApiType, max_age: float) -> Mapping[str, ObservedLink]:
        entry = self._entry(region, api_type)
        if self.clock() - entry.taken > max_age:
            async with entry.lock:
                if self.clock() - entry.taken > max_age:  # another caller may have just listed
                    started = self.clock()
                    listed = await self.adapters[api_type].list_links(region)
                    entry.links = {link.id: link for link in listed}
                    entry.taken = started
        return dict(entry.links)

    async def refresh(self, region: str, api_type: ApiType, link_id: str) -> ObservedLink | None:
        """Direct GET of one link, right after a write to it."""
        link = await self.adapters[api_type].get_link(region, link_id)
        self.remember(region, api_type, link_id, link)
        return link

    def remember(self, region: str, api_type: ApiType, link_id: str, link: ObservedLink | None) -> None:
        entry = self._entry(region, api_type)
        if link is None:
            entry.links.pop(link_id, None)
        else:
            entry.links[link_id] = link
