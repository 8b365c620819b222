"""apigatewayv2 (HTTP API) VPC links: translate, nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.errors import AwsNotFound
from vpclink_operator.aws.links import link_arn
from vpclink_operator.models.integration import (
    HttpApiSnapshot,
    HttpIntegrationFields,
    ObservedHttpIntegration,
    ObservedRoute,
)
from vpclink_operator.models.vpclink import ApiType, DesiredLink, LinkShape, ObservedLink

SERVICE = "apigatewayv2"


def _observed(item: Mapping[str, Any]) -> ObservedLink:
    return ObservedLink(
        id=item["VpcLinkId"],
        name=item.get("Name", ""),
        status=item.get("VpcLinkStatus", "PENDING"),
        status_message=item.get("VpcLinkStatusMessage", "") or "",
        shape=LinkShape(subnet_ids=frozenset(item.get("SubnetIds", [])),
                        security_group_ids=frozenset(item.get("SecurityGroupIds", []))),
        tags=dict(item.get("Tags", {})),
    )


class HttpV2Adapter:
    api_type: ApiType = "HTTP"

    def __init__(self, aws: AwsClients) -> None:
        self.aws = aws

    async def list_links(self, region: str) -> list[ObservedLink]:
        links: list[ObservedLink] = []
        token: str | None = None
        while True:
            page = await self.aws.call(SERVICE, region, "GetVpcLinks", MaxResults="100",
                                       **({"NextToken": token} if token else {}))
            links.extend(_observed(item) for item in page.get("Items", []))
            token = page.get("NextToken")
            if not token:
                return links

    async def get_link(self, region: str, link_id: str) -> ObservedLink | None:
        try:
            return _observed(await self.aws.call(SERVICE, region, "GetVpcLink", VpcLinkId=link_id))
        except AwsNotFound:
            return None

    async def create_link(self, desired: DesiredLink) -> ObservedLink:
        response = await self.aws.call(
            SERVICE, desired.region, "CreateVpcLink", Name=desired.name,
            SubnetIds=sorted(desired.shape.subnet_ids),
            SecurityGroupIds=sorted(desired.shape.security_group_ids), Tags=dict(desired.tags),
        )
        return _observed(response)

    async def update_link(self, region: str, link_id: str, name: str | None, description: str | None) -> None:
        if name is not None:  # HTTP links have no description
            await self.aws.call(SERVICE, region, "UpdateVpcLink", VpcLinkId=link_id, Name=name)

    async def tag_link(self, region: str, link_id: str, tags: Mapping[str, str]) -> None:
        await self.aws.call(SERVICE, region, "TagResource", ResourceArn=link_arn(region, link_id), Tags=dict(tags))

    async def untag_link(self, region: str, link_id: str, keys: Sequence[str]) -> None:
        await self.aws.call(SERVICE, region, "UntagResource", ResourceArn=link_arn(region, link_id),
                            TagKeys=list(keys))

    async def delete_link(self, region: str, link_id: str) -> None:
        with contextlib.suppress(AwsNotFound):  # already gone: the goal is reached
            await self.aws.call(SERVICE, region, "DeleteVpcLink", VpcLinkId=link_id)


def _integration(item: Mapping[str, Any]) -> ObservedHttpIntegration:
    return ObservedHttpIntegration(
        id=item["IntegrationId"],
        integration_uri=item.get("IntegrationUri", ""),
        integration_method=item.get("IntegrationMethod", ""),
        payload_format_version=item.get("PayloadFormatVersion", ""),
        connection_id=item.get("ConnectionId", ""),
        connection_type=item.get("ConnectionType", ""),
        tls_server_name_to_verify=(item.get("TlsConfig") or {}).get("ServerNameToVerify"),
        timeout_in_millis=int(item.get("TimeoutInMillis", 30000)),
        request_parameters=dict(item.get("RequestParameters") or {}),
        description=item.get("Description", ""),
    )


def _route(item: Mapping[str, Any]) -> ObservedRoute:
    return ObservedRoute(item["RouteId"], item["RouteKey"], item.get("Target", ""))


def _integration_arguments(fields: HttpIntegrationFields) -> dict[str, Any]:
    return {
        "IntegrationType": "HTTP_PROXY", "ConnectionType": "VPC_LINK", "ConnectionId": fields.connection_id,
        "IntegrationUri": fields.integration_uri, "IntegrationMethod": fields.integration_method,
        "PayloadFormatVersion": fields.payload_format_version, "TimeoutInMillis": fields.timeout_in_millis,
        "RequestParameters": dict(fields.request_parameters), "Description": fields.description,
        "TlsConfig": ({"ServerNameToVerify": fields.tls_server_name_to_verify}
                      if fields.tls_server_name_to_verify else {}),
    }


class HttpV2Integrations:
    """apigatewayv2 integrations and routes of one HTTP API."""

    def __init__(self, aws: AwsClients) -> None:
        self.aws = aws

    async def _pages(self, region: str, operation: str, api_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = await self.aws.call(SERVICE, region, operation, ApiId=api_id, MaxResults="100",
                                       **({"NextToken": token} if token else {}))
            items.extend(page.get("Items", []))
            token = page.get("NextToken")
            if not token:
                return items

    async def snapshot(self, region: str, api_id: str) -> HttpApiSnapshot:
        """The whole API in two paginated lists, shared by every PrivateIntegration on it."""
        integrations = [_integration(i) for i in await self._pages(region, "GetIntegrations", api_id)]
        routes = [_route(r) for r in await self._pages(region, "GetRoutes", api_id)]
        return HttpApiSnapshot({i.id: i for i in integrations}, {r.route_key: r for r in routes})

    async def create_integration(self, region: str, api_id: str,
                                 fields: HttpIntegrationFields) -> ObservedHttpIntegration:
        return _integration(await self.aws.call(SERVICE, region, "CreateIntegration", ApiId=api_id,
                                                **_integration_arguments(fields)))

    async def update_integration(self, region: str, api_id: str, integration_id: str,
                                 fields: HttpIntegrationFields) -> ObservedHttpIntegration:
        return _integration(await self.aws.call(SERVICE, region, "UpdateIntegration", ApiId=api_id,
                                                IntegrationId=integration_id, **_integration_arguments(fields)))

    async def delete_integration(self, region: str, api_id: str, integration_id: str) -> None:
        with contextlib.suppress(AwsNotFound):
            await self.aws.call(SERVICE, region, "DeleteIntegration", ApiId=api_id, IntegrationId=integration_id)

    async def create_route(self, region: str, api_id: str, route_key: str, integration_id: str) -> ObservedRoute:
        return _route(await self.aws.call(SERVICE, region, "CreateRoute", ApiId=api_id, RouteKey=route_key,
                                          Target=f"integrations/{integration_id}"))

    async def retarget_route(self, region: str, api_id: str, route_id: str, integration_id: str) -> ObservedRoute:
        return _route(await self.aws.call(SERVICE, region, "UpdateRoute", ApiId=api_id, RouteId=route_id,
                                          Target=f"integrations/{integration_id}"))

    async def delete_route(self, region: str, api_id: str, route_id: str) -> None:
        with contextlib.suppress(AwsNotFound):
            await self.aws.call(SERVICE, region, "DeleteRoute", ApiId=api_id, RouteId=route_id)
