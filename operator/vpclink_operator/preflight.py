"""Checks made before any CreateVpcLink call, so a link that cannot work is never created, and before a REST
integration is pointed at a load balancer through a VPC link V2.

Each failure message names the spec field and the offending value. A check that cannot be made
(a Region missing from seed 000's table of zones, which AWS extends over time) is not a failure:
the verdict carries a warning and AWS decides.

Verdicts are cached (`PreflightCache`) by the inputs each check reads, so an object that waits in line for
CreateVpcLink or retries after a failure does not make the EC2 and ELB calls again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from functools import cache
from importlib import resources
from ipaddress import IPv4Network
from typing import Any, TypeVar
from urllib.parse import urlsplit

from vpclink_operator.aws.ec2 import Ec2Adapter
from vpclink_operator.aws.elbv2 import Elbv2Adapter
from vpclink_operator.models.vpclink import DesiredLink, ObservedLink, PreflightVerdict

T = TypeVar("T")


class PreflightCache:
    """The verdicts of recent checks, by the inputs they read (e.g. Region, subnets and security groups).

    A verdict is reused for at most `max_age` seconds (the resync interval), so what a user fixes outside the
    cluster, a security group or a load balancer, is checked again within one resync. Objects that ask for the
    same inputs while a check is running share it (ten links on the same subnets make one check). Only verdicts
    are kept: a check that fails (AWS unavailable, rate limited) raises and is made again next time. The least
    recently used entries are evicted beyond `size`.
    """

    def __init__(self, max_age: float, size: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.size = size
        self.clock = clock
        self._checks: OrderedDict[Hashable, tuple[float, asyncio.Future[Any]]] = OrderedDict()

    async def verdict(self, inputs: Hashable, check: Callable[[], Awaitable[T]]) -> T:
        """`check()`'s verdict for `inputs`, reused while younger than `max_age`."""
        now = self.clock()
        cached = self._checks.get(inputs)
        if cached is None or now - cached[0] >= self.max_age:
            cached = self._checks[inputs] = (now, asyncio.ensure_future(check()))
            # Retrieved here too, so a check whose first asker was cancelled never logs an unretrieved error.
            cached[1].add_done_callback(lambda done: done.cancelled() or done.exception())
        self._checks.move_to_end(inputs)
        while len(self._checks) > self.size:
            self._checks.popitem(last=False)
        running = cached[1]
        try:
            verdict: T = await asyncio.shield(running)  # one asker cancelled does not cancel the others' check
        except Exception:
            if self._checks.get(inputs, (0.0, None))[1] is running:
                del self._checks[inputs]
            raise
        return verdict


@cache
def http_link_zones() -> dict[str, frozenset[str]]:
    """Availability Zone ids that support HTTP API VPC links, by region (seed 000)."""
    raw = json.loads(resources.files("vpclink_operator.data").joinpath("http_vpclink_zones.json").read_text())
    return {region: frozenset(zones) for region, zones in raw["zones"].items()}


Verdict = PreflightVerdict  # the name the checks and their cache use


async def check_http_link(desired: DesiredLink, ec2: Ec2Adapter) -> Verdict:
    region = desired.region
    zones = http_link_zones().get(region)
    problem = await _http_link_problem(desired, ec2, zones)
    if problem is None and zones is None:
        return Verdict(warning=(
            f"spec.region: {region} is not in this operator's table of Regions and Availability Zones that "
            f"support VPC links for HTTP APIs; the subnets' zones were not checked and AWS decides"))
    return Verdict(problem=problem)


async def _http_link_problem(desired: DesiredLink, ec2: Ec2Adapter, zones: frozenset[str] | None) -> str | None:
    region = desired.region
    subnet_ids = sorted(desired.shape.subnet_ids)
    subnets = await ec2.subnets(region, subnet_ids)
    missing = [s for s in subnet_ids if s not in subnets]
    if missing:
        return f"spec.subnetIds: subnet(s) {', '.join(missing)} do not exist in {region}"
    vpcs = sorted({s.vpc_id for s in subnets.values()})
    if len(vpcs) > 1:
        return f"spec.subnetIds: subnets must all be in one VPC, found {', '.join(vpcs)}"
    unsupported = [f"{s.id} ({s.availability_zone_id})" for s in subnets.values()
                   if zones is not None and s.availability_zone_id not in zones]
    if unsupported:
        return (f"spec.subnetIds: subnet(s) {', '.join(sorted(unsupported))} are in Availability Zones that do "
                f"not support HTTP API VPC links in {region} (supported: {', '.join(sorted(zones or ()))})")
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


