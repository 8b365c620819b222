"""ec2: the subnets and security groups an HTTP VPC link is built on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.errors import AwsNotFound


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str
    availability_zone_id: str


class Ec2Adapter:
    def __init__(self, aws: AwsClients) -> None:
        self.aws = aws

    async def subnets(self, region: str, subnet_ids: Sequence[str]) -> dict[str, Subnet]:
        """The subnets that exist, by id; a missing id is simply absent from the result."""
        found: dict[str, Subnet] = {}
        for subnet_id in subnet_ids:  # one by one: a single unknown id fails a batched call
            try:
                page = await self.aws.call("ec2", region, "DescribeSubnets", SubnetIds=[subnet_id])
            except AwsNotFound:
                continue
            for item in page.get("Subnets", []):
                found[item["SubnetId"]] = Subnet(item["SubnetId"], item["VpcId"], item.get("AvailabilityZoneId", ""))
        return found

    async def security_group_vpcs(self, region: str, group_ids: Sequence[str]) -> dict[str, str]:
        """The VPC of each security group that exists, by id; a missing id is absent from the result."""
        found: dict[str, str] = {}
        for group_id in group_ids:
            try:
                page = await self.aws.call("ec2", region, "DescribeSecurityGroups", GroupIds=[group_id])
            except AwsNotFound:
                continue
            for item in page.get("SecurityGroups", []):
                found[item["GroupId"]] = item.get("VpcId", "")
        return found
