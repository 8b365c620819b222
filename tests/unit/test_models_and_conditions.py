"""The VpcLink spec model, DesiredLink defaults, and how conditions are rendered into status."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from vpclink_operator.models.base import describe_validation_error
from vpclink_operator.models.conditions import Health, render_conditions
from vpclink_operator.models.vpclink import (
    OWNER_NAME_TAG,
    OWNER_NAMESPACE_TAG,
    OWNER_UID_TAG,
    DesiredLink,
    LinkShape,
    Owner,
    Replacement,
    VpcLinkSpec,
    VpcLinkStatus,
)

NLB = "arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/net/orders/50dc6c495c0c9188"
ALB = "arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/orders/50dc6c495c0c9188"
OWNER = Owner("uid-1", "shop", "orders")


def http(**fields: Any) -> dict[str, Any]:
    return {"apiType": "HTTP", "subnetIds": ["subnet-a", "subnet-b"], **fields}


def rest(**fields: Any) -> dict[str, Any]:
    return {"apiType": "REST", "targetArns": [NLB], **fields}


def spec_error(raw: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        VpcLinkSpec.model_validate(raw)
    return describe_validation_error("spec", info.value)


# -- VpcLinkSpec ------------------------------------------------------------------------------------


def test_camel_case_wire_names_are_parsed() -> None:
    spec = VpcLinkSpec.model_validate(http(
        name="shop-orders", region="eu-west-1", securityGroupIds=["sg-1"], tags={"team": "shop"},
        deletionPolicy="Retain", vpcLinkId="abcd123", allowedNamespaces=["payments"]))

    assert spec.api_type == "HTTP"
    assert spec.subnet_ids == ["subnet-a", "subnet-b"]
    assert spec.security_group_ids == ["sg-1"]
    assert spec.deletion_policy == "Retain"
    assert spec.vpc_link_id == "abcd123"
    assert spec.allowed_namespaces == ["payments"]


def test_defaults() -> None:
    spec = VpcLinkSpec.model_validate(http())

    assert spec.deletion_policy == "Delete"
    assert spec.tags == {} and spec.security_group_ids == [] and spec.target_arns == []
    assert spec.name is None and spec.region is None and spec.vpc_link_id is None


@pytest.mark.parametrize("count", [1, 10])
def test_http_accepts_1_to_10_subnets(count: int) -> None:
    spec = VpcLinkSpec.model_validate(http(subnetIds=[f"subnet-{i}" for i in range(count)]))
    assert len(spec.subnet_ids) == count


@pytest.mark.parametrize(("raw", "field"), [
    (http(subnetIds=[]), "subnetIds"),
    ({"apiType": "HTTP"}, "subnetIds"),
    (http(subnetIds=[f"subnet-{i}" for i in range(11)]), "subnetIds"),
    (http(securityGroupIds=[f"sg-{i}" for i in range(6)]), "securityGroupIds"),
    (http(targetArns=[NLB]), "targetArns"),
    (http(description="x"), "description"),
    (rest(targetArns=[]), "targetArns"),
    (rest(targetArns=[NLB, NLB]), "targetArns"),
    (rest(targetArns=[ALB]), "targetArns"),
    (rest(subnetIds=["subnet-a"]), "subnetIds"),
    (rest(securityGroupIds=["sg-1"]), "securityGroupIds"),
])
def test_invalid_specs_are_rejected_with_a_message_naming_the_field(raw: dict[str, Any], field: str) -> None:
    message = spec_error(raw)

    assert message.startswith("spec")
    assert field in message


def test_http_allows_up_to_5_security_groups() -> None:
    spec = VpcLinkSpec.model_validate(http(securityGroupIds=[f"sg-{i}" for i in range(5)]))
    assert len(spec.security_group_ids) == 5


def test_rest_with_one_nlb_and_a_description_is_valid() -> None:
    spec = VpcLinkSpec.model_validate(rest(description="orders"))
    assert spec.target_arns == [NLB] and spec.description == "orders"


def test_unknown_fields_are_rejected_and_named() -> None:
    message = spec_error(http(subnetIDs=["subnet-a"]))

    assert "spec.subnetIDs" in message


@pytest.mark.parametrize(("raw", "field"), [
    (http(apiType="WEBSOCKET"), "spec.apiType"),
    (http(deletionPolicy="Orphan"), "spec.deletionPolicy"),
    (http(name=""), "spec.name"),
    (http(name="x" * 256), "spec.name"),
    (http(tags={"team": 1}), "spec.tags.team"),
])
def test_field_errors_carry_the_wire_path(raw: dict[str, Any], field: str) -> None:
    assert field in spec_error(raw)


def test_status_round_trips_through_camel_case_json() -> None:
    status = VpcLinkStatus(observed_generation=4, vpc_link_id="gim7c3", vpc_link_status="AVAILABLE",
                           replacement=Replacement(vpc_link_id="k9x2p1", vpc_link_status="PENDING",
                                                   reason="subnetIds changed"),
                           retired_vpc_link_ids=["old1"])
    wire = status.model_dump(by_alias=True, exclude_none=True)

    assert wire["observedGeneration"] == 4
    assert wire["vpcLinkId"] == "gim7c3"
    assert wire["replacement"] == {"vpcLinkId": "k9x2p1", "vpcLinkStatus": "PENDING", "reason": "subnetIds changed"}
    assert wire["retiredVpcLinkIds"] == ["old1"]
    assert VpcLinkStatus.model_validate(wire) == status


def test_status_rejects_unknown_aws_states() -> None:
    with pytest.raises(ValidationError):
        VpcLinkStatus.model_validate({"vpcLinkStatus": "BROKEN"})


# -- DesiredLink.from_spec ----------------------------------------------------------------------------


def desired(raw: dict[str, Any], default_region: str = "us-east-1") -> DesiredLink:
    return DesiredLink.from_spec(VpcLinkSpec.model_validate(raw), OWNER, default_region)


def test_name_defaults_to_namespace_dash_name() -> None:
    assert desired(http()).name == "shop-orders"


def test_spec_name_wins() -> None:
    assert desired(http(name="orders-link")).name == "orders-link"


def test_adopted_link_keeps_its_own_name_unless_spec_name_is_set() -> None:
    assert desired(http(vpcLinkId="abcd123")).name is None
    assert desired(http(vpcLinkId="abcd123", name="orders-link")).name == "orders-link"
    assert desired(http(vpcLinkId="abcd123")).adopt_id == "abcd123"


def test_region_defaults_to_the_operators_region() -> None:
    assert desired(http(), default_region="eu-central-1").region == "eu-central-1"
    assert desired(http(region="ap-south-1"), default_region="eu-central-1").region == "ap-south-1"


def test_owner_tags_are_merged_with_user_tags_and_cannot_be_overridden() -> None:
    tags = desired(http(tags={"team": "shop", OWNER_UID_TAG: "forged"})).tags

    assert tags == {"team": "shop", OWNER_UID_TAG: "uid-1", OWNER_NAMESPACE_TAG: "shop", OWNER_NAME_TAG: "orders"}


def test_shape_is_normalised_to_sets() -> None:
    a = desired(http(subnetIds=["subnet-a", "subnet-b"], securityGroupIds=["sg-2", "sg-1"]))
    b = desired(http(subnetIds=["subnet-b", "subnet-a"], securityGroupIds=["sg-1", "sg-2"]))

    assert a.shape == b.shape
    assert a.shape.differences(b.shape) == []


def test_shape_differences_name_the_spec_fields() -> None:
    old = LinkShape(frozenset({"subnet-a"}), frozenset({"sg-1"}))
    new = LinkShape(frozenset({"subnet-b"}), frozenset({"sg-1"}))
    rest_old = LinkShape(target_arns=frozenset({NLB}))
    rest_new = LinkShape(target_arns=frozenset({NLB.replace("orders", "orders2")}))

    assert old.differences(new) == ["subnetIds"]
    assert old.differences(LinkShape(frozenset({"subnet-b"}), frozenset())) == ["subnetIds", "securityGroupIds"]
    assert rest_old.differences(rest_new) == ["targetArns"]


def test_deletion_policy_maps_to_retain() -> None:
    assert desired(http()).retain is False
    assert desired(http(deletionPolicy="Retain")).retain is True


def test_rest_description_is_carried() -> None:
    assert desired(rest(description="orders")).description == "orders"
    assert desired(rest()).description is None


# -- Health and render_conditions ------------------------------------------------------------------------


T0 = "2025-01-01T00:00:00Z"
T1 = "2025-01-01T00:05:00Z"


def by_type(conditions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in conditions}


def test_health_constructors_set_the_three_conditions_consistently() -> None:
    assert [c.status for c in Health.available("Available", "ok").as_list()] == [True, False, False]
    assert [c.status for c in Health.in_progress("Pending", "wait").as_list()] == [False, True, False]
    assert [c.status for c in Health.stuck("Failed", "no").as_list()] == [False, False, True]
    assert [c.type for c in Health.available("Available", "ok").as_list()] == ["Ready", "Reconciling", "Stalled"]


def test_health_that_still_serves_keeps_ready_reason_available() -> None:
    replacing = Health.in_progress("Replacing", "replacing link", ready=True)
    assert (replacing.ready.status, replacing.ready.reason) == (True, "Available")
    assert replacing.reconciling.reason == "Replacing"

    stuck = Health.stuck("ReplacementFailed", "failed", ready=True)
    assert (stuck.ready.status, stuck.ready.reason) == (True, "Available")
    assert (stuck.stalled.status, stuck.stalled.reason, stuck.stalled.message) == (True, "ReplacementFailed", "failed")


def test_first_render_sets_every_condition_with_observed_generation() -> None:
    rendered = render_conditions(Health.in_progress("Creating", "creating the VPC link"), 3, [], T0)

    assert [c["type"] for c in rendered] == ["Ready", "Reconciling", "Stalled"]
    assert [c["status"] for c in rendered] == ["False", "True", "False"]
    for cond in rendered:
        assert cond["observedGeneration"] == 3
        assert cond["lastTransitionTime"] == T0
    assert by_type(rendered)["Reconciling"]["reason"] == "Creating"
    assert by_type(rendered)["Reconciling"]["message"] == "creating the VPC link"


def test_last_transition_time_moves_only_when_the_status_flips() -> None:
    first = render_conditions(Health.in_progress("Creating", "creating"), 1, [], T0)
    # Same statuses, new reason and message: times stay.
    second = render_conditions(Health.in_progress("Pending", "provisioning"), 2, first, T1)
    assert [c["lastTransitionTime"] for c in second] == [T0, T0, T0]
    assert by_type(second)["Reconciling"]["reason"] == "Pending"
    assert all(c["observedGeneration"] == 2 for c in second)

    # Ready and Reconciling flip, Stalled does not.
    third = render_conditions(Health.available("Available", "link is AVAILABLE"), 2, second, T1)
    times = {c["type"]: c["lastTransitionTime"] for c in third}
    assert times == {"Ready": T1, "Reconciling": T1, "Stalled": T0}


def test_previous_condition_without_a_time_gets_now() -> None:
    previous = [{"type": "Ready", "status": "True"}]
    rendered = by_type(render_conditions(Health.available("Available", "ok"), 1, previous, T1))

    assert rendered["Ready"]["lastTransitionTime"] == T1


def test_render_does_not_modify_previous_conditions() -> None:
    previous = render_conditions(Health.in_progress("Creating", "creating"), 1, [], T0)
    snapshot = [dict(c) for c in previous]
    render_conditions(Health.stuck("Failed", "boom"), 2, previous, T1)

    assert previous == snapshot
