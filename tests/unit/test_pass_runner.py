"""The pass runner (handlers/passes.py) around a fake reconcile: what it writes, posts and schedules."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf
import pytest
from prometheus_client import REGISTRY

from vpclink_operator.config import Settings
from vpclink_operator.handlers.memo import ObjectMemory, OperatorMemo
from vpclink_operator.handlers.passes import run_pass
from vpclink_operator.health import Readiness
from vpclink_operator.models.conditions import Event, Health
from vpclink_operator.models.integration import PrivateIntegrationStatus

POLL, RESYNC = 2.0, 60.0


@dataclass
class FakeOutcome:
    status: PrivateIntegrationStatus
    health: Health
    events: list[Event] = field(default_factory=list)
    requeue: bool = False
    finished: bool = False


class FakeReconcile:
    """Returns the outcomes it is given, one per pass, and records what each pass was handed."""

    def __init__(self, *outcomes: FakeOutcome | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[dict[str, Any], float]] = []

    async def __call__(self, previous: Mapping[str, Any], max_age: float) -> FakeOutcome:
        self.calls.append((dict(previous), max_age))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def posted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """kopf.event needs a running operator; record what would have been posted instead."""
    events: list[tuple[str, str]] = []
    monkeypatch.setattr(kopf, "event", lambda body, *, type, reason, message: events.append((type, reason)))
    return events


@pytest.fixture
def memo() -> OperatorMemo:
    settings = Settings(namespaces=(), log_level="INFO", log_format="plain", port=0, default_region="us-east-1",
                        resync_seconds=RESYNC, poll_seconds=POLL)
    # run_pass needs no AWS and no readiness checks
    return OperatorMemo(settings=settings, services=None, readiness=Readiness(()))  # type: ignore[arg-type]


def body(status: Mapping[str, Any] | None = None, generation: int = 3) -> kopf.Body:
    return kopf.Body({"apiVersion": "apigateway.vpclink.dev/v1alpha1", "kind": "PrivateIntegration",
                      "metadata": {"name": "orders", "namespace": "shop", "uid": "uid-1", "generation": generation},
                      "spec": {}, "status": dict(status or {})})


def ready(**status: Any) -> FakeOutcome:
    return FakeOutcome(PrivateIntegrationStatus(**status), Health.available("Available", "integration in place"))


def run(memo: OperatorMemo, memory: ObjectMemory, obj: kopf.Body, reconcile: FakeReconcile,
        deleting: bool = False) -> dict[str, Any]:
    """One pass; returns the status patch it left for kopf to send."""
    patch = kopf.Patch()
    asyncio.run(run_pass("PrivateIntegration", obj, memo, memory, patch, reconcile, deleting=deleting))
    return dict(patch.get("status") or {})


def test_the_first_pass_writes_the_status_with_generation_and_conditions(memo, posted) -> None:
    memory = memo.memory("uid-1")
    patch = run(memo, memory, body(), FakeReconcile(ready(integration_id="i-1", route_ids={"GET /a": "r1"})))

    assert patch["integrationId"] == "i-1" and patch["routeIds"] == {"GET /a": "r1"}
    assert patch["observedGeneration"] == 3
    assert [(c["type"], c["status"], c["observedGeneration"]) for c in patch["conditions"]] == [
        ("Ready", "True", 3), ("Reconciling", "False", 3), ("Stalled", "False", 3)]
    assert None not in memory.status.values()  # type: ignore[union-attr]  # remembered as the apiserver stores it


def test_a_pass_that_changes_nothing_writes_nothing(memo, posted) -> None:
    memory = memo.memory("uid-1")
    outcome = ready(integration_id="i-1", route_ids={"GET /a": "r1"})
    written = run(memo, memory, body(), FakeReconcile(outcome))
    stored = {k: v for k, v in written.items() if v is not None}  # the apiserver drops the nulls

    assert run(memo, memory, body(stored), FakeReconcile(outcome)) == {}
    memory.status = None  # a restarted process knows only the body
    assert run(memo, memory, body(stored), FakeReconcile(outcome)) == {}


def test_a_removed_route_key_is_patched_to_null(memo, posted) -> None:
    memory = memo.memory("uid-1")
    written = run(memo, memory, body(), FakeReconcile(ready(route_ids={"GET /a": "r1", "GET /b": "r2"})))
    stored = {k: v for k, v in written.items() if v is not None}

    patch = run(memo, memory, body(stored), FakeReconcile(ready(route_ids={"GET /a": "r1"})))
    assert patch["routeIds"] == {"GET /a": "r1", "GET /b": None}


def test_reconcile_gets_the_status_this_process_wrote_last_over_a_stale_body(memo, posted) -> None:
    memory = memo.memory("uid-1")
    run(memo, memory, body(), FakeReconcile(ready(integration_id="i-1")))
    reconcile = FakeReconcile(ready(integration_id="i-1"))

    run(memo, memory, body({"integrationId": "stale"}), reconcile)
    assert reconcile.calls[0][0]["integrationId"] == "i-1"


def test_the_observation_age_follows_motion(memo, posted) -> None:
    memory = memo.memory("uid-1")
    moving = FakeOutcome(PrivateIntegrationStatus(), Health.in_progress("Creating", "waiting"), requeue=True)
    reconcile = FakeReconcile(moving, ready(), ready(), ready())

    run(memo, memory, body(), reconcile)  # nothing known yet: counts as moving
    run(memo, memory, body(), reconcile)  # the previous pass requeued
    run(memo, memory, body(), reconcile)  # steady now
    run(memo, memory, body(), reconcile, deleting=True)
    assert [age for _, age in reconcile.calls] == [POLL, POLL, RESYNC, POLL]


def test_moving_objects_back_off_and_steady_ones_wait_a_resync(memo, posted) -> None:
    memory = memo.memory("uid-1")
    moving = FakeOutcome(PrivateIntegrationStatus(), Health.in_progress("Creating", "waiting"), requeue=True)

    run(memo, memory, body(), FakeReconcile(moving))
    assert memory.moving and memory.interval == 2 * POLL
    run(memo, memory, body(), FakeReconcile(moving))
    assert memory.interval == 4 * POLL
    run(memo, memory, body(), FakeReconcile(ready()))
    assert not memory.moving and memory.interval == POLL
    assert not memory.due(memory.next_due - RESYNC + 1) and memory.due(memory.next_due)


def test_a_stall_found_again_is_announced_once(memo, posted) -> None:
    memory = memo.memory("uid-1")
    stuck = FakeOutcome(PrivateIntegrationStatus(), Health.stuck("AwsRejected", "BadRequest: no"),
                        [Event("Warning", "AwsRejected", "BadRequest: no")])
    run(memo, memory, body(), FakeReconcile(stuck))
    run(memo, memory, body(), FakeReconcile(stuck))
    assert posted == [("Warning", "AwsRejected")]

    recovered = ready()
    recovered.events.append(Event("Normal", "Available", "integration in place"))
    run(memo, memory, body(), FakeReconcile(recovered))
    assert posted == [("Warning", "AwsRejected"), ("Normal", "Available")]


def test_a_failing_reconcile_propagates_and_leaves_the_remembered_status(memo, posted) -> None:
    memory = memo.memory("uid-1")
    run(memo, memory, body(), FakeReconcile(ready(integration_id="i-1")))
    remembered = memory.status
    def errors() -> float:
        return REGISTRY.get_sample_value("vpclink_reconcile_duration_seconds_count",
                                         {"kind": "PrivateIntegration", "result": "error"}) or 0.0
    before = errors()

    with pytest.raises(RuntimeError, match="boom"):
        run(memo, memory, body(), FakeReconcile(RuntimeError("boom")))
    assert memory.status == remembered
    assert errors() == before + 1
    assert not memory.lock.locked()
