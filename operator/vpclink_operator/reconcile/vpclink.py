"""One level-based reconcile for VpcLink: observe -> plan -> apply -> status.

It serves create, resume, update, the resync timer and deletion alike. It knows nothing of kopf:
it takes plain data and returns a `VpcLinkOutcome` that the handler writes and posts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from vpclink_operator import preflight
from vpclink_operator.aws.errors import AwsError, AwsInUse, RateLimited
from vpclink_operator.aws.regions import known_regions
from vpclink_operator.models.base import describe_validation_error
from vpclink_operator.models.conditions import Condition, Health
from vpclink_operator.models.vpclink import (
    HTTP_LINK_NAME_MAX,
    DesiredLink,
    ObservedLink,
    Owner,
    Replacement,
    UsedBy,
    VpcLinkSpec,
    VpcLinkStatus,
)
from vpclink_operator.plan import (
    CreateLink,
    DeleteLink,
    Event,
    TagLink,
    UntagLink,
    UpdateLink,
    VpcLinkPlan,
    VpcLinkWorld,
    plan_vpc_link,
    provisioning,
)
from vpclink_operator.reconcile.errors import aws_failure
from vpclink_operator.reconcile.outcome import Outcome
from vpclink_operator.reconcile.services import Services

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VpcLinkObject:
    """The parts of a VpcLink custom resource that reconcile reads."""

    owner: Owner
    generation: int
    spec: Mapping[str, Any]
    status: VpcLinkStatus
    deleting: bool = False
    dependants: Sequence[str] = ()
    still_used: Mapping[str, Sequence[str]] = field(default_factory=dict)
    used_by: Sequence[UsedBy] = ()  # from the PrivateIntegration index, written to status.usedBy
    live_owner_uids: frozenset[str] = frozenset()  # UIDs of every VpcLink object (from the index)


VpcLinkOutcome = Outcome[VpcLinkStatus]


async def reconcile_vpc_link(services: Services, obj: VpcLinkObject, max_age: float) -> VpcLinkOutcome:
    outcome = await _reconcile(services, obj, max_age)
    # Who uses this link comes from the index; it rides along with whatever else this pass wrote.
    outcome.status = outcome.status.model_copy(update={"used_by": list(obj.used_by),
                                                       "used_by_count": len(obj.used_by)})
    return outcome


async def _reconcile(services: Services, obj: VpcLinkObject, max_age: float) -> VpcLinkOutcome:
    try:
        spec = VpcLinkSpec.model_validate(obj.spec)
    except ValidationError as exc:
        return _invalid(obj, describe_validation_error("spec", exc))
    desired = DesiredLink.from_spec(spec, obj.owner, services.settings.default_region)
    problem = _unusable(desired, spec)
    if problem is not None and not obj.deleting:
        return _invalid(obj, problem)
    try:
        # A Region botocore does not know holds nothing of ours, and has no endpoint to ask.
        observed = (await services.inventory.links(desired.region, desired.api_type, max_age)
                    if desired.region in known_regions() else {})
    except (AwsError, RateLimited) as exc:
        return _aws_failure(obj.status, exc)
    world = VpcLinkWorld(
        desired=desired, owner_uid=obj.owner.uid, generation=obj.generation, status=obj.status,
        observed=observed, deleting=obj.deleting, dependants=obj.dependants, still_used=obj.still_used,
        live_owner_uids=obj.live_owner_uids,
    )
    plan = plan_vpc_link(world)
    if plan.creates:  # pre-flight is observed only when a link is to be created, and the planner decides
        try:
            plan = plan_vpc_link(replace(world, preflight=await _preflight(services, desired)))
        except (AwsError, RateLimited) as exc:
            return _aws_failure(obj.status, exc)
    return await _apply(services, desired, plan)


def _invalid(obj: VpcLinkObject, message: str) -> VpcLinkOutcome:
    return VpcLinkOutcome(obj.status.model_copy(update={"observed_generation": obj.generation}),
                          Health.stuck("InvalidSpec", message), [Event("Warning", "InvalidSpec", message)])


def _unusable(desired: DesiredLink, spec: VpcLinkSpec) -> str | None:
    """What the schema cannot see: the Regions botocore knows, and the default name's length."""
    if desired.region not in known_regions():
        return (f"spec.region: {desired.region} is not an AWS Region that API Gateway is known to serve "
                "(botocore's endpoint data); check the spelling, for example us-east-2")
    if desired.api_type == "HTTP" and desired.name and len(desired.name) > HTTP_LINK_NAME_MAX:
        which = "spec.name" if spec.name else f'spec.name: the default name "{desired.name}"'
        return (f"{which} is {len(desired.name)} characters; HTTP VPC link names are at most "
                f"{HTTP_LINK_NAME_MAX}. Set a shorter spec.name")
    return None


