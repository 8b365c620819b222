"""Prometheus metrics, served on /metrics by health.py."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECONCILES = Counter("vpclink_reconciles_total", "Reconcile passes by kind and result", ["kind", "result"])
AWS_CALLS = Counter("vpclink_aws_calls_total", "AWS API calls by operation and result", ["operation", "result"])
AWS_THROTTLED = Counter("vpclink_aws_throttled_total", "AWS calls answered with throttling", ["operation"])
RATE_LIMIT_WAIT = Histogram("vpclink_rate_limiter_wait_seconds",
                            "Time spent waiting in the client-side rate limiter", ["operation"],
                            buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30))
LINKS_BY_STATE = Gauge("vpclink_links", "VPC links managed by this operator, by AWS state", ["state"])
OLDEST_PENDING = Gauge("vpclink_oldest_pending_link_age_seconds",
                       "Age of the oldest link still PENDING, as seen by this operator")
