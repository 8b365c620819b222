"""AWS clients are created lazily: none at start-up, then one per (service, Region) actually called."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from vpclink_operator.config import parse_args
from vpclink_operator.reconcile import Services


def test_no_client_until_a_service_is_used_then_one_per_service_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[tuple[str, str]] = []

    def client(self: Any, service: str, *, region_name: str, **_: Any) -> object:
        created.append((service, region_name))
        return object()

    monkeypatch.setattr(boto3.session.Session, "client", client)
    services = Services.build(parse_args(["--region", "us-east-1"]))
    assert created == []  # building every adapter loads no botocore service model

    first = services.aws.client("apigatewayv2", "us-east-1")
    assert services.aws.client("apigatewayv2", "us-east-1") is first
    services.aws.client("apigatewayv2", "eu-west-1")
    assert created == [("apigatewayv2", "us-east-1"), ("apigatewayv2", "eu-west-1")]
