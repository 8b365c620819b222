"""How an AWS failure shows on any object: terminal errors stall it, the rest are retried."""

from __future__ import annotations

from dataclasses import dataclass

from vpclink_operator.aws.errors import AwsError, AwsRetryable, AwsTerminal, RateLimited
from vpclink_operator.models.conditions import Event, Health


@dataclass(frozen=True)
class AwsFailure:
    health: Health
    events: list[Event]
    requeue: bool
    next_check: float | None = None  # throttled by our own rate limiter: the place in line is held until then


def aws_failure(exc: AwsError | RateLimited, *, ready: bool) -> AwsFailure:
    """`ready`: whether the object still serves (e.g. on its old link) despite this failure."""
    if isinstance(exc, AwsTerminal):
        message = f"AWS rejected {exc.operation}: {exc.code}: {exc.message}"
        return AwsFailure(Health.stuck("AwsRejected", message, ready=ready),
                          [Event("Warning", "AwsRejected", message)], requeue=False)
    if isinstance(exc, RateLimited):  # a place in line is held: no retry, the pass comes back on its turn
        return AwsFailure(Health.in_progress("Throttled", str(exc), ready=ready), [], requeue=True,
                          next_check=exc.delay)
    throttled = isinstance(exc, AwsRetryable) and exc.throttled
    return AwsFailure(Health.in_progress("Throttled" if throttled else "AwsUnavailable", f"retrying: {exc}",
                                         ready=ready), [], requeue=True)
