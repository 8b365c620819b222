"""Per-process state shared by handlers through kopf's `memo`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vpclink_operator import metrics
from vpclink_operator.config import Settings
from vpclink_operator.handlers.apiserver import ApiServer
from vpclink_operator.health import Readiness
from vpclink_operator.models.conditions import Event
from vpclink_operator.reconcile import Services
from vpclink_operator.scheduler import Scheduler

LinkKey = tuple[str, str]  # (namespace, name) of a VpcLink object, the key of both indexes
ObjectName = tuple[str, str, str]  # (kind, namespace, name)


@dataclass
class ObjectMemory:
    """What this process remembers of one object between passes."""

    interval: float  # a deletion's next look while AWS is moving; backs off
    kind: str = ""  # VpcLink or PrivateIntegration, set by the first pass
    pending_since: float | None = None  # monotonic time the link was first seen PENDING
    status: dict[str, object] | None = None  # the status last computed (newer than a stale body), written or not
    unposted: list[Event] = field(default_factory=list)  # events of passes whose status write failed
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def remember(self, status: dict[str, object], now: float) -> None:
        self.status = status
        if status.get("vpcLinkStatus") != "PENDING":
            self.pending_since = None
        elif self.pending_since is None:
            self.pending_since = now


@dataclass
class OperatorMemo:
    settings: Settings
    services: Services
    readiness: Readiness
    scheduler: Scheduler
    apiserver: ApiServer
    objects: dict[str, ObjectMemory] = field(default_factory=dict)
    bodies: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # the latest body the watch saw, by UID
    uids: dict[ObjectName, str] = field(default_factory=dict)
    indexes: dict[str, Any] = field(default_factory=dict)  # kopf's indexes, as handlers get them

    def object_states(self) -> list[metrics.ObjectState]:
        """What /metrics reports per state (metrics.ObjectStates reads it at scrape time)."""
        return [metrics.ObjectState(m.kind, m.status or {}, m.pending_since) for m in self.objects.values()]

    def memory(self, uid: str) -> ObjectMemory:
        if uid not in self.objects:
            self.objects[uid] = ObjectMemory(interval=self.settings.poll_seconds)
        return self.objects[uid]

    def forget(self, uid: str) -> None:
        """The object is gone from the cluster."""
        self.objects.pop(uid, None)
        body = self.bodies.pop(uid, None)
        if body is not None:
            meta = body.get("metadata", {})
            self.uids.pop((body.get("kind", ""), meta.get("namespace", ""), meta.get("name", "")), None)
        self.scheduler.forget(uid)
