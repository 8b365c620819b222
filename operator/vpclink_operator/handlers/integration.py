"""PrivateIntegration handlers: parse, resolve the VpcLink from the index, reconcile, write status."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import kopf

from vpclink_operator.handlers.memo import LinkKey, ObjectMemory, OperatorMemo
from vpclink_operator.handlers.passes import finish_deletion, run_pass
from vpclink_operator.models.conditions import Event
from vpclink_operator.models.integration import PrivateIntegrationStatus
from vpclink_operator.models.vpclink import Owner
from vpclink_operator.plan.transitions import integration_events
from vpclink_operator.reconcile.integration import (
    IntegrationObject,
    IntegrationOutcome,
    ManagedLink,
    reconcile_integration,
)


def vpclinks_by_name(*, namespace: str | None, name: str, uid: str | None, spec: kopf.Spec, status: kopf.Status,
                     memo: OperatorMemo, **_: Any) -> dict[LinkKey, ManagedLink]:
    """Index: every VpcLink with the link id it serves on now, so integrations resolve it without an API call."""
    return {(namespace or "", name): ManagedLink(
        namespace=namespace or "", name=name, api_type=spec.get("apiType", "HTTP"),
        region=spec.get("region") or memo.settings.default_region,
        vpc_link_id=status.get("vpcLinkId"), vpc_link_status=status.get("vpcLinkStatus"),
        allowed_namespaces=tuple(spec.get("allowedNamespaces") or ()), uid=uid or "",
    )}


# (0 if it holds the target already else 1, creationTimestamp, "namespace/name", uid): the smallest wins, so
# the object that holds a method or route keeps it, and otherwise the oldest claim wins.
Claim = tuple[int, str, str, str]


def integrations_by_target(*, namespace: str | None, name: str, uid: str | None, spec: kopf.Spec,
                           status: kopf.Status, meta: kopf.Meta, **_: Any) -> dict[tuple[str, ...], Claim]:
    """Index: the REST method or HTTP routes each PrivateIntegration manages, so two never share one."""
    def claim(holds: bool) -> Claim:
        return (0 if holds else 1, str(meta.get("creationTimestamp") or ""), f"{namespace}/{name}", uid or "")

    rest, http = spec.get("rest") or {}, spec.get("http") or {}
    if rest:  # the method is immutable: an integration id in status means this object holds it
        key = ("REST", rest.get("restApiId", ""), rest.get("resourcePath", ""), rest.get("httpMethod", ""))
        return {key: claim(bool(status.get("integrationId")))}
    held = status.get("routeIds") or {}
    return {("HTTP", http.get("apiId", ""), key): claim(key in held) for key in http.get("routeKeys") or []}


def _claimed_by(body: kopf.Body, kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    """PrivateIntegrations that hold (or claimed earlier) the same method or route as this one."""
    index: kopf.Index[tuple[str, ...], Claim] = kwargs["integrations_by_target"]
    mine = integrations_by_target(namespace=body.meta.namespace, name=body.meta.name or "", uid=body.meta.uid,
                                  spec=body.spec, status=body.status, meta=body.meta)
    return tuple(sorted({other[2] for key, claim in mine.items() for other in index.get(key, [])
                         if other[3] != claim[3] and other < claim}))


def _managed_link(body: kopf.Body, kwargs: Mapping[str, Any]) -> ManagedLink | None:
    ref = body.spec.get("vpcLinkRef") or {}
    if not ref.get("name"):
        return None
    index: kopf.Index[LinkKey, ManagedLink] = kwargs["vpclinks_by_name"]
    return next(iter(index.get((ref.get("namespace") or body.meta.namespace or "", ref["name"]), [])), None)


async def changed(*, body: kopf.Body, memo: OperatorMemo, patch: kopf.Patch, **kwargs: Any) -> None:
    memory = memo.memory(body.meta.uid or "")
    memory.interval = memo.settings.poll_seconds  # a spec change restarts the backoff
    await _reconcile(body, memo, memory, patch, _managed_link(body, kwargs), deleting=False,
                     claimed_by=_claimed_by(body, kwargs))


async def tick(*, body: kopf.Body, memo: OperatorMemo, patch: kopf.Patch, **kwargs: Any) -> None:
    memory = memo.memory(body.meta.uid or "")
    managed = _managed_link(body, kwargs)
    in_use = (memory.status or body.status).get("connectionId")
    # A VpcLink that swapped to a new link is acted on at the next tick, whatever the backoff says.
    link_moved = bool(managed and managed.vpc_link_id and in_use and in_use != managed.vpc_link_id)
    if memory.due(time.monotonic()) or link_moved:
        await _reconcile(body, memo, memory, patch, managed, deleting=False, claimed_by=_claimed_by(body, kwargs))


async def deleted(*, body: kopf.Body, memo: OperatorMemo, patch: kopf.Patch, **kwargs: Any) -> None:
    memory = memo.memory(body.meta.uid or "")
    outcome = await _reconcile(body, memo, memory, patch, _managed_link(body, kwargs), deleting=True)
    finish_deletion(memo, memory, body.meta.uid or "", outcome)


async def _reconcile(body: kopf.Body, memo: OperatorMemo, memory: ObjectMemory, patch: kopf.Patch,
                     managed: ManagedLink | None, *, deleting: bool,
                     claimed_by: tuple[str, ...] = ()) -> IntegrationOutcome:
    meta = body.meta

    async def reconcile(previous: Mapping[str, Any], max_age: float) -> IntegrationOutcome:
        return await reconcile_integration(memo.services, IntegrationObject(
            owner=Owner(meta.uid or "", meta.namespace or "", meta.name or ""),
            generation=int(meta.get("generation", 0)),
            spec=dict(body.spec),
            status=PrivateIntegrationStatus.from_known_fields(previous),
            managed_link=managed,
            deleting=deleting,
            claimed_by=claimed_by,
        ), max_age)

    def milestones(previous: Mapping[str, Any], status: Mapping[str, Any], outcome: IntegrationOutcome) -> list[Event]:
        return integration_events(previous, status, deleted=outcome.finished,
                                  message=outcome.health.reconciling.message or outcome.health.ready.message)

    return await run_pass("PrivateIntegration", body, memo, memory, patch, reconcile, deleting=deleting,
                          milestones=milestones)
