"""Issue 9 end to end: teardown always ends, nothing is taken from its owner, bad input is named.

The real operator process, the real kube-apiserver and the emulator over HTTP.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import apply, condition, events, get, start_operator, vpclink, wait_for

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
GROUP = "apigateway.vpclink.dev/v1alpha1"
OWNER_UID_TAG = "vpclink.dev/owner-uid"


def integration(name: str, /, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": GROUP, "kind": "PrivateIntegration", "metadata": {"name": name}, "spec": spec}


def rest_on_orders(name: str, api: str, **extra: Any) -> dict[str, Any]:
    rest = {"restApiId": api, "resourcePath": "/orders", "httpMethod": "GET", "integrationHttpMethod": "GET",
            "uri": "http://orders.internal.example.com/orders", "stages": ["test"]}
    rest.update(extra.pop("rest", {}))
    return integration(name, vpcLinkRef={"name": "nlb-link"}, rest=rest, **extra)


def wait_ready(kubectl: Any, ns: str, kind: str, name: str, timeout: int = 60) -> dict[str, Any]:
    kubectl("wait", "--for=condition=Ready", f"{kind}/{name}", "-n", ns, f"--timeout={timeout}s", timeout=timeout + 10)
    return get(kubectl, ns, kind, name)


def stalled(kubectl: Any, ns: str, kind: str, name: str, timeout: float = 30) -> dict[str, Any]:
    return wait_for(lambda: (o := get(kubectl, ns, kind, name)) and condition(o, "Stalled").get("status") == "True"
                    and o, timeout=timeout, what=f"{kind}/{name} Stalled")


def gone(kubectl: Any, ns: str, kind: str, name: str, timeout: float = 60) -> None:
    wait_for(lambda: not get(kubectl, ns, kind, name), timeout=timeout, what=f"{kind}/{name} deleted")


def successful(emulator: Any, operation: str) -> list[dict[str, Any]]:
    return [c for c in emulator.control.calls(operation=operation) if c["status"] < 400]


def http_link_and_api(kubectl: Any, ns: str, network: Any, aws: Any) -> tuple[str, str, dict[str, Any]]:
    """A Ready HTTP VpcLink `shop`, an HTTP API and an ALB listener: (link id, API id, spec.http on GET /orders)."""
    apply(kubectl, ns, vpclink("shop", apiType="HTTP", subnetIds=network.subnets[:2]))
    link_id = str(wait_ready(kubectl, ns, "vl", "shop")["status"]["vpcLinkId"])
    api = aws("apigatewayv2").create_api(Name="shop", ProtocolType="HTTP")["ApiId"]
    listener = aws("elbv2").create_listener(
        LoadBalancerArn=network.alb_arn, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )["Listeners"][0]["ListenerArn"]
    return link_id, api, {"apiId": api, "integrationUri": listener, "routeKeys": ["GET /orders"]}


@pytest.fixture
def rest_link(kubectl, namespace, operator, network) -> str:
    apply(kubectl, namespace, vpclink("nlb-link", apiType="REST", targetArns=[network.nlb_arn]))
    return str(wait_ready(kubectl, namespace, "vl", "nlb-link")["status"]["vpcLinkId"])


@pytest.fixture
def rest_api(aws) -> tuple[str, str, str]:
    """A REST API with the resource /orders and no method: (api id, root id, /orders id)."""
    v1 = aws("apigateway")
    api = v1.create_rest_api(name="My VPC Link Test")["id"]
    root = next(r["id"] for r in v1.get_resources(restApiId=api)["items"] if r["path"] == "/")
    orders = v1.create_resource(restApiId=api, parentId=root, pathPart="orders")["id"]
    return api, root, orders


# -- teardown --------------------------------------------------------------------------------------------


@pytest.fixture
def examples(fresh_aws, tmp_path) -> Path:
    """examples/ with the ids of what hack/demo.py seeds in the emulator (as `make demo` applies them)."""
    import demo

    swaps = demo.seed_aws(fresh_aws.url)
    folder = tmp_path / "examples"
    folder.mkdir()
    for example in sorted((REPO / "examples").glob("*.yaml")):
        manifest = example.read_text()
        for placeholder, real in swaps.items():
            manifest = manifest.replace(placeholder, real)
        (folder / example.name).write_text(manifest)
    return folder


def applied_objects(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> the manifest that `kubectl apply -f folder` leaves: a later file wins (004 moves 001's
    orders-get to the V2 link)."""
    docs = [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]
    return {({"VpcLink": "vl", "PrivateIntegration": "pi"}[d["kind"]], d["metadata"]["name"]): d for d in docs}


