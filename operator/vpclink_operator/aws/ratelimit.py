"""Client-side token buckets, one per AWS operation and one for all calls, per region.

Shared by every object the operator manages, so the operator stays under API Gateway's account
quotas instead of collecting 429s. A caller reserves a token; if its turn is far off it is told to
come back later (RateLimited) rather than holding a worker for minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    per_second: float
    burst: int


# API Gateway's documented account quotas (the emulator enforces the same table).
DEFAULT_QUOTAS: Mapping[str, Quota] = {
    "apigatewayv2:CreateVpcLink": Quota(1 / 15, 1),
    "apigatewayv2:DeleteVpcLink": Quota(1 / 30, 1),
    "apigateway:CreateDeployment": Quota(1 / 5, 1),
    "apigateway:GetResources": Quota(5 / 2, 5),
    "*": Quota(10, 40),
}


class TokenBucket:
    def __init__(self, quota: Quota, clock: Callable[[], float] = time.monotonic) -> None:
        self.quota = quota
        self.clock = clock
        self.tokens = float(quota.burst)
        self.updated = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(float(self.quota.burst), self.tokens + (now - self.updated) * self.quota.per_second)
        self.updated = now

    def wait_time(self) -> float:
        """Seconds until a token is free (0 if one is free now)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.quota.per_second

    def take(self) -> None:
        """Reserve the next token; the balance may go negative, which queues later callers behind."""
        self._refill()
        self.tokens -= 1


class RateLimiter:
    def __init__(self, quotas: Mapping[str, Quota] = DEFAULT_QUOTAS, scale: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.quotas = {key: Quota(q.per_second * scale, q.burst) for key, q in quotas.items()}
        self.clock = clock
        self.buckets: dict[tuple[str, str], TokenBucket] = {}

    def _bucket(self, region: str, key: str) -> TokenBucket | None:
        quota = self.quotas.get(key)
        if quota is None:
            return None
        bucket = self.buckets.get((region, key))
        if bucket is None:
            bucket = self.buckets[(region, key)] = TokenBucket(quota, self.clock)
        return bucket

    def reserve(self, region: str, service: str, operation: str, max_wait: float) -> float:
        """Reserve a slot for one call and return how long to wait before making it.

        If the wait would exceed `max_wait`, nothing is reserved; the caller reports the wait.
        """
        buckets = [b for b in (self._bucket(region, f"{service}:{operation}"), self._bucket(region, "*")) if b]
        wait = max((b.wait_time() for b in buckets), default=0.0)
        if wait <= max_wait:
            for bucket in buckets:
                bucket.take()
        return wait
