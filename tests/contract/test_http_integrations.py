"""Items 5, 6 (HTTP) and 7 (HTTP): private integrations, delete refusals, pagination."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from contract_support import Aws, Network, create_http_api, create_http_link, error_of, unique

pytestmark = pytest.mark.aws_real


def create_private_integration(aws: Aws, api_id: str, link_id: str | None, uri: str, **extra: Any) -> Any:
    """The create-integration call of seed 002."""
    arguments: dict[str, Any] = {
        "ApiId": api_id,
        "IntegrationType": "HTTP_PROXY",
        "IntegrationMethod": "GET",
        "ConnectionType": "VPC_LINK",
        "IntegrationUri": uri,
        "PayloadFormatVersion": "1.0",
        **extra,
    }
    if link_id is not None:
        arguments["ConnectionId"] = link_id
    return aws.client("apigatewayv2", validate=False).create_integration(**arguments)


def cloud_map_service_arn(aws: Aws) -> str:
    discovery = aws.client("servicediscovery")
    operation = discovery.create_http_namespace(Name=unique("ns"))["OperationId"]
    namespace_id = discovery.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
    aws.cleanup(lambda: discovery.delete_namespace(Id=namespace_id))
    service = discovery.create_service(Name=unique("orders"), NamespaceId=namespace_id)["Service"]
    aws.cleanup(lambda: discovery.delete_service(Id=service["Id"]))
    return str(service["Arn"])


def test_listener_integration_keeps_its_settings(aws: Aws, network: Network) -> None:
    """seed 002_887a4a890b7c4de6.txt: create-integration --connection-type VPC_LINK --connection-id ...
    --integration-uri <listener ARN> --payload-format-version 1.0, with a tlsConfig for HTTPS."""
    v2 = aws.client("apigatewayv2")
    link_id = create_http_link(aws, network)["VpcLinkId"]
    api_id = create_http_api(aws)

    created = create_private_integration(
        aws,
        api_id,
        link_id,
        network.nlb_listener_arn,
        TlsConfig={"ServerNameToVerify": "orders.internal.example.com"},
        RequestParameters={"append:header.x-tenant": "shop"},
        TimeoutInMillis=30000,
    )
    fetched = v2.get_integration(ApiId=api_id, IntegrationId=created["IntegrationId"])

    for integration in (created, fetched):
        assert integration["ConnectionType"] == "VPC_LINK"
        assert integration["ConnectionId"] == link_id
        assert integration["IntegrationUri"] == network.nlb_listener_arn
        assert integration["IntegrationMethod"] == "GET"
        assert integration["PayloadFormatVersion"] == "1.0"
        assert integration["TlsConfig"] == {"ServerNameToVerify": "orders.internal.example.com"}
        assert integration["RequestParameters"] == {"append:header.x-tenant": "shop"}
        assert integration["TimeoutInMillis"] == 30000


def test_cloud_map_service_with_query_string_is_accepted(aws: Aws, network: Network) -> None:
    """seed 002_887a4a890b7c4de6.txt: --integration-uri
    arn:aws:servicediscovery:us-east-2:123456789012:service/srv-id?stage=prod&deployment=green_deployment."""
    link_id = create_http_link(aws, network)["VpcLinkId"]
    api_id = create_http_api(aws)
    uri = cloud_map_service_arn(aws) + "?stage=prod&deployment=green_deployment"

    created = create_private_integration(aws, api_id, link_id, uri)

    assert created["IntegrationUri"] == uri


@pytest.mark.parametrize(
    "uri",
    ["http://orders.internal.example.com/orders", "LOAD_BALANCER_ARN"],
    ids=["plain-url", "load-balancer-not-listener"],
)
def test_vpc_link_integration_needs_listener_or_cloud_map_arn(aws: Aws, network: Network, uri: str) -> None:
    """seed 002_887a4a890b7c4de6.txt: "provide the listener ARN of the load balancer" or "the ARN of the
    AWS Cloud Map service"."""
    link_id = create_http_link(aws, network)["VpcLinkId"]
    api_id = create_http_api(aws)
    uri = network.nlb_arn if uri == "LOAD_BALANCER_ARN" else uri

    with pytest.raises(ClientError) as excinfo:
        create_private_integration(aws, api_id, link_id, uri)

    assert error_of(excinfo)[0] == "BadRequestException"


