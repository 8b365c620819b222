"""One place where AWS calls happen: rate limit, run boto3 off the event loop, classify, count."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from vpclink_operator import metrics
from vpclink_operator.aws.errors import AwsError, AwsNotFound, AwsRetryable, RateLimited, classify
from vpclink_operator.aws.ratelimit import RateLimiter

logger = logging.getLogger(__name__)

# Within this wait, a caller queues in-process; beyond it, it is requeued by kopf instead.
MAX_INLINE_WAIT = 10.0


class AwsClients:
    """boto3 clients per (service, region), sharing one rate limiter.

    The endpoint comes from the standard AWS_ENDPOINT_URL chain; there are no test hooks here.
    """

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self._session = boto3.session.Session()
        self._clients: dict[tuple[str, str], Any] = {}
        # botocore retries throttling itself a little; our own limiter and kopf's backoff do the rest.
        self._config = Config(retries={"mode": "standard", "total_max_attempts": 3},
                              connect_timeout=5, read_timeout=30)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.client(service, region_name=region, config=self._config)
        return self._clients[key]

    async def call(self, service: str, region: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        """Call `operation` (the botocore name, e.g. CreateVpcLink) and return its response."""
        wait = self.limiter.reserve(region, service, operation, MAX_INLINE_WAIT)
        if wait > MAX_INLINE_WAIT:
            raise RateLimited(operation, wait)
        if wait > 0:
            metrics.RATE_LIMIT_WAIT.labels(operation).observe(wait)
            await asyncio.sleep(wait)
        method: Callable[..., dict[str, Any]] = getattr(self.client(service, region), _snake(operation))
        started = time.monotonic()
        try:
            response = await asyncio.to_thread(method, **kwargs)
        except Exception as exc:
            error: AwsError = classify(operation, exc)
            result = "not_found" if isinstance(error, AwsNotFound) else type(error).__name__
            metrics.AWS_CALLS.labels(operation, result).inc()
            if isinstance(error, AwsRetryable) and error.throttled:
                metrics.AWS_THROTTLED.labels(operation).inc()
            logger.info("AWS %s failed: %s", operation, error, extra={"operation": operation})
            raise error from exc
        metrics.AWS_CALLS.labels(operation, "ok").inc()
        logger.debug("AWS %s took %.3fs", operation, time.monotonic() - started, extra={"operation": operation})
        return response


def _snake(operation: str) -> str:
    out = []
    for i, ch in enumerate(operation):
        if ch.isupper() and i and not operation[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
