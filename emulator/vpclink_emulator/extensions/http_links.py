"""VPC links V2 (apigatewayv2; AWS's "VPC link V2"): a lifecycle, a per-Region quota, delete
refusals, pagination. Since Nov 2025 they serve REST API private integrations too, so a link that
a deployed REST API stage still uses is refused deletion in the REST reference format
([RESTApiId:Method:Resource:Stage], as for V1 links). Doubt: which format AWS uses when both HTTP
API routes and REST stages use the link is undocumented; the HTTP one is reported first.
"""

from __future__ import annotations

from typing import Any

from moto.apigateway.models import apigateway_backends
from moto.apigatewayv2.exceptions import BadRequestException
from moto.apigatewayv2.models import Api, ApiGatewayV2Backend, Integration, VpcLink, apigatewayv2_backends
from moto.apigatewayv2.responses import ApiGatewayV2Response

from .. import lifecycle
from ..monkeypatch import Response, original, patch
from .http_errors import LimitExceededException
from .http_paging import paged_response
from .rest_deployments import deployed_references, referenced_in_message

MAX_HTTP_LINKS_PER_REGION = 10

STATUS_MESSAGES = {
    lifecycle.PENDING: "VPC link is provisioning ENIs",
    lifecycle.AVAILABLE: "VPC link is ready to route traffic",
    lifecycle.DELETING: "VPC link is deleting ENIs",
    lifecycle.INACTIVE: "VPC link is inactive",
}


def link_json(self: VpcLink) -> dict[str, Any]:
    body: dict[str, Any] = original(VpcLink, "to_json")(self)
    state = lifecycle.lifecycle_of(self)
    status = state.status()
    body["vpcLinkStatus"] = status
    message = state.message() or STATUS_MESSAGES.get(status)
    if message:
        body["vpcLinkStatusMessage"] = message
    return body


def _route_references(api: Api, integration: Integration) -> list[str]:
    """Method:Resource for each route of `api` that targets `integration`."""
    references = []
    for route in api.routes.values():
        if route.target == f"integrations/{integration.id}":
            method, _, path = route.route_key.partition(" ")
            references.append(f"{method}:{path}" if path else f"ANY:{method}")
    # An integration no route uses still holds the link; name it by its own method and id.
    return references or [f"{integration.integration_method or 'ANY'}:integrations/{integration.id}"]


def is_v2_link(account: str, region: str, link_id: str | None) -> bool:
    """Whether `link_id` names a VPC link V2 in that account and Region (REST integrations ask)."""
    if not link_id:
        return False
    links = apigatewayv2_backends[account][region].vpc_links
    lifecycle.sweep(links)
    return link_id in links


def create_vpc_link(self: ApiGatewayV2Backend, *args: Any, **kwargs: Any) -> VpcLink:
    lifecycle.sweep(self.vpc_links)
    if len(self.vpc_links) >= MAX_HTTP_LINKS_PER_REGION:
        raise LimitExceededException(
            f"The maximum number of VPC links for HTTP APIs ({MAX_HTTP_LINKS_PER_REGION}) "
            "has been reached in this region."
        )
    link: VpcLink = original(ApiGatewayV2Backend, "create_vpc_link")(self, *args, **kwargs)
    lifecycle.start_lifecycle(link)
    return link


def get_vpc_link(self: ApiGatewayV2Backend, vpc_link_id: str) -> VpcLink:
    lifecycle.sweep(self.vpc_links)
    return original(ApiGatewayV2Backend, "get_vpc_link")(self, vpc_link_id)  # type: ignore[no-any-return]


def get_vpc_links(self: ApiGatewayV2Backend) -> list[VpcLink]:
    lifecycle.sweep(self.vpc_links)
    return list(self.vpc_links.values())


def delete_vpc_link(self: ApiGatewayV2Backend, vpc_link_id: str) -> None:
    link = self.get_vpc_link(vpc_link_id)
    references = [
        reference
        for api in self.apis.values()
        for integration in api.integrations.values()
        if integration.connection_type == "VPC_LINK" and integration.connection_id == vpc_link_id
        for reference in _route_references(api, integration)
    ]
    if references:
        raise BadRequestException(
            f"Cannot delete vpc link. Vpc link '{vpc_link_id}', is referenced in "
            f"[{', '.join(references)}] in format of [Method:Resource]."
        )
    rest_references = deployed_references(apigateway_backends[self.account_id][self.region_name], vpc_link_id)
    if rest_references:
        raise BadRequestException(referenced_in_message(vpc_link_id, rest_references))
    lifecycle.lifecycle_of(link).begin_delete()


def delete_vpc_link_response(self: ApiGatewayV2Response) -> Response:
    self.apigatewayv2_backend.delete_vpc_link(self.path.split("/")[-1])
    return 202, {}, "{}"


def get_vpc_links_response(self: ApiGatewayV2Response) -> Response:
    return paged_response(self, self.apigatewayv2_backend.get_vpc_links())


def install() -> None:
    patch(VpcLink, "to_json")(link_json)
    patch(ApiGatewayV2Backend, "create_vpc_link")(create_vpc_link)
    patch(ApiGatewayV2Backend, "get_vpc_link")(get_vpc_link)
    patch(ApiGatewayV2Backend, "get_vpc_links")(get_vpc_links)
    patch(ApiGatewayV2Backend, "delete_vpc_link")(delete_vpc_link)
    patch(ApiGatewayV2Response, "delete_vpc_link")(delete_vpc_link_response)
    patch(ApiGatewayV2Response, "get_vpc_links")(get_vpc_links_response)
