"""Items 4, 6 (REST) and 7 (REST): private integrations, deployed-stage references, pagination."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from contract_support import Aws, Network, create_rest_api_with_method, create_rest_link, error_of, make_nlb

pytestmark = pytest.mark.aws_real

STAGE_VARIABLE = "${stageVariables.vpcLinkId}"


def put_private_integration(aws: Aws, api_id: str, resource_id: str, connection_id: str, **extra: Any) -> Any:
    """The put-integration call of seed 001 step 4."""
    return aws.client("apigateway").put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod="GET",
        type="HTTP_PROXY",
        integrationHttpMethod="GET",
        uri="http://orders.internal.example.com/orders",
        connectionType="VPC_LINK",
        connectionId=connection_id,
        **extra,
    )


@pytest.mark.parametrize("connection_id", ["LITERAL", STAGE_VARIABLE])
def test_put_integration_keeps_connection_id(aws: Aws, network: Network, connection_id: str) -> None:
    """seed 001_60bd43b6d1912d1b.txt step 4: put-integration with --connection-type VPC_LINK and
    --connection-id either the VpcLink id or "${stageVariables.vpcLinkId}" returns connectionId,
    connectionType, timeoutInMillis 29000 and passthroughBehavior WHEN_NO_MATCH."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    connection_id = link_id if connection_id == "LITERAL" else connection_id
    api_id, root_id = create_rest_api_with_method(aws)

    created = put_private_integration(aws, api_id, root_id, connection_id)
    fetched = v1.get_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET")

    for integration in (created, fetched):
        assert integration["connectionId"] == connection_id
        assert integration["connectionType"] == "VPC_LINK"
        assert integration["timeoutInMillis"] == 29000
        assert integration["passthroughBehavior"] == "WHEN_NO_MATCH"


def test_update_integration_patches_connection_uri_timeout_and_tls(aws: Aws, network: Network) -> None:
    """seed 001_60bd43b6d1912d1b.txt step 4: update-integration --patch-operations
    '[{"op":"replace","path":"/connectionId","value":"${stageVariables.vpcLinkId}"}]'; issue 3 item 4 adds
    /uri, /timeoutInMillis and /tlsConfig/... (stock moto: 500)."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    api_id, root_id = create_rest_api_with_method(aws)
    put_private_integration(aws, api_id, root_id, link_id)

    updated = v1.update_integration(
        restApiId=api_id,
        resourceId=root_id,
        httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/connectionId", "value": STAGE_VARIABLE},
            {"op": "replace", "path": "/uri", "value": "https://orders.example.com/v2"},
            {"op": "replace", "path": "/timeoutInMillis", "value": "12000"},
            {"op": "replace", "path": "/tlsConfig/insecureSkipVerification", "value": "true"},
        ],
    )

    fetched = v1.get_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET")
    for integration in (updated, fetched):
        assert integration["connectionId"] == STAGE_VARIABLE
        assert integration["uri"] == "https://orders.example.com/v2"
        assert integration["timeoutInMillis"] == 12000
        assert integration["tlsConfig"] == {"insecureSkipVerification": True}


@pytest.mark.parametrize("timeout", [49, 29001])
def test_timeout_outside_50_to_29000_is_refused(aws: Aws, network: Network, timeout: int) -> None:
    """Issue 3 item 4: timeoutInMillis must be between 50 and 29000 (REST API integration timeout quota),
    on put_integration and on update_integration."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    api_id, root_id = create_rest_api_with_method(aws)

    with pytest.raises(ClientError) as put_error:
        put_private_integration(aws, api_id, root_id, link_id, timeoutInMillis=timeout)
    put_private_integration(aws, api_id, root_id, link_id, timeoutInMillis=50)
    with pytest.raises(ClientError) as update_error:
        v1.update_integration(
            restApiId=api_id,
            resourceId=root_id,
            httpMethod="GET",
            patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": str(timeout)}],
        )

    assert error_of(put_error)[0] == error_of(update_error)[0] == "BadRequestException"
    assert v1.get_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET")["timeoutInMillis"] == 50


