"""The pure VpcLink planner, one scenario per test: (desired, status, what AWS reports) -> plan.

Each test builds a small world with the factories below and checks the actions, the status the
operator would write, the three conditions and the events. `next_pass` feeds a plan's status back
into a new world, as the reconcile loop does when no action changed AWS.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

from vpclink_operator.models.vpclink import (
    OWNER_NAME_TAG,
    OWNER_NAMESPACE_TAG,
    OWNER_UID_TAG,
    DesiredLink,
    LinkState,
    ObservedLink,
    Owner,
    PreflightVerdict,
    Replacement,
    VpcLinkSpec,
    VpcLinkStatus,
)
from vpclink_operator.plan import (
    CreateLink,
    DeleteLink,
    TagLink,
    UntagLink,
    UpdateLink,
    VpcLinkPlan,
    VpcLinkWorld,
    plan_vpc_link,
)

UID = "0b6a1c0e-uid"
OWNER = Owner(UID, "shop", "orders")
REGION = "us-east-2"
NLB = "arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/net/orders/50dc6c495c0c9188"
OTHER_NLB = "arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/net/orders-v2/60dc6c495c0c9188"
FAILED_MESSAGE = "NLB is already associated with another VPC Endpoint Service"  # seed 001, verbatim


# -- factories ------------------------------------------------------------------------------------


def desired(api_type: str = "HTTP", **spec: Any) -> DesiredLink:
    """The DesiredLink for a spec; HTTP and REST get valid defaults that `spec` overrides."""
    base: dict[str, Any] = (
        {"apiType": "HTTP", "subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]}
        if api_type == "HTTP" else {"apiType": "REST", "targetArns": [NLB], "description": "orders"}
    )
    base["tags"] = {"team": "shop"}
    base.update(spec)
    return DesiredLink.from_spec(VpcLinkSpec.model_validate(base), OWNER, REGION)


DESIRED = desired()
NEW_SUBNETS = desired(subnetIds=["subnet-a", "subnet-c"])
NEWER_SUBNETS = desired(subnetIds=["subnet-a", "subnet-d"])


def link(link_id: str, status: LinkState = "AVAILABLE", like: DesiredLink = DESIRED, **changes: Any) -> ObservedLink:
    """A link as AWS reports it, matching `like` (name, shape, tags, description) unless changed."""
    observed = ObservedLink(
        id=link_id, name=like.name or "their-name", status=status,
        status_message="Your vpc link is ready for use" if status == "AVAILABLE" else "",
        shape=like.shape, description=like.description, tags=dict(like.tags),
    )
    return dataclasses.replace(observed, **changes)


def status(vpc_link_id: str | None = None, vpc_link_status: LinkState | None = None, *,
           generation: int | None = 1, replacement: Replacement | None = None,
           retired: Sequence[str] = ()) -> VpcLinkStatus:
    return VpcLinkStatus(observed_generation=generation, vpc_link_id=vpc_link_id, vpc_link_status=vpc_link_status,
                         replacement=replacement, retired_vpc_link_ids=list(retired))


def replacement(link_id: str, link_status: LinkState = "PENDING", reason: str = "subnetIds changed",
                message: str | None = None) -> Replacement:
    return Replacement(vpc_link_id=link_id, vpc_link_status=link_status, reason=reason, status_message=message)


def world(*links: ObservedLink, want: DesiredLink = DESIRED, before: VpcLinkStatus | None = None,
          generation: int = 1, deleting: bool = False, dependants: Sequence[str] = (),
          still_used: Mapping[str, Sequence[str]] | None = None) -> VpcLinkWorld:
    return VpcLinkWorld(
        desired=want, owner_uid=UID, generation=generation, status=before or VpcLinkStatus(),
        observed={lnk.id: lnk for lnk in links}, deleting=deleting, dependants=dependants,
        still_used=still_used or {},
    )


def next_pass(previous: VpcLinkWorld, plan: VpcLinkPlan, *links: ObservedLink, generation: int | None = None,
              want: DesiredLink | None = None) -> VpcLinkWorld:
    """The following pass: the plan's status was written; AWS now reports `links`."""
    return dataclasses.replace(
        previous, status=plan.status, observed={lnk.id: lnk for lnk in links},
        generation=previous.generation if generation is None else generation,
        desired=want or previous.desired,
    )


def of_type(plan: VpcLinkPlan, kind: type) -> list[Any]:
    return [a for a in plan.actions if isinstance(a, kind)]


def deleted(plan: VpcLinkPlan) -> list[str]:
    return [a.link_id for a in of_type(plan, DeleteLink)]


def creates(plan: VpcLinkPlan) -> list[CreateLink]:
    return of_type(plan, CreateLink)


def event_reasons(plan: VpcLinkPlan) -> list[str]:
    return [e.reason for e in plan.events]


def conditions(plan: VpcLinkPlan) -> tuple[bool, bool, bool]:
    """(Ready, Reconciling, Stalled)."""
    return plan.health.ready.status, plan.health.reconciling.status, plan.health.stalled.status


def tracked_ids(st: VpcLinkStatus) -> set[str]:
    ids = set(st.retired_vpc_link_ids)
    if st.vpc_link_id:
        ids.add(st.vpc_link_id)
    if st.replacement:
        ids.add(st.replacement.vpc_link_id)
    return ids


