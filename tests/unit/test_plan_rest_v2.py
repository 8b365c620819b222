"""The planner for REST integrations through a VPC link V2 (issue 12): integrationTarget and
responseTransferMode are part of the integration, and moving from a V1 link to a V2 link changes the
integration and the stage variable in one deployment, so neither goes live alone."""

from __future__ import annotations

import dataclasses
from typing import Any

from test_plan_integration import (
    LINK,
    NEW_LINK,
    READY,
    RESOURCE_ID,
    STAGE_VAR,
    applied,
    conditions,
    kinds,
    method,
    next_pass,
    of_type,
    rest_integration,
    rest_snapshot,
    rest_spec,
    stage_variable_spec,
    status,
    world,
)

from vpclink_operator.models.integration import PrivateIntegrationSpec, RestIntegrationFields
from vpclink_operator.plan.integration import CreateDeployment, PutRestIntegration, plan_integration

DEPLOYED = {"test": {}}
OURS = f"{RESOURCE_ID}/GET"  # status.integrationId of an integration this PrivateIntegration put (issue 9)
ALB = "arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/orders/50dc6c495c0c9188"


def v2(spec: PrivateIntegrationSpec, **rest: Any) -> PrivateIntegrationSpec:
    """`spec` through a V2 link: the same REST integration with integrationTarget (and `rest` overrides)."""
    assert spec.rest is not None
    return spec.model_copy(update={"rest": spec.rest.model_copy(update={"integration_target": ALB, **rest})})


def test_direct_integration_on_a_v2_link_carries_the_target_and_transfer_mode() -> None:
    spec = v2(rest_spec(), response_transfer_mode="STREAM")
    plan = plan_integration(world(spec, rest=rest_snapshot(method(None)), link=NEW_LINK))
    (put,) = of_type(plan, PutRestIntegration)
    assert put.fields == RestIntegrationFields("GET", "http://orders.internal.example.com/orders", NEW_LINK, 29000,
                                               ALB, "STREAM")
    # No stage "test" in the snapshot: the deployment creates it, marked as the operator's (issue 9).
    assert of_type(plan, CreateDeployment) == [CreateDeployment("test", None, creates_stage=True)]


def test_steady_v2_integration_needs_nothing() -> None:
    spec = v2(rest_spec())
    observed = rest_integration(spec=spec, connection_id=NEW_LINK, integration_target=ALB)
    before = status(integration_id=OURS, connection_id=NEW_LINK, deployed_stages=["test"])
    plan = plan_integration(world(spec, rest=rest_snapshot(method(observed), stages=DEPLOYED), before=before,
                                  link=NEW_LINK))
    assert plan.actions == [] and conditions(plan) == READY


def test_transfer_mode_buffered_is_the_default_and_stream_is_drift() -> None:
    spec = v2(rest_spec())
    before = status(integration_id=OURS, connection_id=NEW_LINK, deployed_stages=["test"])
    buffered = rest_integration(spec=spec, connection_id=NEW_LINK, integration_target=ALB,
                                response_transfer_mode="BUFFERED")
    steady = world(spec, rest=rest_snapshot(method(buffered), stages=DEPLOYED), before=before, link=NEW_LINK)
    assert plan_integration(steady).actions == []
    streamed = dataclasses.replace(buffered, response_transfer_mode="STREAM")
    plan = plan_integration(dataclasses.replace(steady, rest=rest_snapshot(method(streamed), stages=DEPLOYED)))
    assert kinds(plan) == ["PutRestIntegration", "CreateDeployment"]


def test_direct_migration_from_v1_puts_the_integration_then_deploys() -> None:
    """Direct: the new integration (V2 link id plus target) is live only with the deployment."""
    spec = v2(rest_spec())
    on_v1 = rest_integration(spec=rest_spec(), connection_id=LINK)
    before = status(integration_id=OURS, connection_id=LINK, deployed_stages=["test"])
    plan = plan_integration(world(spec, rest=rest_snapshot(method(on_v1)), before=before, link=NEW_LINK))
    assert kinds(plan) == ["PutRestIntegration", "CreateDeployment"]
    assert of_type(plan, PutRestIntegration)[0].fields.connection_id == NEW_LINK
    assert applied(plan).connection_id == NEW_LINK


def test_stage_variable_migration_switches_variable_and_integration_in_one_deployment() -> None:
    """StageVariable: setting the variable first would send traffic to the V2 link through an integration
    without a target; deploying first would deploy the target with the V1 link. One deployment does both."""
    spec = v2(stage_variable_spec(stages=["test", "prod"]))
    on_v1 = rest_integration(spec=stage_variable_spec(), connection_id=STAGE_VAR)
    stages = {"test": {"vpcLinkId": LINK}, "prod": {"vpcLinkId": LINK}}
    before = status(integration_id=OURS, connection_id=LINK, deployed_stages=["test", "prod"])
    first = world(spec, rest=rest_snapshot(method(on_v1), stages=stages), before=before, link=NEW_LINK)
    plan = plan_integration(first)
    assert kinds(plan) == ["PutRestIntegration", "CreateDeployment", "CreateDeployment"]
    assert of_type(plan, CreateDeployment) == [CreateDeployment("test", {"vpcLinkId": NEW_LINK}),
                                               CreateDeployment("prod", {"vpcLinkId": NEW_LINK})]

    done = rest_integration(spec=spec, connection_id=STAGE_VAR, integration_target=ALB)
    switched = {"test": {"vpcLinkId": NEW_LINK}, "prod": {"vpcLinkId": NEW_LINK}}
    settled = plan_integration(next_pass(first, applied(plan, deployed_stages=["test", "prod"]),
                                         rest=rest_snapshot(method(done), stages=switched)))
    assert settled.actions == [] and conditions(settled) == READY
    assert settled.status.connection_id == NEW_LINK


def test_without_deployments_the_stage_variable_is_set_on_its_own() -> None:
    """deployOnChange false: the operator deploys nothing, so the variable is set directly (the user deploys)."""
    spec = v2(stage_variable_spec(deployOnChange=False))
    on_v1 = rest_integration(spec=stage_variable_spec(), connection_id=STAGE_VAR)
    plan = plan_integration(world(spec, rest=rest_snapshot(method(on_v1), stages={"test": {"vpcLinkId": LINK}}),
                                  before=status(integration_id=OURS, connection_id=LINK), link=NEW_LINK))
    assert kinds(plan) == ["PutRestIntegration", "SetStageVariable"]


def test_failed_preflight_stalls_without_touching_the_api() -> None:
    spec = v2(rest_spec())
    on_v1 = rest_integration(spec=rest_spec(), connection_id=LINK)
    failure = "spec.rest.integrationTarget: load balancer ... is provisioning, not active"
    serving = dataclasses.replace(world(spec, rest=rest_snapshot(method(on_v1)), before=status(connection_id=LINK),
                                        link=NEW_LINK), preflight_failure=failure)
    plan = plan_integration(serving)
    assert plan.actions == []
    assert plan.health.stalled.reason == "PreflightFailed" and plan.health.stalled.message == failure
    assert plan.health.ready.status, "the integration in place still serves through the old link"
    fresh = dataclasses.replace(world(spec, rest=rest_snapshot(method(None)), link=NEW_LINK),
                                preflight_failure=failure)
    assert not plan_integration(fresh).health.ready.status
