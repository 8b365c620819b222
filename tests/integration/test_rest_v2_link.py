"""REST APIs through a VPC link V2 (issue 12): the real operator, kube-apiserver and emulator.

A REST PrivateIntegration on an HTTP-type VpcLink names its ALB in spec.rest.integrationTarget; moving
one from a REST-type (V1) VpcLink to an HTTP-type one is sampled every 50 ms to show that what the stage
serves never points at a link that is not AVAILABLE, nor at a V2 link without its target.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from conftest import Network, apply, condition, get, vpclink, wait_for

pytestmark = pytest.mark.integration
GROUP = "apigateway.vpclink.dev/v1alpha1"
URI = "http://orders.internal.example.com/orders"


def integration(name: str, link: str, api: str, **rest: Any) -> dict[str, Any]:
    return {"apiVersion": GROUP, "kind": "PrivateIntegration", "metadata": {"name": name}, "spec": {
        "vpcLinkRef": {"name": link}, "rest": {
            "restApiId": api, "resourcePath": "/orders", "httpMethod": "GET", "integrationHttpMethod": "GET",
            "uri": URI, "stages": ["test"], **rest}}}


def wait_ready(kubectl: Any, ns: str, kind: str, name: str, timeout: int = 60) -> dict[str, Any]:
    kubectl("wait", "--for=condition=Ready", f"{kind}/{name}", "-n", ns, f"--timeout={timeout}s", timeout=timeout + 10)
    return get(kubectl, ns, kind, name)


def stalled(kubectl: Any, ns: str, name: str, reason: str, timeout: float = 30) -> dict[str, Any]:
    return wait_for(lambda: (o := get(kubectl, ns, "pi", name)) and condition(o, "Stalled").get("reason") == reason
                    and condition(o, "Stalled").get("status") == "True" and o, timeout=timeout,
                    what=f"pi/{name} Stalled {reason}")


def alb(aws: Any, network: Network, name: str, *, admit: bool = True, vpc: str | None = None) -> str:
    """An internal ALB listening on 80; its security group admits the link's group (network.security_groups[0])."""
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    vpc_id = vpc or network.vpc_id
    subnets = network.subnets[:2]
    if vpc is not None:
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.99.{i}.0/24", AvailabilityZone=zone)["Subnet"]
                   ["SubnetId"] for i, zone in enumerate(["us-east-1a", "us-east-1b"])]
    group = ec2.create_security_group(GroupName=f"{name}-sg", Description="alb", VpcId=vpc_id)["GroupId"]
    if admit:
        allow(aws, group, network.security_groups[0])
    arn = str(elbv2.create_load_balancer(Name=name, Subnets=subnets, SecurityGroups=[group], Type="application",
                                         Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"])
    elbv2.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])
    return arn


def methods_of(aws: Any, api: str, resource_id: str) -> dict[str, Any]:
    resources = aws("apigateway").get_resources(restApiId=api, embed=["methods"])["items"]
    return dict(next(r for r in resources if r["id"] == resource_id).get("resourceMethods") or {})


def allow(aws: Any, group: str, source_group: str) -> None:
    aws("ec2").authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": source_group}]}])


@pytest.fixture
def v2_link(kubectl, namespace, operator, network) -> str:
    apply(kubectl, namespace, vpclink("v2", apiType="HTTP", subnetIds=network.subnets[:2],
                                      securityGroupIds=network.security_groups[:1]))
    obj = wait_ready(kubectl, namespace, "vl", "v2")
    assert obj["status"]["vpcLinkVersion"] == "V2"
    return str(obj["status"]["vpcLinkId"])


@pytest.fixture
def v1_link(kubectl, namespace, operator, network) -> str:
    apply(kubectl, namespace, vpclink("v1", apiType="REST", targetArns=[network.nlb_arn]))
    obj = wait_ready(kubectl, namespace, "vl", "v1")
    assert obj["status"]["vpcLinkVersion"] == "V1"
    return str(obj["status"]["vpcLinkId"])


@pytest.fixture
def rest_api(aws) -> tuple[str, str]:
    v1 = aws("apigateway")
    api = v1.create_rest_api(name="orders")["id"]
    root = next(r["id"] for r in v1.get_resources(restApiId=api)["items"] if r["path"] == "/")
    return api, v1.create_resource(restApiId=api, parentId=root, pathPart="orders")["id"]