READY = (True, False, False)
WORKING = (False, True, False)
SERVING_WHILE_WORKING = (True, True, False)
STALLED = (False, False, True)


# -- create and recovery after a crash -------------------------------------------------------------


def test_create_when_there_is_no_link_and_no_status() -> None:
    plan = plan_vpc_link(world(generation=3))

    assert [a.purpose for a in creates(plan)] == ["primary"]
    assert len(plan.actions) == 1
    assert conditions(plan) == WORKING
    assert plan.health.reconciling.reason == "Creating"
    assert plan.requeue and not plan.finished
    assert plan.status.vpc_link_id is None
    assert plan.status.observed_generation == 3


def test_links_of_other_owners_and_untagged_links_are_neither_adopted_nor_touched() -> None:
    foreign = link("foreign1", tags={OWNER_UID_TAG: "someone-else", "team": "shop"})
    untagged = link("untagged1", tags={})

    plan = plan_vpc_link(world(foreign, untagged))

    assert [a.purpose for a in creates(plan)] == ["primary"]
    assert len(plan.actions) == 1
    assert plan.status.vpc_link_id is None


def test_crash_after_create_adopts_the_owner_tagged_link_instead_of_creating_another() -> None:
    plan = plan_vpc_link(world(link("crash1", "PENDING")))

    assert creates(plan) == []
    assert plan.actions == []
    assert plan.status.vpc_link_id == "crash1"
    assert plan.status.vpc_link_status == "PENDING"
    assert conditions(plan) == WORKING


def test_two_owner_tagged_links_keep_one_and_delete_the_other() -> None:
    plan = plan_vpc_link(world(link("dupb", "AVAILABLE"), link("dupa", "AVAILABLE")))

    assert creates(plan) == []
    kept = plan.status.vpc_link_id
    assert kept in {"dupa", "dupb"}
    other = ({"dupa", "dupb"} - {kept}).pop()
    assert deleted(plan) == [other]
    assert plan.status.retired_vpc_link_ids == [other]
    assert plan.health.ready.status is True
    assert plan.requeue


def test_owner_tagged_link_that_is_deleting_is_not_adopted() -> None:
    plan = plan_vpc_link(world(link("going1", "DELETING")))

    assert [a.purpose for a in creates(plan)] == ["primary"]
    assert deleted(plan) == []


# -- PENDING, AVAILABLE, FAILED, INACTIVE -----------------------------------------------------------


@pytest.mark.parametrize(("api_type", "hint"), [("HTTP", "10 minutes"), ("REST", "2-4 minutes")])
def test_pending_link_is_reconciling_and_polled(api_type: str, hint: str) -> None:
    want = desired(api_type)
    plan = plan_vpc_link(world(link("pend1", "PENDING", like=want), want=want,
                               before=status("pend1", "PENDING")))

    assert plan.actions == []
    assert conditions(plan) == WORKING
    assert plan.health.reconciling.reason == "Pending"
    assert "pend1" in plan.health.reconciling.message and hint in plan.health.reconciling.message
    assert plan.requeue
    assert plan.events == []


def test_available_link_is_ready_and_announced_once_on_the_transition() -> None:
    w = world(link("av1", "AVAILABLE"), before=status("av1", "PENDING"))
    plan = plan_vpc_link(w)

    assert plan.actions == []
    assert conditions(plan) == READY
    assert plan.health.ready.reason == "Available"
    assert not plan.requeue
    assert [(e.type, e.reason) for e in plan.events] == [("Normal", "Available")]
    assert plan.status.vpc_link_status == "AVAILABLE"
    assert plan.status.status_message == "Your vpc link is ready for use"

    again = plan_vpc_link(next_pass(w, plan, link("av1", "AVAILABLE")))
    assert again.events == []
    assert again.actions == []
    assert conditions(again) == READY


def test_no_available_event_when_status_already_said_available() -> None:
    plan = plan_vpc_link(world(link("av1"), before=status("av1", "AVAILABLE")))

    assert plan.events == []
    assert conditions(plan) == READY


def test_failed_link_is_stalled_with_the_aws_message_verbatim_and_no_actions() -> None:
    failed = link("fail1", "FAILED", status_message=FAILED_MESSAGE)
    w = world(failed, before=status("fail1", "PENDING"), generation=2)
    plan = plan_vpc_link(w)

    assert plan.actions == []
    assert conditions(plan) == STALLED
    assert plan.health.stalled.reason == "Failed"
    assert FAILED_MESSAGE in plan.health.stalled.message
    assert plan.status.vpc_link_status == "FAILED"
    assert plan.status.status_message == FAILED_MESSAGE
    assert not plan.requeue
    warnings = [e for e in plan.events if e.type == "Warning"]
    assert [e.reason for e in warnings] == ["Failed"]
    assert FAILED_MESSAGE in warnings[0].message

    # The next pass with the same generation must not call AWS or warn again: no hot loop.
    again = plan_vpc_link(next_pass(w, plan, failed))
    assert again.actions == []
    assert again.events == []
    assert conditions(again) == STALLED
    assert not again.requeue