@pytest.mark.parametrize("timeout", [49, 30001])
def test_timeout_outside_50_to_30000_is_refused(aws: Aws, network: Network, timeout: int) -> None:
    """Issue 3 item 5: HTTP API integration timeout is between 50 and 30000 ms, on create and on update
    (checked by the service, not only by botocore's model)."""
    v2 = aws.client("apigatewayv2", validate=False)
    link_id = create_http_link(aws, network)["VpcLinkId"]
    api_id = create_http_api(aws)

    with pytest.raises(ClientError) as create_error:
        create_private_integration(aws, api_id, link_id, network.nlb_listener_arn, TimeoutInMillis=timeout)
    integration_id = create_private_integration(aws, api_id, link_id, network.nlb_listener_arn)["IntegrationId"]
    with pytest.raises(ClientError) as update_error:
        v2.update_integration(ApiId=api_id, IntegrationId=integration_id, TimeoutInMillis=timeout)

    assert error_of(create_error)[0] == error_of(update_error)[0] == "BadRequestException"


@pytest.mark.parametrize("link_id", [None, "nosuchlk"], ids=["missing", "unknown"])
def test_vpc_link_integration_needs_an_existing_link(aws: Aws, network: Network, link_id: str | None) -> None:
    """seed 002_887a4a890b7c4de6.txt: "Before you create a private integration, you must create a VPC link"
    and pass it as --connection-id."""
    api_id = create_http_api(aws)
    with pytest.raises(ClientError) as excinfo:
        create_private_integration(aws, api_id, link_id, network.nlb_listener_arn)
    assert error_of(excinfo)[0] == "BadRequestException"


def test_deleting_link_used_by_an_integration_is_refused(aws: Aws, network: Network) -> None:
    """AWS error text: "BadRequestException: Cannot delete vpc link. Vpc link '<id>', is referenced in
    [<Method>:<Resource>] in format of [Method:Resource]."."""
    v2 = aws.client("apigatewayv2")
    link_id = create_http_link(aws, network)["VpcLinkId"]
    api_id = create_http_api(aws)
    integration_id = create_private_integration(aws, api_id, link_id, network.nlb_listener_arn)["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /orders", Target=f"integrations/{integration_id}")

    with pytest.raises(ClientError) as excinfo:
        v2.delete_vpc_link(VpcLinkId=link_id)

    assert error_of(excinfo) == (
        "BadRequestException",
        f"Cannot delete vpc link. Vpc link '{link_id}', is referenced in [GET:/orders] in format of [Method:Resource].",
        400,
    )
    assert v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] != "DELETING"


def test_deleting_integration_targeted_by_routes_is_refused(aws: Aws, network: Network) -> None:
    """AWS error text: "ConflictException: Cannot delete Integration because it is referenced by the
    following Routes with Ids: [...]"."""
    v2 = aws.client("apigatewayv2")
    link_id = create_http_link(aws, network)["VpcLinkId"]
    api_id = create_http_api(aws)
    integration_id = create_private_integration(aws, api_id, link_id, network.nlb_listener_arn)["IntegrationId"]
    route_id = v2.create_route(ApiId=api_id, RouteKey="GET /orders", Target=f"integrations/{integration_id}")["RouteId"]

    with pytest.raises(ClientError) as excinfo:
        v2.delete_integration(ApiId=api_id, IntegrationId=integration_id)
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ConflictException", 409)
    assert message.startswith("Cannot delete Integration because it is referenced by the following Routes with Ids:")
    assert route_id in message

    v2.delete_route(ApiId=api_id, RouteId=route_id)
    v2.delete_integration(ApiId=api_id, IntegrationId=integration_id)
    v2.delete_vpc_link(VpcLinkId=link_id)


def collect(call: Any, token_field: str = "NextToken", **kwargs: Any) -> list[list[Any]]:
    """Every page of a MaxResults/NextToken list."""
    pages = []
    while True:
        response = call(**kwargs)
        pages.append(response["Items"])
        if not response.get(token_field):
            return pages
        kwargs[token_field] = response[token_field]


def test_get_vpc_links_and_integrations_paginate(aws: Aws, network: Network) -> None:
    """Issue 3 item 7: v2 get_vpc_links and get_integrations honour MaxResults/NextToken."""
    v2 = aws.client("apigatewayv2")
    links = {create_http_link(aws, network)["VpcLinkId"] for _ in range(3)}
    api_id = create_http_api(aws)
    link_id = next(iter(links))
    integrations = {
        create_private_integration(aws, api_id, link_id, network.nlb_listener_arn)["IntegrationId"] for _ in range(5)
    }

    link_pages = collect(v2.get_vpc_links, MaxResults="2")
    integration_pages = collect(v2.get_integrations, ApiId=api_id, MaxResults="2")

    assert links <= {link["VpcLinkId"] for chunk in link_pages for link in chunk}
    assert all(len(chunk) <= 2 for chunk in link_pages) and len(link_pages) >= 2
    assert [len(chunk) for chunk in integration_pages] == [2, 2, 1]
    assert {i["IntegrationId"] for chunk in integration_pages for i in chunk} == integrations
