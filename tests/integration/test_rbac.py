"""The chart's RBAC is enough and not more: the real operator runs on a ServiceAccount token.

The chart is installed with `helm install` into the real kube-apiserver (RBAC on). The operator
process then authenticates with a TokenRequest token of the chart's ServiceAccount (`kubectl
create token`), never the admin token, and runs the VpcLink lifecycle. A ServiceAccount without
the chart's bindings is refused with Forbidden.

The same runs capture real status objects for the GitOps health tests (tests/data/status/):
with VPCLINK_CAPTURE_STATUS=1 they are rewritten; otherwise each live object must still match
the stored one in its conditions, so the stored objects cannot silently drift from the operator.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_chart import CHART, helm

from conftest import apply, condition, get, vpclink, wait_for
from stack import OperatorProcess

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
STATUS_DATA = REPO / "tests" / "data" / "status"
RBAC_DENIED = 'is forbidden: User "system:serviceaccount:'


@dataclass
class Install:
    release_namespace: str
    service_account: str


@pytest.fixture
def install(kubectl: Any, control_plane: Any, crds: list[str], namespace: str,
            request: pytest.FixtureRequest) -> Iterator[Install]:
    """`helm install` of the chart; namespaced mode watches the test namespace only."""
    mode = getattr(request, "param", "namespaced")
    release_ns = f"vpclink-system-{uuid.uuid4().hex[:6]}"
    release = f"op-{uuid.uuid4().hex[:6]}"  # cluster-scoped names must not collide across tests
    args = ["install", release, str(CHART), "--namespace", release_ns, "--create-namespace"]
    if mode == "namespaced":
        args += ["--set-json", f'watchNamespaces=["{namespace}"]']
    helm(*args, kubeconfig=control_plane.kubeconfig)
    try:
        yield Install(release_ns, f"{release}-vpclink-operator")
    finally:
        helm("uninstall", release, "-n", release_ns, kubeconfig=control_plane.kubeconfig)
        kubectl("delete", "namespace", release_ns, "--wait=false", check=False)


def token_kubeconfig(kubectl: Any, control_plane: Any, namespace: str, service_account: str, path: Path) -> Path:
    """A kubeconfig holding a TokenRequest token of the ServiceAccount, and nothing else."""
    token = kubectl("create", "token", service_account, "-n", namespace, "--duration=1h").stdout.strip()
    assert token.count(".") == 2, "a signed JWT from the TokenRequest API"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "sa",
        "clusters": [{"name": "c", "cluster": {"server": control_plane.server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": service_account, "user": {"token": token}}],
        "contexts": [{"name": "sa", "context": {"cluster": "c", "user": service_account}}],
    }))
    return path


def start_operator(operator_env: dict[str, str], kubeconfig: Path, log: Path, *namespaces: str) -> OperatorProcess:
    env = {**operator_env, "KUBECONFIG": str(kubeconfig)}
    args = [a for ns in namespaces for a in ("--namespace", ns)]
    return OperatorProcess(env, log, *args, "--log-format", "json", "--log-level", "DEBUG", "--poll-seconds", "0.5",
                           "--resync-seconds", "4", "--rate-limit-scale", "40").start()


@dataclass
class Net:
    subnets: list[str]
    unsupported_subnet: str
    security_group: str
    nlb_arn: str
    v2: Any


@pytest.fixture
def net(emulator: Any) -> Net:
    import boto3

    emulator.control.reset()
    kw = {"region_name": "us-east-1", "endpoint_url": emulator.url, "aws_access_key_id": "testing",
          "aws_secret_access_key": "testing"}
    ec2, elbv2 = boto3.client("ec2", **kw), boto3.client("elbv2", **kw)
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
               for i, z in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"])]
    bad = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.9.0/24", AvailabilityZone="us-east-1e")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="g", Description="t", VpcId=vpc)["GroupId"]
    nlb = elbv2.create_load_balancer(Name="nlb-rbac", Subnets=subnets[:2], Type="network",
                                     Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
    return Net(subnets, bad, group, nlb, boto3.client("apigatewayv2", **kw))


def http_link(net: Net, name: str = "orders") -> dict[str, Any]:
    return vpclink(name, apiType="HTTP", subnetIds=net.subnets[:2], securityGroupIds=[net.security_group],
                   tags={"team": "shop"})


def snapshot(kubectl: Any, namespace: str, kind: str, name: str, capture: str) -> dict[str, Any]:
    """The live object; stored under tests/data/status/<capture>.json, or checked against it."""
    obj = get(kubectl, namespace, kind, name)
    trimmed = {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
               "metadata": {k: obj["metadata"][k] for k in ("name", "namespace", "generation")},
               "spec": obj["spec"], "status": obj["status"]}
    path = STATUS_DATA / f"{capture}.json"
    if os.environ.get("VPCLINK_CAPTURE_STATUS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(trimmed, indent=2, sort_keys=True) + "\n")
    else:
        stored = json.loads(path.read_text())
        shape = lambda o: sorted((c["type"], c["status"], c["reason"]) for c in o["status"]["conditions"])
        assert shape(trimmed) == shape(stored), f"{path.name} is stale: rerun with VPCLINK_CAPTURE_STATUS=1"
        assert trimmed["status"].get("vpcLinkStatus") == stored["status"].get("vpcLinkStatus")
    return obj


def wait_obj(kubectl: Any, ns: str, name: str, predicate: Callable[[dict[str, Any]], bool], what: str,
             timeout: float = 40) -> dict[str, Any]:
    return wait_for(lambda: (o := get(kubectl, ns, "vl", name)) and predicate(o) and o,  # type: ignore[no-any-return]
                    timeout=timeout, interval=0.1, what=what)


def log_messages(operator: OperatorProcess) -> list[str]:
    """The operator's JSON log lines, decoded (quotes inside messages are escaped in the raw file)."""
    messages = []
    for line in operator.logs().splitlines():
        try:
            messages.append(str(json.loads(line).get("message", "")))
        except ValueError:
            messages.append(line)
    return messages


