"""The pass runner (handlers/passes.py) around a fake reconcile and a fake apiserver: what it writes and posts."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import REGISTRY

from vpclink_operator.config import Settings
from vpclink_operator.handlers.apiserver import ApiServerUnavailable
from vpclink_operator.handlers.memo import ObjectMemory, OperatorMemo
from vpclink_operator.handlers.passes import run_pass
from vpclink_operator.health import Readiness
from vpclink_operator.models.conditions import Event, Health
from vpclink_operator.models.integration import PrivateIntegrationStatus
from vpclink_operator.reconcile.outcome import Outcome

POLL, RESYNC = 2.0, 60.0


def FakeOutcome(status: PrivateIntegrationStatus, health: Health, events: list[Event] | None = None,  # noqa: N802
                requeue: bool = False) -> Outcome[PrivateIntegrationStatus]:
    return Outcome(status, health, list(events or []), requeue=requeue)


@dataclass
class FakeApiServer:
    """Records the status patches and events a pass sends; `down` makes every status write fail."""

    patches: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)
    down: bool = False

    async def patch_status(self, body: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
        if self.down:
            raise ApiServerUnavailable("connection refused")
        self.patches.append(dict(changes))

    async def post_event(self, body: Mapping[str, Any], event: Event) -> None:
        self.events.append((event.type, event.reason))


class FakeReconcile:
    """Returns the outcomes it is given, one per pass, and records what each pass was handed."""

    def __init__(self, *outcomes: Outcome[PrivateIntegrationStatus] | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[dict[str, Any], float]] = []

    async def __call__(self, previous: Mapping[str, Any], max_age: float) -> Outcome[PrivateIntegrationStatus]:
        self.calls.append((dict(previous), max_age))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def apiserver() -> FakeApiServer:
    return FakeApiServer()


@pytest.fixture
def posted(apiserver: FakeApiServer) -> list[tuple[str, str]]:
    return apiserver.events


@pytest.fixture
def memo(apiserver: FakeApiServer) -> OperatorMemo:
    settings = Settings(namespaces=(), log_level="INFO", log_format="plain", port=0, default_region="us-east-1",
                        resync_seconds=RESYNC, poll_seconds=POLL)
    # run_pass needs no AWS, no readiness checks and no scheduler
    return OperatorMemo(settings=settings, services=None, readiness=Readiness(()), scheduler=None,  # type: ignore[arg-type]
                        apiserver=apiserver)  # type: ignore[arg-type]


def body(status: Mapping[str, Any] | None = None, generation: int = 3) -> dict[str, Any]:
    return dict({"apiVersion": "apigateway.vpclink.dev/v1alpha1", "kind": "PrivateIntegration",
                      "metadata": {"name": "orders", "namespace": "shop", "uid": "uid-1", "generation": generation},
                 "spec": {}, "status": dict(status or {})})


def ready(**status: Any) -> Outcome[PrivateIntegrationStatus]:
    return FakeOutcome(PrivateIntegrationStatus(**status), Health.available("Available", "integration in place"))


def run(memo: OperatorMemo, memory: ObjectMemory, obj: dict[str, Any], reconcile: FakeReconcile,
        deleting: bool = False) -> dict[str, Any]:
    """One pass; returns the status patch it sent ({} if none)."""
    apiserver: FakeApiServer = memo.apiserver  # type: ignore[assignment]
    sent = len(apiserver.patches)
    asyncio.run(run_pass("PrivateIntegration", obj, memo, memory, reconcile, deleting=deleting))
    assert len(apiserver.patches) <= sent + 1
    return apiserver.patches[sent] if len(apiserver.patches) > sent else {}


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


def test_passes_leave_listing_to_the_observers_but_deletions_want_a_fresh_list(memo, posted) -> None:
    memory = memo.memory("uid-1")
    moving = FakeOutcome(PrivateIntegrationStatus(), Health.in_progress("Creating", "waiting"), requeue=True)
    reconcile = FakeReconcile(moving, ready(), ready())

    run(memo, memory, body(), reconcile)  # the scheduler's observers keep shared snapshots fresh
    run(memo, memory, body(), reconcile)
    run(memo, memory, body(), reconcile, deleting=True)  # kopf's deletion handler: no observer tracks it
    assert [age for _, age in reconcile.calls] == [2 * RESYNC, 2 * RESYNC, POLL]


def test_a_status_the_apiserver_did_not_take_is_kept_and_sent_again_with_its_events(memo, apiserver,
                                                                                     posted) -> None:
    memory = memo.memory("uid-1")
    written = run(memo, memory, body(), FakeReconcile(ready(integration_id="i-1")))
    stored = {k: v for k, v in written.items() if v is not None}
    apiserver.down = True
    changed = ready(integration_id="i-2")
    changed.events.append(Event("Normal", "Repointed", "now i-2"))

    with pytest.raises(ApiServerUnavailable):
        run(memo, memory, body(stored), FakeReconcile(changed))
    assert posted == [] and not memory.lock.locked()
    reconcile = FakeReconcile(ready(integration_id="i-2"))

    apiserver.down = False  # the next pass knows the new id (AWS returned it), writes it, then posts the event
    assert run(memo, memory, body(stored), reconcile)["integrationId"] == "i-2"
    assert reconcile.calls[0][0]["integrationId"] == "i-2"
    assert posted == [("Normal", "Repointed")]


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
