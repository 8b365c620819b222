"""PrivateIntegration end to end (seeds 001 and 002): the real operator, kube-apiserver and emulator."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from conftest import Network, apply, condition, get, start_operator, vpclink, wait_for

pytestmark = pytest.mark.integration
GROUP = "apigateway.vpclink.dev/v1alpha1"


def integration(name: str, /, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": GROUP, "kind": "PrivateIntegration", "metadata": {"name": name}, "spec": spec}


def wait_ready(kubectl: Any, ns: str, kind: str, name: str, timeout: int = 60) -> dict[str, Any]:
    kubectl("wait", "--for=condition=Ready", f"{kind}/{name}", "-n", ns, f"--timeout={timeout}s", timeout=timeout + 10)
    return get(kubectl, ns, kind, name)


def stalled(kubectl: Any, ns: str, kind: str, name: str) -> dict[str, Any]:
    return wait_for(lambda: (o := get(kubectl, ns, kind, name)) and condition(o, "Stalled").get("status") == "True"
                    and o, what=f"{kind}/{name} Stalled")


def listener(aws: Any, network: Network) -> str:
    return str(aws("elbv2").create_listener(
        LoadBalancerArn=network.alb_arn, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )["Listeners"][0]["ListenerArn"])


@pytest.fixture
def http_link(kubectl, namespace, operator, network) -> str:
    apply(kubectl, namespace, vpclink("shop", apiType="HTTP", subnetIds=network.subnets[:2],
                                      securityGroupIds=network.security_groups[:1]))
    return str(wait_ready(kubectl, namespace, "vl", "shop")["status"]["vpcLinkId"])


@pytest.fixture
def rest_link(kubectl, namespace, operator, network) -> str:
    apply(kubectl, namespace, vpclink("nlb-link", apiType="REST", targetArns=[network.nlb_arn]))
    return str(wait_ready(kubectl, namespace, "vl", "nlb-link")["status"]["vpcLinkId"])


@pytest.fixture
def rest_api(aws) -> tuple[str, str]:
    v1 = aws("apigateway")
    api = v1.create_rest_api(name="My VPC Link Test")["id"]
    root = next(r["id"] for r in v1.get_resources(restApiId=api)["items"] if r["path"] == "/")
    orders = v1.create_resource(restApiId=api, parentId=root, pathPart="orders")["id"]
    return api, orders


def test_seed_002_alb_listener_with_tls_and_owned_route(kubectl, namespace, http_link, network, aws, emulator):
    v2 = aws("apigatewayv2")
    api = v2.create_api(Name="shop", ProtocolType="HTTP")["ApiId"]
    uri = listener(aws, network)
    apply(kubectl, namespace, integration(
        "orders-api", vpcLinkRef={"name": "shop"},
        http={"apiId": api, "integrationUri": uri, "tlsServerNameToVerify": "orders.internal.example.com",
              "timeoutInMillis": 15000, "requestParameters": {"append:header.x-api": "$context.apiId"},
              "routeKeys": ["ANY /api/{proxy+}"]}))
    obj = wait_ready(kubectl, namespace, "pi", "orders-api")
    status = obj["status"]
    assert status["apiType"] == "HTTP" and status["connectionId"] == http_link
    found = v2.get_integration(ApiId=api, IntegrationId=status["integrationId"])
    assert (found["IntegrationType"], found["ConnectionType"], found["ConnectionId"]) == \
        ("HTTP_PROXY", "VPC_LINK", http_link)
    assert found["IntegrationUri"] == uri and found["PayloadFormatVersion"] == "1.0"
    assert found["TlsConfig"] == {"ServerNameToVerify": "orders.internal.example.com"}
    assert found["TimeoutInMillis"] == 15000
    assert found["RequestParameters"] == {"append:header.x-api": "$context.apiId"}
    routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=api)["Items"]}
    assert routes["ANY /api/{proxy+}"]["Target"] == f"integrations/{status['integrationId']}"
    assert status["routeIds"] == {"ANY /api/{proxy+}": routes["ANY /api/{proxy+}"]["RouteId"]}

    # Drift: changed out of band -> set back; deleted out of band -> recreated (routes follow).
    v2.update_integration(ApiId=api, IntegrationId=status["integrationId"], TimeoutInMillis=500)
    wait_for(lambda: v2.get_integration(ApiId=api, IntegrationId=status["integrationId"])["TimeoutInMillis"]
             == 15000, what="drift set back")

    # Deletion removes our route first, then the integration.
    kubectl("delete", "pi", "orders-api", "-n", namespace, "--timeout=60s")
    assert v2.get_integrations(ApiId=api)["Items"] == []
    assert v2.get_routes(ApiId=api)["Items"] == []
    deletes = [c["operation"] for c in emulator.control.calls()
               if c["operation"] in ("DeleteRoute", "DeleteIntegration")]
    assert deletes == ["DeleteRoute", "DeleteIntegration"]


def test_seed_002_cloud_map_service_with_query_string(kubectl, namespace, http_link, network, aws):
    cloudmap = aws("servicediscovery")
    operation = cloudmap.create_private_dns_namespace(Name="internal.example.com", Vpc=network.vpc_id)["OperationId"]
    namespace_id = cloudmap.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
    service = cloudmap.create_service(Name="catalog", NamespaceId=namespace_id)["Service"]["Arn"]
    api = aws("apigatewayv2").create_api(Name="shop", ProtocolType="HTTP")["ApiId"]
    uri = f"{service}?stage=prod&deployment=green_deployment"
    apply(kubectl, namespace, integration("catalog", vpcLinkRef={"name": "shop"},
                                          http={"apiId": api, "integrationUri": uri}))
    status = wait_ready(kubectl, namespace, "pi", "catalog")["status"]
    found = aws("apigatewayv2").get_integration(ApiId=api, IntegrationId=status["integrationId"])
    assert found["IntegrationUri"] == uri


def test_route_owned_by_someone_else_is_never_taken_over(kubectl, namespace, http_link, network, aws):
    v2 = aws("apigatewayv2")
    api = v2.create_api(Name="shop", ProtocolType="HTTP")["ApiId"]
    uri = listener(aws, network)
    theirs = v2.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                   IntegrationUri="https://example.com", PayloadFormatVersion="1.0")["IntegrationId"]
    route = v2.create_route(ApiId=api, RouteKey="GET /orders", Target=f"integrations/{theirs}")["RouteId"]
    apply(kubectl, namespace, integration("orders", vpcLinkRef={"name": "shop"},
                                          http={"apiId": api, "integrationUri": uri, "routeKeys": ["GET /orders"]}))
    obj = stalled(kubectl, namespace, "pi", "orders")
    assert condition(obj, "Stalled")["reason"] == "RouteConflict"
    assert "GET /orders" in condition(obj, "Stalled")["message"]
    time.sleep(2)
    assert v2.get_route(ApiId=api, RouteId=route)["Target"] == f"integrations/{theirs}"


def test_api_type_mismatch_and_missing_link(kubectl, namespace, http_link, rest_api, network):
    api, _ = rest_api
    apply(kubectl, namespace, integration("wrong-kind", vpcLinkRef={"name": "shop"}, rest={
        "restApiId": api, "resourcePath": "/orders", "httpMethod": "GET", "integrationHttpMethod": "GET",
        "uri": "http://orders.internal.example.com/orders"}))
    obj = stalled(kubectl, namespace, "pi", "wrong-kind")
    # A REST API may use an HTTP-type link (VPC link V2) only by naming the load balancer (issue 12).
    assert condition(obj, "Stalled")["reason"] == "IntegrationTargetRequired"
    assert condition(obj, "Stalled")["message"].startswith("spec.rest.integrationTarget: ")
    # Another method than `wrong-kind`'s: two PrivateIntegrations on one method is a conflict of its own (issue 9).
    apply(kubectl, namespace, integration("early", vpcLinkRef={"name": "not-yet"}, rest={
        "restApiId": api, "resourcePath": "/orders", "httpMethod": "POST", "integrationHttpMethod": "GET",
        "uri": "http://orders.internal.example.com/orders"}))
    obj = wait_for(lambda: (o := get(kubectl, namespace, "pi", "early"))
                   and condition(o, "Reconciling").get("reason") == "WaitingForVpcLink" and o, what="waiting")
    assert condition(obj, "Ready")["status"] == "False"


def rest_integration(name: str, api: str, **rest: Any) -> dict[str, Any]:
    return integration(name, vpcLinkRef={"name": "nlb-link"}, rest={
        "restApiId": api, "resourcePath": "/orders", "httpMethod": "GET", "authorizationType": "NONE",
        "integrationHttpMethod": "GET", "uri": "http://orders.internal.example.com/orders", **rest})


class LinkWatch:
    """Samples the emulator while a replacement runs: what the stage would use must be AVAILABLE."""

    def __init__(self, resolve: Any, link_status: Any) -> None:
        self.resolve, self.link_status = resolve, link_status
        self.seen: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            link = self.resolve()
            self.seen.append((link, self.link_status(link)))
            time.sleep(0.05)

    def __enter__(self) -> LinkWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def test_seed_001_stage_variable_flow_and_switch_to_new_link(kubectl, namespace, rest_link, rest_api, network, aws,
                                                             emulator):
    api, orders = rest_api
    v1 = aws("apigateway")
    apply(kubectl, namespace, rest_integration("orders-get", api, connectionIdFrom="StageVariable",
                                               stageVariable="vpcLinkId", stages=["test"]))
    status = wait_ready(kubectl, namespace, "pi", "orders-get")["status"]
    assert status["apiType"] == "REST" and status["connectionId"] == rest_link
    assert status["createdMethod"] is True and status["integrationId"] == f"{orders}/GET"
    method = v1.get_method(restApiId=api, resourceId=orders, httpMethod="GET")
    assert method["authorizationType"] == "NONE"
    found = method["methodIntegration"]
    assert (found["type"], found["connectionType"], found["connectionId"]) == \
        ("HTTP_PROXY", "VPC_LINK", "${stageVariables.vpcLinkId}")
    assert found["uri"] == "http://orders.internal.example.com/orders"
    stage = v1.get_stage(restApiId=api, stageName="test")
    assert stage["variables"] == {"vpcLinkId": rest_link}
    assert status["deployedStages"] == ["test"] and status["lastDeploymentId"] == stage["deploymentId"]

    # Replace the link (new NLB): the stage variable switches only to an AVAILABLE link, and the old
    # link is deleted only after the integration reports the new one and AWS lets it go.
    def stage_link() -> str:
        return str(v1.get_stage(restApiId=api, stageName="test")["variables"]["vpcLinkId"])

    def link_status(link_id: str) -> str:
        try:
            return str(v1.get_vpc_link(vpcLinkId=link_id)["status"])
        except v1.exceptions.NotFoundException:
            return "GONE"

    with LinkWatch(stage_link, link_status) as watch:
        apply(kubectl, namespace, vpclink("nlb-link", apiType="REST", targetArns=[network.second_nlb_arn]))
        new_link = wait_for(lambda: (i := get(kubectl, namespace, "vl", "nlb-link")["status"].get("vpcLinkId"))
                            != rest_link and i, timeout=60, what="swap")
        wait_for(lambda: get(kubectl, namespace, "pi", "orders-get")["status"].get("connectionId") == new_link,
                 timeout=60, what="integration repointed")
        wait_for(lambda: link_status(rest_link) == "GONE", timeout=60, what="old link deleted")
    assert {link for link, _ in watch.seen} == {rest_link, new_link}
    assert all(state == "AVAILABLE" for _, state in watch.seen), [s for s in watch.seen if s[1] != "AVAILABLE"]
    assert stage_link() == new_link
    deployments = [c for c in emulator.control.calls(operation="CreateDeployment") if c["status"] < 300]
    assert len(deployments) == 2, "deployed once at creation, once after the switch"

    # Deletion: integration and the method we created go. The API has no method left to deploy, so stage
    # `test`, which the operator's first deployment created, goes too: it would hold the link forever (issue 9).
    kubectl("delete", "pi", "orders-get", "-n", namespace, "--timeout=60s")
    assert v1.get_resources(restApiId=api, embed=["methods"])["items"][1].get("resourceMethods", {}) == {}
    assert v1.get_stages(restApiId=api)["item"] == []
    v1.delete_vpc_link(vpcLinkId=new_link)  # nothing references it any more


def test_seed_001_direct_connection_is_repointed_and_redeployed(kubectl, namespace, rest_link, rest_api, network,
                                                                 aws, emulator):
    api, orders = rest_api
    v1 = aws("apigateway")
    v1.put_method(restApiId=api, resourceId=orders, httpMethod="GET", authorizationType="NONE")
    apply(kubectl, namespace, rest_integration("orders-direct", api, stages=["prod"]))
    status = wait_ready(kubectl, namespace, "pi", "orders-direct")["status"]
    assert status["createdMethod"] is False
    assert v1.get_integration(restApiId=api, resourceId=orders, httpMethod="GET")["connectionId"] == rest_link
    assert status["deployedStages"] == ["prod"]  # the deployment created the stage

    apply(kubectl, namespace, vpclink("nlb-link", apiType="REST", targetArns=[network.second_nlb_arn]))
    new_link = wait_for(lambda: (i := get(kubectl, namespace, "vl", "nlb-link")["status"].get("vpcLinkId"))
                        != rest_link and i, timeout=60, what="swap")
    wait_for(lambda: get(kubectl, namespace, "pi", "orders-direct")["status"].get("connectionId") == new_link,
             timeout=60, what="repointed")
    assert v1.get_integration(restApiId=api, resourceId=orders, httpMethod="GET")["connectionId"] == new_link
    wait_for(lambda: not get(kubectl, namespace, "vl", "nlb-link")["status"].get("retiredVpcLinkIds"),
             timeout=60, what="old link retired")

    kubectl("delete", "pi", "orders-direct", "-n", namespace, "--timeout=60s")
    method = v1.get_method(restApiId=api, resourceId=orders, httpMethod="GET")
    assert "methodIntegration" not in method, "the integration is deleted; the user's method stays"


def test_unmanaged_link_by_id(kubectl, namespace, operator, network, aws, emulator):
    v2 = aws("apigatewayv2")
    link = v2.create_vpc_link(Name="unmanaged", SubnetIds=network.subnets[:1])["VpcLinkId"]
    emulator.control.set_link_state(link, "AVAILABLE")
    api = v2.create_api(Name="shop", ProtocolType="HTTP")["ApiId"]
    apply(kubectl, namespace, integration("by-id", vpcLinkId=link,
                                          http={"apiId": api, "integrationUri": listener(aws, network)}))
    assert wait_ready(kubectl, namespace, "pi", "by-id")["status"]["connectionId"] == link
    apply(kubectl, namespace, integration("missing", vpcLinkId="zzzzzz99",
                                          http={"apiId": api, "integrationUri": listener(aws, network)}))
    assert condition(stalled(kubectl, namespace, "pi", "missing"), "Stalled")["reason"] == "VpcLinkNotFound"


def test_kill9_between_create_integration_and_status_write_leaves_no_duplicate(kubectl, namespace, http_link,
                                                                               operator, network, aws, emulator):
    v2 = aws("apigatewayv2")
    api = v2.create_api(Name="shop", ProtocolType="HTTP")["ApiId"]
    emulator.control.inject_fault("latency", latency_ms=4000, phase="after", operations=["CreateIntegration"],
                                  count=1)
    apply(kubectl, namespace, integration("orders", vpcLinkRef={"name": "shop"},
                                          http={"apiId": api, "integrationUri": listener(aws, network)}))
    wait_for(lambda: v2.get_integrations(ApiId=api)["Items"], timeout=30, interval=0.05, what="integration in AWS")
    operator.kill9()
    assert "integrationId" not in get(kubectl, namespace, "pi", "orders").get("status", {})
    operator.start()
    status = wait_ready(kubectl, namespace, "pi", "orders")["status"]
    time.sleep(2)
    items = v2.get_integrations(ApiId=api)["Items"]
    assert [i["IntegrationId"] for i in items] == [status["integrationId"]]


def test_cross_namespace_reference_needs_a_grant(kubectl, namespace, crds, operator_env, network, aws, tmp_path):
    payments = f"{namespace}-pay"
    kubectl("create", "namespace", payments)
    proc = start_operator(operator_env, tmp_path / "operator.log", namespace, payments)
    try:
        apply(kubectl, namespace, vpclink("shared", apiType="HTTP", subnetIds=network.subnets[:2]))
        link = wait_ready(kubectl, namespace, "vl", "shared")["status"]["vpcLinkId"]
        api = aws("apigatewayv2").create_api(Name="payments", ProtocolType="HTTP")["ApiId"]
        apply(kubectl, payments, integration("pay", vpcLinkRef={"name": "shared", "namespace": namespace},
                                             http={"apiId": api, "integrationUri": listener(aws, network)}))
        obj = stalled(kubectl, payments, "pi", "pay")
        assert condition(obj, "Stalled")["reason"] == "NamespaceNotAllowed"
        assert "allowedNamespaces" in condition(obj, "Stalled")["message"]
        assert aws("apigatewayv2").get_integrations(ApiId=api)["Items"] == []

        apply(kubectl, namespace, vpclink("shared", apiType="HTTP", subnetIds=network.subnets[:2],
                                          allowedNamespaces=[payments]))
        assert wait_ready(kubectl, payments, "pi", "pay")["status"]["connectionId"] == link
    finally:
        kubectl("delete", "pi", "--all", "-n", payments, "--timeout=60s", check=False)
        proc.stop()


def test_integration_deleted_out_of_band_is_recreated_and_our_route_follows(kubectl, namespace, http_link, network,
                                                                            aws, emulator):
    v2 = aws("apigatewayv2")
    api = v2.create_api(Name="shop", ProtocolType="HTTP")["ApiId"]
    emulator.control.inject_fault("conflict", operations=["CreateIntegration"], count=1)  # transient: retried
    apply(kubectl, namespace, integration("orders", vpcLinkRef={"name": "shop"}, http={
        "apiId": api, "integrationUri": listener(aws, network), "routeKeys": ["GET /orders"]}))
    status = wait_ready(kubectl, namespace, "pi", "orders")["status"]
    statuses = [c["status"] for c in emulator.control.calls(operation="CreateIntegration")]
    assert statuses[0] == 409 and statuses[-1] < 300
    route_id = status["routeIds"]["GET /orders"]

    # Someone points our route elsewhere and deletes our integration (AWS refuses while a route targets it).
    other = v2.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                  IntegrationUri="https://example.com", PayloadFormatVersion="1.0")["IntegrationId"]
    v2.update_route(ApiId=api, RouteId=route_id, Target=f"integrations/{other}")
    v2.delete_integration(ApiId=api, IntegrationId=status["integrationId"])
    obj = wait_for(lambda: (o := get(kubectl, namespace, "pi", "orders"))
                   and o["status"].get("integrationId") not in (None, status["integrationId"])
                   and condition(o, "Ready").get("status") == "True" and o, timeout=40, what="recreated")
    new_id = obj["status"]["integrationId"]
    assert v2.get_route(ApiId=api, RouteId=route_id)["Target"] == f"integrations/{new_id}"
    assert obj["status"]["routeIds"] == {"GET /orders": route_id}