@pytest.mark.parametrize("mode", ["Direct", "StageVariable"])
def test_rest_integration_through_a_v2_link(kubectl, namespace, v2_link, rest_api, network, aws, emulator,
                                            mode: str) -> None:
    api, orders = rest_api
    target = alb(aws, network, "orders-alb")
    extra = {"stageVariable": "vpcLinkId"} if mode == "StageVariable" else {}
    apply(kubectl, namespace, integration("orders", "v2", api, connectionIdFrom=mode, integrationTarget=target,
                                          responseTransferMode="STREAM", **extra))
    status = wait_ready(kubectl, namespace, "pi", "orders")["status"]
    assert status["connectionId"] == v2_link and status["deployedStages"] == ["test"]

    found = aws("apigateway").get_integration(restApiId=api, resourceId=orders, httpMethod="GET")
    connection = v2_link if mode == "Direct" else "${stageVariables.vpcLinkId}"
    assert (found["connectionType"], found["connectionId"]) == ("VPC_LINK", connection)
    assert (found["integrationTarget"], found["responseTransferMode"]) == (target, "STREAM")
    (served,) = emulator.control.stage_integrations(api, "test")
    assert (served["connectionId"], served["integrationTarget"]) == (v2_link, target)

    kubectl("delete", "pi", "orders", "-n", namespace, "--timeout=60s")
    assert methods_of(aws, api, orders) == {}, "the integration and the method the operator created are gone"


