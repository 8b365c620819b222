"""Long-lived collaborators of every reconcile, built once per operator process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.ec2 import Ec2Adapter
from vpclink_operator.aws.elbv2 import Elbv2Adapter
from vpclink_operator.aws.http_v2 import HttpV2Adapter, HttpV2Integrations
from vpclink_operator.aws.links import LinkAdapter
from vpclink_operator.aws.ratelimit import DEFAULT_QUOTAS, RateLimiter
from vpclink_operator.aws.rest_v1 import RestV1Adapter, RestV1Integrations
from vpclink_operator.coalesce import Coalescer
from vpclink_operator.config import Settings
from vpclink_operator.inventory import LinkInventory, Snapshots
from vpclink_operator.models.integration import HttpApiSnapshot, RestApiSnapshot
from vpclink_operator.models.vpclink import ApiType
from vpclink_operator.preflight import PreflightCache


@dataclass
class Services:
    settings: Settings
    aws: AwsClients
    links: dict[ApiType, LinkAdapter]
    inventory: LinkInventory
    ec2: Ec2Adapter
    elbv2: Elbv2Adapter
    http_integrations: HttpV2Integrations
    rest_integrations: RestV1Integrations
    http_apis: Snapshots[tuple[str, str], HttpApiSnapshot]  # (region, apiId) -> the whole HTTP API
    rest_apis: Snapshots[tuple[str, str], RestApiSnapshot]  # (region, restApiId) -> the whole REST API
    # (region, restApiId, stage, stage variables) -> deployment id; see `deployment_coalescer`
    deployments: Coalescer[tuple[str, str, str, tuple[tuple[str, str], ...]], str]
    preflight: PreflightCache  # verdicts by the spec parts each check reads, at most one resync old

    def observed(self) -> list[Snapshots[Any, Any]]:
        """Every shared snapshot set, for the scheduler's observers."""
        return [self.inventory.snapshots, self.http_apis, self.rest_apis]

    @classmethod
    def build(cls, settings: Settings) -> Services:
        aws = AwsClients(RateLimiter(settings.rate_limits, scale=settings.rate_limit_scale))
        links: dict[ApiType, LinkAdapter] = {"HTTP": HttpV2Adapter(aws), "REST": RestV1Adapter(aws)}
        http, rest = HttpV2Integrations(aws), RestV1Integrations(aws)
        return cls(settings, aws, links, LinkInventory(links), Ec2Adapter(aws), Elbv2Adapter(aws), http, rest,
                   Snapshots(lambda key: http.snapshot(*key)), Snapshots(lambda key: rest.snapshot(*key)),
                   deployment_coalescer(settings), PreflightCache(max_age=settings.resync_seconds))


# Changes to one stage are gathered while they keep coming, one CreateDeployment interval at a time (the
# quota allows no more than one per interval anyway), for at most this many intervals (a minute at AWS's rate): a
# steady stream of changes is deployed once a minute, a lone change one interval after it was made.
DEPLOYMENT_WINDOWS = 12


def deployment_coalescer(settings: Settings) -> Coalescer[tuple[str, str, str, tuple[tuple[str, str], ...]], str]:
    """Deployments share a call per stage within windows of the CreateDeployment quota's own interval (5 s at AWS's
    rate; shorter with `rate_limit_scale`, as for a time-scaled emulator)."""
    key = "apigateway:CreateDeployment"
    quota = settings.rate_limits.get(key, DEFAULT_QUOTAS[key])
    return Coalescer(window=1 / (quota.per_second * settings.rate_limit_scale), max_windows=DEPLOYMENT_WINDOWS)
