"""Pure parts of day-2 operation: log levels and fields, transition events, the object gauge, plugin advice."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import prometheus_client
import pytest

from vpclink_operator import metrics
from vpclink_operator.kubectl_plugin import FIXES, _fix, target
from vpclink_operator.logs import (
    AwsOperations,
    ObjectJsonFormatter,
    ObjectPlainFormatter,
    RoutineKopfLines,
    collect_operations,
    log_context,
    note_operation,
)
from vpclink_operator.models.conditions import Event, Health, render_conditions
from vpclink_operator.plan.transitions import integration_events, stall_event, state


def conditions(health: Health) -> list[dict[str, object]]:
    return render_conditions(health, 1, [], "2026-01-01T00:00:00Z")


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RoutineKopfLines(logging.INFO))
    loggers = [logging.getLogger(name) for name in ("test.operations", "kopf.objects", "kopf._cogs.clients.watching")]
    for each in loggers:
        each.addHandler(handler)
        each.setLevel(logging.DEBUG)
        each.propagate = False
    yield loggers[0], stream, handler
    for each in loggers:
        each.removeHandler(handler)
        each.propagate = True


def test_kopf_routine_lines_drop_below_info_and_real_errors_stay(captured) -> None:
    _, stream, handler = captured
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    kopf_logger = logging.getLogger("kopf.objects")
    kopf_logger.info("Timer 'tick' succeeded.")
    kopf_logger.info("Updating is processed: 1 succeeded; 0 failed.")
    kopf_logger.error("Handler 'deleted' failed temporarily: waiting for shop/orders-api")
    kopf_logger.error("Handler 'changed' failed with an exception. Will retry.")
    logging.getLogger("kopf._cogs.clients.watching").error(
        "Request attempt #1/9 failed; will retry: GET /apis -> APITooManyRequestsError(...)")
    logging.getLogger("kopf._cogs.clients.watching").error(
        "Request attempt #1/9 failed; will retry: GET /apis -> APIForbiddenError(...)")
    kopf_logger.warning("Failed to post an event. Ignoring and continuing.")
    assert stream.getvalue().splitlines() == [
        "ERROR Handler 'changed' failed with an exception. Will retry.",
        "INFO Request attempt #1/9 failed; will retry: GET /apis -> APITooManyRequestsError(...)",
        "ERROR Request attempt #1/9 failed; will retry: GET /apis -> APIForbiddenError(...)",
        "WARNING Failed to post an event. Ignoring and continuing.",
    ]


@pytest.mark.parametrize("formatter", [ObjectJsonFormatter(), ObjectPlainFormatter()], ids=["json", "plain"])
def test_both_formats_name_the_object_link_and_operation(captured, formatter: logging.Formatter) -> None:
    logger, stream, handler = captured
    handler.setFormatter(formatter)
    with log_context(kind="VpcLink", namespace="shop", name="orders", vpc_link_id="old1"):
        logger.info("VpcLink New -> Ready", extra={"vpc_link_id": "abc123", "operation": "CreateVpcLink"})
    logging.getLogger("kopf.objects").warning("from kopf", extra={"k8s_ref": {"kind": "PrivateIntegration",
                                                                               "namespace": "pay", "name": "api"}})
    first, second = stream.getvalue().splitlines()
    if isinstance(formatter, ObjectJsonFormatter):
        line = json.loads(first)
        assert {k: line[k] for k in ("level", "logger", "message", "kind", "namespace", "name", "vpc_link_id",
                                     "operation")} == {
            "level": "INFO", "logger": "test.operations", "message": "VpcLink New -> Ready", "kind": "VpcLink",
            "namespace": "shop", "name": "orders", "vpc_link_id": "abc123", "operation": "CreateVpcLink"}
        assert "time" in line and "k8s_ref" not in line
        assert {k: json.loads(second)[k] for k in ("kind", "namespace", "name")} == \
            {"kind": "PrivateIntegration", "namespace": "pay", "name": "api"}
    else:
        assert first.split(" ", 2)[2] == ("INFO    test.operations kind=VpcLink namespace=shop name=orders "
                                          "vpc_link_id=abc123 operation=CreateVpcLink VpcLink New -> Ready")
        assert "kind=PrivateIntegration namespace=pay name=api from kopf" in second


def test_operations_summary_prefers_failures_then_writes() -> None:
    with collect_operations() as ops:
        note_operation("GetVpcLinks", failed=False)
        assert ops.summary() == "GetVpcLinks"
        note_operation("CreateVpcLink", failed=False)
        note_operation("TagResource", failed=False)
        assert ops.summary() == "CreateVpcLink,TagResource"
        note_operation("CreateDeployment", failed=True)
        assert ops.summary() == "CreateDeployment"
    note_operation("Ignored", failed=False)  # outside a pass: not recorded anywhere
    assert AwsOperations().summary() == "none"


def test_integration_milestones() -> None:
    before = {"integrationId": None, "connectionId": None}
    after = {"integrationId": "r1/GET", "connectionId": "link1", "lastDeploymentId": "d1", "deployedStages": ["prod"]}
    assert [e.reason for e in integration_events(before, after, deleted=False, message="")] == ["Created", "Deployed"]
    moved = {**after, "connectionId": "link2", "lastDeploymentId": "d2"}
    events = integration_events(after, moved, deleted=False, message="")
    assert [(e.reason, e.message) for e in events] == [
        ("Repointed", "now serves through VPC link link2 (was link1)"), ("Deployed", "deployment d2 of stage(s) prod")]
    assert integration_events(moved, moved, deleted=False, message="") == []
    assert integration_events(moved, moved, deleted=True, message="integration deleted") == \
        [Event("Normal", "Deleted", "integration deleted")]


def test_stall_event_once_per_reason_and_not_twice_with_the_kinds_own_event() -> None:
    stuck = Health.stuck("ApiTypeMismatch", "spec.vpcLinkRef: REST link")
    assert stall_event({}, stuck, []) == [Event("Warning", "ApiTypeMismatch", "spec.vpcLinkRef: REST link")]
    assert stall_event({"conditions": conditions(stuck)}, stuck, []) == []
    other = Health.stuck("NamespaceNotAllowed", "spec.vpcLinkRef: not allowed")
    assert [e.reason for e in stall_event({"conditions": conditions(stuck)}, other, [])] == ["NamespaceNotAllowed"]
    failed = Health.stuck("Failed", "link FAILED")
    assert stall_event({}, failed, [Event("Warning", "Failed", "link x FAILED")]) == []
    assert stall_event({}, Health.available("Available", "ok"), []) == []


def test_state_names_the_true_conditions() -> None:
    assert state({}) == "New"
    assert state({"conditions": conditions(Health.in_progress("Creating", "..."))}) == "Reconciling(Creating)"
    assert state({"conditions": conditions(Health.in_progress("Replacing", "...", ready=True))}) == \
        "Ready+Reconciling(Replacing)"
    assert state({"conditions": conditions(Health.stuck("Failed", "..."))}) == "Stalled(Failed)"


def test_state_gauges_are_read_from_memory_at_scrape_time() -> None:
    pending = {"vpcLinkStatus": "PENDING", "conditions": conditions(Health.in_progress("Pending", "..."))}
    ready = {"vpcLinkStatus": "AVAILABLE", "conditions": conditions(Health.available("Available", "..."))}
    integration = {"conditions": conditions(Health.stuck("ApiTypeMismatch", "..."))}
    memory = [metrics.ObjectState("VpcLink", pending, 100.0), metrics.ObjectState("VpcLink", ready, None),
              metrics.ObjectState("VpcLink", ready, None), metrics.ObjectState("PrivateIntegration", integration, None)]
    registry = prometheus_client.CollectorRegistry()
    registry.register(metrics.ObjectStates(lambda: memory, clock=lambda: 130.0))
    sample = registry.get_sample_value

    assert sample("vpclink_objects", {"kind": "VpcLink", "condition": "Ready", "reason": "Available"}) == 2
    assert sample("vpclink_objects", {"kind": "VpcLink", "condition": "Reconciling", "reason": "Pending"}) == 1
    assert sample("vpclink_objects", {"kind": "PrivateIntegration", "condition": "Stalled",
                                      "reason": "ApiTypeMismatch"}) == 1
    assert sample("vpclink_objects", {"kind": "VpcLink", "condition": "Stalled", "reason": "Pending"}) is None, \
        "only True conditions are counted"
    assert [sample("vpclink_links", {"state": s}) for s in metrics.LINK_STATES] == [1, 2, 0, 0, 0]
    assert sample("vpclink_oldest_pending_link_age_seconds", {}) == 30
    memory[:] = memory[1:2]  # the PENDING link is gone: its reason is no longer reported at all
    assert sample("vpclink_objects", {"kind": "VpcLink", "condition": "Reconciling", "reason": "Pending"}) is None
    assert sample("vpclink_oldest_pending_link_age_seconds", {}) == 0
    assert b"_created" not in prometheus_client.generate_latest()


def test_why_advice_follows_the_stalled_reason_first() -> None:
    assert _fix(conditions(Health.stuck("ApiTypeMismatch", "..."))) == FIXES["ApiTypeMismatch"]
    assert _fix(conditions(Health.in_progress("Pending", "..."))) == FIXES["Pending"]
    assert _fix(conditions(Health.available("Available", "..."))).startswith("Nothing to fix: Ready.")
    assert "see the message" in _fix(conditions(Health.stuck("SomethingNew", "...")))


def test_plugin_names_take_kubectls_kind_prefix() -> None:
    assert target("vl", "orders") == ("vpclinks", "orders")
    assert target("pi", "orders-get") == ("privateintegrations", "orders-get")
    assert target("vl", "vl/orders") == ("vpclinks", "orders")
    assert target("vl", "pi/orders-get") == ("privateintegrations", "orders-get")
    with pytest.raises(ValueError, match="unknown kind 'deploy'"):
        target("vl", "deploy/orders")
