"""Links applied at once take their turns for CreateVpcLink, with AWS's quotas on: no 429, no slot
taken early, and pre-flight made once per link however long each waits in line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Network, get, start_operator, vpclink

pytestmark = pytest.mark.integration

LINKS = 6
TIME_SCALE = 40  # the session emulator's, and the operator fixture's --rate-limit-scale
CREATE_INTERVAL = 15 / TIME_SCALE  # AWS: one CreateVpcLink per 15 s per account and Region


@pytest.fixture
def aws_quotas(fresh_aws: Any) -> Iterator[Any]:
    fresh_aws.control.configure(quotas=True)
    yield fresh_aws
    fresh_aws.control.configure(quotas=False)


@pytest.fixture
def slow_resync_operator(crds: list[str], operator_env: dict[str, str], namespace: str, aws_quotas: Any,
                         tmp_path: Path) -> Iterator[Any]:
    """Pre-flight verdicts live one resync: a long one, so every wait in line fits in it (today's per-object
    backoff brings a waiting link back up to the resync interval later than its turn)."""
    proc = start_operator(operator_env, tmp_path / "operator.log", namespace, resync=60)
    try:
        yield proc
    finally:
        proc.stop()


def test_links_applied_at_once_each_take_a_turn_without_a_429(kubectl, namespace, aws_quotas, slow_resync_operator,
                                                             network: Network, aws: Callable[[str], Any]):
    names = [f"line-{i}" for i in range(LINKS)]
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]  # zones that support HTTP API VPC links
    # A subnet of its own each, so each link's one pre-flight is one DescribeSubnets call that no other shares.
    subnets = [aws("ec2").create_subnet(VpcId=network.vpc_id, CidrBlock=f"10.20.{100 + i}.0/24",
                                        AvailabilityZone=zones[i % len(zones)])["Subnet"]["SubnetId"]
               for i in range(LINKS)]
    links = [vpclink(name, apiType="HTTP", subnetIds=[subnet], securityGroupIds=network.security_groups[:1])
             for name, subnet in zip(names, subnets, strict=True)]
    kubectl("apply", "-n", namespace, "-f", "-",
            input=yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": links}))

    kubectl("wait", "--for=condition=Ready", *[f"vl/{n}" for n in names], "-n", namespace, "--timeout=120s",
            timeout=130)
    assert all(get(kubectl, namespace, "vl", n)["status"]["vpcLinkStatus"] == "AVAILABLE" for n in names)

    calls = aws_quotas.control.calls()
    assert [c for c in calls if c["status"] == 429] == []
    creates = [c for c in calls if c["operation"] == "CreateVpcLink"]
    assert len(creates) == LINKS  # each link created once, none refused
    starts = sorted(c["time"] for c in creates)
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    # The call log stamps wall time as the emulator starts handling a request; allow its 5 ms of jitter.
    assert min(gaps) >= CREATE_INTERVAL - 0.005, gaps
    assert len([c for c in calls if c["operation"] == "DescribeSubnets"]) == LINKS
