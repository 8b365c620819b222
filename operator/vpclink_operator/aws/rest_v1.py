"""apigateway (REST API, v1) VPC links: translate, nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.errors import AwsNotFound
from vpclink_operator.aws.links import link_arn
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
