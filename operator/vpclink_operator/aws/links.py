"""The shape both VPC link adapters share, so reconcile treats REST and HTTP links alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from vpclink_operator.models.vpclink import ApiType, DesiredLink, ObservedLink


def link_arn(region: str, link_id: str) -> str:
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return f"arn:{partition}:apigateway:{region}::/vpclinks/{link_id}"


class LinkAdapter(Protocol):
    api_type: ApiType

    async def list_links(self, region: str) -> list[ObservedLink]: ...

    async def get_link(self, region: str, link_id: str) -> ObservedLink | None: ...

    async def create_link(self, desired: DesiredLink) -> ObservedLink: ...

    async def update_link(self, region: str, link_id: str, name: str | None,
                          description: str | None) -> None: ...

    async def tag_link(self, region: str, link_id: str, tags: Mapping[str, str]) -> None: ...

    async def untag_link(self, region: str, link_id: str, keys: Sequence[str]) -> None: ...

    async def delete_link(self, region: str, link_id: str) -> None: ...
