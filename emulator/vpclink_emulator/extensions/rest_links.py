"""REST API (apigateway v1) VPC links: one NLB each, a lifecycle, rename in place, delete refusals."""

from __future__ import annotations

import json
import re
from typing import Any

from moto.apigateway.exceptions import ApiGatewayException, BadRequestException
from moto.apigateway.models import APIGatewayBackend, VpcLink
from moto.apigateway.responses import APIGatewayResponse
from moto.elbv2.models import elbv2_backends

from .. import lifecycle
from ..monkeypatch import Response, original, patch
from .rest_deployments import deployed_references, referenced_in_message
from .rest_paging import paged_response

MAX_REST_LINKS_PER_REGION = 20

NLB_ALREADY_ASSOCIATED = "NLB is already associated with another VPC Endpoint Service"  # seed 001
AVAILABLE_MESSAGE = "Your vpc link is ready for use"

_ELB_ARN = re.compile(r"^arn:[^:]+:elasticloadbalancing:(?P<region>[^:]+):(?P<account>\d{12}):loadbalancer/")


class LimitExceededException(ApiGatewayException):
    code = 429  # as modeled for apigateway in botocore

    def __init__(self, message: str) -> None:
        super().__init__("LimitExceededException", message)


def link_json(self: VpcLink) -> dict[str, Any]:
    """The link as AWS shows it: status from the lifecycle, statusMessage when there is one."""
    state = lifecycle.lifecycle_of(self)
    status = state.status()
    body: dict[str, Any] = {
        "id": self.id,
        "name": self.name,
        "description": self.description,
        "targetArns": self.target_arns,
        "status": status,
    }
    message = state.message() or (AVAILABLE_MESSAGE if status == lifecycle.AVAILABLE else None)
    if message:
        body["statusMessage"] = message
    if self.tags:
        body["tags"] = self.tags
    return body


def _target_outcome(backend: APIGatewayBackend, target_arn: str) -> tuple[str, str | None]:
    """What a new link on `target_arn` ends up as once PENDING is over."""
    arn = _ELB_ARN.match(target_arn)
    balancer = None
    if arn and arn["account"] == backend.account_id:
        balancer = elbv2_backends[arn["account"]][arn["region"]].load_balancers.get(target_arn)
    if balancer is None:
        return lifecycle.FAILED, f"Failed to find a network load balancer with arn {target_arn}"
    if balancer.type != "network":
        return lifecycle.FAILED, f"Load balancer {target_arn} is not a network load balancer"
    for other in backend.vpc_links.values():
        # A link that FAILED never got an endpoint service; one still DELETING keeps it.
        if target_arn in other.target_arns and lifecycle.lifecycle_of(other).outcome != lifecycle.FAILED:
            return lifecycle.FAILED, NLB_ALREADY_ASSOCIATED
    return lifecycle.AVAILABLE, None


def create_vpc_link(
    self: APIGatewayBackend, name: str, description: str, target_arns: list[str], tags: Any
) -> VpcLink:
    if len(target_arns or []) > 1:
        raise BadRequestException("More than one target arn specified for vpc link.")
    if not target_arns:
        raise BadRequestException("No target arn specified for vpc link.")
    lifecycle.sweep(self.vpc_links)
    if len(self.vpc_links) >= MAX_REST_LINKS_PER_REGION:
        raise LimitExceededException(
            f"The maximum number of VPC links for REST APIs ({MAX_REST_LINKS_PER_REGION}) "
            "has been reached in this region."
        )
    outcome, message = _target_outcome(self, target_arns[0])
    link: VpcLink = original(APIGatewayBackend, "create_vpc_link")(
        self, name=name, description=description, target_arns=target_arns, tags=tags
    )
    lifecycle.start_lifecycle(link, outcome, message)
    return link


def get_vpc_link(self: APIGatewayBackend, vpc_link_id: str) -> VpcLink:
    lifecycle.sweep(self.vpc_links)
    return original(APIGatewayBackend, "get_vpc_link")(self, vpc_link_id)  # type: ignore[no-any-return]


def get_vpc_links(self: APIGatewayBackend) -> list[VpcLink]:
    lifecycle.sweep(self.vpc_links)
    return list(self.vpc_links.values())


def delete_vpc_link(self: APIGatewayBackend, vpc_link_id: str) -> None:
    link = self.get_vpc_link(vpc_link_id)
    references = deployed_references(self, vpc_link_id)
    if references:
        raise BadRequestException(referenced_in_message(vpc_link_id, references))
    lifecycle.lifecycle_of(link).begin_delete()


def update_vpc_link(backend: APIGatewayBackend, vpc_link_id: str, patch_operations: list[dict[str, Any]]) -> VpcLink:
    link = backend.get_vpc_link(vpc_link_id)
    for operation in patch_operations:
        path = operation.get("path", "")
        if path.startswith("/targetArns"):
            raise BadRequestException("Target arns are not allowed to be changed/added")
        if path not in ("/name", "/description") or operation.get("op") != "replace":
            raise BadRequestException(f"Invalid patch path {path}")
    for operation in patch_operations:
        setattr(link, operation["path"][1:], operation.get("value"))
    return link


def update_vpc_link_response(self: APIGatewayResponse) -> Response:
    link = update_vpc_link(self.backend, self.path.split("/")[-1], self._get_param("patchOperations") or [])
    return 200, {}, json.dumps(link.to_json())


def delete_vpc_link_response(self: APIGatewayResponse) -> Response:
    self.backend.delete_vpc_link(vpc_link_id=self.path.split("/")[-1])
    return 202, {}, "{}"


def get_vpc_links_response(self: APIGatewayResponse) -> Response:
    return paged_response(self, self.backend.get_vpc_links(), lambda link: link.to_json())


def install() -> None:
    patch(VpcLink, "to_json")(link_json)
    patch(APIGatewayBackend, "create_vpc_link")(create_vpc_link)
    patch(APIGatewayBackend, "get_vpc_link")(get_vpc_link)
    patch(APIGatewayBackend, "get_vpc_links")(get_vpc_links)
    patch(APIGatewayBackend, "delete_vpc_link")(delete_vpc_link)
    patch(APIGatewayResponse, "update_vpc_link")(update_vpc_link_response)
    patch(APIGatewayResponse, "delete_vpc_link")(delete_vpc_link_response)
    patch(APIGatewayResponse, "get_vpc_links")(get_vpc_links_response)