def test_failed_link_is_replaced_once_the_user_changes_an_immutable_field() -> None:
    failed = link("fail1", "FAILED", status_message=FAILED_MESSAGE)
    plan = plan_vpc_link(world(failed, want=NEW_SUBNETS, before=status("fail1", "FAILED", generation=1),
                               generation=2))

    assert [a.purpose for a in creates(plan)] == ["replacement"]
    # The user reacted and the operator is making progress: kstatus says Reconciling, not Stalled.
    assert plan.health.reconciling.status is True
    assert plan.health.stalled.status is False


def test_inactive_link_is_not_ready_stalled_and_explains_the_60_day_rule() -> None:
    plan = plan_vpc_link(world(link("idle1", "INACTIVE"), before=status("idle1", "AVAILABLE")))

    assert plan.actions == []
    assert conditions(plan) == STALLED
    assert plan.health.ready.reason == "Inactive"
    assert "60 days" in plan.health.ready.message
    assert "60 days" in plan.health.stalled.message
    assert [(e.type, e.reason) for e in plan.events] == [("Warning", "Inactive")]
    assert "60 days" in plan.events[0].message


# -- mutable changes: in place ------------------------------------------------------------------------


def test_name_change_is_an_update_in_place_not_a_replacement() -> None:
    plan = plan_vpc_link(world(link("l1", name="old-name"), before=status("l1", "AVAILABLE")))

    assert plan.actions == [UpdateLink("l1", "shop-orders", None)]
    assert plan.status.replacement is None
    assert plan.health.ready.status is True


def test_default_name_is_namespace_dash_name() -> None:
    plan = plan_vpc_link(world(link("l1", name="renamed-by-hand"), before=status("l1", "AVAILABLE")))

    assert of_type(plan, UpdateLink) == [UpdateLink("l1", "shop-orders", None)]


def test_tag_changes_tag_and_untag_in_place_and_never_touch_aws_tags() -> None:
    tags = {**DESIRED.tags, "team": "old-team", "stale": "x", "aws:cloudformation:stack-name": "stack"}
    plan = plan_vpc_link(world(link("l1", tags=tags), before=status("l1", "AVAILABLE")))

    assert of_type(plan, TagLink) == [TagLink("l1", {"team": "shop"})]
    assert of_type(plan, UntagLink) == [UntagLink("l1", ("stale",))]
    assert creates(plan) == [] and deleted(plan) == []
    assert plan.status.replacement is None
    assert plan.status.managed_tag_keys == sorted(DESIRED.tags)


def test_an_adopted_link_keeps_the_tags_the_operator_did_not_set() -> None:
    """Adopting adds keys; only keys recorded as the operator's own are ever removed from an adopted link."""
    want = desired(vpcLinkId="theirs1", tags={"team": "shop"})
    tags = {**want.tags, "cost-center": "1234", "stale": "x"}
    before = status("theirs1", "AVAILABLE").model_copy(update={"managed_tag_keys": [*want.tags, "stale"]})
    plan = plan_vpc_link(world(link("theirs1", like=want, tags=tags), want=want, before=before))

    assert of_type(plan, TagLink) == []
    assert of_type(plan, UntagLink) == [UntagLink("theirs1", ("stale",))]
    assert plan.status.managed_tag_keys == sorted(want.tags)
    assert "cost-center" not in plan.status.managed_tag_keys


def test_owner_tags_removed_out_of_band_are_set_back() -> None:
    plan = plan_vpc_link(world(link("l1", tags={"team": "shop"}), before=status("l1", "AVAILABLE")))

    assert of_type(plan, TagLink) == [TagLink("l1", {
        OWNER_UID_TAG: UID, OWNER_NAMESPACE_TAG: "shop", OWNER_NAME_TAG: "orders"})]
    assert of_type(plan, UntagLink) == []


def test_rest_description_change_is_an_update_in_place() -> None:
    want = desired("REST", description="orders v2")
    plan = plan_vpc_link(world(link("r1", like=want, description="orders v1"), want=want,
                               before=status("r1", "AVAILABLE")))

    assert plan.actions == [UpdateLink("r1", None, "orders v2")]


def test_order_of_subnets_is_not_a_change() -> None:
    want = desired(subnetIds=["subnet-b", "subnet-a"])
    plan = plan_vpc_link(world(link("l1"), want=want, before=status("l1", "AVAILABLE")))

    assert plan.actions == []
    assert conditions(plan) == READY


# -- immutable changes: replacement, create before destroy --------------------------------------------


@pytest.mark.parametrize(("old", "new", "field"), [
    (DESIRED, NEW_SUBNETS, "subnetIds"),
    (DESIRED, desired(securityGroupIds=["sg-1", "sg-2"]), "securityGroupIds"),
    (desired("REST"), desired("REST", targetArns=[OTHER_NLB]), "targetArns"),
])
def test_immutable_change_creates_a_replacement_and_leaves_the_old_link_serving(
        old: DesiredLink, new: DesiredLink, field: str) -> None:
    plan = plan_vpc_link(world(link("old1", like=old), want=new, before=status("old1", "AVAILABLE"), generation=2))

    assert creates(plan) == [CreateLink("replacement", creates(plan)[0].reason)]
    assert field in creates(plan)[0].reason
    assert plan.actions == creates(plan)  # the old link is untouched
    assert plan.status.vpc_link_id == "old1"
    assert conditions(plan) == SERVING_WHILE_WORKING
    assert plan.health.reconciling.reason == "Replacing"
    assert "Replacing" in event_reasons(plan)
    assert plan.requeue