def rbac_denials(operator: OperatorProcess) -> list[str]:
    return [m for m in log_messages(operator) if RBAC_DENIED in m or "Not enough permissions" in m]


def assert_no_rbac_denials(operator: OperatorProcess) -> None:
    assert log_messages(operator), "the operator logged nothing: the check below would be vacuous"
    assert rbac_denials(operator) == []


@pytest.mark.parametrize("install", ["namespaced", "cluster-wide"], indirect=True)
def test_operator_on_chart_service_account_token_runs_the_lifecycle(
        kubectl: Any, control_plane: Any, operator_env: dict[str, str], namespace: str, install: Install,
        net: Net, emulator: Any, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    kubeconfig = token_kubeconfig(kubectl, control_plane, install.release_namespace, install.service_account,
                                  tmp_path / "kubeconfig")
    assert control_plane.token not in kubeconfig.read_text()
    namespaced = "namespaced" in request.node.callspec.id
    operator = start_operator(operator_env, kubeconfig, tmp_path / "operator.log",
                              *([namespace] if namespaced else []))
    try:
        apply(kubectl, namespace, http_link(net))
        pending = wait_obj(kubectl, namespace, "orders", lambda o: o.get("status", {}).get("vpcLinkId"), "link id")
        if namespaced and pending["status"].get("vpcLinkStatus") == "PENDING":
            snapshot(kubectl, namespace, "vl", "orders", "vpclink-pending")
        obj = wait_obj(kubectl, namespace, "orders", lambda o: condition(o, "Ready").get("status") == "True", "Ready")
        link_id = obj["status"]["vpcLinkId"]
        if namespaced:
            snapshot(kubectl, namespace, "vl", "orders", "vpclink-available")
        reasons = {e["reason"] for e in kubectl.json("get", "events", "-n", namespace)["items"]}
        assert {"Created", "Available"} <= reasons, "events are created with the chart's RBAC"

        kubectl("delete", "vl", "orders", "-n", namespace, "--wait=false")
        wait_for(lambda: not get(kubectl, namespace, "vl", "orders"), timeout=60, what="finalizer released")
        assert [c for c in emulator.control.calls(operation="DeleteVpcLink") if c["status"] < 400]
        assert link_id not in {link["VpcLinkId"] for link in net.v2.get_vpc_links()["Items"]}, "AWS link deleted"
        assert_no_rbac_denials(operator)
    finally:
        operator.stop()


def test_operator_states_captured_under_chart_rbac(
        kubectl: Any, control_plane: Any, operator_env: dict[str, str], namespace: str, install: Install,
        net: Net, emulator: Any, tmp_path: Path) -> None:
    """Every lifecycle state the GitOps health checks must classify, produced by the real operator."""
    kubeconfig = token_kubeconfig(kubectl, control_plane, install.release_namespace, install.service_account,
                                  tmp_path / "kubeconfig")
    operator = start_operator(operator_env, kubeconfig, tmp_path / "operator.log", namespace)
    try:
        # Replacing: an immutable change while the old link still serves.
        apply(kubectl, namespace, http_link(net))
        wait_obj(kubectl, namespace, "orders", lambda o: condition(o, "Ready").get("status") == "True", "Ready")
        changed = http_link(net)
        changed["spec"]["subnetIds"] = net.subnets[1:3]
        apply(kubectl, namespace, changed)
        wait_obj(kubectl, namespace, "orders", lambda o: bool(o["status"].get("replacement")), "replacement")
        snapshot(kubectl, namespace, "vl", "orders", "vpclink-replacing")
        obj = wait_obj(kubectl, namespace, "orders", lambda o: not o["status"].get("replacement")
                       and condition(o, "Reconciling").get("status") == "False"
                       and condition(o, "Ready").get("status") == "True", "replaced", timeout=60)

        # INACTIVE: 60 days without traffic.
        emulator.control.set_link_state(obj["status"]["vpcLinkId"], "INACTIVE")
        wait_obj(kubectl, namespace, "orders", lambda o: condition(o, "Ready").get("reason") == "Inactive", "Inactive")
        snapshot(kubectl, namespace, "vl", "orders", "vpclink-inactive")

        # FAILED: a second REST link on an NLB that already has one (seed 001).
        apply(kubectl, namespace, vpclink("first", apiType="REST", targetArns=[net.nlb_arn]))
        wait_obj(kubectl, namespace, "first", lambda o: condition(o, "Ready").get("status") == "True", "Ready")
        apply(kubectl, namespace, vpclink("second", apiType="REST", targetArns=[net.nlb_arn]))
        wait_obj(kubectl, namespace, "second", lambda o: condition(o, "Stalled").get("status") == "True", "Stalled")
        snapshot(kubectl, namespace, "vl", "second", "vpclink-failed")

        # An invalid spec that only a change can fix.
        apply(kubectl, namespace, vpclink("bad-az", apiType="HTTP", subnetIds=[net.subnets[0], net.unsupported_subnet]))
        wait_obj(kubectl, namespace, "bad-az", lambda o: condition(o, "Stalled").get("status") == "True", "Stalled")
        snapshot(kubectl, namespace, "vl", "bad-az", "vpclink-preflight-failed")
        assert_no_rbac_denials(operator)
    finally:
        operator.stop()


def test_chart_rbac_grants_exactly_the_operator_verbs(kubectl: Any, namespace: str, install: Install) -> None:
    who = f"system:serviceaccount:{install.release_namespace}:{install.service_account}"
    can = lambda *args: kubectl("auth", "can-i", "--as", who, *args, check=False).stdout.strip() == "yes"
    for verb in ("get", "list", "watch", "patch"):
        assert can(verb, "vpclinks.apigateway.vpclink.dev", "-n", namespace)
        assert can(verb, "privateintegrations.apigateway.vpclink.dev", "-n", namespace)
    assert can("patch", "vpclinks.apigateway.vpclink.dev", "--subresource=status", "-n", namespace)
    assert can("create", "events", "-n", namespace)
    assert can("watch", "customresourcedefinitions.apiextensions.k8s.io")
    assert can("list", "namespaces")
    # Not granted: writes it never makes, other namespaces, anything else.
    for args in (("create", "vpclinks.apigateway.vpclink.dev", "-n", namespace),
                 ("delete", "vpclinks.apigateway.vpclink.dev", "-n", namespace),
                 ("update", "vpclinks.apigateway.vpclink.dev", "-n", namespace),
                 ("get", "vpclinks.apigateway.vpclink.dev", "-n", "default"),
                 ("get", "secrets", "-n", namespace),
                 ("get", "namespaces"),
                 ("patch", "customresourcedefinitions.apiextensions.k8s.io"),
                 ("create", "leases.coordination.k8s.io", "-n", namespace)):
        assert not can(*args), args


def test_service_account_without_chart_rbac_is_forbidden(
        kubectl: Any, control_plane: Any, operator_env: dict[str, str], namespace: str, crds: list[str],
        net: Net, emulator: Any, tmp_path: Path) -> None:
    kubectl("create", "serviceaccount", "no-rbac", "-n", namespace)
    kubeconfig = token_kubeconfig(kubectl, control_plane, namespace, "no-rbac", tmp_path / "kubeconfig")
    apply(kubectl, namespace, http_link(net))
    operator = start_operator(operator_env, kubeconfig, tmp_path / "operator.log", namespace)
    try:
        denied = f'{RBAC_DENIED}{namespace}:no-rbac" cannot list resource'
        first = wait_for(lambda: [m for m in log_messages(operator) if denied in m], timeout=30,
                         what="a Forbidden error in the operator log")
        assert "Forbidden" in first[0] and "403" in first[0]
        time.sleep(2)  # kopf keeps retrying; nothing may have reached the object or AWS meanwhile
        obj = get(kubectl, namespace, "vl", "orders")
        assert "status" not in obj and not obj["metadata"].get("finalizers"), "the operator did nothing"
        assert emulator.control.calls(operation="CreateVpcLink") == []
    finally:
        operator.stop()
