"""One level-based reconcile for PrivateIntegration: resolve link -> observe API -> plan -> apply -> status."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from vpclink_operator import preflight
from vpclink_operator.aws.errors import AwsError, AwsInUse, AwsNotFound, AwsRetryable, AwsTerminal, RateLimited
from vpclink_operator.models.base import describe_validation_error
from vpclink_operator.models.conditions import Event, Health
from vpclink_operator.models.integration import (
    CREATED_STAGE_DESCRIPTION,
    HttpApiSnapshot,
    LinkInUse,
    PrivateIntegrationSpec,
    PrivateIntegrationStatus,
    RestApiSnapshot,
)
from vpclink_operator.models.vpclink import ApiType, Owner
from vpclink_operator.plan.integration import (
    CreateDeployment,
    CreateHttpIntegration,
    CreateRoute,
    DeleteHttpIntegration,
    DeleteMethod,
    DeleteRestIntegration,
    DeleteRoute,
    DeleteStage,
    IntegrationAction,
    IntegrationPlan,
    IntegrationWorld,
    PutMethod,
    PutRestIntegration,
    RetargetRoute,
    SetStageVariable,
    UpdateHttpIntegration,
    plan_integration,
)
from vpclink_operator.reconcile.errors import aws_failure
from vpclink_operator.reconcile.outcome import Outcome
from vpclink_operator.reconcile.services import Services

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ManagedLink:
    """What the VpcLink index says of a VpcLink object (no API call)."""

    namespace: str
    name: str
    api_type: ApiType
    region: str
    vpc_link_id: str | None
    vpc_link_status: str | None
    allowed_namespaces: tuple[str, ...]
    uid: str = ""


@dataclass(frozen=True)
class IntegrationObject:
    owner: Owner
    generation: int
    spec: Mapping[str, Any]
    status: PrivateIntegrationStatus
    managed_link: ManagedLink | None  # the VpcLink named by spec.vpcLinkRef, if it exists
    deleting: bool = False
    # Older PrivateIntegrations (namespace/name) that claim the same method or route, from the index.
    claimed_by: tuple[str, ...] = ()


IntegrationOutcome = Outcome[PrivateIntegrationStatus]


async def reconcile_integration(services: Services, obj: IntegrationObject, max_age: float) -> IntegrationOutcome:
    status = obj.status.model_copy(update={"observed_generation": obj.generation})
    try:
        spec = PrivateIntegrationSpec.model_validate(obj.spec)
    except ValidationError as exc:
        message = describe_validation_error("spec", exc)
        return IntegrationOutcome(status, Health.stuck("InvalidSpec", message),
                                  [Event("Warning", "InvalidSpec", message)])
    status = status.model_copy(update={"api_type": spec.api_type})
    if obj.claimed_by and not obj.deleting:
        field_name = "spec.rest.httpMethod" if spec.rest else "spec.http.routeKeys"
        return IntegrationOutcome(status, Health.stuck("AlreadyIntegrated", (
            f"{field_name}: the same {'method' if spec.rest else 'route'} is already managed by PrivateIntegration "
            f"{', '.join(obj.claimed_by)}; two PrivateIntegrations never share one. Delete one of them, or point "
            "this one at another method or route.")))
    try:
        link = await _resolve_link(services, spec, obj, max_age)
        if not isinstance(link, LinkInUse):
            if obj.deleting:  # nothing to resolve against: delete in the operator's default region
                link = LinkInUse("", obj.managed_link.region if obj.managed_link else services.settings.default_region)
            else:
                return IntegrationOutcome(status, link, requeue=link.reconciling.status)
        world = await _observe(services, spec, obj, link, max_age)
    except AwsNotFound as exc:
        if obj.deleting:
            return IntegrationOutcome(status, Health.in_progress("Deleted", "the API no longer exists"), finished=True)
        api = "spec.http.apiId" if spec.http else "spec.rest.restApiId"
        return IntegrationOutcome(status, Health.stuck("ApiNotFound", f"{api}: {exc.message}"))
    except (AwsError, RateLimited) as exc:
        return _aws_failure(status, exc)
    plan = plan_integration(world)
    return await _apply(services, spec, link.region, plan, deleting=obj.deleting)


async def _resolve_link(services: Services, spec: PrivateIntegrationSpec, obj: IntegrationObject,
                        max_age: float) -> LinkInUse | Health:
    if spec.vpc_link_ref is not None:
        namespace = spec.vpc_link_ref.namespace or obj.owner.namespace
        ref = f"VpcLink {namespace}/{spec.vpc_link_ref.name}"
        managed = obj.managed_link
        if managed is None:
            return Health.in_progress("WaitingForVpcLink", f"{ref} does not exist yet")
        if namespace != obj.owner.namespace and obj.owner.namespace not in managed.allowed_namespaces:
            return Health.stuck("NamespaceNotAllowed", f"spec.vpcLinkRef: {ref} does not list namespace "
                                f"{obj.owner.namespace} in spec.allowedNamespaces")
        problem = _link_type_problem(spec, managed.api_type, ref, "spec.vpcLinkRef")
        if problem is not None:
            return problem
        if not managed.vpc_link_id or managed.vpc_link_status != "AVAILABLE":
            return Health.in_progress("WaitingForVpcLink", f"{ref} is not AVAILABLE yet "
                                      f"({managed.vpc_link_status or 'no link yet'})")
        return LinkInUse(managed.vpc_link_id, managed.region)
    assert spec.vpc_link_id is not None
    region = services.settings.default_region
    link_type = _link_type_for(spec)
    observed = (await services.inventory.links(region, link_type, max_age)).get(spec.vpc_link_id)
    if observed is None and spec.rest is not None:  # a REST API can use either kind: say which one it is
        other: ApiType = "REST" if link_type == "HTTP" else "HTTP"
        if spec.vpc_link_id in await services.inventory.links(region, other, max_age):
            problem = _link_type_problem(spec, other, f"VPC link {spec.vpc_link_id}", "spec.vpcLinkId")
            if problem is not None:
                return problem
    if observed is None:
        return Health.stuck("VpcLinkNotFound", f"spec.vpcLinkId: {spec.api_type} VPC link {spec.vpc_link_id} does "
                            f"not exist in {region}")
    if observed.status != "AVAILABLE":
        return Health.in_progress("WaitingForVpcLink", f"VPC link {spec.vpc_link_id} is {observed.status}")
    return LinkInUse(observed.id, region)


def _link_type_for(spec: PrivateIntegrationSpec) -> ApiType:
    """The kind of link the spec asks for: a REST integration with integrationTarget goes through a V2 (HTTP) link."""
    return "HTTP" if spec.rest is not None and spec.rest.integration_target else spec.api_type


def _link_type_problem(spec: PrivateIntegrationSpec, link_type: ApiType, what: str, field: str) -> Health | None:
    """Why an integration cannot use a link of `link_type`; the CRD cannot say it, as it sees one object only."""
    if spec.rest is not None and link_type == "HTTP" and not spec.rest.integration_target:
        return Health.stuck("IntegrationTargetRequired", f"spec.rest.integrationTarget: {what} is an HTTP-type link "
                            "(AWS's VPC link V2); a REST integration through it needs integrationTarget, the ARN of "
                            "the ALB or NLB to reach")
    if spec.rest is not None and link_type == "REST" and spec.rest.integration_target:
        return Health.stuck("IntegrationTargetNotAllowed", f"spec.rest.integrationTarget: {what} is a REST-type link "
                            "(VPC link V1, which reaches its one NLB); remove integrationTarget, or use an HTTP-type "
                            "(V2) VpcLink")
    if spec.http is not None and link_type != "HTTP":
        return Health.stuck("ApiTypeMismatch", f"{field}: {what} is a {link_type} link but this integration is for "
                            "an HTTP API (spec.http)")
    return None


def _preflight_due(obj: IntegrationObject, link: LinkInUse) -> bool:
    """Check the target again unless the last pass found this generation Ready on this same link."""
    ready = next((c for c in obj.status.conditions if c.get("type") == "Ready"), {})
    return not (ready.get("status") == "True" and obj.status.observed_generation == obj.generation
                and obj.status.connection_id == link.link_id)


async def _preflight_failure(services: Services, spec: PrivateIntegrationSpec, obj: IntegrationObject,
                             link: LinkInUse, max_age: float) -> str | None:
    """What pre-flight finds wrong with the load balancer the integration reaches: an observation for the planner."""
    if not link.link_id or obj.deleting or not _preflight_due(obj, link):
        return None
    if spec.http is not None:
        uri = spec.http.integration_uri
        return await services.preflight.verdict(("http_integration", link.region, uri),
                                                lambda: preflight.check_http_integration(uri, link.region,
                                                                                         services.elbv2))
    if spec.rest is None or not spec.rest.integration_target:
        return None
    target, uri = spec.rest.integration_target, spec.rest.uri
    observed = (await services.inventory.links(link.region, "HTTP", max_age)).get(link.link_id)
    if observed is None:
        return None  # resolution found it a moment ago; the next pass sees it again
    return await services.preflight.verdict(
        ("rest_v2_target", link.region, target, uri, observed.id, observed.shape),
        lambda: preflight.check_rest_v2_target(target, uri, observed, link.region, services.elbv2, services.ec2))


async def _observe(services: Services, spec: PrivateIntegrationSpec, obj: IntegrationObject, link: LinkInUse,
                   max_age: float) -> IntegrationWorld:
    http: HttpApiSnapshot | None = None
    rest: RestApiSnapshot | None = None
    if spec.http is not None:
        http = await services.http_apis.get((link.region, spec.http.api_id), max_age)
    else:
        assert spec.rest is not None
        rest = await services.rest_apis.get((link.region, spec.rest.rest_api_id), max_age)
    return IntegrationWorld(spec=spec, owner_uid=obj.owner.uid, generation=obj.generation, status=obj.status,
                            link=link if link.link_id else None, http=http, rest=rest, deleting=obj.deleting,
                            preflight_failure=await _preflight_failure(services, spec, obj, link, max_age))


async def _apply(services: Services, spec: PrivateIntegrationSpec, region: str,
                 plan: IntegrationPlan, *, deleting: bool) -> IntegrationOutcome:
    status, events = plan.status, list(plan.events)
    waiting: list[str] = []
    try:
        for action in plan.actions:
            try:
                status = await _apply_one(services, spec, region, action, status)
            except AwsInUse as exc:  # e.g. routes we do not own still target the integration
                waiting.append(f"{exc.code}: {exc.message}")
            except AwsTerminal as exc:
                if not (deleting and isinstance(action, CreateDeployment)):
                    raise
                # Another integration's teardown emptied the API meanwhile: the next pass plans from a new look.
                waiting.append(f"{exc.code}: {exc.message}")
    except (AwsError, RateLimited) as exc:
        return _aws_failure(status, exc, events)
    if waiting:
        return IntegrationOutcome(status, Health.in_progress("WaitingForReferences", "; ".join(waiting)), events,
                                  requeue=True)
    if plan.actions and plan.connection_id_when_done:
        status = status.model_copy(update={"connection_id": plan.connection_id_when_done})
    return IntegrationOutcome(status, plan.health, events, requeue=plan.requeue, finished=plan.finished)


async def _apply_one(services: Services, spec: PrivateIntegrationSpec, region: str, action: IntegrationAction,
                     status: PrivateIntegrationStatus) -> PrivateIntegrationStatus:
    """Apply one action; its answer is written through to the API's snapshot, and ids reach the returned status
    as soon as AWS returns them."""
    logger.debug("applying %s", action, extra={"operation": type(action).__name__})
    try:
        if spec.http is not None:
            return await _apply_http(services, (region, spec.http.api_id), action, status)
        assert spec.rest is not None
        return await _apply_rest(services, (region, spec.rest.rest_api_id), action, status)
    except AwsError as exc:
        # A throttled write did nothing. Any other failure may mean the snapshot is wrong (NotFound, a conflict)
        # or that the write took effect after all (a timeout, a 5xx; a create's marker then finds it): only a
        # list can tell, so this API is listed again at the next look.
        if not (isinstance(exc, AwsRetryable) and exc.throttled):
            (services.http_apis if spec.http else services.rest_apis).invalidate(
                (region, spec.http.api_id if spec.http else spec.rest.rest_api_id if spec.rest else ""))
        raise


async def _apply_http(services: Services, key: tuple[str, str], action: IntegrationAction,
                      status: PrivateIntegrationStatus) -> PrivateIntegrationStatus:
    http, (region, api_id), snapshots = services.http_integrations, key, services.http_apis
    if isinstance(action, CreateHttpIntegration | UpdateHttpIntegration):
        integration = await (http.create_integration(region, api_id, action.fields)
                             if isinstance(action, CreateHttpIntegration)
                             else http.update_integration(region, api_id, action.integration_id, action.fields))
        snapshots.update(key, lambda api: api.with_integration(integration))
        return status.model_copy(update={"integration_id": integration.id})
    if isinstance(action, DeleteHttpIntegration):
        await http.delete_integration(region, api_id, action.integration_id)
        snapshots.update(key, lambda api: api.without_integration(action.integration_id))
    elif isinstance(action, CreateRoute | RetargetRoute):
        route = await (http.create_route(region, api_id, action.route_key, action.integration_id)
                       if isinstance(action, CreateRoute)
                       else http.retarget_route(region, api_id, action.route_id, action.integration_id))
        snapshots.update(key, lambda api: api.with_route(route))
        return status.model_copy(update={"route_ids": {**status.route_ids, route.route_key: route.id}})
    elif isinstance(action, DeleteRoute):
        await http.delete_route(region, api_id, action.route_id)
        snapshots.update(key, lambda api: api.without_route(action.route_id))
        return status.model_copy(update={"route_ids": {k: v for k, v in status.route_ids.items()
                                                       if v != action.route_id}})
    return status


async def _apply_rest(services: Services, key: tuple[str, str], action: IntegrationAction,
                      status: PrivateIntegrationStatus) -> PrivateIntegrationStatus:
    rest, (region, rest_api_id), snapshots = services.rest_integrations, key, services.rest_apis
    if isinstance(action, PutMethod):
        method = await rest.put_method(region, rest_api_id, action.resource_id, action.http_method,
                                       action.authorization_type, action.operation_name)
        snapshots.update(key, lambda api: api.with_method(action.resource_id, method))
    elif isinstance(action, PutRestIntegration):
        integration = await rest.put_integration(region, rest_api_id, action.resource_id, action.http_method,
                                                 action.fields)
        snapshots.update(key, lambda api: api.with_integration(action.resource_id, action.http_method, integration))
    elif isinstance(action, DeleteRestIntegration):
        await rest.delete_integration(region, rest_api_id, action.resource_id, action.http_method)
        snapshots.update(key, lambda api: api.with_integration(action.resource_id, action.http_method, None))
        return status.model_copy(update={"deployed_stages": []})  # the stages still serve it until redeployed
    elif isinstance(action, DeleteMethod):
        await rest.delete_method(region, rest_api_id, action.resource_id, action.http_method)
        snapshots.update(key, lambda api: api.without_method(action.resource_id, action.http_method))
    elif isinstance(action, SetStageVariable):
        stage = await rest.set_stage_variable(region, rest_api_id, action.stage, action.name, action.value)
        snapshots.update(key, lambda api: api.with_stage(stage))
    elif isinstance(action, CreateDeployment):
        deployment_id = await _deploy(services, key, action)
        return status.model_copy(update={"last_deployment_id": deployment_id,
                                         "deployed_stages": [*status.deployed_stages, action.stage]})
    elif isinstance(action, DeleteStage):
        await rest.delete_stage(region, rest_api_id, action.stage)
        snapshots.update(key, lambda api: api.without_stage(action.stage))
    return status


async def _deploy(services: Services, key: tuple[str, str], action: CreateDeployment) -> str:
    """Coalesced per (API, stage): one deployment started after this request covers it. Variables are part of the
    key, so a deployment that must switch a variable is never covered by one that does not. Whether the plan saw
    the stage missing is not: CreateDeployment ignores stageDescription for a stage that exists (contract-tested),
    so requests planned before and after the stage appeared share one call."""
    (region, rest_api_id), variables = key, dict(action.variables or {})

    async def deploy() -> str:
        deployment_id = await services.rest_integrations.create_deployment(
            region, rest_api_id, action.stage, variables, new_stage=action.creates_stage)
        if variables:
            # CreateDeployment answers with the deployment, not the stage, and AWS does not document whether
            # variables given for an existing stage are merged into its variables or replace them: list again.
            services.rest_apis.invalidate(key)
        else:
            description = CREATED_STAGE_DESCRIPTION if action.creates_stage else ""
            services.rest_apis.update(key, lambda api: api.with_deployment(
                action.stage, deployment_id, new_stage_description=description))
        return deployment_id

    return await services.deployments.run((region, rest_api_id, action.stage, tuple(sorted(variables.items()))),
                                          deploy)


def _aws_failure(status: PrivateIntegrationStatus, exc: AwsError | RateLimited,
                 events: list[Event] | None = None) -> IntegrationOutcome:
    failure = aws_failure(exc, ready=False)
    return IntegrationOutcome(status, failure.health, [*(events or []), *failure.events],
                              requeue=failure.requeue, next_check=failure.next_check)
