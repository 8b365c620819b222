"""The operator survives the apiserver: stopped for 90 s in the middle of changes, then started again.

Every object finishes its change, nothing in AWS is orphaned or duplicated, the operator keeps running,
a spec change made afterwards still arrives, and drift made by hand afterwards is reverted within a resync.

This test has its own emulator: links stay PENDING for 15 s and DELETING for 5 s of wall time, so the
links turn AVAILABLE while the apiserver is down and the operator has status to write that it cannot write.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lifecycle import integration, rest_api

import stack
from conftest import RESYNC_SECONDS, Network, apply, condition, get, vpclink, wait_for

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 90
CONVERGE_SECONDS = 120  # after the restart: kopf re-lists, the links settle, the old REST link is deleted
DRIFT_SLACK_SECONDS = 20  # beyond one resync: a pass, its AWS calls, and this test's own polling


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[stack.EmulatorProcess]:
    """Slower links than the session's emulator (time scale 4, not 40)."""
    with stack.EmulatorProcess(tmp_path_factory.mktemp("emulator") / "emulator.log", pending_seconds=60,
                               deleting_seconds=20, time_scale=4) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def aws_endpoint(emulator: stack.EmulatorProcess) -> str:
    return emulator.url


@dataclass
class Scene:
    """Two links and two integrations, and the AWS ids each should end with."""

    namespace: str
    http_api: str
    listener: str
    orders_api: str
    orders_resource: str
    old_rest_link: str = ""
    new_rest_link: str = ""
    http_link: str = ""

    def edge(self, target: str) -> dict[str, Any]:
        return vpclink("edge", apiType="REST", targetArns=[target], description="orders backend")

    def web(self, network: Network) -> dict[str, Any]:
        return vpclink("web", apiType="HTTP", subnetIds=network.subnets[:2],
                       securityGroupIds=network.security_groups[:1], tags={"team": "shop"})

    def orders(self) -> dict[str, Any]:
        return integration("orders", vpcLinkRef={"name": "edge"}, rest={
            "restApiId": self.orders_api, "resourcePath": "/orders", "httpMethod": "GET",
            "authorizationType": "NONE", "integrationHttpMethod": "GET",
            "uri": "http://orders.internal.example.com/orders", "timeoutInMillis": 10000})

    def shop(self, timeout_ms: int) -> dict[str, Any]:
        return integration("shop", vpcLinkRef={"name": "web"}, http={
            "apiId": self.http_api, "integrationUri": self.listener, "timeoutInMillis": timeout_ms,
            "routeKeys": ["ANY /shop/{proxy+}"]})


def is_finished(obj: dict[str, Any]) -> bool:
    """Ready, nothing in motion, its spec's generation observed."""
    status = obj.get("status", {})
    return (condition(obj, "Ready").get("status") == "True" and condition(obj, "Reconciling").get("status") == "False"
            and status.get("observedGeneration") == obj["metadata"]["generation"]
            and not status.get("replacement") and not status.get("retiredVpcLinkIds"))


def wait_until_nothing_left(left: Callable[[], dict[str, Any]], timeout: float, what: str) -> None:
    """Poll `left()` (what is not there yet, by name) until it is empty; else fail naming all of it."""
    deadline = time.monotonic() + timeout
    while (remaining := left()) and time.monotonic() < deadline:
        time.sleep(1)
    assert not remaining, f"{what} within {timeout} s; still: {json.dumps(remaining, sort_keys=True)}"


def wait_finished(kubectl: Any, ns: str, *objects: tuple[str, str]) -> dict[str, dict[str, Any]]:
    """The status of every object once all of them are finished."""
    found: dict[str, dict[str, Any]] = {}

    def unfinished() -> dict[str, Any]:
        found.update({name: get(kubectl, ns, kind, name) for kind, name in objects})
        return {name: obj.get("status") for name, obj in found.items() if not is_finished(obj)}

    wait_until_nothing_left(unfinished, CONVERGE_SECONDS, "not every object finished")
    return {name: obj["status"] for name, obj in found.items()}


