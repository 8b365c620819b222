"""Issue 12 item 1: REST API private integrations through a VPC link V2 (integrationTarget).

Sources: the API reference (botocore 1.44.5's apigateway model: PutIntegration.integrationTarget
"The ALB or NLB ARN to send the request to", ResponseTransferMode BUFFERED | STREAM; apigatewayv2
GetVpcLink.VpcLinkVersion, enum V2); the developer guide "Set up a private integration" (put-integration
with --integration-target, a connection id either the V2 link id or "${stageVariables.vpcLinkV2Id}");
the AWS error quoted in terraform-provider-aws #45230, pulumi-aws #6020 and ACK community #2924:
"BadRequestException: IntegrationTarget is required for VpcLinkV2 <vpc-link-id>.".
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from contract_support import Aws, Network, available_http_link, create_rest_api_with_method, error_of, make_alb

pytestmark = pytest.mark.aws_real

STAGE_VARIABLE = "${stageVariables.vpcLinkV2Id}"


def put_v2_integration(aws: Aws, api_id: str, resource_id: str, connection_id: str, **extra: Any) -> Any:
    """The guide's put-integration through a VPC link V2."""
    return aws.client("apigateway").put_integration(
        restApiId=api_id, resourceId=resource_id, httpMethod="GET", type="HTTP_PROXY", integrationHttpMethod="GET",
        uri="https://orders.internal.example.com:443/orders", connectionType="VPC_LINK", connectionId=connection_id,
        **extra,
    )


def test_v2_link_reports_its_version(aws: Aws, network: Network) -> None:
    """API reference: apigatewayv2 GetVpcLink/GetVpcLinks return VpcLinkVersion (enum: V2)."""
    v2 = aws.client("apigatewayv2")
    link_id = available_http_link(aws, network)
    assert v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkVersion"] == "V2"
    listed = {item["VpcLinkId"]: item for item in v2.get_vpc_links()["Items"]}
    assert listed[link_id]["VpcLinkVersion"] == "V2"


def test_integration_on_v2_link_requires_integration_target(aws: Aws, network: Network) -> None:
    """Quoted AWS error: "IntegrationTarget is required for VpcLinkV2 <vpc-link-id>."; the integration is
    not created."""
    link_id = available_http_link(aws, network)
    api_id, root_id = create_rest_api_with_method(aws)
    with pytest.raises(ClientError) as excinfo:
        put_v2_integration(aws, api_id, root_id, link_id)
    assert error_of(excinfo) == ("BadRequestException", f"IntegrationTarget is required for VpcLinkV2 {link_id}.",
                                 400)
    method = aws.client("apigateway").get_method(restApiId=api_id, resourceId=root_id, httpMethod="GET")
    assert "methodIntegration" not in method


@pytest.mark.parametrize("connection", ["LITERAL", STAGE_VARIABLE])
def test_integration_target_and_transfer_mode_are_kept(aws: Aws, network: Network, connection: str) -> None:
    """Developer guide: put-integration --connection-type VPC_LINK --connection-id <V2 link id or
    "${stageVariables.vpcLinkV2Id}"> --integration-target <load balancer ARN>; API reference: the Integration
    returned by put/get-integration carries integrationTarget and responseTransferMode (BUFFERED | STREAM),
    and update-integration patches them."""
    v1 = aws.client("apigateway")
    link_id = available_http_link(aws, network)
    alb = make_alb(aws, network)
    api_id, root_id = create_rest_api_with_method(aws)
    connection_id = link_id if connection == "LITERAL" else connection

    created = put_v2_integration(aws, api_id, root_id, connection_id, integrationTarget=alb,
                                 responseTransferMode="STREAM")
    fetched = v1.get_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET")
    for integration in (created, fetched):
        assert (integration["connectionType"], integration["connectionId"]) == ("VPC_LINK", connection_id)
        assert integration["integrationTarget"] == alb
        assert integration["responseTransferMode"] == "STREAM"

    updated = v1.update_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/responseTransferMode", "value": "BUFFERED"}])
    assert updated["responseTransferMode"] == "BUFFERED" and updated["integrationTarget"] == alb
    assert v1.get_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET")["responseTransferMode"] == \
        "BUFFERED"


