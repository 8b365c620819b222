"""Prometheus metrics, served on /metrics by health.py.

The chart's alerts (templates/prometheusrule.yaml) and dashboard (templates/dashboard.yaml) query
these names; tests/integration/test_operations.py checks every dashboard query against a live scrape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# A `_created` series per labelled child doubles the series count and no alert or panel reads it.
disable_created_metrics()  # type: ignore[no-untyped-call]

AWS_REQUEST_DURATION = Histogram(
    "vpclink_aws_request_duration_seconds",
    "AWS API calls by service, operation and result (ok, not_found, in_use, throttled, retryable, rejected)",
    ["service", "operation", "result"], buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
AWS_THROTTLED = Counter("vpclink_aws_throttled_total", "AWS calls answered with throttling",
                        ["service", "operation"])
RATE_LIMIT_WAIT = Histogram("vpclink_rate_limiter_wait_seconds",
                            "Time spent waiting for a token of the client-side rate limiter", ["service", "operation"],
                            buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30))
RECONCILE_DURATION = Histogram(
    "vpclink_reconcile_duration_seconds", "Reconcile passes by kind and result (ok, requeue, error)",
    ["kind", "result"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
OBJECTS = Gauge("vpclink_objects", "Objects whose condition is True, by kind, condition and that condition's reason",
                ["kind", "condition", "reason"])
LINKS_BY_STATE = Gauge("vpclink_links", "VPC links managed by this operator, by AWS state", ["state"])
OLDEST_PENDING = Gauge("vpclink_oldest_pending_link_age_seconds",
                       "Age of the oldest link still PENDING, as seen by this operator")

LINK_STATES = ("PENDING", "AVAILABLE", "DELETING", "FAILED", "INACTIVE")


def set_object_conditions(objects: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
    """Recount `vpclink_objects` from (kind, status) of every object this process knows.

    Cleared and refilled in one go on the event loop, so a scrape never sees a half-count, and a
    reason no object has any more disappears instead of lingering.
    """
    counts: dict[tuple[str, str, str], int] = {}
    for kind, status in objects:
        for condition in status.get("conditions") or []:
            if condition.get("status") == "True":
                key = (kind, str(condition.get("type")), str(condition.get("reason") or ""))
                counts[key] = counts.get(key, 0) + 1
    OBJECTS.clear()
    for labels, count in counts.items():
        OBJECTS.labels(*labels).set(count)
