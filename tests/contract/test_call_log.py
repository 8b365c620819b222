"""Item 11: the call log records every AWS request with service, operation, status and time."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from contract_support import Aws, Network, create_http_link

from vpclink_emulator import EmulatorControl

pytestmark = pytest.mark.aws_real


def test_calls_are_logged_with_botocore_operation_names(aws: Aws, control: EmulatorControl, network: Network) -> None:
    """Issue 3 item 11: "every request is recorded with operation, status and time"."""
    control.reset_calls()
    before = time.time()
    link_id = create_http_link(aws, network)["VpcLinkId"]
    aws.client("apigatewayv2").get_vpc_link(VpcLinkId=link_id)
    with pytest.raises(ClientError):
        aws.client("apigateway").get_vpc_link(vpcLinkId="missing")
    aws.client("sts").get_caller_identity()

    calls = control.calls()

    assert [(c["service"], c["operation"], c["status"]) for c in calls] == [
        ("apigatewayv2", "CreateVpcLink", 200),
        ("apigatewayv2", "GetVpcLink", 200),
        ("apigateway", "GetVpcLink", 404),
        ("sts", "GetCallerIdentity", 200),
    ]
    assert calls[2]["error_code"] == "NotFoundException"
    assert all(before <= c["time"] <= time.time() for c in calls)
    assert [c["seq"] for c in calls] == sorted(c["seq"] for c in calls)


def test_calls_can_be_filtered_and_reset(aws: Aws, control: EmulatorControl, network: Network) -> None:
    """Issue 3 item 11: the log "can be queried and reset"; tests assert "no write happened"."""
    create_http_link(aws, network)
    mark = time.time()
    v2 = aws.client("apigatewayv2")
    v2.get_vpc_links()
    aws.client("ec2").describe_subnets()

    assert [c["operation"] for c in control.calls(operation="GetVpcLinks")] == ["GetVpcLinks"]
    assert [c["operation"] for c in control.calls(service="ec2", since=mark)] == ["DescribeSubnets"]
    assert not [c for c in control.calls(since=mark) if not c["readonly"]]  # no write since the mark
    assert any(not c["readonly"] for c in control.calls())

    control.reset_calls()
    assert control.calls() == []


def test_refused_calls_are_logged_too(aws: Aws, control: EmulatorControl) -> None:
    """Issue 3 item 11: "every request" includes those answered by a fault or a quota."""
    control.inject_fault("throttle", operations=["GetApis"], count=1)
    with pytest.raises(ClientError):
        aws.client("apigatewayv2").get_apis()

    [call] = control.calls(operation="GetApis")
    assert (call["status"], call["error_code"]) == (429, "TooManyRequestsException")
