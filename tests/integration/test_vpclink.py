"""VpcLink end to end: the real operator, the real kube-apiserver, the emulator over HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest

from conftest import Network, apply, condition, events, get, vpclink, wait_for

pytestmark = pytest.mark.integration
OWNER_UID_TAG = "vpclink.dev/owner-uid"


def http_link(network: Network, name: str = "orders", **extra: Any) -> dict[str, Any]:
    return vpclink(name, apiType="HTTP", subnetIds=network.subnets[:2],
                   securityGroupIds=network.security_groups[:1], tags={"team": "shop"}, **extra)


def rest_link(network: Network, name: str = "legacy", **extra: Any) -> dict[str, Any]:
    return vpclink(name, apiType="REST", targetArns=[network.nlb_arn], description="seed 001", **extra)


def wait_ready(kubectl: Any, ns: str, name: str) -> dict[str, Any]:
    kubectl("wait", "--for=condition=Ready", f"vl/{name}", "-n", ns, "--timeout=60s", timeout=70)
    return get(kubectl, ns, "vl", name)


def writes(emulator: Any, operation: str) -> list[dict[str, Any]]:
    return [c for c in emulator.control.calls(operation=operation) if c["status"] < 400]


def test_http_link_goes_pending_then_ready_with_owner_tags(kubectl, namespace, operator, network, aws, emulator):
    apply(kubectl, namespace, http_link(network))
    link_id = wait_for(lambda: get(kubectl, namespace, "vl", "orders").get("status", {}).get("vpcLinkId"),
                       what="status.vpcLinkId")
    pending = get(kubectl, namespace, "vl", "orders")
    if pending["status"]["vpcLinkStatus"] == "PENDING":  # the emulator keeps it PENDING for ~1.5 s
        assert condition(pending, "Reconciling")["status"] == "True"
        assert condition(pending, "Ready")["status"] == "False"

    obj = wait_ready(kubectl, namespace, "orders")
    assert obj["status"]["vpcLinkId"] == link_id
    assert obj["status"]["vpcLinkStatus"] == "AVAILABLE"
    assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
    assert all(c["observedGeneration"] == obj["metadata"]["generation"] for c in obj["status"]["conditions"])
    assert condition(obj, "Stalled")["status"] == "False"
    assert condition(obj, "Reconciling")["status"] == "False"

    link = aws("apigatewayv2").get_vpc_link(VpcLinkId=link_id)
    assert link["Name"] == f"{namespace}-orders"
    assert link["Tags"][OWNER_UID_TAG] == obj["metadata"]["uid"]
    assert link["Tags"]["vpclink.dev/owner-namespace"] == namespace
    assert link["Tags"]["team"] == "shop"
    assert sorted(link["SubnetIds"]) == sorted(network.subnets[:2])
    assert len(writes(emulator, "CreateVpcLink")) == 1
    reasons = [e["reason"] for e in events(kubectl, namespace, "orders")]
    assert "Created" in reasons and "Available" in reasons


def test_rest_link_failed_is_stalled_with_aws_message_and_no_hot_loop(kubectl, namespace, operator, network, emulator):
    # Seed 001: a second link on an NLB that already serves a VPC endpoint service goes FAILED.
    apply(kubectl, namespace, rest_link(network, "first"))
    wait_ready(kubectl, namespace, "first")
    apply(kubectl, namespace, rest_link(network, "second"))
    obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "second"))
                   and condition(o, "Stalled").get("status") == "True" and o, timeout=30, what="Stalled")
    assert obj["status"]["vpcLinkStatus"] == "FAILED"
    assert obj["status"]["statusMessage"] == "NLB is already associated with another VPC Endpoint Service"
    assert "NLB is already associated with another VPC Endpoint Service" in condition(obj, "Stalled")["message"]
    assert condition(obj, "Ready")["status"] == "False"
    assert condition(obj, "Ready")["reason"] == "Failed"
    assert any(e["type"] == "Warning" and e["reason"] == "Failed" for e in events(kubectl, namespace, "second"))

    # No hot loop: over several resync periods, no write and no per-object GET for the failed link.
    before = len(emulator.control.calls())
    since = time.time()
    time.sleep(9)  # > 2 resync intervals (4 s) of the operator under test
    later = [c for c in emulator.control.calls(since=since)
             if c["operation"] not in ("GetVpcLinks",)]  # the shared list is the only allowed call
    assert later == [], later
    assert len(emulator.control.calls()) - before <= 4  # at most ~one shared list per resync


def test_inactive_link_is_surfaced(kubectl, namespace, operator, network, emulator):
    apply(kubectl, namespace, http_link(network))
    link_id = wait_ready(kubectl, namespace, "orders")["status"]["vpcLinkId"]
    emulator.control.set_link_state(link_id, "INACTIVE")
    obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "orders"))
                   and condition(o, "Ready").get("reason") == "Inactive" and o, what="Inactive")
    assert obj["status"]["vpcLinkStatus"] == "INACTIVE"
    assert condition(obj, "Ready")["status"] == "False"
    assert "60 days" in condition(obj, "Ready")["message"]
    assert any(e["type"] == "Warning" and e["reason"] == "Inactive" for e in events(kubectl, namespace, "orders"))


def test_mutable_changes_update_in_place(kubectl, namespace, operator, network, aws, emulator):
    apply(kubectl, namespace, rest_link(network))
    link_id = wait_ready(kubectl, namespace, "legacy")["status"]["vpcLinkId"]
    apply(kubectl, namespace, vpclink("legacy", apiType="REST", targetArns=[network.nlb_arn], name="legacy-v2",
                                      description="renamed", tags={"team": "payments"}))

    def updated() -> bool:
        link = aws("apigateway").get_vpc_link(vpcLinkId=link_id)
        return link["name"] == "legacy-v2" and link.get("description") == "renamed" \
            and link["tags"].get("team") == "payments"
    wait_for(updated, what="name, description and tags updated in place")
    assert get(kubectl, namespace, "vl", "legacy")["status"]["vpcLinkId"] == link_id
    assert len(writes(emulator, "CreateVpcLink")) == 1

    # Drift: tags changed out of band are set back.
    aws("apigateway").tag_resource(resourceArn=f"arn:aws:apigateway:us-east-1::/vpclinks/{link_id}",
                                   tags={"team": "someone-else", "extra": "x"})
    wait_for(lambda: aws("apigateway").get_vpc_link(vpcLinkId=link_id)["tags"].get("team") == "payments"
             and "extra" not in aws("apigateway").get_vpc_link(vpcLinkId=link_id)["tags"],
             timeout=30, what="tag drift reverted")


def test_immutable_change_replaces_create_before_destroy(kubectl, namespace, operator, network, aws, held_pending):
    emulator = held_pending
    apply(kubectl, namespace, http_link(network))
    old_id = wait_ready(kubectl, namespace, "orders")["status"]["vpcLinkId"]
    emulator.control.configure(link_pending_seconds=86400)  # the new link stays PENDING until released
    emulator.control.reset_calls()
    changed = http_link(network)
    changed["spec"]["subnetIds"] = network.subnets[1:3]
    apply(kubectl, namespace, changed)

    obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "orders")) and o["status"].get("replacement") and o,
                   what="status.replacement")
    new_id = obj["status"]["replacement"]["vpcLinkId"]
    assert new_id != old_id
    assert "subnetIds" in obj["status"]["replacement"]["reason"]
    time.sleep(3)
    obj = get(kubectl, namespace, "vl", "orders")
    assert obj["status"]["vpcLinkId"] == old_id, "never swap before the new link is AVAILABLE"
    assert condition(obj, "Ready")["status"] == "True", "still serving on the old link"
    assert condition(obj, "Reconciling")["status"] == "True"
    assert writes(emulator, "DeleteVpcLink") == [], "the old link must outlive a PENDING replacement"
    assert aws("apigatewayv2").get_vpc_link(VpcLinkId=old_id)["VpcLinkStatus"] == "AVAILABLE"

    emulator.control.set_link_state(new_id, "AVAILABLE")
    wait_for(lambda: get(kubectl, namespace, "vl", "orders")["status"]["vpcLinkId"] == new_id, what="swap")
    ids = lambda: {link["VpcLinkId"] for link in aws("apigatewayv2").get_vpc_links()["Items"]}
    wait_for(lambda: old_id not in ids(), timeout=30, what="old link deleted")
    obj = wait_ready(kubectl, namespace, "orders")
    wait_for(lambda: not get(kubectl, namespace, "vl", "orders")["status"].get("retiredVpcLinkIds"),
             what="retired list emptied")
    assert obj["status"].get("replacement") is None
    creates = writes(emulator, "CreateVpcLink")
    deletes = writes(emulator, "DeleteVpcLink")
    assert len(creates) == 1 and len(deletes) == 1
    assert creates[0]["time"] < deletes[0]["time"]
    reasons = [e["reason"] for e in events(kubectl, namespace, "orders")]
    assert "Replacing" in reasons and "Replaced" in reasons


def test_failed_replacement_keeps_serving_on_old_link(kubectl, namespace, operator, network, aws, held_pending):
    emulator = held_pending
    apply(kubectl, namespace, http_link(network))
    old_id = wait_ready(kubectl, namespace, "orders")["status"]["vpcLinkId"]
    emulator.control.configure(link_pending_seconds=86400)  # the new link cannot swap in before it FAILs
    changed = http_link(network)
    changed["spec"]["securityGroupIds"] = network.security_groups[1:]
    apply(kubectl, namespace, changed)
    new_id = wait_for(lambda: get(kubectl, namespace, "vl", "orders")["status"].get("replacement", {}).get("vpcLinkId"),
                      what="replacement")
    emulator.control.set_link_state(new_id, "FAILED", "ENI limit reached")
    obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "orders"))
                   and condition(o, "Stalled").get("status") == "True" and o, what="Stalled")
    assert condition(obj, "Stalled")["reason"] == "ReplacementFailed"
    assert "ENI limit reached" in condition(obj, "Stalled")["message"]
    assert obj["status"]["vpcLinkId"] == old_id
    assert condition(obj, "Ready")["status"] == "True"
    ids = lambda: {link["VpcLinkId"] for link in aws("apigatewayv2").get_vpc_links()["Items"]}
    wait_for(lambda: new_id not in ids(), timeout=30, what="failed replacement deleted")
    assert old_id in ids()
    creates_before = len(writes(emulator, "CreateVpcLink"))
    time.sleep(6)
    assert len(writes(emulator, "CreateVpcLink")) == creates_before, "no retry loop until the spec changes"


def test_adopted_link_is_tagged_not_recreated_and_retained(kubectl, namespace, operator, network, aws, emulator):
    existing = aws("apigateway").create_vpc_link(name="hand-made", targetArns=[network.nlb_arn])["id"]
    emulator.control.set_link_state(existing, "AVAILABLE")
    emulator.control.reset_calls()
    apply(kubectl, namespace, vpclink("adopted", apiType="REST", targetArns=[network.nlb_arn],
                                      vpcLinkId=existing, deletionPolicy="Retain"))
    obj = wait_ready(kubectl, namespace, "adopted")
    assert obj["status"]["vpcLinkId"] == existing
    link = wait_for(lambda: (lk := aws("apigateway").get_vpc_link(vpcLinkId=existing))
                    and lk.get("tags", {}).get(OWNER_UID_TAG) and lk, what="owner tags")
    assert link["name"] == "hand-made", "an adopted link keeps its name unless spec.name is set"
    assert writes(emulator, "CreateVpcLink") == []

    kubectl("delete", "vl", "adopted", "-n", namespace, "--timeout=60s")
    assert aws("apigateway").get_vpc_link(vpcLinkId=existing)["status"] == "AVAILABLE"
    assert writes(emulator, "DeleteVpcLink") == []


def test_adopted_link_with_other_target_is_stalled(kubectl, namespace, operator, network, aws, emulator):
    existing = aws("apigateway").create_vpc_link(name="hand-made", targetArns=[network.nlb_arn])["id"]
    emulator.control.reset_calls()
    apply(kubectl, namespace, vpclink("adopted", apiType="REST", targetArns=[network.second_nlb_arn],
                                      vpcLinkId=existing))
    obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "adopted"))
                   and condition(o, "Stalled").get("status") == "True" and o, what="Stalled")
    assert condition(obj, "Stalled")["reason"] == "AdoptedLinkDiffers"
    assert "spec.targetArns" in condition(obj, "Stalled")["message"]
    assert writes(emulator, "CreateVpcLink") == []


def test_delete_waits_through_deleting_until_gone(kubectl, namespace, operator, network, aws, emulator):
    apply(kubectl, namespace, http_link(network))
    link_id = wait_ready(kubectl, namespace, "orders")["status"]["vpcLinkId"]
    kubectl("delete", "vl", "orders", "-n", namespace, "--wait=false")
    wait_for(lambda: not get(kubectl, namespace, "vl", "orders"), timeout=60, what="finalizer released")
    assert link_id not in {link["VpcLinkId"] for link in aws("apigatewayv2").get_vpc_links()["Items"]}
    assert len(writes(emulator, "DeleteVpcLink")) == 1


def test_deletion_waits_for_private_integrations(kubectl, namespace, operator, network, aws):
    apply(kubectl, namespace, rest_link(network))
    link_id = wait_ready(kubectl, namespace, "legacy")["status"]["vpcLinkId"]
    apply(kubectl, namespace, {
        "apiVersion": "apigateway.vpclink.dev/v1alpha1", "kind": "PrivateIntegration",
        "metadata": {"name": "orders-api"},
        "spec": {"vpcLinkRef": {"name": "legacy"},
                 "rest": {"restApiId": "6j4m3244we", "resourcePath": "/", "httpMethod": "GET",
                          "integrationHttpMethod": "GET", "uri": "http://orders.internal.example.com/"}},
    })
    kubectl("delete", "vl", "legacy", "-n", namespace, "--wait=false")
    obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "legacy"))
                   and condition(o, "Reconciling").get("reason") == "WaitingForDependants" and o,
                   what="deletion waiting for dependants")
    assert f"{namespace}/orders-api" in condition(obj, "Reconciling")["message"]
    assert aws("apigateway").get_vpc_link(vpcLinkId=link_id)["status"] == "AVAILABLE"
    kubectl("delete", "pi", "orders-api", "-n", namespace)
    wait_for(lambda: not get(kubectl, namespace, "vl", "legacy"), timeout=60, what="deleted after dependant left")


def test_link_deleted_out_of_band_is_recreated(kubectl, namespace, operator, network, aws):
    apply(kubectl, namespace, http_link(network))
    old_id = wait_ready(kubectl, namespace, "orders")["status"]["vpcLinkId"]
    aws("apigatewayv2").delete_vpc_link(VpcLinkId=old_id)
    new_id = wait_for(lambda: (i := get(kubectl, namespace, "vl", "orders")["status"].get("vpcLinkId")) != old_id
                      and i, timeout=40, what="a new link")
    assert new_id
    assert any(e["type"] == "Warning" and e["reason"] == "DriftRecreated" for e in events(kubectl, namespace, "orders"))
    wait_ready(kubectl, namespace, "orders")


def test_preflight_failure_names_the_field_and_creates_nothing(kubectl, namespace, operator, network, emulator):
    apply(kubectl, namespace, vpclink("bad-az", apiType="HTTP",
                                      subnetIds=[network.subnets[0], network.unsupported_subnet]))
    obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "bad-az"))
                   and condition(o, "Stalled").get("status") == "True" and o, what="Stalled")
    message = condition(obj, "Stalled")["message"]
    assert condition(obj, "Stalled")["reason"] == "PreflightFailed"
    assert "spec.subnetIds" in message and network.unsupported_subnet in message and "use1-az3" in message
    apply(kubectl, namespace, vpclink("bad-nlb", apiType="REST", targetArns=[
        network.alb_arn.replace("loadbalancer/app/", "loadbalancer/net/").replace("alb-a", "missing")]))
    obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "bad-nlb"))
                   and condition(o, "Stalled").get("status") == "True" and o, what="Stalled")
    assert "spec.targetArns" in condition(obj, "Stalled")["message"]
    assert writes(emulator, "CreateVpcLink") == []


def test_kill9_between_create_and_status_write_leaves_exactly_one_link(kubectl, namespace, operator, network, aws,
                                                                      emulator):
    # AWS creates the link at once but answers 4 s later: a kill -9 in that window loses the answer.
    emulator.control.inject_fault("latency", latency_ms=4000, phase="after", operations=["CreateVpcLink"], count=1)
    apply(kubectl, namespace, http_link(network))
    uid = get(kubectl, namespace, "vl", "orders")["metadata"]["uid"]

    def owned() -> list[str]:
        return [link["VpcLinkId"] for link in aws("apigatewayv2").get_vpc_links()["Items"]
                if link.get("Tags", {}).get(OWNER_UID_TAG) == uid]
    wait_for(owned, timeout=30, interval=0.05, what="the link to exist in AWS")
    operator.kill9()
    assert "vpcLinkId" not in get(kubectl, namespace, "vl", "orders").get("status", {}), \
        "the crash window was missed: the id reached status before the kill"

    operator.start()
    obj = wait_ready(kubectl, namespace, "orders")
    assert owned() == [obj["status"]["vpcLinkId"]]
    time.sleep(3)  # several more passes of the restarted operator
    assert owned() == [obj["status"]["vpcLinkId"]]
    assert [c["operation"] for c in emulator.control.calls(operation="CreateVpcLink")] == ["CreateVpcLink"]


def test_retired_link_referenced_outside_the_operator_is_stalled_until_released(kubectl, namespace, operator,
                                                                                network, aws, emulator):
    apply(kubectl, namespace, http_link(network))
    old_id = wait_ready(kubectl, namespace, "orders")["status"]["vpcLinkId"]
    v2 = aws("apigatewayv2")
    api = v2.create_api(Name="unmanaged", ProtocolType="HTTP")["ApiId"]
    listener = aws("elbv2").create_listener(LoadBalancerArn=network.alb_arn, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])["Listeners"][0]["ListenerArn"]
    integration = v2.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                        IntegrationUri=listener, ConnectionType="VPC_LINK", ConnectionId=old_id,
                                        PayloadFormatVersion="1.0")["IntegrationId"]
    changed = http_link(network)
    changed["spec"]["subnetIds"] = network.subnets[1:3]
    apply(kubectl, namespace, changed)

    # Issue 9: no integration the operator knows uses the old link any more, so the reference is held
    # outside it: Stalled (still serving on the new link), naming what AWS names, rechecked at resync.
    obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "orders"))
                   and condition(o, "Stalled").get("reason") == "ReferencedOutsideOperator"
                   and condition(o, "Stalled").get("status") == "True" and o,
                   timeout=40, what="ReferencedOutsideOperator")
    new_id = obj["status"]["vpcLinkId"]
    assert new_id != old_id and obj["status"]["retiredVpcLinkIds"] == [old_id]
    assert (f"link {old_id} is still referenced outside the operator by an HTTP API integration used by "
            f"ANY integrations/{integration}") in condition(obj, "Stalled")["message"]
    assert condition(obj, "Ready")["status"] == "True"
    assert v2.get_vpc_link(VpcLinkId=old_id)["VpcLinkStatus"] == "AVAILABLE"

    v2.update_integration(ApiId=api, IntegrationId=integration, ConnectionId=new_id)
    ids = lambda: {link["VpcLinkId"] for link in v2.get_vpc_links()["Items"]}
    wait_for(lambda: old_id not in ids(), timeout=40, what="old link deleted once unreferenced")
    wait_for(lambda: not get(kubectl, namespace, "vl", "orders")["status"].get("retiredVpcLinkIds"),
             what="retired list emptied")


def test_throttling_is_retried_until_the_link_exists(kubectl, namespace, operator, network, aws, emulator):
    emulator.control.inject_fault("throttle", operations=["CreateVpcLink"], count=4)
    apply(kubectl, namespace, http_link(network))
    obj = wait_ready(kubectl, namespace, "orders")
    calls = emulator.control.calls(operation="CreateVpcLink")
    assert any(c["status"] == 429 for c in calls)
    assert [c for c in calls if c["status"] < 300] != []
    uid = obj["metadata"]["uid"]
    owned = [link for link in aws("apigatewayv2").get_vpc_links()["Items"] if link["Tags"].get(OWNER_UID_TAG) == uid]
    assert [link["VpcLinkId"] for link in owned] == [obj["status"]["vpcLinkId"]]


def test_quota_error_is_stalled_with_the_aws_text(kubectl, namespace, operator, network, aws, emulator):
    v2 = aws("apigatewayv2")
    for i in range(10):  # the emulator enforces AWS's 10 HTTP VPC links per region
        v2.create_vpc_link(Name=f"filler-{i}", SubnetIds=network.subnets[:1])
    apply(kubectl, namespace, http_link(network))
    obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "orders"))
                   and condition(o, "Stalled").get("status") == "True" and o, what="Stalled")
    assert condition(obj, "Stalled")["reason"] == "AwsRejected"
    assert "LimitExceededException" in condition(obj, "Stalled")["message"]
    assert any(e["type"] == "Warning" and e["reason"] == "AwsRejected" for e in events(kubectl, namespace, "orders"))


def test_region_missing_from_the_zone_table_is_created_with_one_warning(kubectl, namespace, operator, aws, emulator):
    # eu-south-1 has HTTP API VPC links today but is not in seed 000's table: AWS decides, we say so once.
    ec2 = aws("ec2", "eu-south-1")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"eu-south-1{zone}")
               ["Subnet"]["SubnetId"] for i, zone in enumerate("ab")]
    apply(kubectl, namespace, vpclink("milan", apiType="HTTP", region="eu-south-1", subnetIds=subnets))
    wait_ready(kubectl, namespace, "milan")
    warnings = [e for e in events(kubectl, namespace, "milan") if e["reason"] == "PreflightUnverified"]
    assert len(warnings) == 1 and warnings[0]["type"] == "Warning" and warnings[0].get("count", 1) == 1
    assert "spec.region" in warnings[0]["message"] and "eu-south-1" in warnings[0]["message"]
    assert len(writes(emulator, "CreateVpcLink")) == 1
