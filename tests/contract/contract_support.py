"""Helpers shared by the contract tests: the target (emulator or real AWS) and resource builders."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
import pytest
from botocore.config import Config

from vpclink_emulator import EmulatorControl

T = TypeVar("T")

# Emulated seconds; at TIME_SCALE emulated seconds per real second the waits stay tiny.
LINK_PENDING_SECONDS = 2.0
LINK_DELETING_SECONDS = 1.0
TIME_SCALE = 20.0


def real_aws() -> bool:
    return os.environ.get("VPCLINK_REAL_AWS") == "1" and boto3.Session().get_credentials() is not None


@dataclass
class Aws:
    """boto3 clients for the target, plus what a test needs to know about it."""

    endpoint_url: str | None
    region: str
    control: EmulatorControl | None
    _cleanups: list[Callable[[], Any]] = field(default_factory=list)

    @property
    def real(self) -> bool:
        return self.control is None

    @property
    def link_timeout(self) -> float:
        # Seeds 000/001: 2-4 minutes for REST links, up to ~10 for HTTP links.
        return 900.0 if self.real else 10.0

    def client(self, service: str, *, validate: bool = True, attempts: int = 1, region: str | None = None,
               credentials: dict[str, str] | None = None) -> Any:
        """By default a client making one attempt per call: the contract is what AWS answers, not
        what botocore's retries hide. validate=False skips botocore's client-side parameter checks
        so that the service's own validation is what gets tested. `region` defaults to the target's;
        `credentials` (boto3 keyword arguments) make the calls as another identity."""
        config = Config(retries={"mode": "standard", "total_max_attempts": attempts}, parameter_validation=validate)
        region = region or self.region
        if self.real:
            return boto3.client(service, region_name=region, config=config, **(credentials or {}))
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint_url,
            config=config,
            **(credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}),
        )

    def cleanup(self, func: Callable[[], Any]) -> None:
        self._cleanups.append(func)

    def wait_for(self, read: Callable[[], T], until: Callable[[T], bool], timeout: float | None = None) -> T:
        deadline = time.monotonic() + (timeout or self.link_timeout)
        while True:
            value = read()
            if until(value) or time.monotonic() > deadline:
                return value
            time.sleep(10.0 if self.real else 0.05)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Network:
    vpc_id: str
    subnet_ids: list[str]
    security_group_id: str
    nlb_arn: str
    nlb_listener_arn: str


def make_nlb(aws: Aws, subnet_ids: list[str], vpc_id: str) -> tuple[str, str]:
    """An internal NLB with a TCP listener; returns (load balancer ARN, listener ARN)."""
    elb = aws.client("elbv2")
    name = unique("nlb")
    arn = elb.create_load_balancer(Name=name, Subnets=subnet_ids, Type="network", Scheme="internal")["LoadBalancers"][
        0
    ]["LoadBalancerArn"]
    aws.cleanup(lambda: elb.delete_load_balancer(LoadBalancerArn=arn))
    group = elb.create_target_group(Name=unique("tg"), Protocol="TCP", Port=80, VpcId=vpc_id, TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    aws.cleanup(lambda: elb.delete_target_group(TargetGroupArn=group))
    listener = elb.create_listener(
        LoadBalancerArn=arn, Protocol="TCP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": group}]
    )["Listeners"][0]["ListenerArn"]
    aws.cleanup(lambda: elb.delete_listener(ListenerArn=listener))
    return arn, listener


def create_rest_link(aws: Aws, target_arn: str, **extra: Any) -> dict[str, Any]:
    v1 = aws.client("apigateway")
    link: dict[str, Any] = v1.create_vpc_link(name=unique("rest-link"), targetArns=[target_arn], **extra)
    aws.cleanup(lambda: v1.delete_vpc_link(vpcLinkId=link["id"]))
    return link


def create_http_link(aws: Aws, net: Network, **extra: Any) -> dict[str, Any]:
    v2 = aws.client("apigatewayv2")
    link: dict[str, Any] = v2.create_vpc_link(
        Name=unique("http-link"), SubnetIds=net.subnet_ids, SecurityGroupIds=[net.security_group_id], **extra
    )
    aws.cleanup(lambda: v2.delete_vpc_link(VpcLinkId=link["VpcLinkId"]))
    return link


def create_http_api(aws: Aws) -> str:
    v2 = aws.client("apigatewayv2")
    api_id: str = v2.create_api(Name=unique("http-api"), ProtocolType="HTTP")["ApiId"]
    aws.cleanup(lambda: v2.delete_api(ApiId=api_id))
    return api_id


def create_rest_api_with_method(aws: Aws, http_method: str = "GET") -> tuple[str, str]:
    """A REST API with `http_method` on its root resource; returns (api id, root resource id)."""
    v1 = aws.client("apigateway")
    api_id: str = v1.create_rest_api(name=unique("rest-api"))["id"]
    aws.cleanup(lambda: v1.delete_rest_api(restApiId=api_id))
    root_id: str = v1.get_resources(restApiId=api_id)["items"][0]["id"]
    v1.put_method(restApiId=api_id, resourceId=root_id, httpMethod=http_method, authorizationType="NONE")
    return api_id, root_id


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError."""
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def make_alb(aws: Aws, net: Network) -> str:
    """An internal ALB in the network's subnets and security group; returns its ARN."""
    elb = aws.client("elbv2")
    arn: str = elb.create_load_balancer(
        Name=unique("alb"), Subnets=net.subnet_ids, SecurityGroups=[net.security_group_id], Type="application",
        Scheme="internal",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    aws.cleanup(lambda: elb.delete_load_balancer(LoadBalancerArn=arn))
    return arn


def available_http_link(aws: Aws, net: Network) -> str:
    """A VPC link V2 (apigatewayv2) in the network, waited for until AVAILABLE; returns its id."""
    v2 = aws.client("apigatewayv2")
    link_id: str = create_http_link(aws, net)["VpcLinkId"]
    link = aws.wait_for(lambda: v2.get_vpc_link(VpcLinkId=link_id), lambda link: link["VpcLinkStatus"] != "PENDING")
    assert link["VpcLinkStatus"] == "AVAILABLE", link
    return link_id
