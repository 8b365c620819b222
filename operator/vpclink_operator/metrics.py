"""Prometheus metrics, served on /metrics by health.py.

The chart's alerts (templates/prometheusrule.yaml) and dashboard (templates/dashboard.yaml) query
these names; tests/integration/test_operations.py checks every dashboard query against a live scrape.
"""

from __future__ import annotations

import time
from collections import Counter as Counter_
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

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
LINK_STATES = ("PENDING", "AVAILABLE", "DELETING", "FAILED", "INACTIVE")


@dataclass(frozen=True)
class ObjectState:
    kind: str  # VpcLink | PrivateIntegration
    status: Mapping[str, Any]  # the status this process last wrote
    pending_since: float | None  # monotonic time the link was first seen PENDING


class ObjectStates(Collector):
    """The per-state gauges, computed from the operator's memory when Prometheus scrapes.

    Nothing is kept up to date per reconcile pass (that would cost every pass a walk over every
    object); a reason no object has any more simply disappears; the PENDING age is exact at scrape time.
    """

    def __init__(self, snapshot: Callable[[], Iterable[ObjectState]], clock: Callable[[], float] = time.monotonic):
        self.snapshot, self.clock = snapshot, clock

    def collect(self) -> Iterator[Metric]:
        objects = GaugeMetricFamily(
            "vpclink_objects", "Objects whose condition is True, by kind, condition and that condition's reason",
            labels=["kind", "condition", "reason"])
        links = GaugeMetricFamily("vpclink_links", "VPC links managed by this operator, by AWS state",
                                  labels=["state"])
        oldest = GaugeMetricFamily("vpclink_oldest_pending_link_age_seconds",
                                   "Age of the oldest link still PENDING, as seen by this operator")
        conditions: Counter_[tuple[str, str, str]] = Counter_()
        states: Counter_[str] = Counter_()
        pending: list[float] = []
        for state in self.snapshot():
            for condition in state.status.get("conditions") or []:
                if condition.get("status") == "True":
                    conditions[(state.kind, str(condition.get("type")), str(condition.get("reason") or ""))] += 1
            if state.kind == "VpcLink":
                states[str(state.status.get("vpcLinkStatus"))] += 1
            if state.pending_since is not None:
                pending.append(state.pending_since)
        for labels, count in sorted(conditions.items()):
            objects.add_metric(list(labels), count)
        for link_state in LINK_STATES:
            links.add_metric([link_state], states[link_state])
        oldest.add_metric([], self.clock() - min(pending) if pending else 0.0)
        yield from (objects, links, oldest)