def objects_of(folder: Path) -> list[tuple[str, str]]:
    return list(applied_objects(folder))


def users_of(folder: Path, link: str) -> list[str]:
    return sorted(name for (kind, name), doc in applied_objects(folder).items()
                  if kind == "pi" and (doc["spec"].get("vpcLinkRef") or {}).get("name") == link)


@pytest.mark.parametrize("order", ["all-at-once", "integrations-first", "links-first"])
def test_deleting_the_examples_completes_in_any_order(kubectl, namespace, operator, examples, aws, emulator, order):
    """REST integrations in both modes (Direct on GET / through the V1 link; StageVariable on GET /orders and
    Direct on GET /catalog through the V2 link) share stage `test`, which the operator's first deployment
    created; HTTP integrations share the HTTP link. No manual step, whatever the order."""
    kubectl("apply", "-n", namespace, "-f", str(examples))
    for kind, name in objects_of(examples):
        wait_ready(kubectl, namespace, kind, name, timeout=90)
    users = users_of(examples, "nlb-link")
    assert "root-get" in users, "the examples keep a REST integration on the V1 link"
    nlb_link = get(kubectl, namespace, "vl", "nlb-link")
    wait_for(lambda: get(kubectl, namespace, "vl", "nlb-link")["status"].get("usedByCount") == len(users),
             what="usedBy")
    link_id = nlb_link["status"]["vpcLinkId"]
    assert get(kubectl, namespace, "vl", "nlb-link")["status"]["usedBy"] == [
        {"name": f"{namespace}/{user}", "connectionId": link_id} for user in users]
    rest_api = next(i["id"] for i in aws("apigateway").get_rest_apis()["items"])

    if order == "all-at-once":
        kubectl("delete", "-n", namespace, "-f", str(examples), "--wait=false")
    elif order == "integrations-first":
        kubectl("delete", "-n", namespace, "pi", "--all", "--timeout=90s", timeout=100)
        kubectl("delete", "-n", namespace, "vl", "--all", "--wait=false")
    else:
        kubectl("delete", "-n", namespace, "vl", "--all", "--wait=false")
        waiting = wait_for(lambda: (o := get(kubectl, namespace, "vl", "nlb-link"))
                           and condition(o, "Reconciling").get("reason") == "WaitingForDependants" and o,
                           what="link waits for its integrations")
        assert f"{namespace}/root-get" in condition(waiting, "Reconciling")["message"]
        kubectl("delete", "-n", namespace, "pi", "--all", "--wait=false")
    for kind, name in objects_of(examples):
        gone(kubectl, namespace, kind, name, timeout=90)

    v1, v2 = aws("apigateway"), aws("apigatewayv2", "us-east-2")
    assert v1.get_vpc_links()["items"] == [] or all(i["status"] == "DELETING" for i in v1.get_vpc_links()["items"])
    assert all(i["VpcLinkStatus"] == "DELETING" for i in v2.get_vpc_links()["Items"])
    assert v1.get_stages(restApiId=rest_api)["item"] == [], "the stage the operator created went with the last method"
    assert all(not r.get("resourceMethods") for r in v1.get_resources(restApiId=rest_api)["items"])


