"""REST API (apigateway v1) integrations: connectionId kept, AWS's defaults filled in, updates
validated as a whole (a rejected patch leaves the integration untouched).
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import unquote

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import Integration, Method
from moto.apigateway.responses import APIGatewayResponse

from ..monkeypatch import Response, original, patch

MIN_TIMEOUT_MS, MAX_TIMEOUT_MS = 50, 29000


def _validate_integration(integration: Integration) -> None:
    timeout = integration.timeout_in_millis
    if timeout is not None and not MIN_TIMEOUT_MS <= int(timeout) <= MAX_TIMEOUT_MS:
        raise BadRequestException(f"Timeout should be between {MIN_TIMEOUT_MS} ms and {MAX_TIMEOUT_MS} ms")
    if integration.connection_type == "VPC_LINK" and not getattr(integration, "connection_id", None):
        raise BadRequestException("ConnectionId must be set to vpcLinkId for integrations of type VPC_LINK")


# patch path -> Integration attribute, for plain string fields
_SCALAR_PATHS = {
    "/connectionId": "connection_id",
    "/connectionType": "connection_type",
    "/uri": "uri",
    "/httpMethod": "http_method",
    "/passthroughBehavior": "passthrough_behaviour",
    "/cacheNamespace": "cache_namespace",
    "/contentHandling": "content_handling",
    "/credentials": "credentials",
}
# patch path prefix -> Integration attribute, for maps addressed as /prefix/<key>
_MAP_PATHS = {
    "/tlsConfig/": "tls_config",
    "/requestParameters/": "request_parameters",
    "/requestTemplates/": "request_templates",
}


def _apply_integration_patch(integration: Integration, operation: dict[str, Any]) -> None:
    op, path, value = operation.get("op"), operation.get("path", ""), operation.get("value")
    if op not in ("replace", "add", "remove"):
        raise BadRequestException(f"Invalid patch operation {op} for path {path}")
    if path in _SCALAR_PATHS:
        setattr(integration, _SCALAR_PATHS[path], None if op == "remove" else value)
    elif path == "/timeoutInMillis":
        integration.timeout_in_millis = None if op == "remove" else int(str(value))  # type: ignore[assignment]
    else:
        prefix = next((p for p in _MAP_PATHS if path.startswith(p)), None)
        if prefix is None:
            raise BadRequestException(f"Invalid patch path {path}")
        attribute, key = _MAP_PATHS[prefix], unquote(path[len(prefix) :].replace("~1", "/"))
        mapping = dict(getattr(integration, attribute) or {})
        if op == "remove":
            mapping.pop(key, None)
        else:
            mapping[key] = str(value).lower() == "true" if key == "insecureSkipVerification" else value
        setattr(integration, attribute, mapping or None)


def _method_of(response: APIGatewayResponse) -> tuple[str, str, str, Method]:
    parts = response.path.split("/")
    api_id, resource_id, http_method = parts[2], parts[4], parts[6]
    return api_id, resource_id, http_method, response.backend.get_method(api_id, resource_id, http_method)


def integration_json(self: Integration) -> dict[str, Any]:
    body: dict[str, Any] = original(Integration, "to_json")(self)
    body["connectionId"] = getattr(self, "connection_id", None)
    return body


def put_integration(self: APIGatewayResponse) -> Response:
    # moto drops connectionId; validate the whole request first, then let moto build the
    # integration and complete it with what it dropped and AWS's defaults (seed 001 output).
    _, resource_id, _, _ = _method_of(self)
    candidate = Integration(self._get_param("type"), self._get_param("uri"), self._get_param("httpMethod"))
    candidate.connection_type = self._get_param("connectionType")
    candidate.connection_id = self._get_param("connectionId")  # type: ignore[attr-defined]
    candidate.timeout_in_millis = self._get_param("timeoutInMillis")
    _validate_integration(candidate)
    status, headers, _ = original(APIGatewayResponse, "put_integration")(self)
    integration = _method_of(self)[3].method_integration
    assert integration is not None
    integration.connection_id = candidate.connection_id  # type: ignore[attr-defined]
    integration.timeout_in_millis = integration.timeout_in_millis or MAX_TIMEOUT_MS  # type: ignore[assignment]
    integration.passthrough_behaviour = integration.passthrough_behaviour or "WHEN_NO_MATCH"
    integration.cache_namespace = integration.cache_namespace or resource_id
    return status, headers, json.dumps(integration.to_json())


def update_integration(self: APIGatewayResponse) -> Response:
    *_, method = _method_of(self)
    if method.method_integration is None:
        raise BadRequestException("No integration defined for method")
    # Apply to a copy so that a rejected patch leaves the integration untouched.
    updated = copy.deepcopy(method.method_integration)
    for operation in self._get_param("patchOperations") or []:
        _apply_integration_patch(updated, operation)
    _validate_integration(updated)
    method.method_integration = updated
    return 200, {}, json.dumps(updated.to_json())


def install() -> None:
    patch(Integration, "to_json")(integration_json)
    patch(APIGatewayResponse, "put_integration")(put_integration)
    patch(APIGatewayResponse, "update_integration")(update_integration)