def test_replacement_pending_keeps_serving_on_the_old_link() -> None:
    w = world(link("old1"), link("new1", "PENDING", like=NEW_SUBNETS), want=NEW_SUBNETS,
              before=status("old1", "AVAILABLE", generation=2, replacement=replacement("new1", "PENDING")),
              generation=2)
    plan = plan_vpc_link(w)

    assert plan.actions == []
    assert plan.status.vpc_link_id == "old1"
    assert plan.status.replacement == replacement("new1", "PENDING")
    assert conditions(plan) == SERVING_WHILE_WORKING
    assert plan.health.reconciling.reason == "Replacing"
    assert plan.requeue


@pytest.mark.parametrize("new_status", ["PENDING", "FAILED"])
def test_old_link_is_never_deleted_while_the_replacement_is_not_available(new_status: LinkState) -> None:
    plan = plan_vpc_link(world(
        link("old1"), link("new1", new_status, like=NEW_SUBNETS), want=NEW_SUBNETS,
        before=status("old1", "AVAILABLE", generation=2, replacement=replacement("new1")), generation=2))

    assert "old1" not in deleted(plan)
    assert plan.status.vpc_link_id == "old1"
    assert plan.health.ready.status is True


def test_replacement_available_swaps_and_deletes_the_old_link() -> None:
    plan = plan_vpc_link(world(
        link("old1"), link("new1", "AVAILABLE", like=NEW_SUBNETS), want=NEW_SUBNETS,
        before=status("old1", "AVAILABLE", generation=2, replacement=replacement("new1")), generation=2))

    assert plan.status.vpc_link_id == "new1"
    assert plan.status.vpc_link_status == "AVAILABLE"
    assert plan.status.replacement is None
    assert plan.status.retired_vpc_link_ids == ["old1"]
    assert deleted(plan) == ["old1"]
    assert creates(plan) == []
    assert plan.health.ready.status is True
    assert "Replaced" in event_reasons(plan)
    assert plan.requeue


def test_retired_link_still_used_by_an_integration_is_not_deleted_yet() -> None:
    plan = plan_vpc_link(world(
        link("old1"), link("new1", "AVAILABLE", like=NEW_SUBNETS), want=NEW_SUBNETS,
        before=status("old1", "AVAILABLE", generation=2, replacement=replacement("new1")), generation=2,
        still_used={"old1": ["shop/orders-api"]}))

    assert plan.status.vpc_link_id == "new1"
    assert plan.status.retired_vpc_link_ids == ["old1"]
    assert deleted(plan) == []
    assert conditions(plan) == SERVING_WHILE_WORKING
    assert plan.requeue


def test_retired_link_is_deleted_once_nothing_uses_it() -> None:
    plan = plan_vpc_link(world(link("old1"), link("new1", like=NEW_SUBNETS), want=NEW_SUBNETS,
                               before=status("new1", "AVAILABLE", generation=2, retired=["old1"]), generation=2,
                               still_used={"old1": []}))

    assert deleted(plan) == ["old1"]
    assert plan.status.retired_vpc_link_ids == ["old1"]


def test_retired_link_that_is_deleting_is_not_deleted_twice() -> None:
    plan = plan_vpc_link(world(link("old1", "DELETING"), link("new1", like=NEW_SUBNETS), want=NEW_SUBNETS,
                               before=status("new1", "AVAILABLE", generation=2, retired=["old1"]), generation=2))

    assert plan.actions == []
    assert plan.status.retired_vpc_link_ids == ["old1"]
    assert conditions(plan) == SERVING_WHILE_WORKING
    assert plan.requeue


def test_retired_link_that_is_gone_is_dropped_from_status() -> None:
    plan = plan_vpc_link(world(link("new1", like=NEW_SUBNETS), want=NEW_SUBNETS,
                               before=status("new1", "AVAILABLE", generation=2, retired=["old1"]), generation=2))

    assert plan.actions == []
    assert plan.status.retired_vpc_link_ids == []
    assert conditions(plan) == READY
    assert not plan.requeue


