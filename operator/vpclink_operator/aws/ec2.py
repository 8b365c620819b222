"""ec2: the subnets and security groups an HTTP VPC link is built on, and the rules that admit its traffic."""

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
    cidr_block: str = ""


@dataclass(frozen=True)
class IngressRule:
    """One inbound permission of a security group: a port range and the sources it admits."""

    protocol: str  # "-1" means every protocol and port
    from_port: int
    to_port: int
    group_ids: frozenset[str]
    cidr_blocks: frozenset[str]

    def admits_port(self, port: int) -> bool:
        return self.protocol == "-1" or (self.protocol == "tcp" and self.from_port <= port <= self.to_port)


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
                found[item["SubnetId"]] = Subnet(item["SubnetId"], item["VpcId"], item.get("AvailabilityZoneId", ""),
                                                 item.get("CidrBlock", ""))
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

    async def ingress_rules(self, region: str, group_ids: Sequence[str]) -> list[IngressRule]:
        """Every inbound rule of the given security groups (missing groups contribute none)."""
        if not group_ids:
            return []
        try:
            page = await self.aws.call("ec2", region, "DescribeSecurityGroups", GroupIds=list(group_ids))
        except AwsNotFound:
            return []
        return [
            IngressRule(str(rule.get("IpProtocol", "")), int(rule.get("FromPort", 0)), int(rule.get("ToPort", 65535)),
                        frozenset(pair["GroupId"] for pair in rule.get("UserIdGroupPairs", []) if "GroupId" in pair),
                        frozenset(r["CidrIp"] for r in rule.get("IpRanges", []) if "CidrIp" in r))
            for group in page.get("SecurityGroups", []) for rule in group.get("IpPermissions", [])
        ]

    async def default_security_group(self, region: str, vpc_id: str) -> str | None:
        """The VPC's default group: what a VPC link created without security groups uses."""
        page = await self.aws.call("ec2", region, "DescribeSecurityGroups",
                                   Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                            {"Name": "group-name", "Values": ["default"]}])
        return next((str(g["GroupId"]) for g in page.get("SecurityGroups", [])), None)
