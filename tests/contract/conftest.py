"""Contract tests: API Gateway behaviour the operator relies on, checked with plain boto3.

By default they run against an in-process `vpclink_emulator`. With `VPCLINK_REAL_AWS=1` and
AWS credentials in the environment they run against the real account instead (region from
AWS_REGION, default us-east-1); tests that need the emulator's control API then skip.
Each test's docstring names its source: a seed under ../shared/seeds/ or quoted AWS text.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
from contract_support import (
    LINK_DELETING_SECONDS,
    LINK_PENDING_SECONDS,
    TIME_SCALE,
    Aws,
    Network,
    make_nlb,
    real_aws,
    unique,
)

from vpclink_emulator import EmulatorControl, EmulatorServer


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer | None]:
    if real_aws():
        yield None
        return
    with EmulatorServer(
        link_pending_seconds=LINK_PENDING_SECONDS, link_deleting_seconds=LINK_DELETING_SECONDS, time_scale=TIME_SCALE
    ) as server:
        yield server


@pytest.fixture
def aws(emulator: EmulatorServer | None) -> Iterator[Aws]:
    if emulator is None:
        target = Aws(None, os.environ.get("AWS_REGION", "us-east-1"), None)
    else:
        control = emulator.control
        control.reset()
        control.configure(
            link_pending_seconds=LINK_PENDING_SECONDS,
            link_deleting_seconds=LINK_DELETING_SECONDS,
            time_scale=TIME_SCALE,
            quotas=False,
        )
        target = Aws(emulator.url, "us-east-1", control)
    yield target
    for func in reversed(target._cleanups):
        with contextlib.suppress(Exception):  # best effort: must not hide the test's result
            func()


@pytest.fixture
def control(aws: Aws) -> EmulatorControl:
    """The emulator's control API; tests that need it cannot run against real AWS."""
    if aws.control is None:
        pytest.skip("needs the emulator's control API")
    return aws.control


@pytest.fixture
def network(aws: Aws) -> Network:
    """A VPC with two subnets, a security group and an internal NLB with a listener."""
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    aws.cleanup(lambda: ec2.delete_vpc(VpcId=vpc_id))
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnet_ids = []
    for index, zone in enumerate(zones):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.42.{index}.0/24", AvailabilityZone=zone)
        subnet_id = subnet["Subnet"]["SubnetId"]
        aws.cleanup(lambda subnet_id=subnet_id: ec2.delete_subnet(SubnetId=subnet_id))
        subnet_ids.append(subnet_id)
    group_id = ec2.create_security_group(GroupName=unique("sg"), Description="contract tests", VpcId=vpc_id)["GroupId"]
    aws.cleanup(lambda: ec2.delete_security_group(GroupId=group_id))
    nlb_arn, listener_arn = make_nlb(aws, subnet_ids, vpc_id)
    return Network(vpc_id, subnet_ids, group_id, nlb_arn, listener_arn)