def test_replacement_failed_keeps_serving_on_the_old_link_and_deletes_the_failed_one() -> None:
    w = world(link("old1"), link("new1", "FAILED", like=NEW_SUBNETS, status_message=FAILED_MESSAGE),
              want=NEW_SUBNETS, generation=2,
              before=status("old1", "AVAILABLE", generation=2, replacement=replacement("new1")))
    plan = plan_vpc_link(w)

    assert plan.status.vpc_link_id == "old1"
    assert deleted(plan) == ["new1"]
    assert creates(plan) == []
    assert plan.health.ready.status is True
    assert plan.health.stalled.status is True
    assert plan.health.stalled.reason == "ReplacementFailed"
    assert FAILED_MESSAGE in plan.health.stalled.message
    assert plan.status.replacement is not None
    assert plan.status.replacement.vpc_link_status == "FAILED"
    assert plan.status.replacement.status_message == FAILED_MESSAGE
    assert [e.type for e in plan.events if e.reason == "ReplacementFailed"] == ["Warning"]

    # Same generation: the failed link is being deleted; nothing is created, nothing deleted twice.
    second = plan_vpc_link(next_pass(w, plan, link("old1"),
                                     link("new1", "DELETING", like=NEW_SUBNETS)))
    assert second.actions == []
    assert second.health.stalled.reason == "ReplacementFailed"
    assert second.status.vpc_link_id == "old1"

    # Same generation, the failed link is gone: still no new attempt, and no hot loop.
    third = plan_vpc_link(next_pass(w, second, link("old1")))
    assert third.actions == []
    assert third.health.stalled.status is True
    assert third.health.ready.status is True
    assert not third.requeue

    # The user changes the spec: a new attempt.
    fourth = plan_vpc_link(next_pass(w, third, link("old1"), generation=3, want=NEWER_SUBNETS))
    assert [a.purpose for a in creates(fourth)] == ["replacement"]
    assert fourth.health.stalled.status is False
    assert fourth.health.reconciling.status is True
    assert fourth.status.replacement is None  # the failed attempt is forgotten once retried


def test_replacement_failed_then_spec_changed_while_failed_link_still_exists_retires_it_and_retries() -> None:
    plan = plan_vpc_link(world(
        link("old1"), link("new1", "FAILED", like=NEW_SUBNETS, status_message=FAILED_MESSAGE),
        want=NEW_SUBNETS, generation=3,
        before=status("old1", "AVAILABLE", generation=2,
                      replacement=replacement("new1", "FAILED", message=FAILED_MESSAGE))))

    assert deleted(plan) == ["new1"]
    assert [a.purpose for a in creates(plan)] == ["replacement"]


def test_spec_reverted_mid_replacement_retires_the_replacement() -> None:
    plan = plan_vpc_link(world(
        link("old1"), link("new1", "PENDING", like=NEW_SUBNETS), want=DESIRED, generation=3,
        before=status("old1", "AVAILABLE", generation=2, replacement=replacement("new1"))))

    assert creates(plan) == []
    assert deleted(plan) == ["new1"]
    assert plan.status.vpc_link_id == "old1"
    assert plan.status.replacement is None
    assert plan.status.retired_vpc_link_ids == ["new1"]
    assert plan.health.ready.status is True
    assert plan.health.stalled.status is False


def test_spec_changed_again_mid_replacement_retires_it_and_creates_a_new_one() -> None:
    plan = plan_vpc_link(world(
        link("old1"), link("new1", "PENDING", like=NEW_SUBNETS), want=NEWER_SUBNETS, generation=3,
        before=status("old1", "AVAILABLE", generation=2, replacement=replacement("new1"))))

    assert deleted(plan) == ["new1"]
    assert [a.purpose for a in creates(plan)] == ["replacement"]
    assert "subnetIds" in creates(plan)[0].reason
    assert plan.status.vpc_link_id == "old1"
    assert "new1" in plan.status.retired_vpc_link_ids
    assert conditions(plan) == SERVING_WHILE_WORKING


def test_replacement_deleted_out_of_band_is_created_again() -> None:
    plan = plan_vpc_link(world(
        link("old1"), want=NEW_SUBNETS, generation=2,
        before=status("old1", "AVAILABLE", generation=2, replacement=replacement("new1"))))

    assert [a.purpose for a in creates(plan)] == ["replacement"]
    assert deleted(plan) == []
    assert plan.status.vpc_link_id == "old1"


def test_crash_after_creating_a_replacement_adopts_it_instead_of_creating_another() -> None:
    # CreateLink("replacement") returned new1, then the operator died before the status write:
    # status still shows no replacement, but AWS has a link carrying our owner tags and the new shape.
    plan = plan_vpc_link(world(link("old1"), link("new1", "PENDING", like=NEW_SUBNETS), want=NEW_SUBNETS,
                               before=status("old1", "AVAILABLE", generation=2), generation=2))

    assert creates(plan) == []
    assert plan.status.replacement is not None
    assert plan.status.replacement.vpc_link_id == "new1"


# -- adoption through spec.vpcLinkId ------------------------------------------------------------------


ADOPT = desired(vpcLinkId="theirs1")


def test_adopting_tags_the_link_and_never_creates_or_renames() -> None:
    theirs = link("theirs1", name="their-name", tags={"team": "shop"})
    plan = plan_vpc_link(world(theirs, want=ADOPT))

    assert creates(plan) == []
    assert of_type(plan, UpdateLink) == []
    assert of_type(plan, TagLink) == [TagLink("theirs1", {
        OWNER_UID_TAG: UID, OWNER_NAMESPACE_TAG: "shop", OWNER_NAME_TAG: "orders"})]
    assert plan.status.vpc_link_id == "theirs1"
    assert plan.health.ready.status is True


def test_adopting_with_spec_name_renames_the_link() -> None:
    want = desired(vpcLinkId="theirs1", name="orders-link")
    plan = plan_vpc_link(world(link("theirs1", like=want, name="their-name"), want=want))

    assert of_type(plan, UpdateLink) == [UpdateLink("theirs1", "orders-link", None)]


