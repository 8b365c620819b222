"""Client-side rate limits: token buckets and the per-region limiter, on an injected fake clock."""

from __future__ import annotations

import pytest
from fake_clock import FakeClock

from vpclink_operator.aws.ratelimit import DEFAULT_QUOTAS, Quota, RateLimiter, TokenBucket, Turn

CREATE = ("us-east-1", "apigatewayv2", "CreateVpcLink")


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


def once(limiter: RateLimiter, region: str, service: str, operation: str, max_wait: float) -> float:
    """A call made outside any pass: its holder exists for this one call (the client's no-object path)."""
    return limiter.turn(region, service, operation, object(), max_wait).wait


def test_reserve_returns_the_wait_and_queues_callers() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())

    assert once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == 0.0
    assert once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == pytest.approx(15)
    assert once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == pytest.approx(30)


def test_reserve_does_not_reserve_when_the_wait_exceeds_max_wait() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())
    once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0)

    for _ in range(5):
        assert once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=5) == pytest.approx(15)
    # Had any of those reserved a slot, this wait would be longer than 15 s.
    assert once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=15) == pytest.approx(15)
    assert once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == pytest.approx(30)


def test_reserve_does_not_take_from_the_global_bucket_when_refused() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1), "*": Quota(1e-6, 2)}, clock=FakeClock())
    once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0)
    assert once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=1) == pytest.approx(15)

    # The refused call must not have spent the global token this call needs.
    assert once(limiter, "us-east-1", "apigatewayv2", "GetVpcLinks", max_wait=0) == 0.0


def test_buckets_are_per_region() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())
    once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0)

    assert once(limiter, "eu-west-1", "apigatewayv2", "CreateVpcLink", max_wait=0) == 0.0


def test_global_bucket_is_shared_by_every_operation_of_a_region() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"*": Quota(1, 2)}, clock=clock)

    assert once(limiter, "us-east-1", "apigatewayv2", "GetVpcLinks", max_wait=10) == 0.0
    assert once(limiter, "us-east-1", "apigateway", "GetVpcLinks", max_wait=10) == 0.0
    assert once(limiter, "us-east-1", "ec2", "DescribeSubnets", max_wait=10) == pytest.approx(1.0)
    clock.advance(2)
    assert once(limiter, "us-east-1", "ec2", "DescribeSubnets", max_wait=10) == 0.0


def test_the_longer_of_operation_and_global_waits_applies() -> None:
    limiter = RateLimiter({"apigateway:CreateDeployment": Quota(1 / 5, 1), "*": Quota(1 / 2, 1)},
                          clock=FakeClock())
    once(limiter, "us-east-1", "apigateway", "CreateDeployment", max_wait=0)

    # CreateDeployment: its own bucket (5 s) is slower than the global one (2 s).
    assert once(limiter, "us-east-1", "apigateway", "CreateDeployment", max_wait=100) == pytest.approx(5)
    # GetStages has only the global bucket, one call deep: the CreateDeployment waiting in line takes its
    # global token when it goes, not while it waits: (1 - 0) / 0.5 = 2 s.
    assert once(limiter, "us-east-1", "apigateway", "GetStages", max_wait=100) == pytest.approx(2)


def test_operation_without_any_quota_is_not_limited() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())

    for _ in range(100):
        assert once(limiter, "us-east-1", "apigatewayv2", "GetVpcLinks", max_wait=0) == 0.0


def test_scale_multiplies_the_rate_but_not_the_burst() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, scale=40, clock=FakeClock())

    assert once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0) == 0.0
    assert once(limiter, "us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=10) == pytest.approx(15 / 40)
    assert limiter.quotas["apigatewayv2:CreateVpcLink"].burst == 1


def test_default_quotas_cover_the_slow_api_gateway_operations() -> None:
    assert DEFAULT_QUOTAS["apigatewayv2:CreateVpcLink"].per_second == pytest.approx(1 / 15)
    assert DEFAULT_QUOTAS["apigatewayv2:DeleteVpcLink"].per_second == pytest.approx(1 / 30)
    assert "*" in DEFAULT_QUOTAS


# -- Tickets: a place in line per object ------------------------------------------------------------


def create_line(clock: FakeClock, grace: float = 5.0) -> RateLimiter:
    return RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1), "*": Quota(10, 40)}, clock=clock, grace=grace)


def test_objects_are_served_first_come_first_served_at_exact_due_times() -> None:
    clock = FakeClock()
    limiter = create_line(clock)

    assert limiter.turn(*CREATE, "a") == Turn(0.0, granted=True)
    assert limiter.turn(*CREATE, "b") == Turn(pytest.approx(15), granted=False)
    assert limiter.turn(*CREATE, "c") == Turn(pytest.approx(30), granted=False)
    assert limiter.turn(*CREATE, "d") == Turn(pytest.approx(45), granted=False)

    clock.advance(15)
    # c asks early: it keeps its place and is told the same due time; b, whose turn it is, goes.
    assert limiter.turn(*CREATE, "c") == Turn(pytest.approx(15), granted=False)
    assert limiter.turn(*CREATE, "b") == Turn(0.0, granted=True)
    clock.advance(14.9)
    assert limiter.turn(*CREATE, "d") == Turn(pytest.approx(15.1), granted=False)
    clock.advance(0.1)
    assert limiter.turn(*CREATE, "c") == Turn(0.0, granted=True)


