"""AWS clients are created lazily: none at start-up, then one per (service, Region) actually called; a call
waits for its turn in the rate limiter's line, held by the object whose pass makes it."""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
import pytest
from fake_clock import FakeClock

from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.errors import RateLimited
from vpclink_operator.aws.ratelimit import Quota, RateLimiter
from vpclink_operator.config import parse_args
from vpclink_operator.context import working_for
from vpclink_operator.reconcile import Services


def test_no_client_until_a_service_is_used_then_one_per_service_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[tuple[str, str]] = []

    def client(self: Any, service: str, *, region_name: str, **_: Any) -> object:
        created.append((service, region_name))
        return object()

    monkeypatch.setattr(boto3.session.Session, "client", client)
    services = Services.build(parse_args(["--region", "us-east-1"]))
    assert created == []  # building every adapter loads no botocore service model

    first = services.aws.client("apigatewayv2", "us-east-1")
    assert services.aws.client("apigatewayv2", "us-east-1") is first
    services.aws.client("apigatewayv2", "eu-west-1")
    assert created == [("apigatewayv2", "us-east-1"), ("apigatewayv2", "eu-west-1")]


class _FakeApiGateway:
    """Stands in for a botocore client: counts the calls that got through the rate limiter."""

    def __init__(self) -> None:
        self.created = 0

    def create_vpc_link(self, **_: Any) -> dict[str, Any]:
        self.created += 1
        return {"VpcLinkId": f"link-{self.created}"}


def _clients(clock: FakeClock) -> tuple[AwsClients, _FakeApiGateway]:
    aws = AwsClients(RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=clock))
    fake = _FakeApiGateway()
    aws._clients[("apigatewayv2", "us-east-1")] = fake
    return aws, fake


def test_an_object_told_to_wait_keeps_its_place_and_goes_when_it_comes_back() -> None:
    asyncio.run(_object_keeps_its_place())


async def _object_keeps_its_place() -> None:
    clock = FakeClock()
    aws, fake = _clients(clock)
    with working_for("uid-a"):
        await aws.call("apigatewayv2", "us-east-1", "CreateVpcLink", Name="a")
    with working_for("uid-b"), pytest.raises(RateLimited) as first:
        await aws.call("apigatewayv2", "us-east-1", "CreateVpcLink", Name="b")
    with working_for("uid-c"), pytest.raises(RateLimited) as behind:
        await aws.call("apigatewayv2", "us-east-1", "CreateVpcLink", Name="c")
    assert (first.value.delay, behind.value.delay) == (pytest.approx(15, abs=0.1), pytest.approx(30, abs=0.1))

    clock.advance(first.value.delay)
    with working_for("uid-b"):
        assert await aws.call("apigatewayv2", "us-east-1", "CreateVpcLink", Name="b") == {"VpcLinkId": "link-2"}
    assert fake.created == 2


def test_outside_a_pass_a_long_wait_reserves_nothing() -> None:
    asyncio.run(_outside_a_pass())


async def _outside_a_pass() -> None:
    clock = FakeClock()
    aws, fake = _clients(clock)
    await aws.call("apigatewayv2", "us-east-1", "CreateVpcLink", Name="a")
    for _ in range(3):
        with pytest.raises(RateLimited) as refused:
            await aws.call("apigatewayv2", "us-east-1", "CreateVpcLink", Name="b")
        assert refused.value.delay == pytest.approx(15, abs=0.1)
    with working_for("uid-c"), pytest.raises(RateLimited) as first_in_line:
        await aws.call("apigatewayv2", "us-east-1", "CreateVpcLink", Name="c")
    assert first_in_line.value.delay == pytest.approx(15, abs=0.1)
    assert fake.created == 1


def test_the_in_process_wait_bound_scales_with_aws_time() -> None:
    aws = AwsClients(RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, scale=40, clock=FakeClock()))
    aws._clients[("apigatewayv2", "us-east-1")] = _FakeApiGateway()

    async def main() -> float:
        await aws.call("apigatewayv2", "us-east-1", "CreateVpcLink", Name="a")
        with working_for("uid-b"), pytest.raises(RateLimited) as refused:
            await aws.call("apigatewayv2", "us-east-1", "CreateVpcLink", Name="b")
        return refused.value.delay

    # 15 AWS seconds at 40x is 0.375 s: beyond the 10 AWS seconds (0.25 s) a pass waits in-process.
    assert asyncio.run(main()) == pytest.approx(15 / 40, abs=0.01)
