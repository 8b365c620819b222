"""Item 1: VPC links start PENDING, become AVAILABLE, show DELETING, then disappear."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from contract_support import Aws, Network, create_http_link, create_rest_link, error_of

from vpclink_emulator import ControlError, EmulatorControl

pytestmark = pytest.mark.aws_real


def test_rest_link_starts_pending_then_becomes_available(aws: Aws, network: Network) -> None:
    """seed 001_60bd43b6d1912d1b.txt: create-vpc-link "immediately returns ... the PENDING status";
    "When the operation finishes successfully, the status is AVAILABLE"."""
    v1 = aws.client("apigateway")
    link = create_rest_link(aws, network.nlb_arn)
    assert link["status"] == "PENDING"

    final = aws.wait_for(lambda: v1.get_vpc_link(vpcLinkId=link["id"]), lambda link: link["status"] != "PENDING")
    assert final["status"] == "AVAILABLE"


def test_http_link_starts_pending_then_becomes_available(aws: Aws, network: Network) -> None:
    """seed 000_23caf7128792e952.txt: "When a VPC link is ready to use, its state transitions from
    PENDING to AVAILABLE"."""
    v2 = aws.client("apigatewayv2")
    link = create_http_link(aws, network)
    assert link["VpcLinkStatus"] == "PENDING"

    final = aws.wait_for(
        lambda: v2.get_vpc_link(VpcLinkId=link["VpcLinkId"]), lambda link: link["VpcLinkStatus"] != "PENDING"
    )
    assert final["VpcLinkStatus"] == "AVAILABLE"


def test_deleted_http_link_shows_deleting_then_disappears(aws: Aws, network: Network) -> None:
    """seed 000_23caf7128792e952.txt (delete-vpc-link) and issue 3 item 1: "On delete, a link shows
    DELETING, then disappears"."""
    v2 = aws.client("apigatewayv2")
    link_id = create_http_link(aws, network)["VpcLinkId"]
    aws.wait_for(lambda: v2.get_vpc_link(VpcLinkId=link_id), lambda link: link["VpcLinkStatus"] == "AVAILABLE")

    v2.delete_vpc_link(VpcLinkId=link_id)
    assert v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] == "DELETING"

    def gone() -> bool:
        return link_id not in [link["VpcLinkId"] for link in v2.get_vpc_links()["Items"]]

    assert aws.wait_for(gone, bool)
    with pytest.raises(ClientError) as excinfo:
        v2.get_vpc_link(VpcLinkId=link_id)
    assert error_of(excinfo)[0] == "NotFoundException"


def test_deleted_rest_link_shows_deleting_then_disappears(aws: Aws, network: Network) -> None:
    """seed 001_60bd43b6d1912d1b.txt (REST link states) and issue 3 item 1: "On delete, a link shows
    DELETING, then disappears"."""
    v1 = aws.client("apigateway")
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    aws.wait_for(lambda: v1.get_vpc_link(vpcLinkId=link_id), lambda link: link["status"] == "AVAILABLE")

    v1.delete_vpc_link(vpcLinkId=link_id)
    assert v1.get_vpc_link(vpcLinkId=link_id)["status"] == "DELETING"

    def gone() -> bool:
        return link_id not in [link["id"] for link in v1.get_vpc_links(limit=500)["items"]]

    assert aws.wait_for(gone, bool)
    with pytest.raises(ClientError) as excinfo:
        v1.get_vpc_link(vpcLinkId=link_id)
    assert error_of(excinfo)[0] == "NotFoundException"


def test_control_forces_failed_with_status_message(aws: Aws, control: EmulatorControl, network: Network) -> None:
    """seed 001_60bd43b6d1912d1b.txt: "If the operation fails, you get a FAILED status, with the
    statusMessage containing the error message"; the same holds for HTTP links."""
    v1, v2 = aws.client("apigateway"), aws.client("apigatewayv2")
    rest_id = create_rest_link(aws, network.nlb_arn)["id"]
    http_id = create_http_link(aws, network)["VpcLinkId"]

    control.set_link_state(rest_id, "FAILED", "subnet ran out of IPs")
    control.set_link_state(http_id, "FAILED", "subnet ran out of IPs")

    rest = v1.get_vpc_link(vpcLinkId=rest_id)
    http = v2.get_vpc_link(VpcLinkId=http_id)
    assert (rest["status"], rest["statusMessage"]) == ("FAILED", "subnet ran out of IPs")
    assert (http["VpcLinkStatus"], http["VpcLinkStatusMessage"]) == ("FAILED", "subnet ran out of IPs")


def test_control_forces_http_link_inactive_and_back(aws: Aws, control: EmulatorControl, network: Network) -> None:
    """seed 000_23caf7128792e952.txt: "If no traffic is sent over the VPC link for 60 days, it becomes
    INACTIVE" and reprovisioning makes it PENDING, then AVAILABLE again."""
    v2 = aws.client("apigatewayv2")
    link_id = create_http_link(aws, network)["VpcLinkId"]

    control.set_link_state(link_id, "INACTIVE")
    assert v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] == "INACTIVE"

    control.set_link_state(link_id, "PENDING")
    assert v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] == "PENDING"
    final = aws.wait_for(lambda: v2.get_vpc_link(VpcLinkId=link_id), lambda link: link["VpcLinkStatus"] != "PENDING")
    assert final["VpcLinkStatus"] == "AVAILABLE"


def test_inactive_is_refused_for_rest_links(aws: Aws, control: EmulatorControl, network: Network) -> None:
    """seed 000_23caf7128792e952.txt describes INACTIVE for HTTP API VPC links only."""
    link_id = create_rest_link(aws, network.nlb_arn)["id"]
    with pytest.raises(ControlError):
        control.set_link_state(link_id, "INACTIVE")
    assert aws.client("apigateway").get_vpc_link(vpcLinkId=link_id)["status"] == "PENDING"
