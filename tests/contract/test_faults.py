"""Item 10: fault injection -- throttle storms, concurrent-modification conflicts, 5xx, latency."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from contract_support import Aws, error_of, unique

from vpclink_emulator import EmulatorControl

pytestmark = pytest.mark.aws_real


def test_throttle_storm_hits_only_its_operations_for_its_duration(aws: Aws, control: EmulatorControl) -> None:
    """Issue 3 item 10: a throttle storm (x% 429s for t seconds), scoped by operation name; the error is
    API Gateway's TooManyRequestsException."""
    v1, v2 = aws.client("apigateway"), aws.client("apigatewayv2")
    control.inject_fault("throttle", percent=100, duration=0.5, operations=["GetVpcLinks"])

    with pytest.raises(ClientError) as excinfo:
        v2.get_vpc_links()
    assert error_of(excinfo)[::2] == ("TooManyRequestsException", 429)
    with pytest.raises(ClientError):
        v1.get_vpc_links()
    v2.get_apis()

    time.sleep(0.6)
    v2.get_vpc_links()


def test_partial_throttle_storm_fails_about_its_share(aws: Aws, control: EmulatorControl) -> None:
    """Issue 3 item 10: "x% 429s" -- with a seeded 30% storm, roughly 30% of calls are throttled."""
    v2 = aws.client("apigatewayv2")
    control.inject_fault("throttle", percent=30, seed=7)

    throttled = 0
    for _ in range(200):
        try:
            v2.get_apis()
        except ClientError:
            throttled += 1

    assert 30 <= throttled <= 90


def test_conflict_fault_is_a_transient_concurrent_modification(aws: Aws, control: EmulatorControl) -> None:
    """AWS error text: "ConflictException: Unable to complete operation due to concurrent modification"."""
    v1 = aws.client("apigateway")
    control.inject_fault("conflict", count=1, operations=["CreateRestApi"])

    with pytest.raises(ClientError) as excinfo:
        v1.create_rest_api(name="contended")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ConflictException", 409)
    assert "Unable to complete operation due to concurrent modification" in message
    assert v1.get_rest_apis()["items"] == []

    v1.create_rest_api(name="contended")


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_fault(aws: Aws, control: EmulatorControl, status: int) -> None:
    """Issue 3 item 10: 5xx errors, which botocore must see with their status (and so retry)."""
    v2 = aws.client("apigatewayv2")
    control.inject_fault("server_error", status=status, count=1)

    with pytest.raises(ClientError) as excinfo:
        v2.get_vpc_links()
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    v2.get_vpc_links()


def test_latency_fault_delays_calls(aws: Aws, control: EmulatorControl) -> None:
    """Issue 3 item 10: added latency, scoped by operation name."""
    v2 = aws.client("apigatewayv2")
    control.inject_fault("latency", latency_ms=300, operations=["GetApis"])

    started = time.monotonic()
    v2.get_apis()
    slow = time.monotonic() - started
    started = time.monotonic()
    v2.get_vpc_links()
    fast = time.monotonic() - started

    assert slow >= 0.3 > fast


def test_throttle_on_query_protocol_services_uses_their_error_shape(aws: Aws, control: EmulatorControl) -> None:
    """Issue 3 item 10, for the other services the operator calls: EC2 throttles with RequestLimitExceeded
    and ELBv2 with Throttling, and botocore must parse them from their XML bodies."""
    control.inject_fault("throttle", services=["ec2", "elbv2"])

    with pytest.raises(ClientError) as ec2_error:
        aws.client("ec2").describe_vpcs()
    with pytest.raises(ClientError) as elb_error:
        aws.client("elbv2").describe_load_balancers()

    assert error_of(ec2_error)[0] == "RequestLimitExceeded"
    assert error_of(elb_error)[0] == "Throttling"
    control.clear_faults()
    assert control.faults() == []
    aws.client("ec2").describe_vpcs()


def test_latency_after_the_call_took_effect(aws: Aws, control: EmulatorControl) -> None:
    """Issue 3 item 10, added latency on the answer: AWS has done the work but the client has not heard
    yet -- the window in which an operator can crash between a create call and recording its id."""
    v2 = aws.client("apigatewayv2")
    control.inject_fault("latency", latency_ms=400, phase="after", operations=["CreateApi"], count=1)

    started = time.monotonic()
    created = v2.create_api(Name=unique("late-answer"), ProtocolType="HTTP")
    assert time.monotonic() - started >= 0.4
    assert created["ApiId"] in {api["ApiId"] for api in v2.get_apis()["Items"]}
    assert [c["status"] < 300 for c in control.calls(operation="CreateApi")] == [True]