def test_a_stage_the_operator_does_not_manage_stalls_the_link_until_it_goes(kubectl, namespace, rest_link, rest_api,
                                                                            aws, emulator):
    """The empty-API case with a stage the user made: AWS cannot redeploy an API without methods, and the
    operator never deletes a stage it did not create. The VpcLink says so, once, and finishes by itself."""
    api, root, orders = rest_api
    v1 = aws("apigateway")
    v1.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    v1.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    v1.create_deployment(restApiId=api, stageName="live")  # the user's stage
    v1.delete_method(restApiId=api, resourceId=root, httpMethod="GET")
    apply(kubectl, namespace, rest_on_orders("orders-get", api, rest={"stages": ["live"]}))
    wait_ready(kubectl, namespace, "pi", "orders-get")

    kubectl("delete", "pi", "orders-get", "-n", namespace, "--timeout=60s")
    assert "methodIntegration" not in v1.get_resource(restApiId=api, resourceId=orders, embed=["methods"]).get(
        "resourceMethods", {}).get("GET", {})
    kubectl("delete", "vl", "nlb-link", "-n", namespace, "--wait=false")
    obj = stalled(kubectl, namespace, "vl", "nlb-link")
    stall = condition(obj, "Stalled")
    assert stall["reason"] == "ReferencedOutsideOperator"
    assert (f"link {rest_link} is still referenced outside the operator by REST API {api} resource /orders "
            "method GET deployed in stage live") in stall["message"]
    assert "redeploy each named stage" in stall["message"] and "finishes by itself" in stall["message"]
    assert condition(obj, "Reconciling")["status"] == "False"
    time.sleep(9)  # two resyncs: it keeps checking, and says it once
    warnings = [e for e in events(kubectl, namespace, "nlb-link") if e["reason"] == "ReferencedOutsideOperator"]
    assert len(warnings) == 1 and warnings[0]["type"] == "Warning" and warnings[0].get("count", 1) == 1
    assert len(emulator.control.calls(operation="DeleteVpcLink")) >= 2

    v1.delete_stage(restApiId=api, stageName="live")
    gone(kubectl, namespace, "vl", "nlb-link", timeout=30)
    assert rest_link not in [i["id"] for i in v1.get_vpc_links()["items"] if i["status"] != "DELETING"]


def test_moving_an_integration_to_another_link_redeploys_so_the_old_link_can_go(kubectl, namespace, rest_link,
                                                                                 rest_api, network, aws, emulator):
    api, _, orders = rest_api
    v1 = aws("apigateway")
    apply(kubectl, namespace, rest_on_orders("orders-get", api))
    wait_ready(kubectl, namespace, "pi", "orders-get")
    apply(kubectl, namespace, vpclink("other-link", apiType="REST", targetArns=[network.second_nlb_arn]))
    other = wait_ready(kubectl, namespace, "vl", "other-link")["status"]["vpcLinkId"]
    moved = rest_on_orders("orders-get", api)
    moved["spec"]["vpcLinkRef"] = {"name": "other-link"}
    apply(kubectl, namespace, moved)
    wait_for(lambda: get(kubectl, namespace, "pi", "orders-get")["status"].get("connectionId") == other,
             what="moved to the other link")
    assert v1.get_integration(restApiId=api, resourceId=orders, httpMethod="GET")["connectionId"] == other

    kubectl("delete", "vl", "nlb-link", "-n", namespace, "--timeout=60s")
    assert rest_link not in [i["id"] for i in v1.get_vpc_links()["items"] if i["status"] != "DELETING"]


# -- ownership ------------------------------------------------------------------------------------------


