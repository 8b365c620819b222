"""Pre-flight verdicts are cached by the spec parts each check reads, for at most one resync."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from fake_clock import FakeClock

from vpclink_operator.aws.ec2 import Subnet
from vpclink_operator.aws.errors import AwsRetryable
from vpclink_operator.config import parse_args
from vpclink_operator.models.vpclink import DesiredLink, LinkShape
from vpclink_operator.preflight import PreflightCache, Verdict
from vpclink_operator.reconcile import Services
from vpclink_operator.reconcile.vpclink import _preflight


class FakeEc2:
    """The two reads the HTTP link check makes, counted."""

    def __init__(self) -> None:
        self.reads = 0
        self.groups = {"sg-1": "vpc-1"}

    async def subnets(self, region: str, subnet_ids: Sequence[str]) -> dict[str, Subnet]:
        self.reads += 1
        return {s: Subnet(s, "vpc-1", "use1-az1") for s in subnet_ids if s.startswith("subnet-")}

    async def security_group_vpcs(self, region: str, group_ids: Sequence[str]) -> dict[str, str]:
        self.reads += 1
        return {g: self.groups[g] for g in group_ids if g in self.groups}


def desired(subnets: Sequence[str] = ("subnet-1",), groups: Sequence[str] = ("sg-1",),
            tags: dict[str, str] | None = None) -> DesiredLink:
    return DesiredLink("HTTP", "us-east-1", "ns-link", LinkShape(frozenset(subnets), frozenset(groups)), None,
                       tags or {}, None, False)


def services(clock: FakeClock, resync: float = 60) -> tuple[Services, FakeEc2]:
    built = Services.build(parse_args(["--resync-seconds", str(resync)]))
    built.preflight = PreflightCache(max_age=resync, clock=clock)
    ec2 = FakeEc2()
    built.ec2 = ec2  # type: ignore[assignment]
    return built, ec2


def test_the_same_spec_parts_are_checked_once() -> None:
    svc, ec2 = services(FakeClock())

    async def main() -> list[Verdict]:
        # Tags and names are not read by the check: a change there reuses the verdict.
        return [await _preflight(svc, desired()), await _preflight(svc, desired(tags={"team": "a"}))]

    assert asyncio.run(main()) == [Verdict(), Verdict()]
    assert ec2.reads == 2  # one DescribeSubnets pass and one DescribeSecurityGroups pass, once


def test_a_changed_subnet_or_security_group_is_checked_again() -> None:
    svc, ec2 = services(FakeClock())

    async def main() -> list[str | None]:
        return [(await _preflight(svc, d)).problem
                for d in (desired(), desired(subnets=["bad-1"]), desired(groups=["sg-2"]))]

    ok, bad_subnet, bad_group = asyncio.run(main())
    assert ok is None
    assert bad_subnet is not None and "spec.subnetIds" in bad_subnet
    assert bad_group is not None and "spec.securityGroupIds" in bad_group
    assert ec2.reads == 2 + 1 + 2


def test_a_verdict_is_checked_again_after_one_resync() -> None:
    clock = FakeClock()
    svc, ec2 = services(clock, resync=60)
    link = desired(groups=["sg-2"])

    async def check() -> str | None:
        return (await _preflight(svc, link)).problem

    assert asyncio.run(check()) is not None
    ec2.groups["sg-2"] = "vpc-1"  # the user creates the missing group
    clock.advance(59)
    assert asyncio.run(check()) is not None  # still the cached verdict
    clock.advance(1)
    assert asyncio.run(check()) is None
    assert ec2.reads == 4


def test_a_failed_check_is_not_cached() -> None:
    cache = PreflightCache(max_age=60, clock=FakeClock())
    attempts: list[int] = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise AwsRetryable("DescribeSubnets", "ServiceUnavailable", "try again")
        return "verdict"

    async def main() -> str:
        with pytest.raises(AwsRetryable):
            await cache.verdict("key", flaky)
        return await cache.verdict("key", flaky)

    assert asyncio.run(main()) == "verdict"
    assert len(attempts) == 2


def test_the_least_recently_used_verdicts_are_evicted() -> None:
    cache = PreflightCache(max_age=60, size=2, clock=FakeClock())
    checked: list[str] = []

    def check(key: str):  # type: ignore[no-untyped-def]
        async def run() -> str:
            checked.append(key)
            return key
        return run

    async def main() -> None:
        for key in ("a", "b", "a", "c", "a", "b"):  # c evicts b (a was used more recently); b is checked again
            await cache.verdict(key, check(key))

    asyncio.run(main())
    assert checked == ["a", "b", "c", "b"]


def test_objects_asking_at_once_share_one_check() -> None:
    svc, ec2 = services(FakeClock())

    async def main() -> list[Verdict]:
        return list(await asyncio.gather(*(_preflight(svc, desired(tags={"n": str(i)})) for i in range(10))))

    assert asyncio.run(main()) == [Verdict()] * 10
    assert ec2.reads == 2
