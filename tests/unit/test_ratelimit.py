"""Client-side rate limits: token buckets and the per-region limiter, on an injected fake clock."""

from __future__ import annotations

import pytest
from fake_clock import FakeClock

from vpclink_operator.aws.ratelimit import DEFAULT_QUOTAS, Quota, RateLimiter, TokenBucket


def test_bucket_starts_full_and_allows_a_burst() -> None:
    bucket = TokenBucket(Quota(per_second=2, burst=3), FakeClock())

    for _ in range(3):
        assert bucket.wait_time() == 0.0
        bucket.take()
    assert bucket.wait_time() == pytest.approx(0.5)


def test_bucket_refills_at_the_quota_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Quota(per_second=2, burst=3), clock)
    for _ in range(3):
        bucket.take()

    clock.advance(0.25)
    assert bucket.wait_time() == pytest.approx(0.25)
    clock.advance(0.25)
    assert bucket.wait_time() == 0.0


def test_bucket_never_holds_more_than_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Quota(per_second=2, burst=3), clock)
    clock.advance(3600)

    for _ in range(3):
        bucket.take()
    assert bucket.wait_time() == pytest.approx(0.5)


def test_negative_balance_queues_later_callers_behind() -> None:
    bucket = TokenBucket(Quota(per_second=1 / 15, burst=1), FakeClock())
    bucket.take()
    bucket.take()  # reserved a slot 15 s out

    assert bucket.wait_time() == pytest.approx(30.0)


# -- RateLimiter ------------------------------------------------------------------------------------


def test_reserve_returns_the_wait_and_queues_callers() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())

    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == 0.0
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == pytest.approx(15)
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == pytest.approx(30)


def test_reserve_does_not_reserve_when_the_wait_exceeds_max_wait() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())
    limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0)

    for _ in range(5):
        assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=5) == pytest.approx(15)
    # Had any of those reserved a slot, this wait would be longer than 15 s.
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=15) == pytest.approx(15)
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == pytest.approx(30)


def test_reserve_does_not_take_from_the_global_bucket_when_refused() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1), "*": Quota(1e-6, 2)}, clock=FakeClock())
    limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0)
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=1) == pytest.approx(15)

    # The refused call must not have spent the global token this call needs.
    assert limiter.reserve("us-east-1", "apigatewayv2", "GetVpcLinks", max_wait=0) == 0.0


def test_buckets_are_per_region() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())
    limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0)

    assert limiter.reserve("eu-west-1", "apigatewayv2", "CreateVpcLink", max_wait=0) == 0.0


def test_global_bucket_is_shared_by_every_operation_of_a_region() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"*": Quota(1, 2)}, clock=clock)

    assert limiter.reserve("us-east-1", "apigatewayv2", "GetVpcLinks", max_wait=10) == 0.0
    assert limiter.reserve("us-east-1", "apigateway", "GetVpcLinks", max_wait=10) == 0.0
    assert limiter.reserve("us-east-1", "ec2", "DescribeSubnets", max_wait=10) == pytest.approx(1.0)
    clock.advance(2)
    assert limiter.reserve("us-east-1", "ec2", "DescribeSubnets", max_wait=10) == 0.0


def test_the_longer_of_operation_and_global_waits_applies() -> None:
    limiter = RateLimiter({"apigateway:CreateDeployment": Quota(1 / 5, 1), "*": Quota(1 / 2, 1)},
                          clock=FakeClock())
    limiter.reserve("us-east-1", "apigateway", "CreateDeployment", max_wait=0)

    # CreateDeployment: its own bucket (5 s) is slower than the global one (2 s).
    assert limiter.reserve("us-east-1", "apigateway", "CreateDeployment", max_wait=100) == pytest.approx(5)
    # GetStages has only the global bucket, now two calls deep: (1 - (-1)) / 0.5 = 4 s.
    assert limiter.reserve("us-east-1", "apigateway", "GetStages", max_wait=100) == pytest.approx(4)


def test_operation_without_any_quota_is_not_limited() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())

    for _ in range(100):
        assert limiter.reserve("us-east-1", "apigatewayv2", "GetVpcLinks", max_wait=0) == 0.0


def test_scale_multiplies_the_rate_but_not_the_burst() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, scale=40, clock=FakeClock())

    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0) == 0.0
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=10) == pytest.approx(15 / 40)
    assert limiter.quotas["apigatewayv2:CreateVpcLink"].burst == 1


def test_default_quotas_cover_the_slow_api_gateway_operations() -> None:
    assert DEFAULT_QUOTAS["apigatewayv2:CreateVpcLink"].per_second == pytest.approx(1 / 15)
    assert DEFAULT_QUOTAS["apigatewayv2:DeleteVpcLink"].per_second == pytest.approx(1 / 30)
    assert "*" in DEFAULT_QUOTAS