def test_adopted_link_that_does_not_exist_is_stalled() -> None:
    plan = plan_vpc_link(world(link("unrelated", tags={}), want=ADOPT))

    assert plan.actions == []
    assert conditions(plan) == STALLED
    assert plan.health.stalled.reason == "VpcLinkNotFound"
    assert "theirs1" in plan.health.stalled.message
    assert "spec.vpcLinkId" in plan.health.stalled.message


def test_adopted_link_deleted_out_of_band_is_not_recreated() -> None:
    plan = plan_vpc_link(world(want=ADOPT, before=status("theirs1", "AVAILABLE")))

    assert creates(plan) == []
    assert plan.health.stalled.reason == "VpcLinkNotFound"
    assert "DriftRecreated" not in event_reasons(plan)


def test_adopted_link_with_different_immutable_fields_is_stalled_and_not_replaced() -> None:
    theirs = link("theirs1", like=ADOPT, shape=NEW_SUBNETS.shape)
    plan = plan_vpc_link(world(theirs, want=ADOPT, before=status("theirs1", "AVAILABLE")))

    assert creates(plan) == []
    assert deleted(plan) == []
    assert plan.health.stalled.status is True
    assert plan.health.stalled.reason == "AdoptedLinkDiffers"
    assert "subnetIds" in plan.health.stalled.message
    assert "securityGroupIds" not in plan.health.stalled.message
    assert plan.health.ready.status is True  # it still serves
    assert plan.status.replacement is None


def test_switching_spec_vpc_link_id_to_another_link_is_stalled() -> None:
    want = desired(vpcLinkId="theirs2")
    plan = plan_vpc_link(world(link("theirs1", like=ADOPT), link("theirs2", like=want), want=want,
                               before=status("theirs1", "AVAILABLE"), generation=2))

    assert plan.actions == []
    assert plan.health.stalled.status is True
    assert plan.health.stalled.reason == "AdoptionChanged"
    assert "theirs1" in plan.health.stalled.message and "theirs2" in plan.health.stalled.message


def test_switching_spec_vpc_link_id_stays_stalled_on_the_next_pass() -> None:
    # The link it manages must stay in status, or the next pass silently adopts the new id.
    want = desired(vpcLinkId="theirs2")
    links = (link("theirs1", like=ADOPT), link("theirs2", like=want))
    w = world(*links, want=want, before=status("theirs1", "AVAILABLE"), generation=2)
    plan = plan_vpc_link(w)
    assert plan.status.vpc_link_id == "theirs1"

    again = plan_vpc_link(next_pass(w, plan, *links))
    assert again.health.stalled.reason == "AdoptionChanged"
    assert again.actions == []
    assert again.status.vpc_link_id == "theirs1"


def test_switching_from_an_operator_created_link_to_adoption_is_stalled() -> None:
    want = desired(vpcLinkId="theirs2")
    plan = plan_vpc_link(world(link("ours1"), link("theirs2", like=want), want=want,
                               before=status("ours1", "AVAILABLE"), generation=2))

    assert plan.actions == []
    assert plan.health.stalled.reason == "AdoptionChanged"


# -- drift ----------------------------------------------------------------------------------------------


def test_link_deleted_out_of_band_is_recreated_with_a_warning() -> None:
    plan = plan_vpc_link(world(before=status("gone1", "AVAILABLE")))

    assert [a.purpose for a in creates(plan)] == ["primary"]
    drift = [e for e in plan.events if e.reason == "DriftRecreated"]
    assert [e.type for e in drift] == ["Warning"]
    assert "gone1" in drift[0].message
    assert plan.health.ready.status is False
    assert plan.requeue


def test_link_being_deleted_out_of_band_is_waited_for() -> None:
    plan = plan_vpc_link(world(link("l1", "DELETING"), before=status("l1", "AVAILABLE")))

    assert plan.actions == []
    assert conditions(plan) == WORKING
    assert plan.status.vpc_link_status == "DELETING"
    assert plan.requeue


def test_crash_after_recreating_a_drifted_link_adopts_it_instead_of_creating_another() -> None:
    # gone1 was deleted out of band; the operator created new1 (owner-tagged) and died before the
    # status write. Status still names gone1: the tagged link must be found, not duplicated.
    plan = plan_vpc_link(world(link("new1", "PENDING"), before=status("gone1", "AVAILABLE")))

    assert creates(plan) == []
    assert plan.status.vpc_link_id == "new1"


def test_current_link_gone_mid_replacement_does_not_lose_track_of_the_replacement() -> None:
    plan = plan_vpc_link(world(
        link("new1", "PENDING", like=NEW_SUBNETS), want=NEW_SUBNETS, generation=2,
        before=status("old1", "AVAILABLE", generation=2, replacement=replacement("new1"))))

    # Every link the operator created stays in status (serving, replacement or retired) or is deleted.
    assert "new1" in tracked_ids(plan.status) | set(deleted(plan))


# -- deletion ------------------------------------------------------------------------------------------


