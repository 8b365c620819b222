"""Per-process state shared by handlers through kopf's `memo`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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

    def update_gauges(self, now: float) -> None:
        """Recount the per-state gauges from what this process last wrote for every object."""
        statuses: list[tuple[str, Mapping[str, Any]]] = [(m.kind, m.status or {}) for m in self.objects.values()]
        links = [status.get("vpcLinkStatus") for kind, status in statuses if kind == "VpcLink"]
        for state in metrics.LINK_STATES:
            metrics.LINKS_BY_STATE.labels(state).set(links.count(state))
        started = [m.pending_since for m in self.objects.values() if m.pending_since is not None]
        metrics.OLDEST_PENDING.set(now - min(started) if started else 0.0)
        metrics.set_object_conditions(statuses)

    def memory(self, uid: str) -> ObjectMemory:
        if uid not in self.objects:
            self.objects[uid] = ObjectMemory(interval=self.settings.poll_seconds)
        return self.objects[uid]