def test_asking_again_before_the_turn_never_reserves_a_second_place() -> None:
    clock = FakeClock()
    limiter = create_line(clock)
    limiter.turn(*CREATE, "a")

    for elapsed in range(5):
        assert limiter.turn(*CREATE, "b").wait == pytest.approx(15 - elapsed)
        clock.advance(1)
    # One place for b: the next object is one slot behind it, not five.
    assert limiter.turn(*CREATE, "c").wait == pytest.approx(25)


def test_a_ticket_is_used_once_then_the_object_queues_again() -> None:
    clock = FakeClock()
    limiter = create_line(clock)
    limiter.turn(*CREATE, "a")
    limiter.turn(*CREATE, "b")

    clock.advance(15)
    assert limiter.turn(*CREATE, "b").granted
    # b's ticket is spent: a second call is a new place, behind the bucket's next token.
    assert limiter.turn(*CREATE, "b") == Turn(pytest.approx(15), granted=False)


def test_a_ticket_not_used_within_the_grace_expires_and_the_line_moves_up() -> None:
    clock = FakeClock()
    limiter = create_line(clock, grace=5)
    limiter.turn(*CREATE, "a")
    limiter.turn(*CREATE, "gone")  # due at 15, never comes back
    assert limiter.turn(*CREATE, "c").wait == pytest.approx(30)

    clock.advance(20)  # within the grace, c still waits one interval behind "gone", whenever that goes
    assert limiter.turn(*CREATE, "c") == Turn(pytest.approx(15), granted=False)
    clock.advance(0.5)  # past 15 + 5: "gone" has lost its place; c's token has been due since 15
    assert limiter.turn(*CREATE, "c") == Turn(0.0, granted=True)
    assert limiter.turn(*CREATE, "gone") == Turn(pytest.approx(15), granted=False)  # at the back, as a newcomer


def test_a_late_holder_moves_the_line_back_by_its_lateness() -> None:
    clock = FakeClock()
    limiter = create_line(clock)
    limiter.turn(*CREATE, "a")
    limiter.turn(*CREATE, "b")
    limiter.turn(*CREATE, "c")

    clock.advance(18)  # b comes 3 s late: AWS sees its call at 18, so c's turn is 33, not 30
    assert limiter.turn(*CREATE, "b").granted
    clock.advance(12)
    assert limiter.turn(*CREATE, "c") == Turn(pytest.approx(3), granted=False)


def test_the_next_token_counts_from_the_answer_not_from_the_send() -> None:
    clock = FakeClock()
    limiter = create_line(clock)
    assert limiter.turn(*CREATE, "a").granted
    limiter.answered(*CREATE, round_trip=0.4)  # AWS took its token somewhere within those 0.4 s

    assert limiter.turn(*CREATE, "b").wait == pytest.approx(15.4)


def test_a_round_trip_never_costs_more_than_the_token_it_counts() -> None:
    clock = FakeClock()
    limiter = create_line(clock)
    assert limiter.turn(*CREATE, "a").granted
    limiter.answered(*CREATE, round_trip=60)

    assert limiter.turn(*CREATE, "b").wait == pytest.approx(30)


def test_without_an_object_a_long_wait_reserves_nothing_and_a_short_one_holds_a_place() -> None:
    clock = FakeClock()
    limiter = create_line(clock)
    limiter.turn(*CREATE, "a")

    assert limiter.turn(*CREATE, object(), 10) == Turn(pytest.approx(15), granted=False)
    assert limiter.turn(*CREATE, "b").wait == pytest.approx(15)  # nothing was reserved ahead of b
    clock.advance(6)
    waiting = object()
    assert limiter.turn(*CREATE, waiting, 10) == Turn(pytest.approx(24), granted=False)  # behind b: too long
    clock.advance(9)
    assert limiter.turn(*CREATE, "b").granted
    clock.advance(6)
    assert limiter.turn(*CREATE, waiting, 10) == Turn(pytest.approx(9), granted=False)  # within 10 s: held
    assert limiter.turn(*CREATE, "c").wait == pytest.approx(24)  # behind the one-off caller
    clock.advance(9)
    assert limiter.turn(*CREATE, waiting, 10).granted


def test_lines_are_per_region_and_operation() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1), "apigatewayv2:DeleteVpcLink":
                           Quota(1 / 30, 1)}, clock=FakeClock())
    limiter.turn(*CREATE, "a")
    limiter.turn(*CREATE, "b")

    assert limiter.turn("eu-west-1", "apigatewayv2", "CreateVpcLink", "c").granted
    assert limiter.turn("us-east-1", "apigatewayv2", "DeleteVpcLink", "c").granted


@pytest.mark.parametrize("round_trip", [0.0013, 0.00274, 0.0137, 0.2, 0.31])
def test_a_holder_back_after_exactly_the_wait_it_was_told_goes(round_trip: float) -> None:
    # Float rounding in the refill must not leave it a sliver short of its token (it would be told ~0 s forever).
    clock = FakeClock()
    limiter = create_line(clock)
    limiter.turn(*CREATE, "a")
    limiter.answered(*CREATE, round_trip=round_trip)
    clock.advance(limiter.turn(*CREATE, "b").wait)

    assert limiter.turn(*CREATE, "b").granted