def test_a_link_another_namespace_manages_cannot_be_hijacked(kubectl, namespace, crds, operator_env, network, aws,
                                                             emulator, tmp_path):
    thieves = f"{namespace}-b"
    kubectl("create", "namespace", thieves)
    proc = start_operator(operator_env, tmp_path / "operator.log", namespace, thieves)
    try:
        apply(kubectl, namespace, vpclink("shop", apiType="HTTP", subnetIds=network.subnets[:2]))
        owner = wait_ready(kubectl, namespace, "vl", "shop")
        link_id = owner["status"]["vpcLinkId"]
        before = aws("apigatewayv2").get_vpc_link(VpcLinkId=link_id)
        apply(kubectl, thieves, vpclink("mine-now", apiType="HTTP", subnetIds=network.subnets[:2],
                                        vpcLinkId=link_id, tags={"team": "b"}))
        obj = stalled(kubectl, thieves, "vl", "mine-now")
        stall = condition(obj, "Stalled")
        assert stall["reason"] == "AdoptionRefused"
        assert stall["message"].startswith(f"spec.vpcLinkId: link {link_id} is managed by VpcLink {namespace}/shop "
                                           f"(uid {owner['metadata']['uid']})")
        assert "vpcLinkId" not in obj["status"]
        time.sleep(2)
        after = aws("apigatewayv2").get_vpc_link(VpcLinkId=link_id)
        assert (after["Tags"], after["Name"]) == (before["Tags"], before["Name"]), "nothing about the link changed"

        kubectl("delete", "vl", "mine-now", "-n", thieves, "--timeout=60s")
        assert aws("apigatewayv2").get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] == "AVAILABLE"
        assert successful(emulator, "DeleteVpcLink") == []
        assert get(kubectl, namespace, "vl", "shop")["status"]["vpcLinkId"] == link_id
    finally:
        proc.stop()


def test_a_hand_built_integration_survives_until_adopted(kubectl, namespace, rest_link, rest_api, aws):
    api, _, orders = rest_api
    v1 = aws("apigateway")
    v1.put_method(restApiId=api, resourceId=orders, httpMethod="GET", authorizationType="NONE")
    v1.put_integration(restApiId=api, resourceId=orders, httpMethod="GET", type="HTTP_PROXY",
                       integrationHttpMethod="GET", uri="https://legacy.example.com/orders")
    apply(kubectl, namespace, rest_on_orders("orders-get", api))
    stall = condition(stalled(kubectl, namespace, "pi", "orders-get"), "Stalled")
    assert stall["reason"] == "IntegrationNotOwned"
    assert stall["message"].startswith(f"spec.rest.httpMethod: GET /orders of REST API {api} already has an "
                                       "integration (HTTP_PROXY https://legacy.example.com/orders)")
    time.sleep(2)
    assert v1.get_integration(restApiId=api, resourceId=orders, httpMethod="GET")["uri"] == \
        "https://legacy.example.com/orders"

    apply(kubectl, namespace, rest_on_orders("orders-get", api, adopt=True))
    status = wait_ready(kubectl, namespace, "pi", "orders-get")["status"]
    assert status["createdMethod"] is False
    assert v1.get_integration(restApiId=api, resourceId=orders, httpMethod="GET")["connectionId"] == rest_link

    kubectl("delete", "pi", "orders-get", "-n", namespace, "--timeout=60s")
    assert v1.get_method(restApiId=api, resourceId=orders, httpMethod="GET")["httpMethod"] == "GET", \
        "the user's method survives"


def test_two_integrations_on_one_method_the_later_is_stalled_naming_the_other(kubectl, namespace, rest_link,
                                                                               rest_api, aws):
    api, _, orders = rest_api
    apply(kubectl, namespace, rest_on_orders("first", api))
    wait_ready(kubectl, namespace, "pi", "first")
    apply(kubectl, namespace, rest_on_orders("second", api, rest={"uri": "http://second.example.com/orders"}))
    stall = condition(stalled(kubectl, namespace, "pi", "second"), "Stalled")
    assert stall["reason"] == "AlreadyIntegrated"
    assert stall["message"].startswith(
        f"spec.rest.httpMethod: the same method is already managed by PrivateIntegration {namespace}/first")
    assert condition(get(kubectl, namespace, "pi", "first"), "Ready")["status"] == "True"
    time.sleep(2)
    assert aws("apigateway").get_integration(restApiId=api, resourceId=orders, httpMethod="GET")["uri"] == \
        "http://orders.internal.example.com/orders"

    kubectl("delete", "pi", "second", "-n", namespace, "--timeout=60s")
    assert aws("apigateway").get_integration(restApiId=api, resourceId=orders, httpMethod="GET")["uri"] == \
        "http://orders.internal.example.com/orders", "deleting the refused one leaves the other's integration"