async def check_rest_link(desired: DesiredLink, elbv2: Elbv2Adapter) -> Verdict:
    return Verdict(problem=await _rest_link_problem(desired, elbv2))


async def _rest_link_problem(desired: DesiredLink, elbv2: Elbv2Adapter) -> str | None:
    (arn,) = desired.shape.target_arns
    balancer = await elbv2.load_balancer(desired.region, arn)
    if balancer is None:
        return f"spec.targetArns: load balancer {arn} does not exist in {desired.region}"
    if balancer.type != "network":
        return f"spec.targetArns: {arn} is a {balancer.type} load balancer; REST VPC links need a network one"
    if balancer.state != "active":
        return f"spec.targetArns: load balancer {arn} is {balancer.state}, not active"
    return None


def uri_port(uri: str) -> int:
    """The port a REST integration's uri names (the listener API Gateway calls), 80/443 by scheme."""
    parts = urlsplit(uri)
    return parts.port or (443 if parts.scheme == "https" else 80)


async def check_rest_v2_target(target_arn: str, uri: str, link: ObservedLink, region: str, elbv2: Elbv2Adapter,
                               ec2: Ec2Adapter) -> str | None:
    """A REST integration through a VPC link V2 reaches `target_arn` only if the load balancer exists, is active,
    sits in the link's VPC, listens on the uri's port and (ALB) lets the link's network interfaces in: the causes
    of the 500s and 502s that seed 003's troubleshooting lists."""
    field = "spec.rest.integrationTarget"
    balancer = await elbv2.load_balancer(region, target_arn)
    if balancer is None:
        return f"{field}: load balancer {target_arn} does not exist in {region}"
    if balancer.state != "active":
        return f"{field}: load balancer {target_arn} is {balancer.state}, not active"
    subnets = await ec2.subnets(region, sorted(link.shape.subnet_ids))
    link_vpcs = {s.vpc_id for s in subnets.values()}
    if balancer.vpc_id not in link_vpcs:
        return (f"{field}: load balancer {target_arn} is in {balancer.vpc_id or 'no VPC'} but VPC link {link.id} is in "
                f"{', '.join(sorted(link_vpcs)) or 'no known VPC'}; a VPC link reaches load balancers in its own VPC")
    port = uri_port(uri)
    if port not in await elbv2.listener_ports(region, target_arn):
        return (f"{field}: load balancer {target_arn} has no listener on port {port}, the port of spec.rest.uri "
                f"({uri}); add a listener or change the uri's port")
    if balancer.type != "application":
        return None
    link_groups = set(link.shape.security_group_ids)
    if not link_groups:
        default = await ec2.default_security_group(region, balancer.vpc_id)
        link_groups = {default} if default else set()
    link_ranges = [IPv4Network(s.cidr_block) for s in subnets.values() if s.cidr_block]
    for rule in await ec2.ingress_rules(region, balancer.security_groups):
        if not rule.admits_port(port):
            continue
        if rule.group_ids & link_groups:
            return None
        ranges = [IPv4Network(cidr, strict=False) for cidr in rule.cidr_blocks]  # IpRanges are IPv4
        if link_ranges and all(any(sub.subnet_of(r) for r in ranges) for sub in link_ranges):
            return None
    source = sorted(link_groups)[0] if link_groups else "the link's subnets"
    return (f"{field}: the security groups of load balancer {target_arn} ({', '.join(balancer.security_groups)}) "
            f"do not admit VPC link {link.id} (security groups {', '.join(sorted(link_groups)) or 'none'}) on port "
            f"{port}; add an inbound rule for TCP {port} from {source}")


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
