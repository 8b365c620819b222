"""Integration fixtures: the real operator process, AWS fixtures in the emulator, polling helpers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from stack import OperatorProcess

REGION = "us-east-1"
RESYNC_SECONDS = 4  # the operator under test re-observes AWS this often


def wait_for(predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.2, what: str = "") -> Any:
    """Poll until `predicate()` is truthy; return its value or fail with `what`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}; last value: {last!r}")


@pytest.fixture
def fresh_aws(emulator: Any) -> Any:
    """The emulator with no AWS resources, calls or faults left by earlier tests."""
    emulator.control.reset()
    return emulator


@pytest.fixture
def held_pending(fresh_aws: Any) -> Iterator[Any]:
    """New links stay PENDING until the test releases them with set_link_state (no race with the clock)."""
    before = fresh_aws.control.config()["link_pending_seconds"]
    yield fresh_aws
    fresh_aws.control.configure(link_pending_seconds=before)


def start_operator(env: dict[str, str], log: Path, *namespaces: str,
                   resync: float = RESYNC_SECONDS) -> OperatorProcess:
    watch = [arg for ns in namespaces for arg in ("--namespace", ns)]
    return OperatorProcess(
        env, log, *watch, "--log-format", "json", "--log-level", "DEBUG",
        "--poll-seconds", "0.5", "--resync-seconds", str(resync),
        # the emulator runs 40x faster than AWS (see the emulator fixture); so do the quotas
        "--rate-limit-scale", "40",
    ).start()


@pytest.fixture
def operator(crds: list[str], operator_env: dict[str, str], namespace: str, fresh_aws: Any,
             tmp_path: Path) -> Iterator[OperatorProcess]:
    proc = start_operator(operator_env, tmp_path / "operator.log", namespace)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def aws(emulator: Any) -> Callable[[str], Any]:
    """boto3 clients for the test's own set-up and checks, pointed at the emulator."""
    def client(service: str, region: str = REGION) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=emulator.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    return client


@dataclass
class Network:
    vpc_id: str
    subnets: list[str]  # in Availability Zones that support HTTP API VPC links
    unsupported_subnet: str  # in us-east-1e (use1-az3), absent from seed 000's table
    security_groups: list[str]
    nlb_arn: str
    second_nlb_arn: str
    alb_arn: str


@pytest.fixture
def network(aws: Callable[[str], Any], fresh_aws: Any) -> Network:
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"])]
    unsupported = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.9.0/24",
                                    AvailabilityZone="us-east-1e")["Subnet"]["SubnetId"]
    groups = [ec2.create_security_group(GroupName=f"g{i}", Description="test", VpcId=vpc)["GroupId"]
              for i in range(2)]

    def balancer(name: str, kind: str) -> str:
        return str(elbv2.create_load_balancer(Name=name, Subnets=subnets[:2], Type=kind,
                                              Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"])

    return Network(vpc, subnets, unsupported, groups, balancer("nlb-a", "network"), balancer("nlb-b", "network"),
                   balancer("alb-a", "application"))


def apply(kubectl: Any, namespace: str, obj: dict[str, Any]) -> None:
    kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(obj))


def vpclink(name: str, /, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apigateway.vpclink.dev/v1alpha1", "kind": "VpcLink",
            "metadata": {"name": name}, "spec": spec}


def get(kubectl: Any, namespace: str, kind: str, name: str) -> dict[str, Any]:
    proc = kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == kind), {})


def events(kubectl: Any, namespace: str, name: str) -> list[dict[str, Any]]:
    items = json.loads(kubectl("get", "events", "-n", namespace, "-o", "json").stdout)["items"]
    return [e for e in items if e["involvedObject"]["name"] == name]