def test_link_kind_and_target_must_agree(kubectl, namespace, v1_link, v2_link, rest_api, network, aws) -> None:
    """CEL cannot see the VpcLink, so the operator says it: Stalled, naming spec.rest.integrationTarget, and
    nothing is written to AWS."""
    api, orders = rest_api
    apply(kubectl, namespace, integration("needs-target", "v2", api))
    message = condition(stalled(kubectl, namespace, "needs-target", "IntegrationTargetRequired"), "Stalled")["message"]
    assert message.startswith("spec.rest.integrationTarget: VpcLink") and "VPC link V2" in message
    # POST: two PrivateIntegrations on one method is a conflict of its own (issue 9).
    apply(kubectl, namespace, integration("no-target-on-v1", "v1", api, httpMethod="POST",
                                          integrationTarget=alb(aws, network, "a")))
    message = condition(stalled(kubectl, namespace, "no-target-on-v1", "IntegrationTargetNotAllowed"),
                        "Stalled")["message"]
    assert message.startswith("spec.rest.integrationTarget: VpcLink") and "VPC link V1" in message
    assert methods_of(aws, api, orders) == {}


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("integrationTarget", "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/a/0123456789abcdef/"
                          "0123456789abcdef", "spec.rest.integrationTarget must be an Application or Network Load"),
    ("integrationTarget", "orders-alb", "spec.rest.integrationTarget must be an Application or Network Load"),
    ("responseTransferMode", "CHUNKED", 'supported values: "BUFFERED", "STREAM"'),
])
def test_cel_rejects_a_malformed_target_or_transfer_mode(kubectl, crds, namespace, field: str, value: str,
                                                         expected: str) -> None:
    good = integration("pi", "v2", "6j4m3244we", integrationTarget=(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/orders/0123456789abcdef"))
    proc = kubectl("apply", "-n", namespace, "--dry-run=server", "-f", "-", input=json.dumps(good), check=False)
    assert proc.returncode == 0, proc.stderr
    good["spec"]["rest"][field] = value
    proc = kubectl("apply", "-n", namespace, "--dry-run=server", "-f", "-", input=json.dumps(good), check=False)
    assert proc.returncode != 0 and expected in proc.stderr, proc.stderr


def test_preflight_names_what_would_break_the_target(kubectl, namespace, v2_link, rest_api, network, aws) -> None:
    api, orders = rest_api
    elsewhere = aws("ec2").create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    apply(kubectl, namespace, integration("orders", "v2", api, integrationTarget=alb(aws, network, "far",
                                                                                       vpc=elsewhere)))
    message = condition(stalled(kubectl, namespace, "orders", "PreflightFailed"), "Stalled")["message"]
    assert message.startswith("spec.rest.integrationTarget: ") and f"is in {elsewhere}" in message

    closed = alb(aws, network, "closed", admit=False)
    apply(kubectl, namespace, integration("orders", "v2", api, integrationTarget=closed))
    obj = wait_for(lambda: (o := get(kubectl, namespace, "pi", "orders"))
                   and "do not admit" in condition(o, "Stalled").get("message", "") and o, what="security groups")
    assert network.security_groups[0] in condition(obj, "Stalled")["message"]
    assert methods_of(aws, api, orders) == {}, "nothing is written while the pre-flight fails"

    group = aws("elbv2").describe_load_balancers(LoadBalancerArns=[closed])["LoadBalancers"][0]["SecurityGroups"][0]
    allow(aws, group, network.security_groups[0])  # the fix is outside the spec: the next resync sees it
    assert wait_ready(kubectl, namespace, "pi", "orders")["status"]["connectionId"] == v2_link
    found = aws("apigateway").get_integration(restApiId=api, resourceId=orders, httpMethod="GET")
    assert found["integrationTarget"] == closed


class ServedWatch:
    """Samples every 50 ms what the stage serves and the state of the link it serves through."""

    def __init__(self, aws: Any, emulator: Any, api: str) -> None:
        self.v1, self.v2, self.control, self.api = aws("apigateway"), aws("apigatewayv2"), emulator.control, api
        self.seen: list[tuple[str, str, str | None]] = []  # (link id, its status, integrationTarget)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _status(self, link_id: str) -> str:
        try:
            return str(self.v1.get_vpc_link(vpcLinkId=link_id)["status"])
        except self.v1.exceptions.NotFoundException:
            pass
        try:
            return str(self.v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"])
        except self.v2.exceptions.NotFoundException:
            return "GONE"

    def _run(self) -> None:
        while not self._stop.is_set():
            (served,) = self.control.stage_integrations(self.api, "test")
            link = served["connectionId"]
            self.seen.append((link, self._status(link), served["integrationTarget"]))
            time.sleep(0.05)

    def __enter__(self) -> ServedWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.parametrize("mode", ["Direct", "StageVariable"])
def test_moving_from_a_v1_link_to_a_v2_link_without_downtime(kubectl, namespace, v1_link, rest_api, network, aws,
                                                             emulator, held_pending, mode: str) -> None:
    api, orders = rest_api
    extra = {"stageVariable": "vpcLinkId"} if mode == "StageVariable" else {}
    apply(kubectl, namespace, integration("orders", "v1", api, connectionIdFrom=mode, **extra))
    assert wait_ready(kubectl, namespace, "pi", "orders")["status"]["connectionId"] == v1_link
    target = alb(aws, network, "orders-alb")

    emulator.control.configure(link_pending_seconds=1e9)  # the V2 link stays PENDING until released below
    apply(kubectl, namespace, vpclink("v2", apiType="HTTP", subnetIds=network.subnets[:2],
                                      securityGroupIds=network.security_groups[:1]))
    v2_link = wait_for(lambda: get(kubectl, namespace, "vl", "v2").get("status", {}).get("vpcLinkId"), what="v2 id")
    with ServedWatch(aws, emulator, api) as watch:
        switch_started = time.time()
        apply(kubectl, namespace, integration("orders", "v2", api, connectionIdFrom=mode, integrationTarget=target,
                                              **extra))
        obj = wait_for(lambda: (o := get(kubectl, namespace, "pi", "orders"))
                       and condition(o, "Reconciling").get("reason") == "WaitingForVpcLink" and o, what="waiting")
        assert obj["status"]["connectionId"] == v1_link
        time.sleep(1)  # the operator keeps waiting while the link is PENDING; the stage keeps serving V1
        assert {link for link, _, _ in watch.seen} == {v1_link}
        emulator.control.set_link_state(v2_link, "AVAILABLE")
        wait_for(lambda: get(kubectl, namespace, "pi", "orders")["status"].get("connectionId") == v2_link,
                 timeout=60, what="switched")
        wait_ready(kubectl, namespace, "pi", "orders")
        time.sleep(0.5)
    assert [link for link, _, _ in dict.fromkeys(watch.seen)][:1] == [v1_link]
    assert {link for link, _, _ in watch.seen} == {v1_link, v2_link}
    assert all(state == "AVAILABLE" for _, state, _ in watch.seen), [s for s in watch.seen if s[1] != "AVAILABLE"]
    assert all(served_target == (target if link == v2_link else None) for link, _, served_target in watch.seen), \
        "a V2 link is served only with its integrationTarget, a V1 link never with one"
    calls = [c for c in emulator.control.calls(since=switch_started) if c["status"] < 300]
    assert [c["operation"] for c in calls if c["operation"] in ("CreateDeployment", "UpdateStage")] == \
        ["CreateDeployment"], "one deployment switches integration and stage variable together"

    # The V1 VpcLink has no users left: deleting it completes at once, and AWS lets the link go.
    kubectl("delete", "vl", "v1", "-n", namespace, "--timeout=30s")
    assert v1_link not in {link["id"] for link in aws("apigateway").get_vpc_links()["items"]
                           if link["status"] != "DELETING"}
    found = aws("apigateway").get_integration(restApiId=api, resourceId=orders, httpMethod="GET")
    assert found["integrationTarget"] == target
