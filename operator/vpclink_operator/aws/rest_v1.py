"""apigateway (REST API, v1) VPC links: translate, nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.errors import AwsNotFound
from vpclink_operator.aws.links import link_arn
from vpclink_operator.models.integration import (
    CREATED_STAGE_DESCRIPTION,
    ObservedMethod,
    ObservedResource,
    ObservedRestIntegration,
    ObservedStage,
    RestApiSnapshot,
    RestIntegrationFields,
)
from vpclink_operator.models.vpclink import ApiType, DesiredLink, LinkShape, ObservedLink

SERVICE = "apigateway"


def _observed(item: Mapping[str, Any]) -> ObservedLink:
    return ObservedLink(
        id=item["id"],
        name=item.get("name", ""),
        status=item.get("status", "PENDING"),
        status_message=item.get("statusMessage", "") or "",
        shape=LinkShape(target_arns=frozenset(item.get("targetArns", []))),
        description=item.get("description"),
        tags=dict(item.get("tags", {})),
    )


class RestV1Adapter:
    api_type: ApiType = "REST"

    def __init__(self, aws: AwsClients) -> None:
        self.aws = aws

    async def list_links(self, region: str) -> list[ObservedLink]:
        links: list[ObservedLink] = []
        position: str | None = None
        while True:
            page = await self.aws.call(SERVICE, region, "GetVpcLinks", limit=500,
                                       **({"position": position} if position else {}))
            links.extend(_observed(item) for item in page.get("items", []))
            position = page.get("position")
            if not position:
                return links

    async def get_link(self, region: str, link_id: str) -> ObservedLink | None:
        try:
            return _observed(await self.aws.call(SERVICE, region, "GetVpcLink", vpcLinkId=link_id))
        except AwsNotFound:
            return None

    async def create_link(self, desired: DesiredLink) -> ObservedLink:
        response = await self.aws.call(
            SERVICE, desired.region, "CreateVpcLink", name=desired.name,
            targetArns=sorted(desired.shape.target_arns), tags=dict(desired.tags),
            **({"description": desired.description} if desired.description else {}),
        )
        return _observed(response)

    async def update_link(self, region: str, link_id: str, name: str | None, description: str | None) -> None:
        patches = [{"op": "replace", "path": f"/{path}", "value": value}
                   for path, value in (("name", name), ("description", description)) if value is not None]
        if patches:
            await self.aws.call(SERVICE, region, "UpdateVpcLink", vpcLinkId=link_id, patchOperations=patches)

    async def tag_link(self, region: str, link_id: str, tags: Mapping[str, str]) -> None:
        await self.aws.call(SERVICE, region, "TagResource", resourceArn=link_arn(region, link_id), tags=dict(tags))

    async def untag_link(self, region: str, link_id: str, keys: Sequence[str]) -> None:
        await self.aws.call(SERVICE, region, "UntagResource", resourceArn=link_arn(region, link_id),
                            tagKeys=list(keys))

    async def delete_link(self, region: str, link_id: str) -> None:
        with contextlib.suppress(AwsNotFound):  # already gone: the goal is reached
            await self.aws.call(SERVICE, region, "DeleteVpcLink", vpcLinkId=link_id)


def _integration(raw: Mapping[str, Any]) -> ObservedRestIntegration:
    return ObservedRestIntegration(
        type=raw.get("type", ""), integration_http_method=raw.get("httpMethod", ""), uri=raw.get("uri", ""),
        connection_type=raw.get("connectionType", "INTERNET"), connection_id=raw.get("connectionId", ""),
        timeout_in_millis=int(raw.get("timeoutInMillis", 29000)),
        integration_target=raw.get("integrationTarget"), response_transfer_mode=raw.get("responseTransferMode"),
    )


def _method(item: Mapping[str, Any]) -> ObservedMethod:
    raw = item.get("methodIntegration")
    return ObservedMethod(item.get("httpMethod", ""), item.get("authorizationType", ""),
                          item.get("operationName", "") or "", None if raw is None else _integration(raw))


def _stage(item: Mapping[str, Any]) -> ObservedStage:
    return ObservedStage(item["stageName"], dict(item.get("variables") or {}), item.get("deploymentId", ""),
                         item.get("description") or "")


class RestV1Integrations:
    """apigateway (v1) methods, integrations, stages and deployments of one REST API."""

    def __init__(self, aws: AwsClients) -> None:
        self.aws = aws

    async def snapshot(self, region: str, rest_api_id: str) -> RestApiSnapshot:
        """Every resource with its methods and integrations (get-resources embed=methods), and the stages."""
        resources: list[ObservedResource] = []
        position: str | None = None
        while True:
            page = await self.aws.call(SERVICE, region, "GetResources", restApiId=rest_api_id, limit=500,
                                       embed=["methods"], **({"position": position} if position else {}))
            resources.extend(
                ObservedResource(item["id"], item.get("path", ""),
                                 {name: _method(m) for name, m in (item.get("resourceMethods") or {}).items()})
                for item in page.get("items", []))
            position = page.get("position")
            if not position:
                break
        stages = await self.aws.call(SERVICE, region, "GetStages", restApiId=rest_api_id)
        return RestApiSnapshot({r.path: r for r in resources},
                               {stage.name: stage for stage in map(_stage, stages.get("item", []))})

    async def put_method(self, region: str, rest_api_id: str, resource_id: str, http_method: str,
                         authorization_type: str, operation_name: str) -> ObservedMethod:
        return _method(await self.aws.call(SERVICE, region, "PutMethod", restApiId=rest_api_id,
                                           resourceId=resource_id, httpMethod=http_method,
                                           authorizationType=authorization_type, operationName=operation_name))

    async def put_integration(self, region: str, rest_api_id: str, resource_id: str, http_method: str,
                              fields: RestIntegrationFields) -> ObservedRestIntegration:
        return _integration(await self.aws.call(
            SERVICE, region, "PutIntegration", restApiId=rest_api_id, resourceId=resource_id,
            httpMethod=http_method, type="HTTP_PROXY", integrationHttpMethod=fields.integration_http_method,
            uri=fields.uri, connectionType="VPC_LINK", connectionId=fields.connection_id,
            timeoutInMillis=fields.timeout_in_millis,
            **({"integrationTarget": fields.integration_target} if fields.integration_target else {}),
            **({"responseTransferMode": fields.response_transfer_mode} if fields.response_transfer_mode else {})))

    async def delete_integration(self, region: str, rest_api_id: str, resource_id: str, http_method: str) -> None:
        with contextlib.suppress(AwsNotFound):
            await self.aws.call(SERVICE, region, "DeleteIntegration", restApiId=rest_api_id,
                                resourceId=resource_id, httpMethod=http_method)

    async def delete_method(self, region: str, rest_api_id: str, resource_id: str, http_method: str) -> None:
        with contextlib.suppress(AwsNotFound):
            await self.aws.call(SERVICE, region, "DeleteMethod", restApiId=rest_api_id, resourceId=resource_id,
                                httpMethod=http_method)

    async def set_stage_variable(self, region: str, rest_api_id: str, stage: str, name: str,
                                 value: str) -> ObservedStage:
        return _stage(await self.aws.call(SERVICE, region, "UpdateStage", restApiId=rest_api_id, stageName=stage,
                                          patchOperations=[{"op": "replace", "path": f"/variables/{name}",
                                                            "value": value}]))

    async def create_deployment(self, region: str, rest_api_id: str, stage: str,
                                variables: Mapping[str, str] | None, *, new_stage: bool = False) -> str:
        response = await self.aws.call(SERVICE, region, "CreateDeployment", restApiId=rest_api_id, stageName=stage,
                                       description="vpclink-operator: integration changed",
                                       **({"stageDescription": CREATED_STAGE_DESCRIPTION} if new_stage else {}),
                                       **({"variables": dict(variables)} if variables else {}))
        return str(response["id"])

    async def delete_stage(self, region: str, rest_api_id: str, stage: str) -> None:
        with contextlib.suppress(AwsNotFound):
            await self.aws.call(SERVICE, region, "DeleteStage", restApiId=rest_api_id, stageName=stage)
