"""PrivateIntegration glue: its indexes, and one pass with the VpcLink and claims the indexes know."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kopf

from vpclink_operator.handlers.memo import LinkKey, OperatorMemo
from vpclink_operator.handlers.passes import run_pass
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


def integrations_by_target(*, namespace: str | None, name: str, uid: str | None, spec: Mapping[str, Any],
                           status: Mapping[str, Any], meta: Mapping[str, Any],
                           **_: Any) -> dict[tuple[str, ...], Claim]:
    """Index: the REST method or HTTP routes each PrivateIntegration manages, so two never share one."""
    def claim(holds: bool) -> Claim:
        return (0 if holds else 1, str(meta.get("creationTimestamp") or ""), f"{namespace}/{name}", uid or "")

    rest, http = spec.get("rest") or {}, spec.get("http") or {}
    if rest:  # the method is immutable: an integration id in status means this object holds it
        key = ("REST", rest.get("restApiId", ""), rest.get("resourcePath", ""), rest.get("httpMethod", ""))
        return {key: claim(bool(status.get("integrationId")))}
    held = status.get("routeIds") or {}
    return {("HTTP", http.get("apiId", ""), key): claim(key in held) for key in http.get("routeKeys") or []}


def _claimed_by(body: Mapping[str, Any], indexes: Mapping[str, Any]) -> tuple[str, ...]:
    """PrivateIntegrations that hold (or claimed earlier) the same method or route as this one."""
    index: kopf.Index[tuple[str, ...], Claim] = indexes["integrations_by_target"]
    meta: Mapping[str, Any] = body["metadata"]
    mine = integrations_by_target(namespace=meta.get("namespace"), name=meta.get("name") or "", uid=meta.get("uid"),
                                  spec=body.get("spec") or {}, status=body.get("status") or {}, meta=meta)
    return tuple(sorted({other[2] for key, claim in mine.items() for other in index.get(key, [])
                         if other[3] != claim[3] and other < claim}))


def link_key(body: Mapping[str, Any]) -> LinkKey | None:
    """The VpcLink an integration names in spec.vpcLinkRef, as the indexes key it."""
    ref = (body.get("spec") or {}).get("vpcLinkRef") or {}
    if not ref.get("name"):
        return None
    return (ref.get("namespace") or body["metadata"].get("namespace") or "", ref["name"])


def _managed_link(body: Mapping[str, Any], indexes: Mapping[str, Any]) -> ManagedLink | None:
    key = link_key(body)
    if key is None:
        return None
    index: kopf.Index[LinkKey, ManagedLink] = indexes["vpclinks_by_name"]
    return next(iter(index.get(key, [])), None)


async def pass_for(body: Mapping[str, Any], memo: OperatorMemo, indexes: Mapping[str, Any], *,
                   deleting: bool) -> IntegrationOutcome:
    """One pass for a PrivateIntegration, with its VpcLink and the other claims from the indexes."""
    meta: Mapping[str, Any] = body["metadata"]
    managed = _managed_link(body, indexes)
    claimed_by = () if deleting else _claimed_by(body, indexes)

    async def reconcile(previous: Mapping[str, Any], max_age: float) -> IntegrationOutcome:
        return await reconcile_integration(memo.services, IntegrationObject(
            owner=Owner(meta.get("uid") or "", meta.get("namespace") or "", meta.get("name") or ""),
            generation=int(meta.get("generation", 0)),
            spec=dict(body.get("spec") or {}),
            status=PrivateIntegrationStatus.from_known_fields(previous),
            managed_link=managed,
            deleting=deleting,
            claimed_by=claimed_by,
        ), max_age)

    def milestones(previous: Mapping[str, Any], status: Mapping[str, Any], outcome: IntegrationOutcome) -> list[Event]:
        return integration_events(previous, status, deleted=outcome.finished,
                                  message=outcome.health.reconciling.message or outcome.health.ready.message)

    return await run_pass("PrivateIntegration", body, memo, memo.memory(meta.get("uid") or ""), reconcile,
                          deleting=deleting, milestones=milestones)
