"""REST API (apigateway v1) behaviours stock moto lacks: VPC link rules, lifecycle, tags,
integration connectionId and updates, deployment snapshots, delete refusals, pagination.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any
from urllib.parse import unquote

from moto.apigateway import urls as v1_urls
from moto.apigateway.exceptions import ApiGatewayException, BadRequestException
from moto.apigateway.models import (
    APIGatewayBackend,
    Deployment,
    Integration,
    Method,
    RestAPI,
    Stage,
    VpcLink,
)
from moto.apigateway.responses import APIGatewayResponse
from moto.elbv2.models import elbv2_backends

from . import lifecycle
from .paging import InvalidToken, first, page
from .patching import Response, original, patch

MAX_REST_LINKS_PER_REGION = 20
DEFAULT_PAGE_SIZE = 25  # AWS: "The default value is 25 and the maximum value is 500."
MIN_TIMEOUT_MS, MAX_TIMEOUT_MS = 50, 29000

NLB_ALREADY_ASSOCIATED = "NLB is already associated with another VPC Endpoint Service"  # seed 001
AVAILABLE_MESSAGE = "Your vpc link is ready for use"

_LINK_ARN = re.compile(r"^arn:[^:]+:apigateway:[^:]*::/vpclinks/(?P<id>[^/]+)$")
_ELB_ARN = re.compile(r"^arn:[^:]+:elasticloadbalancing:(?P<region>[^:]+):(?P<account>\d{12}):loadbalancer/")
_STAGE_VARIABLE = re.compile(r"^\$\{stageVariables\.(?P<name>[A-Za-z0-9_]+)\}$")


class LimitExceededException(ApiGatewayException):
    code = 429  # as modeled for apigateway in botocore

    def __init__(self, message: str) -> None:
        super().__init__("LimitExceededException", message)


# --- VPC links -----------------------------------------------------------------------------


def _link_json(self: VpcLink) -> dict[str, Any]:
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


def _deployed_references(backend: APIGatewayBackend, link_id: str) -> list[str]:
    """Stages whose deployed integrations route through `link_id`, as RESTApiId:Method:Resource:Stage."""
    references = []
    for api in backend.apis.values():
        for stage in api.stages.values():
            deployment = api.deployments.get(stage.deployment_id or "")
            for (path, method), integration in getattr(deployment, "_emulator_snapshot", {}).items():
                if integration.get("connectionType") != "VPC_LINK":
                    continue
                connection_id = integration.get("connectionId") or ""
                variable = _STAGE_VARIABLE.match(connection_id)
                if variable:
                    connection_id = stage.variables.get(variable["name"], "")
                if connection_id == link_id:
                    references.append(f"{api.id}:{method}:{path}:{stage.name}")
    return references


def _install_links() -> None:
    patch(VpcLink, "to_json")(_link_json)

    @patch(APIGatewayBackend, "create_vpc_link")
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

    @patch(APIGatewayBackend, "get_vpc_link")
    def get_vpc_link(self: APIGatewayBackend, vpc_link_id: str) -> VpcLink:
        lifecycle.sweep(self.vpc_links)
        return original(APIGatewayBackend, "get_vpc_link")(self, vpc_link_id)  # type: ignore[no-any-return]

    @patch(APIGatewayBackend, "get_vpc_links")
    def get_vpc_links(self: APIGatewayBackend) -> list[VpcLink]:
        lifecycle.sweep(self.vpc_links)
        return list(self.vpc_links.values())

    @patch(APIGatewayBackend, "delete_vpc_link")
    def delete_vpc_link(self: APIGatewayBackend, vpc_link_id: str) -> None:
        link = self.get_vpc_link(vpc_link_id)
        references = _deployed_references(self, vpc_link_id)
        if references:
            raise BadRequestException(
                f"Cannot delete vpc link. Vpc link '{vpc_link_id}', is referenced in "
                f"[{', '.join(references)}] in format of [RESTApiId:Method:Resource:Stage]."
            )
        lifecycle.lifecycle_of(link).begin_delete()

    def update_vpc_link(
        backend: APIGatewayBackend, vpc_link_id: str, patch_operations: list[dict[str, Any]]
    ) -> VpcLink:
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

    @patch(APIGatewayResponse, "update_vpc_link")
    def update_vpc_link_response(self: APIGatewayResponse) -> Response:
        link = update_vpc_link(self.backend, self.path.split("/")[-1], self._get_param("patchOperations") or [])
        return 200, {}, json.dumps(link.to_json())

    @patch(APIGatewayResponse, "delete_vpc_link")
    def delete_vpc_link_response(self: APIGatewayResponse) -> Response:
        self.backend.delete_vpc_link(vpc_link_id=self.path.split("/")[-1])
        return 202, {}, "{}"

    @patch(APIGatewayResponse, "get_vpc_links")
    def get_vpc_links_response(self: APIGatewayResponse) -> Response:
        return _paged_response(self, self.backend.get_vpc_links(), lambda link: link.to_json())


# --- tags on VPC link ARNs -----------------------------------------------------------------


def _tagged_link(response: APIGatewayResponse) -> VpcLink | None:
    arn = _LINK_ARN.match(unquote(response.path.split("/tags/", 1)[1]))
    return response.backend.get_vpc_link(arn["id"]) if arn else None


def _tags_of(link: VpcLink) -> dict[str, str]:
    # moto types v1 link tags as a list, but stores the {key: value} map the API sends.
    return dict(link.tags or {})  # type: ignore[arg-type]


def _install_tags() -> None:
    # Flask matches the percent-decoded path, in which the link ARN's slashes are real slashes.
    v1_urls.url_paths[
        "{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::/vpclinks/(?P<vpclink_id>[^/]+)$"
    ] = APIGatewayResponse.dispatch

    @patch(APIGatewayResponse, "get_tags")
    def get_tags(self: APIGatewayResponse) -> Any:
        link = _tagged_link(self)
        if link is None:
            return original(APIGatewayResponse, "get_tags")(self)
        return 200, {}, json.dumps({"tags": _tags_of(link)})

    @patch(APIGatewayResponse, "tag_resource")
    def tag_resource(self: APIGatewayResponse) -> Any:
        link = _tagged_link(self)
        if link is None:
            return original(APIGatewayResponse, "tag_resource")(self)
        link.tags = {**_tags_of(link), **(self._get_param("tags") or {})}  # type: ignore[assignment]
        return 204, {}, ""

    @patch(APIGatewayResponse, "untag_resource")
    def untag_resource(self: APIGatewayResponse) -> Any:
        link = _tagged_link(self)
        if link is None:
            return original(APIGatewayResponse, "untag_resource")(self)
        removed = set(self.querystring.get("tagKeys") or [])
        link.tags = {k: v for k, v in _tags_of(link).items() if k not in removed}  # type: ignore[assignment]
        return 204, {}, ""


# --- integrations --------------------------------------------------------------------------


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


def _install_integrations() -> None:
    @patch(Integration, "to_json")
    def to_json(self: Integration) -> dict[str, Any]:
        body: dict[str, Any] = original(Integration, "to_json")(self)
        body["connectionId"] = getattr(self, "connection_id", None)
        return body

    @patch(APIGatewayResponse, "put_integration")
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

    @patch(APIGatewayResponse, "update_integration")
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


# --- deployments, stages and resources -----------------------------------------------------


def _install_deployments() -> None:
    @patch(RestAPI, "create_deployment")
    def create_deployment(self: RestAPI, name: str, description: str, stage_variables: Any = None) -> Deployment:
        # Stock moto replaces an existing stage, dropping its variables; AWS re-points it and
        # sets only the variables given (seed 001 redeploys a stage that has vpcLinkId).
        existing: Stage | None = self.stages.get(name) if name else None
        deployment: Deployment = original(RestAPI, "create_deployment")(self, name, description, stage_variables)
        if existing is not None:
            existing.deployment_id = deployment.id
            existing.variables.update(stage_variables or {})
            self.stages[name] = existing
        # A deployment is a snapshot: later integration edits do not reach deployed stages.
        deployment._emulator_snapshot = {  # type: ignore[attr-defined]
            (resource.get_path(), http_method): copy.deepcopy(method.method_integration.to_json())
            for resource in self.resources.values()
            for http_method, method in resource.resource_methods.items()
            if method.method_integration is not None
        }
        return deployment

    @patch(APIGatewayResponse, "create_deployment")
    def create_deployment_response(self: APIGatewayResponse) -> Response:
        # moto drops stageDescription; AWS gives it to the stage that the deployment creates.
        api = self.backend.get_rest_api(self.path.replace("/restapis/", "", 1).split("/")[0])
        name, description = self._get_param("stageName"), self._get_param("stageDescription")
        creates_stage = bool(name) and name not in api.stages
        response: Response = original(APIGatewayResponse, "create_deployment")(self)
        if creates_stage and description:
            api.stages[name].description = description
        return response

    @patch(APIGatewayResponse, "get_resources")
    def get_resources(self: APIGatewayResponse) -> Response:
        api_id = self.path.replace("/restapis/", "", 1).split("/")[0]
        embedded = {e for value in self.querystring.get("embed") or [] for e in value.split(",")}

        def render(resource: Any) -> dict[str, Any]:
            body: dict[str, Any] = resource.to_dict()
            if "resourceMethods" in body and "methods" not in embedded:
                # Without embed=methods AWS lists only the method names.
                body["resourceMethods"] = {name: {} for name in body["resourceMethods"]}
            return body

        return _paged_response(self, self.backend.get_resources(api_id), render)


def _paged_response(response: APIGatewayResponse, items: list[Any], render: Any) -> Response:
    limit = first(response.querystring.get("limit"))
    size = int(limit) if limit else DEFAULT_PAGE_SIZE
    try:
        chunk, position = page(items, size, first(response.querystring.get("position")))
    except InvalidToken:
        raise BadRequestException("Invalid position parameter") from None
    body: dict[str, Any] = {"item": [render(item) for item in chunk]}
    if position:
        body["position"] = position
    return 200, {}, json.dumps(body)


def install() -> None:
    _install_links()
    _install_tags()
    _install_integrations()
    _install_deployments()
