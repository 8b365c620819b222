"""Checks made before any CreateVpcLink call, so a link that cannot work is never created.

Each failure message names the spec field and the offending value.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from vpclink_operator.aws.ec2 import Ec2Adapter
from vpclink_operator.aws.elbv2 import Elbv2Adapter
from vpclink_operator.models.vpclink import DesiredLink


@cache
def http_link_zones() -> dict[str, frozenset[str]]:
    """Availability Zone ids that support HTTP API VPC links, by region (seed 000)."""
    raw = json.loads(resources.files("vpclink_operator.data").joinpath("http_vpclink_zones.json").read_text())
    return {region: frozenset(zones) for region, zones in raw["zones"].items()}


async def check_http_link(desired: DesiredLink, ec2: Ec2Adapter) -> str | None:
    region = desired.region
    zones = http_link_zones().get(region)
    if zones is None:
        return (f"spec.region: {region} is not among the Regions that support VPC links for HTTP APIs "
                f"(supported: {', '.join(sorted(http_link_zones()))})")
    subnet_ids = sorted(desired.shape.subnet_ids)
    subnets = await ec2.subnets(region, subnet_ids)
    missing = [s for s in subnet_ids if s not in subnets]
    if missing:
        return f"spec.subnetIds: subnet(s) {', '.join(missing)} do not exist in {region}"
    vpcs = sorted({s.vpc_id for s in subnets.values()})
    if len(vpcs) > 1:
        return f"spec.subnetIds: subnets must all be in one VPC, found {', '.join(vpcs)}"
    unsupported = [f"{s.id} ({s.availability_zone_id})" for s in subnets.values()
                   if s.availability_zone_id not in zones]
    if unsupported:
        return (f"spec.subnetIds: subnet(s) {', '.join(sorted(unsupported))} are in Availability Zones that do "
                f"not support HTTP API VPC links in {region} (supported: {', '.join(sorted(zones))})")
    group_ids = sorted(desired.shape.security_group_ids)
    groups = await ec2.security_group_vpcs(region, group_ids)
    missing_groups = [g for g in group_ids if g not in groups]
    if missing_groups:
        return f"spec.securityGroupIds: security group(s) {', '.join(missing_groups)} do not exist in {region}"
    elsewhere = [f"{g} ({vpc})" for g, vpc in sorted(groups.items()) if vpcs and vpc != vpcs[0]]
    if elsewhere:
        return (f"spec.securityGroupIds: security group(s) {', '.join(elsewhere)} are not in the subnets' VPC "
                f"{vpcs[0]}; a VPC link's security groups must be in the VPC of its subnets")
    return None


async def check_rest_link(desired: DesiredLink, elbv2: Elbv2Adapter) -> str | None:
    (arn,) = desired.shape.target_arns
    balancer = await elbv2.load_balancer(desired.region, arn)
    if balancer is None:
        return f"spec.targetArns: load balancer {arn} does not exist in {desired.region}"
    if balancer.type != "network":
        return f"spec.targetArns: {arn} is a {balancer.type} load balancer; REST VPC links need a network one"
    if balancer.state != "active":
        return f"spec.targetArns: load balancer {arn} is {balancer.state}, not active"
    return None


async def check_http_integration(integration_uri: str, region: str, elbv2: Elbv2Adapter) -> str | None:
    """A load balancer listener must exist in the API's account and Region (seed 002); Cloud Map is not checked."""
    arn = integration_uri.split("?", 1)[0]
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "elasticloadbalancing":
        return None
    if parts[3] != region:
        return (f"spec.http.integrationUri: listener {arn} is in {parts[3]}, but the API and its VPC link are in "
                f"{region}; a private integration's resources must all be in one account and Region")
    if not await elbv2.listener_exists(region, arn):
        return (f"spec.http.integrationUri: listener {arn} does not exist in {region} in this account; a private "
                "integration's load balancer must be in the API's account and Region")
    return None