def test_two_integrations_on_one_route_the_later_is_stalled_naming_the_other(kubectl, namespace, operator, network,
                                                                              aws):
    _, api, http = http_link_and_api(kubectl, namespace, network, aws)
    v2 = aws("apigatewayv2")
    apply(kubectl, namespace, integration("first", vpcLinkRef={"name": "shop"}, http=http))
    first = wait_ready(kubectl, namespace, "pi", "first")["status"]
    apply(kubectl, namespace, integration("second", vpcLinkRef={"name": "shop"}, adopt=True,
                                          http={**http, "routeKeys": ["GET /orders", "GET /other"]}))
    stall = condition(stalled(kubectl, namespace, "pi", "second"), "Stalled")
    assert stall["reason"] == "AlreadyIntegrated"
    assert stall["message"].startswith(
        f"spec.http.routeKeys: the same route is already managed by PrivateIntegration {namespace}/first;")
    time.sleep(2)
    assert [(r["RouteKey"], r["Target"]) for r in v2.get_routes(ApiId=api)["Items"]] == \
        [("GET /orders", f"integrations/{first['integrationId']}")], "even spec.adopt never takes from another object"


def test_adopting_keeps_the_tags_the_operator_did_not_set(kubectl, namespace, operator, network, aws, emulator):
    v1 = aws("apigateway")
    existing = v1.create_vpc_link(name="terraformed", targetArns=[network.nlb_arn],
                                  tags={"cost-center": "1234", "managed-by": "terraform"})["id"]
    emulator.control.set_link_state(existing, "AVAILABLE")
    apply(kubectl, namespace, vpclink("adopted", apiType="REST", targetArns=[network.nlb_arn], vpcLinkId=existing,
                                      tags={"team": "shop"}, deletionPolicy="Retain"))
    obj = wait_ready(kubectl, namespace, "vl", "adopted")
    tags = wait_for(lambda: (t := v1.get_vpc_link(vpcLinkId=existing).get("tags", {})) and OWNER_UID_TAG in t and t,
                    what="owner tags")
    assert tags["cost-center"] == "1234" and tags["managed-by"] == "terraform" and tags["team"] == "shop"
    wait_for(lambda: get(kubectl, namespace, "vl", "adopted")["status"].get("managedTagKeys"), what="recorded")
    assert get(kubectl, namespace, "vl", "adopted")["status"]["managedTagKeys"] == [
        "team", "vpclink.dev/owner-name", "vpclink.dev/owner-namespace", OWNER_UID_TAG]

    apply(kubectl, namespace, vpclink("adopted", apiType="REST", targetArns=[network.nlb_arn], vpcLinkId=existing,
                                      deletionPolicy="Retain"))
    wait_for(lambda: "team" not in v1.get_vpc_link(vpcLinkId=existing).get("tags", {}), what="our key removed")
    assert v1.get_vpc_link(vpcLinkId=existing)["tags"]["cost-center"] == "1234"
    assert obj["metadata"]["uid"] == v1.get_vpc_link(vpcLinkId=existing)["tags"][OWNER_UID_TAG]


