"""VpcLink handlers: parse the object, call reconcile, write status and events. Nothing else."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import kopf

from vpclink_operator.handlers.memo import LinkKey, ObjectMemory, OperatorMemo
from vpclink_operator.handlers.passes import finish_deletion, run_pass
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


def _index(kwargs: Mapping[str, Any]) -> kopf.Index[LinkKey, Dependant]:
    return kwargs["integrations_by_link"]  # type: ignore[no-any-return]


def _live_owner_uids(kwargs: Mapping[str, Any]) -> frozenset[str]:
    links: kopf.Index[LinkKey, ManagedLink] = kwargs["vpclinks_by_name"]
    return frozenset(link.uid for key in links for link in links[key])


def _used_by(body: kopf.Body, index: kopf.Index[LinkKey, Dependant]) -> list[UsedBy]:
    users: Iterable[Dependant] = index.get((body.meta.namespace or "", body.meta.name or ""), [])
    return [UsedBy(name=ref, connection_id=link_id) for ref, link_id in sorted(users, key=lambda u: u[0])]


async def changed(*, body: kopf.Body, memo: OperatorMemo, patch: kopf.Patch, **kwargs: Any) -> None:
    memory = memo.memory(body.meta.uid or "")
    memory.interval = memo.settings.poll_seconds  # a spec change restarts the backoff
    await _reconcile(body, memo, memory, patch, kwargs, deleting=False)


async def tick(*, body: kopf.Body, memo: OperatorMemo, patch: kopf.Patch, **kwargs: Any) -> None:
    memory = memo.memory(body.meta.uid or "")
    # status.usedBy follows the index at the next tick, whatever the backoff says (no AWS call needed,
    # but a pass is the one place that writes status).
    written = (memory.status or body.status).get("usedBy") or []
    users_changed = written != [u.model_dump(by_alias=True, exclude_none=True) for u in _used_by(body, _index(kwargs))]
    if not memory.due(time.monotonic()) and not users_changed:
        return
    await _reconcile(body, memo, memory, patch, kwargs, deleting=False)


async def deleted(*, body: kopf.Body, memo: OperatorMemo, patch: kopf.Patch, **kwargs: Any) -> None:
    memory = memo.memory(body.meta.uid or "")
    outcome = await _reconcile(body, memo, memory, patch, kwargs, deleting=True)
    finish_deletion(memo, memory, body.meta.uid or "", outcome)


async def _reconcile(body: kopf.Body, memo: OperatorMemo, memory: ObjectMemory, patch: kopf.Patch,
                     kwargs: Mapping[str, Any], *, deleting: bool) -> VpcLinkOutcome:
    meta = body.meta
    index = _index(kwargs)

    async def reconcile(previous: Mapping[str, Any], max_age: float) -> VpcLinkOutcome:
        dependants = list(index.get((meta.namespace or "", meta.name or ""), []))
        return await reconcile_vpc_link(memo.services, VpcLinkObject(
            owner=Owner(meta.uid or "", meta.namespace or "", meta.name or ""),
            generation=int(meta.get("generation", 0)),
            spec=dict(body.spec),
            status=VpcLinkStatus.from_known_fields(previous),
            deleting=deleting,
            dependants=sorted(ref for ref, _ in dependants),
            still_used=_still_used(dependants),
            used_by=_used_by(body, index),
            live_owner_uids=_live_owner_uids(kwargs),
        ), max_age)

    return await run_pass("VpcLink", body, memo, memory, patch, reconcile, deleting=deleting)


def _still_used(dependants: list[Dependant]) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for ref, connection_id in dependants:
        if connection_id:
            used.setdefault(connection_id, []).append(ref)
    return used
