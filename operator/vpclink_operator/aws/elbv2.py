"""elasticloadbalancing v2: the Network Load Balancer behind a REST VPC link."""

from __future__ import annotations

from dataclasses import dataclass

from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.errors import AwsNotFound


@dataclass(frozen=True)
class LoadBalancer:
    arn: str
    type: str  # network | application | gateway
    state: str  # active | provisioning | active_impaired | failed


class Elbv2Adapter:
    def __init__(self, aws: AwsClients) -> None:
        self.aws = aws

    async def load_balancer(self, region: str, arn: str) -> LoadBalancer | None:
        try:
            page = await self.aws.call("elbv2", region, "DescribeLoadBalancers", LoadBalancerArns=[arn])
        except AwsNotFound:
            return None
        for item in page.get("LoadBalancers", []):
            return LoadBalancer(item["LoadBalancerArn"], item.get("Type", ""), item.get("State", {}).get("Code", ""))
        return None

    async def listener_exists(self, region: str, arn: str) -> bool:
        """False also for another account's listener: this account cannot see it."""
        try:
            page = await self.aws.call("elbv2", region, "DescribeListeners", ListenerArns=[arn])
        except AwsNotFound:
            return False
        return bool(page.get("Listeners"))
