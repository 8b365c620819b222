"""elasticloadbalancing v2: the NLB behind a VPC link V1, or the ALB/NLB a REST integration targets through a V2."""

from __future__ import annotations

from dataclasses import dataclass

from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.errors import AwsNotFound


@dataclass(frozen=True)
class LoadBalancer:
    arn: str
    type: str  # network | application | gateway
    state: str  # active | provisioning | active_impaired | failed
    vpc_id: str = ""
    security_groups: tuple[str, ...] = ()


class Elbv2Adapter:
    def __init__(self, aws: AwsClients) -> None:
        self.aws = aws

    async def load_balancer(self, region: str, arn: str) -> LoadBalancer | None:
        try:
            page = await self.aws.call("elbv2", region, "DescribeLoadBalancers", LoadBalancerArns=[arn])
        except AwsNotFound:
            return None
        for item in page.get("LoadBalancers", []):
            return LoadBalancer(item["LoadBalancerArn"], item.get("Type", ""), item.get("State", {}).get("Code", ""),
                                item.get("VpcId", ""), tuple(item.get("SecurityGroups") or ()))
        return None

    async def listener_ports(self, region: str, arn: str) -> set[int]:
        page = await self.aws.call("elbv2", region, "DescribeListeners", LoadBalancerArn=arn)
        return {int(item["Port"]) for item in page.get("Listeners", []) if "Port" in item}

    async def listener_exists(self, region: str, arn: str) -> bool:
        """False also for another account's listener: this account cannot see it."""
        try:
            page = await self.aws.call("elbv2", region, "DescribeListeners", ListenerArns=[arn])
        except AwsNotFound:
            return False
        return bool(page.get("Listeners"))
