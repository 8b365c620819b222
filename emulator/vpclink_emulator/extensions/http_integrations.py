"""HTTP API (apigatewayv2) integrations: VPC_LINK validation, a per-API quota, delete refusals
while routes target them, pagination.
"""

from __future__ import annotations

import re
from typing import Any

from moto.apigatewayv2.exceptions import BadRequestException
from moto.apigatewayv2.models import ApiGatewayV2Backend, Integration
from moto.apigatewayv2.responses import ApiGatewayV2Response

from .. import lifecycle
from ..monkeypatch import Response, original, patch
from .http_errors import ConflictException, LimitExceededException
from .http_paging import paged_response

MAX_INTEGRATIONS_PER_API = 300
MIN_TIMEOUT_MS, MAX_TIMEOUT_MS = 50, 30000

# Seed 002: an ALB/NLB listener ARN, or a Cloud Map service ARN that may carry a query string
# (e.g. ...:service/srv-id?stage=prod&deployment=green_deployment).
_LISTENER_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener/(app|net)/[^/]+/[0-9a-f]+/[0-9a-f]+$"
)
_CLOUD_MAP_ARN = re.compile(r"^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:service/srv-[A-Za-z0-9]+(\?.*)?$")


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


def create_integration(self: ApiGatewayV2Backend, api_id: str, **kwargs: Any) -> Integration:
    api = self.get_api(api_id)
    _validate_integration(self, kwargs)
    if len(api.integrations) >= MAX_INTEGRATIONS_PER_API:
        raise LimitExceededException(
            f"The maximum number of integrations per API ({MAX_INTEGRATIONS_PER_API}) has been reached."
        )
    return original(ApiGatewayV2Backend, "create_integration")(self, api_id=api_id, **kwargs)  # type: ignore[no-any-return]


def update_integration(self: ApiGatewayV2Backend, api_id: str, integration_id: str, **kwargs: Any) -> Integration:
    current = self.get_integration(api_id, integration_id)
    # Validate what the integration would become: unchanged fields keep their values.
    merged = {name: getattr(current, name) for name in _CHECKED_FIELDS}
    merged.update({k: v for k, v in kwargs.items() if k in _CHECKED_FIELDS and v is not None})
    _validate_integration(self, merged)
    return original(ApiGatewayV2Backend, "update_integration")(  # type: ignore[no-any-return]
        self, api_id=api_id, integration_id=integration_id, **kwargs
    )


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


def get_integrations_response(self: ApiGatewayV2Response) -> Response:
    return paged_response(self, self.apigatewayv2_backend.get_integrations(api_id=self.path.split("/")[-2]))


def install() -> None:
    patch(ApiGatewayV2Backend, "create_integration")(create_integration)
    patch(ApiGatewayV2Backend, "update_integration")(update_integration)
    patch(ApiGatewayV2Backend, "delete_integration")(delete_integration)
    patch(ApiGatewayV2Response, "get_integrations")(get_integrations_response)
