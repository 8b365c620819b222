"""VpcLink glue: the index of its integrations, and one pass with what the indexes know. Nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import kopf

from vpclink_operator.handlers.memo import LinkKey, OperatorMemo
from vpclink_operator.handlers.passes import run_pass
from vpclink_operator.models.vpclink import Owner, UsedBy, VpcLinkStatus
from vpclink_operator.reconcile.integration import ManagedLink
from vpclink_operator.reconcile.vpclink import VpcLinkObject, VpcLinkOutcome, reconcile_vpc_link

Dependant = tuple[str, str | None]  # ("namespace/name" of a PrivateIntegration, its status.connectionId)


def integrations_by_link(*, namespace: str | None, name: str, spec: kopf.Spec, status: kopf.Status,
                         **_: Any) -> dict[LinkKey, Dependant]:
    """Index: which PrivateIntegrations use which VpcLink, and the link id each reports using."""
    ref = spec.get("vpcLinkRef") or {}
    if not ref.get("name"):
        return {}
    key = (ref.get("namespace") or namespace or "", ref["name"])
    return {key: (f"{namespace}/{name}", status.get("connectionId"))}


def _used_by(meta: Mapping[str, Any], index: kopf.Index[LinkKey, Dependant]) -> list[UsedBy]:
    users: Iterable[Dependant] = index.get((meta.get("namespace") or "", meta.get("name") or ""), [])
    return [UsedBy(name=ref, connection_id=link_id) for ref, link_id in sorted(users, key=lambda u: u[0])]


def _live_owner_uids(indexes: Mapping[str, Any]) -> frozenset[str]:
    links: kopf.Index[LinkKey, ManagedLink] = indexes["vpclinks_by_name"]
    return frozenset(link.uid for key in links for link in links[key])


async def pass_for(body: Mapping[str, Any], memo: OperatorMemo, indexes: Mapping[str, Any], *,
                   deleting: bool) -> VpcLinkOutcome:
    """One pass for a VpcLink, with what the indexes know of its integrations and of other VpcLinks."""
    meta: Mapping[str, Any] = body["metadata"]
    index: kopf.Index[LinkKey, Dependant] = indexes["integrations_by_link"]

    async def reconcile(previous: Mapping[str, Any], max_age: float) -> VpcLinkOutcome:
        dependants = list(index.get((meta.get("namespace") or "", meta.get("name") or ""), []))
        return await reconcile_vpc_link(memo.services, VpcLinkObject(
            owner=Owner(meta.get("uid") or "", meta.get("namespace") or "", meta.get("name") or ""),
            generation=int(meta.get("generation", 0)),
            spec=dict(body.get("spec") or {}),
            status=VpcLinkStatus.from_known_fields(previous),
            deleting=deleting,
            dependants=sorted(ref for ref, _ in dependants),
            still_used=_still_used(dependants),
            used_by=_used_by(meta, index),
            live_owner_uids=_live_owner_uids(indexes),
        ), max_age)

    return await run_pass("VpcLink", body, memo, memo.memory(meta.get("uid") or ""), reconcile, deleting=deleting)


def _still_used(dependants: list[Dependant]) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for ref, connection_id in dependants:
        if connection_id:
            used.setdefault(connection_id, []).append(ref)
    return used