def test_vpc_link_connection_requires_connection_id(aws: Aws) -> None:
    """seed 001_60bd43b6d1912d1b.txt step 4: "For a private integration, you must set connection-type to
    VPC_LINK and set connection-id to either your VpcLink's identifier or a stage variable"."""
    api_id, root_id = create_rest_api_with_method(aws)
    with pytest.raises(ClientError) as excinfo:
        aws.client("apigateway").put_integration(
            restApiId=api_id,
            resourceId=root_id,
            httpMethod="GET",
            type="HTTP_PROXY",
            integrationHttpMethod="GET",
            uri="http://orders.internal.example.com/orders",
            connectionType="VPC_LINK",
        )
    assert error_of(excinfo)[0] == "BadRequestException"


def test_deleting_link_used_by_deployed_stage_is_refused(aws: Aws, network: Network) -> None:
    """AWS error text: "Cannot delete vpc link. Vpc link '<id>', is referenced in
    [<RESTApiId>:<Method>:<Resource>:<Stage>] in format of [RESTApiId:Method:Resource:Stage]."."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    api_id, root_id = create_rest_api_with_method(aws)
    put_private_integration(aws, api_id, root_id, link_id)
    v1.create_deployment(restApiId=api_id, stageName="test")

    with pytest.raises(ClientError) as excinfo:
        v1.delete_vpc_link(vpcLinkId=link_id)

    assert error_of(excinfo) == (
        "BadRequestException",
        f"Cannot delete vpc link. Vpc link '{link_id}', is referenced in [{api_id}:GET:/:test] "
        "in format of [RESTApiId:Method:Resource:Stage].",
        400,
    )


def test_undeployed_integration_does_not_hold_the_link(aws: Aws, network: Network) -> None:
    """Issue 3 item 6: only a *deployed stage* holds a REST link (the deployment snapshots the integration)."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    api_id, root_id = create_rest_api_with_method(aws)
    put_private_integration(aws, api_id, root_id, link_id)

    v1.delete_vpc_link(vpcLinkId=link_id)

    assert v1.get_vpc_link(vpcLinkId=link_id)["status"] == "DELETING"


def test_switching_stage_variable_moves_the_reference(aws: Aws, network: Network) -> None:
    """seed 001_60bd43b6d1912d1b.txt step 5: create-deployment --variables vpcLinkId=gim7c3, then
    update-stage --patch-operations op=replace,path=/variables/vpcLinkId,value=asf9d7 switches links;
    the delete refusal follows the stage variable (AWS text: "... is referenced in [...:Stage]")."""
    v1 = aws.client("apigateway")
    old_id = create_rest_link(aws, network.nlb_arn)["id"]
    other_nlb, _ = make_nlb(aws, network.subnet_ids, network.vpc_id)
    new_id = create_rest_link(aws, other_nlb)["id"]
    api_id, root_id = create_rest_api_with_method(aws)
    put_private_integration(aws, api_id, root_id, STAGE_VARIABLE)
    v1.create_deployment(restApiId=api_id, stageName="test", variables={"vpcLinkId": old_id})

    stage = v1.update_stage(
        restApiId=api_id,
        stageName="test",
        patchOperations=[{"op": "replace", "path": "/variables/vpcLinkId", "value": new_id}],
    )
    assert stage["variables"] == {"vpcLinkId": new_id}
    assert v1.get_stage(restApiId=api_id, stageName="test")["variables"] == {"vpcLinkId": new_id}

    with pytest.raises(ClientError) as excinfo:
        v1.delete_vpc_link(vpcLinkId=new_id)
    assert f"is referenced in [{api_id}:GET:/:test]" in error_of(excinfo)[1]
    v1.delete_vpc_link(vpcLinkId=old_id)