def healthz(port: int) -> tuple[int, dict[str, Any]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def rest_link_exists(v1: Any, link_id: str) -> bool:
    try:
        v1.get_vpc_link(vpcLinkId=link_id)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotFoundException":
            return False
        raise
    return True


@pytest.fixture
def scene(kubectl, namespace, operator, network: Network, aws) -> Scene:
    """Changes in flight: a REST link being replaced (its integration still on the old link), a new HTTP
    link still PENDING, and an HTTP integration waiting for it."""
    v1, v2 = aws("apigateway"), aws("apigatewayv2")
    orders_api = rest_api(aws)
    scene = Scene(
        namespace=namespace,
        http_api=v2.create_api(Name="shop", ProtocolType="HTTP")["ApiId"],
        listener=aws("elbv2").create_listener(
            LoadBalancerArn=network.alb_arn, Protocol="HTTP", Port=80,
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
        )["Listeners"][0]["ListenerArn"],
        orders_api=orders_api,
        orders_resource=next(r["id"] for r in v1.get_resources(restApiId=orders_api)["items"]
                             if r["path"] == "/orders"),
    )
    apply(kubectl, namespace, scene.edge(network.nlb_arn))
    apply(kubectl, namespace, scene.orders())
    done = wait_finished(kubectl, namespace, ("vl", "edge"), ("pi", "orders"))
    scene.old_rest_link = done["edge"]["vpcLinkId"]
    assert done["orders"]["connectionId"] == scene.old_rest_link
    apply(kubectl, namespace, scene.edge(network.second_nlb_arn))  # a new target: only a new link can serve it
    scene.new_rest_link = wait_for(
        lambda: (get(kubectl, namespace, "vl", "edge")["status"].get("replacement") or {}).get("vpcLinkId"),
        what="replacement link created")
    apply(kubectl, namespace, scene.web(network))
    apply(kubectl, namespace, scene.shop(15000))
    scene.http_link = wait_for(lambda: get(kubectl, namespace, "vl", "web").get("status", {}).get("vpcLinkId"),
                               what="HTTP link created")
    in_flight = {"web": v2.get_vpc_link(VpcLinkId=scene.http_link)["VpcLinkStatus"],
                 "edge replacement": v1.get_vpc_link(vpcLinkId=scene.new_rest_link)["status"]}
    assert in_flight == {"web": "PENDING", "edge replacement": "PENDING"}, "the outage must start mid-change"
    return scene


def test_every_change_finishes_and_drift_is_reverted_after_a_90s_apiserver_outage(
        control_plane, kubectl, operator, scene: Scene, aws, emulator) -> None:
    v1, v2 = aws("apigateway"), aws("apigatewayv2")
    ns = scene.namespace
    control_plane.stop_apiserver()
    try:
        time.sleep(OUTAGE_SECONDS)
    finally:
        control_plane.start_apiserver()

    # Every object finishes, with the ids AWS gave it.
    done = wait_finished(kubectl, ns, ("vl", "edge"), ("vl", "web"), ("pi", "orders"), ("pi", "shop"))
    assert done["edge"]["vpcLinkId"] == scene.new_rest_link
    assert done["web"]["vpcLinkStatus"] == "AVAILABLE"
    assert done["orders"]["connectionId"] == scene.new_rest_link
    shop = done["shop"]
    assert shop["connectionId"] == scene.http_link

    # AWS holds exactly what the objects say: the replaced link is gone, nothing orphaned or duplicated.
    wait_for(lambda: not rest_link_exists(v1, scene.old_rest_link), timeout=CONVERGE_SECONDS, interval=1,
             what=f"replaced link {scene.old_rest_link} deleted")
    assert [link["id"] for link in v1.get_vpc_links()["items"]] == [scene.new_rest_link]
    assert [link["VpcLinkId"] for link in v2.get_vpc_links()["Items"]] == [scene.http_link]
    method = v1.get_integration(restApiId=scene.orders_api, resourceId=scene.orders_resource, httpMethod="GET")
    assert (method["connectionType"], method["connectionId"]) == ("VPC_LINK", scene.new_rest_link)
    integrations = [(i["IntegrationId"], i["ConnectionId"]) for i in v2.get_integrations(ApiId=scene.http_api)["Items"]]
    assert integrations == [(shop["integrationId"], scene.http_link)]
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=scene.http_api)["Items"]] == ["ANY /shop/{proxy+}"]
    created = {op: len([c for c in emulator.control.calls(operation=op) if c["status"] < 400])
               for op in ("CreateVpcLink", "CreateIntegration")}
    assert created == {"CreateVpcLink": 3, "CreateIntegration": 1}, "a create was repeated"

    # The operator is still running and says so.
    assert operator.proc.poll() is None, "the operator process exited"
    assert healthz(operator.port) == (200, {"status": "ok"})

    # The watch came back: a spec change made after the outage reaches AWS.
    apply(kubectl, ns, scene.shop(20000))
    wait_for(lambda: v2.get_integration(ApiId=scene.http_api, IntegrationId=shop["integrationId"])
             ["TimeoutInMillis"] == 20000, timeout=CONVERGE_SECONDS, interval=1, what="spec change applied")

    # Drift made by hand after the outage is set back within one resync, on every object.
    v2.update_vpc_link(VpcLinkId=scene.http_link, Name="renamed-by-hand")
    v1.update_vpc_link(vpcLinkId=scene.new_rest_link,
                       patchOperations=[{"op": "replace", "path": "/description", "value": "by hand"}])
    v2.update_integration(ApiId=scene.http_api, IntegrationId=shop["integrationId"], TimeoutInMillis=500)
    v1.update_integration(restApiId=scene.orders_api, resourceId=scene.orders_resource, httpMethod="GET",
                          patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "500"}])

    def drift_left() -> dict[str, Any]:
        found = {
            "web name": v2.get_vpc_link(VpcLinkId=scene.http_link)["Name"],
            "edge description": v1.get_vpc_link(vpcLinkId=scene.new_rest_link).get("description"),
            "shop timeout": v2.get_integration(ApiId=scene.http_api, IntegrationId=shop["integrationId"])
            ["TimeoutInMillis"],
            "orders timeout": v1.get_integration(restApiId=scene.orders_api, resourceId=scene.orders_resource,
                                                 httpMethod="GET").get("timeoutInMillis"),
        }
        wanted = {"web name": f"{ns}-web", "edge description": "orders backend", "shop timeout": 20000,
                  "orders timeout": 10000}
        return {key: value for key, value in found.items() if value != wanted[key]}

    wait_until_nothing_left(drift_left, RESYNC_SECONDS + DRIFT_SLACK_SECONDS,
                            f"drift not reverted within a resync ({RESYNC_SECONDS} s) and slack")
    assert operator.proc.poll() is None and healthz(operator.port) == (200, {"status": "ok"})