def test_update_cannot_drop_the_target_of_a_v2_integration(aws: Aws, network: Network) -> None:
    """The rule of put-integration holds for update-integration too: removing integrationTarget from an
    integration on a V2 link is refused, and the integration is left as it was."""
    v1 = aws.client("apigateway")
    link_id = available_http_link(aws, network)
    alb = make_alb(aws, network)
    api_id, root_id = create_rest_api_with_method(aws)
    put_v2_integration(aws, api_id, root_id, link_id, integrationTarget=alb)
    with pytest.raises(ClientError) as excinfo:
        v1.update_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET",
                              patchOperations=[{"op": "remove", "path": "/integrationTarget"}])
    assert error_of(excinfo)[0] == "BadRequestException"
    assert v1.get_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET")["integrationTarget"] == alb


@pytest.mark.parametrize("target", ["other Region", "other account", "Cloud Map service"])
def test_integration_target_must_be_a_load_balancer_here(aws: Aws, network: Network, target: str) -> None:
    """Issue 12 item 1 (API reference: "The ALB or NLB ARN"): an ELB ARN in the same account and Region."""
    link_id = available_http_link(aws, network)
    api_id, root_id = create_rest_api_with_method(aws)
    _, _, _, region, account, _ = network.nlb_arn.split(":", 5)
    other_region = "eu-west-1" if region != "eu-west-1" else "us-west-2"
    arn = {
        "other Region": f"arn:aws:elasticloadbalancing:{other_region}:{account}:loadbalancer/app/a/0123456789abcdef",
        "other account": f"arn:aws:elasticloadbalancing:{region}:999999999999:loadbalancer/app/a/0123456789abcdef",
        "Cloud Map service": f"arn:aws:servicediscovery:{region}:{account}:service/srv-0123456789abcdef",
    }[target]
    with pytest.raises(ClientError) as excinfo:
        put_v2_integration(aws, api_id, root_id, link_id, integrationTarget=arn)
    assert error_of(excinfo)[0] == "BadRequestException"


@pytest.mark.parametrize("connection", ["LITERAL", STAGE_VARIABLE])
def test_deleting_v2_link_used_by_deployed_rest_stage_is_refused(aws: Aws, network: Network,
                                                                  connection: str) -> None:
    """As for V1 links (AWS error text "Cannot delete vpc link. Vpc link '<id>', is referenced in
    [<RESTApiId>:<Method>:<Resource>:<Stage>] in format of [RESTApiId:Method:Resource:Stage]."): a V2 link that
    a deployed REST stage reaches, directly or through its stage variable, is not deleted; once the stage is
    redeployed without it, the delete is accepted."""
    v1, v2 = aws.client("apigateway"), aws.client("apigatewayv2")
    link_id = available_http_link(aws, network)
    alb = make_alb(aws, network)
    api_id, root_id = create_rest_api_with_method(aws)
    put_v2_integration(aws, api_id, root_id, link_id if connection == "LITERAL" else connection,
                       integrationTarget=alb)
    v1.create_deployment(restApiId=api_id, stageName="test", variables={"vpcLinkV2Id": link_id})

    with pytest.raises(ClientError) as excinfo:
        v2.delete_vpc_link(VpcLinkId=link_id)
    assert error_of(excinfo) == (
        "BadRequestException",
        f"Cannot delete vpc link. Vpc link '{link_id}', is referenced in [{api_id}:GET:/:test] "
        "in format of [RESTApiId:Method:Resource:Stage].",
        400,
    )
    assert v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] == "AVAILABLE"

    v1.put_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET", type="MOCK")
    v1.create_deployment(restApiId=api_id, stageName="test")
    v2.delete_vpc_link(VpcLinkId=link_id)
    assert v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] == "DELETING"


def test_stage_serves_what_was_deployed(aws: Aws, network: Network, control: Any) -> None:
    """Emulator control API (no AWS call shows it): a stage serves its deployed integrations with stage
    variables resolved; a later put-integration reaches it only after a deployment."""
    v1 = aws.client("apigateway")
    link_id = available_http_link(aws, network)
    alb = make_alb(aws, network)
    api_id, root_id = create_rest_api_with_method(aws)
    put_v2_integration(aws, api_id, root_id, STAGE_VARIABLE, integrationTarget=alb)
    v1.create_deployment(restApiId=api_id, stageName="test", variables={"vpcLinkV2Id": link_id})
    put_v2_integration(aws, api_id, root_id, STAGE_VARIABLE, integrationTarget=alb, responseTransferMode="STREAM")

    (served,) = control.stage_integrations(api_id, "test")
    assert (served["path"], served["httpMethod"], served["connectionId"], served["integrationTarget"]) == \
        ("/", "GET", link_id, alb)
    assert served["responseTransferMode"] is None, "the STREAM edit is not deployed yet"
