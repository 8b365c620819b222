"""Per-process state shared by handlers through kopf's `memo`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from vpclink_operator import metrics
from vpclink_operator.config import Settings
from vpclink_operator.health import Readiness
from vpclink_operator.reconcile import Services

LinkKey = tuple[str, str]  # (namespace, name) of a VpcLink object, the key of both indexes


@dataclass
class ObjectMemory:
    """What this process remembers of one object between passes."""

    interval: float  # current re-check interval while AWS is moving; backs off
    kind: str = ""  # VpcLink or PrivateIntegration, set by the first pass
    next_due: float = 0.0  # monotonic time of the next timer pass that does real work
    moving: bool = True  # the last pass left work in flight (or there was none yet)
    pending_since: float | None = None  # monotonic time the link was first seen PENDING
    status: dict[str, object] | None = None  # the status last written (newer than a stale body)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def remember(self, status: dict[str, object], now: float) -> None:
        self.status = status
        if status.get("vpcLinkStatus") != "PENDING":
            self.pending_since = None
        elif self.pending_since is None:
            self.pending_since = now

    def due(self, now: float) -> bool:
        return now >= self.next_due

    def after_pass(self, requeue: bool, poll: float, resync: float, now: float) -> None:
        """Moving: look again after the current interval, then double it (up to resync). Steady: resync."""
        self.moving = requeue
        if requeue:
            self.next_due = now + self.interval
            self.interval = min(self.interval * 2, resync)
        else:
            self.interval = poll
            self.next_due = now + resync


@dataclass
class OperatorMemo:
    settings: Settings
    services: Services
    readiness: Readiness
    objects: dict[str, ObjectMemory] = field(default_factory=dict)

    def object_states(self) -> list[metrics.ObjectState]:
        """What /metrics reports per state (metrics.ObjectStates reads it at scrape time)."""
        return [metrics.ObjectState(m.kind, m.status or {}, m.pending_since) for m in self.objects.values()]

    def memory(self, uid: str) -> ObjectMemory:
        if uid not in self.objects:
            self.objects[uid] = ObjectMemory(interval=self.settings.poll_seconds)
        return self.objects[uid]
