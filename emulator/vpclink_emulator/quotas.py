"""API Gateway rate quotas per account and Region, as token buckets on the emulated clock.

AWS: "The following quotas apply per account, per Region in Amazon API Gateway"
(docs.aws.amazon.com/apigateway/latest/developerguide/limits.html), so a call in one Region
never spends another Region's tokens.

Because the buckets refill in emulated time, a test at time_scale=100 sees the same ratios
as production (one CreateVpcLink per 15 AWS seconds) while waiting 100 times less.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .routing import RequestInfo
from .state import STATE

_APIGATEWAY = ("apigateway", "apigatewayv2")


@dataclass(frozen=True)
class Quota:
    name: str
    capacity: float  # burst
    per_second: float  # steady refill rate


# Quotas from the API Gateway quota page (issue 3, item 8), each per account and Region.
OPERATION_QUOTAS = {
    ("apigatewayv2", "CreateVpcLink"): Quota("CreateVpcLink", 1, 1 / 15),
    ("apigatewayv2", "DeleteVpcLink"): Quota("DeleteVpcLink", 1, 1 / 30),
    ("apigateway", "CreateDeployment"): Quota("CreateDeployment", 1, 1 / 5),
    ("apigateway", "GetResources"): Quota("GetResources", 5, 5 / 2),
}
ACCOUNT_QUOTA = Quota("AllOperations", 40, 10)


class _Bucket:
    def __init__(self, quota: Quota, now: float) -> None:
        self.quota = quota
        self.tokens = quota.capacity
        self.updated = now

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.quota.capacity, self.tokens + elapsed * self.quota.per_second)
        self.updated = now


class RateQuotas:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}  # (account, region, quota name)

    def admit(self, info: RequestInfo) -> bool:
        """Take a token from every bucket the call counts against; False means throttle it.

        Tokens are taken only when all buckets have one, so a refused call costs nothing.
        """
        if not STATE.config.quotas or info.service not in _APIGATEWAY:
            return True
        quotas = [ACCOUNT_QUOTA]
        specific = OPERATION_QUOTAS.get((info.service, info.operation or ""))
        if specific:
            quotas.append(specific)
        now = STATE.clock.now()
        with self._lock:
            buckets = [self._bucket(info.account, info.region, q, now) for q in quotas]
            for bucket in buckets:
                bucket.refill(now)
            if any(b.tokens < 1 for b in buckets):
                return False
            for bucket in buckets:
                bucket.tokens -= 1
            return True

    def _bucket(self, account: str, region: str, quota: Quota, now: float) -> _Bucket:
        key = (account, region, quota.name)
        if key not in self._buckets:
            self._buckets[key] = _Bucket(quota, now)
        return self._buckets[key]

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
