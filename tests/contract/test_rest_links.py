"""Items 2 and 3: REST (v1) VPC link rules, NLB ARNs, and tags on VPC link ARNs (v1 and v2)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from contract_support import Aws, Network, create_http_link, create_rest_link, error_of, make_nlb

pytestmark = pytest.mark.aws_real


def test_network_load_balancers_have_net_arns(network: Network) -> None:
    """seed 001_60bd43b6d1912d1b.txt: an NLB ARN looks like ...:loadbalancer/net/my-vpclink-test-nlb/1f8df693cd094a72;
    seed 002_887a4a890b7c4de6.txt: listener ARNs carry the same type segment (listener/app/... for an ALB)."""
    assert ":loadbalancer/net/" in network.nlb_arn
    assert ":listener/net/" in network.nlb_listener_arn


def test_update_vpc_link_patches_name_and_description(aws: Aws, network: Network) -> None:
    """Issue 3 item 2: update_vpc_link supports patch on /name and /description (stock moto: HTML 500)."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]

    updated = v1.update_vpc_link(
        vpcLinkId=link_id,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "renamed"},
            {"op": "replace", "path": "/description", "value": "new words"},
        ],
    )

    assert (updated["name"], updated["description"]) == ("renamed", "new words")
    fetched = v1.get_vpc_link(vpcLinkId=link_id)
    assert (fetched["name"], fetched["description"]) == ("renamed", "new words")


def test_update_vpc_link_refuses_target_arns(aws: Aws, network: Network) -> None:
    """AWS error text: "BadRequestException: Target arns are not allowed to be changed/added"."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    other_nlb, _ = make_nlb(aws, network.subnet_ids, network.vpc_id)

    with pytest.raises(ClientError) as excinfo:
        v1.update_vpc_link(
            vpcLinkId=link_id, patchOperations=[{"op": "replace", "path": "/targetArns/0", "value": other_nlb}]
        )

    assert error_of(excinfo) == ("BadRequestException", "Target arns are not allowed to be changed/added", 400)
    assert v1.get_vpc_link(vpcLinkId=link_id)["targetArns"] == [network.nlb_arn]


def test_create_with_two_targets_is_refused(aws: Aws, network: Network) -> None:
    """AWS error text: "BadRequestException: More than one target arn specified for vpc link."."""
    v1 = aws.client("apigateway")
    other_nlb, _ = make_nlb(aws, network.subnet_ids, network.vpc_id)

    with pytest.raises(ClientError) as excinfo:
        v1.create_vpc_link(name="two-targets", targetArns=[network.nlb_arn, other_nlb])

    assert error_of(excinfo) == ("BadRequestException", "More than one target arn specified for vpc link.", 400)


def test_link_to_missing_nlb_goes_failed(aws: Aws, network: Network) -> None:
    """seed 001_60bd43b6d1912d1b.txt: "If the operation fails, you get a FAILED status, with the
    statusMessage containing the error message" -- here the target NLB does not exist."""
    v1 = aws.client("apigateway")
    missing = network.nlb_arn.rsplit("/", 1)[0] + "/0000000000000000"
    link_id = create_rest_link(aws, missing)["id"]

    final = aws.wait_for(lambda: v1.get_vpc_link(vpcLinkId=link_id), lambda link: link["status"] != "PENDING")

    assert final["status"] == "FAILED"
    assert final["statusMessage"]


def test_second_link_on_same_nlb_goes_failed(aws: Aws, network: Network) -> None:
    """seed 001_60bd43b6d1912d1b.txt: creating a VpcLink with an NLB that is already associated gives FAILED
    with statusMessage "NLB is already associated with another VPC Endpoint Service"."""
    v1 = aws.client("apigateway")
    first_id = create_rest_link(aws, network.nlb_arn)["id"]
    second_id = create_rest_link(aws, network.nlb_arn)["id"]

    second = aws.wait_for(lambda: v1.get_vpc_link(vpcLinkId=second_id), lambda link: link["status"] != "PENDING")
    first = v1.get_vpc_link(vpcLinkId=first_id)

    assert (second["status"], second["statusMessage"]) == (
        "FAILED",
        "NLB is already associated with another VPC Endpoint Service",
    )
    assert first["status"] == "AVAILABLE"


def test_rest_link_tags_round_trip(aws: Aws, network: Network) -> None:
    """Issue 3 item 3: create_vpc_link(tags=...) keeps tags; tag_resource, get_tags and untag_resource
    work on arn:aws:apigateway:REGION::/vpclinks/ID (stock moto: 404)."""
    v1 = aws.client("apigateway")
    link = create_rest_link(aws, network.nlb_arn, tags={"owner": "shop", "tier": "gold"})
    arn = f"arn:aws:apigateway:{aws.region}::/vpclinks/{link['id']}"
    assert link["tags"] == {"owner": "shop", "tier": "gold"}
    assert v1.get_vpc_link(vpcLinkId=link["id"])["tags"] == {"owner": "shop", "tier": "gold"}

    v1.tag_resource(resourceArn=arn, tags={"team": "payments", "tier": "silver"})
    assert v1.get_tags(resourceArn=arn)["tags"] == {"owner": "shop", "team": "payments", "tier": "silver"}

    v1.untag_resource(resourceArn=arn, tagKeys=["owner", "tier"])
    assert v1.get_tags(resourceArn=arn)["tags"] == {"team": "payments"}
    assert v1.get_vpc_link(vpcLinkId=link["id"])["tags"] == {"team": "payments"}


def test_http_link_tags_round_trip(aws: Aws, network: Network) -> None:
    """Issue 3 item 3: v2 create_vpc_link(Tags=...) keeps tags, and tag_resource, get_tags and
    untag_resource work on arn:aws:apigateway:REGION::/vpclinks/ID."""
    v2 = aws.client("apigatewayv2")
    link = create_http_link(aws, network, Tags={"owner": "shop"})
    arn = f"arn:aws:apigateway:{aws.region}::/vpclinks/{link['VpcLinkId']}"
    assert v2.get_vpc_link(VpcLinkId=link["VpcLinkId"])["Tags"] == {"owner": "shop"}

    v2.tag_resource(ResourceArn=arn, Tags={"team": "payments"})
    assert v2.get_tags(ResourceArn=arn)["Tags"] == {"owner": "shop", "team": "payments"}

    v2.untag_resource(ResourceArn=arn, TagKeys=["owner"])
    assert v2.get_tags(ResourceArn=arn)["Tags"] == {"team": "payments"}
