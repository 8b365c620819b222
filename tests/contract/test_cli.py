"""`python -m vpclink_emulator --port N` serves boto3 and the aws CLI (issue 3, "Done when")."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import pytest
from contract_support import real_aws

from vpclink_emulator import ControlError, EmulatorControl

pytestmark = pytest.mark.skipif(real_aws(), reason="exercises the emulator's own command line")


PENDING_30_AT_SCALE_100 = ["--link-pending-seconds", "30", "--time-scale", "100"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vpclink_emulator", "--port", str(port), *PENDING_30_AT_SCALE_100],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            EmulatorControl(url, timeout=1).health()
            break
        except (OSError, ControlError):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError(f"emulator did not start: {process.communicate()[0]!r}") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def aws_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    return env


def test_cli_flags_configure_the_emulator(endpoint: str) -> None:
    """The documented flags reach the config the control API reports."""
    config = EmulatorControl(endpoint).config()
    assert (config["link_pending_seconds"], config["time_scale"], config["quotas"]) == (30.0, 100.0, False)


def test_boto3_through_aws_endpoint_url(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator reaches AWS only through the standard AWS_ENDPOINT_URL variable."""
    for key, value in aws_env(endpoint).items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    v2 = boto3.client("apigatewayv2")
    link = v2.create_vpc_link(Name="from-boto3", SubnetIds=["subnet-aaaa"])
    assert link["VpcLinkStatus"] == "PENDING"
    assert boto3.client("sts").get_caller_identity()["Account"] == "123456789012"


@pytest.mark.skipif(shutil.which("aws") is None, reason="the aws CLI is not installed")
def test_aws_cli(endpoint: str) -> None:
    """seed 000_23caf7128792e952.txt: `aws apigatewayv2 create-vpc-link --name ... --subnet-ids ...`."""
    env = aws_env(endpoint)
    created = subprocess.run(
        [
            "aws",
            "apigatewayv2",
            "create-vpc-link",
            "--name",
            "MyVpcLink",
            "--subnet-ids",
            "subnet-aaaa",
            "subnet-bbbb",
            "--endpoint-url",
            endpoint,
            "--output",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    link_id = json.loads(created.stdout)["VpcLinkId"]
    listed = subprocess.run(
        ["aws", "apigatewayv2", "get-vpc-links", "--endpoint-url", endpoint, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert link_id in [item["VpcLinkId"] for item in json.loads(listed.stdout)["Items"]]
