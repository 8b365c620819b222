"""Fault injection: throttle storms, concurrent-modification conflicts, 5xx and latency.

A fault matches by service and operation name; it fires with probability `percent`, for at
most `count` calls and for at most `duration` wall-clock seconds (wall-clock, not emulated,
because a test that says "storm for 2 seconds" means seconds it waits).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import AwsError, throttling_error
from .routing import RequestInfo

KINDS = ("throttle", "conflict", "server_error", "latency")

CONFLICT_MESSAGE = "Unable to complete operation due to concurrent modification. Please try again later."
_SERVER_ERROR_CODES = {503: "ServiceUnavailableException"}


@dataclass
class Fault:
    kind: str
    percent: float = 100.0
    duration: float | None = None
    count: int | None = None
    operations: list[str] | None = None
    services: list[str] | None = None
    latency_ms: float = 0.0
    # latency only: "before" delays the request; "after" lets AWS do the work, then delays the
    # answer (the window in which a client can crash after a create took effect).
    phase: str = "before"
    status: int = 500
    id: int = 0
    created: float = field(default_factory=time.monotonic)
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        if not 0 <= self.percent <= 100:
            raise ValueError("percent must be between 0 and 100")
        if self.kind == "server_error" and not 500 <= self.status <= 599:
            raise ValueError("server_error status must be 5xx")
        if self.phase not in ("before", "after"):
            raise ValueError("phase must be 'before' or 'after'")

    def expired(self) -> bool:
        if self.count is not None and self.fired >= self.count:
            return True
        return self.duration is not None and time.monotonic() - self.created > self.duration

    def matches(self, info: RequestInfo) -> bool:
        return (self.services is None or info.service in self.services) and (
            self.operations is None or info.operation in self.operations
        )

    def error(self, info: RequestInfo) -> AwsError | None:
        if self.kind == "throttle":
            return throttling_error(info.service, "Too Many Requests (injected)")
        if self.kind == "conflict":
            return AwsError("ConflictException", CONFLICT_MESSAGE, 409)
        if self.kind == "server_error":
            code = _SERVER_ERROR_CODES.get(self.status, "InternalFailure")
            return AwsError(code, "Internal server error (injected)", self.status)
        return None

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("created")
        return data


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._random = random.Random()

    def add(self, kind: str, seed: int | None = None, **options: Any) -> Fault:
        fault = Fault(kind=kind, **options)
        with self._lock:
            fault.id = next(self._ids)
            if seed is not None:
                self._random.seed(seed)
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            self._faults = [f for f in self._faults if not f.expired()]
            return [f.public() for f in self._faults]

    def decide(self, info: RequestInfo) -> tuple[float, float, AwsError | None]:
        """Latency before and after the call, and the error to answer it with, if any."""
        before = after = 0.0
        with self._lock:
            self._faults = [f for f in self._faults if not f.expired()]
            for fault in self._faults:
                if not fault.matches(info) or self._random.random() * 100 >= fault.percent:
                    continue
                fault.fired += 1
                if fault.kind == "latency":
                    if fault.phase == "after":
                        after += fault.latency_ms / 1000
                    else:
                        before += fault.latency_ms / 1000
                    continue
                return before, after, fault.error(info)
        return before, after, None