def test_retain_on_a_private_integration_leaves_it_serving(kubectl, namespace, operator, network, aws):
    link_id, api, http = http_link_and_api(kubectl, namespace, network, aws)
    v2 = aws("apigatewayv2")
    apply(kubectl, namespace, integration("orders", vpcLinkRef={"name": "shop"}, deletionPolicy="Retain", http=http))
    status = wait_ready(kubectl, namespace, "pi", "orders")["status"]

    kubectl("delete", "pi", "orders", "-n", namespace, "--timeout=60s")
    assert v2.get_integration(ApiId=api, IntegrationId=status["integrationId"])["ConnectionId"] == link_id
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=api)["Items"]] == ["GET /orders"]


# -- bad input the schema cannot see ---------------------------------------------------------------------


def test_bad_input_is_stalled_naming_the_field(kubectl, namespace, operator, network, aws, emulator):
    ec2 = aws("ec2")
    other_vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    foreign_group = ec2.create_security_group(GroupName="elsewhere", Description="x", VpcId=other_vpc)["GroupId"]
    apply(kubectl, namespace, vpclink("typo", apiType="HTTP", region="us-esat-1", subnetIds=network.subnets[:2]))
    apply(kubectl, namespace, vpclink("groups", apiType="HTTP", subnetIds=network.subnets[:2],
                                      securityGroupIds=[network.security_groups[0], foreign_group]))
    long_name = "n" * 130
    apply(kubectl, namespace, vpclink(long_name, apiType="HTTP", subnetIds=network.subnets[:2]))
    apply(kubectl, namespace, vpclink("first", apiType="REST", targetArns=[network.nlb_arn]))
    wait_ready(kubectl, namespace, "vl", "first")
    apply(kubectl, namespace, vpclink("second", apiType="REST", targetArns=[network.nlb_arn]))

    expected = {
        "typo": ("InvalidSpec", "spec.region: us-esat-1 is not an AWS Region that API Gateway is known to serve"),
        "groups": ("PreflightFailed", f"spec.securityGroupIds: security group(s) {foreign_group} ({other_vpc}) are "
                                      f"not in the subnets' VPC {network.vpc_id}"),
        long_name: ("InvalidSpec", f'spec.name: the default name "{namespace}-{long_name}" is '
                                   f"{len(namespace) + 1 + len(long_name)} characters; HTTP VPC link names are at "
                                   "most 128"),
        "second": ("Failed", "spec.targetArns: AWS reports link"),
    }
    for name, (reason, message) in expected.items():
        stall = condition(stalled(kubectl, namespace, "vl", name), "Stalled")
        assert (stall["reason"], stall["message"][:len(message)]) == (reason, message), name
    assert not [c for c in emulator.control.calls() if c.get("region") == "us-esat-1"]
    creates = successful(emulator, "CreateVpcLink")
    assert len(creates) == 2, "only `first` and `second` reached AWS"

    # A PrivateIntegration's listener must exist in the API's account and Region.
    apply(kubectl, namespace, vpclink("shop", apiType="HTTP", subnetIds=network.subnets[:2]))
    wait_ready(kubectl, namespace, "vl", "shop")
    api = aws("apigatewayv2").create_api(Name="shop", ProtocolType="HTTP")["ApiId"]
    missing = ("arn:aws:elasticloadbalancing:us-east-1:210987654321:listener/app/elsewhere/50dc6c495c0c9188/"
               "0467ef3c8400ae65")
    other_region = missing.replace("us-east-1:210987654321", "eu-west-1:123456789012")
    for name, uri, message in (
        ("missing-listener", missing, f"spec.http.integrationUri: listener {missing} does not exist in us-east-1"),
        ("other-region", other_region, f"spec.http.integrationUri: listener {other_region} is in eu-west-1, but the "
                                       "API and its VPC link are in us-east-1"),
    ):
        apply(kubectl, namespace, integration(name, vpcLinkRef={"name": "shop"},
                                              http={"apiId": api, "integrationUri": uri}))
        stall = condition(stalled(kubectl, namespace, "pi", name), "Stalled")
        assert (stall["reason"], stall["message"][:len(message)]) == ("PreflightFailed", message), name
    assert aws("apigatewayv2").get_integrations(ApiId=api)["Items"] == []
