"""Which objects a watch event wakes (handlers/wakes.py), with a recording scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import kopf

from vpclink_operator import FINALIZER
from vpclink_operator.config import Settings
from vpclink_operator.handlers.memo import OperatorMemo
from vpclink_operator.handlers.wakes import observed
from vpclink_operator.health import Readiness


@dataclass
class RecordingScheduler:
    woken: list[str] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)

    def wake(self, uid: str, delay: float = 0.0, *, restart_backoff: bool = False) -> None:
        self.woken.append(uid)

    def forget(self, uid: str) -> None:
        self.forgotten.append(uid)


def make_memo() -> tuple[OperatorMemo, RecordingScheduler]:
    settings = Settings(namespaces=(), log_level="INFO", log_format="plain", port=0, default_region="us-east-1",
                        resync_seconds=60, poll_seconds=5)
    scheduler = RecordingScheduler()
    memo = OperatorMemo(settings=settings, services=None, readiness=Readiness(()),  # type: ignore[arg-type]
                        scheduler=scheduler, apiserver=None)  # type: ignore[arg-type]
    memo.indexes["integrations_by_link"] = {("shop", "edge"): [("shop/orders", None), ("shop/users", "vl-1")]}
    return memo, scheduler


def link(generation: int = 1, **status: Any) -> kopf.Body:
    return kopf.Body({"kind": "VpcLink", "metadata": {"uid": "link-uid", "namespace": "shop", "name": "edge",
                                                      "generation": generation, "finalizers": [FINALIZER]},
                      "spec": {"apiType": "HTTP"}, "status": status})


def integration(name: str, generation: int = 1, ref: str | None = "edge", **status: Any) -> kopf.Body:
    spec = {"vpcLinkRef": {"name": ref}} if ref else {"vpcLinkId": "vl-9"}
    return kopf.Body({"kind": "PrivateIntegration",
                      "metadata": {"uid": f"{name}-uid", "namespace": "shop", "name": name, "generation": generation,
                                   "finalizers": [FINALIZER]},
                      "spec": spec, "status": status})


def test_a_new_object_and_a_spec_change_wake_it_and_its_own_status_write_does_not() -> None:
    memo, scheduler = make_memo()
    observed(type=None, body=integration("orders"), memo=memo)
    observed(type="MODIFIED", body=integration("orders", integrationId="i-1"), memo=memo)  # its own write
    observed(type="MODIFIED", body=integration("orders", generation=2, integrationId="i-1"), memo=memo)
    assert scheduler.woken.count("orders-uid") == 2


def test_an_object_without_our_finalizer_waits_for_it() -> None:
    memo, scheduler = make_memo()
    body = integration("orders")
    body["metadata"]["finalizers"] = []
    observed(type="ADDED", body=body, memo=memo)
    assert "orders-uid" not in scheduler.woken
    observed(type="MODIFIED", body=integration("orders"), memo=memo)  # kopf added the finalizer
    assert "orders-uid" in scheduler.woken


def test_a_vpclink_whose_link_changed_wakes_its_integrations_and_nothing_else() -> None:
    memo, scheduler = make_memo()
    for name in ("orders", "users"):
        observed(type=None, body=integration(name), memo=memo)
    observed(type=None, body=integration("other", ref=None), memo=memo)
    observed(type=None, body=link(vpcLinkId="vl-1", vpcLinkStatus="PENDING"), memo=memo)
    scheduler.woken.clear()

    observed(type="MODIFIED", body=link(vpcLinkId="vl-1", vpcLinkStatus="PENDING", usedByCount=2), memo=memo)
    assert scheduler.woken == []  # usedBy is not what its integrations read
    observed(type="MODIFIED", body=link(vpcLinkId="vl-1", vpcLinkStatus="AVAILABLE"), memo=memo)
    assert sorted(scheduler.woken) == ["orders-uid", "users-uid"]


def test_an_integration_that_starts_or_stops_using_a_vpclink_wakes_it() -> None:
    memo, scheduler = make_memo()
    observed(type=None, body=link(vpcLinkId="vl-1", vpcLinkStatus="AVAILABLE"), memo=memo)
    scheduler.woken.clear()

    observed(type="ADDED", body=integration("orders"), memo=memo)
    assert scheduler.woken == ["orders-uid", "link-uid"]
    scheduler.woken.clear()
    observed(type="MODIFIED", body=integration("orders", connectionId="vl-1"), memo=memo)
    assert scheduler.woken == ["link-uid"]
    scheduler.woken.clear()
    observed(type="DELETED", body=integration("orders", connectionId="vl-1"), memo=memo)
    assert scheduler.woken == ["link-uid"] and "orders-uid" in scheduler.forgotten


def test_an_object_being_deleted_is_left_to_the_deletion_handler() -> None:
    memo, scheduler = make_memo()
    observed(type=None, body=integration("orders", ref=None), memo=memo)
    deleting = integration("orders", ref=None)
    deleting["metadata"]["deletionTimestamp"] = "2026-11-23T00:00:00Z"
    observed(type="MODIFIED", body=deleting, memo=memo)
    assert scheduler.forgotten == ["orders-uid"] and scheduler.woken == ["orders-uid"]
