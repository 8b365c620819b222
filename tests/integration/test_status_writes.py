"""Status writes on the real apiserver: an idle resync writes nothing; a removed map key leaves status.

Kubernetes writes are counted by the apiserver itself (`apiserver_request_total` on its /metrics),
so a PATCH that changes nothing counts too (the apiserver does not bump resourceVersion for those).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from test_private_integration import integration, listener, wait_ready

from conftest import Network, apply, get, vpclink, wait_for

pytestmark = pytest.mark.integration
RESYNC_SECONDS = 4  # the operator fixture's --resync-seconds


def status_patches(kubectl: Any, resource: str) -> int:
    """PATCH requests on `resource`'s status subresource the apiserver has served since it started."""
    metrics = kubectl("get", "--raw", "/metrics").stdout
    total = 0
    for line in metrics.splitlines():
        if line.startswith("apiserver_request_total{") and f'resource="{resource}"' in line \
                and 'subresource="status"' in line and 'verb="PATCH"' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def stored(kubectl: Any, namespace: str, kind: str, name: str) -> tuple[str, Any, Any]:
    obj = kubectl.json("get", kind, name, "-n", namespace, "--show-managed-fields")
    return obj["metadata"]["resourceVersion"], obj["metadata"]["managedFields"], obj["status"]


def test_an_idle_resync_makes_no_kubernetes_writes(kubectl, namespace, operator, network, aws, fresh_aws):
    apply(kubectl, namespace, vpclink("idle", apiType="HTTP", subnetIds=network.subnets[:2]))
    wait_ready(kubectl, namespace, "vl", "idle")
    api = aws("apigatewayv2").create_api(Name="idle", ProtocolType="HTTP")["ApiId"]
    apply(kubectl, namespace, integration("idle-api", vpcLinkRef={"name": "idle"}, http={
        "apiId": api, "integrationUri": listener(aws, network), "routeKeys": ["GET /a"]}))
    wait_ready(kubectl, namespace, "pi", "idle-api")
    time.sleep(RESYNC_SECONDS)  # the pass that saw AVAILABLE may still have a follow-up look due

    objects = (("vl", "idle"), ("pi", "idle-api"))
    before = {(kind, name): stored(kubectl, namespace, kind, name) for kind, name in objects}
    patches = {r: status_patches(kubectl, r) for r in ("vpclinks", "privateintegrations")}
    assert all(patches.values()), patches  # the metric is read right: creating them took status writes
    window_start = time.time()
    time.sleep(3 * RESYNC_SECONDS + 1)

    # The operator did resync in the window: the shared lists both objects read were taken again, once per
    # resync (3 intervals, +1 for the edges), and nothing else was called: no object looked on its own.
    calls = Counter(c["operation"] for c in fresh_aws.control.calls() if c["time"] >= window_start)
    assert set(calls) == {"GetVpcLinks", "GetIntegrations", "GetRoutes"}, calls
    assert all(count <= 4 for count in calls.values()), calls
    assert {r: status_patches(kubectl, r) for r in patches} == patches
    for (kind, name), then in before.items():
        assert stored(kubectl, namespace, kind, name) == then


def test_a_removed_route_key_leaves_status_route_ids(kubectl, namespace, operator, network: Network, aws):
    apply(kubectl, namespace, vpclink("routes", apiType="HTTP", subnetIds=network.subnets[:2]))
    wait_ready(kubectl, namespace, "vl", "routes")
    v2 = aws("apigatewayv2")
    api = v2.create_api(Name="routes", ProtocolType="HTTP")["ApiId"]
    uri = listener(aws, network)
    apply(kubectl, namespace, integration("orders", vpcLinkRef={"name": "routes"}, http={
        "apiId": api, "integrationUri": uri, "routeKeys": ["GET /orders", "POST /orders"]}))
    route_ids = wait_ready(kubectl, namespace, "pi", "orders")["status"]["routeIds"]
    assert set(route_ids) == {"GET /orders", "POST /orders"}

    apply(kubectl, namespace, integration("orders", vpcLinkRef={"name": "routes"}, http={
        "apiId": api, "integrationUri": uri, "routeKeys": ["GET /orders"]}))
    wait_for(lambda: [r["RouteKey"] for r in v2.get_routes(ApiId=api)["Items"]] == ["GET /orders"],
             what="the removed route deleted in AWS")
    obj = wait_for(lambda: (o := get(kubectl, namespace, "pi", "orders"))["status"].get("observedGeneration") == 2
                   and o, what="status of generation 2")
    assert obj["status"]["routeIds"] == {"GET /orders": route_ids["GET /orders"]}

    apply(kubectl, namespace, integration("orders", vpcLinkRef={"name": "routes"}, http={
        "apiId": api, "integrationUri": uri}))
    wait_for(lambda: v2.get_routes(ApiId=api)["Items"] == [], what="the last route deleted in AWS")
    obj = wait_for(lambda: (o := get(kubectl, namespace, "pi", "orders"))["status"].get("observedGeneration") == 3
                   and o, what="status of generation 3")
    assert not obj["status"].get("routeIds")

