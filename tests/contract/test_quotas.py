"""Items 8 and 9: rate quotas per account and Region (429 TooManyRequestsException) and resource quotas."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from contract_support import Aws, Network, create_http_api, create_http_link, create_rest_api_with_method, error_of

from vpclink_emulator import EmulatorControl

pytestmark = pytest.mark.aws_real

# Emulated seconds per real second while counting: slow enough that no bucket refills mid-test.
FROZEN = 0.001


def admitted_before_throttle(call: Callable[[], Any], limit: int = 100) -> int:
    """How many calls succeed before the first TooManyRequestsException (which must come)."""
    for admitted in range(limit):
        try:
            call()
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "TooManyRequestsException"
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            return admitted
    raise AssertionError(f"no throttling after {limit} calls")


@pytest.fixture
def quotas(control: EmulatorControl) -> EmulatorControl:
    control.configure(quotas=True, time_scale=FROZEN)
    return control


def test_create_vpc_link_http_is_one_per_15_seconds(aws: Aws, quotas: EmulatorControl, network: Network) -> None:
    """Issue 3 item 8 (API Gateway quota): CreateVpcLink (v2) 1 request per 15 seconds per account."""
    assert admitted_before_throttle(lambda: create_http_link(aws, network)) == 1

    quotas.advance_time(14)
    assert admitted_before_throttle(lambda: create_http_link(aws, network)) == 0
    quotas.advance_time(1.5)
    assert admitted_before_throttle(lambda: create_http_link(aws, network)) == 1


def test_delete_vpc_link_http_is_one_per_30_seconds(aws: Aws, quotas: EmulatorControl, network: Network) -> None:
    """Issue 3 item 8 (API Gateway quota): DeleteVpcLink (v2) 1 request per 30 seconds per account."""
    v2 = aws.client("apigatewayv2")
    links = [create_http_link(aws, network)["VpcLinkId"]]
    quotas.advance_time(15)
    links.append(create_http_link(aws, network)["VpcLinkId"])

    v2.delete_vpc_link(VpcLinkId=links[0])
    quotas.advance_time(29)
    with pytest.raises(ClientError) as excinfo:
        v2.delete_vpc_link(VpcLinkId=links[1])
    assert error_of(excinfo)[::2] == ("TooManyRequestsException", 429)
    quotas.advance_time(1.5)
    v2.delete_vpc_link(VpcLinkId=links[1])


def test_create_deployment_is_one_per_5_seconds(aws: Aws, quotas: EmulatorControl) -> None:
    """Issue 3 item 8 (API Gateway quota): CreateDeployment 1 request per 5 seconds per account."""
    v1 = aws.client("apigateway")
    api_id, root_id = create_rest_api_with_method(aws)
    v1.put_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET", type="MOCK")

    assert admitted_before_throttle(lambda: v1.create_deployment(restApiId=api_id, stageName="test")) == 1
    quotas.advance_time(5.5)
    assert admitted_before_throttle(lambda: v1.create_deployment(restApiId=api_id, stageName="test")) == 1


def test_get_resources_is_five_per_2_seconds(aws: Aws, quotas: EmulatorControl) -> None:
    """Issue 3 item 8 (API Gateway quota): GetResources 5 requests per 2 seconds per account."""
    v1 = aws.client("apigateway")
    api_id, _ = create_rest_api_with_method(aws)  # calls GetResources once

    assert admitted_before_throttle(lambda: v1.get_resources(restApiId=api_id)) == 4
    quotas.advance_time(0.9)  # 2.25 tokens back
    assert admitted_before_throttle(lambda: v1.get_resources(restApiId=api_id)) == 2


def test_all_operations_share_10_rps_burst_40(aws: Aws, quotas: EmulatorControl) -> None:
    """Issue 3 item 8 (API Gateway quota): all operations together, 10 requests per second, burst 40."""
    v1, v2 = aws.client("apigateway"), aws.client("apigatewayv2")
    v1_and_v2_in_turn = itertools.cycle([v1.get_vpc_links, v2.get_vpc_links])

    def list_links() -> Any:
        return next(v1_and_v2_in_turn)()

    assert admitted_before_throttle(list_links) == 40
    quotas.advance_time(1)
    assert admitted_before_throttle(v2.get_apis) == 10


def test_botocore_retries_the_throttle_as_throttling(aws: Aws, quotas: EmulatorControl, network: Network) -> None:
    """Issue 3 item 8: the 429 must reach botocore as TooManyRequestsException, which its retry
    handler treats as throttling (it retries the call)."""
    create_http_link(aws, network)
    retrying = aws.client("apigatewayv2", attempts=2)

    with pytest.raises(ClientError) as excinfo:
        retrying.create_vpc_link(Name="throttled", SubnetIds=network.subnet_ids)

    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [c["status"] for c in quotas.calls(operation="CreateVpcLink")] == [200, 429, 429]


def test_rate_quotas_are_off_by_default(aws: Aws, control: EmulatorControl) -> None:
    """Issue 3 item 8: "Quotas are off by default"."""
    v1 = aws.client("apigateway")
    api_id, _ = create_rest_api_with_method(aws)
    for _ in range(45):
        v1.get_resources(restApiId=api_id)


def test_eleventh_http_link_is_refused(aws: Aws, control: EmulatorControl, network: Network) -> None:
    """Issue 3 item 9 (API Gateway quota): 10 VPC links for HTTP APIs per region -> LimitExceededException."""
    for _ in range(10):
        create_http_link(aws, network)
    with pytest.raises(ClientError) as excinfo:
        create_http_link(aws, network)
    assert error_of(excinfo)[0] == "LimitExceededException"


def test_twenty_first_rest_link_is_refused(aws: Aws, control: EmulatorControl, network: Network) -> None:
    """Issue 3 item 9 (API Gateway quota): 20 VPC links for REST APIs per region -> LimitExceededException."""
    v1 = aws.client("apigateway")
    for index in range(20):
        v1.create_vpc_link(name=f"link-{index}", targetArns=[network.nlb_arn])
    with pytest.raises(ClientError) as excinfo:
        v1.create_vpc_link(name="one-too-many", targetArns=[network.nlb_arn])
    assert error_of(excinfo)[0] == "LimitExceededException"


def test_301st_integration_of_an_http_api_is_refused(aws: Aws, control: EmulatorControl) -> None:
    """Issue 3 item 9 (API Gateway quota): 300 integrations per HTTP API -> LimitExceededException."""
    v2 = aws.client("apigatewayv2")
    api_id = create_http_api(aws)

    def create() -> Any:
        return v2.create_integration(
            ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET", IntegrationUri="https://example.com"
        )

    for _ in range(300):
        create()
    with pytest.raises(ClientError) as excinfo:
        create()
    assert error_of(excinfo)[0] == "LimitExceededException"


def test_rate_quotas_are_per_account_and_region(aws: Aws, quotas: EmulatorControl) -> None:
    """AWS quota page: "The following quotas apply per account, per Region in Amazon API Gateway"
    (docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). Spending one Region's
    tokens leaves another Region's, and another account's in the same Region, untouched."""
    assert admitted_before_throttle(aws.client("apigatewayv2").get_vpc_links) == 40

    assert admitted_before_throttle(aws.client("apigatewayv2", region="us-west-2").get_vpc_links) == 40
    role = aws.client("sts").assume_role(RoleArn="arn:aws:iam::111111111111:role/other-account",
                                         RoleSessionName="quota-contract")["Credentials"]
    other_account = aws.client("apigatewayv2", credentials={
        "aws_access_key_id": role["AccessKeyId"], "aws_secret_access_key": role["SecretAccessKey"],
        "aws_session_token": role["SessionToken"]})
    assert admitted_before_throttle(other_account.get_vpc_links) == 40
    with pytest.raises(ClientError) as excinfo:  # the first Region's bucket is still empty
        aws.client("apigatewayv2").get_vpc_links()
    assert error_of(excinfo)[::2] == ("TooManyRequestsException", 429)
