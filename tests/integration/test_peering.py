"""Several replicas with kopf peering: only the highest-priority one reconciles; the next takes over."""

from __future__ import annotations

import pytest
import yaml

from conftest import apply, start_operator, vpclink, wait_for

pytestmark = pytest.mark.integration


def test_only_the_highest_priority_replica_acts_and_a_standby_takes_over(kubectl, namespace, crds, operator_env,
                                                                          network, emulator, tmp_path):
    kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(
        {"apiVersion": "kopf.dev/v1", "kind": "KopfPeering", "metadata": {"name": "vpclink"}}))
    env = {**operator_env, "VPCLINK_PEERING": "vpclink"}
    standby = start_operator({**env, "VPCLINK_PRIORITY": "100"}, tmp_path / "standby.log", namespace)
    active = start_operator({**env, "VPCLINK_PRIORITY": "200"}, tmp_path / "active.log", namespace)
    try:
        # Both replicas have announced themselves; kopf pauses every replica but the highest priority one.
        wait_for(lambda: len(kubectl.json("get", "kopfpeering", "vpclink", "-n", namespace).get("status", {})) == 2,
                 timeout=60, what="both replicas in the peering object")
        apply(kubectl, namespace, vpclink("first", apiType="HTTP", subnetIds=network.subnets[:2]))
        kubectl("wait", "--for=condition=Ready", "vl/first", "-n", namespace, "--timeout=60s", timeout=70)
        assert "created VPC link" in active.logs()
        assert "created VPC link" not in standby.logs()
        assert len([c for c in emulator.control.calls(operation="CreateVpcLink") if c["status"] < 300]) == 1

        active.stop()  # a graceful stop removes its peering entry: the standby resumes at once
        apply(kubectl, namespace, vpclink("second", apiType="HTTP", subnetIds=network.subnets[:2]))
        kubectl("wait", "--for=condition=Ready", "vl/second", "-n", namespace, "--timeout=60s", timeout=70)
        assert "created VPC link" in standby.logs()
    finally:
        active.stop()
        standby.stop()