def deletion(*links: ObservedLink, want: DesiredLink = DESIRED, before: VpcLinkStatus | None = None,
             dependants: Sequence[str] = ()) -> VpcLinkPlan:
    return plan_vpc_link(world(*links, want=want, before=before, deleting=True, dependants=dependants))


RETAIN = desired(deletionPolicy="Retain")


def test_deletion_waits_for_dependants_and_names_them() -> None:
    plan = deletion(link("l1"), before=status("l1", "AVAILABLE"), dependants=["shop/orders-api", "pay/checkout"])

    assert plan.actions == []
    assert not plan.finished
    assert plan.requeue
    assert "shop/orders-api" in plan.health.reconciling.message
    assert "pay/checkout" in plan.health.reconciling.message


def test_deletion_waiting_for_dependants_keeps_the_link_status_current() -> None:
    """Dependants wait for AVAILABLE: a link deleted while PENDING must not stay PENDING for them."""
    plan = deletion(link("l1"), before=status("l1", "PENDING"), dependants=["shop/orders-api"])

    assert plan.actions == []
    assert plan.status.vpc_link_status == "AVAILABLE"
    assert plan.health.ready.status


def test_deletion_deletes_current_replacement_retired_and_owner_tagged_links() -> None:
    plan = deletion(
        link("cur1"), link("rep1", "PENDING", like=NEW_SUBNETS), link("ret1"), link("orphan1"),
        link("foreign1", tags={OWNER_UID_TAG: "someone-else"}),
        before=status("cur1", "AVAILABLE", replacement=replacement("rep1"), retired=["ret1"]))

    assert sorted(deleted(plan)) == ["cur1", "orphan1", "rep1", "ret1"]
    assert len(plan.actions) == 4
    assert not plan.finished
    assert plan.requeue


def test_deletion_does_not_delete_links_that_are_already_deleting_and_waits_for_them() -> None:
    plan = deletion(link("cur1", "DELETING"), link("ret1", "DELETING"), link("rep1", like=NEW_SUBNETS),
                    before=status("cur1", "DELETING", replacement=replacement("rep1"), retired=["ret1"]))

    assert deleted(plan) == ["rep1"]
    assert not plan.finished

    waiting = deletion(link("cur1", "DELETING"),
                       before=status("cur1", "DELETING", replacement=replacement("rep1"), retired=["ret1"]))
    assert waiting.actions == []
    assert not waiting.finished
    assert waiting.requeue


def test_deletion_finishes_only_when_no_link_is_observed() -> None:
    plan = deletion(link("foreign1", tags={}), before=status("cur1", "AVAILABLE", retired=["ret1"]))

    assert plan.actions == []
    assert plan.finished


def test_deletion_of_a_resource_that_never_got_a_link_finishes() -> None:
    plan = deletion()

    assert plan.actions == []
    assert plan.finished


def test_retain_never_deletes_the_current_link_but_deletes_retired_and_replacement_links() -> None:
    plan = deletion(link("cur1"), link("rep1", "PENDING", like=NEW_SUBNETS), link("ret1"), want=RETAIN,
                    before=status("cur1", "AVAILABLE", replacement=replacement("rep1"), retired=["ret1"]),
                    dependants=["shop/orders-api"])

    assert sorted(deleted(plan)) == ["rep1", "ret1"]
    assert "cur1" not in deleted(plan)

    done = deletion(link("cur1"), want=RETAIN,
                    before=status("cur1", "AVAILABLE", replacement=replacement("rep1"), retired=["ret1"]))
    assert done.actions == []
    assert done.finished


def test_retain_keeps_an_adopted_link() -> None:
    want = desired(vpcLinkId="theirs1", deletionPolicy="Retain")
    plan = deletion(link("theirs1", like=want), want=want, before=status("theirs1", "AVAILABLE"))

    assert plan.actions == []
    assert plan.finished


@pytest.mark.parametrize("recorded", [None, "theirs1"])
def test_adopted_link_with_delete_policy_is_deleted(recorded: str | None) -> None:
    plan = deletion(link("theirs1", like=ADOPT, tags={}), want=ADOPT,
                    before=status(recorded, "AVAILABLE" if recorded else None))

    assert deleted(plan) == ["theirs1"]
    assert not plan.finished


def test_no_link_is_deleted_twice_in_one_plan() -> None:
    # The current link is also owner-tagged and listed in status twice over; one DeleteLink.
    plan = deletion(link("cur1"), before=status("cur1", "AVAILABLE", retired=["cur1"]))

    assert deleted(plan) == ["cur1"]


# -- invariants across every scenario above ----------------------------------------------------------


def _all_worlds() -> Iterable[VpcLinkWorld]:
    yield world()
    yield world(link("l1", "PENDING"), before=status("l1", "PENDING"))
    yield world(link("old1"), link("new1", "AVAILABLE", like=NEW_SUBNETS), want=NEW_SUBNETS,
                before=status("old1", "AVAILABLE", replacement=replacement("new1")))
    yield world(link("l1", "FAILED"), before=status("l1", "FAILED"))
    yield world(link("l1", "INACTIVE"), before=status("l1", "INACTIVE"))
    yield world(want=ADOPT)


