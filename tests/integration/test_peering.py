"""Several replicas with kopf peering: only the highest-priority one reconciles; the next takes over."""

from __future__ import annotations

import time

import pytest
import yaml

from conftest import apply, get, start_operator, vpclink, wait_for

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


def test_a_replica_paused_after_it_was_active_stops_acting(kubectl, namespace, crds, operator_env, network, aws,
                                                            emulator, tmp_path):
    """kopf pauses its watches in favour of a higher priority; the scheduler's passes and observers pause too,
    so drift is reverted by the new active replica alone."""
    kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(
        {"apiVersion": "kopf.dev/v1", "kind": "KopfPeering", "metadata": {"name": "vpclink"}}))
    env = {**operator_env, "VPCLINK_PEERING": "vpclink"}
    first = start_operator({**env, "VPCLINK_PRIORITY": "100"}, tmp_path / "first.log", namespace)
    second = None
    try:
        apply(kubectl, namespace, vpclink("kept", apiType="HTTP", subnetIds=network.subnets[:2], name="kept"))
        kubectl("wait", "--for=condition=Ready", "vl/kept", "-n", namespace, "--timeout=60s", timeout=70)
        link_id = get(kubectl, namespace, "vl", "kept")["status"]["vpcLinkId"]
        second = start_operator({**env, "VPCLINK_PRIORITY": "200"}, tmp_path / "second.log", namespace)
        wait_for(lambda: "Pausing operations in favour of" in first.logs(), timeout=60, what="the first replica paused")
        time.sleep(2)  # the second replica lists and reads the link before the drift
        since = time.time()

        aws("apigatewayv2").update_vpc_link(VpcLinkId=link_id, Name="renamed-by-hand")
        wait_for(lambda: aws("apigatewayv2").get_vpc_link(VpcLinkId=link_id)["Name"] == "kept", timeout=60,
                 what="drift reverted")
        time.sleep(3)  # a paused replica that still acted would have called by now too
        updates = [c for c in emulator.control.calls(operation="UpdateVpcLink") if c["time"] >= since]
        assert len(updates) == 2, updates  # the drift made here, and one revert: only the active replica acted
        assert "UpdateVpcLink" not in first.logs() and "UpdateVpcLink" in second.logs()
        assert first.proc.poll() is None
    finally:
        first.stop()
        if second is not None:
            second.stop()
