"""apigatewayv2 (HTTP API) VPC links: translate, nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.errors import AwsNotFound
from vpclink_operator.aws.links import link_arn
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
