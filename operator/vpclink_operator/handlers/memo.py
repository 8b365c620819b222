"""Per-process state shared by handlers through kopf's `memo`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from vpclink_operator.config import Settings
from vpclink_operator.reconcile import Services


@dataclass
class ObjectMemory:
    """What this process remembers of one object between passes."""

    interval: float  # current re-check interval while AWS is moving; backs off
    next_due: float = 0.0  # monotonic time of the next timer pass that does real work
    moving: bool = True  # the last pass left work in flight (or there was none yet)
    status: dict[str, object] | None = None  # the status last written (newer than a stale body)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class OperatorMemo:
    settings: Settings
    services: Services
    objects: dict[str, ObjectMemory] = field(default_factory=dict)

    def memory(self, uid: str) -> ObjectMemory:
        if uid not in self.objects:
            self.objects[uid] = ObjectMemory(interval=self.settings.poll_seconds)
        return self.objects[uid]
