"""The status merge patch: nothing when the stored status already says it, nulls for removed map keys."""

from __future__ import annotations

from vpclink_operator.handlers.status_patch import status_patch, stored_form
from vpclink_operator.models.integration import PrivateIntegrationStatus
from vpclink_operator.models.vpclink import Replacement, VpcLinkStatus

CONDITIONS = [{"type": "Ready", "status": "True", "reason": "Available", "message": "",
               "observedGeneration": 2, "lastTransitionTime": "2026-11-23T01:00:00Z"}]


def dumped(model: VpcLinkStatus | PrivateIntegrationStatus) -> dict[str, object]:
    """What a pass computes: the model with nulls for every unset field."""
    return model.model_dump(by_alias=True, mode="json")


def test_stored_form_drops_nulls_at_every_depth() -> None:
    assert stored_form({"a": None, "b": {"c": None, "d": 1}, "e": [{"f": None, "g": "x"}], "h": []}) == {
        "b": {"d": 1}, "e": [{"g": "x"}], "h": []}


def test_a_status_equal_to_the_stored_one_but_for_nulls_needs_no_patch() -> None:
    desired = dumped(VpcLinkStatus(observed_generation=2, vpc_link_id="vl-1", vpc_link_status="AVAILABLE",
                                   conditions=CONDITIONS))
    assert desired["replacement"] is None and desired["statusMessage"] is None  # the shape that used to differ
    stored = {"observedGeneration": 2, "vpcLinkId": "vl-1", "vpcLinkStatus": "AVAILABLE",
              "retiredVpcLinkIds": [], "managedTagKeys": [], "usedBy": [], "usedByCount": 0, "conditions": CONDITIONS}
    assert status_patch(desired, [stored]) is None
    assert status_patch(desired, [stored, stored_form(desired)]) is None


def test_a_changed_field_is_patched_and_a_field_that_became_unset_is_deleted() -> None:
    stored = {"observedGeneration": 2, "vpcLinkId": "vl-1", "vpcLinkStatus": "PENDING",
              "replacement": {"vpcLinkId": "vl-2", "reason": "subnetIds changed"}, "conditions": CONDITIONS}
    desired = dumped(VpcLinkStatus(observed_generation=2, vpc_link_id="vl-1", vpc_link_status="AVAILABLE",
                                   conditions=CONDITIONS))
    patch = status_patch(desired, [stored])
    assert patch is not None
    assert patch["vpcLinkStatus"] == "AVAILABLE"
    assert patch["replacement"] is None  # a null in a merge patch deletes the key


def test_nested_nulls_are_left_out_of_the_patch() -> None:
    desired = dumped(VpcLinkStatus(vpc_link_id="vl-1", replacement=Replacement(vpc_link_id="vl-2", reason="r")))
    patch = status_patch(desired, [{"vpcLinkId": "vl-1"}])
    assert patch is not None
    assert patch["replacement"] == {"vpcLinkId": "vl-2", "reason": "r"}


def test_a_removed_route_key_is_patched_to_null() -> None:
    stored = {"routeIds": {"GET /a": "r1", "GET /b": "r2"}, "conditions": CONDITIONS}
    desired = dumped(PrivateIntegrationStatus(route_ids={"GET /a": "r1"}, conditions=CONDITIONS))
    patch = status_patch(desired, [stored])
    assert patch is not None
    assert patch["routeIds"] == {"GET /a": "r1", "GET /b": None}


def test_the_last_route_key_removed_is_patched_to_null_too() -> None:
    """`routeIds: {}` alone would merge into the stored map and change nothing."""
    desired = dumped(PrivateIntegrationStatus(conditions=CONDITIONS))
    patch = status_patch(desired, [{"routeIds": {"GET /a": "r1"}, "conditions": CONDITIONS}])
    assert patch is not None
    assert patch["routeIds"] == {"GET /a": None}


def test_a_key_in_either_stored_copy_is_removed_and_either_copy_differing_means_a_write() -> None:
    """The body kopf holds may predate this process's last write, or the other way round."""
    desired = dumped(PrivateIntegrationStatus(route_ids={"GET /a": "r1"}, conditions=CONDITIONS))
    current = stored_form(desired)
    stale = {**current, "routeIds": {"GET /a": "r1", "GET /old": "r0"}}
    written = {**current, "routeIds": {"GET /a": "r1", "GET /b": "r2"}}
    patch = status_patch(desired, [stale, written])
    assert patch is not None
    assert patch["routeIds"] == {"GET /a": "r1", "GET /old": None, "GET /b": None}
    assert status_patch(desired, [current, written]) is not None
    assert status_patch(desired, [stale, current]) is not None


def test_keys_the_operator_does_not_own_are_left_alone() -> None:
    desired = dumped(PrivateIntegrationStatus(conditions=CONDITIONS))
    stored = {**stored_form(desired), "somethingElse": {"x": 1}}
    assert status_patch(desired, [stored]) is None
    patch = status_patch(desired, [{"somethingElse": {"x": 1}}])
    assert patch is not None and "somethingElse" not in patch
