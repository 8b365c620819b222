"""PrivateIntegration: the user's spec, what AWS reports for it, and what the operator writes back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from pydantic import Field, model_validator

from vpclink_operator.models.base import CamelModel
from vpclink_operator.models.vpclink import ApiType

# API Gateway integrations and methods carry no tags. The operator marks what it creates in the
# fields that exist for free text, so a create that crashed before its id reached status is found.
OWNER_MARKER_PREFIX = "vpclink-operator owner-uid="
# The description of a stage that the operator's first deployment created; only such a stage is ever
# deleted by the operator (when the API has no method left to deploy, so it would hold a link forever).
CREATED_STAGE_DESCRIPTION = "created by vpclink-operator"


def owner_marker(uid: str) -> str:
    return f"{OWNER_MARKER_PREFIX}{uid}"


class VpcLinkRef(CamelModel):
    name: str
    namespace: str | None = None


class HttpIntegrationSpec(CamelModel):
    api_id: str
    integration_uri: str
    integration_method: str = "ANY"
    payload_format_version: Literal["1.0"] = "1.0"
    tls_server_name_to_verify: str | None = None
    timeout_in_millis: int = Field(default=30000, ge=50, le=30000)
    request_parameters: dict[str, str] = Field(default_factory=dict)
    route_keys: list[str] = Field(default_factory=list)


class RestIntegrationSpec(CamelModel):
    rest_api_id: str
    resource_path: str
    http_method: str
    authorization_type: str = "NONE"
    integration_http_method: str
    uri: str
    timeout_in_millis: int = Field(default=29000, ge=50, le=29000)
    connection_id_from: Literal["Direct", "StageVariable"] = "Direct"
    stage_variable: str | None = None
    stages: list[str] = Field(default_factory=list)
    deploy_on_change: bool = True
    # Only through an HTTP-type (VPC link V2) link: the ALB or NLB to reach (AWS, Nov 2025).
    integration_target: str | None = None
    response_transfer_mode: Literal["BUFFERED", "STREAM"] | None = None

    @model_validator(mode="after")
    def _stage_variable_needs_stages(self) -> RestIntegrationSpec:
        if self.connection_id_from == "StageVariable" and (not self.stage_variable or not self.stages):
            raise ValueError("stageVariable and at least one entry in stages are required with "
                             "connectionIdFrom: StageVariable")
        return self

    def connection_id(self, link_id: str) -> str:
        if self.connection_id_from == "StageVariable":
            return f"${{stageVariables.{self.stage_variable}}}"
        return link_id


class PrivateIntegrationSpec(CamelModel):
    vpc_link_ref: VpcLinkRef | None = None
    vpc_link_id: str | None = None
    http: HttpIntegrationSpec | None = None
    rest: RestIntegrationSpec | None = None
    adopt: bool = False  # take over an existing integration or route that the operator did not create
    deletion_policy: Literal["Delete", "Retain"] = "Delete"

    @model_validator(mode="after")
    def _exactly_one_of_each(self) -> PrivateIntegrationSpec:
        if (self.http is None) == (self.rest is None):
            raise ValueError("exactly one of http or rest must be set")
        if (self.vpc_link_ref is None) == (self.vpc_link_id is None):
            raise ValueError("exactly one of vpcLinkRef or vpcLinkId must be set")
        return self

    @property
    def api_type(self) -> ApiType:
        return "HTTP" if self.http is not None else "REST"


@dataclass(frozen=True)
class LinkInUse:
    """The VPC link an integration should use now, resolved from a VpcLink or a literal id."""

    link_id: str
    region: str


# -- what the operator asks of AWS -------------------------------------------------------------------

@dataclass(frozen=True)
class HttpIntegrationFields:
    integration_uri: str
    integration_method: str
    payload_format_version: str
    connection_id: str
    tls_server_name_to_verify: str | None
    timeout_in_millis: int
    request_parameters: Mapping[str, str]
    description: str


@dataclass(frozen=True)
class RestIntegrationFields:
    integration_http_method: str
    uri: str
    connection_id: str
    timeout_in_millis: int
    integration_target: str | None = None  # with a VPC link V2 only
    response_transfer_mode: str | None = None  # None: AWS's default (BUFFERED)



# -- what AWS reports ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ObservedHttpIntegration:
    id: str
    integration_uri: str
    integration_method: str
    payload_format_version: str
    connection_id: str
    connection_type: str
    tls_server_name_to_verify: str | None
    timeout_in_millis: int
    request_parameters: dict[str, str]
    description: str


@dataclass(frozen=True)
class ObservedRoute:
    id: str
    route_key: str
    target: str  # "integrations/<id>" or ""


@dataclass(frozen=True)
class HttpApiSnapshot:
    integrations: dict[str, ObservedHttpIntegration]
    routes: dict[str, ObservedRoute]  # by route key

    # Write-through: each returns the snapshot as a fresh list would show it after one write (pure; other
    # passes may still hold the old snapshot, so nothing is changed in place).

    def with_integration(self, integration: ObservedHttpIntegration) -> HttpApiSnapshot:
        """After CreateIntegration or UpdateIntegration: AWS answers with the whole integration."""
        return replace(self, integrations={**self.integrations, integration.id: integration})

    def without_integration(self, integration_id: str) -> HttpApiSnapshot:
        return replace(self, integrations={k: v for k, v in self.integrations.items() if k != integration_id})

    def with_route(self, route: ObservedRoute) -> HttpApiSnapshot:
        """After CreateRoute or UpdateRoute: AWS answers with the whole route."""
        others = {k: v for k, v in self.routes.items() if v.id != route.id}
        return replace(self, routes={**others, route.route_key: route})

    def without_route(self, route_id: str) -> HttpApiSnapshot:
        return replace(self, routes={k: v for k, v in self.routes.items() if v.id != route_id})


@dataclass(frozen=True)
class ObservedRestIntegration:
    type: str
    integration_http_method: str
    uri: str
    connection_type: str
    connection_id: str
    timeout_in_millis: int
    integration_target: str | None = None
    response_transfer_mode: str | None = None


@dataclass(frozen=True)
class ObservedMethod:
    http_method: str
    authorization_type: str
    operation_name: str
    integration: ObservedRestIntegration | None


@dataclass(frozen=True)
class ObservedResource:
    id: str
    path: str
    methods: dict[str, ObservedMethod]


@dataclass(frozen=True)
class ObservedStage:
    name: str
    variables: dict[str, str]
    deployment_id: str
    description: str = ""


@dataclass(frozen=True)
class RestApiSnapshot:
    resources: dict[str, ObservedResource]  # by path
    stages: dict[str, ObservedStage] = field(default_factory=dict)

    # Write-through, as on HttpApiSnapshot: the snapshot a fresh list would show after one write.

    def _with_methods(self, resource_id: str, methods: Callable[[dict[str, ObservedMethod]],
                                                                dict[str, ObservedMethod]]) -> RestApiSnapshot:
        return replace(self, resources={path: replace(r, methods=methods(r.methods)) if r.id == resource_id else r
                                        for path, r in self.resources.items()})

    def with_method(self, resource_id: str, method: ObservedMethod) -> RestApiSnapshot:
        """After PutMethod: AWS answers with the whole method (a new one has no integration)."""
        return self._with_methods(resource_id, lambda methods: {**methods, method.http_method: method})

    def without_method(self, resource_id: str, http_method: str) -> RestApiSnapshot:
        return self._with_methods(resource_id, lambda methods: {k: v for k, v in methods.items() if k != http_method})

    def with_integration(self, resource_id: str, http_method: str,
                         integration: ObservedRestIntegration | None) -> RestApiSnapshot:
        """After PutIntegration (AWS answers with the whole integration) or DeleteIntegration (None)."""
        return self._with_methods(resource_id, lambda methods: {
            name: replace(m, integration=integration) if name == http_method else m for name, m in methods.items()})

    def with_stage(self, stage: ObservedStage) -> RestApiSnapshot:
        """After UpdateStage: AWS answers with the whole stage."""
        return replace(self, stages={**self.stages, stage.name: stage})

    def with_deployment(self, stage_name: str, deployment_id: str, *, new_stage_description: str) -> RestApiSnapshot:
        """After CreateDeployment without variables: an existing stage now serves the new deployment and keeps its
        variables and description; a stage it created has no variables and `new_stage_description`."""
        stage = self.stages.get(stage_name)
        updated = (replace(stage, deployment_id=deployment_id) if stage is not None
                   else ObservedStage(stage_name, {}, deployment_id, new_stage_description))
        return self.with_stage(updated)

    def without_stage(self, stage_name: str) -> RestApiSnapshot:
        return replace(self, stages={k: v for k, v in self.stages.items() if k != stage_name})


class PrivateIntegrationStatus(CamelModel):
    observed_generation: int | None = None
    api_type: ApiType | None = None
    integration_id: str | None = None
    connection_id: str | None = None
    route_ids: dict[str, str] = Field(default_factory=dict)
    resource_id: str | None = None
    created_method: bool | None = None
    last_deployment_id: str | None = None
    deployed_stages: list[str] = Field(default_factory=list)
    conditions: list[dict[str, object]] = Field(default_factory=list)
