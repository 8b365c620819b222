"""Which objects a watch event wakes: the object itself when its spec changed (or it appeared), and
the objects that depend on what changed in it.

  * a VpcLink whose link (id, state, replacement) or sharing changed wakes every PrivateIntegration
    that names it, so an integration moves to a new link, or starts once its link is AVAILABLE, at once;
  * a PrivateIntegration that starts or stops using a VpcLink wakes that VpcLink (its `usedBy`, and a
    retirement or deletion waiting for it).
A status write by the operator itself changes none of those inputs of its own object, so it wakes
nothing but the dependants it concerns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import kopf

from vpclink_operator import FINALIZER
from vpclink_operator.handlers.integration import link_key
from vpclink_operator.handlers.memo import LinkKey, OperatorMemo


def live(body: Mapping[str, Any]) -> bool:
    """Ours to reconcile: it holds our finalizer (kopf adds it before any AWS call) and is not being deleted."""
    meta = body.get("metadata") or {}
    return FINALIZER in (meta.get("finalizers") or ()) and not meta.get("deletionTimestamp")


def observed(*, type: str | None, body: kopf.Body, memo: OperatorMemo, **_: Any) -> None:
    """Every watch event of either kind (kopf has updated the indexes before this runs)."""
    uid = body.meta.uid or ""
    kind = body.get("kind", "")
    name = (kind, body.meta.namespace or "", body.meta.name or "")
    previous = memo.bodies.get(uid)
    if type == "DELETED":
        memo.forget(uid)
        _wake_dependants(memo, kind, previous or body, None)
        return
    current: Mapping[str, Any] = dict(body)
    memo.bodies[uid], memo.uids[name] = current, uid
    if not live(current):
        memo.scheduler.forget(uid)  # kopf's deletion handler drives it from here
    elif previous is None or not live(previous) or _generation(previous) != _generation(current):
        memo.scheduler.wake(uid, restart_backoff=True)
    _wake_dependants(memo, kind, previous, current)


def _generation(body: Mapping[str, Any]) -> int:
    return int((body.get("metadata") or {}).get("generation", 0))


def _wake_dependants(memo: OperatorMemo, kind: str, before: Mapping[str, Any] | None,
                     after: Mapping[str, Any] | None) -> None:
    if kind == "VpcLink":
        if _link_face(before) != _link_face(after):
            some = after or before
            assert some is not None
            meta = some["metadata"]
            users = memo.indexes.get("integrations_by_link", {}).get((meta.get("namespace"), meta.get("name")), [])
            _wake(memo, "PrivateIntegration", (ref for ref, _ in users))
    elif _link_use(before) != _link_use(after):
        keys = {key for key in (_link_use(before)[0], _link_use(after)[0]) if key is not None}
        _wake(memo, "VpcLink", (f"{namespace}/{name}" for namespace, name in keys))


def _wake(memo: OperatorMemo, kind: str, refs: Iterable[str]) -> None:
    for ref in refs:
        namespace, _, name = ref.partition("/")
        uid = memo.uids.get((kind, namespace, name))
        body = memo.bodies.get(uid or "")
        if uid and body is not None and live(body):
            memo.scheduler.wake(uid)


def _link_face(body: Mapping[str, Any] | None) -> tuple[Any, ...] | None:
    """What a VpcLink shows its integrations: its link, that link's state and replacement, and its sharing."""
    if body is None:
        return None
    spec, status = body.get("spec") or {}, body.get("status") or {}
    return (status.get("vpcLinkId"), status.get("vpcLinkStatus"), str(status.get("replacement")),
            spec.get("apiType"), spec.get("region"), str(spec.get("allowedNamespaces")), live(body))


def _link_use(body: Mapping[str, Any] | None) -> tuple[LinkKey | None, Any]:
    """Which VpcLink an integration names, and the link id it reports using."""
    if body is None:
        return (None, None)
    return (link_key(body), (body.get("status") or {}).get("connectionId"))
