"""One place where AWS calls happen: rate limit, run boto3 off the event loop, classify, count."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore import xform_name
from botocore.config import Config

from vpclink_operator import metrics
from vpclink_operator.aws.errors import AwsError, AwsInUse, AwsNotFound, AwsRetryable, RateLimited, classify
from vpclink_operator.aws.ratelimit import RateLimiter
from vpclink_operator.context import current_object
from vpclink_operator.logs import note_operation

logger = logging.getLogger(__name__)

# Within this wait (AWS seconds, scaled like the quotas so a time-scaled emulator sees the same ratios), a caller
# waits in-process; beyond it, an object's pass ends holding its place in line (RateLimited says until when), and
# a call made outside any pass reserves nothing.
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
        await self._wait_for_turn(service, region, operation)
        method: Callable[..., dict[str, Any]] = getattr(self.client(service, region), xform_name(operation))
        started = time.monotonic()
        try:
            response = await asyncio.to_thread(method, **kwargs)
        except Exception as exc:
            self.limiter.answered(region, service, operation, time.monotonic() - started)
            error: AwsError = classify(operation, exc)
            result = _result(error)
            metrics.AWS_REQUEST_DURATION.labels(service, operation, result).observe(time.monotonic() - started)
            if result == "throttled":
                metrics.AWS_THROTTLED.labels(service, operation).inc()
            note_operation(operation, failed=True)
            # Expected answers (NotFound, in use, throttling) are handled by the caller; a rejection
            # reaches the object's Stalled condition and its transition log line at WARNING.
            logger.debug("AWS %s %s failed: %s", service, operation, error, extra={"operation": operation})
            raise error from exc
        self.limiter.answered(region, service, operation, time.monotonic() - started)
        metrics.AWS_REQUEST_DURATION.labels(service, operation, "ok").observe(time.monotonic() - started)
        note_operation(operation, failed=False)
        logger.debug("AWS %s %s took %.3fs", service, operation, time.monotonic() - started,
                     extra={"operation": operation})
        return response

    async def _wait_for_turn(self, service: str, region: str, operation: str) -> None:
        """Wait in-process for this call's turn, or raise RateLimited with the exact time it comes.

        Inside a pass the holder is the object (`context.current_object()`), so its place in line outlives the
        pass: it comes back when RateLimited says and goes then. Outside a pass the holder is this call alone.
        """
        inline = MAX_INLINE_WAIT / self.limiter.scale
        uid = current_object()
        holder: object = uid if uid is not None else object()
        while True:
            turn = self.limiter.turn(region, service, operation, holder, math.inf if uid is not None else inline)
            if turn.wait > 0:
                if not turn.granted and turn.wait > inline:
                    raise RateLimited(operation, turn.wait)
                metrics.RATE_LIMIT_WAIT.labels(service, operation).observe(turn.wait)
                await asyncio.sleep(turn.wait)
            if turn.granted:
                return


def _result(error: AwsError) -> str:
    if isinstance(error, AwsNotFound):
        return "not_found"
    if isinstance(error, AwsInUse):
        return "in_use"
    if isinstance(error, AwsRetryable):
        return "throttled" if error.throttled else "retryable"
    return "rejected"