@pytest.mark.parametrize("w", list(_all_worlds()))
def test_conditions_never_contradict_and_generation_is_observed(w: VpcLinkWorld) -> None:
    plan = plan_vpc_link(w)

    assert not (plan.health.reconciling.status and plan.health.stalled.status)
    assert plan.status.observed_generation == w.generation
    for cond in plan.health.as_list():
        assert cond.reason and cond.reason[0].isupper() and " " not in cond.reason


# -- ownership (issue 9) -----------------------------------------------------------------------------

OTHER_OWNER = {OWNER_UID_TAG: "uid-of-b", OWNER_NAMESPACE_TAG: "team-b", OWNER_NAME_TAG: "their-link"}


def test_adopting_a_link_another_live_vpclink_manages_is_refused_and_changes_nothing() -> None:
    theirs = link("theirs1", tags={**OTHER_OWNER, "team": "b"})
    plan = plan_vpc_link(dataclasses.replace(world(theirs, want=ADOPT), live_owner_uids=frozenset({"uid-of-b", UID})))

    assert plan.actions == []
    assert conditions(plan) == STALLED
    assert plan.health.stalled.reason == "AdoptionRefused"
    assert plan.health.stalled.message.startswith(
        "spec.vpcLinkId: link theirs1 is managed by VpcLink team-b/their-link")
    assert plan.status.vpc_link_id is None, "never recorded as ours, so deleting this object cannot delete it"
    assert not plan.requeue


def test_a_link_whose_owner_is_gone_may_be_adopted() -> None:
    theirs = link("theirs1", tags={**OTHER_OWNER, "team": "b"})
    plan = plan_vpc_link(dataclasses.replace(world(theirs, want=ADOPT), live_owner_uids=frozenset({UID})))

    assert plan.status.vpc_link_id == "theirs1"
    assert of_type(plan, TagLink) == [TagLink("theirs1", {**ADOPT.tags})]
    assert of_type(plan, UntagLink) == [], "the old owner's keys are overwritten, 'team' is kept"


def test_deletion_never_deletes_a_link_that_carries_another_objects_owner_tags() -> None:
    want = desired(vpcLinkId="theirs1")
    plan = deletion(link("theirs1", like=want, tags={**OTHER_OWNER}), want=want)

    assert plan.actions == []
    assert plan.finished


@pytest.mark.parametrize(("api_type", "message", "field"), [
    ("REST", FAILED_MESSAGE, "spec.targetArns"),
    ("HTTP", "Subnet subnet-a is in an unsupported Availability Zone", "spec.subnetIds"),
    ("HTTP", "Security group sg-1 does not exist", "spec.securityGroupIds"),
])
def test_failed_names_the_field_the_reason_belongs_to(api_type: str, message: str, field: str) -> None:
    want = desired(api_type)
    plan = plan_vpc_link(world(link("l1", "FAILED", like=want, status_message=message), want=want,
                               before=status("l1", "FAILED")))

    assert plan.health.stalled.reason == "Failed"
    assert plan.health.stalled.message == f"{field}: AWS reports link l1 FAILED: {message}"


# -- pre-flight is an observation: the planner decides whether a create goes ahead ----------------


def test_a_create_is_planned_before_pre_flight_is_known_and_refused_once_it_finds_a_problem() -> None:
    first = plan_vpc_link(world())
    assert [c.purpose for c in creates(first)] == ["primary"]  # the reconcile now checks, then plans again

    problem = "spec.subnetIds: subnet subnet-b does not exist in us-east-2"
    refused = plan_vpc_link(dataclasses.replace(world(), preflight=PreflightVerdict(problem=problem)))
    assert refused.actions == []
    assert conditions(refused) == (False, False, True)
    assert (refused.health.stalled.reason, refused.health.stalled.message) == ("PreflightFailed", problem)
    assert event_reasons(refused) == ["PreflightFailed"] and not refused.requeue


def test_a_refused_replacement_keeps_serving_on_the_current_link_and_says_why() -> None:
    problem = "spec.subnetIds: subnet subnet-c is in no zone that HTTP VPC links support"
    plan = plan_vpc_link(dataclasses.replace(world(link("old"), want=NEW_SUBNETS, before=status("old", "AVAILABLE"),
                                                   generation=2), preflight=PreflightVerdict(problem=problem)))
    assert plan.actions == [] and plan.status.vpc_link_id == "old" and plan.status.replacement is None
    assert conditions(plan) == (True, False, True)
    assert plan.health.stalled.reason == "PreflightFailed" and "Replacing" not in event_reasons(plan)


def test_what_pre_flight_could_not_check_is_said_with_the_create() -> None:
    warning = "us-west-9 is not in the table of zones HTTP VPC links support; not verified"
    plan = plan_vpc_link(dataclasses.replace(world(), preflight=PreflightVerdict(warning=warning)))
    assert [c.purpose for c in creates(plan)] == ["primary"]
    assert event_reasons(plan) == ["PreflightUnverified"] and plan.unverified == warning
    steady = plan_vpc_link(dataclasses.replace(world(link("l-1"), before=status("l-1", "AVAILABLE")),
                                               preflight=PreflightVerdict(warning=warning)))
    assert steady.unverified is None  # nothing created: nothing to say
