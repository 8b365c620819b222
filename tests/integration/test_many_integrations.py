"""Issue 13: many PrivateIntegrations converging at once, with API Gateway's quotas on (time-scaled).

A write's answer updates the shared API snapshot instead of making the next object list the API again, and
REST changes to one stage share a deployment. Counts come from the emulator's call log, never timings.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from conftest import REGION, Network, get, wait_for
from stack import OperatorProcess

pytestmark = pytest.mark.integration
GROUP = "apigateway.vpclink.dev/v1alpha1"


@pytest.fixture
def quotas(fresh_aws: Any) -> Iterator[Any]:
    """The emulator, whose API Gateway rate quotas (on its time-scaled clock) the test turns on once its own
    set-up is done (so the set-up spends no token the operator cannot know of); off again afterwards."""
    try:
        yield fresh_aws
    finally:
        fresh_aws.control.configure(quotas=False)


def apply_all(kubectl: Any, namespace: str, objects: list[dict[str, Any]]) -> None:
    """One `kubectl apply` for every object: they reach the operator together."""
    kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump({"apiVersion": "v1", "kind": "List",
                                                                       "items": objects}))


def all_ready(kubectl: Any, namespace: str, names: list[str]) -> list[dict[str, Any]]:
    items = kubectl.json("get", "pi", "-n", namespace)["items"]
    ready = [o for o in items if o["metadata"]["name"] in names and any(
        c["type"] == "Ready" and c["status"] == "True" for c in o.get("status", {}).get("conditions", []))]
    return ready if len(ready) == len(names) else []


def available_link(aws: Any, emulator: Any, service: str, **create: Any) -> str:
    """A VPC link made outside the operator, used by id (spec.vpcLinkId), already AVAILABLE."""
    created = aws(service).create_vpc_link(**create)
    link_id = str(created.get("VpcLinkId") or created["id"])
    emulator.control.set_link_state(link_id, "AVAILABLE")
    return link_id


def refused(calls: list[dict[str, Any]]) -> list[str]:
    return [c["operation"] for c in calls if c["status"] == 429]


@pytest.mark.parametrize("stage_exists", [True, False], ids=["existing-stage", "stage-created-by-operator"])
def test_rest_methods_on_one_stage_share_deployments(kubectl, namespace, operator, quotas, network: Network, aws,
                                                     stage_exists):
    """Issue 13: 100 methods with deployOnChange on one stage made 100 CreateDeployment and 143 x 429; changes
    within a short window (the quota's own interval) must share a deployment: at most 3, and no 429."""
    v1 = aws("apigateway")
    link = available_link(aws, quotas, "apigateway", name="nlb-link", targetArns=[network.nlb_arn])
    api = v1.create_rest_api(name="many-methods")["id"]
    root = next(r["id"] for r in v1.get_resources(restApiId=api)["items"] if r["path"] == "/")
    paths = [f"/m{i:02d}" for i in range(40)]
    for path in paths:
        v1.create_resource(restApiId=api, parentId=root, pathPart=path[1:])
    v1.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")  # the user's own
    v1.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    if stage_exists:
        v1.create_deployment(restApiId=api, stageName="prod")
    names = [f"m{i:02d}" for i in range(len(paths))]
    quotas.control.configure(quotas=True)
    mark = time.time()

    apply_all(kubectl, namespace, [{
        "apiVersion": GROUP, "kind": "PrivateIntegration", "metadata": {"name": name},
        "spec": {"vpcLinkId": link, "rest": {
            "restApiId": api, "resourcePath": path, "httpMethod": "GET", "integrationHttpMethod": "GET",
            "uri": f"http://backend.internal.example.com{path}", "stages": ["prod"], "deployOnChange": True}},
    } for name, path in zip(names, paths, strict=True)])
    objects = wait_for(lambda: all_ready(kubectl, namespace, names), timeout=240, what="every method Ready")

    calls = quotas.control.calls(since=mark)
    deployments = [c for c in calls if c["operation"] == "CreateDeployment" and c["status"] < 300]
    assert 1 <= len(deployments) <= 3, [c["seq"] for c in deployments]
    assert refused(calls) == []
    # Every method is deployed: each object names a deployment of the stage, and the stage now serves the
    # last deployment, made after the last integration was put.
    deployment_ids = {d["id"] for d in v1.get_deployments(restApiId=api, limit=500)["items"]}
    for obj in objects:
        assert obj["status"]["deployedStages"] == ["prod"]
        assert obj["status"]["lastDeploymentId"] in deployment_ids
    last_put = max(c["seq"] for c in calls if c["operation"] == "PutIntegration" and c["status"] < 300)
    assert deployments[-1]["seq"] > last_put
    stage = v1.get_stage(restApiId=api, stageName="prod")
    assert stage["deploymentId"] in {o["status"]["lastDeploymentId"] for o in objects}
    integrated = {r["path"] for r in v1.get_resources(restApiId=api, embed=["methods"], limit=500)["items"]
                  if (r.get("resourceMethods", {}).get("GET") or {}).get("methodIntegration", {})
                  .get("connectionId") == link}
    assert integrated == set(paths)


def reads_per_write(calls: list[dict[str, Any]]) -> tuple[int, int]:
    reads = [c for c in calls if c["operation"].startswith(("Get", "List"))]
    writes = [c for c in calls if not c["readonly"]]
    return len(reads), len(writes)


def test_http_integrations_converge_without_relisting_after_each_write(kubectl, namespace, crds, operator_env,
                                                                      quotas, network: Network, aws, tmp_path):
    """Issue 13: 1.24 reads per write while 900 PrivateIntegrations converged, as each write made the next object
    list the whole API again (and a list that overlapped a create could hide it, so it was created twice). A
    write's answer now updates the shared snapshot. The operator runs at its default poll and resync, so the
    printed reads per write are the production ratio; only the writes are asserted (reads follow the clock)."""
    proc = OperatorProcess(operator_env, tmp_path / "operator.log", "--namespace", namespace, "--log-format", "json",
                           "--rate-limit-scale", "40").start()
    try:
        v2 = aws("apigatewayv2")
        link = available_link(aws, quotas, "apigatewayv2", Name="shop", SubnetIds=network.subnets[:2],
                              SecurityGroupIds=network.security_groups[:1])
        listener = aws("elbv2").create_listener(
            LoadBalancerArn=network.alb_arn, Protocol="HTTP", Port=80,
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
        )["Listeners"][0]["ListenerArn"]
        apis = [v2.create_api(Name=f"shop-{i}", ProtocolType="HTTP")["ApiId"] for i in range(3)]
        names = [f"route-{i:03d}" for i in range(100)]
        quotas.control.configure(quotas=True)
        mark = time.time()

        apply_all(kubectl, namespace, [{
            "apiVersion": GROUP, "kind": "PrivateIntegration", "metadata": {"name": name},
            "spec": {"vpcLinkId": link, "http": {"apiId": apis[i % len(apis)], "integrationUri": listener,
                                                 "routeKeys": [f"GET /{name}"]}},
        } for i, name in enumerate(names)])
        wait_for(lambda: all_ready(kubectl, namespace, names), timeout=240, interval=1, what="every integration Ready")
    finally:
        proc.stop()

    calls = [c for c in quotas.control.calls(since=mark) if c["region"] == REGION]
    reads, writes = reads_per_write(calls)
    print(f"\nreads per write: {reads} reads / {writes} writes = {reads / writes:.2f}",
          dict(Counter(c["operation"] for c in calls)))
    # One integration and one route each, nothing created twice, and nothing refused by a quota.
    assert Counter(c["operation"] for c in calls if not c["readonly"]) == {"CreateIntegration": len(names),
                                                                           "CreateRoute": len(names)}
    assert refused(calls) == []
    for name in names:
        status = get(kubectl, namespace, "pi", name)["status"]
        assert status["routeIds"].keys() == {f"GET /{name}"}