async def _apply(services: Services, desired: DesiredLink, plan: VpcLinkPlan) -> VpcLinkOutcome:
    adapter = services.links[desired.api_type]
    region, api_type = desired.region, desired.api_type
    status, health, events = plan.status, plan.health, list(plan.events)
    waiting_on_aws: list[str] = []
    touched: dict[str, None] = {}  # links written to in this pass, re-read once at the end
    for action in plan.actions:
        try:
            if isinstance(action, CreateLink):
                created = await adapter.create_link(desired)
                services.inventory.remember(region, api_type, created.id, created)
                logger.debug("created VPC link %s (%s)", created.id, action.reason,
                             extra={"operation": "CreateVpcLink", "vpc_link_id": created.id})
                status = _record_created(status, created, action)
                if action.purpose == "primary" and created.status == "PENDING":  # what the next pass would say
                    health = provisioning(api_type, created.id)
                events.append(Event("Normal", "Created", f"created link {created.id} ({action.reason})"))
            elif isinstance(action, UpdateLink):
                await adapter.update_link(region, action.link_id, action.name, action.description)
                touched[action.link_id] = None
            elif isinstance(action, TagLink):
                await adapter.tag_link(region, action.link_id, action.tags)
                touched[action.link_id] = None
            elif isinstance(action, UntagLink):
                await adapter.untag_link(region, action.link_id, action.keys)
                touched[action.link_id] = None
            elif isinstance(action, DeleteLink):
                await adapter.delete_link(region, action.link_id)
                touched[action.link_id] = None
                events.append(Event("Normal", "Deleted", f"deleting link {action.link_id}"))
        except AwsInUse as exc:
            # Every dependant the operator knows has let go of this link (deletion and retirement wait
            # for that), so what AWS still sees is held outside the operator.
            waiting_on_aws.append(describe_references(exc.message))
        except (AwsError, RateLimited) as exc:
            # What was written is seen by the next pass: it re-lists, being in motion.
            outcome = _aws_failure(status, exc, health)
            outcome.events[:0] = events
            return outcome
    try:
        for link_id in touched:  # a direct GET only right after a write, once per link
            await services.inventory.refresh(region, api_type, link_id)
    except (AwsError, RateLimited) as exc:
        return _aws_failure(status, exc, health)
    if waiting_on_aws:
        message = (f"{'; '.join(waiting_on_aws)}. {RELEASE_HINT}")
        return VpcLinkOutcome(status, Health.stuck("ReferencedOutsideOperator", message, ready=health.ready.status),
                              [*events, Event("Warning", "ReferencedOutsideOperator", message)])
    if plan.unverified:  # what pre-flight could not check, said in the creating pass
        health = _with_note(health, plan.unverified)
    return VpcLinkOutcome(status, health, events, requeue=plan.requeue, finished=plan.finished)


RELEASE_HINT = (
    "To release it, redeploy each named stage without that integration (or delete the stage), or delete "
    "the integrations the operator does not manage; stages listed in a PrivateIntegration's spec.rest.stages "
    "are redeployed by the operator. It checks again at every resync and finishes by itself once AWS "
    "lets the link go.")
# AWS: "... Vpc link 'x', is referenced in [api:GET:/:test, ...] in format of [RESTApiId:Method:Resource:Stage]."
# (REST links), or "... in format of [Method:Resource]." (HTTP links: the routes of an integration).
_REFERENCES = re.compile(r"'(?P<link>[^']+)',? is referenced in \[(?P<refs>[^\]]*)\]")


def describe_references(aws_message: str) -> str:
    """AWS's "is referenced in" text, with each REST API, method, resource and stage named."""
    found = _REFERENCES.search(aws_message)
    if found is None:
        return f"AWS refuses to delete the link: {aws_message}"
    named = []
    for ref in (r.strip() for r in found["refs"].split(",") if r.strip()):
        parts = ref.split(":")
        if len(parts) == 4:
            api, method, resource, stage = parts
            named.append(f"REST API {api} resource {resource} method {method} deployed in stage {stage}")
        elif len(parts) == 2:
            method, resource = parts
            named.append(f"an HTTP API integration used by {method} {resource}")
        else:
            named.append(ref)
    return f"link {found['link']} is still referenced outside the operator by {'; '.join(named)}"


def _record_created(status: VpcLinkStatus, created: ObservedLink, action: CreateLink) -> VpcLinkStatus:
    """Ids reach status as soon as AWS returns them."""
    if action.purpose == "primary":
        return status.model_copy(update={"vpc_link_id": created.id, "vpc_link_status": created.status,
                                         "status_message": created.status_message or None})
    return status.model_copy(update={"replacement": Replacement(
        vpc_link_id=created.id, vpc_link_status=created.status, reason=action.reason)})


def _with_note(health: Health, note: str) -> Health:
    """What pre-flight could not check, added to Ready (and Reconciling while it is True) in the creating pass."""
    def noted(cond: Condition) -> Condition:
        return replace(cond, message=f"{cond.message}; {note}" if cond.message else note)
    reconciling = noted(health.reconciling) if health.reconciling.status else health.reconciling
    return replace(health, ready=noted(health.ready), reconciling=reconciling)


async def _preflight(services: Services, desired: DesiredLink) -> preflight.Verdict:
    """Keyed by what each check reads, so waiting in line for CreateVpcLink or retrying does not check again."""
    shape = desired.shape
    if desired.api_type == "HTTP":
        return await services.preflight.verdict(
            ("http_link", desired.region, shape.subnet_ids, shape.security_group_ids),
            lambda: preflight.check_http_link(desired, services.ec2))
    return await services.preflight.verdict(("rest_link", desired.region, shape.target_arns),
                                            lambda: preflight.check_rest_link(desired, services.elbv2))


def _aws_failure(status: VpcLinkStatus, exc: AwsError | RateLimited, health: Health | None = None) -> VpcLinkOutcome:
    ready = health.ready.status if health else status.vpc_link_status == "AVAILABLE"
    failure = aws_failure(exc, ready=ready)
    return VpcLinkOutcome(status, failure.health, failure.events, requeue=failure.requeue,
                          next_check=failure.next_check)
