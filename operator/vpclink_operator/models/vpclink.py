"""VpcLink: the user's spec, what AWS reports, and what the operator writes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from vpclink_operator.models.base import CamelModel

ApiType = Literal["HTTP", "REST"]
# AWS's names for the two kinds: an HTTP-type link is a "VPC link V2" (subnets and security groups) and
# serves HTTP APIs and, since Nov 2025, REST APIs; a REST-type link is a "VPC link V1" (one NLB, legacy).
LinkVersion = Literal["V1", "V2"]
LINK_VERSIONS: dict[ApiType, LinkVersion] = {"HTTP": "V2", "REST": "V1"}
LinkState = Literal["PENDING", "AVAILABLE", "DELETING", "FAILED", "INACTIVE"]

# Tags the operator puts on everything it creates, so a crash between an AWS create call and the
# status write is recovered by lookup instead of a duplicate.
OWNER_UID_TAG = "vpclink.dev/owner-uid"
OWNER_NAMESPACE_TAG = "vpclink.dev/owner-namespace"
OWNER_NAME_TAG = "vpclink.dev/owner-name"
OWNER_TAGS = (OWNER_UID_TAG, OWNER_NAMESPACE_TAG, OWNER_NAME_TAG)
OPERATOR_TAG_PREFIX = "vpclink.dev/"  # reserved: user tags may not use it (the CRD refuses them)
HTTP_LINK_NAME_MAX = 128  # apigatewayv2 CreateVpcLink; REST (v1) links allow 255


class VpcLinkSpec(CamelModel):
    api_type: ApiType
    name: str | None = Field(default=None, min_length=1, max_length=255)
    region: str | None = None
    subnet_ids: list[str] = Field(default_factory=list)
    security_group_ids: list[str] = Field(default_factory=list)
    target_arns: list[str] = Field(default_factory=list)
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    deletion_policy: Literal["Delete", "Retain"] = "Delete"
    vpc_link_id: str | None = None
    allowed_namespaces: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fields_match_api_type(self) -> VpcLinkSpec:
        # The CRD's CEL rules say the same; this guards objects admitted before a schema change.
        if self.api_type == "HTTP":
            if not 1 <= len(self.subnet_ids) <= 10:
                raise ValueError("subnetIds: an HTTP VPC link needs 1 to 10 subnets")
            if len(self.security_group_ids) > 5:
                raise ValueError("securityGroupIds: an HTTP VPC link takes at most 5 security groups")
            if self.target_arns:
                raise ValueError("targetArns: only REST VPC links have target ARNs")
            if self.description is not None:
                raise ValueError("description: only REST VPC links have a description")
        else:
            if len(self.target_arns) != 1 or ":loadbalancer/net/" not in self.target_arns[0]:
                raise ValueError("targetArns: a REST VPC link needs exactly one Network Load Balancer ARN")
            if self.subnet_ids or self.security_group_ids:
                raise ValueError("subnetIds/securityGroupIds: only HTTP VPC links have subnets "
                                 "and security groups")
        return self


@dataclass(frozen=True)
class PreflightVerdict:
    """What pre-flight found about the network a link would be created on (an observation for the planner)."""

    problem: str | None = None  # refuse: nothing is created
    warning: str | None = None  # create, and say what could not be checked


@dataclass(frozen=True)
class Owner:
    uid: str
    namespace: str
    name: str

    @property
    def tags(self) -> dict[str, str]:
        return {OWNER_UID_TAG: self.uid, OWNER_NAMESPACE_TAG: self.namespace, OWNER_NAME_TAG: self.name}


@dataclass(frozen=True)
class LinkShape:
    """The fields AWS cannot change in place: a difference here means a replacement."""

    subnet_ids: frozenset[str] = frozenset()
    security_group_ids: frozenset[str] = frozenset()
    target_arns: frozenset[str] = frozenset()

    def differences(self, other: LinkShape) -> list[str]:
        """Names (spec field names) of the immutable fields that differ."""
        return [
            name
            for name, mine, theirs in (
                ("subnetIds", self.subnet_ids, other.subnet_ids),
                ("securityGroupIds", self.security_group_ids, other.security_group_ids),
                ("targetArns", self.target_arns, other.target_arns),
            )
            if mine != theirs
        ]


@dataclass(frozen=True)
class DesiredLink:
    api_type: ApiType
    region: str
    name: str | None  # None: an adopted link keeps its own name unless spec.name is set
    shape: LinkShape
    description: str | None
    tags: dict[str, str]  # user tags plus the owner tags
    adopt_id: str | None
    retain: bool

    @classmethod
    def from_spec(cls, spec: VpcLinkSpec, owner: Owner, default_region: str) -> DesiredLink:
        return cls(
            api_type=spec.api_type,
            region=spec.region or default_region,
            name=spec.name or (None if spec.vpc_link_id else f"{owner.namespace}-{owner.name}"),
            shape=LinkShape(frozenset(spec.subnet_ids), frozenset(spec.security_group_ids),
                            frozenset(spec.target_arns)),
            description=spec.description,
            tags={**spec.tags, **owner.tags},
            adopt_id=spec.vpc_link_id,
            retain=spec.deletion_policy == "Retain",
        )


@dataclass(frozen=True)
class ObservedLink:
    """One VPC link as AWS reports it, either API version."""

    id: str
    name: str
    status: LinkState
    status_message: str
    shape: LinkShape
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


class Replacement(CamelModel):
    vpc_link_id: str
    vpc_link_status: LinkState | None = None
    status_message: str | None = None  # kept after a FAILED replacement link has been deleted
    reason: str


class UsedBy(CamelModel):
    """A PrivateIntegration that uses this VpcLink, and the link id it reports using now."""

    name: str  # namespace/name
    connection_id: str | None = None

    @model_serializer(mode="wrap")
    def _omit_unknown(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Inside a list a null would reach the apiserver as a value, not as "absent".
        return {k: v for k, v in handler(self).items() if v is not None}


class VpcLinkStatus(CamelModel):
    """The operator's memory between passes; everything else is re-read from AWS."""

    observed_generation: int | None = None
    vpc_link_id: str | None = None
    vpc_link_status: LinkState | None = None
    vpc_link_version: LinkVersion | None = None
    status_message: str | None = None
    replacement: Replacement | None = None
    retired_vpc_link_ids: list[str] = Field(default_factory=list)
    # Tag keys this operator set on the link: adopting never removes a tag it did not set.
    managed_tag_keys: list[str] = Field(default_factory=list)
    used_by: list[UsedBy] = Field(default_factory=list)
    used_by_count: int = 0
    conditions: list[dict[str, object]] = Field(default_factory=list)
