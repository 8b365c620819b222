"""Planner for PrivateIntegration: (spec, resolved link, observed API) -> actions, status, health.

HTTP APIs: one HTTP_PROXY integration over the VPC link plus the routes listed in spec.http.routeKeys.
REST APIs: the method (created if missing), its HTTP_PROXY integration, the stage variable that holds
the link id (StageVariable mode), and a deployment of each listed stage after a change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from vpclink_operator.models.conditions import Event, Health
from vpclink_operator.models.integration import (
    CREATED_STAGE_DESCRIPTION,
    HttpApiSnapshot,
    HttpIntegrationFields,
    HttpIntegrationSpec,
    LinkInUse,
    ObservedHttpIntegration,
    ObservedResource,
    ObservedRestIntegration,
    ObservedRoute,
    PrivateIntegrationSpec,
    PrivateIntegrationStatus,
    RestApiSnapshot,
    RestIntegrationFields,
    RestIntegrationSpec,
    owner_marker,
)


@dataclass(frozen=True)
class CreateHttpIntegration:
    fields: HttpIntegrationFields


@dataclass(frozen=True)
class UpdateHttpIntegration:
    integration_id: str
    fields: HttpIntegrationFields


@dataclass(frozen=True)
class DeleteHttpIntegration:
    integration_id: str


@dataclass(frozen=True)
class CreateRoute:
    route_key: str
    integration_id: str


@dataclass(frozen=True)
class RetargetRoute:
    route_id: str
    integration_id: str


@dataclass(frozen=True)
class DeleteRoute:
    route_id: str


@dataclass(frozen=True)
class PutMethod:
    resource_id: str
    http_method: str
    authorization_type: str
    operation_name: str


@dataclass(frozen=True)
class PutRestIntegration:
    resource_id: str
    http_method: str
    fields: RestIntegrationFields


@dataclass(frozen=True)
class DeleteRestIntegration:
    resource_id: str
    http_method: str


@dataclass(frozen=True)
class DeleteMethod:
    resource_id: str
    http_method: str


@dataclass(frozen=True)
class SetStageVariable:
    stage: str
    name: str
    value: str


@dataclass(frozen=True)
class CreateDeployment:
    stage: str
    # When the deployment creates the stage, or must switch the stage variable in the same step as the
    # integration it deploys (moving to a VPC link V2 changes both: neither may go live alone).
    variables: Mapping[str, str] | None = None
    creates_stage: bool = False  # the new stage is marked as the operator's (CREATED_STAGE_DESCRIPTION)


@dataclass(frozen=True)
class DeleteStage:
    stage: str


IntegrationAction = (CreateHttpIntegration | UpdateHttpIntegration | DeleteHttpIntegration | CreateRoute
                     | RetargetRoute | DeleteRoute | PutMethod | PutRestIntegration | DeleteRestIntegration
                     | DeleteMethod | SetStageVariable | CreateDeployment | DeleteStage)


@dataclass(frozen=True)
class IntegrationWorld:
    spec: PrivateIntegrationSpec
    owner_uid: str
    generation: int
    status: PrivateIntegrationStatus
    link: LinkInUse | None  # None only while deleting
    http: HttpApiSnapshot | None = None
    rest: RestApiSnapshot | None = None
    deleting: bool = False
    # Why the load balancer the integration reaches cannot work (pre-flight, naming the spec field), or None.
    preflight_failure: str | None = None


@dataclass(frozen=True)
class IntegrationPlan:
    actions: list[IntegrationAction]
    status: PrivateIntegrationStatus
    health: Health
    events: list[Event] = field(default_factory=list)
    requeue: bool = False
    finished: bool = False  # deletion only
    # When every action succeeds, the integration serves through this link (status.connectionId).
    connection_id_when_done: str | None = None


def plan_integration(world: IntegrationWorld) -> IntegrationPlan:
    if world.deleting and world.spec.deletion_policy == "Retain":
        return IntegrationPlan([], world.status, Health.in_progress(
            "Retained", "deletionPolicy is Retain: the integration, its method and routes stay in AWS"), finished=True)
    if world.preflight_failure is not None and not world.deleting:  # what is in place (if any) keeps serving
        return IntegrationPlan([], _status(world), Health.stuck("PreflightFailed", world.preflight_failure,
                                                                ready=world.status.connection_id is not None))
    if world.spec.http is not None:
        assert world.http is not None
        if world.deleting:
            return _delete_http(world, world.http)
        return _plan_http(world, world.spec.http, world.http)
    assert world.spec.rest is not None and world.rest is not None
    if world.deleting:
        return _delete_rest(world, world.spec.rest, world.rest)
    return _plan_rest(world, world.spec.rest, world.rest)


def _status(world: IntegrationWorld, **changes: object) -> PrivateIntegrationStatus:
    return world.status.model_copy(update={"observed_generation": world.generation,
                                           "api_type": world.spec.api_type, **changes})


def _progress(world: IntegrationWorld, actions: list[IntegrationAction], link_id: str, what: str,
              events: list[Event], **status: object) -> IntegrationPlan:
    if actions:
        return IntegrationPlan(actions, _status(world, **status),
                               Health.in_progress("Updating", f"{what}: applying {len(actions)} change(s)"),
                               events, requeue=True, connection_id_when_done=link_id)
    return IntegrationPlan([], _status(world, connection_id=link_id, **status),
                           Health.available("Ready", f"{what} serves through VPC link {link_id}"), events)


# -- HTTP APIs ---------------------------------------------------------------------------------------

def _http_fields(spec: HttpIntegrationSpec, link_id: str, owner_uid: str) -> HttpIntegrationFields:
    return HttpIntegrationFields(
        integration_uri=spec.integration_uri, integration_method=spec.integration_method,
        payload_format_version=spec.payload_format_version, connection_id=link_id,
        tls_server_name_to_verify=spec.tls_server_name_to_verify, timeout_in_millis=spec.timeout_in_millis,
        request_parameters=dict(spec.request_parameters), description=owner_marker(owner_uid),
    )


def _http_matches(observed: ObservedHttpIntegration, desired: HttpIntegrationFields) -> bool:
    return (observed.integration_uri, observed.integration_method, observed.payload_format_version,
            observed.connection_id, observed.connection_type, observed.tls_server_name_to_verify,
            observed.timeout_in_millis, observed.request_parameters) == (
        desired.integration_uri, desired.integration_method, desired.payload_format_version,
        desired.connection_id, "VPC_LINK", desired.tls_server_name_to_verify, desired.timeout_in_millis,
        dict(desired.request_parameters))


def _find_http_integration(world: IntegrationWorld, snapshot: HttpApiSnapshot) -> ObservedHttpIntegration | None:
    """By the id in status; else by the owner marker a crashed create left in the description."""
    by_id = snapshot.integrations.get(world.status.integration_id or "")
    if by_id is not None:
        return by_id
    marker = owner_marker(world.owner_uid)
    return next((i for i in sorted(snapshot.integrations.values(), key=lambda i: i.id) if i.description == marker),
                None)


def _owned_routes(world: IntegrationWorld, spec: HttpIntegrationSpec, snapshot: HttpApiSnapshot,
                  integration_id: str | None) -> list[ObservedRoute]:
    """Ours: recorded in status, or (after a crash before the status write) a spec key aimed at ours."""
    recorded = set(world.status.route_ids.values())
    target = f"integrations/{integration_id}" if integration_id else None
    return [route for route in snapshot.routes.values()
            if route.id in recorded or (route.route_key in spec.route_keys and route.target == target)]


def _plan_http(world: IntegrationWorld, spec: HttpIntegrationSpec, snapshot: HttpApiSnapshot) -> IntegrationPlan:
    assert world.link is not None
    link_id = world.link.link_id
    desired = _http_fields(spec, link_id, world.owner_uid)
    ours = _find_http_integration(world, snapshot)
    events: list[Event] = []
    if ours is None:
        if world.status.integration_id:
            events.append(Event("Warning", "DriftRecreated", f"integration {world.status.integration_id} was "
                                "deleted outside the operator; creating it again"))
        # Route ids stay recorded: our routes are pointed back at the new integration on the next pass.
        return IntegrationPlan([CreateHttpIntegration(desired)], _status(world, integration_id=None),
                               Health.in_progress("Creating", f"creating the integration in API {spec.api_id}"),
                               events, requeue=True, connection_id_when_done=link_id)
    actions: list[IntegrationAction] = []
    if not _http_matches(ours, desired):
        actions.append(UpdateHttpIntegration(ours.id, desired))
        if world.generation == world.status.observed_generation and ours.connection_id == desired.connection_id:
            events.append(Event("Warning", "DriftReverted", f"integration {ours.id} was changed outside the operator; "
                                "setting it back"))
    # Leftovers of a crash between two creates: other integrations carrying our marker, unused by any route.
    targeted = {route.target for route in snapshot.routes.values()}
    marker = owner_marker(world.owner_uid)
    actions += [DeleteHttpIntegration(i.id) for i in snapshot.integrations.values()
                if i.id != ours.id and i.description == marker and f"integrations/{i.id}" not in targeted]
    target = f"integrations/{ours.id}"
    owned = {route.id: route for route in _owned_routes(world, spec, snapshot, ours.id)}
    route_ids: dict[str, str] = {}
    conflicts: list[str] = []
    for key in spec.route_keys:
        route = snapshot.routes.get(key)
        if route is None:
            actions.append(CreateRoute(key, ours.id))
        elif route.id not in owned and world.spec.adopt:  # taken over on request; ours from now on
            route_ids[key] = route.id
            if route.target != target:
                actions.append(RetargetRoute(route.id, ours.id))
        elif route.id not in owned:
            conflicts.append(f"'{key}' (route {route.id} targets {route.target or 'nothing'})")
        else:
            route_ids[key] = route.id
            if route.target != target:  # ours, retargeted out of band (or at a deleted integration)
                actions.append(RetargetRoute(route.id, ours.id))
    for route in owned.values():
        if route.route_key not in spec.route_keys:
            actions.append(DeleteRoute(route.id))
            route_ids[route.route_key] = route.id  # until the delete succeeds
    plan = _progress(world, actions, link_id, f"integration {ours.id}", events, integration_id=ours.id,
                     route_ids=route_ids)
    if not conflicts:
        return plan
    return replace(plan, requeue=False, health=Health.stuck(
        "RouteConflict", f"spec.http.routeKeys: {', '.join(conflicts)} already exist and are not owned by this "
                         "PrivateIntegration; the operator never takes over a route it did not create unless "
                         "spec.adopt is true"))


def _delete_http(world: IntegrationWorld, snapshot: HttpApiSnapshot) -> IntegrationPlan:
    assert world.spec.http is not None
    ours = _find_http_integration(world, snapshot)
    actions: list[IntegrationAction] = [
        DeleteRoute(route.id) for route in _owned_routes(world, world.spec.http, snapshot, ours.id if ours else None)]
    if ours is not None:
        actions.append(DeleteHttpIntegration(ours.id))  # routes first: AWS refuses while routes target it
    if not actions:
        return IntegrationPlan([], world.status, Health.in_progress("Deleted", "integration and routes deleted"),
                               finished=True)
    return IntegrationPlan(actions, world.status, Health.in_progress("Deleting", "deleting routes and integration"),
                           requeue=True)


# -- REST APIs ---------------------------------------------------------------------------------------

def _rest_matches(observed: ObservedRestIntegration, desired: RestIntegrationFields) -> bool:
    return (observed.type, observed.integration_http_method, observed.uri, observed.connection_type,
            observed.connection_id, observed.timeout_in_millis, observed.integration_target,
            observed.response_transfer_mode or "BUFFERED") == (
        "HTTP_PROXY", desired.integration_http_method, desired.uri, "VPC_LINK", desired.connection_id,
        desired.timeout_in_millis, desired.integration_target, desired.response_transfer_mode or "BUFFERED")


def _plan_rest(world: IntegrationWorld, spec: RestIntegrationSpec, snapshot: RestApiSnapshot) -> IntegrationPlan:
    assert world.link is not None
    link_id = world.link.link_id
    resource = snapshot.resources.get(spec.resource_path)
    if resource is None:
        return IntegrationPlan([], _status(world), Health.stuck(
            "ResourceNotFound", f"spec.rest.resourcePath: {spec.resource_path} does not exist in REST API "
                                f"{spec.rest_api_id}; create the resource first"))
    marker = owner_marker(world.owner_uid)
    method = resource.methods.get(spec.http_method)
    actions: list[IntegrationAction] = []
    created_method = bool(world.status.created_method) or (method is not None and method.operation_name == marker)
    if method is None:
        actions.append(PutMethod(resource.id, spec.http_method, spec.authorization_type, marker))
        created_method = True
    desired = RestIntegrationFields(spec.integration_http_method, spec.uri, spec.connection_id(link_id),
                                    spec.timeout_in_millis, spec.integration_target, spec.response_transfer_mode)
    observed = method.integration if method is not None else None
    # Even an integration that already looks like the desired one is not ours unless status or our method
    # says so: REST integrations carry no owner marker, and what is ours is deleted with this object.
    if observed is not None and not _owns_rest_integration(world, resource, created_method) \
            and not world.spec.adopt:
        return IntegrationPlan([], _status(world), Health.stuck(
            "IntegrationNotOwned",
            f"spec.rest.httpMethod: {spec.http_method} {spec.resource_path} of REST API {spec.rest_api_id} already "
            f"has an integration ({observed.type} {observed.uri or observed.connection_id}) that this "
            "PrivateIntegration did not create; the operator never overwrites it. Set spec.adopt: true to take "
            "it over, or integrate another method."))
    changed = observed is None or not _rest_matches(observed, desired)
    if changed:
        actions.append(PutRestIntegration(resource.id, spec.http_method, desired))
    integration_changed = changed
    switched_by_deployment: set[str] = set()
    missing_stages = [stage for stage in spec.stages if stage not in snapshot.stages]
    if spec.connection_id_from == "StageVariable":
        assert spec.stage_variable is not None
        for stage in spec.stages:
            current = snapshot.stages.get(stage)
            if current is not None and current.variables.get(spec.stage_variable) != link_id:
                if integration_changed and spec.deploy_on_change:
                    switched_by_deployment.add(stage)  # variable and integration go live together
                else:
                    actions.append(SetStageVariable(stage, spec.stage_variable, link_id))
                changed = True
        if missing_stages and not spec.deploy_on_change:
            return IntegrationPlan([], _status(world), Health.stuck(
                "StageNotFound", f"spec.rest.stages: stage(s) {', '.join(missing_stages)} do not exist in REST API "
                                 f"{spec.rest_api_id}; create them or set deployOnChange to let the operator deploy"))
    # A REST change is live only once deployed: redeploy every listed stage after any change.
    deployed = [] if changed else [s for s in world.status.deployed_stages
                                   if s in spec.stages and s not in missing_stages]
    if spec.deploy_on_change:
        for stage in spec.stages:
            if stage not in deployed:
                variables = ({spec.stage_variable: link_id} if spec.stage_variable
                             and (stage in missing_stages or stage in switched_by_deployment) else None)
                actions.append(CreateDeployment(stage, variables, creates_stage=stage in missing_stages))
    return _progress(world, actions, link_id, f"{spec.http_method} {spec.resource_path}", [],
                     integration_id=f"{resource.id}/{spec.http_method}", resource_id=resource.id,
                     created_method=created_method, deployed_stages=deployed)


def _owns_rest_integration(world: IntegrationWorld, resource: ObservedResource, created_method: bool) -> bool:
    """Ours: on a method we created, or put (or adopted) by us before, as status records."""
    assert world.spec.rest is not None
    return created_method or world.status.integration_id == f"{resource.id}/{world.spec.rest.http_method}"


def _delete_rest(world: IntegrationWorld, spec: RestIntegrationSpec, snapshot: RestApiSnapshot) -> IntegrationPlan:
    resource = snapshot.resources.get(spec.resource_path)
    method = resource.methods.get(spec.http_method) if resource is not None else None
    actions: list[IntegrationAction] = []
    if resource is not None and method is not None:
        created = bool(world.status.created_method) or method.operation_name == owner_marker(world.owner_uid)
        if method.integration is not None and _owns_rest_integration(world, resource, created):
            actions.append(DeleteRestIntegration(resource.id, spec.http_method))
        if created:
            actions.append(DeleteMethod(resource.id, spec.http_method))
    if world.status.integration_id and spec.deploy_on_change:
        actions += _release_stages(world, spec, snapshot, removed=actions)
    if not actions:
        return IntegrationPlan([], world.status, Health.in_progress("Deleted", "integration deleted"), finished=True)
    return IntegrationPlan(actions, world.status, Health.in_progress("Deleting", "deleting the integration"),
                           requeue=True)


def _release_stages(world: IntegrationWorld, spec: RestIntegrationSpec, snapshot: RestApiSnapshot,
                    removed: list[IntegrationAction]) -> list[IntegrationAction]:
    """After our integration is gone, the stages we deploy must stop serving it: a deployed snapshot keeps
    referencing the VPC link, and AWS refuses to delete the link until then. Redeploy them; when the API has
    no method left to deploy, delete a stage only if the operator created it (else the VpcLink reports it)."""
    stale = [stage for stage in spec.stages if stage in snapshot.stages
             and (removed or stage not in world.status.deployed_stages)]
    gone = {(type(action), action.resource_id, action.http_method) for action in removed
            if isinstance(action, DeleteRestIntegration | DeleteMethod)}
    integrated_after = [method.integration is not None and (DeleteRestIntegration, resource.id, name) not in gone
                        for resource in snapshot.resources.values() for name, method in resource.methods.items()
                        if (DeleteMethod, resource.id, name) not in gone]
    if integrated_after and all(integrated_after):
        return [CreateDeployment(stage) for stage in stale]
    if integrated_after:  # a method without an integration: AWS refuses every deployment until it has one
        return []
    return [DeleteStage(stage) for stage in stale if snapshot.stages[stage].description == CREATED_STAGE_DESCRIPTION]
