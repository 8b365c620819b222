"""What GitOps tools and Prometheus see of a full lifecycle: the spec never changes, metrics add up."""

from __future__ import annotations

import urllib.request

import pytest
import yaml

from conftest import apply, condition, get, vpclink, wait_for

pytestmark = pytest.mark.integration


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.split("{")[0].split(" ")[0] == name and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{wanted}}} not exported")


def test_operator_never_writes_spec_and_exports_metrics(kubectl, namespace, operator, network, emulator):
    manifest = vpclink("orders", apiType="HTTP", subnetIds=network.subnets[:2],
                       securityGroupIds=network.security_groups[:1], tags={"team": "shop"})
    apply(kubectl, namespace, manifest)
    kubectl("wait", "--for=condition=Ready", "vl/orders", "-n", namespace, "--timeout=60s", timeout=70)
    before = get(kubectl, namespace, "vl", "orders")
    link_id = before["status"]["vpcLinkId"]

    # A lifecycle driven from AWS's side: INACTIVE, back to AVAILABLE, deleted out of band, recreated.
    emulator.control.set_link_state(link_id, "INACTIVE")
    wait_for(lambda: condition(get(kubectl, namespace, "vl", "orders"), "Ready").get("reason") == "Inactive")
    emulator.control.set_link_state(link_id, "AVAILABLE")
    wait_for(lambda: condition(get(kubectl, namespace, "vl", "orders"), "Ready").get("status") == "True")
    kubectl("annotate", "vl", "orders", "-n", namespace, "example.com/touched=yes")  # metadata, not spec
    after = get(kubectl, namespace, "vl", "orders")

    assert after["spec"] == before["spec"]
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    # What Argo CD and Flux compute: the live object equals the manifest in Git.
    manifest["metadata"]["namespace"] = namespace
    diff = kubectl("diff", "-f", "-", input=yaml.safe_dump(manifest), check=False)
    assert diff.returncode == 0, diff.stdout

    with urllib.request.urlopen(f"http://127.0.0.1:{operator.port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    calls = "vpclink_aws_request_duration_seconds_count"
    assert metric(text, calls, service="apigatewayv2", operation="CreateVpcLink", result="ok") == 1
    assert metric(text, calls, service="apigatewayv2", operation="GetVpcLinks", result="ok") >= 1
    assert metric(text, "vpclink_reconcile_duration_seconds_count", kind="VpcLink", result="ok") >= 1
    assert metric(text, "vpclink_links", state="AVAILABLE") == 1
    assert metric(text, "vpclink_links", state="PENDING") == 0
    assert metric(text, "vpclink_oldest_pending_link_age_seconds") == 0
    assert "# TYPE vpclink_rate_limiter_wait_seconds histogram" in text