def test_redeploying_a_stage_keeps_its_variables(aws: Aws, network: Network) -> None:
    """seed 001_60bd43b6d1912d1b.txt step 5: the stage variable set at deployment keeps routing the
    stage through the link when the API is deployed again without --variables."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    api_id, root_id = create_rest_api_with_method(aws)
    put_private_integration(aws, api_id, root_id, STAGE_VARIABLE)
    v1.create_deployment(restApiId=api_id, stageName="test", variables={"vpcLinkId": link_id})

    redeployed = v1.create_deployment(restApiId=api_id, stageName="test")

    stage = v1.get_stage(restApiId=api_id, stageName="test")
    assert (stage["deploymentId"], stage["variables"]) == (redeployed["id"], {"vpcLinkId": link_id})


def test_get_vpc_links_paginates_with_limit_and_position(aws: Aws, network: Network) -> None:
    """Issue 3 item 7: v1 get_vpc_links honours limit/position."""
    v1 = aws.client("apigateway")
    created = {create_rest_link(aws, network.nlb_arn)["id"] for _ in range(3)}

    pages = []
    kwargs: dict[str, Any] = {"limit": 2}
    while True:
        response = v1.get_vpc_links(**kwargs)
        pages.append([link["id"] for link in response["items"]])
        if "position" not in response:
            break
        kwargs["position"] = response["position"]

    listed = [link_id for chunk in pages for link_id in chunk]
    assert created <= set(listed)
    assert len(listed) == len(set(listed))
    assert len(pages) >= 2 and all(len(chunk) <= 2 for chunk in pages)


def test_get_resources_paginates_and_embeds_methods(aws: Aws, network: Network) -> None:
    """Issue 3 item 7: get_resources honours limit/position, and embed=methods returns each method with its
    methodIntegration, so one paginated list observes a whole REST API (without embed, only method names)."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    api_id, root_id = create_rest_api_with_method(aws)
    put_private_integration(aws, api_id, root_id, link_id)
    for part in ("orders", "payments", "users"):
        resource_id = v1.create_resource(restApiId=api_id, parentId=root_id, pathPart=part)["id"]
        v1.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="GET", authorizationType="NONE")
        put_private_integration(aws, api_id, resource_id, link_id)

    items, kwargs, page_count = [], {"restApiId": api_id, "limit": 3, "embed": ["methods"]}, 0
    while True:
        response = v1.get_resources(**kwargs)
        page_count += 1
        items.extend(response["items"])
        if "position" not in response:
            break
        kwargs["position"] = response["position"]

    assert page_count == 2
    assert sorted(item["path"] for item in items) == ["/", "/orders", "/payments", "/users"]
    for item in items:
        assert item["resourceMethods"]["GET"]["methodIntegration"]["connectionId"] == link_id

    plain = v1.get_resources(restApiId=api_id)["items"]
    assert all("methodIntegration" not in item["resourceMethods"]["GET"] for item in plain)


def test_a_deployment_that_creates_a_stage_gives_it_the_stage_description(aws: Aws) -> None:
    """CreateDeployment's stageDescription is "The description of the Stage resource for the Deployment
    resource to create"; the operator marks the stages it creates with it (issue 9)."""
    v1 = aws.client("apigateway")
    api_id, root_id = create_rest_api_with_method(aws)
    v1.put_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET", type="MOCK")
    v1.create_deployment(restApiId=api_id, stageName="test", stageDescription="created by vpclink-operator")
    v1.create_deployment(restApiId=api_id, stageName="test", stageDescription="ignored: the stage exists")

    assert v1.get_stage(restApiId=api_id, stageName="test")["description"] == "created by vpclink-operator"


def test_deleting_the_stage_or_redeploying_without_the_integration_releases_the_link(aws: Aws,
                                                                                     network: Network) -> None:
    """What the operator's teardown relies on (issue 9): only the deployed snapshot holds the link, and an
    API without methods cannot be deployed ("The REST API doesn't contain any methods")."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    api_id, root_id = create_rest_api_with_method(aws)
    put_private_integration(aws, api_id, root_id, link_id)
    v1.create_deployment(restApiId=api_id, stageName="test")
    v1.delete_method(restApiId=api_id, resourceId=root_id, httpMethod="GET")

    with pytest.raises(ClientError) as excinfo:
        v1.create_deployment(restApiId=api_id, stageName="test")
    assert error_of(excinfo)[:2] == ("BadRequestException", "The REST API doesn't contain any methods")
    with pytest.raises(ClientError):
        v1.delete_vpc_link(vpcLinkId=link_id)

    v1.delete_stage(restApiId=api_id, stageName="test")
    v1.delete_vpc_link(vpcLinkId=link_id)
    assert v1.get_vpc_link(vpcLinkId=link_id)["status"] == "DELETING"
