"""Pre-flight of a REST integration's target through a VPC link V2, with the operator's real adapters
against the emulator over HTTP: each cause of a 500/502 (seed 003's troubleshooting) gets a message that
names spec.rest.integrationTarget, and a reachable target passes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from conftest import Network
from vpclink_operator import preflight
from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.ec2 import Ec2Adapter
from vpclink_operator.aws.elbv2 import Elbv2Adapter
from vpclink_operator.aws.ratelimit import RateLimiter
from vpclink_operator.models.vpclink import LinkShape, ObservedLink

pytestmark = pytest.mark.integration
REGION = "us-east-1"
URI = "http://orders.internal.example.com/orders"


@pytest.fixture
def check(emulator: Any, fresh_aws: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str | None]:
    for name, value in {"AWS_ENDPOINT_URL": emulator.url, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    aws = AwsClients(RateLimiter())

    def run(target: str, link: ObservedLink, uri: str = URI) -> str | None:
        return asyncio.run(preflight.check_rest_v2_target(target, uri, link, REGION, Elbv2Adapter(aws),
                                                          Ec2Adapter(aws)))
    return run


def link(network: Network, *groups: str) -> ObservedLink:
    return ObservedLink("v2link1", "v2", "AVAILABLE", "", LinkShape(frozenset(network.subnets[:2]), frozenset(groups)))


def balancer(aws: Any, network: Network, name: str, *, port: int = 80) -> tuple[str, str]:
    """An internal ALB in the network with its own security group (no rules) and a listener on `port`."""
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    group = ec2.create_security_group(GroupName=f"{name}-sg", Description="alb", VpcId=network.vpc_id)["GroupId"]
    arn = elbv2.create_load_balancer(Name=name, Subnets=network.subnets[:2], SecurityGroups=[group],
                                     Type="application", Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=port, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])
    return arn, group


def admit(aws: Any, group: str, port: int, *, source_group: str | None = None, cidr: str | None = None) -> None:
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if source_group:
        rule["UserIdGroupPairs"] = [{"GroupId": source_group}]
    if cidr:
        rule["IpRanges"] = [{"CidrIp": cidr}]
    aws("ec2").authorize_security_group_ingress(GroupId=group, IpPermissions=[rule])


def test_missing_load_balancer(check, network: Network) -> None:
    missing = network.alb_arn.replace("/alb-a/", "/gone/")
    assert check(missing, link(network)) == \
        f"spec.rest.integrationTarget: load balancer {missing} does not exist in {REGION}"


def test_load_balancer_in_another_vpc(check, aws, network: Network) -> None:
    ec2 = aws("ec2")
    other = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=other, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(["us-east-1a", "us-east-1b"])]
    far = aws("elbv2").create_load_balancer(Name="far", Subnets=subnets, Type="network",
                                            Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
    message = check(far, link(network))
    assert message is not None and message.startswith(f"spec.rest.integrationTarget: load balancer {far} is in {other}")
    assert network.vpc_id in message


def test_no_listener_on_the_uri_port(check, aws, network: Network) -> None:
    arn, group = balancer(aws, network, "tls-only", port=443)
    admit(aws, group, 443, source_group=network.security_groups[0])
    message = check(arn, link(network, network.security_groups[0]))
    assert message is not None and "has no listener on port 80, the port of spec.rest.uri" in message
    assert check(arn, link(network, network.security_groups[0]), uri="https://orders.internal.example.com/") is None


def test_alb_security_groups_must_admit_the_link(check, aws, network: Network) -> None:
    arn, group = balancer(aws, network, "orders")
    link_group = network.security_groups[0]
    admit(aws, group, 8080, source_group=link_group)  # the wrong port admits nothing
    admit(aws, group, 80, source_group=network.security_groups[1])  # another group admits nothing
    message = check(arn, link(network, link_group))
    assert message == (f"spec.rest.integrationTarget: the security groups of load balancer {arn} ({group}) do not "
                       f"admit VPC link v2link1 (security groups {link_group}) on port 80; add an inbound rule for "
                       f"TCP 80 from {link_group}")
    admit(aws, group, 80, source_group=link_group)
    assert check(arn, link(network, link_group)) is None


def test_a_cidr_rule_covering_the_link_subnets_admits_it(check, aws, network: Network) -> None:
    arn, group = balancer(aws, network, "by-cidr")
    admit(aws, group, 80, cidr="10.20.0.0/24")  # only the first of the link's two subnets
    assert check(arn, link(network, network.security_groups[0])) is not None
    admit(aws, group, 80, cidr="10.20.0.0/16")  # the whole VPC
    assert check(arn, link(network, network.security_groups[0])) is None


def test_a_link_without_security_groups_is_checked_as_the_vpc_default_group(check, aws, network: Network) -> None:
    arn, group = balancer(aws, network, "default-sg")
    default = aws("ec2").describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [network.vpc_id]}, {"Name": "group-name", "Values": ["default"]}],
    )["SecurityGroups"][0]["GroupId"]
    assert default in (check(arn, link(network)) or "")
    admit(aws, group, 80, source_group=default)
    assert check(arn, link(network)) is None


def test_network_load_balancers_skip_the_security_group_check(check, aws, network: Network) -> None:
    elbv2 = aws("elbv2")
    targets = elbv2.create_target_group(Name="orders", Protocol="TCP", Port=80, VpcId=network.vpc_id,
                                        TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(LoadBalancerArn=network.nlb_arn, Protocol="TCP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": targets}])
    assert check(network.nlb_arn, link(network, network.security_groups[0])) is None
