"""HTTP API (apigatewayv2) behaviours stock moto lacks: link lifecycle, integration
validation, delete refusals, resource quotas and pagination.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.apigatewayv2.exceptions import APIGatewayV2Error, BadRequestException
from moto.apigatewayv2.models import Api, ApiGatewayV2Backend, Integration, VpcLink
from moto.apigatewayv2.responses import ApiGatewayV2Response

from . import lifecycle
from .paging import InvalidToken, first, page
from .patching import Response, original, patch

MAX_HTTP_LINKS_PER_REGION = 10
MAX_INTEGRATIONS_PER_API = 300
MIN_TIMEOUT_MS, MAX_TIMEOUT_MS = 50, 30000

STATUS_MESSAGES = {
    lifecycle.PENDING: "VPC link is provisioning ENIs",
    lifecycle.AVAILABLE: "VPC link is ready to route traffic",
    lifecycle.DELETING: "VPC link is deleting ENIs",
    lifecycle.INACTIVE: "VPC link is inactive",
}

# Seed 002: an ALB/NLB listener ARN, or a Cloud Map service ARN that may carry a query string
# (e.g. ...:service/srv-id?stage=prod&deployment=green_deployment).
_LISTENER_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener/(app|net)/[^/]+/[0-9a-f]+/[0-9a-f]+$"
)
_CLOUD_MAP_ARN = re.compile(r"^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:service/srv-[A-Za-z0-9]+(\?.*)?$")


class ConflictException(APIGatewayV2Error):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ConflictException", message)


class LimitExceededException(APIGatewayV2Error):
    code = 429  # the status apigateway v1 models for the same error

    def __init__(self, message: str) -> None:
        super().__init__("LimitExceededException", message)


# --- VPC links -----------------------------------------------------------------------------


def _link_json(self: VpcLink) -> dict[str, Any]:
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


def _install_links() -> None:
    patch(VpcLink, "to_json")(_link_json)

    @patch(ApiGatewayV2Backend, "create_vpc_link")
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

    @patch(ApiGatewayV2Backend, "get_vpc_link")
    def get_vpc_link(self: ApiGatewayV2Backend, vpc_link_id: str) -> VpcLink:
        lifecycle.sweep(self.vpc_links)
        return original(ApiGatewayV2Backend, "get_vpc_link")(self, vpc_link_id)  # type: ignore[no-any-return]

    @patch(ApiGatewayV2Backend, "get_vpc_links")
    def get_vpc_links(self: ApiGatewayV2Backend) -> list[VpcLink]:
        lifecycle.sweep(self.vpc_links)
        return list(self.vpc_links.values())

    @patch(ApiGatewayV2Backend, "delete_vpc_link")
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
        lifecycle.lifecycle_of(link).begin_delete()

    @patch(ApiGatewayV2Response, "delete_vpc_link")
    def delete_vpc_link_response(self: ApiGatewayV2Response) -> Response:
        self.apigatewayv2_backend.delete_vpc_link(self.path.split("/")[-1])
        return 202, {}, "{}"

    @patch(ApiGatewayV2Response, "get_vpc_links")
    def get_vpc_links_response(self: ApiGatewayV2Response) -> Response:
        return _paged_response(self, self.apigatewayv2_backend.get_vpc_links())


# --- integrations --------------------------------------------------------------------------


def _validate_integration(backend: ApiGatewayV2Backend, fields: dict[str, Any]) -> None:
    timeout = fields.get("timeout_in_millis")
    if timeout is not None and not MIN_TIMEOUT_MS <= int(timeout) <= MAX_TIMEOUT_MS:
        raise BadRequestException(
            f"Timeout must be between {MIN_TIMEOUT_MS} milliseconds and {MAX_TIMEOUT_MS} milliseconds."
        )
    if fields.get("connection_type") != "VPC_LINK":
        return
    connection_id = fields.get("connection_id")
    if not connection_id:
        raise BadRequestException("ConnectionId must be provided for integrations with connectionType VPC_LINK.")
    lifecycle.sweep(backend.vpc_links)
    if connection_id not in backend.vpc_links:
        raise BadRequestException(f"Invalid VpcLink identifier specified {connection_id}")
    uri = fields.get("integration_uri") or ""
    if not (_LISTENER_ARN.match(uri) or _CLOUD_MAP_ARN.match(uri)):
        raise BadRequestException(
            "For VPC_LINK integrations, IntegrationUri must be the ARN of an Application Load Balancer or "
            f"Network Load Balancer listener, or of an AWS Cloud Map service. Got: {uri}"
        )


_CHECKED_FIELDS = ("timeout_in_millis", "connection_type", "connection_id", "integration_uri")


def _install_integrations() -> None:
    @patch(ApiGatewayV2Backend, "create_integration")
    def create_integration(self: ApiGatewayV2Backend, api_id: str, **kwargs: Any) -> Integration:
        api = self.get_api(api_id)
        _validate_integration(self, kwargs)
        if len(api.integrations) >= MAX_INTEGRATIONS_PER_API:
            raise LimitExceededException(
                f"The maximum number of integrations per API ({MAX_INTEGRATIONS_PER_API}) has been reached."
            )
        return original(ApiGatewayV2Backend, "create_integration")(self, api_id=api_id, **kwargs)  # type: ignore[no-any-return]

    @patch(ApiGatewayV2Backend, "update_integration")
    def update_integration(self: ApiGatewayV2Backend, api_id: str, integration_id: str, **kwargs: Any) -> Integration:
        current = self.get_integration(api_id, integration_id)
        # Validate what the integration would become: unchanged fields keep their values.
        merged = {name: getattr(current, name) for name in _CHECKED_FIELDS}
        merged.update({k: v for k, v in kwargs.items() if k in _CHECKED_FIELDS and v is not None})
        _validate_integration(self, merged)
        return original(ApiGatewayV2Backend, "update_integration")(  # type: ignore[no-any-return]
            self, api_id=api_id, integration_id=integration_id, **kwargs
        )

    @patch(ApiGatewayV2Backend, "delete_integration")
    def delete_integration(self: ApiGatewayV2Backend, api_id: str, integration_id: str) -> None:
        api = self.get_api(api_id)
        api.get_integration(integration_id)  # NotFoundException for an unknown id
        routes = [r.route_id for r in api.routes.values() if r.target == f"integrations/{integration_id}"]
        if routes:
            raise ConflictException(
                "Cannot delete Integration because it is referenced by the following Routes with Ids: "
                f"[{', '.join(routes)}]"
            )
        original(ApiGatewayV2Backend, "delete_integration")(self, api_id, integration_id)

    @patch(ApiGatewayV2Response, "get_integrations")
    def get_integrations_response(self: ApiGatewayV2Response) -> Response:
        return _paged_response(self, self.apigatewayv2_backend.get_integrations(api_id=self.path.split("/")[-2]))


def _paged_response(response: ApiGatewayV2Response, items: list[Any]) -> Response:
    size = first(response.querystring.get("maxResults"))
    try:
        chunk, token = page(items, int(size) if size else None, first(response.querystring.get("nextToken")))
    except InvalidToken:
        raise BadRequestException("Invalid nextToken") from None
    body: dict[str, Any] = {"items": [item.to_json() for item in chunk]}
    if token:
        body["nextToken"] = token
    return 200, {}, json.dumps(body)


def install() -> None:
    _install_links()
    _install_integrations()
